"""Time the what-if recompute for a series of slider positions, against a bare numpy floor.

Leads come from ``sla_model.generator.generate`` (in memory, no database). For each size the
arrays are prepared once (timed), then every slider position is evaluated against the SLA in
force, and, interleaved on the same arrays, the floor runs: a bare numpy pass that builds the same
MQL mask (comparisons and code lookups) and counts it per month and per channel with ``bincount``.
The ratio says what everything beyond masking and counting costs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sla_model.agreement.sla import in_force  # noqa: E402
from sla_model.generator import generate, sample_slas  # noqa: E402
from sla_model.whatif import Candidate, WhatIfArrays, evaluate, observed_team_size, prepare  # noqa: E402

TARGET_MS = 50.0
TARGET_RATIO = 2.0


def slider_positions(now: Candidate) -> list[Candidate]:
    """Twenty moves a manager might make, one control at a time, from the SLA in force."""
    moves: list[dict] = [{"score_threshold": t} for t in (40, 45, 50, 60, 65, 70, 75)]
    moves += [{"min_company_size": s} for s in (0, 20, 100, 250)]
    moves += [
        {"personas": ()},
        {"personas": ("IT Director",)},
        {"personas": ("IT Director", "Operations Manager")},
        {"countries": ("United States", "Canada")},
        {"countries": ("United States", "United Kingdom", "Germany", "France", "Netherlands")},
        {"demo_request": False},
        {"min_page_views": 15},
        {"min_form_submissions": 3},
        {"team_size": 6, "capacity_per_rep_week": 10},
    ]
    return [now.replace(**move) for move in moves]


def month_channel(a: WhatIfArrays) -> np.ndarray:
    """Month × channel as one integer per lead, built once per data set like the engine's own keys."""
    return a.month.astype(np.intp) * len(a.channels) + a.channel


def floor(a: WhatIfArrays, c: Candidate, cells: np.ndarray) -> np.ndarray:
    """The least any implementation must do: the MQL mask, counted per month and channel."""
    mask = a.score >= c.score_threshold
    if c.demo_request:
        mask |= a.demo_request
    if c.min_page_views:
        mask |= a.page_views >= c.min_page_views
    if c.min_form_submissions:
        mask |= a.form_submissions >= c.min_form_submissions
    mask &= a.company_size >= c.min_company_size
    if c.personas:  # allowed[code], with a last entry for missing values (code -1)
        mask &= np.take(np.append(np.isin(a.personas, c.personas), False), a.persona)
    if c.countries:
        mask &= np.take(np.append(np.isin(a.countries, c.countries), False), a.country)
    return np.bincount(cells, weights=mask).reshape(-1, len(a.channels))


def _ms(seconds: list[float]) -> float:
    return 1000 * statistics.median(seconds)


def run(n_leads: int, rounds: int) -> dict:
    started = time.perf_counter()
    data = generate(n_leads=n_leads)
    generated = time.perf_counter() - started
    versions = sample_slas()

    started = time.perf_counter()
    arrays = prepare(data.leads, versions, as_of=data.as_of)
    prepared = time.perf_counter() - started

    team = observed_team_size(arrays)
    now = Candidate.from_sla(in_force(versions, data.as_of.date()), team_size=team, capacity_per_rep_week=15)
    positions = slider_positions(now)
    started = time.perf_counter()
    evaluate(arrays, now, baseline=now)  # the first move also masks the baseline once (then cached)
    first = time.perf_counter() - started

    cells = month_channel(arrays)
    floor_s, eval_s = [], []
    for _ in range(rounds):
        for candidate in positions:
            started = time.perf_counter()
            floor(arrays, candidate, cells)
            floor_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            evaluate(arrays, candidate, baseline=now)
            eval_s.append(time.perf_counter() - started)
    return {
        "leads": n_leads,
        "months": arrays.n_months,
        "positions": len(positions),
        "timings": len(eval_s),
        "generate_s": generated,
        "prepare_s": prepared,
        "first_ms": 1000 * first,
        "floor_ms": _ms(floor_s),
        "evaluate_ms": _ms(eval_s),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=5, help="passes over the slider positions (median reported)")
    args = parser.parse_args()
    for n in args.leads:
        r = run(n, args.rounds)
        ratio = r["evaluate_ms"] / r["floor_ms"]
        print(f"what-if over {r['leads']:,} generated leads ({r['months']} complete months of history)")
        print(f"  generate (not part of the app's work)       {r['generate_s']:8.2f} s")
        print(f"  prepare (once per data version)             {r['prepare_s']:8.2f} s")
        print(f"  first evaluate (also masks the baseline)    {r['first_ms']:8.2f} ms")
        print(f"  median of {r['timings']} timings ({r['positions']} slider positions × {args.rounds}):")
        print(f"    floor (bare mask + bincount)              {r['floor_ms']:8.2f} ms")
        print(f"    recompute (evaluate)                      {r['evaluate_ms']:8.2f} ms")
        print(f"    ratio recompute / floor                   {ratio:8.2f}")
        if n >= 1_000_000:
            ok = r["evaluate_ms"] <= TARGET_MS and ratio <= TARGET_RATIO
            target = f"≤ {TARGET_MS:.0f} ms and ratio ≤ {TARGET_RATIO:.0f} at 1,000,000 leads"
            print(f"  target ({target}): {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()

"""Time the definition advisor's full search against one what-if evaluate, on the same arrays.

Leads come from ``sla_model.generator.generate`` (in memory, no database), prepared once as the app does.
The floor is one ``evaluate`` of the SLA in force (the recompute a slider move costs, its baseline mask
cached as on the page); the search is one ``advise`` over the default grid (every definition, the
Pareto front, the few options). Both run ``--repeat`` times, interleaved; min / median / max seconds are
printed, and the ratio of the medians. Target at 1,000,000 leads: the search in ≤ 5 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sla_model.agreement.sla import in_force  # noqa: E402
from sla_model.generator import generate, sample_slas  # noqa: E402
from sla_model.whatif import Candidate, advise, default_grid, evaluate, observed_team_size, prepare  # noqa: E402

TARGET_S = 5.0


def summary(values: list[float]) -> tuple[float, float, float]:
    """Min, median and max."""
    return min(values), statistics.median(values), max(values)


def run(n_leads: int, repeat: int) -> dict:
    started = time.perf_counter()
    data = generate(n_leads=n_leads)
    generated = time.perf_counter() - started
    versions = sample_slas()
    started = time.perf_counter()
    arrays = prepare(data.leads, versions, as_of=data.as_of)
    prepared = time.perf_counter() - started
    now = Candidate.from_sla(in_force(versions, data.as_of.date()), team_size=max(observed_team_size(arrays), 1),
                             capacity_per_rep_week=15)  # fmt: skip
    evaluate(arrays, now, baseline=now)  # masks the baseline once (then cached), as the page's first run does
    floor_s, search_s = [], []
    advice = None
    for _ in range(repeat):
        started = time.perf_counter()
        evaluate(arrays, now, baseline=now)
        floor_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        advice = advise(arrays, now)
        search_s.append(time.perf_counter() - started)
    return {
        "leads": n_leads,
        "months": arrays.n_months,
        "definitions": default_grid(arrays, now).size,
        "front": advice.front,
        "options": len(advice.options),
        "generate_s": generated,
        "prepare_s": prepared,
        "floor": summary(floor_s),
        "search": summary(search_s),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=5, help="timings of each (min / median / max printed)")
    args = parser.parse_args()
    for n in args.leads:
        r = run(n, args.repeat)
        ratio = r["search"][1] / r["floor"][1]
        print(f"advisor over {r['leads']:,} generated leads ({r['months']} complete months of history)")
        print(f"  generate (not part of the app's work)   {r['generate_s']:8.2f} s")
        print(f"  prepare (once per data version)         {r['prepare_s']:8.2f} s")
        print(f"  {r['definitions']:,} definitions searched, {r['front']:,} on the Pareto front, "
              f"{r['options']} shown")  # fmt: skip
        print(f"  {args.repeat} timings each, seconds              min   median      max")
        print("    floor (one evaluate)            " + "  ".join(f"{v:7.3f}" for v in r["floor"]))
        print("    search (advise)                 " + "  ".join(f"{v:7.3f}" for v in r["search"]))
        print(f"    ratio search / floor (medians)  {ratio:7.1f}")
        if n >= 1_000_000:
            ok = r["search"][1] <= TARGET_S
            print(f"  target (search ≤ {TARGET_S:.0f} s at 1,000,000 leads): {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()

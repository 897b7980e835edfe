"""Which MQL definition would get there: a grid of definitions searched at once, and its Pareto-best few.

The advisor answers the question the what-if sliders leave to trial and error: given the revenue goal, the
deal size and the sales team's capacity, which MQL definitions (score threshold, personas, minimum company
size, triggers) give the most revenue, the best acceptance and the lightest load on the reps?

Method (:func:`advise`):

1. **The grid.** :class:`Grid` lists the values tried per criterion: score thresholds, persona subsets (any
   persona, or each subset of the personas the data holds), minimum company sizes, the demo-request trigger
   on or off, page-view and form-submission triggers off or at a few levels. Every combination is one
   definition (tens of thousands by default). The candidate's country list is kept as it is.
2. **One pass over the leads.** Each history lead (every complete month, as :func:`evaluate` reads them) is
   placed in one *atom*: its persona, and for every criterion the grid step its value reaches (e.g. score 57
   with thresholds 50, 55, 60 reaches step 55). A definition admits either all leads of an atom or none, so
   one ``bincount`` per figure over the leads gives everything the search needs; the per-criterion masks of a
   definition become small boolean tables over atoms, combined with numpy and summed with matrix products.
   The figures are exact for every grid definition, the same leads :func:`mql_mask` would admit.
3. **Figures per definition**, for an average month of the history:

   - *MQLs*: the leads it admits ÷ months.
   - *Expected wins*: a lead the history handed to sales counts with its own recorded outcome (won or not),
     so a definition that picks better leads *within* a channel and score band shows it; the recorded wins
     are scaled up by how much of their outcomes the MQLs' ages have seen (:func:`completion`, as the engine
     does), so young MQLs do not pull them down. A lead never handed to sales has no outcome: it counts with
     the engine's rate for its channel × score band (:func:`evaluate`'s extrapolation).
   - *Revenue*: expected wins × the candidate's average deal size; the *goal gap* is revenue ÷ goal − 1.
   - *Acceptance*: expected accepted ÷ (accepted + rejected), recorded decisions for handed-over leads, the
     cell's rates for the others.
   - *Load*: MQLs per rep a week (MQLs ÷ weeks in a month ÷ team size), against the capacity per rep.

4. **The front.** Only definitions within capacity (load ≤ capacity) that admit at least ``SMALL_SAMPLE``
   decided MQLs over the history (fewer make acceptance a coin toss) are eligible. Among them, the Pareto
   front: no other eligible definition has at least as much revenue, at least the acceptance and at most the
   load, and is better in one. Definitions with the very same figures (they admit the same leads) keep the
   simplest (fewest criteria in use).
5. **The few shown** (``top``, 5 by default), picked from the front so they differ. The pool is the front
   definitions that bring at least ``NEAR_GOAL`` (80%) of the revenue goal (of the most revenue on the front,
   when that is short of the goal): options far below the goal answer another question. From the pool: the
   most revenue; among those that reach the goal (else the whole pool), the best acceptance and the lightest
   load; then, one by one, the definition farthest from those already picked (figures scaled to their range
   in the pool), so the rest spread over the trade-offs.
   They are listed by revenue, most first. Each also carries the revenue the page's replay (:func:`evaluate`,
   channel × score band rates for every MQL) gives it, so the two estimates sit side by side.

Assumptions: the history's conversion holds for the leads a definition would admit (as in the replay);
leads a definition admits but the history never handed over behave like the handed-over leads of their
channel and score band; a definition's MQLs arrive as evenly as the history's leads did. The figures are
estimates from the history, not promises: the page's replay shows the chosen candidate in full.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sla_model.metrics.stats import SMALL_SAMPLE
from sla_model.whatif.arrays import WhatIfArrays, _share_by
from sla_model.whatif.candidate import Candidate
from sla_model.whatif.criteria import _member
from sla_model.whatif.evaluation import evaluate

#: Score thresholds tried (the candidate's own is added).
SCORE_THRESHOLDS = (0, 20, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 90)
#: Minimum company sizes tried (employees; the candidate's own is added).
COMPANY_SIZES = (0, 10, 20, 50, 100, 250, 500, 1000, 5000)
#: Page-view trigger levels tried, 0 = off (the candidate's own is added).
PAGE_VIEWS = (0, 10, 20)
#: Form-submission trigger levels tried, 0 = off (the candidate's own is added).
FORM_SUBMISSIONS = (0, 2, 3)
#: Up to this many personas, every subset is tried; beyond, any persona, each alone and all but one.
ALL_SUBSETS_UP_TO = 6
#: Options shown bring at least this share of the goal (of the most revenue any brings, when none reaches it).
NEAR_GOAL = 0.8
#: The definition fields the advisor sets on a candidate.
DEFINITION_FIELDS = (
    "score_threshold",
    "personas",
    "min_company_size",
    "demo_request",
    "min_page_views",
    "min_form_submissions",
)
#: Columns of :attr:`Advice.figures`.
FIGURE_COLUMNS = (
    "mqls",
    "won",
    "revenue",
    "revenue_gap",
    "load_per_rep_week",
    "acceptance_rate",
    "decided",
    "recorded_share",
    "complexity",
    "within_capacity",
    "eligible",
    "on_front",
)


@dataclass(frozen=True)
class Definition:
    """One MQL definition of the grid: the :class:`Candidate` fields it sets (countries are left as they are)."""

    score_threshold: int
    personas: tuple[str, ...]
    min_company_size: int
    demo_request: bool
    min_page_views: int
    min_form_submissions: int

    @property
    def complexity(self) -> int:
        """How many criteria it uses beyond the score threshold (a persona list, a size, each trigger)."""
        return (
            bool(self.personas)
            + (self.min_company_size > 0)
            + self.demo_request
            + (self.min_page_views > 0)
            + (self.min_form_submissions > 0)
        )

    def apply(self, candidate: Candidate) -> Candidate:
        """The candidate with this MQL definition; its quotas, goal, team, countries and follow-up unchanged."""
        return candidate.replace(**{name: getattr(self, name) for name in DEFINITION_FIELDS})


@dataclass(frozen=True)
class Grid:
    """The values tried per criterion; every combination is one definition (see :meth:`size`)."""

    score_thresholds: tuple[int, ...]
    persona_sets: tuple[tuple[str, ...], ...]  #: ``()`` = any persona
    company_sizes: tuple[int, ...]
    demo_request: tuple[bool, ...]
    page_views: tuple[int, ...]  #: 0 = trigger off
    form_submissions: tuple[int, ...]  #: 0 = trigger off

    @property
    def size(self) -> int:
        """How many definitions the grid holds."""
        return math.prod(
            len(x)
            for x in (
                self.score_thresholds,
                self.persona_sets,
                self.company_sizes,
                self.demo_request,
                self.page_views,
                self.form_submissions,
            )
        )


def _steps(values: Sequence[int], own: int) -> tuple[int, ...]:
    return tuple(sorted({int(v) for v in values} | {int(own)}))


def persona_sets(personas: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """Any persona (``()``), then persona subsets: all proper ones for a few personas, else singles and all-but-one.

    Examples:
        >>> persona_sets(["A", "B", "C"])
        ((), ('A',), ('B',), ('C',), ('A', 'B'), ('A', 'C'), ('B', 'C'))
    """
    names = sorted(set(personas))
    if len(names) <= ALL_SUBSETS_UP_TO:
        sizes = range(1, len(names))
        subsets = [c for k in sizes for c in itertools.combinations(names, k)]
    else:
        subsets = [(n,) for n in names] + [tuple(x for x in names if x != n) for n in names]
    return ((), *subsets)


def default_grid(arrays: WhatIfArrays, candidate: Candidate) -> Grid:
    """The grid :func:`advise` searches by default, with the candidate's own values among the steps."""
    return Grid(
        score_thresholds=_steps(SCORE_THRESHOLDS, candidate.score_threshold),
        persona_sets=persona_sets(arrays.personas),
        company_sizes=_steps(COMPANY_SIZES, candidate.min_company_size),
        demo_request=(False, True),
        page_views=_steps(PAGE_VIEWS, candidate.min_page_views),
        form_submissions=_steps(FORM_SUBMISSIONS, candidate.min_form_submissions),
    )


@dataclass(frozen=True)
class Option:
    """A definition the advisor proposes, with its figures for an average month of the history."""

    definition: Definition
    mqls: float
    won: float
    revenue: float
    #: Expected revenue over the goal, minus one (−0.09 = short by 9%).
    revenue_gap: float
    load_per_rep_week: float
    acceptance_rate: float
    #: The share of its MQLs the history handed to sales (their outcomes are recorded, the rest estimated).
    recorded_share: float
    #: The expected revenue :func:`evaluate` gives the candidate with this definition (the page's replay),
    #: which prices every MQL by channel × score band: what the page shows once the option is used.
    replay_revenue: float

    @property
    def meets_goal(self) -> bool:
        """True when the expected revenue reaches the goal."""
        return self.revenue_gap >= 0


@dataclass(frozen=True)
class Advice:
    """The advisor's answer: the few Pareto-best definitions, and the figures of every definition searched."""

    options: tuple[Option, ...]
    revenue_goal: float
    capacity_per_rep_week: float
    team_size: int
    #: How many definitions were evaluated, were within capacity, and are on the Pareto front.
    evaluated: int
    within_capacity: int
    front: int
    #: Every definition searched (index: position in the grid), columns :data:`FIGURE_COLUMNS`.
    figures: pd.DataFrame = field(repr=False)
    grid: Grid = field(repr=False)

    def definition(self, i: int) -> Definition:
        """The ``i``-th definition of the grid (the row ``i`` of :attr:`figures`)."""
        return _definition(self.grid, i)


# --- the search -----------------------------------------------------------------------------------

#: Points compared at once by :func:`pareto_front`.
_BLOCK = 64
# Per-lead figures summed per atom, in this order.
_N, _HANDED, _H_WON, _H_SEEN, _H_ACC, _H_REJ, _E_WON, _E_ACC, _E_REJ = range(9)


def _bucket(values: np.ndarray, steps: Sequence[int]) -> tuple[np.ndarray, int]:
    """Per lead, how many of the sorted ``steps`` its value reaches (``value >= step``), and the number of buckets."""
    steps = np.asarray(steps, dtype=np.int64)
    dtype = values.dtype if steps.max(initial=0) <= np.iinfo(values.dtype).max else np.int64
    return np.searchsorted(steps.astype(dtype), values.astype(dtype, copy=False), side="right"), len(steps) + 1


def _definition(grid: Grid, i: int) -> Definition:
    shape = (
        len(grid.persona_sets),
        len(grid.company_sizes),
        len(grid.score_thresholds),
        len(grid.demo_request),
        len(grid.page_views),
        len(grid.form_submissions),
    )
    q, s, t, d, v, f = np.unravel_index(i, shape)
    return Definition(
        score_threshold=int(grid.score_thresholds[t]),
        personas=grid.persona_sets[q],
        min_company_size=int(grid.company_sizes[s]),
        demo_request=bool(grid.demo_request[d]),
        min_page_views=int(grid.page_views[v]),
        min_form_submissions=int(grid.form_submissions[f]),
    )


def _atom_sums(arrays: WhatIfArrays, candidate: Candidate, grid: Grid) -> tuple[np.ndarray, tuple[int, ...]]:
    """The per-lead figures summed per atom: shape (personas + 1, size buckets, score, demo, views, forms, 9)."""
    in_history = (arrays.month >= 0) & (arrays.month < arrays.n_months)
    if candidate.countries:
        in_history &= _member(arrays.country, arrays.countries, candidate.countries)
    sel = np.flatnonzero(in_history)
    persona = arrays.persona[sel].astype(np.int64) + 1  # 0 = no persona
    n_p = len(arrays.personas) + 1
    size_b, n_s = _bucket(arrays.company_size[sel], grid.company_sizes)
    score_b, n_t = _bucket(arrays.score[sel], grid.score_thresholds)
    views_b, n_v = _bucket(arrays.page_views[sel], [v for v in grid.page_views if v > 0])
    forms_b, n_f = _bucket(arrays.form_submissions[sel], [f for f in grid.form_submissions if f > 0])
    demo = arrays.demo_request[sel].astype(np.int64)
    shape = (n_p, n_s, n_t, 2, n_v, n_f)
    atom = np.ravel_multi_index((persona, size_b, score_b, demo, views_b, forms_b), shape)
    n_atoms = math.prod(shape)

    handed = arrays.is_mql[sel]
    h = np.flatnonzero(handed)
    rest = np.flatnonzero(~handed)
    model, n_bands = arrays._model, len(arrays.bands)
    cell = arrays.channel[sel[rest]].astype(np.int64) * n_bands + arrays.band[sel[rest]]
    rates = np.nan_to_num(model.rates[cell])  # a cell without any data adds no outcome
    seen = _share_by(arrays._curves[1], arrays.handover_age[sel[h]])

    sums = np.zeros((n_atoms, 9))
    sums[:, _N] = np.bincount(atom, minlength=n_atoms)
    a_h, a_r = atom[h], atom[rest]
    sums[:, _HANDED] = np.bincount(a_h, minlength=n_atoms)
    sums[:, _H_WON] = np.bincount(a_h, weights=arrays.won[sel[h]], minlength=n_atoms)
    sums[:, _H_SEEN] = np.bincount(a_h, weights=seen, minlength=n_atoms)
    sums[:, _H_ACC] = np.bincount(a_h, weights=arrays.accepted[sel[h]], minlength=n_atoms)
    sums[:, _H_REJ] = np.bincount(a_h, weights=arrays.rejected[sel[h]], minlength=n_atoms)
    for k, column in ((_E_WON, 1), (_E_ACC, 2), (_E_REJ, 3)):
        sums[:, k] = np.bincount(a_r, weights=rates[:, column], minlength=n_atoms)
    return sums.reshape(*shape, 9), shape


def _definition_sums(sums: np.ndarray, grid: Grid, personas: tuple[str, ...]) -> np.ndarray:
    """The figures summed over the leads each grid definition admits: shape (definitions, 9), grid order."""
    n_p, n_s, n_t, _, n_v, n_f, k = sums.shape
    # Company size: a definition with the j-th size admits the buckets above j (sizes reaching it).
    by_size = np.flip(np.cumsum(np.flip(sums, axis=1), axis=1), axis=1)[:, 1:]  # (p, sizes, t, 2, v, f, k)
    # Score or a trigger: per (threshold, demo on/off, views level, forms level) × interest atom.
    t_j = np.arange(len(grid.score_thresholds))[:, None, None, None, None]
    d_on = np.asarray(grid.demo_request, dtype=bool)[None, :, None, None, None]
    views = np.asarray(grid.page_views)
    forms = np.asarray(grid.form_submissions)
    v_j = (np.searchsorted(views[views > 0], views, side="right") - 1)[None, None, :, None, None]
    f_j = (np.searchsorted(forms[forms > 0], forms, side="right") - 1)[None, None, None, :, None]
    v_on, f_on = (views > 0)[None, None, :, None, None], (forms > 0)[None, None, None, :, None]
    tb, db, vb, fb = np.indices((n_t, 2, n_v, n_f)).reshape(4, -1)  # each interest atom's steps
    admit = (tb > t_j) | (d_on & (db == 1)) | (v_on & (vb > v_j)) | (f_on & (fb > f_j))
    # admit: (thresholds, demo, views, forms, interest atoms)
    admit = admit.reshape(-1, n_t * 2 * n_v * n_f).astype(float)
    interest = by_size.reshape(n_p, by_size.shape[1], -1, k)  # (p, sizes, interest atoms, k)
    per_interest = np.einsum("ai,psik->psak", admit, interest, optimize=True)
    # Personas: any persona admits every lead (also those without one), a subset admits its members.
    names = {name: i + 1 for i, name in enumerate(personas)}
    chosen = np.zeros((len(grid.persona_sets), n_p))
    for q, subset in enumerate(grid.persona_sets):
        if subset:
            chosen[q, [names[n] for n in subset if n in names]] = 1.0
        else:
            chosen[q] = 1.0
    return np.einsum("qp,psak->qsak", chosen, per_interest, optimize=True).reshape(-1, k)


def pareto_front(revenue: np.ndarray, acceptance: np.ndarray, load: np.ndarray) -> np.ndarray:
    """True where no other point has revenue ≥, acceptance ≥ and load ≤, better in at least one.

    Points with the very same three figures are all on the front or all off it. In order of revenue (then
    acceptance, then load), a block of points at a time is compared with the front found so far and with
    the block's earlier points; that is enough because domination is transitive.

    Examples:
        >>> pareto_front(np.array([3.0, 2, 1, 3]), np.array([0.5, 0.6, 0.5, 0.4]), np.array([2.0, 1, 1, 2])).tolist()
        [True, True, False, False]
    """
    revenue, acceptance, load = (np.asarray(x, dtype=float) for x in (revenue, acceptance, load))
    order = np.lexsort((load, -acceptance, -revenue))
    front = np.zeros(len(order), dtype=bool)
    kept = np.empty((3, 0))

    def dominated(r: np.ndarray, a: np.ndarray, lo: np.ndarray, by: np.ndarray) -> np.ndarray:
        """(points, by): True where point ``by[:, j]`` dominates point i."""
        ge = (by[0] >= r[:, None]) & (by[1] >= a[:, None]) & (by[2] <= lo[:, None])
        return ge & ((by[0] > r[:, None]) | (by[1] > a[:, None]) | (by[2] < lo[:, None]))

    for start in range(0, len(order), _BLOCK):
        block = order[start : start + _BLOCK]
        r, a, lo = revenue[block], acceptance[block], load[block]
        beaten = dominated(r, a, lo, kept).any(axis=1) | dominated(r, a, lo, np.stack([r, a, lo])).any(axis=1)
        front[block[~beaten]] = True
        kept = np.concatenate([kept, np.stack([r, a, lo])[:, ~beaten]], axis=1)
    return front


def _pick(f: pd.DataFrame, top: int, goal: float) -> list[int]:
    """Up to ``top`` rows of the front ``f``, different from each other (see the module's step 5)."""
    if f.empty:
        return []
    pool = f[f["revenue"] >= NEAR_GOAL * min(goal, f["revenue"].max())]
    reach = pool[pool["revenue_gap"] >= 0]
    ends = reach if len(reach) else pool
    picks = [int(pool["revenue"].idxmax()), int(ends["acceptance_rate"].idxmax())]
    picks = list(dict.fromkeys([*picks, int(ends["load_per_rep_week"].idxmin())]))[:top]
    cols = ["revenue", "acceptance_rate", "load_per_rep_week"]
    span = (pool[cols].max() - pool[cols].min()).replace(0, 1)
    scaled = ((pool[cols] - pool[cols].min()) / span).to_numpy()
    position = {idx: n for n, idx in enumerate(pool.index)}
    while len(picks) < min(top, len(pool)):
        chosen = scaled[[position[p] for p in picks]]
        distance = np.sqrt(((scaled[:, None, :] - chosen[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
        distance[[position[p] for p in picks]] = -1
        picks.append(int(pool.index[int(np.argmax(distance))]))
    return sorted(picks, key=lambda i: (-f.at[i, "revenue"], i))


def advise(arrays: WhatIfArrays, candidate: Candidate, *, top: int = 5, grid: Grid | None = None) -> Advice:
    """Search the grid of MQL definitions and return the few Pareto-best within the team's capacity.

    The method, its figures and its assumptions are the module's (:mod:`sla_model.whatif.advisor`). The
    candidate gives the revenue goal, the average deal size, the team size, the capacity per rep and the
    countries that fit; its own definition does not matter (its values are among the grid's steps).

    Args:
        arrays: from :func:`prepare`.
        candidate: the goal, deal size, team and capacity to search for.
        top: at most this many options.
        grid: the definitions to search; :func:`default_grid` by default.

    Examples:
        >>> from sla_model.generator import generate, sample_slas
        >>> from sla_model.whatif.arrays import prepare
        >>> data = generate(n_leads=3_000)
        >>> arrays = prepare(data.leads, sample_slas(), as_of=data.as_of)
        >>> now = Candidate.from_sla(sample_slas()[-1], team_size=2, capacity_per_rep_week=15)
        >>> advice = advise(arrays, now)
        >>> 0 < len(advice.options) <= 5, all(o.load_per_rep_week <= 15 for o in advice.options)
        (True, True)
    """
    grid = grid or default_grid(arrays, candidate)
    sums, _ = _atom_sums(arrays, candidate, grid)
    s = _definition_sums(sums, grid, arrays.personas)
    n_months = max(arrays.n_months, 1)
    weeks = float(arrays._weeks.sum()) / n_months if arrays.n_months else float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        exposure = np.maximum(s[:, _H_SEEN], s[:, _H_WON])
        handed_won = np.where(exposure > 0, s[:, _H_WON] * s[:, _HANDED] / np.where(exposure > 0, exposure, 1), 0.0)
        won = (handed_won + s[:, _E_WON]) / n_months
        accepted, rejected = s[:, _H_ACC] + s[:, _E_ACC], s[:, _H_REJ] + s[:, _E_REJ]
        decided = accepted + rejected
        acceptance = np.where(decided > 0, accepted / np.where(decided > 0, decided, 1), np.nan)
        recorded = np.where(s[:, _N] > 0, s[:, _HANDED] / np.where(s[:, _N] > 0, s[:, _N], 1), np.nan)
    mqls = s[:, _N] / n_months
    revenue = won * candidate.average_deal_size
    load = mqls / weeks / candidate.team_size
    within = load <= candidate.capacity_per_rep_week
    eligible = within & (decided >= SMALL_SAMPLE) & (mqls > 0)
    complexity = _complexities(grid)
    figures = pd.DataFrame({
        "mqls": mqls, "won": won, "revenue": revenue, "revenue_gap": revenue / candidate.revenue_goal - 1,
        "load_per_rep_week": load, "acceptance_rate": acceptance, "decided": decided, "recorded_share": recorded,
        "complexity": complexity, "within_capacity": within, "eligible": eligible,
        "on_front": np.zeros(len(mqls), dtype=bool),
    })  # fmt: skip
    idx = np.flatnonzero(eligible)
    # The same figures (the same leads admitted): the simplest definition stands for them all.
    rounded = np.round(np.column_stack([revenue[idx], acceptance[idx], load[idx]]), 9)
    order = np.lexsort((idx, complexity[idx], *rounded.T[::-1]))
    first = np.ones(len(order), dtype=bool)
    first[1:] = np.any(rounded[order][1:] != rounded[order][:-1], axis=1)
    distinct = idx[order[first]]
    on_front = distinct[pareto_front(revenue[distinct], acceptance[distinct], load[distinct])]
    figures.loc[on_front, "on_front"] = True
    picks = _pick(figures.loc[on_front], top, candidate.revenue_goal)
    options = tuple(
        Option(
            definition=_definition(grid, i),
            mqls=float(mqls[i]),
            won=float(won[i]),
            revenue=float(revenue[i]),
            revenue_gap=float(figures.at[i, "revenue_gap"]),
            load_per_rep_week=float(load[i]),
            acceptance_rate=float(acceptance[i]),
            recorded_share=float(recorded[i]),
            replay_revenue=evaluate(arrays, _definition(grid, i).apply(candidate)).revenue.expected,
        )
        for i in picks
    )
    return Advice(
        options=options,
        revenue_goal=candidate.revenue_goal,
        capacity_per_rep_week=candidate.capacity_per_rep_week,
        team_size=candidate.team_size,
        evaluated=len(mqls),
        within_capacity=int(within.sum()),
        front=len(on_front),
        figures=figures,
        grid=grid,
    )


def _complexities(grid: Grid) -> np.ndarray:
    """Per grid definition (grid order), :attr:`Definition.complexity`."""
    parts = np.ix_(
        np.array([bool(p) for p in grid.persona_sets], dtype=np.int64),
        np.array([s > 0 for s in grid.company_sizes], dtype=np.int64),
        np.zeros(len(grid.score_thresholds), dtype=np.int64),
        np.array(grid.demo_request, dtype=np.int64),
        np.array([v > 0 for v in grid.page_views], dtype=np.int64),
        np.array([f > 0 for f in grid.form_submissions], dtype=np.int64),
    )
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total.ravel()

"""The MQL criteria of a candidate applied to the prepared leads, and the criteria no lead can meet."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from sla_model.whatif.arrays import WhatIfArrays
from sla_model.whatif.candidate import Candidate

#: Above this many code comparisons, a persona/country test is a table lookup instead.
_MAX_COMPARISONS = 8


def _member(codes: np.ndarray, categories: tuple[str, ...], wanted: tuple[str, ...]) -> np.ndarray:
    """True where a lead's code is one of the ``wanted`` categories (a missing value never is).

    A few code comparisons where the wanted (or unwanted) categories are few, else a table lookup.
    """
    wanted_set = set(wanted)
    allowed = [i for i, name in enumerate(categories) if name in wanted_set]
    refused = [i for i, name in enumerate(categories) if name not in wanted_set]
    if not refused:
        return codes >= 0
    if len(allowed) <= min(len(refused), _MAX_COMPARISONS):
        out = np.zeros(codes.shape, dtype=bool)
        for i in allowed:
            out |= codes == i
        return out
    if len(refused) <= _MAX_COMPARISONS:
        out = codes >= 0
        for i in refused:
            out &= codes != i
        return out
    table = np.zeros(len(categories) + 1, dtype=bool)  # the last entry serves code -1 (missing)
    table[allowed] = True
    return np.take(table, codes)


def mql_mask(arrays: WhatIfArrays, candidate: Candidate) -> np.ndarray:
    """True where a lead is an MQL under the candidate's definition, for every lead prepared.

    The same rule as :func:`sla_model.agreement.qualify.mql_mask`: the lead fits (persona, company size,
    country) and it reaches the score threshold or fires an enabled trigger.
    """
    mask = arrays.score >= candidate.score_threshold
    if candidate.demo_request:
        mask |= arrays.demo_request
    if candidate.min_page_views > 0:
        mask |= arrays.page_views >= candidate.min_page_views
    if candidate.min_form_submissions > 0:
        mask |= arrays.form_submissions >= candidate.min_form_submissions
    mask &= arrays.company_size >= candidate.min_company_size
    for codes, categories, wanted in (
        (arrays.persona, arrays.personas, candidate.personas),
        (arrays.country, arrays.countries, candidate.countries),
    ):
        if wanted:
            mask &= _member(codes, categories, wanted)
    return mask


#: The lead field each MQL-definition control reads (see :func:`sla_model.metrics.coverage.empty_fields`).
CRITERION_FIELDS = {
    "score_threshold": "score",
    "personas": "persona",
    "min_company_size": "company_size",
    "countries": "country",
    "demo_request": "demo_request",
    "min_page_views": "page_views",
    "min_form_submissions": "form_submissions",
}


def unmeetable_criteria(candidate: Candidate, empty: Collection[str]) -> list[str]:
    """The candidate's MQL criteria no lead can meet because the field they read is empty in the data.

    ``empty`` names the empty lead fields (:func:`sla_model.metrics.coverage.empty_fields`). A criterion that
    asks nothing (a threshold of 0, no persona or country list, a trigger that is off) is never
    named. A fit criterion named here rules out every lead; a named score threshold leaves only the
    triggers. Returns control names (keys of :data:`CRITERION_FIELDS`) in the order of the controls.

    Examples:
        >>> c = Candidate(score_threshold=50, min_company_size=20, quota_mqls=1, quota_sqls=1, quota_won=1,
        ...               revenue_goal=1, average_deal_size=1, team_size=1, capacity_per_rep_week=1,
        ...               first_touch_hours=1, min_touches=1, touch_window_days=1, decision_hours=1)
        >>> unmeetable_criteria(c, {"score", "persona", "page_views"})
        ['score_threshold']
    """
    asks = {
        "score_threshold": candidate.score_threshold > 0,
        "personas": bool(candidate.personas),
        "min_company_size": candidate.min_company_size > 0,
        "countries": bool(candidate.countries),
        "demo_request": candidate.demo_request,
        "min_page_views": candidate.min_page_views > 0,
        "min_form_submissions": candidate.min_form_submissions > 0,
    }
    return [name for name, field_name in CRITERION_FIELDS.items() if asks[name] and field_name in empty]

"""Which leads meet an MQL definition, vectorised over whole columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sla_model.agreement.sla import MqlDefinition

#: Lead columns the MQL definition reads.
QUALIFY_COLUMNS = (
    "score",
    "persona",
    "company_size",
    "country",
    "demo_request",
    "page_views",
    "form_submissions",
)


def fit_mask(leads: pd.DataFrame, definition: MqlDefinition) -> np.ndarray:
    """True where a lead matches the definition's fit criteria (persona, size, country).

    An empty persona or country list admits any value.
    """
    fit = definition.fit
    mask = leads["company_size"].to_numpy(dtype=float, na_value=0) >= fit.min_company_size
    if fit.personas:
        mask &= leads["persona"].isin(fit.personas).to_numpy()
    if fit.countries:
        mask &= leads["country"].isin(fit.countries).to_numpy()
    return mask


def engaged_mask(leads: pd.DataFrame, definition: MqlDefinition) -> np.ndarray:
    """True where a lead reaches the score threshold or fires an enabled behavioural trigger."""
    triggers = definition.triggers
    mask = leads["score"].to_numpy(dtype=float, na_value=-1) >= definition.score_threshold
    if triggers.demo_request:
        mask |= leads["demo_request"].to_numpy(dtype=bool, na_value=False)
    if triggers.min_page_views > 0:
        mask |= leads["page_views"].to_numpy(dtype=float, na_value=0) >= triggers.min_page_views
    if triggers.min_form_submissions > 0:
        mask |= leads["form_submissions"].to_numpy(dtype=float, na_value=0) >= triggers.min_form_submissions
    return mask


def mql_mask(leads: pd.DataFrame, definition: MqlDefinition) -> np.ndarray:
    """True where a lead is an MQL under ``definition``: it fits and it is engaged.

    Examples:
        >>> from sla_model.agreement.sla import MqlDefinition
        >>> d = MqlDefinition(score_threshold=60, fit={"min_company_size": 50},
        ...                   triggers={"demo_request": True})
        >>> leads = pd.DataFrame({"score": [70, 40, 40, 90], "persona": ["a"] * 4,
        ...     "company_size": [100, 100, 100, 10], "country": ["US"] * 4,
        ...     "demo_request": [False, True, False, True], "page_views": [0] * 4,
        ...     "form_submissions": [0] * 4})
        >>> mql_mask(leads, d).tolist()
        [True, True, False, False]
    """
    return fit_mask(leads, definition) & engaged_mask(leads, definition)

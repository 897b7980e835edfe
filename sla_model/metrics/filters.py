"""The shared page filters: channel, persona and owner."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def filter_leads(
    leads: pd.DataFrame,
    *,
    channels: Iterable[str] = (),
    personas: Iterable[str] = (),
    owners: Iterable[str] = (),
) -> pd.DataFrame:
    """The leads matching every non-empty filter (an empty filter admits everything).

    Examples:
        >>> leads = pd.DataFrame({"channel": ["Email", "Events"], "persona": ["A", "B"], "owner": [None, "X"]})
        >>> len(filter_leads(leads, channels=["Email"])), len(filter_leads(leads, owners=["X"]))
        (1, 1)
    """
    mask = pd.Series(True, index=leads.index)
    for column, wanted in (("channel", channels), ("persona", personas), ("owner", owners)):
        wanted = list(wanted)
        if wanted:
            mask &= leads[column].isin(wanted)
    return leads if bool(mask.all()) else leads[mask]


def touches_of(touches: pd.DataFrame, leads: pd.DataFrame) -> pd.DataFrame:
    """The touches on the given leads."""
    return touches[touches["lead_id"].isin(leads["lead_id"])]

"""A scenario as the what-if controls hold it: their ranges, and a scenario file read back and checked against them."""

from __future__ import annotations

import tomllib
from typing import NamedTuple

from sla_model.agreement.sla import Sla, SlaError, parse_sla
from sla_model.whatif.candidate import Candidate

#: Each numeric control's range, shared by its widget and by the check of an uploaded scenario.
BOUNDS: dict[str, tuple[float, float]] = {
    "score_threshold": (0, 100), "min_company_size": (0, 1_000_000), "min_page_views": (0, 1000),
    "min_form_submissions": (0, 100), "quota_mqls": (0, 1_000_000), "quota_sqls": (0, 1_000_000),
    "quota_won": (0, 100_000), "revenue_goal": (1, 10_000_000_000), "average_deal_size": (1, 1_000_000_000),
    "first_touch_hours": (0.1, 2160.0), "min_touches": (1, 50), "touch_window_days": (1, 90),
    "decision_hours": (0.1, 2160.0),
}  # fmt: skip
#: Money controls take whole amounts (integer inputs).
WHOLE = ("revenue_goal", "average_deal_size")
#: Where each control's value sits in an SLA file.
SLA_FIELDS = {
    "score_threshold": "mql.score_threshold", "min_company_size": "mql.fit.min_company_size",
    "min_page_views": "mql.triggers.min_page_views", "min_form_submissions": "mql.triggers.min_form_submissions",
    "quota_mqls": "quotas.mqls", "quota_sqls": "quotas.sqls", "quota_won": "quotas.won",
    "revenue_goal": "goal.monthly_revenue", "average_deal_size": "goal.average_deal_size",
    "first_touch_hours": "follow_up.first_touch_hours", "min_touches": "follow_up.min_touches",
    "touch_window_days": "follow_up.touch_window_days", "decision_hours": "follow_up.decision_hours",
}  # fmt: skip


class OutOfBounds(NamedTuple):
    """One value of a scenario the controls cannot hold exactly."""

    #: The control (a :class:`Candidate` field).
    name: str
    #: Where the value sits in an SLA file, e.g. ``quotas.mqls``.
    sla_field: str
    value: float
    low: float
    high: float
    #: True when the value is in range but not a whole amount where the control takes only whole amounts.
    not_whole: bool


class ScenarioFileError(ValueError):
    """An uploaded scenario file that is not a valid SLA document (the message says why, naming the file)."""


def out_of_bounds(candidate: Candidate) -> list[OutOfBounds]:
    """What in a scenario the controls cannot hold exactly: values outside their range, fractions of a whole amount.

    Examples:
        >>> c = Candidate(score_threshold=50, quota_mqls=1, quota_sqls=1, quota_won=1, revenue_goal=10.5,
        ...               average_deal_size=5, team_size=1, capacity_per_rep_week=1, first_touch_hours=4,
        ...               min_touches=3, touch_window_days=5, decision_hours=2000)
        >>> [(p.sla_field, p.not_whole) for p in out_of_bounds(c)]
        [('goal.monthly_revenue', True)]
        >>> [p.sla_field for p in out_of_bounds(c.replace(revenue_goal=10, quota_mqls=2_000_000))]
        ['quotas.mqls']
    """
    problems = []
    for name, (low, high) in BOUNDS.items():
        value = getattr(candidate, name)
        inside = low <= value <= high
        if not inside or (name in WHOLE and not float(value).is_integer()):
            problems.append(OutOfBounds(name, SLA_FIELDS[name], value, low, high, not_whole=inside))
    return problems


def read_scenario(content: bytes, name: str) -> Sla:
    """A scenario file's SLA, or :class:`ScenarioFileError` naming what is wrong with it.

    Args:
        content: the file's bytes (UTF-8 TOML, as the page's download writes it).
        name: the file's name, for the message and as the SLA's source.

    Examples:
        >>> try:
        ...     read_scenario(b"not = [toml", "x.toml")
        ... except ScenarioFileError as exc:
        ...     print(str(exc).split(" (")[0])
        x.toml: not a TOML scenario file
    """
    try:
        return parse_sla(tomllib.loads(content.decode("utf-8")), source=name)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:  # (arrays nested thousands deep)
        raise ScenarioFileError(f"{name}: not a TOML scenario file ({exc})") from exc
    except SlaError as exc:
        raise ScenarioFileError(str(exc)) from exc

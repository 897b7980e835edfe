"""A what-if candidate: every control of the page (MQL definition, quotas, goal, team, follow-up) as one value."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sla_model.agreement.sla import Hours, MqlDefinition, NonNegInt, Policy, PositiveFloat, Sla, parse_sla, sla_to_dict


class Candidate(BaseModel):
    """Every control of the what-if page: an MQL definition, quotas, goal, team and follow-up rules.

    Personas and countries: an empty tuple admits any value. Triggers: 0 (or False) is off.
    ``team_size`` and ``capacity_per_rep_week`` (MQLs one rep can work in a week) describe the
    sales team; they are not part of an SLA document. Candidates are immutable and hashable;
    :meth:`replace` gives a validated copy with some controls changed.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    score_threshold: Annotated[int, Field(ge=0, le=100)]
    personas: tuple[str, ...] = ()
    min_company_size: NonNegInt = 0
    countries: tuple[str, ...] = ()
    demo_request: bool = False
    min_page_views: NonNegInt = 0
    min_form_submissions: NonNegInt = 0
    quota_mqls: NonNegInt
    quota_sqls: NonNegInt
    quota_won: NonNegInt
    mqls_by_channel: tuple[tuple[str, NonNegInt], ...] = ()
    revenue_goal: PositiveFloat
    average_deal_size: PositiveFloat
    team_size: Annotated[int, Field(ge=1)]
    capacity_per_rep_week: PositiveFloat
    first_touch_hours: Hours
    min_touches: Annotated[int, Field(ge=1, le=50)]
    touch_window_days: Annotated[int, Field(ge=1, le=90)]
    decision_hours: Hours
    policies: tuple[Policy, ...] = ()

    @field_validator("mqls_by_channel", mode="before")
    @classmethod
    def _channel_items(cls, value: Any) -> Any:
        return tuple(value.items()) if isinstance(value, dict) else value

    @classmethod
    def from_sla(cls, sla: Sla, *, team_size: int, capacity_per_rep_week: float) -> Candidate:
        """The controls set to an SLA version's values, with a sales team of the given size and capacity."""
        mql, quotas, follow_up = sla.mql, sla.quotas, sla.follow_up
        return cls(
            score_threshold=mql.score_threshold,
            personas=tuple(mql.fit.personas),
            min_company_size=mql.fit.min_company_size,
            countries=tuple(mql.fit.countries),
            demo_request=mql.triggers.demo_request,
            min_page_views=mql.triggers.min_page_views,
            min_form_submissions=mql.triggers.min_form_submissions,
            quota_mqls=quotas.mqls,
            quota_sqls=quotas.sqls,
            quota_won=quotas.won,
            mqls_by_channel=quotas.mqls_by_channel,
            revenue_goal=sla.goal.monthly_revenue,
            average_deal_size=sla.goal.average_deal_size,
            team_size=team_size,
            capacity_per_rep_week=capacity_per_rep_week,
            first_touch_hours=follow_up.first_touch_hours,
            min_touches=follow_up.min_touches,
            touch_window_days=follow_up.touch_window_days,
            decision_hours=follow_up.decision_hours,
            policies=tuple(follow_up.policies),
        )

    def replace(self, **changes: Any) -> Candidate:
        """A validated copy with ``changes`` applied (e.g. a slider's new value).

        Raises:
            pydantic.ValidationError: when a changed control is out of range.
        """
        return type(self).model_validate(self.model_dump() | changes)

    @property
    def channel_quotas(self) -> dict[str, int]:
        """The per-channel monthly MQL quotas."""
        return dict(self.mqls_by_channel)

    @property
    def definition(self) -> MqlDefinition:
        """The candidate's MQL definition, as an SLA states it."""
        return MqlDefinition(
            score_threshold=self.score_threshold,
            fit={
                "personas": list(self.personas),
                "min_company_size": self.min_company_size,
                "countries": list(self.countries),
            },
            triggers={
                "demo_request": self.demo_request,
                "min_page_views": self.min_page_views,
                "min_form_submissions": self.min_form_submissions,
            },
        )

    def to_sla(self, base: Sla, *, version: int, effective_from: dt.date, author: str, change_note: str) -> Sla:
        """A new SLA version: ``base`` with this candidate's definition, quotas, goal and follow-up rules.

        Everything the candidate does not control (SQL criteria, rejection reasons, recycling,
        review) is kept from ``base``; the team size and capacity are not part of an SLA.

        Raises:
            SlaError: naming the field and the problem (e.g. per-channel quotas above the total).
        """
        doc = sla_to_dict(base)
        doc["meta"] = {
            "version": version,
            "effective_from": effective_from,
            "author": author,
            "change_note": change_note,
        }
        doc["goal"] |= {"monthly_revenue": self.revenue_goal, "average_deal_size": self.average_deal_size}
        doc["quotas"] = {
            "mqls": self.quota_mqls,
            "sqls": self.quota_sqls,
            "won": self.quota_won,
            "mqls_by_channel": dict(self.mqls_by_channel),
        }
        doc["mql"] = self.definition.model_dump(mode="json")
        doc["follow_up"] = {
            "policies": [p.model_dump(mode="json", exclude_none=True) for p in self.policies],
            "first_touch_hours": self.first_touch_hours,
            "min_touches": self.min_touches,
            "touch_window_days": self.touch_window_days,
            "decision_hours": self.decision_hours,
        }
        return parse_sla(doc, source=f"SLA version {version}")

    def _mask_key(self) -> tuple:
        return (
            self.score_threshold,
            frozenset(self.personas),
            self.min_company_size,
            frozenset(self.countries),
            self.demo_request,
            self.min_page_views,
            self.min_form_submissions,
        )

"""Smarketing SLA: the domain package (SLA model, persistence, metrics, generator); no Streamlit."""

from sla_model.agreement.sla import Sla, SlaError, in_force, load_sla_file, parse_sla
from sla_model.metrics.filters import filter_leads, touches_of
from sla_model.metrics.funnel import FunnelRates, funnel_vs_actual, observed_rates, reverse_funnel
from sla_model.metrics.lifecycle import decided, is_accepted, is_open, reached_sql, sql_reached_at
from sla_model.metrics.progress import (
    Progress,
    attainment_trend,
    cumulative_by_day,
    measure_progress,
    monthly_actuals,
    period_bounds,
    progress,
    sla_for_period,
)
from sla_model.metrics.quality import (
    acceptance,
    acceptance_by,
    conversions,
    latest_notes,
    loop_counts,
    mql_cohort,
    rejection_reasons,
    score_band,
)
from sla_model.metrics.stats import rate_frame, wilson_interval
from sla_model.metrics.timing import (
    breach_list,
    compliance_by,
    speed_by,
    speed_summary,
    speed_to_lead,
    time_in_stage,
    touch_compliance,
    touch_summary,
)
from sla_model.whatif import Candidate, Estimate, WhatIfArrays, WhatIfResult, evaluate, observed_team_size, prepare
from sla_model.whatif.backtest import backtest

__all__ = [
    "Candidate",
    "Estimate",
    "FunnelRates",
    "Progress",
    "Sla",
    "SlaError",
    "WhatIfArrays",
    "WhatIfResult",
    "acceptance",
    "acceptance_by",
    "attainment_trend",
    "backtest",
    "breach_list",
    "compliance_by",
    "conversions",
    "cumulative_by_day",
    "decided",
    "evaluate",
    "filter_leads",
    "funnel_vs_actual",
    "in_force",
    "is_accepted",
    "is_open",
    "latest_notes",
    "load_sla_file",
    "loop_counts",
    "measure_progress",
    "monthly_actuals",
    "mql_cohort",
    "observed_rates",
    "observed_team_size",
    "parse_sla",
    "period_bounds",
    "prepare",
    "progress",
    "rate_frame",
    "reached_sql",
    "rejection_reasons",
    "reverse_funnel",
    "score_band",
    "sla_for_period",
    "speed_by",
    "speed_summary",
    "speed_to_lead",
    "sql_reached_at",
    "time_in_stage",
    "touch_compliance",
    "touch_summary",
    "touches_of",
    "wilson_interval",
]

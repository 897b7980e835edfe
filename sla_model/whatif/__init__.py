"""Scenarios replayed over history.

``engine`` (the vectorised what-if evaluation), ``backtest`` (how far a scenario can be trusted) and ``suggest``
(a first SLA drafted from the team's own history).
"""

from sla_model.whatif.arrays import (
    NO_CHANNEL,
    NO_REASON,
    WHATIF_COLUMNS,
    WhatIfArrays,
    completion,
    observed_team_size,
    prepare,
)
from sla_model.whatif.backtest import (
    BACKTEST_COLUMNS,
    BACKTEST_MEASURES,
    governed_months,
)
from sla_model.whatif.candidate import (
    Candidate,
)
from sla_model.whatif.criteria import (
    CRITERION_FIELDS,
    mql_mask,
    unmeetable_criteria,
)
from sla_model.whatif.evaluation import (
    CHANNEL_COLUMNS,
    FUNNEL_COLUMNS,
    MONTHLY_COLUMNS,
    REASON_COLUMNS,
    Estimate,
    Replay,
    WhatIfResult,
    evaluate,
    replay_months,
)
from sla_model.whatif.follow_up import (
    FOLLOW_UP_COLUMNS,
    FOLLOW_UP_RULES,
    follow_up_replay,
)
from sla_model.whatif.scenario import (
    BOUNDS,
    SLA_FIELDS,
    WHOLE,
    OutOfBounds,
    ScenarioFileError,
    out_of_bounds,
    read_scenario,
)
from sla_model.whatif.suggest import (
    HISTORY_MONTHS,
    LEVEL_LABELS,
    LEVELS,
    TEMPLATE_FOLLOW_UP,
    TEMPLATE_REASONS,
    Suggestion,
    channel_quota_problem,
    history_months,
    rescale_channel_quotas,
    split_quota,
    suggest_sla,
)
from sla_model.whatif.verdict import (
    verdict_text,
)

__all__ = [
    "BACKTEST_COLUMNS",
    "BACKTEST_MEASURES",
    "BOUNDS",
    "CHANNEL_COLUMNS",
    "CRITERION_FIELDS",
    "Candidate",
    "Estimate",
    "FOLLOW_UP_COLUMNS",
    "FOLLOW_UP_RULES",
    "FUNNEL_COLUMNS",
    "HISTORY_MONTHS",
    "LEVELS",
    "LEVEL_LABELS",
    "MONTHLY_COLUMNS",
    "NO_CHANNEL",
    "NO_REASON",
    "OutOfBounds",
    "REASON_COLUMNS",
    "Replay",
    "SLA_FIELDS",
    "ScenarioFileError",
    "Suggestion",
    "TEMPLATE_FOLLOW_UP",
    "TEMPLATE_REASONS",
    "WHATIF_COLUMNS",
    "WHOLE",
    "WhatIfArrays",
    "WhatIfResult",
    "channel_quota_problem",
    "completion",
    "evaluate",
    "follow_up_replay",
    "governed_months",
    "history_months",
    "mql_mask",
    "observed_team_size",
    "out_of_bounds",
    "prepare",
    "read_scenario",
    "replay_months",
    "rescale_channel_quotas",
    "split_quota",
    "suggest_sla",
    "unmeetable_criteria",
    "verdict_text",
]

"""Scenarios replayed over history: a candidate SLA over the lead history, vectorised so sliders recompute at once.

Every public name is importable from here; the modules that hold them:

- :mod:`~sla_model.whatif.candidate`: :class:`Candidate`, every control of the page (a new control or scenario
  criterion starts here, as a field and in :meth:`Candidate.from_sla` / :meth:`Candidate.to_sla`);
- :mod:`~sla_model.whatif.arrays`: :func:`prepare`, the lead history as arrays and conversion tables, once per
  data version (a new lead field a criterion reads is prepared here);
- :mod:`~sla_model.whatif.criteria`: :func:`mql_mask`, the candidate's MQL definition applied to those arrays,
  and :func:`unmeetable_criteria` (a new criterion is tested here);
- :mod:`~sla_model.whatif.evaluation`: :func:`evaluate` (a candidate beside a baseline) and :func:`replay_months`
  (a mask over chosen months, for the backtest);
- :mod:`~sla_model.whatif.verdict`: the one-line verdict of a result;
- :mod:`~sla_model.whatif.follow_up`: :func:`follow_up_replay`, the follow-up rules over the history's touches
  (a new replay of recorded events goes beside it).
- :mod:`~sla_model.whatif.scenario`: scenario files and the controls' ranges (a new range check goes here);
- :mod:`~sla_model.whatif.backtest`: how far a scenario can be trusted, replayed over past months;
- :mod:`~sla_model.whatif.suggest`: a first SLA drafted from the team's own history.
- :mod:`~sla_model.whatif.advisor`: :func:`advise`, the grid of MQL definitions searched at once for the
  Pareto-best few (revenue, acceptance, load within capacity).
"""

from sla_model.whatif.advisor import (
    Advice,
    Definition,
    Grid,
    Option,
    advise,
    default_grid,
    pareto_front,
)
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
    POLICY_COLUMNS,
    follow_up_replay,
    policy_replay,
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
    "Advice",
    "Definition",
    "Grid",
    "Option",
    "advise",
    "default_grid",
    "pareto_front",
    "BACKTEST_COLUMNS",
    "BACKTEST_MEASURES",
    "BOUNDS",
    "CHANNEL_COLUMNS",
    "CRITERION_FIELDS",
    "Candidate",
    "Estimate",
    "FOLLOW_UP_COLUMNS",
    "FOLLOW_UP_RULES",
    "POLICY_COLUMNS",
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
    "policy_replay",
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

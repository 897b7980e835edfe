"""What-if: a candidate SLA replayed over the lead history, vectorised so sliders recompute at once.

The engine in one import, from the modules that hold its parts:

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
"""

from __future__ import annotations

from sla_model.whatif.arrays import (
    NO_CHANNEL,
    NO_REASON,
    WHATIF_COLUMNS,
    WhatIfArrays,
    completion,
    observed_team_size,
    prepare,
)
from sla_model.whatif.candidate import Candidate
from sla_model.whatif.criteria import CRITERION_FIELDS, mql_mask, unmeetable_criteria
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
from sla_model.whatif.follow_up import FOLLOW_UP_COLUMNS, FOLLOW_UP_RULES, follow_up_replay

__all__ = [
    "CHANNEL_COLUMNS",
    "CRITERION_FIELDS",
    "Candidate",
    "Estimate",
    "FOLLOW_UP_COLUMNS",
    "FOLLOW_UP_RULES",
    "FUNNEL_COLUMNS",
    "MONTHLY_COLUMNS",
    "NO_CHANNEL",
    "NO_REASON",
    "REASON_COLUMNS",
    "Replay",
    "WHATIF_COLUMNS",
    "WhatIfArrays",
    "WhatIfResult",
    "completion",
    "evaluate",
    "follow_up_replay",
    "mql_mask",
    "observed_team_size",
    "prepare",
    "replay_months",
    "unmeetable_criteria",
]

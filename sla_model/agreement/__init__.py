"""The service level agreement itself.

``sla`` (versions, terms and their checks) and ``qualify`` (how a version's MQL definition picks leads).
"""

from sla_model.agreement.qualify import (
    QUALIFY_COLUMNS,
    engaged_mask,
    fit_mask,
    mql_mask,
)
from sla_model.agreement.sla import (
    TERM_LABELS,
    Fit,
    FollowUp,
    Goal,
    Meta,
    MqlDefinition,
    Quotas,
    Recycle,
    RejectionReason,
    Review,
    Sla,
    SlaError,
    SqlDefinition,
    Triggers,
    diff_slas,
    in_force,
    in_force_index,
    load_sla_file,
    ordered,
    parse_sla,
    sla_to_dict,
    term_label,
)

__all__ = [
    "Fit",
    "FollowUp",
    "Goal",
    "Meta",
    "MqlDefinition",
    "QUALIFY_COLUMNS",
    "Quotas",
    "Recycle",
    "RejectionReason",
    "Review",
    "Sla",
    "SlaError",
    "SqlDefinition",
    "TERM_LABELS",
    "Triggers",
    "diff_slas",
    "engaged_mask",
    "fit_mask",
    "in_force",
    "in_force_index",
    "load_sla_file",
    "mql_mask",
    "ordered",
    "parse_sla",
    "sla_to_dict",
    "term_label",
]

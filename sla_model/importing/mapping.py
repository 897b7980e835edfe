"""Column mappings: how the columns and values of a CRM export become the app's leads, touches and decisions.

A mapping names, for each field of the app, the column (or one of several alternative columns) that holds it,
fixed values for fields the file lacks, value maps (a CRM's lifecycle stages and statuses to the app's
stages), and how dates are written. Built-in mappings read the app's own format, HubSpot contacts exports and
Salesforce lead reports; any other CSV gets a mapping built on the import page or written as a TOML file.
"""

from __future__ import annotations

import difflib
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import Engine
from sqlmodel import Session, select

from sla_model.access import Actor, require_manager, storing
from sla_model.store.models import Feedback, Lead, SavedMapping, Touch, utcnow
from sla_model.store.repository import write_audit


class Stage(StrEnum):
    """Where a lead is in the lifecycle, as a CRM's stage or status value says."""

    IGNORE = "ignore"  #: the value says nothing about the stage (e.g. HubSpot's "Open Deal" status)
    LEAD = "lead"
    MQL = "mql"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RECYCLED = "recycled"
    DISQUALIFIED = "disqualified"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"


#: The lifecycle timestamps each stage implies (in lifecycle order).
STAGE_MILESTONES: dict[Stage, tuple[str, ...]] = {
    Stage.IGNORE: (),
    Stage.LEAD: (),
    Stage.MQL: ("mql_at",),
    Stage.ACCEPTED: ("mql_at", "accepted_at"),
    Stage.REJECTED: ("mql_at", "rejected_at"),
    Stage.RECYCLED: ("mql_at", "recycled_at"),
    Stage.DISQUALIFIED: ("mql_at", "disqualified_at"),
    Stage.SQL: ("mql_at", "accepted_at", "sql_at"),
    Stage.OPPORTUNITY: ("mql_at", "accepted_at", "sql_at", "opportunity_at"),
    Stage.WON: ("mql_at", "accepted_at", "sql_at", "opportunity_at", "won_at"),
    Stage.LOST: ("mql_at", "accepted_at", "sql_at", "opportunity_at", "lost_at"),
}
#: How far along each stage is (the furthest of a lifecycle stage and a status wins).
STAGE_RANK = {
    Stage.IGNORE: -1, Stage.LEAD: 0, Stage.MQL: 1, Stage.ACCEPTED: 2, Stage.REJECTED: 3, Stage.RECYCLED: 3,
    Stage.DISQUALIFIED: 3, Stage.SQL: 4, Stage.OPPORTUNITY: 5, Stage.WON: 6, Stage.LOST: 6,
}  # fmt: skip

Kind = Literal["leads", "touches", "feedback"]
#: The app's fields per kind of import (the table's columns), in table order.
KIND_FIELDS: dict[str, list[str]] = {
    "leads": [c for c in Lead.model_fields if c != "row_version"],
    "touches": [c for c in Touch.model_fields if c != "id"],
    "feedback": [c for c in Feedback.model_fields if c != "id"],
}
#: Extra inputs a mapping may use that are not table columns.
EXTRA_FIELDS: dict[str, list[str]] = {
    "leads": ["stage", "status", "stage_at"],
    "touches": [],
    "feedback": [],
}
#: Fields a file must provide (by a column or a fixed value).
REQUIRED: dict[str, list[str]] = {
    "leads": ["lead_id", "created_at"],
    "touches": ["lead_id", "rep", "at"],
    "feedback": ["lead_id", "decision", "by", "at"],
}
#: Human names of fields, for the page and for messages.
FIELD_LABELS = {
    "lead_id": "Lead ID", "created_at": "Created", "channel": "Channel / source", "campaign": "Campaign",
    "persona": "Persona", "industry": "Industry", "country": "Country", "company_size": "Company size",
    "score": "Lead score", "demo_request": "Demo requested", "page_views": "Page views",
    "form_submissions": "Form submissions", "owner": "Owner", "mql_at": "Became MQL", "accepted_at": "Accepted",
    "rejected_at": "Rejected", "rejection_reason": "Rejection reason", "recycled_at": "Recycled",
    "disqualified_at": "Disqualified", "sql_at": "Became SQL", "opportunity_at": "Became opportunity",
    "won_at": "Won", "lost_at": "Lost", "amount": "Amount", "first_name": "First name", "last_name": "Last name",
    "company": "Company", "email": "Email", "stage": "Lifecycle stage", "status": "Lead status",
    "stage_at": "Stage date", "rep": "Rep", "at": "Time", "kind": "Kind", "outcome": "Outcome",
    "decision": "Decision", "reason": "Reason", "note": "Note", "by": "By",
}  # fmt: skip


#: The names of the built-in formats (filled below, once they are defined).
_BUILT_IN_NAMES: set[str] = set()


class MappingError(ValueError):
    """A mapping file or document that is not valid; the message names the source and the field."""


class Mapping(BaseModel):
    """How one CSV layout becomes rows of the app (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "custom"
    kind: Kind = "leads"
    #: field -> the column holding it; a list gives alternatives, the first present in the file is used.
    columns: dict[str, str | list[str]] = Field(default_factory=dict)
    #: field -> a fixed value for every row (used when no mapped column is present or the cell is empty).
    constants: dict[str, str] = Field(default_factory=dict)
    #: field -> {value in the file -> value stored}; for ``stage`` and ``status`` the values are stages.
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    #: ``auto`` tries ISO, m/d/yyyy, yyyy.mm.dd, "15 Apr, 2021 00:03:00", ...; or a strptime format.
    date_format: str = "auto"
    #: In ``auto``: read 03/04/2026 as 3 April (day first) instead of 4 March.
    day_first: bool = False
    #: The zone of times written without one; every time is stored in UTC.
    timezone: str = "UTC"
    #: Leads only: the file updates stored leads (e.g. a deals file joined to them by the lead ID). Only the
    #: lead ID is required; a stored lead gets only the fields the file carries (never its creation date, unless
    #: the mapping names a column for it); a row whose lead is not stored is an error unless ``add_new``.
    update_only: bool = False
    #: With ``update_only``: add the rows whose lead is not stored yet (they need a creation date, from a
    #: column or a fixed value, as in a leads file).
    add_new: bool = False

    @model_validator(mode="after")
    def _update_only_for_leads(self) -> Mapping:
        if self.update_only and self.kind != "leads":
            raise ValueError("update_only is for leads files only")
        if self.add_new and not self.update_only:
            raise ValueError("add_new goes with update_only (a leads file adds new leads anyway)")
        return self

    @field_validator("columns", "constants", "values")
    @classmethod
    def _known_fields(cls, value: dict, info) -> dict:
        kind = info.data.get("kind", "leads")
        allowed = set(KIND_FIELDS[kind]) | set(EXTRA_FIELDS[kind])
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}")
        return value

    @field_validator("values")
    @classmethod
    def _stages_known(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for target in ("stage", "status"):
            for raw, stage in value.get(target, {}).items():
                if stage not in Stage.__members__.values():
                    known = ", ".join(s.value for s in Stage)
                    raise ValueError(f"{target}: '{raw}' maps to '{stage}', which is not a stage ({known})")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone_known(cls, value: str) -> str:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}' (use a name like UTC or Europe/Berlin)") from None
        return value

    def alternatives(self, field: str) -> list[str]:
        """The columns that may hold ``field``, in order of preference."""
        spec = self.columns.get(field, [])
        return [spec] if isinstance(spec, str) else list(spec)

    def resolve(self, headers: list[str]) -> dict[str, str]:
        """Field -> the header present in the file that holds it (matching ignores case and spaces)."""
        by_key = {_key(h): h for h in headers}
        found = {}
        for field in self.columns:
            for alt in self.alternatives(field):
                if _key(alt) in by_key:
                    found[field] = by_key[_key(alt)]
                    break
        return found

    def missing_columns(self, headers: list[str]) -> dict[str, str]:
        """Field -> the column this mapping names as the one column for it, where the file lacks that column.

        A built-in format's columns are alternatives a file may or may not have, and so is a list of
        alternatives in any mapping: only a single column a user's mapping names counts.
        """
        if self.name in _BUILT_IN_NAMES:
            return {}
        keys = {_key(h) for h in headers}
        return {f: spec for f, spec in self.columns.items() if isinstance(spec, str) and _key(spec) not in keys}

    def to_toml(self) -> str:
        """The mapping as a TOML document (what the page's download and the CLI's ``--mapping`` use)."""
        return tomli_w.dumps(self.model_dump(mode="json"))


def _key(header: str) -> str:
    return " ".join(header.lower().replace("\ufeff", "").split())


def required_fields(mapping: Mapping) -> list[str]:
    """The fields every row of a file needs for ``mapping`` (an update file needs the lead ID only)."""
    return ["lead_id"] if mapping.update_only else REQUIRED[mapping.kind]


def missing_columns_message(name: str, mapping: Mapping, headers: list[str]) -> str | None:
    """Why ``mapping`` does not fit the file ``name``; None when every column it names is there.

    Each column the mapping names that the file lacks is listed with its field and the closest column name in
    the file.

    Examples:
        >>> m = Mapping(columns={"lead_id": "id", "stage": "deal_stage"})
        >>> missing_columns_message("f.csv", m, ["id", "deal stage"])
        "f.csv: the mapping's column 'deal_stage' (Lifecycle stage) is not in the file; closest: 'deal stage'"
    """
    missing = mapping.missing_columns(headers)
    if not missing:
        return None
    parts = []
    for field, column in missing.items():
        close = difflib.get_close_matches(column, headers, n=1, cutoff=0.5) or difflib.get_close_matches(
            _key(column), [_key(h) for h in headers], n=1, cutoff=0.5
        )
        if close and close[0] not in headers:
            close = [h for h in headers if _key(h) == close[0]][:1]
        hint = f"closest: '{close[0]}'" if close else "the file has: " + ", ".join(headers[:12])
        parts.append(f"the mapping's column '{column}' ({FIELD_LABELS.get(field, field)}) is not in the file; {hint}")
    return f"{name}: " + "; ".join(parts)


def parse_mapping(document: dict, *, source: str) -> Mapping:
    """Validate a mapping document.

    Raises:
        MappingError: naming ``source``, the field and the problem.
    """
    try:
        return Mapping.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'mapping'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise MappingError(f"{source}: {problems}") from None


def load_mapping_file(path: str | Path) -> Mapping:
    """Read a mapping TOML file.

    Raises:
        MappingError: the file is missing, not TOML or not a valid mapping.
    """
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(f"{path.name}: cannot be read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:  # (arrays nested thousands deep)
        raise MappingError(f"{path.name}: not a valid TOML file ({exc})") from None
    return parse_mapping(document, source=path.name)


# --- built-in mappings -----------------------------------------------------------------------------

OWN_LEADS = Mapping(name="Smarketing SLA (leads.csv)", kind="leads", columns={f: f for f in KIND_FIELDS["leads"]})
OWN_TOUCHES = Mapping(
    name="Smarketing SLA (touches.csv)", kind="touches", columns={f: f for f in KIND_FIELDS["touches"]}
)
OWN_FEEDBACK = Mapping(
    name="Smarketing SLA (feedback.csv)", kind="feedback", columns={f: f for f in KIND_FIELDS["feedback"]}
)

HUBSPOT_STAGES = {
    "subscriber": "lead", "lead": "lead", "marketingqualifiedlead": "mql", "marketing qualified lead": "mql",
    "salesqualifiedlead": "sql", "sales qualified lead": "sql", "opportunity": "opportunity",
    "customer": "won", "evangelist": "won", "other": "ignore", "sales accepted lead": "accepted",
}  # fmt: skip
HUBSPOT_STATUSES = {
    "new": "ignore", "open": "ignore", "in progress": "accepted", "open deal": "ignore",
    "unqualified": "rejected", "attempted to contact": "ignore", "connected": "accepted", "bad timing": "recycled",
}  # fmt: skip

HUBSPOT = Mapping(
    name="HubSpot contacts export",
    columns={
        "lead_id": ["Record ID", "Contact ID", "hs_object_id", "vid"],
        "first_name": ["First Name", "firstname"],
        "last_name": ["Last Name", "lastname"],
        "email": ["Email", "email"],
        "company": ["Company Name", "company"],
        "owner": ["Contact owner", "hubspot_owner_id"],
        "created_at": ["Create Date", "createdate"],
        "channel": ["Original Source", "hs_analytics_source"],
        "campaign": ["First Conversion", "first_conversion_event_name"],
        "persona": ["Persona", "hs_persona"],
        "industry": ["Industry", "industry"],
        "country": ["Country/Region", "Country", "country"],
        "company_size": ["Number of Employees", "numemployees"],
        "score": ["HubSpot Score", "hubspotscore", "Lead Score"],
        "page_views": ["Number of Pageviews", "hs_analytics_num_page_views"],
        "form_submissions": ["Number of Form Submissions", "num_conversion_events"],
        "stage": ["Lifecycle Stage", "lifecyclestage"],
        "status": ["Lead Status", "hs_lead_status"],
        "stage_at": ["Last Activity Date", "notes_last_updated"],
        "mql_at": ["Became a Marketing Qualified Lead Date", "hs_lifecyclestage_marketingqualifiedlead_date"],
        "accepted_at": ["Became a Sales Accepted Lead Date"],
        "rejected_at": ["Rejected Date", "Lead Rejected Date"],
        "rejection_reason": ["Rejection Reason", "Lead Rejection Reason"],
        "sql_at": ["Became a Sales Qualified Lead Date", "hs_lifecyclestage_salesqualifiedlead_date"],
        "opportunity_at": ["Became an Opportunity Date", "hs_lifecyclestage_opportunity_date"],
        "won_at": ["Became a Customer Date", "hs_lifecyclestage_customer_date"],
        "lost_at": ["Closed Lost Date"],
        "amount": ["Total Revenue", "Recent Deal Amount", "total_revenue"],
    },
    values={"stage": HUBSPOT_STAGES, "status": HUBSPOT_STATUSES},
)

SALESFORCE_STATUSES = {
    "open - not contacted": "mql", "working - contacted": "accepted", "closed - converted": "sql",
    "closed - not converted": "rejected", "open": "mql", "contacted": "accepted", "qualified": "sql",
    "unqualified": "rejected", "nurturing": "recycled",
}  # fmt: skip
SALESFORCE = Mapping(
    name="Salesforce leads report",
    columns={
        "lead_id": ["Lead ID", "Id"],
        "owner": ["Lead Owner", "OwnerId"],
        "first_name": ["First Name", "FirstName"],
        "last_name": ["Last Name", "LastName"],
        "company": ["Company / Account", "Company"],
        "email": ["Email"],
        "channel": ["Lead Source", "LeadSource"],
        "status": ["Lead Status", "Status"],
        "score": ["Rating"],
        "industry": ["Industry"],
        "company_size": ["No. of Employees", "NumberOfEmployees"],
        "created_at": ["Created Date", "CreatedDate"],
        "mql_at": ["MQL Date", "MQL_Date__c"],
        "rejected_at": ["Rejected Date", "Rejected_Date__c"],
        "sql_at": ["Converted Date", "ConvertedDate"],
        "stage_at": ["Last Activity", "LastActivityDate"],
        "rejection_reason": ["Rejection Reason", "Rejection_Reason__c", "Unqualified Reason"],
        "country": ["Country"],
        "campaign": ["Campaign", "Primary Campaign Source"],
    },
    values={"status": SALESFORCE_STATUSES, "score": {"hot": "90", "warm": "60", "cold": "30"}},
)

#: HubSpot's default sales pipeline, by internal value and label: a deal that exists is an opportunity.
HUBSPOT_DEAL_STAGES = {
    "appointmentscheduled": "opportunity", "appointment scheduled": "opportunity",
    "qualifiedtobuy": "opportunity", "qualified to buy": "opportunity",
    "presentationscheduled": "opportunity", "presentation scheduled": "opportunity",
    "decisionmakerboughtin": "opportunity", "decision maker bought-in": "opportunity",
    "contractsent": "opportunity", "contract sent": "opportunity",
    "closedwon": "won", "closed won": "won", "closedlost": "lost", "closed lost": "lost",
}  # fmt: skip

HUBSPOT_DEALS = Mapping(
    name="HubSpot deals export (updates stored contacts)",
    columns={
        # the deal's contact: the deal updates the stored lead of that ID and never creates one
        "lead_id": ["Associated Contact IDs", "Associated Contact ID", "Contact ID", "associatedcontactid"],
        "stage": ["Deal Stage", "dealstage"],
        "stage_at": ["Close Date", "closedate"],  # a won or lost deal's date
        "opportunity_at": ["Create Date", "createdate"],  # the deal's creation: when the lead became an opportunity
        "amount": ["Amount", "amount"],
    },
    values={"stage": HUBSPOT_DEAL_STAGES},
    update_only=True,
)

BUILT_IN: dict[str, Mapping] = {
    "own": OWN_LEADS, "hubspot": HUBSPOT, "hubspot_deals": HUBSPOT_DEALS, "salesforce": SALESFORCE
}  # fmt: skip
OWN_BY_KIND: dict[str, Mapping] = {"leads": OWN_LEADS, "touches": OWN_TOUCHES, "feedback": OWN_FEEDBACK}
_BUILT_IN_NAMES.update(m.name for m in (*BUILT_IN.values(), *OWN_BY_KIND.values()))


def detect(headers: list[str]) -> Mapping | None:
    """The built-in mapping a file's headers fit (every required field found), or None."""
    for mapping in (*OWN_BY_KIND.values(), HUBSPOT_DEALS, HUBSPOT, SALESFORCE):
        found = mapping.resolve(headers)
        if mapping is HUBSPOT_DEALS:  # a deals file has a contact ID and a deal stage (it also has a Create Date)
            if {"lead_id", "stage"} <= set(found):
                return mapping
            continue
        if all(f in found for f in REQUIRED[mapping.kind]):
            if mapping.kind == "leads" and mapping is OWN_LEADS and "channel" not in found:
                continue
            return mapping
    return None


def no_match_message(name: str, headers: list[str]) -> str:
    """Why a file fits no built-in format: the closest one's missing columns, or a hint to map it."""
    best, best_found = None, 0
    for mapping in (*OWN_BY_KIND.values(), HUBSPOT, HUBSPOT_DEALS, SALESFORCE):
        found = len(mapping.resolve(headers))
        if found > best_found:
            best, best_found = mapping, found
    shown = ", ".join(headers[:12]) + (" ..." if len(headers) > 12 else "")
    if best is not None and best_found >= 2:
        resolved = best.resolve(headers)
        missing = [f for f in REQUIRED[best.kind] if f not in resolved]
        if best is OWN_LEADS and "channel" not in resolved:
            missing.append("channel")
        if missing:
            wanted = ", ".join(repr(best.alternatives(f)[0]) for f in missing)
            return f"{name}: looks like a {best.name} file but the required column(s) {wanted} are missing"
    return f"{name}: the columns ({shown}) match no known format; build a column mapping for them"


# --- saved mappings --------------------------------------------------------------------------------------


def save_mapping(*, engine: Engine, mapping: Mapping, actor: Actor) -> None:
    """Store ``mapping`` under its name (replacing an older one of that name), audited, in one transaction.

    Raises:
        PermissionDenied: the actor is not a manager (checked here, whoever calls).
        MappingError: a name that is empty or a built-in mapping's.
        ActionError: the database gave up on the write (locked past its wait, timed out): nothing was stored.
    """
    require_manager(actor, "save column mappings")
    if not mapping.name.strip() or mapping.name in {m.name for m in BUILT_IN.values()}:
        raise MappingError(f"'{mapping.name}' cannot be used as a name: choose a name of your own")
    document = mapping.model_dump_json()
    with storing(engine) as session:
        row = session.get(SavedMapping, mapping.name)
        replaced = row is not None
        row = row or SavedMapping(name=mapping.name, document=document, saved_by=actor.name)
        row.document, row.saved_by, row.saved_at = document, actor.name, utcnow()
        session.add(row)
        write_audit(session=session, actor=actor.name, actor_id=actor.id, action="save_mapping", entity="saved_mapping",
                    entity_id=mapping.name, detail={"kind": mapping.kind, "replaced": replaced})  # fmt: skip
        session.commit()


def saved_mappings(*, engine: Engine) -> dict[str, Mapping]:
    """Every saved mapping by name (a stored one that no longer validates is left out)."""
    with Session(engine) as session:
        rows = session.exec(select(SavedMapping).order_by(SavedMapping.name)).all()
    out = {}
    for row in rows:
        try:
            out[row.name] = Mapping.model_validate_json(row.document)
        except ValidationError:
            continue
    return out

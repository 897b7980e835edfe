"""A deterministic generator of realistic lead, touch and feedback data with planted stories."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from sla_model.agreement.calendar import lead_clocks, per_clock
from sla_model.agreement.qualify import mql_mask
from sla_model.agreement.sla import Sla, in_force_index, load_sla_file, ordered
from sla_model.metrics.timing import follow_up_rules

SEED = 20261118
START = dt.datetime(2025, 11, 1)
AS_OF = dt.datetime(2026, 11, 18, 12, 0)
SAMPLE_LEADS = 20_000

#: Channels: share of leads, lead quality (drives score) and how often sales accepts their MQLs.
CHANNELS = {
    "Organic Search": (0.19, 0.58, 0.80),
    "Paid Search": (0.16, 0.55, 0.76),
    "Paid Social": (0.11, 0.48, 0.70),
    "Webinar": (0.12, 0.62, 0.82),
    "Content Syndication": (0.19, 0.56, 0.24),
    "Events": (0.08, 0.60, 0.78),
    "Referral": (0.05, 0.72, 0.90),
    "Email": (0.10, 0.52, 0.74),
}
CAMPAIGNS = {
    "Organic Search": ["SEO – Blog", "SEO – Pricing page", "SEO – Comparison pages"],
    "Paid Search": ["Google Ads – Brand", "Google Ads – Competitor", "Bing – Generic"],
    "Paid Social": ["LinkedIn – ABM", "LinkedIn – Lead Gen Forms", "Meta – Retargeting"],
    "Webinar": ["Webinar – Pipeline Analytics 101", "Webinar – RevOps Live", "Webinar – Q&A"],
    "Content Syndication": ["Syndication – State of RevOps", "Syndication – Buyer's Guide"],
    "Events": ["SaaStr booth", "Field dinner series", "Partner roadshow"],
    "Referral": ["Customer referral", "Partner referral"],
    "Email": ["Newsletter", "Nurture – Trial", "Nurture – Win-back"],
}
PERSONAS = {"IT Director": 0.3, "Operations Manager": 0.3, "Finance Lead": 0.2, "Developer": 0.2}
COUNTRIES = {
    "United States": 0.44, "United Kingdom": 0.12, "Germany": 0.10, "Canada": 0.07,
    "France": 0.06, "Australia": 0.05, "Netherlands": 0.05, "India": 0.06, "Brazil": 0.05,
}  # fmt: skip
INDUSTRIES = ["Software", "Manufacturing", "Healthcare", "Retail", "Financial Services", "Logistics"]
REPS = [
    "Ana Souza", "Ben Carter", "Chloé Martin", "Derek Hale", "Emma Rossi",
    "Farid Haddad", "Grace Kim", "Hiro Tanaka", "Isla Murphy", "Jonas Weber",
]  # fmt: skip
#: The rep who is slow to follow up (planted).
SLOW_REP = "Derek Hale"
#: The channel whose MQLs sales mostly rejects, and the reason it gives most (planted).
JUNK_CHANNEL = "Content Syndication"
JUNK_REASON = "no_interest"
#: Open MQLs of the slow rep, past the first-touch window with no touch at the snapshot (planted).
PLANTED_BREACHES = 6
#: Monthly lead volume multipliers: one month that beats its MQL quota, one that misses it (planted).
#: Keyed by months after the start month (START: 1 = Dec 2025, 4 = Mar 2026, 9 = Aug 2026), so a story that
#: starts in another month keeps its shape.
MONTH_VOLUME = {4: 1.35, 9: 0.62, 1: 0.8}
#: Demo requests (the sample SLA's fastest follow-up policy) are touched this many times faster than other MQLs,
#: and sales turns them into SQLs and wins this much more often (planted).
DEMO_SPEEDUP = 5.0
DEMO_SQL_LIFT, DEMO_WON_LIFT = 0.25, 0.12
#: Speed pays (planted): the chance that an accepted MQL becomes an SQL falls with the working hours to its first
#: touch, towards this share for a lead left waiting a long time (half the fall within SPEED_HALF_HOURS); scaled
#: so that the average MQL converts as often as without it.
SPEED_FLOOR, SPEED_HALF_HOURS = 0.4, 4.0

_REASONS_USUAL = {
    "no_budget": 0.24, "bad_timing": 0.20, "not_decision_maker": 0.16, "no_response": 0.16,
    "no_interest": 0.06, "not_icp": 0.08, "competitor": 0.03, "student": 0.03, "bad_data": 0.04,
}  # fmt: skip
_REASONS_JUNK = {
    "no_interest": 0.62, "not_decision_maker": 0.10, "no_budget": 0.06, "no_response": 0.08,
    "student": 0.07, "bad_data": 0.07,
}  # fmt: skip
_NOTES = {
    "no_interest": [
        "Downloaded the report for research, no project planned.",
        "Didn't remember signing up for anything.",
        "Said the syndication form was filled in by an assistant.",
    ],
    "no_budget": ["Budget frozen until next fiscal year.", "Loves it, but no budget before Q3 — call back."],
    "bad_timing": [
        "Mid-migration to a new CRM, revisit in 3 months.",
        "Contract with incumbent ends in June.",
    ],
    "not_decision_maker": ["Intern collecting info for the CFO.", "Pointed me to their VP Ops (new lead?)."],
    "no_response": ["Five attempts, no answer on phone or email.", "Bounced between voicemail and OOO."],
    "not_icp": ["Two-person agency, far below our minimum.", "Consumer app, not B2B."],
    "competitor": ["Works for a competitor, poking at pricing."],
    "student": ["Student writing a thesis on RevOps.", "Job seeker, wanted to talk about openings."],
    "bad_data": ["Phone number disconnected, email bounced.", "Fake name, mailinator address."],
}
_FIRST = ["Alex", "Sam", "Maria", "Jordan", "Priya", "Wei", "Fatima", "Lars", "Sofia", "Omar",
          "Zoë", "Kenji", "Amara", "Mateo", "Ingrid", "Noah", "Leila", "Tomás", "Hannah", "Ravi"]  # fmt: skip
_LAST = ["Smith", "Garcia", "Müller", "Nguyen", "Okafor", "Johansson", "Patel", "Dubois", "Rossi",
         "Kowalski", "Silva", "Cohen", "Yamamoto", "O'Brien", "Novak", "Haddad", "Larsen", "Chen"]  # fmt: skip
_CO_A = ["Apex", "Blue", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris", "Juniper",
         "Keystone", "Lumen", "Maple", "Nimbus", "Orbit", "Pioneer", "Quartz", "Summit"]  # fmt: skip
_CO_B = ["Logistics", "Health", "Systems", "Foods", "Analytics", "Robotics", "Bank", "Retail",
         "Labs", "Energy", "Freight", "Software"]  # fmt: skip

HOUR = np.timedelta64(3_600_000_000_000, "ns")


@dataclass(frozen=True)
class Generated:
    """The generated data set: leads, touches and sales feedback, plus its snapshot time."""

    leads: pd.DataFrame
    touches: pd.DataFrame
    feedback: pd.DataFrame
    as_of: dt.datetime


def sample_dir() -> Path:
    """The folder of the shipped sample data."""
    return Path(__file__).resolve().parent.parent / "sample_data"


def sample_ends_at(setting: str | None = None) -> dt.datetime | None:
    """When the sample story should end as it is seeded: now, unless ``SMARKETING_SAMPLE_ENDS`` says otherwise.

    ``SMARKETING_SAMPLE_ENDS=shipped`` keeps the dates as generated (the shipped snapshot); an ISO 8601 time
    ends the story then (see :func:`sample_story`).

    Raises:
        ValueError: a setting that is neither ``shipped`` nor an ISO 8601 time.

    Examples:
        >>> sample_ends_at("shipped") is None, sample_ends_at("2027-01-15T09:00")
        (True, datetime.datetime(2027, 1, 15, 9, 0))
    """
    value = (os.environ.get("SMARKETING_SAMPLE_ENDS", "") if setting is None else setting).strip()
    if value == "shipped":
        return None
    if not value:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"SMARKETING_SAMPLE_ENDS: {value!r} is neither 'shipped' nor an ISO 8601 time") from None
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def sample_story(ends_at: dt.datetime) -> tuple[list[Sla], Generated]:
    """The sample company's story told up to ``ends_at``: the shipped story moved by whole months, regenerated.

    The story's last month (November 2026 as shipped) becomes the month of ``ends_at``, and the data stops at
    ``ends_at`` itself, so the sample ends "now" with its last month in progress and every earlier month
    whole. Months and SLA effective dates move by whole months, so every planted pattern keeps its month.
    """
    months = (ends_at.year - AS_OF.year) * 12 + ends_at.month - AS_OF.month
    offset = pd.DateOffset(months=months)
    versions = [
        sla.model_copy(
            update={
                "meta": sla.meta.model_copy(update={"effective_from": (sla.meta.effective_from + offset).date()}),
                "calendar": sla.calendar.model_copy(
                    update={"holidays": sorted({_weekday(d + offset) for d in sla.calendar.holidays})}
                ),
            }
        )
        for sla in sample_slas()
    ]
    data = generate(start=(START + offset).to_pydatetime(), as_of=ends_at, versions=versions)
    for frame in (data.leads, data.touches, data.feedback):  # whole seconds, as the shipped files hold them
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                frame[column] = frame[column].dt.floor("s")
    return versions, data


def _weekday(day: pd.Timestamp) -> dt.date:
    """A holiday moved with the story: one that lands on a weekend is taken on the Monday after, as observed.

    Examples:
        >>> _weekday(pd.Timestamp("2026-02-28")), _weekday(pd.Timestamp("2026-02-25"))
        (datetime.date(2026, 3, 2), datetime.date(2026, 2, 25))
    """
    return (day + pd.offsets.Day((7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)).date()


def seed_sample(engine: Engine, setting: str | None = None) -> bool:
    """Fill an empty database with the sample company, its story ending as :func:`sample_ends_at` says.

    Returns:
        True when the database was empty and is now seeded.
    """
    from sla_model.store.seed import seed_if_empty

    ends_at = sample_ends_at(setting)
    if ends_at is None:
        return seed_if_empty(engine=engine, slas=sample_slas(), folder=sample_dir())
    slas, data = sample_story(ends_at)
    return seed_if_empty(engine=engine, slas=slas, dataset=(data.leads, data.touches, data.feedback, data.as_of))


def sample_slas() -> list[Sla]:
    """The shipped sample SLA versions, oldest first."""
    return ordered([load_sla_file(p) for p in sorted((sample_dir() / "sla").glob("*.toml"))])


def _pick(rng: np.random.Generator, weights: dict, n: int) -> np.ndarray:
    keys = np.array(list(weights))
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(len(keys), size=n, p=p / p.sum()), keys


def _cat(codes: np.ndarray, categories: list | np.ndarray) -> pd.Categorical:
    """A categorical from integer codes (-1 = missing): no per-row strings are built."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=list(categories))


def _hours(x: np.ndarray) -> np.ndarray:
    return (x * 3_600_000_000_000).astype("timedelta64[ns]")


def _created_times(
    rng: np.random.Generator, n: int, start: dt.datetime, as_of: dt.datetime, zone: str = "UTC"
) -> np.ndarray:
    """Creation times, naive UTC: leads arrive by day of the month and by the hour of the day in ``zone``."""
    local_as_of = pd.Timestamp(as_of).tz_localize("UTC").tz_convert(zone).tz_localize(None)
    months = pd.period_range(start, as_of, freq="M")
    starts = months.to_timestamp().to_numpy()
    ends = np.minimum((months + 1).to_timestamp().to_numpy(), local_as_of.to_datetime64())
    days = (ends - starts) / np.timedelta64(1, "D")
    growth = 1.025 ** np.arange(len(months))  # marketing grows lead volume ~2.5% a month
    mult = np.array([MONTH_VOLUME.get(i, 1.0) for i in range(len(months))])
    weight = days * growth * mult
    m = rng.choice(len(months), size=n, p=weight / weight.sum())
    day = np.floor(rng.random(n) * days[m])
    hour = np.clip(rng.normal(13.0, 3.5, n), 0, 23.99)
    local = pd.DatetimeIndex(starts[m] + _hours(day * 24 + hour))
    aware = local.tz_localize(zone, ambiguous=np.ones(n, dtype=bool), nonexistent="shift_forward")
    t = aware.tz_convert("UTC").tz_localize(None).to_numpy().astype("datetime64[ns]")
    t = np.clip(t, np.datetime64(start, "ns"), np.datetime64(as_of, "ns") - HOUR)
    return np.sort(t)


def _group_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at every group (groups are consecutive runs of ``counts``)."""
    total = np.cumsum(values)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    before = np.where(starts > 0, total[np.maximum(starts - 1, 0)], 0.0)
    return total - before


def generate(
    *,
    n_leads: int = SAMPLE_LEADS,
    seed: int = SEED,
    start: dt.datetime = START,
    as_of: dt.datetime = AS_OF,
    versions: list[Sla] | None = None,
) -> Generated:
    """Generate ``n_leads`` leads with their touches and feedback, deterministically for a seed.

    Leads become MQLs exactly when they meet the MQL definition of the SLA version in force on
    their creation day; events after ``as_of`` have not happened yet (the last month is in progress).
    Leads arrive by the hour of the day in the first version's time zone. Sales works in business hours:
    touch delays, the gaps between touches and the time to a decision are drawn in working hours and laid
    on the calendar of the version in force at the handoff (in the rep's time zone), so nights, weekends
    and holidays pass without a touch. Demo requests are touched faster and convert better (planted).
    """
    versions = ordered(versions or sample_slas())
    rng = np.random.default_rng(seed)
    n = n_leads
    now = np.datetime64(as_of, "ns")
    nat = np.datetime64("NaT", "ns")

    created = _created_times(rng, n, start, as_of, versions[0].calendar.timezone)
    ch_i, ch_names = _pick(rng, {k: v[0] for k, v in CHANNELS.items()}, n)
    quality = np.array([v[1] for v in CHANNELS.values()])[ch_i]
    accept_base = np.array([v[2] for v in CHANNELS.values()])[ch_i]
    camp_choice = rng.random(n)
    campaign_names = [c for name in ch_names for c in CAMPAIGNS[name]]
    offsets = np.cumsum([0] + [len(CAMPAIGNS[name]) for name in ch_names])
    sizes = np.diff(offsets)
    campaign = _cat(offsets[ch_i] + (camp_choice * sizes[ch_i]).astype(int), campaign_names)
    industry_i = rng.integers(0, len(INDUSTRIES), n)
    pe_i, pe_names = _pick(rng, PERSONAS, n)
    co_i, co_names = _pick(rng, COUNTRIES, n)
    size = np.maximum(1, rng.lognormal(np.log(110), 1.25, n)).astype(np.int64)
    persona_bonus = np.where(pe_names[pe_i] == "Developer", -6, 3)
    score = np.clip(np.rint(rng.normal(48 + 45 * (quality - 0.55) + persona_bonus, 17, n)), 0, 100)
    score = score.astype(np.int64)
    page_views = rng.poisson(1.5 + score / 10)
    forms = rng.poisson(0.2 + score / 70)
    demo = rng.random(n) < (0.005 + 0.05 * score / 100)

    leads = pd.DataFrame(
        {
            "lead_id": np.char.add("L", np.char.zfill(np.arange(1, n + 1).astype(str), 7)),
            "created_at": created,
            "channel": _cat(ch_i, ch_names),
            "campaign": campaign,
            "persona": _cat(pe_i, pe_names),
            "industry": _cat(industry_i, INDUSTRIES),
            "country": _cat(co_i, co_names),
            "company_size": size,
            "score": score,
            "demo_request": demo,
            "page_views": page_views,
            "form_submissions": forms,
        }
    )
    fi, la = rng.integers(0, len(_FIRST), n), rng.integers(0, len(_LAST), n)
    ca, cb = rng.integers(0, len(_CO_A), n), rng.integers(0, len(_CO_B), n)
    first, last = np.array(_FIRST)[fi], np.array(_LAST)[la]
    company = np.char.add(np.char.add(np.array(_CO_A)[ca], " "), np.array(_CO_B)[cb])
    leads.insert(1, "first_name", first)
    leads.insert(2, "last_name", last)
    leads.insert(3, "company", company)
    slug = pd.Series(company).str.lower().str.replace(" ", "", regex=False)
    local = pd.Series(first).str.lower() + "." + pd.Series(last).str.lower().str.replace("'", "")
    leads.insert(4, "email", (local + "@" + slug + ".example").to_numpy())

    # Qualification: the MQL definition in force on the creation day decides.
    vidx = in_force_index(versions, created)
    is_mql = np.zeros(n, dtype=bool)
    for i, sla in enumerate(versions):
        sel = vidx == i
        is_mql[sel] = mql_mask(leads.loc[sel], sla.mql)
    mql_at = created + _hours(np.where(demo, rng.exponential(1.0, n), rng.exponential(18.0, n)))
    is_mql &= mql_at <= now
    mql_at = np.where(is_mql, mql_at, nat)
    m = np.flatnonzero(is_mql)
    k = len(m)

    # Handoff: an owner per MQL; speed to first touch per rep (one rep is slow), in working hours of the
    # calendar in force at the handoff (wall-clock hours on a 24/7 calendar), demo requests first.
    reps = np.array(REPS)
    owner_i = rng.integers(0, len(reps), k)
    slow = reps[owner_i] == SLOW_REP
    m_demo = demo[m]
    codes, clocks = lead_clocks([s.calendar for s in versions], in_force_index(versions, mql_at[m]), reps[owner_i])
    first_delay = np.where(slow, rng.lognormal(np.log(9.0), 0.8, k), rng.lognormal(np.log(1.2), 1.0, k))
    first_delay = np.where(m_demo, first_delay / DEMO_SPEEDUP, first_delay)
    untouched = rng.random(k) < np.where(slow, 0.10, 0.02)
    n_pre = 1 + rng.poisson(np.where(slow, 1.0, 3.5), k)
    n_pre[untouched] = 0
    m_score = score[m]
    p_accept = np.clip(accept_base[m] + 0.004 * (m_score - 55), 0.03, 0.97)
    accept = rng.random(k) < p_accept
    speed = SPEED_FLOOR + (1 - SPEED_FLOOR) * 0.5 ** (first_delay / SPEED_HALF_HOURS)
    speed /= speed.mean() if k else 1.0
    p_sql = np.clip((0.10 + 0.75 * (m_score / 100) ** 1.6 + DEMO_SQL_LIFT * m_demo) * speed, 0, 0.95)
    sql = accept & (rng.random(k) < p_sql)
    opp = sql & (rng.random(k) < 0.85)
    won = opp & (rng.random(k) < (0.12 + 0.24 * m_score / 100 + DEMO_WON_LIFT * m_demo))
    n_post = np.where(accept, 3 + rng.poisson(5.0, k), 0) + np.where(opp, rng.poisson(12.0, k), 0)

    # Planted: the slow rep's latest MQLs (half a day to six days old, past their first-touch due time)
    # nobody has called yet.
    age = (now - mql_at[m]) / np.timedelta64(1, "h")
    handed = leads.iloc[m][["channel", "persona", "company_size", "demo_request"]].assign(
        mql_at=mql_at[m], owner=reps[owner_i]
    )
    due = follow_up_rules(handed, versions)["first_touch_due"].to_numpy("datetime64[ns]")
    planted = np.flatnonzero(slow & (age > 12) & (age < 6 * 24) & (due < now))[:PLANTED_BREACHES]
    untouched[planted] = True
    n_pre[planted] = 0
    n_post[planted] = 0

    # Touches: pre-decision attempts about a working day apart, then deal work a few working days apart,
    # all in working hours after the handoff.
    counts = n_pre + n_post
    lead_of = np.repeat(np.arange(k), counts)
    j = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    pre = j < n_pre[lead_of]
    gaps = np.where(j == 0, 0.0, np.where(pre, rng.exponential(7.0, len(j)), rng.exponential(23.0, len(j))))
    offset = _group_cumsum(gaps, counts)
    touch_at = per_clock(codes[lead_of], clocks, "add_hours", mql_at[m][lead_of], first_delay[lead_of] + offset)
    last_pre = np.zeros(k)
    has_pre = n_pre > 0
    pre_end_idx = np.cumsum(counts) - counts + n_pre - 1
    last_pre[has_pre] = offset[pre_end_idx[has_pre]]
    worked_to_decision = first_delay + last_pre + rng.exponential(2.0, k)
    # Untouched MQLs: half are rejected unseen (bad data, students), the rest nobody decides on.
    unseen_reject = untouched & (rng.random(k) < 0.5)
    unseen_reject[planted] = False
    worked_to_decision = np.where(untouched, rng.exponential(10.0, k), worked_to_decision)
    decided_at = per_clock(codes, clocks, "add_hours", mql_at[m], worked_to_decision)
    decided = ~untouched | unseen_reject
    accept &= ~untouched
    sql &= accept
    opp &= sql
    won &= opp

    def _at(mask: np.ndarray, base: np.ndarray, mean_hours: float) -> np.ndarray:
        t = base + _hours(rng.exponential(mean_hours, k))
        return np.where(mask & (t <= now), t, nat)

    decided &= decided_at <= now
    accepted_at = np.where(decided & accept, decided_at, nat)
    rejected_at = np.where(decided & ~accept, decided_at, nat)
    sql_at = _at(sql & ~np.isnat(accepted_at), accepted_at, 24 * 6)
    opp_at = _at(opp & ~np.isnat(sql_at), sql_at, 24 * 3)
    won_at = _at(won & ~np.isnat(opp_at), opp_at, 24 * 24)
    lost_at = _at(~won & ~np.isnat(opp_at), opp_at, 24 * 30)
    amount = np.where(~np.isnat(won_at), np.round(rng.lognormal(np.log(10500), 0.45, k), -2), np.nan)

    # Rejection reasons (the junk channel has one dominant reason) and where the lead goes next.
    rejected = ~np.isnat(rejected_at)
    reason = np.full(k, None, dtype=object)
    junk = ch_names[ch_i[m]] == JUNK_CHANNEL
    for mask, dist in ((rejected & junk, _REASONS_JUNK), (rejected & ~junk, _REASONS_USUAL)):
        idx, keys = _pick(rng, dist, int(mask.sum()))
        reason[mask] = keys[idx]
    unseen = rejected & untouched
    reason[unseen] = np.array(["bad_data", "student", "not_icp"], dtype=object)[rng.integers(0, 3, unseen.sum())]
    recycled_at = np.full(k, nat)
    disq_at = np.full(k, nat)
    rv = in_force_index(versions, np.where(rejected, rejected_at, mql_at[m]))
    for i, sla in enumerate(versions):
        actions = sla.reason_action()
        sel = rejected & (rv == i)
        goes = np.array([actions.get(r, "nurture") for r in reason[sel]], dtype=object)
        idx = np.flatnonzero(sel)
        recycled_at[idx[goes == "nurture"]] = rejected_at[idx[goes == "nurture"]]
        disq_at[idx[goes == "disqualify"]] = rejected_at[idx[goes == "disqualify"]]
        stale_days = np.timedelta64(sla.recycle.stale_after_days, "D")
        stale = (~rejected) & np.isnat(accepted_at) & (rv == i) & (mql_at[m] + stale_days <= now)
        recycled_at[stale] = mql_at[m][stale] + stale_days

    def _full(values: np.ndarray, fill: object) -> np.ndarray:
        out = np.full(n, fill, dtype=values.dtype if values.dtype.kind != "U" else object)
        out[m] = values
        return out

    leads["owner"] = _cat(_full(owner_i, -1), REPS)
    leads["mql_at"] = mql_at
    leads["accepted_at"] = _full(accepted_at, nat)
    leads["rejected_at"] = _full(rejected_at, nat)
    leads["rejection_reason"] = pd.Categorical(_full(reason, None))
    leads["recycled_at"] = _full(recycled_at, nat)
    leads["disqualified_at"] = _full(disq_at, nat)
    leads["sql_at"] = _full(sql_at, nat)
    leads["opportunity_at"] = _full(opp_at, nat)
    leads["won_at"] = _full(won_at, nat)
    leads["lost_at"] = _full(lost_at, nat)
    leads["amount"] = _full(amount, np.nan)

    # Touch rows: kinds and outcomes; nothing after the snapshot or after a rejection.
    kind_roll = rng.random(len(j))
    kind = np.where(
        pre,
        np.where(kind_roll < 0.55, "call", np.where(kind_roll < 0.95, "email", "linkedin")),
        np.where(kind_roll < 0.3, "meeting", np.where(kind_roll < 0.65, "call", "email")),
    )
    out_roll = rng.random(len(j))
    outcome = np.select(
        [kind == "call", kind == "email", kind == "meeting"],
        [
            np.where(out_roll < 0.55, "no answer", np.where(out_roll < 0.8, "voicemail", "connected")),
            np.where(out_roll < 0.85, "sent", "replied"),
            np.where(out_roll < 0.88, "held", "no-show"),
        ],
        np.where(out_roll < 0.8, "sent", "replied"),
    )
    end = np.where(np.isnat(rejected_at), now, rejected_at)[lead_of]
    keep = (touch_at <= end) & (touch_at <= now)
    touches = pd.DataFrame(
        {
            "lead_id": leads["lead_id"].to_numpy()[m[lead_of[keep]]],
            "rep": _cat(owner_i[lead_of[keep]], REPS),
            "at": touch_at[keep],
            "kind": pd.Categorical(kind[keep]),
            "outcome": pd.Categorical(outcome[keep]),
        }
    )
    touches = touches.take(np.argsort(touches["at"].to_numpy(), kind="stable")).reset_index(drop=True)

    # Feedback rows: one per decision; a share of rejections carry the rep's note, verbatim.
    dec = np.flatnonzero(~np.isnat(accepted_at) | rejected)
    note = np.full(len(dec), "", dtype=object)
    with_note = rejected[dec] & (rng.random(len(dec)) < 0.45)
    pick = rng.random(len(dec))
    for r, texts in _NOTES.items():
        sel = with_note & (reason[dec] == r)
        note[sel] = np.array(texts, dtype=object)[(pick[sel] * len(texts)).astype(int)]
    feedback = pd.DataFrame(
        {
            "lead_id": leads["lead_id"].to_numpy()[m[dec]],
            "decision": np.where(rejected[dec], "reject", "accept"),
            "reason": reason[dec],
            "note": note,
            "by": _cat(owner_i[dec], REPS),
            "at": np.where(rejected[dec], rejected_at[dec], accepted_at[dec]),
        }
    ).sort_values(["at", "lead_id"], kind="stable", ignore_index=True)
    for frame in (leads, touches, feedback):  # whole seconds, as the files store them: the same data either way
        for column in frame.columns:
            if frame[column].dtype.kind == "M":
                frame[column] = frame[column].dt.floor("s")
    return Generated(leads=leads, touches=touches, feedback=feedback, as_of=as_of)


def write_csv(data: Generated, folder: str | Path) -> None:
    """Write the data set as the app's own gzipped CSV files (byte-identical for the same data)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    gz = {"method": "gzip", "mtime": 0}
    fmt = "%Y-%m-%dT%H:%M:%S"
    for name, frame in (("leads", data.leads), ("touches", data.touches), ("feedback", data.feedback)):
        frame.to_csv(folder / f"{name}.csv.gz", index=False, compression=gz, date_format=fmt, lineterminator="\n")
    (folder / "snapshot.txt").write_text(data.as_of.isoformat() + "\n", encoding="utf-8")

"""Business hours and tiered follow-up policies, against times worked out by hand.

Every timestamp in the data is naive UTC; the comments give each one in the calendar's local time.
"""

import datetime as dt
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla_model.agreement.calendar import WEEKDAYS, Calendar, work_clock
from sla_model.agreement.sla import STANDARD, SlaError, load_sla_file, parse_sla, sla_to_dict
from sla_model.metrics.handoff import at_risk
from sla_model.metrics.timing import breach_list, follow_up_rules, speed_to_lead, touch_summary, working_hours_left
from tests.factories import leads_frame, legacy_sla_text, make_lead, make_sla, make_touch, touches_frame

WEEK_9_TO_5 = dict.fromkeys(WEEKDAYS[:5], "09:00-17:00")
NEW_YORK = Calendar(timezone="America/New_York", hours=WEEK_9_TO_5, holidays=[dt.date(2026, 11, 26)])
BERLIN = Calendar(timezone="Europe/Berlin", hours=WEEK_9_TO_5, holidays=[dt.date(2026, 12, 25)])


def _utc(text: str) -> np.datetime64:
    return np.datetime64(pd.Timestamp(text), "ns")


def _one(values) -> pd.Timestamp:
    (value,) = np.asarray(values)
    return pd.Timestamp(value)


# --- the clock ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "due", "why"),
    [
        # Friday 6 Nov 2026 16:00 EST = 21:00 UTC: 1 h on Friday, 7 on Monday → Monday 16:00 EST.
        ("2026-11-06 21:00", 8, "2026-11-09 21:00", "over a weekend"),
        # Friday 17:00 EST: the clock starts Monday 09:00 → Monday 17:00 EST = 22:00 UTC.
        ("2026-11-06 22:00", 8, "2026-11-09 22:00", "handed over at closing time"),
        # Saturday noon: outside hours, due Monday 09:00 + 2 h = 11:00 EST = 16:00 UTC.
        ("2026-11-07 17:00", 2, "2026-11-09 16:00", "handed over on a Saturday"),
        # Wednesday 25 Nov 16:00 EST + 4 h: 1 h Wednesday, Thursday is Thanksgiving, 3 h Friday → 12:00 EST.
        ("2026-11-25 21:00", 4, "2026-11-27 17:00", "over a holiday"),
        # Tuesday 07:00 EST, before opening: due 09:00 + 1 h = 10:00 EST = 15:00 UTC.
        ("2026-11-10 12:00", 1, "2026-11-10 15:00", "before opening"),
        # Friday 30 Oct 16:00 EDT (20:00 UTC) + 2 h: New York leaves daylight saving on 1 Nov, so Monday's
        # 10:00 EST is 15:00 UTC, not 14:00.
        ("2026-10-30 20:00", 2, "2026-11-02 15:00", "New York's DST change"),
        # 8 business hours from Monday 09:00 EST fill the day exactly: due at its close, not next morning.
        ("2026-11-09 14:00", 8, "2026-11-09 22:00", "a whole day"),
    ],
)
def test_new_york_due_times(start, hours, due, why):
    clock = work_clock(NEW_YORK)
    assert _one(clock.add_hours(_utc(start), hours)) == pd.Timestamp(due), why


def test_berlin_due_times_across_daylight_saving_and_christmas():
    clock = work_clock(BERLIN)
    # Friday 23 Oct 2026 16:00 CEST = 14:00 UTC; Berlin leaves DST on Sunday 25 Oct; +3 h: 1 h Friday,
    # then Monday 09:00 CET + 2 h = 11:00 CET = 10:00 UTC.
    assert _one(clock.add_hours(_utc("2026-10-23 14:00"), 3)) == pd.Timestamp("2026-10-26 10:00")
    # Friday 27 Mar 2026 16:00 CET = 15:00 UTC; DST starts on Sunday 29 Mar; +2 h → Monday 10:00 CEST = 08:00 UTC.
    assert _one(clock.add_hours(_utc("2026-03-27 15:00"), 2)) == pd.Timestamp("2026-03-30 08:00")
    # Thursday 24 Dec 16:00 CET + 4 h: 1 h Thursday, Christmas Day off, 3 h Monday 28 Dec → 12:00 CET = 11:00 UTC.
    assert _one(clock.add_hours(_utc("2026-12-24 15:00"), 4)) == pd.Timestamp("2026-12-28 11:00")
    # Working hours between Friday 15:00 CEST and Monday 10:00 CET: 2 + 1.
    between = clock.hours_between(_utc("2026-10-23 13:00"), _utc("2026-10-26 09:00"))
    assert between.tolist() == [3.0]


def test_business_days_end_at_the_close_of_the_dth_day_after_the_handoff_day():
    clock = work_clock(NEW_YORK)
    # Handed over Tuesday 10 Nov: 2 business days → the close of Thursday 12 Nov (17:00 EST = 22:00 UTC).
    assert _one(clock.add_days(_utc("2026-11-10 15:00"), 2)) == pd.Timestamp("2026-11-12 22:00")
    # Wednesday 25 Nov + 1 business day skips Thanksgiving: Friday's close.
    assert _one(clock.add_days(_utc("2026-11-25 15:00"), 1)) == pd.Timestamp("2026-11-27 22:00")
    # Friday 22:30 EST is Saturday 03:30 UTC: the local day (Friday) counts, so 1 business day is Monday.
    assert _one(clock.add_days(_utc("2026-11-07 03:30"), 1)) == pd.Timestamp("2026-11-09 22:00")


def test_a_24_7_calendar_is_the_wall_clock():
    clock = work_clock(Calendar())
    assert _one(clock.add_hours(_utc("2026-11-07 17:00"), 2.5)) == pd.Timestamp("2026-11-07 19:30")
    assert _one(clock.add_days(_utc("2026-11-07 17:00"), 3)) == pd.Timestamp("2026-11-10 17:00")
    assert clock.hours_between(_utc("2026-11-07 17:00"), _utc("2026-11-07 15:00")).tolist() == [-2.0]


def test_lunch_breaks_and_missing_times():
    lunch = Calendar(timezone="UTC", hours={"mon": "09:00-12:00, 13:00-17:00"})
    clock = work_clock(lunch)
    # Monday 9 Nov 11:00 + 2 h: 1 h before lunch, 1 h after → 14:00.
    assert _one(clock.add_hours(_utc("2026-11-09 11:00"), 2)) == pd.Timestamp("2026-11-09 14:00")
    out = clock.add_hours(np.array(["NaT", "2026-11-09 11:00"], dtype="datetime64[ns]"), 1)
    assert np.isnat(out[0]) and pd.Timestamp(out[1]) == pd.Timestamp("2026-11-09 12:00")
    assert np.isnan(clock.hours_between(np.array(["NaT"], dtype="datetime64[ns]"), _utc("2026-11-09 11:00"))[0])


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2027, 12, 31)),
    hours=st.floats(min_value=0.25, max_value=400, allow_nan=False),
)
def test_adding_working_hours_and_measuring_them_agree(start, hours):
    clock = work_clock(BERLIN)
    due = clock.add_hours(np.datetime64(start, "ns"), hours)
    assert clock.hours_between(np.datetime64(start, "ns"), due)[0] == pytest.approx(hours, abs=1e-6)
    assert due[0] >= np.datetime64(start, "ns")


# --- the SLA file --------------------------------------------------------------------------------------


def test_calendar_and_policies_in_an_sla_file(tmp_path: Path):
    path = tmp_path / "sla.toml"
    base = legacy_sla_text("v1.toml")  # the shipped file without its own calendar and policies
    path.write_text(
        base
        + """
[calendar]
timezone = "America/New_York"
hours = { mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00", thu = "09:00-17:00", fri = "09:00-17:00" }
holidays = [2026-11-26, 2026-12-25]
owner_timezones = { "Jonas Weber" = "Europe/Berlin" }

[[follow_up.policies]]
name = "Demo requests"
demo_request = true
first_touch_hours = 1

[[follow_up.policies]]
name = "Enterprise"
min_company_size = 1000
first_touch_hours = 4
decision_hours = 24
""",
        encoding="utf-8",
    )
    sla = load_sla_file(path)
    assert sla.calendar.timezone == "America/New_York" and sla.calendar.holidays[0] == dt.date(2026, 11, 26)
    assert [p.name for p in sla.follow_up.policies] == ["Demo requests", "Enterprise"]
    assert sla.follow_up.rules(sla.follow_up.policies[1])["decision_hours"] == 24
    assert sla.follow_up.rules(sla.follow_up.policies[0])["decision_hours"] == sla.follow_up.decision_hours
    assert parse_sla(sla_to_dict(sla)) == sla  # stored and read back unchanged


def test_old_sla_files_load_as_24_7_with_one_policy():
    sample = Path(__file__).parents[1] / "sample_data"
    for path in sorted(sample.glob("sla/*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        data.pop("calendar", None)
        data["follow_up"].pop("policies", None)
        sla = parse_sla(data)
        assert sla.calendar.always and sla.follow_up.policies == []
    written = sla_to_dict(make_sla()) | {"calendar": "24/7"}
    assert parse_sla(written).calendar.always


def test_an_old_sla_file_judges_in_wall_clock_hours_with_one_set_of_rules(tmp_path: Path):
    """A file written before business hours and policies: a demo request handed over on Saturday night gets the
    standard 24 wall-clock hours, not one business hour on Monday."""
    path = tmp_path / "v1.toml"
    path.write_text(legacy_sla_text("v1.toml"), encoding="utf-8")
    sla = load_sla_file(path)
    assert sla.calendar.always and sla.follow_up.policies == []
    leads = leads_frame(make_lead("demo", mql_at="2026-11-07 22:00", demo_request=True, owner="Grace Kim"))
    rules = follow_up_rules(leads, [sla])
    assert rules["policy"].tolist() == [STANDARD]
    assert rules["first_touch_due"].tolist() == [pd.Timestamp("2026-11-07 22:00") + pd.Timedelta(hours=24)]
    touches = touches_frame(make_touch("demo", "2026-11-08 10:30"))  # Sunday: 12.5 wall-clock hours later
    assert touch_summary(leads, touches, [sla])["hours_to_first_touch"].tolist() == [12.5]


def test_the_shipped_slas_count_business_hours_with_a_holiday_and_a_demo_policy(sample_versions):
    """The same Saturday-night demo request under the shipped v2: due one business hour after Monday 09:00 New
    York time, and a holiday on the way moves the due time a day on."""
    v2 = sample_versions[-1]
    assert not v2.calendar.always and v2.calendar.holidays
    leads = leads_frame(
        make_lead("demo", mql_at="2026-11-07 22:00", demo_request=True, owner="Grace Kim"),
        make_lead("other", mql_at="2026-11-07 22:00", demo_request=False, owner="Grace Kim"),
        make_lead("holiday", mql_at="2026-07-02 20:30", demo_request=True, owner="Grace Kim"),  # Thu 16:30 EDT
    )
    rules = follow_up_rules(leads, sample_versions)
    assert rules["policy"].tolist() == ["Demo requests", STANDARD, "Demo requests"]
    assert rules["first_touch_hours"].tolist() == [1.0, 8.0, 1.0]
    # Mon 9 Nov 09:00 EST = 14:00 UTC; + 1 h, + 8 h (the whole Monday, 17:00 EST = 22:00 UTC)
    # Thursday 2 July: half an hour before the 17:00 EDT close, Friday 3 July off, the rest on Monday 6 July 09:30 EDT
    assert rules["first_touch_due"].tolist() == [
        pd.Timestamp("2026-11-09 15:00"), pd.Timestamp("2026-11-09 22:00"), pd.Timestamp("2026-07-06 13:30"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"calendar": {"timezone": "Mars/Olympus", "hours": WEEK_9_TO_5}}, "calendar.timezone: 'Mars/Olympus' is not"),
        ({"calendar": {"hours": {"monday": "09:00-17:00"}}}, "'monday' is not a weekday"),
        ({"calendar": {"hours": {"mon": "17:00-09:00"}}}, "must end after it starts"),
        ({"calendar": {"hours": {"mon": "9-5"}}}, "'9-5' is not a span like 09:00-17:00"),
        ({"calendar": {"holidays": [dt.date(2026, 12, 25)]}}, "needs working hours"),
        ({"calendar": "weekdays"}, 'calendar must be "24/7" or a table'),
    ],
)
def test_bad_calendars_name_the_field(section, message):
    with pytest.raises(SlaError, match=message.replace("(", r"\(")):
        parse_sla(sla_to_dict(make_sla()) | section, source="sla.toml")


def test_bad_policies_name_the_problem():
    data = sla_to_dict(make_sla())
    data["follow_up"]["policies"] = [{"name": "Everyone", "first_touch_hours": 1}]
    with pytest.raises(SlaError, match="policy 'Everyone' names no condition"):
        parse_sla(data)
    data["follow_up"]["policies"] = [{"name": "A", "channels": ["Events"]}, {"name": "A", "demo_request": True}]
    with pytest.raises(SlaError, match="repeated: A"):
        parse_sla(data)
    data["follow_up"]["policies"] = [{"name": STANDARD, "channels": ["Events"]}]
    with pytest.raises(SlaError, match="repeated: Standard"):
        parse_sla(data)


# --- the rules on leads --------------------------------------------------------------------------------

TIERED = make_sla(
    meta={"version": 1, "effective_from": dt.date(2026, 1, 1)},
    follow_up={
        "first_touch_hours": 8,
        "min_touches": 2,
        "touch_window_days": 2,
        "decision_hours": 16,
        "policies": [
            {"name": "Demo requests", "demo_request": True, "first_touch_hours": 1},
            {"name": "Enterprise", "min_company_size": 1000, "first_touch_hours": 4, "decision_hours": 8},
        ],
    },
    calendar={"timezone": "America/New_York", "hours": WEEK_9_TO_5, "holidays": [dt.date(2026, 11, 26)],
              "owner_timezones": {"Jonas Weber": "Europe/Berlin"}},
)  # fmt: skip
#: Friday 6 Nov 2026 16:00 EST.
FRIDAY_4PM = "2026-11-06 21:00"


def _tiered_leads() -> pd.DataFrame:
    return leads_frame(
        # A demo request from a big company: the first policy that covers it wins (1 h).
        make_lead("demo-big", mql_at=FRIDAY_4PM, demo_request=True, company_size=5000, owner="Grace Kim"),
        make_lead("big", mql_at=FRIDAY_4PM, company_size=1200, owner="Grace Kim"),
        make_lead("small", mql_at=FRIDAY_4PM, company_size=20, owner="Grace Kim"),
        # Jonas works in Berlin: Friday 22:00 CET is after hours, his clock starts Monday 09:00 CET (08:00 UTC).
        make_lead("berlin", mql_at=FRIDAY_4PM, company_size=20, owner="Jonas Weber"),
    )


def test_first_matching_policy_wins_and_due_times_count_business_hours():
    rules = follow_up_rules(_tiered_leads(), [TIERED])
    assert rules["policy"].tolist() == ["Demo requests", "Enterprise", STANDARD, STANDARD]
    assert rules["first_touch_hours"].tolist() == [1.0, 4.0, 8.0, 8.0]
    assert rules["decision_hours"].tolist() == [16.0, 8.0, 16.0, 16.0]
    # 1 h: due Friday 17:00 EST; 4 h: 1 on Friday + 3 on Monday → 12:00 EST; 8 h → Monday 16:00 EST.
    # Berlin: Monday 09:00 CET + 8 h = 17:00 CET = 16:00 UTC.
    assert rules["first_touch_due"].tolist() == [pd.Timestamp(t) for t in
                                                 ("2026-11-06 22:00", "2026-11-09 17:00", "2026-11-09 21:00",
                                                  "2026-11-09 16:00")]  # fmt: skip
    # Decision in 16 h: 1 h Friday + 8 Monday + 7 Tuesday → Tuesday 16:00 EST; 8 h → Monday 16:00 EST.
    decision = ("2026-11-10 21:00", "2026-11-09 21:00", "2026-11-10 21:00")
    assert rules["decision_due"].tolist()[:3] == [pd.Timestamp(t) for t in decision]
    # 2 touches within 2 business days of Friday: the close of Tuesday (17:00 EST; 17:00 CET for Berlin).
    assert rules["window_due"].tolist() == [pd.Timestamp(t) for t in
                                            ["2026-11-10 22:00"] * 3 + ["2026-11-10 16:00"]]  # fmt: skip


def test_speed_to_lead_counts_business_hours_and_a_touch_before_the_clock_starts_is_on_time():
    leads = _tiered_leads()
    touches = touches_frame(
        make_touch("small", "2026-11-07 15:00"),  # Saturday 10:00 EST: only Friday's last hour counted → 1 h
        make_touch("berlin", "2026-11-07 10:00"),  # Saturday 11:00 CET: before Jonas's clock starts → 0 h
        make_touch("big", "2026-11-09 18:00"),  # Monday 13:00 EST: 1 h Friday + 4 h Monday = 5 h > 4 → late
        make_touch("demo-big", "2026-11-06 21:45"),  # 45 minutes
    )
    summary = touch_summary(leads, touches, [TIERED])
    judged = speed_to_lead(summary, pd.Timestamp("2026-11-10 12:00")).set_index("lead_id")
    assert judged.loc["small", "hours_to_first_touch"] == 1.0 and judged.loc["small", "status"] == "within"
    assert judged.loc["berlin", "hours_to_first_touch"] == 0.0 and judged.loc["berlin", "status"] == "within"
    assert judged.loc["big", "hours_to_first_touch"] == 5.0 and judged.loc["big", "status"] == "late"
    assert judged.loc["demo-big", "hours_to_first_touch"] == 0.75 and judged.loc["demo-big", "status"] == "within"
    # Untouched, the standard lead is due Monday 16:00 EST (21:00 UTC): open at 20:00 UTC, missed after.
    untouched = touch_summary(leads, touches.iloc[:0], [TIERED])
    assert (
        speed_to_lead(untouched, pd.Timestamp("2026-11-09 20:00")).set_index("lead_id").loc["small", "status"] == "open"
    )
    assert (
        speed_to_lead(untouched, pd.Timestamp("2026-11-09 21:01")).set_index("lead_id").loc["small", "status"]
        == "missed"
    )


def test_the_breach_list_names_the_policy_broken_and_waits_for_business_hours():
    leads = _tiered_leads()
    summary = touch_summary(leads, touches_frame(), [TIERED])
    # Saturday: 20 wall-clock hours after the handoff, only the demo request (due Friday 17:00 EST) is broken.
    saturday = breach_list(summary, leads, pd.Timestamp("2026-11-07 17:00"), versions=[TIERED])
    assert saturday["lead_id"].tolist() == ["demo-big"] and saturday["policy"].tolist() == ["Demo requests"]
    assert saturday["breach"].tolist() == ["no touch after 1 business h"]
    # Monday 12:30 EST: the enterprise lead's 4 business hours ran out at 12:00, and Jonas's lead (Berlin,
    # due 17:00 CET = 16:00 UTC) too; the standard New York lead has until 16:00 EST.
    monday = breach_list(summary, leads, pd.Timestamp("2026-11-09 17:30"))
    assert set(monday["lead_id"]) == {"demo-big", "big", "berlin"}
    assert monday.set_index("lead_id").loc["big", "policy"] == "Enterprise"


def test_time_left_and_breach_risk_count_working_hours():
    leads = _tiered_leads()
    summary = touch_summary(leads, touches_frame(), [TIERED])
    saturday = pd.Timestamp("2026-11-07 17:00")
    # On Saturday no working hour passes: the standard lead still has 7 of its 8 first-touch hours.
    left = working_hours_left(summary, "first_touch_due", saturday, [TIERED])
    assert left.tolist() == [0.0, 3.0, 7.0, 8.0]
    risk = at_risk(summary, leads, saturday, 4, versions=[TIERED])
    # Within 4 business hours: the enterprise lead (3 h left). The demo request has no working hour left: broken.
    assert risk["lead_id"].tolist() == ["big"] and risk["policy"].tolist() == ["Enterprise"]
    assert risk["hours_left"].tolist() == [3.0]
    # On the wall clock the same Saturday would put nobody at risk within 4 h (big is due in 48 h).
    assert at_risk(summary, leads, saturday, 4)["lead_id"].tolist() == []


def test_a_what_if_candidate_published_keeps_the_calendar_and_the_policies():
    from sla_model.whatif.candidate import Candidate

    candidate = Candidate.from_sla(TIERED, team_size=3, capacity_per_rep_week=20).replace(first_touch_hours=6)
    published = candidate.to_sla(TIERED, version=2, effective_from=dt.date(2026, 12, 1), author="Maya", change_note="")
    assert published.follow_up.first_touch_hours == 6
    assert published.follow_up.policies == TIERED.follow_up.policies and published.calendar == TIERED.calendar


def test_a_leads_history_names_its_policy_and_business_hours():
    from sla_model.review.history import lead_history

    leads = _tiered_leads()
    lead = leads.set_index("lead_id", drop=False).loc["big"]
    touches = touches_frame(make_touch("big", "2026-11-09 18:00"))  # Monday 13:00 EST: 5 business hours, late
    empty = pd.DataFrame(columns=["lead_id", "reason", "note", "at", "rep"])
    audit = pd.DataFrame(columns=["at", "actor", "action", "detail"])
    history = lead_history(lead, touches=touches, feedback=empty, audit=audit, versions=[TIERED],
                           as_of=pd.Timestamp("2026-11-10 12:00"))  # fmt: skip
    checks = history.checks.set_index("rule")
    assert checks.loc["First touch within 4 business h (Enterprise)", "result"] == "broken"
    assert checks.loc["First touch within 4 business h (Enterprise)", "due"] == pd.Timestamp("2026-11-09 17:00")
    assert checks.loc["Accept or reject within 8 business h (Enterprise)", "due"] == pd.Timestamp("2026-11-09 21:00")
    assert "2 touches within 2 business days (Enterprise)" in checks.index


def test_the_what_if_replay_counts_the_same_business_hours_as_the_pages():
    from sla_model.whatif.follow_up import follow_up_replay

    hours_only = make_sla(follow_up={"first_touch_hours": 4, "min_touches": 2, "touch_window_days": 2,
                                     "decision_hours": 16}, calendar=TIERED.calendar)  # fmt: skip
    leads = _tiered_leads()
    touches = touches_frame(
        make_touch("small", "2026-11-09 16:30"),  # 1 h Friday + 2.5 h Monday = 3.5 h: within 4
        make_touch("big", "2026-11-09 17:30"),  # 4.5 h: late (on the wall clock it would be 68.5 h, also late)
        make_touch("berlin", "2026-11-09 10:00"),  # Berlin: Monday 09:00 CET start + 2 h: within
    )
    as_of = pd.Timestamp("2026-11-20 12:00")
    judged = speed_to_lead(touch_summary(leads, touches, [hours_only]), as_of)
    replay = follow_up_replay(leads, touches, months=pd.PeriodIndex(["2026-11"], freq="M"), as_of=as_of,
                              first_touch_hours=4, min_touches=2, touch_window_days=2, decision_hours=16,
                              calendar=hours_only.calendar)  # fmt: skip
    first = replay.loc["first_touch"]
    assert (first["judged"], first["within"]) == (
        int(judged["judged"].sum()),
        int((judged["status"] == "within").sum()),
    )
    assert (first["judged"], first["within"]) == (4, 2)  # demo-big never touched (missed), big late
    wall = follow_up_replay(leads, touches, months=pd.PeriodIndex(["2026-11"], freq="M"), as_of=as_of,
                            first_touch_hours=4, min_touches=2, touch_window_days=2, decision_hours=16)  # fmt: skip
    assert wall.loc["first_touch", "within"] == 0  # on the wall clock every touch came days after the handoff


def test_an_sla_with_policies_and_a_calendar_writes_to_toml_and_reads_back():
    import tomli_w

    text = tomli_w.dumps(sla_to_dict(TIERED))  # a policy leaves rules out: nothing in the file is null
    assert parse_sla(tomllib.loads(text)) == TIERED


def test_the_policy_replay_judges_each_mql_by_its_policy_as_the_pages_do():
    from sla_model.whatif.follow_up import policy_replay

    leads = _tiered_leads()
    touches = touches_frame(
        make_touch("demo-big", "2026-11-06 21:45"),  # 0.75 h: within Demo requests' 1 h
        make_touch("big", "2026-11-09 18:00"),  # 5 business hours: late for Enterprise's 4 h
        make_touch("small", "2026-11-09 16:00"),  # 1 + 2 = 3 business hours: within the standard 8 h
    )
    as_of = pd.Timestamp("2026-11-20 12:00")
    judged = speed_to_lead(touch_summary(leads, touches, [TIERED]), as_of)
    f = TIERED.follow_up
    replay = policy_replay(leads, touches, months=pd.PeriodIndex(["2026-11"], freq="M"), as_of=as_of,
                           rules=f.rules(), policies=f.policies, calendar=TIERED.calendar)  # fmt: skip
    replay = replay.set_index("policy")
    assert replay.index.tolist() == ["Demo requests", "Enterprise", STANDARD]
    for policy, group in judged.groupby("policy"):
        within = int((group["status"] == "within").sum())
        assert replay.loc[policy, "first_touch_judged"] == int(group["judged"].sum())
        assert replay.loc[policy, "first_touch_share"] == pytest.approx(within / group["judged"].sum())
    # By hand: Demo 1 of 1, Enterprise 0 of 1, Standard: small within, berlin never touched (missed) → 1 of 2.
    assert replay["first_touch_share"].tolist() == [1.0, 0.0, 0.5]
    assert replay["mqls_per_month"].tolist() == [1.0, 1.0, 2.0]


def test_the_readmes_calendar_and_policies_example_is_a_valid_sla_section():
    root = Path(__file__).parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    example = readme.split("### Business hours and follow-up policies")[1].split("```toml")[1].split("```")[0]
    sla = parse_sla(tomllib.loads(legacy_sla_text("v2.toml") + example))
    assert sla.calendar.describe() == "Mon–Thu 09:00-17:00; Fri 09:00-12:00, 13:00-17:00, America/New_York, 2 holidays"
    assert [p.name for p in sla.follow_up.policies] == ["Demo requests", "Enterprise"]
    assert sla.calendar.owner_timezones == {"Jonas Weber": "Europe/Berlin"}


def test_a_rule_due_at_closing_time_is_broken_the_next_morning_on_every_page():
    """Due Friday 17:00: on Saturday the lead is in breach everywhere, and a touch on Monday 09:00 is late.

    No working hour passes between Friday's close and Monday's opening, so measured in working hours the Monday
    touch is "1 h after the handoff"; it still came after the due moment, and that is what every page judges.
    """
    from ui.my_leads import queue_table

    sla = make_sla(follow_up={"first_touch_hours": 1, "min_touches": 1, "touch_window_days": 5, "decision_hours": 40},
                   calendar={"timezone": "UTC", "hours": WEEK_9_TO_5})  # fmt: skip
    leads = leads_frame(make_lead("a", mql_at="2026-11-06 16:00", owner="Grace Kim"))  # Friday 16:00 UTC
    saturday = pd.Timestamp("2026-11-07 12:00")
    summary = touch_summary(leads, touches_frame(), [sla])
    assert summary["first_touch_due"].tolist() == [pd.Timestamp("2026-11-06 17:00")]
    assert breach_list(summary, leads, saturday)["lead_id"].tolist() == ["a"]
    assert at_risk(summary, leads, saturday, 100, versions=[sla]).empty  # broken, so not "at risk"
    assert speed_to_lead(summary, saturday)["status"].tolist() == ["missed"]
    queue = leads.assign(touches=0, first_touch_at=pd.NaT)
    table, overdue = queue_table(queue, [sla], saturday, with_owner=False)
    assert overdue.tolist() == [True] and table["First touch"].tolist() == ["overdue by 19.0 h"]
    touched = touch_summary(leads, touches_frame(make_touch("a", "2026-11-09 09:00")), [sla])
    judged = speed_to_lead(touched, pd.Timestamp("2026-11-10"))
    assert judged["hours_to_first_touch"].tolist() == [1.0] and judged["status"].tolist() == ["late"]


def test_due_times_on_a_real_export_match_a_day_by_day_count_from_the_file():
    """The Maven CRM pipeline (8,800 opportunities, engage dates only) under Mon–Fri 09:00–17:00 UTC with a holiday:
    each MQL's first-touch due time (4 business hours) and touch window (2 business days), worked out here from the
    file's dates with the standard library alone."""
    from sla_model.generator import sample_dir
    from sla_model.importing import importer
    from sla_model.importing.csvfile import read_csv
    from sla_model.importing.mapping import load_mapping_file
    from tests.conftest import MAVEN

    holiday = dt.date(2017, 7, 4)
    sla = make_sla(follow_up={"first_touch_hours": 4, "min_touches": 1, "touch_window_days": 2, "decision_hours": 40},
                   calendar={"timezone": "UTC", "hours": WEEK_9_TO_5, "holidays": [holiday]})  # fmt: skip
    mapping = load_mapping_file(sample_dir() / "mappings" / "maven_sales_pipeline.toml")
    leads = importer.prepare(read_csv((MAVEN / "sales_pipeline.csv").read_bytes(), name="p.csv"), mapping).frame
    rules = follow_up_rules(leads, [sla])

    def working(day: dt.date) -> bool:
        return day.weekday() < 5 and day != holiday

    raw = pd.read_csv(MAVEN / "sales_pipeline.csv", dtype=str).set_index("opportunity_id")
    checked = 0
    for lead_id, first_due, window_due in zip(leads["lead_id"], rules["first_touch_due"], rules["window_due"],
                                              strict=True):  # fmt: skip
        engaged = raw.loc[lead_id, "engage_date"]
        if pd.isna(engaged):
            continue
        day = dt.date.fromisoformat(engaged)  # handed over at midnight: the clock starts at the next opening
        start = day
        while not working(start):
            start += dt.timedelta(days=1)
        assert first_due == pd.Timestamp(dt.datetime.combine(start, dt.time(13))), lead_id  # 09:00 + 4 h
        close, left = day, 2
        while left:
            close += dt.timedelta(days=1)
            left -= working(close)
        assert window_due == pd.Timestamp(dt.datetime.combine(close, dt.time(17))), lead_id
        checked += 1
    assert checked > 8000

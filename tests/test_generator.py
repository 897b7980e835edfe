"""The sample-data generator: deterministic, matches the shipped files, and its planted stories are there."""

from __future__ import annotations

import datetime as dt
import filecmp

import numpy as np
import pandas as pd
import pytest

from sla_model.agreement.qualify import mql_mask
from sla_model.agreement.sla import in_force_index
from sla_model.generator import (
    AS_OF,
    JUNK_CHANNEL,
    JUNK_REASON,
    PLANTED_BREACHES,
    SLOW_REP,
    generate,
    sample_dir,
    write_csv,
)
from sla_model.metrics.progress import attainment_trend
from sla_model.metrics.quality import acceptance_by, conversions, rejection_reasons
from sla_model.metrics.timing import breach_list, speed_by, speed_to_lead, touch_summary


@pytest.fixture(scope="module")
def data():
    return generate()


def test_same_seed_same_data_and_different_seed_different_data():
    a, b, c = generate(n_leads=2_000), generate(n_leads=2_000), generate(n_leads=2_000, seed=7)
    pd.testing.assert_frame_equal(a.leads, b.leads)
    pd.testing.assert_frame_equal(a.touches, b.touches)
    pd.testing.assert_frame_equal(a.feedback, b.feedback)
    assert not a.leads["score"].equals(c.leads["score"])


def test_the_shipped_sample_files_are_what_the_generator_writes(data, tmp_path):
    write_csv(data, tmp_path)
    for name in ("leads.csv.gz", "touches.csv.gz", "feedback.csv.gz", "snapshot.txt"):
        assert filecmp.cmp(tmp_path / name, sample_dir() / name, shallow=False), name


def test_size_and_variety(data):
    leads = data.leads
    months = leads["created_at"].dt.to_period("M").nunique()
    assert months >= 12
    assert len(leads) == 20_000
    assert leads["channel"].nunique() >= 6
    assert leads["owner"].nunique() >= 8
    assert leads["persona"].nunique() >= 3
    assert len(data.touches) / len(leads) > 4  # realistic attempt cadences
    assert set(data.touches["kind"]) >= {"call", "email", "meeting"}


def test_mql_exactly_when_the_definition_in_force_says_so(data, sample_versions):
    leads = data.leads
    idx = in_force_index(sample_versions, leads["created_at"].to_numpy())
    expected = np.zeros(len(leads), dtype=bool)
    for i, sla in enumerate(sample_versions):
        expected[idx == i] = mql_mask(leads[idx == i], sla.mql)
    is_mql = leads["mql_at"].notna().to_numpy()
    assert not (is_mql & ~expected).any()  # nobody is an MQL who does not qualify
    late = (expected & ~is_mql).sum()  # qualifying leads created just before the snapshot
    assert late < 50
    assert (idx == 0).any() and (idx == 1).any()  # the SLA changed part-way through the history


def test_one_channel_is_mostly_rejected_for_one_reason(data, sample_versions):
    mqls = data.leads[data.leads["mql_at"].notna()]
    rates = acceptance_by(mqls, "channel")["rate"]
    assert rates.idxmin() == JUNK_CHANNEL
    assert rates[JUNK_CHANNEL] < 0.4
    assert rates.drop(JUNK_CHANNEL).min() > 0.6
    reasons = rejection_reasons(mqls[mqls["channel"] == JUNK_CHANNEL])
    assert reasons.iloc[0]["reason"] == JUNK_REASON
    assert reasons.iloc[0]["share"] > 0.4


def test_one_rep_is_slow_to_follow_up(data, sample_versions):
    summary = touch_summary(data.leads, data.touches, sample_versions)
    by_rep = speed_by(speed_to_lead(summary, AS_OF)).set_index("owner")
    slow = by_rep.loc[SLOW_REP, "median_hours"]
    others = by_rep.drop(SLOW_REP)["median_hours"]
    assert slow > 3 * others.max()
    assert by_rep["share_within"].idxmin() == SLOW_REP


def test_a_month_misses_and_a_month_beats_its_mql_quota(data, sample_versions):
    months = pd.period_range("2025-11", "2026-10", freq="M")
    trend = attainment_trend(data.leads, sample_versions, months, AS_OF)
    mqls = trend[trend["measure"] == "mqls"]
    assert (mqls["attainment"] < 0.85).any()
    assert (mqls["attainment"] > 1.25).any()


def test_conversion_rises_with_score(data):
    mqls = data.leads[data.leads["mql_at"].notna() & (data.leads["mql_at"] < "2026-09-01")]
    bands = pd.cut(mqls["score"], [0, 60, 80, 101], right=False, labels=["<60", "60-79", "80+"])
    won = conversions(mqls, bands)
    rates = won[won["stage"] == "MQL→won"].set_index("group")["rate"]
    assert rates["<60"] < rates["60-79"] < rates["80+"]


def test_the_last_month_is_in_progress_with_open_breaches(data, sample_versions):
    last = data.leads["created_at"].max()
    assert last.to_period("M") == pd.Timestamp(AS_OF).to_period("M")
    assert pd.Timestamp(AS_OF).day < 28
    for column in ("mql_at", "accepted_at", "sql_at", "won_at"):
        assert data.leads[column].max() <= pd.Timestamp(AS_OF)
    assert data.touches["at"].max() <= pd.Timestamp(AS_OF)
    summary = touch_summary(data.leads, data.touches, sample_versions)
    breaches = breach_list(summary, data.leads, AS_OF)
    untouched = breaches[breaches["breach"].str.contains("no touch after")]
    assert (untouched["owner"] == SLOW_REP).sum() >= PLANTED_BREACHES


def _local(times: pd.Series, zone: str) -> pd.Series:
    return times.dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)


def test_sales_works_in_the_slas_business_hours(data, sample_versions):
    """Every touch and every decision lands inside the calendar of the version in force at its lead's handoff:
    a weekday between 09:00 and 17:00 in the team's time zone, never on a holiday."""
    zone = sample_versions[0].calendar.timezone
    assert {s.calendar.timezone for s in sample_versions} == {zone} and zone != "UTC"
    mql_at = data.leads.set_index("lead_id")["mql_at"]
    for times, lead_ids in (
        (data.touches["at"], data.touches["lead_id"]),
        (data.feedback["at"], data.feedback["lead_id"]),
    ):
        local = _local(times, zone)
        minutes = local.dt.hour * 60 + local.dt.minute + local.dt.second / 60
        assert (local.dt.day_of_week < 5).all()
        assert ((minutes >= 9 * 60) & (minutes <= 17 * 60)).all()
        version = in_force_index(sample_versions, mql_at.loc[lead_ids].to_numpy())
        for i, sla in enumerate(sample_versions):
            mine = version == i
            assert not local[mine].dt.normalize().isin(pd.to_datetime(sla.calendar.holidays)).any()
    # the planted holidays fall on working days the data would otherwise have worked
    for day in {d for s in sample_versions for d in s.calendar.holidays if pd.Timestamp(d) < pd.Timestamp(AS_OF)}:
        assert pd.Timestamp(day).day_of_week < 5


def test_hours_to_first_touch_count_working_hours_only(data, sample_versions):
    """The summary's hours agree with a count of working minutes, minute by minute, on a sample of leads."""
    summary = touch_summary(data.leads, data.touches, sample_versions)
    touched = summary[summary["first_touch_at"].notna()].sample(40, random_state=1)
    zone = sample_versions[0].calendar.timezone
    for row in touched.itertuples():
        sla = sample_versions[0] if row.sla_version == 1 else sample_versions[1]
        minutes = pd.date_range(row.mql_at.ceil("min"), row.first_touch_at.floor("min"), freq="min", inclusive="left")
        local = minutes.tz_localize("UTC").tz_convert(zone).tz_localize(None)
        working = (local.day_of_week < 5) & (local.hour >= 9) & (local.hour < 17)
        working &= ~local.normalize().isin(pd.to_datetime(sla.calendar.holidays))
        assert abs(working.sum() / 60 - row.hours_to_first_touch) <= 2 / 60, row.lead_id
    wall = (touched["first_touch_at"] - touched["mql_at"]) / pd.Timedelta(hours=1)
    assert (wall >= touched["hours_to_first_touch"] - 1e-9).all() and (wall > touched["hours_to_first_touch"]).any()


def test_demo_requests_are_touched_faster_and_convert_better(data, sample_versions):
    summary = speed_to_lead(touch_summary(data.leads, data.touches, sample_versions), AS_OF)
    leads = data.leads.loc[summary.index]
    demo = leads["demo_request"].to_numpy(dtype=bool)
    assert (summary["policy"] == "Demo requests").to_numpy().tolist() == demo.tolist()
    assert demo.sum() > 300  # enough demo requests to read a rate from
    hours = summary["hours_to_first_touch"]
    assert hours[demo].median() < 1 < hours[~demo].median() < 8
    within = summary["status"].eq("within")[summary["judged"]]
    assert within[demo[summary["judged"].to_numpy()]].mean() > 0.75  # most demo requests within their hour
    old = (leads["mql_at"] < pd.Timestamp(AS_OF) - pd.Timedelta(days=90)).to_numpy()
    for column in ("sql_at", "won_at"):
        reached = leads[column].notna().to_numpy()
        assert reached[old & demo].mean() > reached[old & ~demo].mean() + 0.05, column


def test_a_moved_story_moves_its_holidays_to_working_days(sample_versions):
    from sla_model.generator import sample_story

    versions, data = sample_story(dt.datetime(2027, 2, 10, 15, 0))  # three months later
    for moved, shipped in zip(versions, sample_versions, strict=True):
        assert len(moved.calendar.holidays) == len(shipped.calendar.holidays)
        for day, original in zip(moved.calendar.holidays, shipped.calendar.holidays, strict=True):
            assert day.weekday() < 5
            assert 0 <= (pd.Timestamp(day) - (pd.Timestamp(original) + pd.DateOffset(months=3))).days <= 2
    local = _local(data.touches["at"], versions[0].calendar.timezone)
    holidays = pd.to_datetime([d for v in versions for d in v.calendar.holidays])
    assert not local.dt.normalize().isin(holidays[holidays < pd.Timestamp(versions[1].meta.effective_from)]).any()

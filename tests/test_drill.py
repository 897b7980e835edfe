"""The leads behind a figure: every drill-down's rows are exactly the ones its figure counts."""

from __future__ import annotations

import pandas as pd
import pytest

from sla_model.generator import generate, sample_slas
from sla_model.metrics.drill import (
    bin_leads,
    channel_mqls,
    cohort_leads,
    decided_leads,
    funnel_leads,
    rep_judged,
    rep_touched,
    stage_leads,
)
from sla_model.metrics.funnel import funnel_vs_actual, trailing_rates
from sla_model.metrics.progress import channel_progress
from sla_model.metrics.quality import acceptance_by, mql_cohort
from sla_model.metrics.timing import (
    first_touch_limits,
    month_mqls,
    rep_compliance,
    rep_speed,
    speed_bins,
    speed_to_lead,
    touch_compliance,
    touch_summary,
)
from sla_model.metrics.velocity import STAGES, cohort_funnel, funnel_stages
from tests.factories import leads_frame, make_lead

MONTH = pd.Period("2026-09", "M")
START, END = MONTH.start_time, (MONTH + 1).start_time


@pytest.fixture(scope="module")
def sample():
    return generate()


def test_each_reverse_funnel_stage_opens_as_many_leads_as_its_actual(sample):
    sla = sample_slas()[-1]
    funnel = funnel_vs_actual(sla.goal.monthly_revenue, sla.goal.average_deal_size,
                              trailing_rates(sample.leads, MONTH), sample.leads, START, END)  # fmt: skip
    for stage, actual in zip(funnel["stage"], funnel["actual"], strict=True):
        rows = funnel_leads(sample.leads, stage, START, END)
        if stage == "revenue":
            assert rows["amount"].sum() == pytest.approx(actual)
        else:
            assert len(rows) == actual, stage
    assert len(funnel_leads(sample.leads, "leads", START, END)) > len(funnel_leads(sample.leads, "mqls", START, END))


def test_each_channel_bar_opens_its_mqls(sample):
    sla = sample_slas()[-1]
    channels = sorted(sample.leads["channel"].dropna().astype(str).unique())
    bars = channel_progress(sample.leads, sla, channels, START, END, 1.0)
    for channel, mqls in zip(bars["channel"], bars["MQLs"], strict=True):
        rows = channel_mqls(sample.leads, channel, START, END)
        assert len(rows) == mqls
        assert set(rows["channel"].astype(str)) <= {channel}
    assert bars["MQLs"].sum() > 0


def test_each_whole_funnel_bar_and_cohort_row_open_their_leads(sample):
    leads = sample.leads
    cohort = cohort_leads(leads, MONTH)
    counts = funnel_stages(cohort).set_index("stage")["count"]
    for stage in (*STAGES, "Lost"):
        assert len(stage_leads(cohort, stage)) == counts[stage], stage
    table = cohort_funnel(leads, pd.period_range("2026-07", "2026-09", freq="M")).set_index("month")
    for month in table.index:
        assert len(cohort_leads(leads, month)) == table.at[month, "Lead"]


def test_a_closed_deal_exported_without_its_stages_counts_at_each_stage_it_implies():
    # a CRM export: one deal won with no MQL, SQL or opportunity date, one lead created and left alone
    leads = leads_frame(
        make_lead("W1", created_at="2026-09-02T10:00:00", mql_at=None, accepted_at=None, sql_at=None,
                  opportunity_at=None, won_at="2026-09-20T10:00:00", amount=5_000.0),
        make_lead("L1", created_at="2026-09-03T10:00:00", mql_at=None, accepted_at=None, sql_at=None,
                  opportunity_at=None, won_at=None, amount=None),
    )  # fmt: skip
    cohort = cohort_leads(leads, MONTH)
    assert list(cohort["lead_id"]) == ["W1", "L1"]
    assert [list(stage_leads(cohort, s)["lead_id"]) for s in ("Lead", "SQL", "Opportunity", "Won")] == [
        ["W1", "L1"], ["W1"], ["W1"], ["W1"]]  # fmt: skip
    assert list(funnel_leads(leads, "sqls", START, END)["lead_id"]) == ["W1"]
    assert list(funnel_leads(leads, "customers", START, END)["lead_id"]) == ["W1"]
    assert funnel_leads(leads, "mqls", START, END).empty


def test_each_reps_speed_dots_open_the_mqls_they_were_computed_from(sample):
    summary = touch_summary(sample.leads, sample.touches, sample_slas())
    judged = speed_to_lead(month_mqls(summary, START, END), sample.as_of)
    reps = rep_speed(judged)
    assert len(reps) > 1
    for owner, touched in zip(reps["owner"], reps["touched"], strict=True):
        rows = rep_touched(judged, owner)
        assert len(rows) == touched
        assert rows["hours_to_first_touch"].notna().all()


def test_on_a_real_crm_export_a_months_won_deals_and_a_cohorts_lost_deals_are_those_in_the_file():
    """The Maven CRM sales pipeline (an export nobody here wrote): the drill-down of a month's won deals and of a
    cohort's stages lists exactly the opportunities the raw file says, and their amounts sum to its close values."""
    from sla_model.generator import sample_dir
    from sla_model.importing import importer
    from sla_model.importing.csvfile import read_csv
    from sla_model.importing.mapping import load_mapping_file
    from tests.conftest import MAVEN

    raw = pd.read_csv(MAVEN / "sales_pipeline.csv", dtype=str)
    mapping = load_mapping_file(sample_dir() / "mappings" / "maven_sales_pipeline.toml")
    leads = importer.prepare(read_csv((MAVEN / "sales_pipeline.csv").read_bytes(), name="p.csv"), mapping).frame
    month = pd.Period("2017-06", "M")
    closed = pd.to_datetime(raw["close_date"])
    won = raw[(raw["deal_stage"] == "Won") & (closed.dt.to_period("M") == month)]
    rows = funnel_leads(leads, "customers", month.start_time, (month + 1).start_time)
    assert len(won) > 100
    assert sorted(rows["lead_id"]) == sorted(won["opportunity_id"])
    assert rows["amount"].sum() == pytest.approx(won["close_value"].astype(float).sum())

    engaged = pd.to_datetime(raw["engage_date"]).dt.to_period("M")
    cohort_raw = raw[engaged == pd.Period("2017-03", "M")]
    cohort = cohort_leads(leads, pd.Period("2017-03", "M"))
    assert sorted(cohort["lead_id"]) == sorted(cohort_raw["opportunity_id"])
    lost = stage_leads(cohort, "Lost")
    assert len(lost) > 10
    assert sorted(lost["lead_id"]) == sorted(cohort_raw.loc[cohort_raw["deal_stage"] == "Lost", "opportunity_id"])


def test_each_channels_acceptance_bar_opens_its_decided_mqls(sample):
    cohort = mql_cohort(sample.leads, START, END)
    bars = acceptance_by(cohort, "channel")
    assert bars["decided"].sum() > 0
    for channel, decided in bars["decided"].items():
        assert len(decided_leads(cohort, "channel", channel)) == decided


def test_each_reps_touch_rule_dot_opens_the_mqls_it_judged(sample):
    summary = touch_summary(sample.leads, sample.touches, sample_slas())
    compliance = touch_compliance(month_mqls(summary, START, END), sample.leads, sample.as_of)
    reps = rep_compliance(compliance)
    assert len(reps) > 1
    for owner, judged in zip(reps["owner"], reps["judged"], strict=True):
        assert len(rep_judged(compliance, owner)) == judged


def test_each_stacked_bar_of_the_speed_histogram_opens_its_mqls(sample):
    summary = touch_summary(sample.leads, sample.touches, sample_slas())
    judged = speed_to_lead(month_mqls(summary, START, END), sample.as_of)
    limits = first_touch_limits(judged)
    counts, _, _ = speed_bins(judged, limits)
    assert len(counts) > 3
    for hours, status, mqls in zip(counts["Hours"], counts["status"], counts["mqls"], strict=True):
        rows = bin_leads(judged, limits, hours, status)
        assert len(rows) == mqls
        assert set(rows["status"]) == {status}

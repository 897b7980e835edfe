"""The full funnel by cohort month: counts per stage, conversion per step and median days, hand-computed."""

from __future__ import annotations

import math

import pandas as pd

from sla_model.metrics.velocity import cohort_funnel, cycle_days, funnel_stages, stage_times
from tests.factories import leads_frame, make_lead


def _leads():
    return leads_frame(
        # a lead that went the whole way, a day per step except 10 days SQL -> opportunity
        make_lead(
            "W",
            created_at="2026-03-01",
            mql_at="2026-03-02",
            accepted_at="2026-03-03",
            sql_at="2026-03-05",
            opportunity_at="2026-03-15",
            won_at="2026-03-25",
        ),  # fmt: skip
        # a closed deal exported without intermediate stages: it was an MQL, SAL, SQL and opportunity at its close
        make_lead("C", created_at="2026-03-02", won_at="2026-04-02"),
        make_lead(
            "L",
            created_at="2026-03-03",
            mql_at="2026-03-04",
            accepted_at="2026-03-04",
            sql_at="2026-03-06",
            opportunity_at="2026-03-08",
            lost_at="2026-03-20",
        ),  # fmt: skip
        make_lead("R", created_at="2026-03-04", mql_at="2026-03-05", rejected_at="2026-03-06"),
        make_lead("N", created_at="2026-03-05"),  # never an MQL
        make_lead("A", created_at="2026-04-01", mql_at="2026-04-03", accepted_at="2026-04-04"),
    )


def test_a_closed_deal_without_intermediate_stages_counts_at_every_stage_it_implies():
    times = stage_times(_leads()).set_index(_leads()["lead_id"])
    assert times.loc["C", "SQL"] == times.loc["C", "Opportunity"] == times.loc["C", "SAL"] == pd.Timestamp("2026-04-02")
    assert pd.isna(times.loc["C", "MQL"])  # no date invented, yet it counts as an MQL below


def test_the_funnel_counts_each_stage_with_its_conversion_and_median_days():
    march = _leads()[_leads()["created_at"] < "2026-04-01"]
    f = funnel_stages(march).set_index("stage")
    assert f["count"].to_dict() == {"Lead": 5, "MQL": 4, "SAL": 3, "SQL": 3, "Opportunity": 3, "Won": 2, "Lost": 1}
    assert f.at["MQL", "of_previous"] == 4 / 5 and f.at["Won", "of_previous"] == 2 / 3
    assert f.at["Lost", "of_previous"] == 1 / 3 and f.at["Won", "of_leads"] == 2 / 5
    # days: Lead->MQL 1 (W), 1 (L), 1 (R): 1; SAL after MQL 1 (W), 0 (L); C has no MQL date: median 0.5
    assert f.at["MQL", "median_days"] == 1 and f.at["SAL", "median_days"] == 0.5
    # SQL after SAL: W 2, L 2, C 0 -> 2; opportunity after SQL: W 10, L 2, C 0 -> 2; won after opp: W 10, C 0 -> 5
    assert (f.at["SQL", "median_days"], f.at["Opportunity", "median_days"], f.at["Won", "median_days"]) == (2, 2, 5)
    assert f.at["Lost", "median_days"] == 12
    assert math.isnan(f.at["Lead", "of_previous"])


def test_cohorts_are_the_months_leads_were_created_in():
    table = cohort_funnel(_leads(), pd.period_range("2026-03", "2026-05", freq="M")).set_index("month")
    assert table["Lead"].tolist() == [5, 1, 0]
    assert table.loc[pd.Period("2026-04", "M"), "SAL %"] == 1.0
    assert math.isnan(table.loc[pd.Period("2026-05", "M"), "MQL %"])  # an empty cohort has no rates, not zeros
    assert table.loc[pd.Period("2026-03", "M"), "Won"] == 2


def test_a_stage_dated_before_the_one_before_is_left_out_of_the_median_not_the_count():
    leads = leads_frame(
        make_lead("X", created_at="2026-03-10", mql_at="2026-03-09"),  # an export's error: MQL before creation
        make_lead("Y", created_at="2026-03-10", mql_at="2026-03-13"),
    )
    f = funnel_stages(leads).set_index("stage")
    assert f.at["MQL", "count"] == 2 and f.at["MQL", "median_days"] == 3


def test_a_cohort_matures_when_nine_in_ten_wins_have_arrived():
    assert cycle_days(_leads(), share=0.5) == (24 + 31) / 2
    assert cycle_days(_leads()) == 24 + 0.9 * (31 - 24)  # numpy's linear interpolation between the two wins


def test_the_maven_pipeline_funnel_counts_what_its_deal_stages_say():
    """A real export nobody here wrote: 8,800 opportunities with only a stage and two dates."""
    from sla_model.generator import sample_dir
    from sla_model.importing import importer
    from sla_model.importing.csvfile import read_csv
    from sla_model.importing.mapping import load_mapping_file
    from tests.conftest import MAVEN

    raw = pd.read_csv(MAVEN / "sales_pipeline.csv")
    mapping = load_mapping_file(sample_dir() / "mappings" / "maven_sales_pipeline.toml")
    prepared = importer.prepare(read_csv((MAVEN / "sales_pipeline.csv").read_bytes(), name="p.csv"), mapping)
    f = funnel_stages(prepared.frame).set_index("stage")["count"]
    stage = raw["deal_stage"].value_counts()
    assert f["Lead"] == f["MQL"] == len(raw)  # every opportunity was handed to sales
    assert f["Won"] == stage["Won"] and f["Lost"] == stage["Lost"]
    assert f["Opportunity"] == stage["Won"] + stage["Lost"] + stage["Engaging"]  # prospects are not opportunities
    assert f["SQL"] >= f["Opportunity"] and f["SAL"] >= f["Opportunity"]

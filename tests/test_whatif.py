import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sla_model.agreement import qualify
from sla_model.agreement.sla import SlaError, in_force_index
from sla_model.generator import generate
from sla_model.metrics.stats import Z95
from sla_model.whatif import (
    CHANNEL_COLUMNS,
    MONTHLY_COLUMNS,
    NO_CHANNEL,
    NO_REASON,
    Candidate,
    evaluate,
    mql_mask,
    observed_team_size,
    prepare,
)
from tests.factories import leads_frame, make_lead, make_mql, make_sla

# --- a hand-computed history -----------------------------------------------------------------------
# v1: threshold 50, company size >= 20, demo requests trigger. Email unless stated; size 100.
# January: two 85s (one won, one SQL), two 65s (one rejected for no budget, one accepted), a 45, a 30.
# February: an 85 (accepted), a 65 (rejected, bad timing), a 45, a 45 too small to fit, a 45 from Webinar.
# March is in progress at the snapshot: one 90 handed over, outside the history.
AS_OF = pd.Timestamp("2026-03-15")
V1 = make_sla()
JAN_WEEKS, FEB_WEEKS = 31 / 7, 28 / 7


def _history() -> pd.DataFrame:
    return leads_frame(
        make_mql("L1", "2026-01-05", outcome="won", score=85),
        make_mql("L2", "2026-01-06", outcome="sql", score=85),
        make_mql("L3", "2026-01-07", outcome="rejected", reason="no_budget", score=65),
        make_mql("L4", "2026-01-08", outcome="accepted", score=65),
        make_lead("L5", created_at="2026-01-09", score=45),
        make_lead("L6", created_at="2026-01-10", score=30),
        make_mql("L7", "2026-02-02", outcome="accepted", score=85),
        make_mql("L8", "2026-02-03", outcome="rejected", reason="bad_timing", score=65),
        make_lead("L9", created_at="2026-02-04", score=45),
        make_lead("L10", created_at="2026-02-05", score=45, company_size=10),
        make_lead("L12", created_at="2026-02-06", score=45, channel="Webinar"),
        make_mql("L11", "2026-03-02", outcome="pending", score=90),
    )


@pytest.fixture(scope="module")
def arrays():
    return prepare(_history(), [V1], as_of=AS_OF)


def test_the_observed_deal_size_counts_only_deals_with_an_amount():
    history = pd.concat([_history(), leads_frame(make_mql("L20", "2026-02-09", outcome="won", score=85))])
    history.loc[history["lead_id"] == "L20", "amount"] = np.nan  # a win the CRM gave no amount
    assert prepare(history, [V1], as_of=AS_OF).observed_deal_size == 12_000  # not (12 000 + 0) / 2


@pytest.fixture(scope="module")
def now():
    # Goal 12 000 a month at 12 000 a deal: one win a month. Two reps, one MQL a week each.
    return Candidate.from_sla(V1, team_size=2, capacity_per_rep_week=1).replace(revenue_goal=12_000)


def test_prepare_builds_codes_months_and_conversion_tables(arrays):
    assert [str(m) for m in arrays.months] == ["2026-01", "2026-02"]
    assert arrays.month.tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2]  # March: outside the history
    assert arrays.channels == ("Email", "Webinar")
    assert arrays.leads_per_month.tolist() == [6, 5]
    assert arrays.reasons == ("bad_timing", "no_budget", NO_REASON)
    assert arrays.reason_labels["no_budget"] == "No budget"
    email = arrays.channels.index("Email")
    b80, b60 = arrays.bands.index("80–89"), arrays.bands.index("60–69")
    assert arrays.hist_mqls[email].tolist() == [0, 0, 0, 0, 3, 0, 3, 0]  # the March MQL is not history
    assert (arrays.hist_sqls[email, b80], arrays.hist_won[email, b80], arrays.hist_accepted[email, b80]) == (2, 1, 3)
    assert (arrays.hist_accepted[email, b60], arrays.hist_rejected[email, b60]) == (1, 2)
    assert arrays.hist_reasons[email, b60].tolist() == [1, 1, 0]
    assert arrays.observed_deal_size == 12_000
    table = arrays.conversion_table()
    assert table["mqls"].sum() == 6 and len(table) == 2 * 8
    with pytest.raises(ValueError, match="read-only"):  # shared by every session
        arrays.score[0] = 100


def test_candidate_equal_to_the_sla_in_force_reproduces_the_history(arrays, now):
    r = evaluate(arrays, now)
    assert list(r.monthly.columns) == list(MONTHLY_COLUMNS)
    assert r.monthly["mqls"].tolist() == [4, 2] == r.monthly["actual_mqls"].tolist()
    np.testing.assert_allclose(r.monthly["sqls"], [4 / 3, 2 / 3])  # 2 of 3 85s became SQLs, no 65 did
    np.testing.assert_allclose(r.monthly["won"], [2 / 3, 1 / 3])
    np.testing.assert_allclose(r.monthly["revenue"], [8_000, 4_000])
    assert (r.mqls, r.baseline_mqls) == (3, 3)
    assert r.sqls.expected == pytest.approx(1) and r.won.expected == pytest.approx(0.5)
    assert r.acceptance_rate == pytest.approx(4 / 6) == r.baseline_acceptance_rate
    assert not r.extrapolated and r.extrapolated_share == 0 and r.extrapolated_bands == ()
    assert (r.reasons[["removed", "added"]] == 0).all().all()
    assert r.verdict == "same MQLs, acceptance unchanged, revenue goal still missed by 50%"


def test_a_lower_threshold_admits_leads_from_a_band_never_handed_over(arrays, now):
    r = evaluate(arrays, now.replace(score_threshold=40))
    # The three fitting 45s join (the small company does not); band 40–49 borrows band 60–69's rates.
    assert r.monthly["mqls"].tolist() == [5, 4]
    assert r.monthly["baseline_mqls"].tolist() == [4, 2]
    assert r.monthly["extrapolated_mqls"].tolist() == [1, 2]
    assert r.extrapolated and r.extrapolated_share == pytest.approx(1 / 3)
    assert r.extrapolated_bands == ("40–49",)
    assert r.small_sample_share == 1  # every rate rests on three MQLs
    assert r.mqls == 4.5 and r.mql_change == pytest.approx(0.5)
    assert r.sqls.expected == pytest.approx(1) and r.won.expected == pytest.approx(0.5)
    assert r.revenue.expected == pytest.approx(6_000)
    # accepted 1.5 * 1 + 1.5 * 1/3 + 1.5 * 1/3 = 2.5; rejected 1.5 * 2/3 * 2 = 2
    assert r.acceptance_rate == pytest.approx(5 / 9)
    assert r.acceptance_change_pts == pytest.approx(-100 / 9)
    assert r.rejection_rate == pytest.approx(4 / 9)
    reasons = r.reasons.reset_index()
    assert reasons["reason"].tolist()[:2] == ["bad_timing", "no_budget"]  # a tie, in code order
    assert reasons["label"].tolist()[:2] == ["Bad timing", "No budget"]
    np.testing.assert_allclose(reasons["added"], [0.5, 0.5, 0])
    np.testing.assert_allclose(reasons["removed"], [0, 0, 0])
    assert r.by_channel.index.tolist() == ["Email", "Webinar"]
    assert list(r.by_channel.columns) == list(CHANNEL_COLUMNS)
    np.testing.assert_allclose(r.by_channel["mqls"], [4, 0.5])
    np.testing.assert_allclose(r.by_channel["baseline_mqls"], [3, 0])
    np.testing.assert_allclose(r.by_channel["change"], [1, 0.5])
    assert r.by_channel.loc["Email", "change_share"] == pytest.approx(1 / 3)
    assert math.isnan(r.by_channel.loc["Webinar", "change_share"])
    assert r.by_channel["quota"].tolist() == [55, 85]  # v1's channel quotas
    assert r.verdict == "+50% MQLs, −11 pts acceptance, revenue goal still missed by 50%, 33% of MQLs extrapolated"


def test_a_higher_threshold_removes_the_rejections_it_drops(arrays, now):
    r = evaluate(arrays, now.replace(score_threshold=70))
    assert r.monthly["mqls"].tolist() == [2, 1]
    reasons = r.reasons.reset_index().set_index("reason")
    assert reasons.loc["no_budget", "removed"] == 0.5 and reasons.loc["bad_timing", "removed"] == 0.5
    assert reasons.loc["no_budget", "net"] == -0.5
    assert (reasons["added"] == 0).all()
    assert r.acceptance_rate == 1
    assert r.verdict == "−50% MQLs, +33 pts acceptance, revenue goal still missed by 50%"


def test_against_a_baseline_candidate(arrays, now):
    looser, stricter = now.replace(score_threshold=40), now.replace(score_threshold=70)
    # Dropping the 45s (never handed over): their expected reasons, from band 60–69.
    r = evaluate(arrays, now, baseline=looser)
    assert (r.mqls, r.baseline_mqls) == (3, 4.5)
    reasons = r.reasons.reset_index().set_index("reason")
    assert reasons.loc["no_budget", "removed"] == pytest.approx(0.5)
    assert r.verdict.startswith("−33% MQLs, +11 pts acceptance")
    # Adding the 65s back (handed over in the history): their recorded reasons.
    r = evaluate(arrays, now, baseline=stricter)
    reasons = r.reasons.reset_index().set_index("reason")
    assert reasons.loc["no_budget", "added"] == 0.5 and reasons.loc["bad_timing", "added"] == 0.5
    assert (reasons["removed"] == 0).all()
    assert r.monthly["baseline_mqls"].tolist() == [2, 1] and r.monthly["actual_mqls"].tolist() == [4, 2]


def test_intervals_combine_outcome_noise_and_rate_uncertainty(arrays, now):
    r = evaluate(arrays, now.replace(score_threshold=80))  # only the 85s: 1.5 a month, 2 of 3 became SQLs
    n, s, trials, z2 = 1.5, 2, 3, Z95**2
    centre = (s + z2 / 2) / (trials + z2)
    var = n * centre * (1 - centre) + n**2 * centre * (1 - centre) / (trials + z2)
    assert r.sqls.expected == pytest.approx(1)
    assert r.sqls.low == pytest.approx(max(0, 1 - Z95 * math.sqrt(var)))
    assert r.sqls.high == pytest.approx(min(n, 1 + Z95 * math.sqrt(var)))
    assert r.revenue.low == pytest.approx(r.won.low * 12_000)
    assert (r.monthly["sqls_low"] <= r.monthly["sqls"]).all() and (r.monthly["sqls"] <= r.monthly["sqls_high"]).all()


def test_load_per_rep_against_capacity(arrays, now):
    r = evaluate(arrays, now.replace(score_threshold=40))  # 9 MQLs over 59 days, two reps
    assert r.load_per_rep_week == pytest.approx(9 / (59 / 7) / 2)
    np.testing.assert_allclose(r.monthly["load_per_rep_week"], [5 / JAN_WEEKS / 2, 4 / FEB_WEEKS / 2])
    assert r.peak_load_per_rep_week == pytest.approx(5 / JAN_WEEKS / 2)
    assert r.touches_per_rep_week == pytest.approx(3 * r.load_per_rep_week)  # v1: at least 3 touches
    assert not r.over_capacity and r.months_over_capacity == 0
    tight = evaluate(arrays, now.replace(score_threshold=40, capacity_per_rep_week=0.5))
    # January (0.56 a week) is over; February (exactly 0.5) is not.
    assert tight.over_capacity and tight.months_over_capacity == 1 and not tight.goal_reachable
    assert tight.verdict.endswith("reps over capacity (0.534 vs 0.5 MQLs a week each), 33% of MQLs extrapolated")


def test_reverse_funnel_for_the_candidate_quotas(arrays, now):
    r = evaluate(arrays, now.replace(score_threshold=40))
    f = r.funnel
    assert f.index.tolist() == ["revenue", "customers", "sqls", "mqls", "leads"]
    # 12 000 / 12 000 = 1 customer; won/SQL = 0.5 -> 2 SQLs; SQL/MQL = 1/4.5 -> 9 MQLs; MQL/lead = 4.5/5.5 -> 11
    assert f["needed"].tolist() == [12_000, 1, 2, 9, 11]
    np.testing.assert_allclose(f["expected"], [6_000, 0.5, 1, 4.5, 5.5])
    np.testing.assert_allclose(f["gap"], [-6_000, -0.5, -1, -4.5, -5.5])
    assert f["quota"].tolist()[:4] == [12_000, 50, 220, 650]
    assert r.needed_load_per_rep_week == pytest.approx(9 / (59 / 14) / 2)
    assert r.revenue_gap == pytest.approx(-0.5) and not r.goal_reachable
    met = evaluate(arrays, now.replace(score_threshold=40, revenue_goal=5_000))
    assert met.goal_reachable and met.revenue_gap == pytest.approx(0.2)
    assert "revenue goal now met (+20%)" in evaluate(arrays, now.replace(revenue_goal=5_000), baseline=now).verdict


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"personas": ("Developer",)}, [0, 0]),  # nobody in the history is a developer
        ({"personas": ("IT Director", "Developer")}, [4, 2]),
        ({"countries": ("France",)}, [0, 0]),
        ({"min_company_size": 101}, [0, 0]),
        ({"demo_request": False}, [4, 2]),
        ({"score_threshold": 100}, [0, 0]),
        ({"score_threshold": 0}, [6, 4]),  # everyone who fits
        ({"score_threshold": 100, "min_page_views": 1}, [0, 0]),  # nobody viewed a page
    ],
)
def test_mql_counts_per_month(arrays, now, changes, expected):
    assert evaluate(arrays, now.replace(**changes)).monthly["mqls"].tolist() == expected


def test_missing_values_and_unknown_categories():
    leads = leads_frame(
        make_lead("a", created_at="2026-01-05", score=80, persona=None, country=None, channel=None),
        make_lead("b", created_at="2026-01-05", score=80, persona="Developer", country="日本"),
    )
    a = prepare(leads, [V1], as_of="2026-02-01")
    assert a.channels[-1] == NO_CHANNEL and a.persona.tolist()[0] == -1
    c = Candidate.from_sla(V1, team_size=1, capacity_per_rep_week=5)
    for changes in ({}, {"personas": ("Developer",)}, {"countries": ("日本", "Nowhere")}, {"personas": ("Nobody",)}):
        candidate = c.replace(**changes)
        assert mql_mask(a, candidate).tolist() == qualify.mql_mask(leads, candidate.definition).tolist()


def test_many_categories_use_a_lookup_and_agree_with_qualify():
    countries = [f"Country {i:02d}" for i in range(30)]
    leads = leads_frame(*(make_lead(f"L{i}", country=c, score=60) for i, c in enumerate(countries)))
    a = prepare(leads, [V1])
    c = Candidate.from_sla(V1, team_size=1, capacity_per_rep_week=5)
    for wanted in (countries[:12], countries[:25], countries[3:4], countries):
        candidate = c.replace(countries=tuple(wanted))
        assert mql_mask(a, candidate).tolist() == qualify.mql_mask(leads, candidate.definition).tolist()


@pytest.mark.parametrize(
    ("leads", "as_of"),
    [
        pytest.param(leads_frame(), None, id="no leads"),
        pytest.param(leads_frame(make_lead("a", score=90)), None, id="only the month in progress"),
        pytest.param(leads_frame(make_lead("a", score=90)), "2026-10-01", id="snapshot before the first lead"),
    ],
)
def test_no_complete_month_gives_an_empty_result_not_an_error(leads, as_of, now):
    a = prepare(leads, [V1], as_of=as_of)
    r = evaluate(a, now, baseline=now.replace(score_threshold=10))
    assert a.n_months == 0 and r.monthly.empty and r.by_channel["mqls"].sum() == 0
    assert r.verdict == "No complete month of history to replay the candidate on."
    assert not r.over_capacity and not r.goal_reachable and observed_team_size(a) == 0


def test_history_without_any_mql_gives_no_estimate():
    a = prepare(leads_frame(make_lead("a", created_at="2026-01-05", score=10)), [V1], as_of="2026-02-01")
    r = evaluate(a, Candidate.from_sla(V1, team_size=1, capacity_per_rep_week=5).replace(score_threshold=0))
    assert r.monthly["mqls"].tolist() == [1] and r.extrapolated
    assert math.isnan(r.sqls.expected) and "no revenue estimate" in r.verdict


def test_prepare_names_missing_columns():
    with pytest.raises(ValueError, match="score, .*channel"):
        prepare(_history().drop(columns=["score", "channel"]), [V1])


def test_baseline_masks_are_cached_and_bounded(now):
    a = prepare(_history(), [V1], as_of=AS_OF)
    fresh = prepare(_history(), [V1], as_of=AS_OF)
    baselines = [now.replace(score_threshold=t) for t in (30, 40, 50, 60, 70, 80)]
    for b in baselines:
        evaluate(a, now, baseline=b)
    assert len(a._cache) == 4
    again = evaluate(a, now, baseline=baselines[1])  # evicted, then computed again
    assert again.monthly.equals(evaluate(fresh, now, baseline=baselines[1]).monthly)
    # Only the definition matters to the cache: another team is the same baseline mask.
    evaluate(a, now, baseline=baselines[1].replace(team_size=9))
    assert len(a._cache) == 4


def test_observed_team_size_counts_owners_of_the_last_month():
    leads = leads_frame(
        make_mql("a", "2026-01-05", owner="Grace Kim"),
        make_mql("b", "2026-02-05", owner="Ben Carter"),
        make_mql("c", "2026-02-06", owner="Ben Carter"),
        make_mql("d", "2026-02-07", owner="Ana Souza"),
    )
    assert observed_team_size(prepare(leads, [V1], as_of="2026-03-01")) == 2


# --- candidates and SLA versions -------------------------------------------------------------------


def test_from_sla_and_back_round_trips():
    c = Candidate.from_sla(V1, team_size=4, capacity_per_rep_week=12)
    assert c.definition == V1.mql
    assert c.channel_quotas == V1.quotas.mqls_by_channel
    changed = c.replace(score_threshold=45, personas=["IT Director"], quota_mqls=700, first_touch_hours=8)
    sla = changed.to_sla(V1, version=3, effective_from=dt.date(2026, 12, 1), author="Maya", change_note="Lower bar")
    assert (sla.meta.version, sla.meta.effective_from, sla.meta.author) == (3, dt.date(2026, 12, 1), "Maya")
    assert sla.mql.score_threshold == 45 and sla.mql.fit.personas == ["IT Director"]
    assert sla.quotas.mqls == 700 and sla.follow_up.first_touch_hours == 8
    assert sla.rejection_reasons == V1.rejection_reasons and sla.sql == V1.sql
    assert Candidate.from_sla(sla, team_size=4, capacity_per_rep_week=12) == changed


def test_to_sla_rejects_an_inconsistent_candidate_with_a_named_error():
    c = Candidate.from_sla(V1, team_size=4, capacity_per_rep_week=12).replace(quota_mqls=100)
    with pytest.raises(SlaError, match="SLA version 2: quotas: per-channel MQL quotas add up to 630"):
        c.to_sla(V1, version=2, effective_from=dt.date(2026, 12, 1), author="Maya", change_note="")


@pytest.mark.parametrize(
    "changes",
    [{"team_size": 0}, {"score_threshold": 101}, {"capacity_per_rep_week": 0}, {"min_page_views": -1}, {"x": 1}],
)
def test_candidate_rejects_out_of_range_controls(changes):
    with pytest.raises(ValidationError):
        Candidate.from_sla(V1, team_size=4, capacity_per_rep_week=12).replace(**changes)


def test_candidates_are_hashable_values():
    a = Candidate.from_sla(V1, team_size=4, capacity_per_rep_week=12)
    assert hash(a) == hash(a.replace()) and a == a.replace() and a != a.replace(team_size=5)


# --- the generated data set ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(sample_versions):
    data = generate(n_leads=4_000)
    return data, prepare(data.leads, sample_versions, as_of=data.as_of)


def test_generated_history_is_reproduced_by_each_version(generated, sample_versions):
    data, a = generated
    leads = data.leads
    is_mql = leads["mql_at"].notna().to_numpy()
    in_history = a.month < a.n_months
    month_version = in_force_index(sample_versions, a.months.to_timestamp().to_numpy())
    governed = month_version == in_force_index(sample_versions, (a.months + 1).to_timestamp().to_numpy() - 1)
    for i, sla in enumerate(sample_versions):
        c = Candidate.from_sla(sla, team_size=10, capacity_per_rep_week=20)
        mask = mql_mask(a, c)
        assert (mask == qualify.mql_mask(leads, sla.mql)).all()
        mine = a.version == i
        assert (mask[mine & in_history] == is_mql[mine & in_history]).all()
        # After the history, only leads too recent to have been handed over yet differ.
        late = mine & mask & ~is_mql
        assert (leads["created_at"][late] > data.as_of - pd.Timedelta(days=14)).all()
        assert not (mine & is_mql & ~mask).any()
        monthly = evaluate(a, c).monthly
        months = governed & (month_version == i)
        assert months.sum() >= 4
        assert (monthly["mqls"][months] == monthly["actual_mqls"][months]).all()


def test_generated_data_gives_a_readable_verdict(generated, sample_versions):
    _, a = generated
    now = Candidate.from_sla(sample_versions[-1], team_size=observed_team_size(a), capacity_per_rep_week=15)
    r = evaluate(a, now.replace(score_threshold=45), baseline=now)
    assert r.mqls > r.baseline_mqls and r.acceptance_rate < r.baseline_acceptance_rate
    assert r.sqls.low <= r.sqls.expected <= r.sqls.high
    assert r.reasons["added"].sum() > 0 and r.reasons["removed"].sum() == 0
    assert r.verdict.startswith("+") and "MQLs" in r.verdict and "revenue goal" in r.verdict


# --- properties -------------------------------------------------------------------------------------

PERSONAS = ("IT Director", "Developer", "Finance Lead")
COUNTRIES = tuple(f"Land {i}" for i in range(12)) + ("日本",)
CHANNELS = ("Email", "Webinar", "Referral")
START = pd.Timestamp("2026-01-01 09:00")
SNAPSHOT = pd.Timestamp("2026-04-01")  # January to March are the history
BASE = Candidate.from_sla(V1, team_size=3, capacity_per_rep_week=10)

lead_rows = st.lists(
    st.fixed_dictionaries(
        {
            "score": st.integers(0, 100),
            "persona": st.sampled_from((*PERSONAS, None)),
            "country": st.sampled_from((*COUNTRIES, None)),
            "company_size": st.integers(0, 300),
            "demo_request": st.booleans(),
            "page_views": st.integers(0, 12),
            "form_submissions": st.integers(0, 4),
            "channel": st.sampled_from(CHANNELS),
            "day": st.integers(0, 100),
        }
    ),
    max_size=30,
)
definitions = st.fixed_dictionaries(
    {
        "score_threshold": st.integers(0, 100),
        "personas": st.lists(st.sampled_from((*PERSONAS, "Nobody")), unique=True, max_size=3).map(tuple),
        "min_company_size": st.integers(0, 300),
        "countries": st.lists(st.sampled_from((*COUNTRIES, "Nowhere")), unique=True, max_size=11).map(tuple),
        "demo_request": st.booleans(),
        "min_page_views": st.integers(0, 12),
        "min_form_submissions": st.integers(0, 4),
    }
)
candidates = definitions.map(lambda d: BASE.replace(**d))


def _frame(rows: list[dict]) -> pd.DataFrame:
    leads = []
    for i, row in enumerate(rows):
        fields = {k: v for k, v in row.items() if k != "day"}
        leads.append(make_lead(f"L{i}", created_at=START + pd.Timedelta(days=row["day"]), **fields))
    return leads_frame(*leads)


def _monthly_mqls(leads: pd.DataFrame, candidate: Candidate) -> np.ndarray:
    return evaluate(prepare(leads, [V1], as_of=SNAPSHOT), candidate).monthly["mqls"].to_numpy()


@settings(deadline=None, max_examples=60)
@given(rows=lead_rows, candidate=candidates)
def test_mask_agrees_with_the_qualify_module(rows, candidate):
    leads = _frame(rows)
    a = prepare(leads, [V1], as_of=SNAPSHOT)
    assert mql_mask(a, candidate).tolist() == qualify.mql_mask(leads, candidate.definition).tolist()


@settings(deadline=None, max_examples=40)
@given(rows=lead_rows, candidate=candidates, raise_by=st.integers(0, 100))
def test_raising_the_threshold_never_increases_mqls(rows, candidate, raise_by):
    leads = _frame(rows)
    higher = candidate.replace(score_threshold=min(100, candidate.score_threshold + raise_by))
    assert (_monthly_mqls(leads, higher) <= _monthly_mqls(leads, candidate)).all()


@settings(deadline=None, max_examples=40)
@given(rows=lead_rows, candidate=candidates, data=st.data())
def test_adding_a_required_fit_criterion_never_increases_mqls(rows, candidate, data):
    kind = data.draw(st.sampled_from(["personas", "countries", "min_company_size"]))
    if kind == "min_company_size":
        stricter = candidate.replace(min_company_size=candidate.min_company_size + data.draw(st.integers(1, 200)))
    else:
        current = getattr(candidate, kind)  # empty = any: any non-empty list restricts; else keep a subset
        options = current or (PERSONAS if kind == "personas" else COUNTRIES)
        kept = data.draw(st.lists(st.sampled_from(options), min_size=1, unique=True))
        stricter = candidate.replace(**{kind: tuple(kept)})
    leads = _frame(rows)
    assert (_monthly_mqls(leads, stricter) <= _monthly_mqls(leads, candidate)).all()


@settings(deadline=None, max_examples=40)
@given(rows=lead_rows, first=definitions, second=definitions)
def test_the_sla_in_force_reproduces_the_actual_history_exactly(rows, first, second):
    # Two versions: the first governs January and February, the second March on.
    one, two = BASE.replace(**first), BASE.replace(**second)
    versions = [
        one.to_sla(V1, version=1, effective_from=dt.date(2025, 11, 1), author="a", change_note=""),
        two.to_sla(V1, version=2, effective_from=dt.date(2026, 3, 1), author="a", change_note=""),
    ]
    leads = _frame(rows)
    created = leads["created_at"].to_numpy()
    vidx = in_force_index(versions, created)
    actual = np.zeros(len(leads), dtype=bool)
    for i, sla in enumerate(versions):
        actual[vidx == i] = qualify.mql_mask(leads[vidx == i], sla.mql)
    leads["mql_at"] = np.where(actual, created + np.timedelta64(1, "h"), np.datetime64("NaT"))
    a = prepare(leads, versions, as_of=SNAPSHOT)
    for i, candidate in enumerate((one, two)):
        assert (mql_mask(a, candidate)[a.version == i] == actual[a.version == i]).all()
        monthly = evaluate(a, candidate).monthly
        governed = (monthly.index < pd.Period("2026-03", "M")) == (i == 0)
        assert (monthly["mqls"][governed] == monthly["actual_mqls"][governed]).all()


@settings(deadline=None, max_examples=40)
@given(
    rows=lead_rows,
    candidate=candidates,
    capacity=st.floats(0.01, 50),
    lower_by=st.floats(0, 1, exclude_max=True),
)
def test_lowering_capacity_never_clears_the_over_capacity_flag(rows, candidate, capacity, lower_by):
    a = prepare(_frame(rows), [V1], as_of=SNAPSHOT)
    high = evaluate(a, candidate.replace(capacity_per_rep_week=capacity))
    low = evaluate(a, candidate.replace(capacity_per_rep_week=capacity * (1 - lower_by)))
    assert low.over_capacity >= high.over_capacity
    assert low.months_over_capacity >= high.months_over_capacity


@settings(deadline=None, max_examples=40)
@given(rows=lead_rows, candidate=candidates, baseline=st.none() | candidates)
def test_mql_counts_per_month_sum_to_the_total(rows, candidate, baseline):
    a = prepare(_frame(rows), [V1], as_of=SNAPSHOT)
    r = evaluate(a, candidate, baseline=baseline)
    in_history = mql_mask(a, candidate) & (a.month < a.n_months)
    assert r.monthly["mqls"].sum() == in_history.sum()
    assert r.mqls * a.n_months == pytest.approx(in_history.sum())
    assert r.by_channel["mqls"].sum() * a.n_months == pytest.approx(in_history.sum())
    assert r.monthly["extrapolated_mqls"].sum() <= in_history.sum()
    assert r.monthly["sqls"].fillna(0).le(r.monthly["mqls"] + 1e-9).all()


def test_the_history_counts_won_and_lost_leads_as_accepted_sqls():
    from tests.factories import decided_leads

    leads = decided_leads().assign(score=80)
    a = prepare(leads, [V1], as_of="2026-12-01")
    assert int(a.hist_mqls.sum()) == 6
    assert int(a.hist_sqls.sum()) == 3  # W, L, O
    assert int(a.hist_won.sum()) == 2
    assert int(a.hist_accepted.sum()) == 3  # converted leads were accepted by sales
    assert int(a.hist_rejected.sum()) == 1


@pytest.mark.parametrize(
    ("empty", "changes", "expected"),
    [
        ((), {}, []),
        (("score",), {}, ["score_threshold"]),
        (("score",), {"score_threshold": 0}, []),  # a threshold of 0 asks nothing of the score
        (("score", "company_size", "demo_request"), {}, ["score_threshold", "min_company_size", "demo_request"]),
        (("persona", "country"), {"personas": ("CTO",), "countries": ("Spain",)}, ["personas", "countries"]),
        (("persona", "country"), {}, []),  # empty lists admit any persona or country
        (
            ("page_views", "form_submissions"),
            {"min_page_views": 5, "min_form_submissions": 2},
            ["min_page_views", "min_form_submissions"],
        ),  # fmt: skip
        (("page_views",), {}, []),  # the trigger is off
    ],
)
def test_unmeetable_criteria_name_what_an_empty_field_rules_out(empty, changes, expected):
    from sla_model.whatif import unmeetable_criteria

    candidate = Candidate.from_sla(V1, team_size=2, capacity_per_rep_week=10).replace(**changes)
    # V1: score ≥ 50, company size ≥ 20, a demo request triggers
    assert unmeetable_criteria(candidate, empty) == expected


# --- follow-up rules replayed on the touches, computed by hand ------------------------------------
# History: January 2026 (snapshot 15 Feb). A: touched at +1 h, +30 h, +50 h (and once before the
# handoff), accepted at +60 h. B: touched at +5 h, rejected for no response after 8 days. C: never
# touched, undecided. D: never touched, accepted at +10 h (its touches were not recorded). E is
# handed over in February (not history); X is not a lead.


def _follow_up_data():
    from tests.factories import make_touch, touches_frame

    leads = leads_frame(
        make_lead("A", mql_at="2026-01-10 09:00", accepted_at="2026-01-12 21:00"),
        make_lead("B", mql_at="2026-01-12 09:00", rejected_at="2026-01-20 09:00", rejection_reason="no_response"),
        make_lead("C", mql_at="2026-01-20 09:00"),
        make_lead("D", mql_at="2026-01-25 09:00", accepted_at="2026-01-25 19:00"),
        make_lead("E", mql_at="2026-02-03 09:00"),
    )
    touches = touches_frame(
        make_touch("A", "2026-01-10 07:00"),
        make_touch("A", "2026-01-10 10:00"),
        make_touch("A", "2026-01-11 15:00"),
        make_touch("A", "2026-01-12 11:00"),
        make_touch("B", "2026-01-12 14:00"),
        make_touch("E", "2026-02-03 10:00"),
        make_touch("X", "2026-01-10 10:00"),
    )
    return leads, touches


def _replay(leads, touches, **rules):
    from sla_model.whatif import follow_up_replay

    rules = {"first_touch_hours": 2, "min_touches": 3, "touch_window_days": 7, "decision_hours": 48} | rules
    months = pd.period_range("2026-01", "2026-01", freq="M")
    return follow_up_replay(leads, touches, months=months, as_of=pd.Timestamp("2026-02-15"), **rules)


@pytest.mark.parametrize(
    ("rules", "rule", "judged", "within", "breaches"),
    [
        ({}, "first_touch", 3, 1, 2),  # A in time; B late; C missed; D untracked
        ({"first_touch_hours": 8}, "first_touch", 3, 2, 1),  # B's 5 h is now in time
        ({"first_touch_hours": 0.5}, "first_touch", 3, 0, 3),
        ({}, "touches", 4, 2, 2),  # A 3 touches; D decided; B (no-response rejection) and C short
        ({"min_touches": 1}, "touches", 4, 3, 1),
        ({"touch_window_days": 1}, "touches", 4, 1, 3),  # A's 3rd touch is after a day; D decided in it
        ({}, "decision", 4, 1, 3),  # D at 10 h; A at 60 h, B at 192 h, C never
        ({"decision_hours": 72}, "decision", 4, 2, 2),
    ],
)
def test_follow_up_replay_by_hand(rules, rule, judged, within, breaches):
    leads, touches = _follow_up_data()
    row = _replay(leads, touches, **rules).loc[rule]
    assert (row["judged"], row["within"], row["breaches_per_month"]) == (judged, within, breaches)
    assert row["share_within"] == pytest.approx(within / judged)


def test_follow_up_replay_without_touches_judges_only_the_decision_rule():
    leads, touches = _follow_up_data()
    out = _replay(leads, touches.iloc[:0])
    assert out.loc[["first_touch", "touches"], "judged"].tolist() == [0, 0]
    assert out.loc[["first_touch", "touches"], "breaches_per_month"].tolist() == [0, 0]
    assert math.isnan(out.loc["first_touch", "share_within"])
    assert out.loc["decision", "judged"] == 4


def test_follow_up_replay_of_no_mqls_is_empty_not_an_error():
    leads, touches = _follow_up_data()
    out = _replay(leads.iloc[:0], touches)
    assert out["judged"].tolist() == [0, 0, 0]


# --- a scenario file and the controls' ranges ------------------------------------------------------


def _scenario(**changes) -> Candidate:
    return Candidate.from_sla(make_sla(), team_size=2, capacity_per_rep_week=15.0).replace(**changes)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"quota_mqls": 1_000_000, "score_threshold": 0}, []),  # the ends of a range are inside it
        ({"quota_mqls": 1_000_001}, [("quotas.mqls", False)]),
        ({"revenue_goal": 1e308}, [("goal.monthly_revenue", False)]),
        ({"average_deal_size": 12_000.5}, [("goal.average_deal_size", True)]),  # in range, not a whole amount
        ({"first_touch_hours": 0.0001, "min_company_size": 10**12},
         [("mql.fit.min_company_size", False), ("follow_up.first_touch_hours", False)]),
    ],
)  # fmt: skip
def test_out_of_bounds_names_each_value_the_controls_cannot_hold(changes, expected):
    from sla_model.whatif.scenario import out_of_bounds

    assert [(p.sla_field, p.not_whole) for p in out_of_bounds(_scenario(**changes))] == expected


def test_every_bounded_control_names_its_sla_field():
    from sla_model.whatif.scenario import BOUNDS, SLA_FIELDS, WHOLE

    assert set(BOUNDS) == set(SLA_FIELDS) and set(WHOLE) <= set(BOUNDS)
    assert all(low < high for low, high in BOUNDS.values())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe not utf-8", "bad.toml: not a TOML scenario file"),
        (b"meta = [", "bad.toml: not a TOML scenario file"),
        (b'[meta]\nversion = "x"\n', "bad.toml"),  # TOML, but not an SLA: the SLA check names the file
    ],
)
def test_a_scenario_file_that_is_not_an_sla_is_refused_naming_the_file(content, message):
    from sla_model.whatif.scenario import ScenarioFileError, read_scenario

    with pytest.raises(ScenarioFileError, match=message):
        read_scenario(content, "bad.toml")


def test_a_downloaded_scenario_reads_back_as_the_same_sla():
    import tomli_w

    from sla_model.agreement.sla import sla_to_dict
    from sla_model.whatif.scenario import read_scenario

    sla = make_sla()
    assert sla_to_dict(read_scenario(tomli_w.dumps(sla_to_dict(sla)).encode(), "back.toml")) == sla_to_dict(sla)


# --- the what-if charts ------------------------------------------------------------------------------


def test_the_monthly_chart_has_one_line_per_series_in_a_fixed_order(arrays):
    from sla_model.charts.whatif import monthly_mqls_chart, monthly_mqls_frame

    base = Candidate.from_sla(V1, team_size=1, capacity_per_rep_week=15.0)
    r = evaluate(arrays, base.replace(score_threshold=40), baseline=base)
    long = monthly_mqls_frame(r.monthly, 1)
    assert len(long) == 3 * len(r.monthly)
    assert long.groupby("series")["MQLs"].sum().to_dict() == pytest.approx(
        {"Candidate": r.monthly["mqls"].sum(), "SLA v1": r.monthly["baseline_mqls"].sum(),
         "Actually handed over": r.monthly["actual_mqls"].sum()})  # fmt: skip
    spec = monthly_mqls_chart(long, 1).to_dict()
    assert spec["encoding"]["color"]["scale"]["domain"] == ["Candidate", "SLA v1", "Actually handed over"]

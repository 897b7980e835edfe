"""Weeks, quarters, year to date and custom ranges: bounds, comparisons and quotas worked out by hand."""

import datetime as dt

import pandas as pd
import pytest

from sla_model.metrics.periods import (
    Span,
    comparison_of,
    cumulative_by_span,
    custom_span,
    daily_quotas,
    month_of,
    pace_at,
    parse_span,
    span_of,
    span_progress,
    span_quota,
)
from sla_model.metrics.progress import measure_in
from tests.factories import leads_frame, make_lead, make_sla

AS_OF = pd.Timestamp("2026-11-18 12:00")  # a Wednesday
V1 = make_sla(meta={"version": 1, "effective_from": dt.date(2026, 1, 1)}, quotas={"mqls": 400, "mqls_by_channel": {}})
# Version 2 raises the MQL quota to 465 from 16 May (the middle of a 31-day month).
V2 = make_sla(meta={"version": 2, "effective_from": dt.date(2026, 5, 16)}, quotas={"mqls": 465, "mqls_by_channel": {}})


def test_each_kind_of_span_and_its_bounds():
    week = span_of("week", AS_OF)
    assert (week.start, week.end) == (pd.Timestamp("2026-11-16"), pd.Timestamp("2026-11-23"))  # Monday to Monday
    quarter = span_of("quarter", AS_OF)
    assert (quarter.start, quarter.end, quarter.days) == (pd.Timestamp("2026-10-01"), pd.Timestamp("2027-01-01"), 92)
    ytd = span_of("ytd", AS_OF)
    assert (ytd.start, ytd.end) == (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-11-19"))
    custom = custom_span(dt.date(2026, 11, 3), dt.date(2026, 11, 17))
    assert custom.days == 15 and custom.label() == "3 Nov – 17 Nov 2026"


def test_comparisons_previous_period_and_last_year():
    week = span_of("week", AS_OF)
    assert week.previous() == Span("week", pd.Timestamp("2026-11-09"), pd.Timestamp("2026-11-16"))
    assert week.last_year().start == pd.Timestamp("2025-11-17")  # 52 weeks back: a Monday too
    quarter = span_of("quarter", AS_OF)
    assert quarter.previous() == Span("quarter", pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01"))
    assert quarter.last_year() == Span("quarter", pd.Timestamp("2025-10-01"), pd.Timestamp("2026-01-01"))
    custom = custom_span(dt.date(2026, 11, 3), dt.date(2026, 11, 17))
    assert custom.previous() == Span("custom", pd.Timestamp("2026-10-19"), pd.Timestamp("2026-11-03"))
    assert span_of("ytd", AS_OF).previous() == Span("ytd", pd.Timestamp("2025-01-01"), pd.Timestamp("2025-11-19"))
    month = span_of("month", AS_OF)
    assert month.previous().key() == "2026-10" and month.last_year().key() == "2025-11"


def test_a_running_span_is_compared_to_the_same_point():
    quarter = span_of("quarter", AS_OF)  # 48.5 days in on 18 Nov 12:00
    so_far = quarter.to_date(AS_OF)
    before = quarter.compare(quarter.previous(), AS_OF)
    assert so_far.end == AS_OF and before.start == pd.Timestamp("2026-07-01")
    assert before.end == pd.Timestamp("2026-07-01") + (AS_OF - pd.Timestamp("2026-10-01"))
    assert quarter.elapsed_share(AS_OF) == pytest.approx(48.5 / 92)


@pytest.mark.parametrize(
    ("key", "label", "days"),
    [("2026-11", "November 2026", 30), ("2026-W01", "Week 1 · 29 Dec 2025–4 Jan 2026", 7), ("2026-Q1", "Q1 2026", 90),
     ("2026-YTD", "2026 to date", 322), ("2025-YTD", "2025 to date", 322),
     ("2026-02-27..2026-03-02", "27 Feb – 2 Mar 2026", 4), ("2025-12-30..2026-01-02", "30 Dec 2025 – 2 Jan 2026", 4)],
)  # fmt: skip
def test_spans_round_trip_through_the_url(key, label, days):
    span = parse_span(key, AS_OF)
    assert (span.label(), span.days) == (label, days)
    assert parse_span(span.key(), AS_OF) == span


@pytest.mark.parametrize(
    ("text", "message"),
    [("2026-13", "is not a period"), ("2026-W60", "is not a period"), ("last week", "is not a period"),
     ("2026-11-17..2026-11-03", "ends .* before it starts"), ("1990-01-01..2026-01-01", "at most 3,660 days")],
)  # fmt: skip
def test_a_bad_period_in_the_url_names_the_problem(text, message):
    with pytest.raises(ValueError, match=message):
        parse_span(text, AS_OF)


def test_quotas_scale_day_by_day_with_the_version_in_force():
    # A whole month counts its own quota exactly.
    assert span_quota([V1, V2], "mqls", parse_span("2026-04", AS_OF)) == pytest.approx(400)
    # Q2 2026: April 400 + May (15 days of 400 and 16 days of 465, of 31) + June 465.
    may = 15 / 31 * 400 + 16 / 31 * 465
    assert span_quota([V1, V2], "mqls", parse_span("2026-Q2", AS_OF)) == pytest.approx(400 + may + 465)
    # A custom range of 15 of November's 30 days: half the month's quota.
    assert span_quota([V1, V2], "mqls", parse_span("2026-11-03..2026-11-17", AS_OF)) == pytest.approx(465 / 2)
    # A week across a month end: 4 days of 31 (October) and 3 of 30 (November).
    week = parse_span("2026-W44", AS_OF)  # Monday 26 Oct to Sunday 1 Nov
    assert span_quota([V1, V2], "mqls", week) == pytest.approx(465 * (6 / 31 + 1 / 30))
    # Revenue scales the same way.
    assert span_quota([V1], "revenue", parse_span("2026-Q1", AS_OF)) == pytest.approx(3 * V1.goal.monthly_revenue)


def test_a_span_counts_the_events_inside_it():
    leads = leads_frame(
        make_lead("a", mql_at="2026-10-31 23:59"),  # before the custom range
        make_lead("b", mql_at="2026-11-03 00:00"),  # its first moment
        make_lead("c", mql_at="2026-11-17 23:59"),  # its last day
        make_lead("d", mql_at="2026-11-18 00:00"),  # the day after
    )
    span = parse_span("2026-11-03..2026-11-17", AS_OF)
    assert measure_in(leads, "mqls", span.start, span.end) == 2
    assert measure_in(leads, "mqls", *(lambda s: (s.start, s.end))(span_of("quarter", AS_OF))) == 4


# Version 3 cuts the MQL quota to 300 from 1 June; with V2 (465 from 16 May) in force before it.
V3 = make_sla(meta={"version": 3, "effective_from": dt.date(2026, 6, 1)}, quotas={"mqls": 300, "mqls_by_channel": {}})


def test_a_custom_range_of_22_days_across_two_months_and_a_version_change():
    span = parse_span("2026-05-20..2026-06-10", AS_OF)
    assert span.days == 22 and span.label() == "20 May – 10 Jun 2026"
    # 20–31 May: 12 days of 465/31 = 180; 1–10 June: 10 days of 300/30 = 100.
    assert span_quota([V1, V2, V3], "mqls", span) == pytest.approx(280)
    daily = daily_quotas([V1, V2, V3], "mqls", span)
    assert len(daily) == 22 and daily[0] == pytest.approx(15) and daily[-1] == pytest.approx(10)


def test_pace_and_progress_in_a_quarter_across_a_version_change():
    q2 = parse_span("2026-Q2", AS_OF)
    daily = daily_quotas([V1, V2], "mqls", q2)
    # On 16 May at 00:00: all of April (400) and 1–15 May at 400/31 a day are due.
    p = span_progress(500, daily, q2, pd.Timestamp("2026-05-16"))
    assert p.pace == pytest.approx(400 + 15 * 400 / 31)
    assert p.elapsed == pytest.approx(45 / 91) and p.projection == pytest.approx(500 * 91 / 45)
    assert p.quota == pytest.approx(400 + 15 / 31 * 400 + 16 / 31 * 465 + 465) and not p.closed
    # Halfway through 16 May: half that day's 465/31 more.
    assert pace_at(daily, q2, pd.Timestamp("2026-05-16 12:00")) == pytest.approx(p.pace + 465 / 31 / 2)
    done = span_progress(1400, daily, q2, AS_OF)
    assert (done.closed, done.status, done.pace) == (True, "met", pytest.approx(done.quota))


def test_filters_scale_the_view_quota_too():
    v = make_sla(meta={"version": 1, "effective_from": dt.date(2026, 1, 1)},
                 quotas={"mqls": 1000, "mqls_by_channel": {"Email": 120, "Events": 60}})  # fmt: skip
    week = parse_span("2026-W44", AS_OF)  # 26–31 Oct (6 of 31 days) and 1 Nov (1 of 30)
    email = daily_quotas([v], "mqls", week, channels=("Email",)).sum()
    assert email == pytest.approx(120 * (6 / 31 + 1 / 30))
    both = daily_quotas([v], "mqls", week, channels=("Email", "Events")).sum()
    assert both == pytest.approx(180 * (6 / 31 + 1 / 30))
    assert daily_quotas([v], "mqls", week, owners=("Ana",)).sum() == 0
    assert daily_quotas([v], "sqls", week, channels=("Email",)).sum() == 0


def test_the_cumulative_line_and_its_ghost_of_the_comparison():
    leads = leads_frame(
        make_lead("a", mql_at="2026-10-01 09:00"),  # day 1 of Q4
        make_lead("b", mql_at="2026-10-03 09:00"),
        make_lead("c", mql_at="2026-07-01 10:00"),  # day 1 of Q3
        make_lead("d", mql_at="2026-07-02 10:00"),
        make_lead("e", mql_at="2026-07-02 11:00"),
        make_lead("f", mql_at="2026-09-30 11:00"),  # Q3's last day (its 92nd)
    )
    q4 = parse_span("2026-Q4", AS_OF)
    daily = daily_quotas([V1, V2], "mqls", q4)
    frame = cumulative_by_span(leads, q4, daily, AS_OF, "mqls", comparison_of(q4, "previous"))
    assert len(frame) == 92 and frame["day"].iloc[0] == dt.date(2026, 10, 1)
    assert list(frame["actual"][:4]) == [1, 1, 2, 2]
    assert list(frame["comparison"][:3]) == [1, 3, 3] and frame["comparison"].iloc[-1] == 4
    assert frame["actual"].iloc[49:].isna().all() and frame["actual"].iloc[48] == 2  # 18 Nov is day 49
    assert frame["pace"].iloc[-1] == pytest.approx(3 * 465)
    assert frame["projection"].iloc[-1] == pytest.approx(2 / (48.5 / 92))
    none = cumulative_by_span(leads, q4, daily, AS_OF, "mqls", None)
    assert none["comparison"].isna().all()


def test_the_month_a_span_stands_for_and_its_comparisons():
    assert str(month_of(parse_span("2026-Q2", AS_OF), AS_OF)) == "2026-06"
    assert str(month_of(parse_span("2026-Q4", AS_OF), AS_OF)) == "2026-11"  # running: the month of the clock
    assert str(month_of(parse_span("2026-W44", AS_OF), AS_OF)) == "2026-11"  # its last day is 1 Nov
    week = parse_span("2026-W47", AS_OF)
    assert comparison_of(week, "previous").key() == "2026-W46"
    assert comparison_of(week, "last_year").key() == "2025-W47"
    assert comparison_of(week, "none") is None

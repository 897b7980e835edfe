"""Weeks, quarters, year to date and custom ranges: bounds, comparisons and quotas worked out by hand."""

import datetime as dt

import pandas as pd
import pytest

from sla_model.metrics.periods import Span, custom_span, parse_span, span_of, span_quota
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

"""Lead quality's monthly windows cut from a table of every month: the same rows as counting the window itself."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import pandas as pd
import pytest

import ui.lead_quality as lq
from sla_model.generator import generate
from sla_model.metrics.quality import acceptance_trend, monthly_acceptance
from sla_model.metrics.velocity import cohort_funnel


@pytest.fixture(scope="module")
def leads():
    return generate(n_leads=3_000, seed=5).leads


def view_of(leads: pd.DataFrame, version: int, channels: tuple = ()) -> SimpleNamespace:
    """The parts of a ``ui.controls.View`` the windows read: the (filtered) leads, the data's months, the scope."""
    shown = leads[leads["channel"].isin(channels)] if channels else leads
    first = leads["created_at"].min().to_period("M")
    # like ``Dataset.months``, to the month of the data's moment: one past the last lead's, with no MQL yet
    data = SimpleNamespace(months=pd.period_range(first, leads["created_at"].max().to_period("M") + 1, freq="M"),
                           version=version)  # fmt: skip
    return SimpleNamespace(data=data, leads=shown, channels=channels, personas=(), owners=())


@pytest.mark.parametrize("channels", [(), ("Webinar", "Paid Search"), ("Referral",)])  # Referral: months without MQLs
def test_every_months_trend_and_cohort_window_is_the_one_counted_on_its_own(leads, channels):
    view = view_of(leads, version=hash(channels) % 1000, channels=channels)
    months = view.data.months
    assert len(months) > 12
    for last in months:
        window = months[months <= last][-12:]
        expected = acceptance_trend(view.leads, window, (last + 1).start_time)
        pd.testing.assert_frame_equal(lq.trend_window(view, window), expected, check_index_type=True)
        cohorts = pd.period_range(max(last - 11, months[0]), last, freq="M")
        expected = cohort_funnel(view.leads, cohorts)
        pd.testing.assert_frame_equal(lq.cohort_window(view, cohorts), expected, check_index_type=True)


def test_a_window_reaching_past_the_datas_months_is_counted_on_its_own(leads):
    view = view_of(leads, version=7)
    window = pd.period_range(view.data.months[-3], view.data.months[-1] + 2, freq="M")
    expected = acceptance_trend(view.leads, window, (window[-1] + 1).start_time)
    pd.testing.assert_frame_equal(lq.trend_window(view, window), expected)
    pd.testing.assert_frame_equal(lq.cohort_window(view, window), cohort_funnel(view.leads, window))
    empty = pd.PeriodIndex([], freq="M")
    assert lq.trend_window(view, empty).empty


def test_a_change_of_month_counts_nothing_again(leads, monkeypatch):
    calls = []

    def counted(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            calls.append(fn.__name__)
            return fn(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(lq, "monthly_acceptance", counted(monthly_acceptance))
    monkeypatch.setattr(lq, "cohort_funnel", counted(cohort_funnel))
    view = view_of(leads, version=11)
    months = view.data.months
    for last in (months[-1], months[-2], months[-5]):
        lq.trend_window(view, months[months <= last][-12:])
        lq.cohort_window(view, pd.period_range(max(last - 11, months[0]), last, freq="M"))
    assert calls == ["monthly_acceptance", "cohort_funnel"]

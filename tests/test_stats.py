import math

import numpy as np
import pandas as pd
import pytest

from sla_model.metrics.stats import SMALL_SAMPLE, Z95, rate_frame, safe_rate, wilson_interval


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [
        (1, 4, 0.25),
        (0, 5, 0.0),
        (5, 5, 1.0),
        (0, 0, math.nan),  # zero denominator: NaN, not an error
        (3, 0, math.nan),
        (1, -2, math.nan),  # a negative count is no denominator either
        (1, math.nan, math.nan),
        (math.nan, 4, math.nan),
        (10**12, 4 * 10**12, 0.25),  # very large counts
    ],
)
def test_safe_rate(successes, n, expected):
    got = float(safe_rate(successes, n))
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected


def test_safe_rate_vectorised():
    got = safe_rate(np.array([1, 0, 2]), np.array([4, 0, 8]))
    np.testing.assert_array_equal(got, [0.25, np.nan, 0.25])


@pytest.mark.parametrize(
    ("successes", "n", "z", "low", "high"),
    [
        # z = 1, 0 of 1: p = 0, denom = 1 + 1/1 = 2, centre = (0 + 1/2) / 2 = 0.25,
        # half = 1 * sqrt(0 + 1/4) / 2 = 0.25 -> (0, 0.5)
        (0, 1, 1.0, 0.0, 0.5),
        # z = 2, 2 of 4: p = 0.5, denom = 1 + 4/4 = 2, centre = (0.5 + 4/8) / 2 = 0.5,
        # half = 2 * sqrt(0.25/4 + 4/64) / 2 = sqrt(0.125) = 0.353553 -> (0.146447, 0.853553)
        (2, 4, 2.0, 0.5 - math.sqrt(0.125), 0.5 + math.sqrt(0.125)),
        # z = 1.96, 0 of 10: z^2 = 3.841459; centre = half = (z^2/20) / (1 + z^2/10)
        # -> low 0, high = 0.384146 / 1.384146 = 0.277533
        (0, 10, Z95, 0.0, 0.3841459 / 1.3841459),
        # 10 of 10 mirrors it: low = 1 / (1 + z^2/10) = 1 / 1.384146 = 0.722467, high 1
        (10, 10, Z95, 1 / 1.3841459, 1.0),
        # 8 of 10 (the docstring example)
        (8, 10, Z95, 0.4902, 0.9433),
        # 3 of 4: p = 0.75, denom = 1.960366, centre = (0.75 + 0.480182) / 1.960366 = 0.627528,
        # half = 1.96 * sqrt(0.046875 + 0.060023) / 1.960366 = 0.326886 -> (0.300642, 0.954413)
        (3, 4, Z95, 0.300642, 0.954413),
        # a million trials at 50%: half ~ 1.96 * sqrt(0.25 / 1e6) = 0.00098
        (500_000, 1_000_000, Z95, 0.5 - 0.00098, 0.5 + 0.00098),
    ],
)
def test_wilson_interval(successes, n, z, low, high):
    got_low, got_high = wilson_interval(successes, n, z)
    assert float(got_low) == pytest.approx(low, abs=5e-5)
    assert float(got_high) == pytest.approx(high, abs=5e-5)


def test_wilson_interval_without_trials_is_nan():
    low, high = wilson_interval(np.array([0, 1]), np.array([0, 2]))
    assert np.isnan(low[0]) and np.isnan(high[0])
    # 1 of 2 with z = 1.96: denom = 1 + 3.841459/2 = 2.920729, centre = (0.5 + 0.960365) / 2.920729 = 0.5,
    # half = 1.959964 * sqrt(0.125 + 0.240091) / 2.920729 = 1.184271 / 2.920729 = 0.405469
    assert low[1] == pytest.approx(0.5 - 0.405469, abs=1e-5)
    assert high[1] == pytest.approx(0.5 + 0.405469, abs=1e-5)


def test_wilson_interval_without_trials_is_nan_whatever_the_successes():
    # successes without trials (e.g. a group missing from n in rate_frame) must not warn: NaN, silently
    low, high = wilson_interval(np.array([3.0, 2.0, 1.0]), np.array([0.0, np.nan, -1.0]))
    assert np.isnan(low).all() and np.isnan(high).all()


def test_wilson_interval_stays_inside_0_1_and_brackets_the_rate():
    s = np.arange(0, 21)
    n = np.full(21, 20)
    low, high = wilson_interval(s, n)
    p = s / n
    assert np.all((low >= 0) & (low <= p) & (p <= high) & (high <= 1))


def test_rate_frame():
    successes = pd.Series({"Email": 3, "Événements 🎪": 0, "Webinar": 40, "Referral": 15})
    n = pd.Series({"Email": 4, "Événements 🎪": 0, "Webinar": 50, "Referral": 30})
    frame = rate_frame(successes, n)
    assert frame.index.tolist() == ["Email", "Événements 🎪", "Webinar", "Referral"]
    assert frame["successes"].tolist() == [3, 0, 40, 15]
    assert frame["n"].tolist() == [4, 0, 50, 30]
    # 3/4, 0/0 -> NaN, 40/50, 15/30
    np.testing.assert_array_equal(frame["rate"].to_numpy(), [0.75, np.nan, 0.8, 0.5])
    assert frame.loc["Email", "low"] == pytest.approx(0.300642, abs=1e-5)
    assert np.isnan(frame.loc["Événements 🎪", "low"]) and np.isnan(frame.loc["Événements 🎪", "high"])
    # small sample: n < 30 -> 4 and 0 are small, 50 and 30 are not
    assert frame["small_sample"].tolist() == [True, True, False, False]
    assert frame["successes"].dtype == np.int64 and frame["n"].dtype == np.int64


def test_rate_frame_aligns_n_on_successes_and_fills_missing_with_zero():
    successes = pd.Series({"a": 1, "b": 2})
    n = pd.Series({"b": 4, "c": 9})  # no "a"; "c" has no successes entry and is dropped
    frame = rate_frame(successes, n, small=5)
    assert frame.index.tolist() == ["a", "b"]
    assert frame["n"].tolist() == [0, 4]
    np.testing.assert_array_equal(frame["rate"].to_numpy(), [np.nan, 0.5])
    assert frame["small_sample"].tolist() == [True, True]  # 0 < 5 and 4 < 5


def test_rate_frame_successes_without_n():
    frame = rate_frame(pd.Series({"a": 2, "b": 1}), pd.Series({"b": 4}))
    assert frame["n"].tolist() == [0, 4]
    assert np.isnan(frame.loc["a", ["rate", "low", "high"]].to_numpy(dtype=float)).all()
    assert frame.loc["b", "rate"] == 0.25


def test_rate_frame_empty():
    frame = rate_frame(pd.Series([], dtype=float), pd.Series([], dtype=float))
    assert frame.empty
    assert frame.columns.tolist() == ["successes", "n", "rate", "low", "high", "small_sample"]


def test_small_sample_threshold():
    assert SMALL_SAMPLE == 30
    frame = rate_frame(pd.Series([10, 10]), pd.Series([29, 30]))
    assert frame["small_sample"].tolist() == [True, False]

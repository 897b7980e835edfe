"""Rates with their uncertainty: Wilson score intervals and small-sample flags."""

from __future__ import annotations

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
#: Below this many observations a rate is flagged as a small sample.
SMALL_SAMPLE = 30


def safe_rate(successes: np.ndarray | float, n: np.ndarray | float) -> np.ndarray:
    """``successes / n``, NaN where ``n`` is 0.

    Examples:
        >>> safe_rate(np.array([1, 0]), np.array([4, 0])).tolist()
        [0.25, nan]
    """
    s = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / np.where(n > 0, n, 1), np.nan)


def wilson_interval(
    successes: np.ndarray | float, n: np.ndarray | float, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval for a binomial proportion (95% by default), NaN where n is 0.

    Examples:
        >>> low, high = wilson_interval(8, 10)
        >>> round(float(low), 4), round(float(high), 4)
        (0.4902, 0.9433)
    """
    s = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    safe_n = np.where(n > 0, n, 1)
    p = np.where(n > 0, s / safe_n, 0.0)  # no trials: NaN below, without a sqrt of a negative number
    denom = 1 + z**2 / safe_n
    centre = (p + z**2 / (2 * safe_n)) / denom
    half = z * np.sqrt(p * (1 - p) / safe_n + z**2 / (4 * safe_n**2)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return low, high


def rate_frame(successes: pd.Series, n: pd.Series, *, small: int = SMALL_SAMPLE) -> pd.DataFrame:
    """A table of rates with Wilson bounds and a small-sample flag, aligned on the inputs' index.

    Columns: ``successes``, ``n``, ``rate``, ``low``, ``high``, ``small_sample``.
    """
    s = successes.astype(float)
    n = n.reindex(s.index).fillna(0).astype(float)
    low, high = wilson_interval(s.to_numpy(), n.to_numpy())
    return pd.DataFrame(
        {
            "successes": s.astype(np.int64),
            "n": n.astype(np.int64),
            "rate": safe_rate(s.to_numpy(), n.to_numpy()),
            "low": low,
            "high": high,
            "small_sample": (n < small).to_numpy(),
        },
        index=s.index,
    )

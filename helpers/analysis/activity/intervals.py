"""Confidence intervals of proportions, shared by retention and retention drivers."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["wilson_interval"]


def wilson_interval(successes, n, *, alpha: float = 0.05):
    """Wilson score interval for a binomial proportion (vectorised; NaN where ``n == 0``).

    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` with ``z`` the ``1 - alpha/2``
    normal quantile; equal to statsmodels ``proportion_confint(method="wilson")``.

    Returns
    -------
    (low, high) : arrays of float

    Examples
    --------
    >>> low, high = wilson_interval([3, 0], [4, 0])
    >>> [round(float(x), 4) for x in (low[0], high[0])], bool(np.isnan(low[1]))
    ([0.3006, 0.9544], True)
    """
    k = np.asarray(successes, dtype="float64")
    n = np.asarray(n, dtype="float64")
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    bad = ~(n > 0)
    low, high = np.where(bad, np.nan, centre - half), np.where(bad, np.nan, centre + half)
    return np.clip(low, 0, 1), np.clip(high, 0, 1)

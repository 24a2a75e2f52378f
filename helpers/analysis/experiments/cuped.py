"""CUPED (Deng et al. 2013): variance reduction with each user's pre-assignment value."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.core.errors import ParameterError

__all__ = ["CupedResult", "cuped_adjust"]


@dataclass
class CupedResult:
    """CUPED adjustment: ``adjusted = y - theta (x - mean(x))``; ``variance_reduction =
    1 - var(adjusted) / var(y)`` (about ``rho^2`` for the pooled correlation rho)."""

    adjusted: np.ndarray
    theta: float
    variance_reduction: float


def cuped_adjust(y, x_pre, *, groups=None) -> CupedResult:
    """CUPED (Deng et al. 2013) with the pre-period covariate ``x_pre``.

    ``theta = cov(y, x) / var(x)`` is pooled over variants: computed once on all users together,
    so every variant is shifted by the same coefficient and the adjusted means stay unbiased
    under randomization. Users whose ``x_pre`` is NaN get ``x_pre = mean(x)`` (no adjustment).

    Parameters
    ----------
    y, x_pre : array-like
        Per-user metric during the experiment and the same metric before assignment.
    groups : array-like, optional
        Variant per user. If given, the variance reduction is measured within variants
        (pooled within-group variances), so a real treatment effect does not count as variance.

    Examples
    --------
    >>> r = cuped_adjust([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 5.0])
    >>> round(r.theta, 4)
    0.7429
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x_pre, dtype=float)
    if y.shape != x.shape:
        raise ParameterError(
            f"`y` and `x_pre` must have the same length, "
            f"but {y.size} and {x.size} values were passed."
        )
    xm = np.nanmean(x) if np.any(~np.isnan(x)) else 0.0
    x = np.where(np.isnan(x), xm, x)
    seen = ~np.isnan(y)  # users without an outcome (e.g. retained_d7 still open) stay NaN
    vx = np.var(x[seen], ddof=1) if seen.sum() > 1 else 0.0
    theta = float(np.cov(y[seen], x[seen], ddof=1)[0, 1] / vx) if vx > 0 else 0.0
    adjusted = y - theta * (x - xm)
    vy = _variance(y, groups)
    reduction = float(1 - _variance(adjusted, groups) / vy) if vy > 0 else 0.0
    return CupedResult(adjusted=adjusted, theta=theta, variance_reduction=reduction)


def _variance(values: np.ndarray, groups) -> float:
    """Sample variance, or the pooled within-group variance when ``groups`` is given."""
    if groups is None:
        return np.nanvar(values, ddof=1)
    g = pd.Series(values).groupby(np.asarray(groups))
    return float((g.var(ddof=1) * (g.count() - 1)).sum() / (g.count() - 1).sum())

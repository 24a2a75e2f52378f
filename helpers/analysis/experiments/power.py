"""Minimum detectable effect and power of a comparison at the sample size it has.

Closed-form normal approximation of a two-sided test (the same formula as statsmodels'
``NormalIndPower`` when both arms share one variance): with ``se`` the standard error of the
absolute difference of the means,

* ``mde = (z_{1 - alpha/2} + z_{power}) * se``: the smallest absolute lift the test detects with
  probability ``power`` (0.8 by convention);
* ``power(d) = Phi(|d| / se - z_{1 - alpha/2}) + Phi(-|d| / se - z_{1 - alpha/2})``: the chance
  that the test is significant when the true lift is ``d``;
* ``users_needed(d) = n * (mde / |d|)^2``: the users per variant that would bring ``mde`` down
  to ``d`` (the standard error shrinks as ``1 / sqrt(n)``).

A relative MDE is the absolute one over the control mean.
"""

from __future__ import annotations

import math

from scipy import stats

from helpers.core.errors import ParameterError

__all__ = ["MDE_POWER", "mde", "power_at", "users_needed", "standard_error"]

MDE_POWER = 0.8  # the power an MDE is quoted at


def _check(alpha: float, power: float | None = None) -> None:
    if not 0 < alpha < 1:
        raise ParameterError(f"`alpha` must be between 0 and 1, but {alpha!r} was passed.")
    if power is not None and not 0 < power < 1:
        raise ParameterError(f"`power` must be between 0 and 1, but {power!r} was passed.")


def standard_error(control, treatment) -> float:
    """Standard error of ``mean_t - mean_c`` from two summary statistics (NaN when a variant has
    fewer than two users or no variance).

    Examples
    --------
    >>> from helpers.analysis.experiments.summaries import Proportion
    >>> round(standard_error(Proportion(100, 50), Proportion(100, 50)), 6)
    0.070711
    """
    if control.n < 2 or treatment.n < 2:
        return float("nan")
    var = control.variance / control.n + treatment.variance / treatment.n
    return math.sqrt(var) if math.isfinite(var) and var > 0 else float("nan")


def mde(se: float, *, alpha: float = 0.05, power: float = MDE_POWER) -> float:
    """The minimum detectable absolute lift of a two-sided test with standard error ``se``.

    Examples
    --------
    >>> round(mde(0.01), 5)  # (1.959964 + 0.841621) * 0.01
    0.02802
    """
    _check(alpha, power)
    if not (math.isfinite(se) and se > 0):
        return float("nan")
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * se)


def power_at(lift: float, se: float, *, alpha: float = 0.05) -> float:
    """The chance that a two-sided test with standard error ``se`` is significant when the true
    absolute lift is ``lift``.

    Examples
    --------
    >>> round(power_at(0.02802, 0.01), 3)
    0.8
    """
    _check(alpha)
    if not (math.isfinite(se) and se > 0 and math.isfinite(lift)):
        return float("nan")
    z = stats.norm.ppf(1 - alpha / 2)
    d = abs(lift) / se
    return float(stats.norm.cdf(d - z) + stats.norm.cdf(-d - z))


def users_needed(lift: float, mde_now: float, n_per_variant: float) -> float:
    """Users per variant that bring the MDE down to ``|lift|`` (``n * (mde / lift)^2``); NaN for
    a zero lift.

    Examples
    --------
    >>> users_needed(0.01, 0.02, 1000)
    4000.0
    """
    if not (math.isfinite(lift) and lift != 0 and math.isfinite(mde_now)):
        return float("nan")
    return float(n_per_variant * (mde_now / abs(lift)) ** 2)

"""Frequentist comparison of a treatment with the control: Welch t-test on summary statistics.

Conventions follow GrowthBook's ``gbstats`` 0.8.0:

* the lift is absolute (``mean_t - mean_c``) or relative (``(mean_t - mean_c) / mean_c``, with
  the delta-method variance ``var_t/(n_t m_c^2) + m_t^2 var_c/(n_c m_c^4)``);
* two-sided Welch t-test, degrees of freedom by Welch-Satterthwaite;
* optionally an always-valid (sequential) interval and p-value.

Everything here is pure: summary statistics in (:mod:`helpers.analysis.experiments.summaries`),
a :class:`TestResult` out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from helpers.analysis.experiments.summaries import RatioStatistic
from helpers.core.errors import ParameterError

__all__ = [
    "TestResult",
    "lift_estimate",
    "welch_df",
    "nan_result",
    "frequentist_test",
    "ratio_metric_test",
]


def lift_estimate(control, treatment, relative: bool) -> tuple[float, float]:
    """Point estimate and variance of the lift (gbstats ``frequentist_diff/_variance``).

    Examples
    --------
    >>> from helpers.analysis.experiments.summaries import Proportion
    >>> lift_estimate(Proportion(100, 10), Proportion(100, 15), relative=False)[0]
    0.04999999999999999
    """
    mc, mt = control.mean, treatment.mean
    vc, vt = control.variance / control.n, treatment.variance / treatment.n
    if relative:
        if mc == 0 or not np.isfinite(mc):
            return float("nan"), float("nan")
        return (mt - mc) / mc, vt / mc**2 + vc * mt**2 / mc**4
    return mt - mc, vt + vc


def welch_df(control, treatment) -> float:
    """Welch-Satterthwaite degrees of freedom of the difference of two means."""
    vc, vt = control.variance, treatment.variance
    nc, nt = control.n, treatment.n
    num = (vt / nt + vc / nc) ** 2
    den = vt**2 / (nt**2 * (nt - 1)) + vc**2 / (nc**2 * (nc - 1))
    return num / den if den > 0 else float("nan")


@dataclass
class TestResult:
    """Result of one comparison of a treatment against the control.

    ``expected`` is the lift (relative or absolute, see ``relative``); ``ci`` its interval;
    ``p_value`` (frequentist) or ``chance_to_win`` and ``risk`` (Bayesian) are filled by the test
    that made it; ``method`` says which.
    """

    __test__ = False  # not a pytest class

    expected: float
    ci: list
    relative: bool
    method: str
    p_value: float = float("nan")
    chance_to_win: float = float("nan")
    risk: list = field(default_factory=lambda: [float("nan"), float("nan")])
    variance: float = float("nan")
    df: float = float("nan")

    def to_dict(self) -> dict:
        return {
            "expected": self.expected,
            "ci": list(self.ci),
            "p_value": self.p_value,
            "chance_to_win": self.chance_to_win,
            "risk": list(self.risk),
            "relative": self.relative,
            "method": self.method,
        }


def nan_result(relative: bool, method: str) -> TestResult:
    """The result of a comparison that cannot be computed (too few users, no variance)."""
    nan = float("nan")
    return TestResult(expected=nan, ci=[nan, nan], relative=relative, method=method)


def frequentist_test(
    control,
    treatment,
    *,
    relative: bool = True,
    alpha: float = 0.05,
    sequential: bool = False,
    sequential_tuning: float = 5000.0,
) -> TestResult:
    """Two-sided Welch t-test of the treatment lift over the control.

    Parameters
    ----------
    control, treatment : SampleMean, Proportion or RatioStatistic
    relative : bool
        Relative lift ``(m_t - m_c) / m_c`` with delta-method variance, or absolute ``m_t - m_c``.
    alpha : float
        Two-sided level: the interval is ``1 - alpha``.
    sequential : bool
        If True, an always-valid (anytime) interval and p-value instead: the asymptotic
        confidence sequence of Waudby-Smith et al. (2023, eq. 9), as GrowthBook's sequential
        testing. Valid under continuous peeking; wider than the fixed-horizon interval.
    sequential_tuning : float
        The mixture's tuning parameter (GrowthBook's ``sequential_tuning_parameter``, default
        5000): the total sample size at which the sequence is tightest.

    Returns
    -------
    TestResult
        ``expected``, ``ci``, ``p_value``, ``df`` (Welch-Satterthwaite), ``method``.

    Examples
    --------
    >>> from helpers.analysis.experiments.summaries import Proportion
    >>> r = frequentist_test(Proportion(28, 14), Proportion(30, 16), relative=False)
    >>> round(r.p_value, 4)
    0.8004
    """
    if not 0 < alpha < 1:
        raise ParameterError(f"`alpha` must be between 0 and 1, but {alpha!r} was passed.")
    method = "sequential (always-valid)" if sequential else "Welch t-test"
    if control.n < 2 or treatment.n < 2:
        return nan_result(relative, method)
    est, var = lift_estimate(control, treatment, relative)
    df = welch_df(control, treatment)
    if not (np.isfinite(var) and var > 0):
        return nan_result(relative, method)
    se = np.sqrt(var)
    if sequential:
        n = control.n + treatment.n
        rho2 = (-2 * np.log(alpha) + np.log(-2 * np.log(alpha) + 1)) / sequential_tuning
        nr = n * rho2
        width = se * np.sqrt(2 * (nr + 1) / nr * np.log(np.sqrt(nr + 1) / alpha))
        # the p-value is the smallest alpha whose interval excludes 0, with rho held fixed
        p = float(min(1.0, np.sqrt(nr + 1) * np.exp(-((est / se) ** 2) * nr / (2 * (nr + 1)))))
    else:
        width = stats.t.ppf(1 - alpha / 2, df) * se
        p = float(2 * stats.t.sf(abs(est / se), df))
    return TestResult(
        expected=float(est),
        ci=[float(est - width), float(est + width)],
        relative=relative,
        method=method,
        p_value=p,
        variance=float(var),
        df=float(df),
    )


def ratio_metric_test(
    control_num,
    control_den,
    treatment_num,
    treatment_den,
    *,
    relative: bool = True,
    alpha: float = 0.05,
) -> TestResult:
    """Welch/delta-method test of a ratio metric (e.g. revenue per order) from per-user arrays.

    Each variant's ratio is ``sum(num) / sum(den)``; its variance comes from the delta method with
    the numerator-denominator covariance (:class:`RatioStatistic`).

    Examples
    --------
    >>> r = ratio_metric_test([10, 0, 30, 20], [1, 0, 2, 1], [40, 10, 0, 30], [2, 1, 0, 1],
    ...                       relative=False)
    >>> round(r.expected, 3)
    5.0
    """
    c = RatioStatistic.from_values(control_num, control_den)
    t = RatioStatistic.from_values(treatment_num, treatment_den)
    return frequentist_test(c, t, relative=relative, alpha=alpha)

"""Bayesian comparison of a treatment with the control (gbstats ``EffectBayesianABTest``).

Gaussian effect with a flat (improper) prior by default, so the posterior of the lift is
``Normal(lift, variance)`` with the lift and variance of
:func:`helpers.analysis.experiments.frequentist.lift_estimate`; ``risk = [expected loss of
choosing control, of choosing treatment]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from helpers.analysis.experiments.frequentist import TestResult, lift_estimate, nan_result

__all__ = ["GaussianPrior", "bayesian_test"]


@dataclass(frozen=True)
class GaussianPrior:
    """Normal prior on the relative lift (gbstats convention). ``proper=False`` = flat prior.

    For an absolute lift the prior is rescaled by the control mean (mean * |m_c|,
    variance * m_c^2), as gbstats does.
    """

    mean: float = 0.0
    variance: float = 1.0
    proper: bool = False


def _truncnorm_means(mu: float, sigma: float) -> tuple[float, float]:
    """Means of Normal(mu, sigma) truncated to (-inf, 0] and [0, inf)."""
    a = -mu / sigma
    neg = mu - sigma * np.exp(stats.norm.logpdf(a) - stats.norm.logcdf(a))
    pos = mu + sigma * np.exp(stats.norm.logpdf(a) - stats.norm.logsf(a))
    return float(neg), float(pos)


def bayesian_test(
    control,
    treatment,
    *,
    relative: bool = True,
    prior: GaussianPrior | None = None,
    alpha: float = 0.05,
) -> TestResult:
    """Bayesian Gaussian-effect comparison (gbstats ``EffectBayesianABTest``).

    The data give the lift estimate ``d`` with variance ``v`` (as in
    :func:`helpers.analysis.experiments.frequentist.frequentist_test`); with the default flat
    prior the posterior is ``Normal(d, v)``. With a proper prior ``Normal(m0, v0)`` it is the
    usual precision-weighted normal posterior.

    Returns
    -------
    TestResult
        ``expected`` (posterior mean), ``ci`` (``1 - alpha`` credible interval), ``chance_to_win``
        (``P(lift > 0)``), ``risk = [E[max(lift, 0)], E[max(-lift, 0)]]``: the expected loss of
        choosing control and of choosing treatment.

    Examples
    --------
    >>> from helpers.analysis.experiments.summaries import Proportion
    >>> r = bayesian_test(Proportion(28, 14), Proportion(30, 16), relative=False)
    >>> round(r.chance_to_win, 4)
    0.6002
    """
    method = "Bayesian (Gaussian effect, flat prior)"
    prior = prior or GaussianPrior()
    if prior.proper:
        method = f"Bayesian (Gaussian effect, prior N({prior.mean:g}, {prior.variance:g}))"
    if control.n < 2 or treatment.n < 2:
        return nan_result(relative, method)
    est, var = lift_estimate(control, treatment, relative)
    if not (np.isfinite(var) and var > 0):
        return nan_result(relative, method)
    if prior.proper:
        scale = 1.0 if relative else abs(control.mean)
        pm, pv = prior.mean * scale, prior.variance * scale**2
        prec = 1 / var + 1 / pv
        mu, sigma = (est / var + pm / pv) / prec, np.sqrt(1 / prec)
    else:
        mu, sigma = est, np.sqrt(var)
    p_ctrl_better = stats.norm.cdf(0.0, mu, sigma)
    mean_neg, mean_pos = _truncnorm_means(mu, sigma)
    risk = [float((1 - p_ctrl_better) * mean_pos), float(-p_ctrl_better * mean_neg)]
    ci = stats.norm.ppf([alpha / 2, 1 - alpha / 2], mu, sigma)
    return TestResult(
        expected=float(mu),
        ci=[float(ci[0]), float(ci[1])],
        relative=relative,
        method=method,
        chance_to_win=float(stats.norm.sf(0.0, mu, sigma)),
        risk=risk,
        variance=float(sigma**2),
    )

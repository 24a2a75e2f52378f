"""A/B test statistics on summary statistics: the numbers behind ``helpers.analysis.experiments.readout``.

Conventions follow GrowthBook's ``gbstats`` 0.8.0 (``/work/shared/data/ab_golden.json`` is
reproduced to 1e-12 in the tests):

* a metric per variant is a summary statistic with ``n``, ``mean`` and a per-unit ``variance``:
  :class:`SampleMean` (sample variance, ``n - 1``), :class:`Proportion` (``p (1 - p)``) and
  :class:`RatioStatistic` (delta-method variance of ``sum(num) / sum(den)``, covariance included);
* the lift is absolute (``mean_t - mean_c``) or relative (``(mean_t - mean_c) / mean_c``, with the
  delta-method variance ``var_t/(n_t m_c^2) + m_t^2 var_c/(n_c m_c^4)``);
* frequentist: two-sided Welch t-test, degrees of freedom by Welch-Satterthwaite;
* Bayesian: Gaussian effect with a flat (improper) prior by default, so the posterior of the lift
  is ``Normal(lift, variance)``; ``risk = [expected loss of choosing control, of choosing
  treatment]``.

Everything here is pure: arrays or summary statistics in, small result objects out.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from helpers.core.errors import ParameterError

__all__ = [
    "SampleMean",
    "Proportion",
    "RatioStatistic",
    "TestResult",
    "GaussianPrior",
    "frequentist_test",
    "bayesian_test",
    "srm_test",
    "adjust_pvalues",
    "ratio_metric_test",
    "cuped_adjust",
    "CupedResult",
    "heterogeneity_test",
    "summarize",
    "segment_effects",
    "SegmentEffects",
]


# --- summary statistics ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleMean:
    """Summary of a numeric metric: count, sum and sum of squares of the per-user values.

    ``variance`` is the sample variance (``n - 1`` denominator), as gbstats uses.

    Examples
    --------
    >>> s = SampleMean(n=4, sum=10.0, sum_squares=30.0)
    >>> s.mean, round(s.variance, 4)
    (2.5, 1.6667)
    """

    n: int
    sum: float
    sum_squares: float

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n > 0 else float("nan")

    @property
    def variance(self) -> float:
        if self.n < 2:
            return float("nan")
        return max((self.sum_squares - self.sum**2 / self.n) / (self.n - 1), 0.0)

    @classmethod
    def from_values(cls, values) -> SampleMean:
        """Build from per-user values (NaN values are left out)."""
        v = np.asarray(values, dtype=float)
        v = v[~np.isnan(v)]
        return cls(n=int(v.size), sum=float(v.sum()), sum_squares=float((v**2).sum()))


@dataclass(frozen=True)
class Proportion:
    """Summary of a 0/1 metric: count and number of successes; ``variance = p (1 - p)``.

    Examples
    --------
    >>> p = Proportion(n=28, sum=14)
    >>> p.mean, p.variance
    (0.5, 0.25)
    """

    n: int
    sum: float

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n > 0 else float("nan")

    @property
    def variance(self) -> float:
        m = self.mean
        return m * (1.0 - m)

    @classmethod
    def from_values(cls, values) -> Proportion:
        """Build from per-user 0/1 values (NaN values are left out)."""
        v = np.asarray(values, dtype=float)
        v = v[~np.isnan(v)]
        if np.any((v != 0) & (v != 1)):
            bad = v[(v != 0) & (v != 1)][0]
            raise ParameterError(f"A Proportion needs 0/1 values, but {bad!r} was found.")
        return cls(n=int(v.size), sum=float(v.sum()))


@dataclass(frozen=True)
class RatioStatistic:
    """Summary of a ratio metric ``sum(numerator) / sum(denominator)`` over users (e.g. revenue
    per order), with the delta-method per-user variance

    ``var = var_m / m_d^2 + m_m^2 var_d / m_d^4 - 2 m_m cov_md / m_d^3``

    where ``m_*`` are per-user means and ``var_*`` / ``cov_md`` sample (co)variances (``n - 1``).
    The variance of the ratio estimate itself is ``variance / n``.

    Examples
    --------
    >>> r = RatioStatistic.from_values([10.0, 0.0, 30.0], [1, 0, 2])
    >>> round(r.mean, 4)
    13.3333
    """

    n: int
    m_sum: float
    m_sum_squares: float
    d_sum: float
    d_sum_squares: float
    m_d_sum_of_products: float

    @property
    def mean(self) -> float:
        return self.m_sum / self.d_sum if self.d_sum != 0 else float("nan")

    @property
    def variance(self) -> float:
        n = self.n
        if n < 2 or self.d_sum == 0:
            return float("nan")
        mm, md = self.m_sum / n, self.d_sum / n
        vm = (self.m_sum_squares - self.m_sum**2 / n) / (n - 1)
        vd = (self.d_sum_squares - self.d_sum**2 / n) / (n - 1)
        cov = (self.m_d_sum_of_products - self.m_sum * self.d_sum / n) / (n - 1)
        return max(vm / md**2 + mm**2 * vd / md**4 - 2 * mm * cov / md**3, 0.0)

    @classmethod
    def from_values(cls, numerator, denominator) -> RatioStatistic:
        """Build from per-user numerator and denominator arrays of equal length."""
        m = np.asarray(numerator, dtype=float)
        d = np.asarray(denominator, dtype=float)
        if m.shape != d.shape:
            raise ParameterError(
                f"`numerator` and `denominator` must have the same length, "
                f"but {m.size} and {d.size} values were passed."
            )
        keep = ~(np.isnan(m) | np.isnan(d))
        m, d = m[keep], d[keep]
        return cls(
            n=int(m.size),
            m_sum=float(m.sum()),
            m_sum_squares=float((m**2).sum()),
            d_sum=float(d.sum()),
            d_sum_squares=float((d**2).sum()),
            m_d_sum_of_products=float((m * d).sum()),
        )


def summarize(values, *, kind: str = "auto"):
    """Summary statistic of per-user values: ``Proportion`` for 0/1 data, else ``SampleMean``.

    Examples
    --------
    >>> summarize([0, 1, 1])
    Proportion(n=3, sum=2.0)
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if kind == "auto":
        kind = "prop" if v.size and np.all((v == 0) | (v == 1)) else "mean"
    if kind == "prop":
        return Proportion.from_values(v)
    if kind == "mean":
        return SampleMean.from_values(v)
    raise ParameterError(
        f"The value for `kind` must be one of ['auto', 'prop', 'mean'], but {kind!r} was passed."
    )


# --- lift and its variance ---------------------------------------------------------------------------


def _lift(control, treatment, relative: bool) -> tuple[float, float]:
    """Point estimate and variance of the lift (gbstats ``frequentist_diff/_variance``)."""
    mc, mt = control.mean, treatment.mean
    vc, vt = control.variance / control.n, treatment.variance / treatment.n
    if relative:
        if mc == 0 or not np.isfinite(mc):
            return float("nan"), float("nan")
        return (mt - mc) / mc, vt / mc**2 + vc * mt**2 / mc**4
    return mt - mc, vt + vc


def _welch_df(control, treatment) -> float:
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


def _nan_result(relative: bool, method: str) -> TestResult:
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
    >>> r = frequentist_test(Proportion(28, 14), Proportion(30, 16), relative=False)
    >>> round(r.p_value, 4)
    0.8004
    """
    if not 0 < alpha < 1:
        raise ParameterError(f"`alpha` must be between 0 and 1, but {alpha!r} was passed.")
    method = "sequential (always-valid)" if sequential else "Welch t-test"
    if control.n < 2 or treatment.n < 2:
        return _nan_result(relative, method)
    est, var = _lift(control, treatment, relative)
    df = _welch_df(control, treatment)
    if not (np.isfinite(var) and var > 0):
        return _nan_result(relative, method)
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

    The data give the lift estimate ``d`` with variance ``v`` (as in :func:`frequentist_test`);
    with the default flat prior the posterior is ``Normal(d, v)``. With a proper prior
    ``Normal(m0, v0)`` it is the usual precision-weighted normal posterior.

    Returns
    -------
    TestResult
        ``expected`` (posterior mean), ``ci`` (``1 - alpha`` credible interval), ``chance_to_win``
        (``P(lift > 0)``), ``risk = [E[max(lift, 0)], E[max(-lift, 0)]]``: the expected loss of
        choosing control and of choosing treatment.

    Examples
    --------
    >>> r = bayesian_test(Proportion(28, 14), Proportion(30, 16), relative=False)
    >>> round(r.chance_to_win, 4)
    0.6002
    """
    method = "Bayesian (Gaussian effect, flat prior)"
    prior = prior or GaussianPrior()
    if prior.proper:
        method = f"Bayesian (Gaussian effect, prior N({prior.mean:g}, {prior.variance:g}))"
    if control.n < 2 or treatment.n < 2:
        return _nan_result(relative, method)
    est, var = _lift(control, treatment, relative)
    if not (np.isfinite(var) and var > 0):
        return _nan_result(relative, method)
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


# --- sample ratio mismatch, multiplicity ------------------------------------------------------------


def srm_test(observed_counts: Sequence[float], weights: Sequence[float] | None = None) -> float:
    """Chi-square goodness-of-fit p-value of the observed users per variant against the split.

    As gbstats ``check_srm``: variants with zero weight or zero users are left out; with fewer
    than two left the p-value is 1.

    Examples
    --------
    >>> round(srm_test([5000, 5200], [0.5, 0.5]), 6)
    0.04767
    """
    users = np.asarray(observed_counts, dtype=float)
    w = np.ones_like(users) if weights is None else np.asarray(weights, dtype=float)
    if users.shape != w.shape:
        raise ParameterError(
            f"`weights` needs one value per variant ({users.size}), but {w.size} were passed."
        )
    keep = (users > 0) & (w > 0)
    users, w = users[keep], w[keep]
    if users.size <= 1:
        return 1.0
    expected = w / w.sum() * users.sum()
    x = float(((users - expected) ** 2 / expected).sum())
    return float(stats.chi2.sf(x, users.size - 1))


def adjust_pvalues(pvalues, method: str = "holm") -> np.ndarray:
    """Multiplicity-adjusted p-values: Holm (family-wise) or Benjamini-Hochberg (FDR).

    Same numbers as ``statsmodels.stats.multitest.multipletests(p, method="holm" | "fdr_bh")``.
    NaN handling (decided here; statsmodels would return all-NaN): NaN p-values are left out of
    the family and stay NaN, so a metric that could not be computed does not inflate the others.
    Ties are handled as statsmodels does (stable sort; equal p-values get equal adjustments).

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03], "holm").round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "bh").round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="mergesort")
    sorted_p = q[order]
    if method == "holm":
        adj = np.maximum.accumulate(sorted_p * (m - np.arange(m)))
    elif method in ("bh", "fdr_bh"):
        adj = np.minimum.accumulate((sorted_p * m / np.arange(1, m + 1))[::-1])[::-1]
    else:
        raise ParameterError(
            f"The value for `method` must be one of ['holm', 'bh'], but {method!r} was passed."
        )
    adj = np.minimum(adj, 1.0)
    res = np.empty(m)
    res[order] = adj
    out[ok] = res
    return out


# --- ratio metrics, CUPED, heterogeneity ------------------------------------------------------------


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

    def _var(v):
        if groups is None:
            return np.nanvar(v, ddof=1)
        g = pd.Series(v).groupby(np.asarray(groups))
        return float((g.var(ddof=1) * (g.count() - 1)).sum() / (g.count() - 1).sum())

    vy = _var(y)
    reduction = float(1 - _var(adjusted) / vy) if vy > 0 else 0.0
    return CupedResult(adjusted=adjusted, theta=theta, variance_reduction=reduction)


def heterogeneity_test(effects, variances) -> tuple[float, float]:
    """Cochran's Q test that segment effects are equal: ``Q = sum w_i (d_i - d_bar)^2`` with
    ``w_i = 1 / v_i`` and ``d_bar`` the inverse-variance weighted mean; ``p = chi2.sf(Q, k-1)``.
    Segments with a missing or non-positive variance are left out.

    Examples
    --------
    >>> q, p = heterogeneity_test([0.1, 0.3], [0.01, 0.01])
    >>> round(q, 4), round(p, 4)
    (2.0, 0.1573)
    """
    d = np.asarray(effects, dtype=float)
    v = np.asarray(variances, dtype=float)
    keep = np.isfinite(d) & np.isfinite(v) & (v > 0)
    d, v = d[keep], v[keep]
    if d.size < 2:
        return float("nan"), float("nan")
    w = 1 / v
    dbar = (w * d).sum() / w.sum()
    q = float((w * (d - dbar) ** 2).sum())
    return q, float(stats.chi2.sf(q, d.size - 1))


def _contingency_p(table: pd.DataFrame) -> float:
    """Chi-square independence p-value; 1.0 when the table is degenerate."""
    t = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    if t.shape[0] < 2 or t.shape[1] < 2:
        return 1.0
    return float(stats.chi2_contingency(t.to_numpy(), correction=False)[1])


def _table_html(df: pd.DataFrame, digits: int = 4) -> str:
    return df.round(digits).to_html(index=False, na_rep="", escape=True, border=0)


# --- segments --------------------------------------------------------------------------------------


@dataclass
class SegmentEffects:
    """Per-segment lifts of one metric and variant, BH across segments, and Cochran's Q."""

    metric: str
    variant: str
    table: pd.DataFrame
    q: float
    q_p_value: float

    def _repr_html_(self) -> str:
        return (
            f"<p><b>{html.escape(self.metric)}</b>, {html.escape(self.variant)} by segment: "
            f"heterogeneity Q = {self.q:.3g}, p = {self.q_p_value:.3g}.</p>"
            + _table_html(self.table)
        )


def _statistic(values: np.ndarray, kind: str):
    return Proportion.from_values(values) if kind == "prop" else SampleMean.from_values(values)


def segment_effects(
    per_user_df: pd.DataFrame,
    *,
    metric: str,
    segment_col: str,
    variant_col: str = "variant",
    control: str = "control",
    treatment: str = "treatment",
    relative: bool = True,
    alpha: float = 0.05,
) -> SegmentEffects:
    """Lift of ``metric`` per segment (persona, platform...) with Welch intervals, BH-adjusted
    p-values across segments and Cochran's Q test that the segment lifts are equal.

    Examples
    --------
    >>> df = pd.DataFrame({"variant": ["control", "treatment"] * 4, "seg": list("aaaabbbb"),
    ...                    "y": [1.0, 2.0, 2.0, 3.0, 1.0, 1.0, 2.0, 2.0]})
    >>> segment_effects(df, metric="y", segment_col="seg", relative=False).table["lift"].tolist()
    [1.0, 0.0]
    """
    missing = [c for c in (metric, segment_col, variant_col) if c not in per_user_df.columns]
    if missing:
        raise ParameterError(
            f"`per_user_df` needs the column(s) {missing}, but only "
            f"{list(per_user_df.columns)} were found."
        )
    kind = "prop" if isinstance(summarize(per_user_df[metric]), Proportion) else "mean"
    rows = []
    for seg, g in per_user_df.groupby(segment_col, sort=True):
        c = _statistic(g.loc[g[variant_col] == control, metric].to_numpy(), kind)
        t = _statistic(g.loc[g[variant_col] == treatment, metric].to_numpy(), kind)
        r = frequentist_test(c, t, relative=relative, alpha=alpha)
        rows.append(
            {
                "segment": seg,
                "n_control": c.n,
                "n_treatment": t.n,
                "mean_control": c.mean,
                "mean_treatment": t.mean,
                "lift": r.expected,
                "ci_low": r.ci[0],
                "ci_high": r.ci[1],
                "p_value": r.p_value,
                "variance": r.variance,
            }
        )
    table = pd.DataFrame(rows)
    table["p_bh"] = adjust_pvalues(table["p_value"], "bh")
    q, qp = heterogeneity_test(table["lift"], table["variance"])
    return SegmentEffects(
        metric=metric, variant=treatment, table=table.drop(columns="variance"), q=q, q_p_value=qp
    )

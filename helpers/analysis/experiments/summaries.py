"""Summary statistics of a metric per variant: what the A/B tests compare.

Conventions follow GrowthBook's ``gbstats`` 0.8.0 (``/work/shared/data/ab_golden.json`` is
reproduced to 1e-12 in the tests): a metric per variant is a summary statistic with ``n``,
``mean`` and a per-unit ``variance``:

* :class:`SampleMean`: a numeric metric, sample variance (``n - 1``);
* :class:`Proportion`: a 0/1 metric, ``p (1 - p)``;
* :class:`RatioStatistic`: ``sum(num) / sum(den)`` over users, delta-method variance with the
  covariance included.

The tests that compare two of them are :mod:`helpers.analysis.experiments.frequentist` and
:mod:`helpers.analysis.experiments.bayesian`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.core.errors import ParameterError

__all__ = ["SampleMean", "Proportion", "RatioStatistic", "summarize", "statistic"]


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


def statistic(values, kind: str):
    """``Proportion`` when ``kind`` is ``"prop"``, else ``SampleMean`` (no guessing: a segment
    whose values happen to be all 0/1 keeps the kind of the whole metric).

    Examples
    --------
    >>> statistic([1.0, 1.0], "mean")
    SampleMean(n=2, sum=2.0, sum_squares=2.0)
    """
    return Proportion.from_values(values) if kind == "prop" else SampleMean.from_values(values)

"""The Gamma-Gamma model of average spend per transaction (Fader & Hardie 2013).

Fitted by maximum likelihood on the repeat buyers' mean repeat-purchase value
(``frequency, monetary_value``, DESIGN.md's BTYD convention); its check of the model's
assumption that spend does not depend on purchase frequency is :class:`IndependenceCheck`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from helpers.analysis.value.fitting import (
    MIN_CUSTOMERS,
    FittedModel,
    as_float,
    column_values,
    covariance,
    fit_log_scale,
    like,
)
from helpers.core import schema
from helpers.core.errors import ModelError

__all__ = ["GammaGammaModel", "IndependenceCheck", "WEAK_CORRELATION"]

#: An absolute correlation of frequency and spend below this is weak (the assumption holds).
WEAK_CORRELATION = 0.3


@dataclass
class IndependenceCheck:
    """Pearson correlation of frequency and average spend among repeat buyers.

    The Gamma-Gamma model assumes the two are independent; ``weak`` says whether the
    correlation is small enough (below :data:`WEAK_CORRELATION` in absolute value) for that.

    Examples
    --------
    >>> IndependenceCheck(0.11, 946).weak, IndependenceCheck(-0.45, 946).weak
    (True, False)
    """

    correlation: float
    n_customers: int

    @property
    def weak(self) -> bool:
        """True when ``|correlation| < WEAK_CORRELATION``."""
        return abs(self.correlation) < WEAK_CORRELATION


class GammaGammaModel(FittedModel):
    """Gamma-Gamma model of average spend per transaction (Fader & Hardie 2013).

    Fitted on repeat buyers (``frequency > 0``) with their mean repeat-purchase value. Spend per
    transaction ~ Gamma(p, nu), nu ~ Gamma(q, gamma) across customers.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty, as in :class:`BetaGeoModel`.

    Attributes
    ----------
    params_ : dict
        ``p, q, v`` (``v`` is the paper's gamma; also available as ``params_["gamma"]`` via
        :attr:`gamma_`).
    log_likelihood_ : float
        Sum of ``ln f(m | x)`` over repeat buyers, with ``f`` the density of the mean spend.
    n_customers_ : int
        Repeat buyers used. Repeat buyers with a zero mean spend (free orders only) cannot enter
        the likelihood and are left out, counted in ``n_zero_spend_excluded_``.

    Examples
    --------
    >>> from helpers.analysis.value.gamma_gamma import GammaGammaModel
    >>> gg = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    >>> round(float(gg.conditional_expected_average_profit(2, 22.345)), 2)
    24.66
    """

    _names = ("p", "q", "v")

    def __init__(self, penalizer: float = 0.0):
        self.penalizer = penalizer

    @property
    def gamma_(self) -> float:
        """The scale parameter gamma of the paper (``params_['v']``)."""
        return self._check_fitted()[2]

    @staticmethod
    def _loglik(params, x, m, grad=False):
        p, q, v = params
        px = p * x
        log_vxm = np.log(v + x * m)
        ll = (
            special.gammaln(px + q)
            - special.gammaln(px)
            - special.gammaln(q)
            + q * np.log(v)
            + (px - 1) * np.log(m)
            + px * np.log(x)
            - (px + q) * log_vxm
        )
        if not grad:
            return ll
        psi_pxq = special.digamma(px + q)
        d_p = np.sum(x * (psi_pxq - special.digamma(px) + np.log(m) + np.log(x) - log_vxm))
        d_q = np.sum(psi_pxq - special.digamma(q) + np.log(v) - log_vxm)
        d_v = np.sum(q / v - (px + q) / (v + x * m))
        return ll, np.array([d_p, d_q, d_v])

    def fit(
        self,
        data: pd.DataFrame,
        *,
        frequency: str = schema.FREQUENCY,
        monetary_value: str = schema.MONETARY_VALUE,
    ) -> GammaGammaModel:
        """Fit on the repeat buyers of ``data`` (rows with ``frequency > 0``); returns self."""
        what = "Gamma-Gamma"
        x = column_values(data, frequency, "frequency", what=what)
        m = column_values(data, monetary_value, "monetary_value", what=what)
        repeat = x > 0
        if not repeat.any():
            raise ModelError(
                f"{what} needs repeat buyers, but column '{frequency}' is 0 for all "
                f"{len(x)} customers."
            )
        keep = repeat & (m > 0)
        self.n_zero_spend_excluded_ = int((repeat & ~keep).sum())
        x, m = x[keep], m[keep]
        n = len(x)
        if n < MIN_CUSTOMERS:
            raise ModelError(
                f"{what} needs at least {MIN_CUSTOMERS} repeat buyers with a "
                f"positive '{monetary_value}', got {n}."
            )
        pen = float(self.penalizer)

        def objective(log_params):
            params = np.exp(log_params)
            ll, g = self._loglik(params, x, m, grad=True)
            return (-ll.sum() / n + pen * np.sum(params**2), (-g / n + 2 * pen * params) * params)

        x0 = np.log([1.0, 1.0, max(float(np.mean(m)), 1e-3)])
        params, res = fit_log_scale(objective, x0, self._names, what)
        self.params_ = dict(zip(self._names, params.tolist()))
        self.log_likelihood_ = float(self._loglik(params, x, m).sum())
        self.variance_matrix_ = covariance(objective, res.x, n, self._names, what)
        self.standard_errors_ = dict(zip(self._names, np.sqrt(np.diag(self.variance_matrix_))))
        self.n_customers_ = n
        self.converged_ = True
        return self

    def conditional_expected_average_profit(self, frequency, monetary_value):
        """E[spend per transaction | x, m] = (p (v + x m)) / (p x + q - 1).

        A weighted mean of the population mean ``p v / (q - 1)`` and the customer's own mean
        ``m``; for ``x = 0`` it is the population mean (needs ``q > 1``).
        """
        p, q, v = self._check_fitted()
        x, m = as_float(frequency), as_float(monetary_value)
        denom = p * x + q - 1
        if np.any(denom <= 0):
            raise ModelError(
                f"Gamma-Gamma: q = {q:.3f} <= 1 gives no finite mean spend for "
                "customers without repeat purchases; fit with a `penalizer`."
            )
        return like(p * (v + x * m) / denom, frequency, monetary_value)

    def independence_check(
        self,
        data: pd.DataFrame,
        *,
        frequency: str = schema.FREQUENCY,
        monetary_value: str = schema.MONETARY_VALUE,
    ) -> IndependenceCheck:
        """Pearson correlation of frequency and monetary value among repeat buyers."""
        x = column_values(data, frequency, "frequency", what="Gamma-Gamma")
        m = column_values(data, monetary_value, "monetary_value", what="Gamma-Gamma")
        keep = x > 0
        if keep.sum() < 3:
            raise ModelError(
                "Gamma-Gamma independence check needs at least 3 repeat buyers, "
                f"got {int(keep.sum())}."
            )
        return IndependenceCheck(float(np.corrcoef(x[keep], m[keep])[0, 1]), int(keep.sum()))

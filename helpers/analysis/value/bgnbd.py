"""The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005).

"Buy 'til you die": while alive, a customer buys at a Poisson rate; after each repeat purchase
they drop out with some probability. Fitted by maximum likelihood with scipy (no dependency on
the ``lifetimes`` package) on the per-customer summary ``frequency, recency, T`` (DESIGN.md,
BTYD convention).

Time unit. The model works in whatever unit ``recency`` and ``T`` are given in; the caller
converts (:func:`helpers.analysis.value.summaries.to_time_unit`: days -> weeks with
``unit_days=7``). The log-likelihood depends on the unit: it is a density in the purchase
times, so ``LL(weeks) = LL(days) + sum(x) * ln 7``. Published CDNOW figures (LL -9582.4) are in
weeks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from helpers.analysis.value.fitting import (
    MIN_CUSTOMERS,
    FittedModel,
    as_float,
    btyd_arrays,
    covariance,
    fit_log_scale,
    like,
)
from helpers.core import schema
from helpers.core.errors import ModelError

__all__ = ["BetaGeoModel"]


class BetaGeoModel(FittedModel):
    """BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005).

    While alive, a customer buys at a Poisson rate ``lambda ~ Gamma(r, alpha)``; after each
    repeat purchase they drop out with probability ``p ~ Beta(a, b)``.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty on the parameters: the fit minimises ``-LL / n + penalizer * sum(params**2)``
        (the same convention as lifetimes). Use a small value (0.001) when a parameter runs away.

    Attributes
    ----------
    params_ : dict
        ``r, alpha, a, b``.
    standard_errors_ : dict
        From the inverse Hessian of the (penalised) negative log-likelihood, computed numerically.
    variance_matrix_ : ndarray
    log_likelihood_ : float
        Sum over customers of the log of FHL (2005) eq. (6), no constant added.
    n_customers_ : int
    converged_ : bool

    Examples
    --------
    >>> import pandas as pd
    >>> from helpers.analysis.value.bgnbd import BetaGeoModel
    >>> bg = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> round(float(bg.probability_alive(2, 30.43, 38.86)), 4)
    0.7266
    >>> round(float(bg.expected_purchases(39, 2, 30.43, 38.86)), 3)  # FHL (2005): 1.226
    1.226
    """

    _names = ("r", "alpha", "a", "b")

    def __init__(self, penalizer: float = 0.0):
        self.penalizer = penalizer

    @staticmethod
    def _prepare(x, tx, t_obs):
        """Precompute what the likelihood reuses at every evaluation.

        Special functions run on the distinct frequencies only (a few dozen values), and the
        second likelihood term only on repeat buyers.
        """
        ux, inv = np.unique(x, return_inverse=True)
        pos = x > 0
        return {
            "ux": ux,
            "inv": inv,
            "x": x,
            "t_obs": t_obs,
            "pos": pos,
            "counts": np.bincount(inv, minlength=len(ux)),
            "inv_p": inv[pos],
            "x_p": x[pos],
            "tx_p": tx[pos],
            "t_obs_p": t_obs[pos],
        }

    @staticmethod
    def _loglik(params, d, grad=False):
        """Log of FHL (2005) eq. (6) per customer; with ``grad``: (sum, gradient) instead.

        ``ll = ln Gamma(r+x) - ln Gamma(r) + r ln alpha + ln B(a, b+x) - ln B(a, b)
        - (r+x) ln(alpha+T) + [x>0] softplus(ln(a/(b+x-1)) - (r+x) ln((alpha+t_x)/(alpha+T)))``
        """
        r, alpha, a, b = params
        ux, inv, x, pos = d["ux"], d["inv"], d["x"], d["pos"]
        log_at = np.log(alpha + d["t_obs"])
        log_at_p = log_at[pos]
        log_atx_p = np.log(alpha + d["tx_p"])
        bx1 = np.where(ux > 0, b + ux - 1, 1.0)
        log_a_bx1 = np.log(a) - np.log(bx1)
        rx_p = r + d["x_p"]
        odds = log_a_bx1[d["inv_p"]] - rx_p * (log_atx_p - log_at_p)  # term2 / term1, logged
        const_u = (
            special.gammaln(r + ux)
            - special.gammaln(r)
            + r * np.log(alpha)
            + special.betaln(a, b + ux)
            - special.betaln(a, b)
        )
        if not grad:
            ll = const_u[inv] - (r + x) * log_at
            ll[pos] += np.logaddexp(0.0, odds)
            return ll
        counts = d["counts"]
        total = counts @ const_u - np.sum((r + x) * log_at) + np.sum(np.logaddexp(0.0, odds))
        w3 = special.expit(odds)  # share of term 2 (died after the last purchase)
        psi = special.digamma
        d_r = (
            counts @ (psi(r + ux) - psi(r) + np.log(alpha))
            - np.sum(log_at)
            + np.sum(w3 * (log_at_p - log_atx_p))
        )
        d_alpha = (
            len(x) * r / alpha
            - np.sum((r + x) / (alpha + d["t_obs"]))
            + np.sum(rx_p * w3 * (1 / (alpha + d["t_obs_p"]) - 1 / (alpha + d["tx_p"])))
        )
        d_a = counts @ (psi(a + b) - psi(a + b + ux)) + np.sum(w3) / a
        d_b = counts @ (psi(b + ux) - psi(b) + psi(a + b) - psi(a + b + ux)) - np.sum(
            w3 / bx1[d["inv_p"]]
        )
        return total, np.array([d_r, d_alpha, d_a, d_b])

    def fit(
        self,
        data: pd.DataFrame,
        *,
        frequency: str = schema.FREQUENCY,
        recency: str = schema.RECENCY,
        T: str = schema.T,
    ) -> BetaGeoModel:
        """Fit by maximum likelihood on one row per customer.

        Parameters
        ----------
        data : DataFrame
            One row per customer; ``recency`` and ``T`` in the model's time unit.
        frequency, recency, T : str
            Column names (BTYD convention, see DESIGN.md).

        Returns
        -------
        self

        Raises
        ------
        ModelError
            Fewer than 10 customers, no repeat buyers, negative / non-finite / inconsistent
            inputs (the message names the column and shows a row), or no convergence.
        """
        what = "BG/NBD"
        x, tx, t_obs = btyd_arrays(data, frequency, recency, T, what=what)
        n = len(x)
        if n < MIN_CUSTOMERS:
            raise ModelError(f"{what} needs at least {MIN_CUSTOMERS} customers, got {n}.")
        if not (x > 0).any():
            raise ModelError(
                f"{what} needs repeat buyers, but column '{frequency}' is 0 for all "
                f"{n} customers: the drop-out process cannot be estimated."
            )
        prepared = self._prepare(x, tx, t_obs)
        pen = float(self.penalizer)

        def objective(log_params):
            params = np.exp(log_params)
            ll, g = self._loglik(params, prepared, grad=True)
            f = -ll / n + pen * np.sum(params**2)
            return f, (-g / n + 2 * pen * params) * params

        # alpha is a time scale: start it at the mean observation length, the rest at 1
        x0 = np.log([1.0, max(float(np.mean(t_obs)), 1e-3), 1.0, 1.0])
        params, res = fit_log_scale(objective, x0, self._names, what)
        self.params_ = dict(zip(self._names, params.tolist()))
        self.log_likelihood_ = float(self._loglik(params, prepared).sum())
        self.variance_matrix_ = covariance(objective, res.x, n, self._names, what)
        self.standard_errors_ = dict(zip(self._names, np.sqrt(np.diag(self.variance_matrix_))))
        self.n_customers_ = n
        self.converged_ = True
        return self

    def probability_alive(self, frequency, recency, T):
        """P(alive | x, t_x, T), FHL (2005) eq. (13).

        ``1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))``.

        Computed in log space; a customer without repeat purchases is alive with probability 1.
        """
        r, alpha, a, b = self._check_fitted()
        x, tx, t_obs = as_float(frequency), as_float(recency), as_float(T)
        pos = x > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            log_odds_dead = np.where(
                pos,
                np.log(a)
                - np.log(np.where(pos, b + x - 1, 1.0))
                + (r + x) * (np.log(alpha + t_obs) - np.log(alpha + tx)),
                -np.inf,
            )
        return like(special.expit(-log_odds_dead), frequency, recency, T)

    def expected_purchases(self, t, frequency, recency, T):
        """Expected purchases in the next ``t`` periods given (x, t_x, T): FHL (2005) eq. (10).

        ``E[Y(t)] = (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
        * 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] * P(alive)``.
        """
        r, alpha, a, b = self._check_fitted()
        t, x, t_obs = as_float(t), as_float(frequency), as_float(T)
        p_alive = as_float(self.probability_alive(x, recency, t_obs))
        ratio = np.exp((r + x) * (np.log(alpha + t_obs) - np.log(alpha + t_obs + t)))
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + t_obs + t))
        value = (a + b + x - 1) / (a - 1) * (1 - ratio * hyp) * p_alive
        return like(value, frequency, recency, T, t)

    def expected_purchases_new(self, t):
        """Unconditional E[X(t)] for a customer just acquired: FHL (2005) eq. (9)."""
        r, alpha, a, b = self._check_fitted()
        t_arr = as_float(t)
        hyp = special.hyp2f1(r, b, a + b - 1, t_arr / (alpha + t_arr))
        value = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t_arr)) ** r * hyp)
        return like(value, t)

    def probability_of_purchases(self, n: int, t):
        """P(X(t) = n): the number of repeat purchases in (0, t] of a new customer, FHL eq. (8)."""
        r, alpha, a, b = self._check_fitted()
        t = as_float(t)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_q = np.log(alpha) - np.log(alpha + t)
            log_p = np.where(t > 0, np.log(t) - np.log(alpha + t), -np.inf)

            def nbd_term(j):  # Gamma(r+j)/(Gamma(r) j!) q^r p^j
                jlog = np.where(j == 0, 0.0, j * log_p)
                return np.exp(
                    special.gammaln(r + j)
                    - special.gammaln(r)
                    - special.gammaln(j + 1)
                    + r * log_q
                    + jlog
                )

            prob = np.exp(special.betaln(a, b + n) - special.betaln(a, b)) * nbd_term(n)
            if n > 0:
                partial = sum(nbd_term(j) for j in range(n))
                dead = np.exp(special.betaln(a + 1, b + n - 1) - special.betaln(a, b))
                prob = prob + dead * (1 - partial)
        return prob

"""Customer value: BG/NBD, Gamma-Gamma, customer lifetime value, calibration/holdout checks.

The "buy 'til you die" (BTYD) models of Fader, Hardie & Lee (2005) and Fader & Hardie (2013),
fitted by maximum likelihood with scipy (no dependency on the ``lifetimes`` package), on the
per-customer summary ``frequency, recency, T, monetary_value`` (DESIGN.md, BTYD convention).

Time unit. The models work in whatever unit ``recency`` and ``T`` are given in; the caller
converts (``to_time_unit``: days -> weeks with ``unit_days=7``). The log-likelihood depends on
the unit: it is a density in the purchase times, so ``LL(weeks) = LL(days) + sum(x) * ln 7``.
Published CDNOW figures (LL -9582.4) are in weeks.

Everything here works on per-customer aggregates (pandas / NumPy), never on raw events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from helpers.core import schema
from helpers.core.errors import DataError, ModelError, ParameterError

FREQUENCY_HOLDOUT = "frequency_holdout"
DURATION_HOLDOUT = "duration_holdout"
MONETARY_VALUE_HOLDOUT = "monetary_value_holdout"
CLV = "clv"
EXPECTED_PURCHASES = "expected_purchases"
EXPECTED_SPEND = "expected_spend"
P_ALIVE = "p_alive"

MIN_CUSTOMERS = 10
_LOG_BOUND = 20.0  # parameters live in [e^-20, e^20]; hitting a bound = not identified
_GRAD_TOL = 1e-5  # max |gradient| of the mean objective (log scale) accepted as optimum
_Z95 = 1.959963984540054


# --- input checks -------------------------------------------------------------------------------


def _column_values(data: pd.DataFrame, col: str, role: str, *, what: str) -> np.ndarray:
    """A numeric column as float array; non-finite or negative values are a ModelError."""
    if col not in data.columns:
        raise DataError(
            f"{what} needs the column '{col}' (passed as `{role}=`), but the data "
            f"has only {list(data.columns)[:12]}."
        )
    values = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float)
    for bad, expected in (
        (~np.isfinite(values), "finite numbers"),
        (values < 0, "non-negative numbers"),
    ):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ModelError(
                f"{what} needs {expected} in column '{col}' (`{role}=`), but "
                f"{int(bad.sum())} of {len(values)} rows are not, e.g. row "
                f"{_label(data.index[i])!r}: {data.iloc[i].to_dict()}."
            )
    return values


def _btyd_arrays(data, frequency, recency, T, *, what):
    x = _column_values(data, frequency, "frequency", what=what)
    tx = _column_values(data, recency, "recency", what=what)
    t_obs = _column_values(data, T, "T", what=what)
    checks = (
        (x != np.round(x), f"whole numbers of repeat purchases in '{frequency}'"),
        (tx > t_obs * (1 + 1e-12), f"'{recency}' <= '{T}' (last purchase before the end)"),
        ((x == 0) & (tx > 0), f"'{recency}' = 0 when '{frequency}' = 0"),
    )
    for bad, expected in checks:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ModelError(
                f"{what} needs {expected}, but {int(bad.sum())} rows break it, "
                f"e.g. row {_label(data.index[i])!r}: {data.iloc[i].to_dict()}."
            )
    return x, tx, t_obs


def _label(idx):
    """A row label as plain Python (``6``, not ``np.int64(6)``) for messages."""
    return idx.item() if isinstance(idx, np.generic) else idx


def _like(values, *refs):
    """Return a Series indexed like the first Series among ``refs``, else an array/scalar."""
    for ref in refs:
        if isinstance(ref, pd.Series):
            return pd.Series(np.broadcast_to(values, ref.shape), index=ref.index)
    return values


def _arr(v) -> np.ndarray:
    return np.asarray(v, dtype=float)


# --- maximum likelihood on the log scale ---------------------------------------------------------


def _fit_log_scale(objective, x0, names, what):
    """Minimise ``objective(log_params) -> (f, grad)``; return params and the log-scale result."""
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(x0)
    with np.errstate(all="ignore"):
        res = optimize.minimize(
            objective,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10},
        )
        f, grad = objective(res.x)
    if not np.isfinite(f) or not np.all(np.isfinite(grad)):
        raise ModelError(
            f"{what}: the likelihood is not finite at the optimiser's end point "
            f"({_fmt(names, np.exp(res.x))}); check the inputs."
        )
    at_bound = np.abs(res.x) >= _LOG_BOUND - 1e-6
    if at_bound.any():
        name = names[int(np.flatnonzero(at_bound)[0])]
        raise ModelError(
            f"{what}: parameter `{name}` ran to the edge of its range "
            f"({np.exp(res.x[at_bound][0]):.3g}), so the data cannot identify it "
            "(e.g. almost no customer drops out); check the inputs, use more "
            "customers, or change `penalizer`."
        )
    if np.max(np.abs(grad)) > _GRAD_TOL:
        raise ModelError(
            f"{what}: the optimiser did not converge ({res.message}); the largest "
            f"gradient is {np.max(np.abs(grad)):.2g} at "
            f"{_fmt(names, np.exp(res.x))}. Try a small `penalizer`."
        )
    return np.exp(res.x), res


def _covariance(objective, log_params, n, names, what):
    """Covariance of the natural-scale parameters: inverse Hessian of the negative LL.

    The Hessian is taken on the log scale by central differences of the analytic gradient
    (the objective is the mean negative LL, so multiply by ``n``); at the optimum
    ``H_log = J H J`` with ``J = diag(params)``, hence ``cov = J H_log^-1 J``.
    """
    k = len(log_params)
    hess = np.empty((k, k))
    h = 1e-5
    for i in range(k):
        step = np.zeros(k)
        step[i] = h
        hess[:, i] = (objective(log_params + step)[1] - objective(log_params - step)[1]) / (2 * h)
    hess = 0.5 * (hess + hess.T) * n
    jac = np.diag(np.exp(log_params))
    # A proper maximum has a positive definite Hessian; a flat direction means a parameter
    # drifted to where the likelihood no longer depends on it.
    eig = np.linalg.eigvalsh(hess) if np.all(np.isfinite(hess)) else np.array([np.nan])
    if not np.all(eig > 1e-9 * max(np.max(np.abs(eig)), 1.0)):
        raise ModelError(
            f"{what}: the fitted parameters ({_fmt(names, np.exp(log_params))}) "
            "are not identified by the data (the likelihood is flat in some "
            "direction, e.g. almost no customer drops out), so they have no "
            "standard errors; check the inputs or fit with a small `penalizer`."
        )
    return jac @ np.linalg.inv(hess) @ jac


def _fmt(names, values) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in zip(names, np.asarray(values, dtype=float)))


def _summary_frame(params: dict, cov: np.ndarray) -> pd.DataFrame:
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    coef = np.array(list(params.values()))
    return pd.DataFrame(
        {"coef": coef, "se": se, "lower 95%": coef - _Z95 * se, "upper 95%": coef + _Z95 * se},
        index=pd.Index(list(params), name="parameter"),
    )


class _Fitted:
    """Shared checks and display of the two value models."""

    _names: tuple = ()
    _title = ""

    def _check_fitted(self):
        if not hasattr(self, "params_"):
            raise ModelError(
                f"{type(self).__name__} is not fitted yet: call `.fit(data)` or "
                f"`{type(self).__name__}.from_params(...)` first."
            )
        return tuple(self.params_[k] for k in self._names)

    @classmethod
    def from_params(cls, **params):
        """A model with known parameters (e.g. published ones), without fitting."""
        model = cls()
        model.params_ = {k: float(params[k]) for k in cls._names}
        return model

    @property
    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors and Wald 95% confidence intervals."""
        self._check_fitted()
        return _summary_frame(self.params_, self.variance_matrix_)

    def _repr_html_(self):
        if not hasattr(self, "log_likelihood_"):
            return f"<p>{self._title}: not fitted.</p>"
        head = (
            f"<p><b>{self._title}</b> fitted by maximum likelihood on "
            f"{self.n_customers_:,} customers (penalizer {self.penalizer}); "
            f"log-likelihood {self.log_likelihood_:,.2f}.</p>"
        )
        return head + self.summary.round(3).to_html()


# --- BG/NBD --------------------------------------------------------------------------------------


class BetaGeoModel(_Fitted):
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
    >>> from helpers.analysis.value import BetaGeoModel
    >>> bg = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> round(float(bg.probability_alive(2, 30.43, 38.86)), 4)
    0.7266
    >>> round(float(bg.expected_purchases(39, 2, 30.43, 38.86)), 3)  # FHL (2005): 1.226
    1.226
    """

    _names = ("r", "alpha", "a", "b")
    _title = "BG/NBD model"

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
        x, tx, t_obs = _btyd_arrays(data, frequency, recency, T, what=what)
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
        params, res = _fit_log_scale(objective, x0, self._names, what)
        self.params_ = dict(zip(self._names, params.tolist()))
        self.log_likelihood_ = float(self._loglik(params, prepared).sum())
        self.variance_matrix_ = _covariance(objective, res.x, n, self._names, what)
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
        x, tx, t_obs = _arr(frequency), _arr(recency), _arr(T)
        pos = x > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            log_odds_dead = np.where(
                pos,
                np.log(a)
                - np.log(np.where(pos, b + x - 1, 1.0))
                + (r + x) * (np.log(alpha + t_obs) - np.log(alpha + tx)),
                -np.inf,
            )
        return _like(special.expit(-log_odds_dead), frequency, recency, T)

    def expected_purchases(self, t, frequency, recency, T):
        """Expected purchases in the next ``t`` periods given (x, t_x, T): FHL (2005) eq. (10).

        ``E[Y(t)] = (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
        * 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] * P(alive)``.
        """
        r, alpha, a, b = self._check_fitted()
        t, x, t_obs = _arr(t), _arr(frequency), _arr(T)
        p_alive = _arr(self.probability_alive(x, recency, t_obs))
        ratio = np.exp((r + x) * (np.log(alpha + t_obs) - np.log(alpha + t_obs + t)))
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + t_obs + t))
        value = (a + b + x - 1) / (a - 1) * (1 - ratio * hyp) * p_alive
        return _like(value, frequency, recency, T, t)

    def expected_purchases_new(self, t):
        """Unconditional E[X(t)] for a customer just acquired: FHL (2005) eq. (9)."""
        r, alpha, a, b = self._check_fitted()
        t_arr = _arr(t)
        hyp = special.hyp2f1(r, b, a + b - 1, t_arr / (alpha + t_arr))
        value = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t_arr)) ** r * hyp)
        return _like(value, t)

    def probability_of_purchases(self, n: int, t):
        """P(X(t) = n): the number of repeat purchases in (0, t] of a new customer, FHL eq. (8)."""
        r, alpha, a, b = self._check_fitted()
        t = _arr(t)
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


# --- Gamma-Gamma ---------------------------------------------------------------------------------


@dataclass
class IndependenceCheck:
    """Pearson correlation of frequency and average spend among repeat buyers."""

    correlation: float
    n_customers: int

    @property
    def sentence(self) -> str:
        strength = "weak" if abs(self.correlation) < 0.3 else "notable"
        return (
            f"Among {self.n_customers:,} repeat buyers, the Pearson correlation between "
            f"purchase frequency and average spend is {self.correlation:.3f} ({strength}); "
            "the Gamma-Gamma model assumes the two are independent"
            + ("." if strength == "weak" else ", so treat its spend estimates with care.")
        )

    def __str__(self):
        return self.sentence

    def _repr_html_(self):
        return f"<p>{self.sentence}</p>"


class GammaGammaModel(_Fitted):
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
    >>> from helpers.analysis.value import GammaGammaModel
    >>> gg = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    >>> round(float(gg.conditional_expected_average_profit(2, 22.345)), 2)
    24.66
    """

    _names = ("p", "q", "v")
    _title = "Gamma-Gamma spend model"

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
        x = _column_values(data, frequency, "frequency", what=what)
        m = _column_values(data, monetary_value, "monetary_value", what=what)
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
        params, res = _fit_log_scale(objective, x0, self._names, what)
        self.params_ = dict(zip(self._names, params.tolist()))
        self.log_likelihood_ = float(self._loglik(params, x, m).sum())
        self.variance_matrix_ = _covariance(objective, res.x, n, self._names, what)
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
        x, m = _arr(frequency), _arr(monetary_value)
        denom = p * x + q - 1
        if np.any(denom <= 0):
            raise ModelError(
                f"Gamma-Gamma: q = {q:.3f} <= 1 gives no finite mean spend for "
                "customers without repeat purchases; fit with a `penalizer`."
            )
        return _like(p * (v + x * m) / denom, frequency, monetary_value)

    def independence_check(
        self,
        data: pd.DataFrame,
        *,
        frequency: str = schema.FREQUENCY,
        monetary_value: str = schema.MONETARY_VALUE,
    ) -> IndependenceCheck:
        """Pearson correlation of frequency and monetary value among repeat buyers."""
        x = _column_values(data, frequency, "frequency", what="Gamma-Gamma")
        m = _column_values(data, monetary_value, "monetary_value", what="Gamma-Gamma")
        keep = x > 0
        if keep.sum() < 3:
            raise ModelError(
                "Gamma-Gamma independence check needs at least 3 repeat buyers, "
                f"got {int(keep.sum())}."
            )
        return IndependenceCheck(float(np.corrcoef(x[keep], m[keep])[0, 1]), int(keep.sum()))


# --- lifetime value -----------------------------------------------------------------------------


def customer_lifetime_value(
    bg: BetaGeoModel,
    gg: GammaGammaModel,
    data: pd.DataFrame,
    *,
    horizon_months: int = 12,
    discount_rate_monthly: float = 0.01,
    unit_days: float = 7,
    days_per_month: float = 30.0,
    frequency: str = schema.FREQUENCY,
    recency: str = schema.RECENCY,
    T: str = schema.T,
    monetary_value: str = schema.MONETARY_VALUE,
) -> pd.DataFrame:
    """Discounted expected revenue per customer over the next ``horizon_months`` months.

    Discrete monthly discounting, as lifetimes' ``customer_lifetime_value``::

        CLV = sum_{m=1}^{H} spend * (E[Y(m u)] - E[Y((m-1) u)]) / (1 + d)^m

    with ``u = days_per_month / unit_days`` model periods per month, ``E[Y(t)]`` the BG/NBD
    conditional expected purchases in the next ``t`` periods and ``spend`` the Gamma-Gamma
    conditional expected average spend.

    Parameters
    ----------
    bg, gg : fitted BetaGeoModel and GammaGammaModel
    data : DataFrame
        One row per customer: frequency, recency, T (in the BG/NBD time unit), monetary_value.
    horizon_months : int, default 12
    discount_rate_monthly : float, default 0.01
    unit_days : float, default 7
        Days per model time unit (7 when recency/T are in weeks).
    days_per_month : float, default 30.0
        A month of the horizon (lifetimes uses 30 days).

    Returns
    -------
    DataFrame indexed like ``data``: ``expected_purchases`` (over the horizon, undiscounted),
    ``expected_spend`` (per purchase) and ``clv``.
    """
    if not (isinstance(horizon_months, (int, np.integer)) and horizon_months >= 1):
        raise ParameterError(
            f"`horizon_months` must be a whole number >= 1, got {horizon_months!r}."
        )
    if not discount_rate_monthly > -1:
        raise ParameterError(
            f"`discount_rate_monthly` must be > -1, got {discount_rate_monthly!r}."
        )
    if not unit_days > 0:
        raise ParameterError(f"`unit_days` must be positive, got {unit_days!r}.")
    x, tx, t_obs = _btyd_arrays(data, frequency, recency, T, what="CLV")
    m = _column_values(data, monetary_value, "monetary_value", what="CLV")
    spend = _arr(gg.conditional_expected_average_profit(x, m))
    per_month = days_per_month / unit_days
    clv = np.zeros(len(x))
    previous = np.zeros(len(x))
    for month in range(1, horizon_months + 1):
        cumulative = _arr(bg.expected_purchases(month * per_month, x, tx, t_obs))
        clv += spend * (cumulative - previous) / (1 + discount_rate_monthly) ** month
        previous = cumulative
    return pd.DataFrame(
        {EXPECTED_PURCHASES: previous, EXPECTED_SPEND: spend, CLV: clv}, index=data.index
    )


# --- summaries from transactions ------------------------------------------------------------------


def to_time_unit(summary_df: pd.DataFrame, unit_days: float = 7) -> pd.DataFrame:
    """Convert a BTYD summary in days to another unit (weeks by default); returns a new frame.

    ``recency``, ``T`` and ``duration_holdout`` are divided by ``unit_days``; counts and money
    are unchanged. Apply once: the frame does not remember its unit.
    """
    if not unit_days > 0:
        raise ParameterError(f"`unit_days` must be positive, got {unit_days!r}.")
    out = summary_df.copy()
    for col in (schema.RECENCY, schema.T, DURATION_HOLDOUT):
        if col in out.columns:
            out[col] = out[col] / unit_days
    return out


def _to_days(values: pd.Series, col: str) -> pd.Series:
    """Dates of a column as midnight timestamps (naive): datetimes, text, or YYYYMMDD integers."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    elif pd.api.types.is_integer_dtype(values):
        parsed = pd.to_datetime(values.astype(str), format="%Y%m%d", errors="coerce")
    else:
        parsed = pd.to_datetime(values, format="ISO8601", errors="coerce")
        if not pd.api.types.is_datetime64_any_dtype(parsed):
            raise DataError(
                f"Column '{col}' mixes time zone offsets (e.g. {values.iloc[0]!r}); "
                "convert it to datetimes in the business time zone first."
            )
    bad = parsed.isna()
    if bad.any():
        raise DataError(
            f"Column '{col}' must hold dates (datetime, ISO 8601 text or YYYYMMDD "
            "integers),"
            f" but {int(bad.sum())} rows do not parse, e.g. {values[bad].iloc[0]!r}."
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)  # keep the local calendar day
    return parsed.dt.normalize()


def _to_day(value, name: str) -> pd.Timestamp:
    try:
        day = pd.Timestamp(str(value) if isinstance(value, (int, np.integer)) else value)
    except (ValueError, TypeError):
        day = pd.NaT
    if pd.isna(day):
        raise ParameterError(f"`{name}` must be a date such as '1997-09-30', got {value!r}.")
    return (day.tz_localize(None) if day.tzinfo else day).normalize()


def calibration_holdout(
    transactions: pd.DataFrame,
    *,
    calibration_end,
    holdout_end,
    customer_col: str,
    date_col: str,
    amount_col: str | None = None,
    unit_days: float = 7,
) -> pd.DataFrame:
    """BTYD calibration summary plus holdout purchase counts, one row per customer.

    The same numbers as lifetimes' ``calibration_and_holdout_data(..., freq='D')`` (purchase
    *days* count; several purchases on one day are one purchase with their amounts summed),
    then converted to the time unit: ``recency``, ``T`` and ``duration_holdout`` divided by
    ``unit_days`` (``unit_days=1`` keeps days).

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase (or per purchase day); refunds already removed.
    calibration_end, holdout_end : date-like
        Last day of the calibration period and of the holdout period (inclusive).
    customer_col, date_col : str
        Customer id and purchase date (datetime, ISO text or YYYYMMDD integers).
    amount_col : str, optional
        Purchase amount; adds ``monetary_value`` (mean amount of the repeat purchase days in
        calibration, 0 without repeats) and ``monetary_value_holdout``.
    unit_days : float, default 7

    Returns
    -------
    DataFrame indexed by customer (customers whose first purchase is on or before
    ``calibration_end``), sorted by id: ``frequency, recency, T, [monetary_value],
    frequency_holdout, [monetary_value_holdout], duration_holdout``.
    """
    for role, col in (
        ("customer_col", customer_col),
        ("date_col", date_col),
        ("amount_col", amount_col),
    ):
        if col is not None and col not in transactions.columns:
            raise DataError(
                f"`{role}` names the column '{col}', which is not in the transactions;"
                f" columns found: {list(transactions.columns)[:12]}."
            )
    cal_end = _to_day(calibration_end, "calibration_end")
    hold_end = _to_day(holdout_end, "holdout_end")
    if hold_end <= cal_end:
        raise ParameterError(
            f"`holdout_end` ({hold_end.date()}) must be after `calibration_end` "
            f"({cal_end.date()})."
        )
    ids = transactions[customer_col]
    if ids.isna().any():
        raise DataError(
            f"Column '{customer_col}' has {int(ids.isna().sum())} empty customer ids,"
            f" e.g. row {_label(transactions.index[ids.isna().to_numpy()][0])!r}."
        )
    frame = pd.DataFrame(
        {"cid": ids.to_numpy(), "day": _to_days(transactions[date_col], date_col).to_numpy()}
    )
    if amount_col is not None:
        amount = pd.to_numeric(transactions[amount_col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(amount) | (amount < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"Column '{amount_col}' must hold non-negative amounts (remove "
                f"refunds first), but {int(bad.sum())} rows do not, e.g. row "
                f"{_label(transactions.index[i])!r}: {transactions.iloc[i].to_dict()}."
            )
        frame["amount"] = amount
    else:
        frame["amount"] = 0.0
    frame = frame[frame["day"] <= hold_end]
    per_day = frame.groupby(["cid", "day"], sort=True)["amount"].sum().reset_index()
    in_cal = per_day["day"] <= cal_end
    cal = per_day[in_cal]
    grouped = cal.groupby("cid", sort=True)["day"]
    first, last = grouped.min(), grouped.max()
    out = pd.DataFrame(index=first.index.rename(customer_col))
    out[schema.FREQUENCY] = (grouped.size() - 1).astype(float)
    out[schema.RECENCY] = (last - first).dt.days.astype(float)
    out[schema.T] = (cal_end - first).dt.days.astype(float)
    if amount_col is not None:
        repeat = cal[cal["day"] > cal["cid"].map(first)]
        out[schema.MONETARY_VALUE] = (
            repeat.groupby("cid")["amount"].mean().reindex(out.index).fillna(0.0)
        )
    hold = per_day[~in_cal & per_day["cid"].isin(out.index)].groupby("cid")["amount"]
    out[FREQUENCY_HOLDOUT] = hold.size().reindex(out.index).fillna(0).astype(float)
    if amount_col is not None:
        out[MONETARY_VALUE_HOLDOUT] = hold.mean().reindex(out.index).fillna(0.0)
    out[DURATION_HOLDOUT] = float((hold_end - cal_end).days)
    return to_time_unit(out, unit_days)


# --- fit checks ---------------------------------------------------------------------------------


def _bucket_labels(max_frequency: int) -> list[str]:
    return [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]


def period_transactions(
    model: BetaGeoModel,
    data: pd.DataFrame,
    *,
    max_frequency: int = 7,
    frequency: str = schema.FREQUENCY,
    T: str = schema.T,
) -> pd.DataFrame:
    """Customers by number of repeat purchases in calibration: actual vs the model's expectation.

    The expected count of customers with ``k`` repeat purchases is ``sum_i P(X(T_i) = k)``
    (FHL eq. 8), exact rather than simulated; the last bucket ``max_frequency+`` takes the rest.

    Returns
    -------
    DataFrame indexed by bucket ("0", ..., "6", "7+"): ``n_actual``, ``n_expected``.
    """
    x = _column_values(data, frequency, "frequency", what="period_transactions")
    t_obs = _column_values(data, T, "T", what="period_transactions")
    expected = [
        float(np.sum(model.probability_of_purchases(k, t_obs))) for k in range(max_frequency)
    ]
    expected.append(len(x) - sum(expected))
    actual = np.bincount(np.minimum(x, max_frequency).astype(int), minlength=max_frequency + 1)
    return pd.DataFrame(
        {"n_actual": actual, "n_expected": expected},
        index=pd.Index(_bucket_labels(max_frequency), name="repeat_purchases"),
    )


def holdout_check(
    model: BetaGeoModel,
    calib_holdout_df: pd.DataFrame,
    *,
    max_frequency: int = 7,
    frequency: str = schema.FREQUENCY,
    recency: str = schema.RECENCY,
    T: str = schema.T,
) -> pd.DataFrame:
    """Actual vs predicted holdout purchases by calibration frequency bucket.

    ``calib_holdout_df`` is the output of :func:`calibration_holdout` (in the model's unit).

    Returns
    -------
    DataFrame indexed by bucket ("0", ..., "7+", then "all"): ``n_customers``,
    ``actual_mean``, ``predicted_mean``, ``actual_total``, ``predicted_total``.
    """
    x, tx, t_obs = _btyd_arrays(calib_holdout_df, frequency, recency, T, what="holdout_check")
    actual = _column_values(
        calib_holdout_df, FREQUENCY_HOLDOUT, "frequency_holdout", what="holdout_check"
    )
    duration = _column_values(
        calib_holdout_df, DURATION_HOLDOUT, "duration_holdout", what="holdout_check"
    )
    predicted = _arr(model.expected_purchases(duration, x, tx, t_obs))
    labels = _bucket_labels(max_frequency)
    bucket = pd.Categorical.from_codes(np.minimum(x, max_frequency).astype(int), labels)
    frame = pd.DataFrame({"bucket": bucket, "actual": actual, "predicted": predicted})
    by = frame.groupby("bucket", observed=False).agg(
        n_customers=("actual", "size"),
        actual_total=("actual", "sum"),
        predicted_total=("predicted", "sum"),
    )
    by.loc["all"] = [len(frame), frame["actual"].sum(), frame["predicted"].sum()]
    by.index = pd.Index([str(i) for i in by.index], name="calibration_frequency")
    by["n_customers"] = by["n_customers"].astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        by["actual_mean"] = by["actual_total"] / by["n_customers"]
        by["predicted_mean"] = by["predicted_total"] / by["n_customers"]
    return by[["n_customers", "actual_mean", "predicted_mean", "actual_total", "predicted_total"]]

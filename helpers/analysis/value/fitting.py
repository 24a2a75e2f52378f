"""Maximum likelihood for the value models: input checks, the optimiser, standard errors.

The shared machinery of :mod:`helpers.analysis.value.bgnbd` and
:mod:`helpers.analysis.value.gamma_gamma`: BTYD inputs as checked arrays (a bad row is a
:class:`~helpers.core.errors.ModelError` that names the column and shows the row), minimisation
on the log scale with L-BFGS-B, and the covariance of the parameters from a numerical Hessian.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize

from helpers.core.errors import DataError, ModelError

__all__ = [
    "MIN_CUSTOMERS",
    "FittedModel",
    "column_values",
    "btyd_arrays",
    "row_label",
    "like",
    "as_float",
    "fit_log_scale",
    "covariance",
    "summary_frame",
]

MIN_CUSTOMERS = 10
_LOG_BOUND = 20.0  # parameters live in [e^-20, e^20]; hitting a bound = not identified
_GRAD_TOL = 1e-5  # max |gradient| of the mean objective (log scale) accepted as optimum
_Z95 = 1.959963984540054


def column_values(data: pd.DataFrame, col: str, role: str, *, what: str) -> np.ndarray:
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
                f"{row_label(data.index[i])!r}: {data.iloc[i].to_dict()}."
            )
    return values


def btyd_arrays(data, frequency, recency, T, *, what):
    x = column_values(data, frequency, "frequency", what=what)
    tx = column_values(data, recency, "recency", what=what)
    t_obs = column_values(data, T, "T", what=what)
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
                f"e.g. row {row_label(data.index[i])!r}: {data.iloc[i].to_dict()}."
            )
    return x, tx, t_obs


def row_label(idx):
    """A row label as plain Python (``6``, not ``np.int64(6)``) for messages."""
    return idx.item() if isinstance(idx, np.generic) else idx


def like(values, *refs):
    """Return a Series indexed like the first Series among ``refs``, else an array/scalar."""
    for ref in refs:
        if isinstance(ref, pd.Series):
            return pd.Series(np.broadcast_to(values, ref.shape), index=ref.index)
    return values


def as_float(v) -> np.ndarray:
    return np.asarray(v, dtype=float)


# --- maximum likelihood on the log scale ---------------------------------------------------------


def fit_log_scale(objective, x0, names, what):
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
            f"({params_text(names, np.exp(res.x))}); check the inputs."
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
            f"{params_text(names, np.exp(res.x))}. Try a small `penalizer`."
        )
    return np.exp(res.x), res


def covariance(objective, log_params, n, names, what):
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
            f"{what}: the fitted parameters ({params_text(names, np.exp(log_params))}) "
            "are not identified by the data (the likelihood is flat in some "
            "direction, e.g. almost no customer drops out), so they have no "
            "standard errors; check the inputs or fit with a small `penalizer`."
        )
    return jac @ np.linalg.inv(hess) @ jac


def params_text(names, values) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in zip(names, np.asarray(values, dtype=float)))


def summary_frame(params: dict, cov: np.ndarray) -> pd.DataFrame:
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    coef = np.array(list(params.values()))
    return pd.DataFrame(
        {"coef": coef, "se": se, "lower 95%": coef - _Z95 * se, "upper 95%": coef + _Z95 * se},
        index=pd.Index(list(params), name="parameter"),
    )


class FittedModel:
    """What the two value models share: parameter names, the fitted check, the summary."""

    _names: tuple = ()

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
        return summary_frame(self.params_, self.variance_matrix_)

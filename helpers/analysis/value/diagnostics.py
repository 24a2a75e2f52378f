"""How well a fitted BG/NBD model describes the data: period transactions and a holdout check.

Both return tidy tables (actual next to expected); :mod:`helpers.plots.value` draws them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis.value.bgnbd import BetaGeoModel
from helpers.analysis.value.fitting import as_float, btyd_arrays, column_values
from helpers.analysis.value.summaries import DURATION_HOLDOUT, FREQUENCY_HOLDOUT
from helpers.core import schema

__all__ = ["period_transactions", "holdout_check"]


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
    x = column_values(data, frequency, "frequency", what="period_transactions")
    t_obs = column_values(data, T, "T", what="period_transactions")
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
    x, tx, t_obs = btyd_arrays(calib_holdout_df, frequency, recency, T, what="holdout_check")
    actual = column_values(
        calib_holdout_df, FREQUENCY_HOLDOUT, "frequency_holdout", what="holdout_check"
    )
    duration = column_values(
        calib_holdout_df, DURATION_HOLDOUT, "duration_holdout", what="holdout_check"
    )
    predicted = as_float(model.expected_purchases(duration, x, tx, t_obs))
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

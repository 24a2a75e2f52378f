"""Customer lifetime value from a fitted BG/NBD and Gamma-Gamma pair.

Discounted expected revenue per customer over a horizon of months, as lifetimes'
``customer_lifetime_value`` (discrete monthly discounting).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis.value.bgnbd import BetaGeoModel
from helpers.analysis.value.fitting import as_float, btyd_arrays, column_values
from helpers.analysis.value.gamma_gamma import GammaGammaModel
from helpers.core import schema
from helpers.core.errors import ParameterError

__all__ = ["CLV", "EXPECTED_PURCHASES", "EXPECTED_SPEND", "P_ALIVE", "customer_lifetime_value"]

CLV = "clv"
EXPECTED_PURCHASES = "expected_purchases"
EXPECTED_SPEND = "expected_spend"
P_ALIVE = "p_alive"


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
    x, tx, t_obs = btyd_arrays(data, frequency, recency, T, what="CLV")
    m = column_values(data, monetary_value, "monetary_value", what="CLV")
    spend = as_float(gg.conditional_expected_average_profit(x, m))
    per_month = days_per_month / unit_days
    clv = np.zeros(len(x))
    previous = np.zeros(len(x))
    for month in range(1, horizon_months + 1):
        cumulative = as_float(bg.expected_purchases(month * per_month, x, tx, t_obs))
        clv += spend * (cumulative - previous) / (1 + discount_rate_monthly) ** month
        previous = cumulative
    return pd.DataFrame(
        {EXPECTED_PURCHASES: previous, EXPECTED_SPEND: spend, CLV: clv}, index=data.index
    )

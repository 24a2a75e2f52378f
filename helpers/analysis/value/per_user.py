"""Value per user of a feature table, and per group of users.

:func:`fit_value` fits BG/NBD and Gamma-Gamma (:mod:`helpers.analysis.value.bgnbd`,
:mod:`helpers.analysis.value.gamma_gamma`) on the buyers of the user feature table, with the
BTYD fields in weeks, and values every buyer: P(alive), expected purchases and CLV
(:mod:`helpers.analysis.value.clv`). :func:`value_by_group` sums that value per group (RFM
segment, persona).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.analysis.value.bgnbd import BetaGeoModel
from helpers.analysis.value.clv import (
    CLV,
    EXPECTED_PURCHASES,
    EXPECTED_SPEND,
    P_ALIVE,
    customer_lifetime_value,
)
from helpers.analysis.value.gamma_gamma import GammaGammaModel
from helpers.analysis.value.summaries import to_time_unit
from helpers.core import schema as s
from helpers.core.checks import require_columns
from helpers.core.errors import ModelError

__all__ = ["ValueFit", "fit_value", "GroupValue", "value_by_group", "VALUE_COLUMNS"]

#: The per-user value columns :func:`fit_value` adds to a feature table.
VALUE_COLUMNS = [P_ALIVE, EXPECTED_PURCHASES, CLV]


@dataclass
class ValueFit:
    """BG/NBD + Gamma-Gamma fitted on the buyers of the feature table (weeks), per-user value.

    Attributes
    ----------
    per_user : DataFrame
        Indexed like the feature table: ``p_alive``, ``expected_purchases`` (over the horizon),
        ``expected_spend``, ``clv``; NaN for non-buyers (no purchase, no BTYD history) and for
        everyone when the models could not be fitted. ``p_alive`` is also NaN for buyers without
        a repeat purchase (BG/NBD gives them 1 by construction).
    bg, gg : fitted models or None
        None when the models could not be fitted (``error`` says why).
    horizon_months, discount_rate_monthly, penalizer
        The CLV horizon, the monthly discount rate and the models' L2 penalizer.
    n_buyers : int
        Buyers the models were fitted on.
    n_one_time : int
        Buyers without a repeat purchase (their P(alive) is left empty).
    error : str or None
        The reason the models could not be fitted (a :class:`~helpers.core.errors.ModelError`
        sentence), None when they were.
    """

    per_user: pd.DataFrame
    bg: BetaGeoModel | None
    gg: GammaGammaModel | None
    horizon_months: int
    discount_rate_monthly: float
    penalizer: float
    n_buyers: int
    n_one_time: int = 0
    error: str | None = None

    @property
    def fitted(self) -> bool:
        """Whether both models were fitted."""
        return self.bg is not None and self.gg is not None

    def __repr__(self) -> str:
        state = "fitted" if self.fitted else f"not fitted: {self.error}"
        return f"ValueFit({self.n_buyers} buyers, {state})"


def fit_value(
    features: pd.DataFrame,
    *,
    horizon_months: int = 12,
    discount_rate_monthly: float = 0.01,
    penalizer: float = 0.001,
) -> ValueFit:
    """Fit BG/NBD and Gamma-Gamma on the buyers (BTYD fields in weeks) and value every buyer.

    Degrades instead of failing: when a model cannot be fitted (too few buyers, no repeat
    buyers), the value columns are NaN and ``error`` says why.

    Parameters
    ----------
    features : DataFrame
        The user feature table (all users known at as_of, so the models see every buyer).
    horizon_months, discount_rate_monthly : CLV horizon and monthly discount rate.
    penalizer : float
        L2 penalizer of both models (a small value keeps parameters from running away).

    Returns
    -------
    ValueFit

    Examples
    --------
    >>> f = pd.DataFrame({"frequency": [0.0] * 12, "recency": [0.0] * 12, "T": [30.0] * 12,
    ...                   "monetary_value": [0.0] * 12})
    >>> fit = fit_value(f)
    >>> fit.fitted, fit.n_buyers, "repeat buyers" in fit.error
    (False, 12, True)
    """
    cols = [s.FREQUENCY, s.RECENCY, s.T, s.MONETARY_VALUE]
    require_columns(features, cols, "The feature table (BTYD fields)")
    per_user = pd.DataFrame(
        np.nan, index=features.index, columns=[P_ALIVE, EXPECTED_PURCHASES, EXPECTED_SPEND, CLV]
    )
    buyers = features.loc[features[s.FREQUENCY].notna(), cols]
    weeks = to_time_unit(buyers, unit_days=7)
    settings = dict(
        horizon_months=horizon_months,
        discount_rate_monthly=discount_rate_monthly,
        penalizer=penalizer,
        n_buyers=len(buyers),
    )
    try:
        bg = BetaGeoModel(penalizer=penalizer).fit(weeks)
        gg = GammaGammaModel(penalizer=penalizer).fit(weeks)
        clv = customer_lifetime_value(
            bg,
            gg,
            weeks,
            horizon_months=horizon_months,
            discount_rate_monthly=discount_rate_monthly,
            unit_days=7,
        )
    except ModelError as exc:
        return ValueFit(per_user, None, None, error=str(exc), **settings)
    alive = np.asarray(
        bg.probability_alive(weeks[s.FREQUENCY], weeks[s.RECENCY], weeks[s.T]), dtype=float
    )
    # BG/NBD lets a customer drop out only right after a repeat purchase, so every buyer without
    # one gets P(alive) = 1 however long ago the purchase was: no information, left empty
    per_user.loc[weeks.index, P_ALIVE] = np.where(weeks[s.FREQUENCY].to_numpy() > 0, alive, np.nan)
    per_user.loc[weeks.index, [EXPECTED_PURCHASES, EXPECTED_SPEND, CLV]] = clv[
        [EXPECTED_PURCHASES, EXPECTED_SPEND, CLV]
    ].to_numpy()
    n_one_time = int((weeks[s.FREQUENCY] == 0).sum())
    return ValueFit(per_user, bg, gg, n_one_time=n_one_time, **settings)


@dataclass
class GroupValue:
    """Customer value per group (returned by :func:`value_by_group`).

    Attributes
    ----------
    table : DataFrame
        One row per group: the group column, ``users``, ``buyers``, ``mean_p_alive`` (repeat
        buyers), ``mean_expected_purchases`` (buyers), ``clv_per_user`` (non-buyers count as 0),
        ``clv_total`` and ``share_clv`` (of the total over all groups).
    group : str
        The group column.
    """

    table: pd.DataFrame
    group: str


def value_by_group(data: pd.DataFrame, group: str) -> GroupValue:
    """Users, buyers, mean P(alive) and expected purchases (buyers), CLV per user and total, per group.

    Examples
    --------
    >>> d = pd.DataFrame({"g": [1, 1, 2], "p_alive": [0.5, np.nan, 1.0],
    ...                   "expected_purchases": [2.0, np.nan, 4.0], "clv": [10.0, np.nan, 30.0]})
    >>> value_by_group(d, "g").table[["users", "buyers", "clv_per_user", "clv_total"]].values.tolist()
    [[2.0, 1.0, 5.0, 10.0], [1.0, 1.0, 30.0, 30.0]]
    """
    require_columns(data, [group, P_ALIVE, EXPECTED_PURCHASES, CLV], "value_by_group's `data`")
    g = data.groupby(group, sort=True)
    out = pd.DataFrame(
        {
            "users": g.size().astype("int64"),
            "buyers": g[CLV].count().astype("int64"),
            "mean_p_alive": g[P_ALIVE].mean(),
            "mean_expected_purchases": g[EXPECTED_PURCHASES].mean(),
            "clv_per_user": g[CLV].sum() / g.size(),
            "clv_total": g[CLV].sum(),
        }
    )
    total = out["clv_total"].sum()
    out["share_clv"] = out["clv_total"] / total if total > 0 else np.nan
    return GroupValue(out.reset_index(), group)

"""What the users at risk of churning are worth: the revenue at stake and the at-risk list.

:func:`value_at_stake` adds each scored user's recent revenue and persona to the churn-risk
scores of :class:`helpers.analysis.churn.risk.ChurnRiskModel`; :func:`stake_by_persona` sums it by
persona and risk band; :func:`churn_risk_table` is the ``artifacts/churn_risk.csv`` list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.core import schema as S
from helpers.core.checks import require_columns

#: ``persona_name`` of every scored user when there are no personas this month.
ALL_USERS = "all users"
#: ``persona_name`` of a scored user without a persona.
NO_PERSONA = "(no persona)"
REVENUE_90D = "revenue_90d"

__all__ = [
    "value_at_stake",
    "RevenueAtStake",
    "stake_by_persona",
    "churn_risk_table",
    "risk_status",
    "RECOVERABLE",
    "LAPSED",
    "NOT_AT_RISK",
    "revenue_at_stake",
    "ALL_USERS",
    "NO_PERSONA",
]


def value_at_stake(
    risk: pd.DataFrame,
    user_day,
    *,
    as_of: dt.date,
    personas: pd.DataFrame | None,
    window_days: int = 90,
) -> pd.DataFrame:
    """Risk rows with revenue over the last ``window_days`` (the value at stake) and persona.

    ``revenue_90d`` is summed in the engine over ``user_day`` days ``as_of - window_days + 1 ..
    as_of`` (0 for users without a purchase). Without personas every user's ``persona_name`` is
    ``"all users"``; a user without a persona gets ``"(no persona)"``.
    """
    ud = user_day
    lo = as_of - dt.timedelta(days=window_days - 1)
    recent = ud.filter((ud[S.DAY] >= lo) & (ud[S.DAY] <= as_of))
    rev = (
        recent.group_by(S.USER_ID).aggregate(**{REVENUE_90D: recent[S.UD_REVENUE].sum()}).execute()
    )
    out = risk.merge(rev, on=S.USER_ID, how="left").fillna({REVENUE_90D: 0.0})
    if personas is not None:
        cols = [c for c in (S.PERSONA, "persona_name") if c in personas.columns]
        out = out.merge(personas[[S.USER_ID, *cols]], on=S.USER_ID, how="left")
    else:
        out["persona_name"] = ALL_USERS
    out["persona_name"] = out.get("persona_name", pd.Series(index=out.index, dtype=object)).fillna(
        NO_PERSONA
    )
    return out


@dataclass(frozen=True)
class RevenueAtStake:
    """Users, mean risk and recent revenue per persona and risk band.

    Attributes
    ----------
    table : pandas.DataFrame
        ``persona_name``, ``risk_band``, ``users``, ``mean_risk``, ``revenue_90d`` (the
        revenue of the last ``window_days`` days) and ``expected_revenue_lost`` (sum of risk x
        that revenue).
    window_days : int
    """

    table: pd.DataFrame
    window_days: int = 90


def stake_by_persona(stake: pd.DataFrame, *, window_days: int = 90) -> RevenueAtStake:
    """Users, mean risk and revenue per persona and risk band, from :func:`value_at_stake`.

    Examples
    --------
    >>> stake = pd.DataFrame({"user_id": ["a", "b", "c"], "persona_name": ["P", "P", "P"],
    ...                       "risk_band": ["high", "high", "low"],
    ...                       "churn_risk_30d": [0.5, 0.7, 0.1], "revenue_90d": [10.0, 20.0, 5.0]})
    >>> t = stake_by_persona(stake).table
    >>> t[["risk_band", "users", "expected_revenue_lost"]].values.tolist()
    [['high', 2, 19.0], ['low', 1, 0.5]]
    """
    require_columns(
        stake,
        [S.USER_ID, "persona_name", S.RISK_BAND, S.CHURN_RISK_30D, REVENUE_90D],
        "The value-at-stake table",
    )
    g = stake.groupby(["persona_name", S.RISK_BAND], observed=True)
    out = g.agg(
        users=(S.USER_ID, "size"),
        mean_risk=(S.CHURN_RISK_30D, "mean"),
        revenue_90d=(REVENUE_90D, "sum"),
    ).reset_index()
    out["expected_revenue_lost"] = g.apply(
        lambda d: (d[S.CHURN_RISK_30D] * d[REVENUE_90D]).sum(), include_groups=False
    ).values
    return RevenueAtStake(out, window_days)


#: ``status`` of a high-risk user active within ``recoverable_days``: can still be saved.
RECOVERABLE = "recoverable"
#: ``status`` of a high-risk user inactive for longer: already gone (a win-back, not a save).
LAPSED = "lapsed"
#: ``status`` of a user whose risk is low or medium.
NOT_AT_RISK = "not_at_risk"
DAYS_SINCE_ACTIVE = "days_since_active"

#: The columns of ``artifacts/churn_risk.csv``.
CHURN_RISK_COLUMNS = (
    S.USER_ID,
    S.PERSONA,
    "persona_name",
    S.CHURN_RISK_30D,
    S.RISK_BAND,
    "status",
    DAYS_SINCE_ACTIVE,
    "drivers",
    REVENUE_90D,
)


def risk_status(
    band: pd.Series, days_since_active: pd.Series, *, recoverable_days: int
) -> pd.Series:
    """``recoverable``, ``lapsed`` or ``not_at_risk`` per user.

    A user in a high-risk band is recoverable while their last active day is at most
    ``recoverable_days`` ago, and lapsed after that.

    >>> risk_status(pd.Series(["critical", "high", "low"]), pd.Series([3, 12, 20]),
    ...             recoverable_days=7).tolist()
    ['recoverable', 'lapsed', 'not_at_risk']
    """
    from helpers.analysis.churn.risk import HIGH_RISK_BANDS

    high = band.astype(str).isin(HIGH_RISK_BANDS).to_numpy()
    recent = (pd.to_numeric(days_since_active, errors="coerce") <= recoverable_days).to_numpy()
    status = np.where(high & recent, RECOVERABLE, np.where(high, LAPSED, NOT_AT_RISK))
    return pd.Series(status, index=band.index)


def churn_risk_table(stake: pd.DataFrame, *, recoverable_days: int = 7) -> pd.DataFrame:
    """``artifacts/churn_risk.csv``: user_id, persona, persona_name, churn_risk_30d, risk_band,
    status (:func:`risk_status`), days_since_active, drivers, revenue_90d; riskiest first."""
    stake = stake.copy()
    if DAYS_SINCE_ACTIVE in stake.columns:
        stake["status"] = risk_status(
            stake[S.RISK_BAND], stake[DAYS_SINCE_ACTIVE], recoverable_days=recoverable_days
        )
    out = stake[[c for c in CHURN_RISK_COLUMNS if c in stake.columns]].copy()
    if S.PERSONA not in out.columns:
        out.insert(1, S.PERSONA, np.nan)
    # a persona is a number: 2, not 2.0 (a user without one leaves it empty)
    out[S.PERSONA] = pd.to_numeric(out[S.PERSONA], errors="coerce").round().astype("Int64")
    return out.sort_values(S.CHURN_RISK_30D, ascending=False).reset_index(drop=True)


def revenue_at_stake(
    risk_df: pd.DataFrame,
    value_col: str,
    group_col: str | None = None,
    *,
    risk_col: str = S.CHURN_RISK_30D,
    band_col: str = S.RISK_BAND,
) -> pd.DataFrame:
    """Value held by at-risk users, by risk band (and group).

    Returns per band (and group): ``users``, ``value`` (sum of ``value_col``),
    ``expected_value_lost`` = sum of ``risk x value`` (the value of the users expected to churn),
    ``share_of_value`` = value / total value of all rows.

    Examples
    --------
    >>> risk = pd.DataFrame({"churn_risk_30d": [0.1, 0.9], "revenue": [100.0, 40.0],
    ...                      "risk_band": ["low", "critical"]})
    >>> out = revenue_at_stake(risk, "revenue")
    >>> out[["risk_band", "users", "expected_value_lost"]].values.tolist()
    [['critical', 1, 36.0], ['low', 1, 10.0]]
    """
    keys = [band_col] + ([group_col] if group_col else [])
    require_columns(risk_df, [risk_col, value_col, *keys], "The risk table")
    df = risk_df.assign(_v=risk_df[value_col].astype(float).fillna(0.0))
    df["_lost"] = df["_v"] * df[risk_col]
    out = (
        df.groupby(keys, observed=True)
        .agg(users=("_v", "size"), value=("_v", "sum"), expected_value_lost=("_lost", "sum"))
        .reset_index()
    )
    total = df["_v"].sum()
    out["share_of_value"] = out["value"] / total if total else np.nan
    if isinstance(out[band_col].dtype, pd.CategoricalDtype):
        out[band_col] = out[band_col].astype(str)
    return out

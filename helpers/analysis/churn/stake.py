"""What the users at risk of churning are worth: the revenue at stake and the at-risk list.

:func:`value_at_stake` adds each scored user's recent revenue and persona to the churn-risk
scores of :class:`helpers.analysis.churn.risk.ChurnRiskModel`; :func:`stake_by_persona` sums, per
persona, what the high-risk users who can still be saved would bring over the risk's horizon and
how much of it is at stake, with the users who have already lapsed beside them;
:func:`churn_risk_table` is the ``artifacts/churn_risk.csv`` list.

Horizon. The churn risk is a probability of churning within ``horizon_days`` (30), so the revenue
it puts at stake is the revenue of those 30 days: a user who stays is assumed to keep spending at
the rate of their last ``window_days`` (90) days, ``expected_revenue_30d = revenue_90d x 30 /
90``, and one who churns to spend nothing more, so ``revenue_at_stake_30d = churn_risk_30d x
expected_revenue_30d``. Only recoverable users (high or critical risk, active within
``churn.recoverable_days``) put revenue at stake: a lapsed user's revenue is already gone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.analysis.feedback.users import user_nps
from helpers.core import schema as S
from helpers.core.checks import require_columns

#: ``persona_name`` of every scored user when there are no personas this month.
ALL_USERS = "all users"
#: ``persona_name`` of a scored user without a persona.
NO_PERSONA = "(no persona)"
REVENUE_90D = "revenue_90d"
#: Revenue a scored user would bring over the risk horizon at their last-90-day rate.
EXPECTED_REVENUE_30D = "expected_revenue_30d"
#: ``churn_risk_30d x expected_revenue_30d``: the revenue expected to leave with the user.
REVENUE_AT_STAKE_30D = "revenue_at_stake_30d"

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
    "REVENUE_90D",
    "EXPECTED_REVENUE_30D",
    "REVENUE_AT_STAKE_30D",
]


def value_at_stake(
    risk: pd.DataFrame,
    user_day,
    *,
    as_of: dt.date,
    personas: pd.DataFrame | None,
    window_days: int = 90,
    horizon_days: int = 30,
) -> pd.DataFrame:
    """Risk rows with recent revenue, the revenue at stake over the risk horizon, and persona.

    ``revenue_90d`` is summed in the engine over ``user_day`` days ``as_of - window_days + 1 ..
    as_of`` (0 for users without a purchase); ``expected_revenue_30d = revenue_90d x
    horizon_days / window_days`` (what the user would bring over the horizon at that rate) and
    ``revenue_at_stake_30d = churn_risk_30d x expected_revenue_30d`` (module docs). Without
    personas every user's ``persona_name`` is ``"all users"``; a user without a persona gets
    ``"(no persona)"``.
    """
    ud = user_day
    lo = as_of - dt.timedelta(days=window_days - 1)
    recent = ud.filter((ud[S.DAY] >= lo) & (ud[S.DAY] <= as_of))
    rev = (
        recent.group_by(S.USER_ID).aggregate(**{REVENUE_90D: recent[S.UD_REVENUE].sum()}).execute()
    )
    out = risk.merge(rev, on=S.USER_ID, how="left").fillna({REVENUE_90D: 0.0})
    out[EXPECTED_REVENUE_30D] = out[REVENUE_90D].astype(float) * horizon_days / window_days
    out[REVENUE_AT_STAKE_30D] = out[S.CHURN_RISK_30D].astype(float) * out[EXPECTED_REVENUE_30D]
    if personas is not None:
        cols = [c for c in (S.PERSONA, "persona_name") if c in personas.columns]
        out = out.merge(personas[[S.USER_ID, *cols]], on=S.USER_ID, how="left")
    else:
        out["persona_name"] = ALL_USERS
    out["persona_name"] = out.get("persona_name", pd.Series(index=out.index, dtype=object)).fillna(
        NO_PERSONA
    )
    out.attrs.update(window_days=window_days, horizon_days=horizon_days)
    return out


@dataclass(frozen=True)
class RevenueAtStake:
    """Per persona: the high-risk users who can still be saved, what they would bring over the
    risk horizon and what of it is at stake, and the high-risk users who have already lapsed.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per persona: ``persona_name``, ``users`` (scored), ``recoverable_users``,
        ``recoverable_mean_risk`` (their mean churn risk), ``expected_revenue_30d`` (their revenue over
        the horizon at their last-90-day rate), ``revenue_at_stake_30d`` (risk x that, summed),
        ``lapsed_users`` and ``lapsed_revenue_30d`` (the lapsed users' revenue per 30 days at
        the same rate: already gone, a win-back's prize, not a save's).
    window_days, horizon_days, recoverable_days : int
        The revenue window, the risk horizon, and how recently a user must have been active to
        be recoverable.
    """

    table: pd.DataFrame
    window_days: int = 90
    horizon_days: int = 30
    recoverable_days: int = 7

    @property
    def at_stake(self) -> float:
        """Revenue at stake over the horizon, all personas."""
        return float(self.table[REVENUE_AT_STAKE_30D].sum())


def stake_by_persona(stake: pd.DataFrame, *, recoverable_days: int = 7) -> RevenueAtStake:
    """The revenue at stake per persona, from :func:`value_at_stake` (users' ``status`` by
    :func:`risk_status` when the table has ``days_since_active``, else every high-risk user
    counts as recoverable).

    Examples
    --------
    >>> stake = pd.DataFrame({"user_id": ["a", "b", "c", "d"], "persona_name": ["P"] * 4,
    ...     "risk_band": ["high", "critical", "critical", "low"],
    ...     "churn_risk_30d": [0.5, 0.8, 0.9, 0.1], "days_since_active": [2, 5, 20, 1],
    ...     "expected_revenue_30d": [30.0, 10.0, 50.0, 99.0],
    ...     "revenue_at_stake_30d": [15.0, 8.0, 45.0, 9.9]})
    >>> row = stake_by_persona(stake).table.iloc[0]
    >>> int(row["recoverable_users"]), float(row["revenue_at_stake_30d"]), int(row["lapsed_users"])
    (2, 23.0, 1)
    """
    require_columns(
        stake,
        [S.USER_ID, "persona_name", S.RISK_BAND, S.CHURN_RISK_30D, EXPECTED_REVENUE_30D],
        "The value-at-stake table",
    )
    df = stake.copy()
    if REVENUE_AT_STAKE_30D not in df.columns:
        df[REVENUE_AT_STAKE_30D] = df[S.CHURN_RISK_30D] * df[EXPECTED_REVENUE_30D]
    if "status" not in df.columns:
        days = df[DAYS_SINCE_ACTIVE] if DAYS_SINCE_ACTIVE in df.columns else pd.Series(0, df.index)
        df["status"] = risk_status(df[S.RISK_BAND], days, recoverable_days=recoverable_days)
    saved, gone = df["status"] == RECOVERABLE, df["status"] == LAPSED
    g = df.assign(
        _saved=saved.astype(int),
        _gone=gone.astype(int),
        _risk=df[S.CHURN_RISK_30D].where(saved),
        _expected=df[EXPECTED_REVENUE_30D].where(saved, 0.0),
        _stake=df[REVENUE_AT_STAKE_30D].where(saved, 0.0),
        _lost=df[EXPECTED_REVENUE_30D].where(gone, 0.0),
    ).groupby("persona_name", observed=True)
    out = g.agg(
        users=(S.USER_ID, "size"),
        recoverable_users=("_saved", "sum"),
        recoverable_mean_risk=("_risk", "mean"),
        expected_revenue_30d=("_expected", "sum"),
        revenue_at_stake_30d=("_stake", "sum"),
        lapsed_users=("_gone", "sum"),
        lapsed_revenue_30d=("_lost", "sum"),
    ).reset_index()
    out = out.sort_values(REVENUE_AT_STAKE_30D, ascending=False, kind="stable")
    a = stake.attrs
    return RevenueAtStake(
        out.reset_index(drop=True),
        window_days=int(a.get("window_days", 90)),
        horizon_days=int(a.get("horizon_days", 30)),
        recoverable_days=recoverable_days,
    )


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
    EXPECTED_REVENUE_30D,
    REVENUE_AT_STAKE_30D,
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
    status (:func:`risk_status`), days_since_active, drivers, revenue_90d,
    expected_revenue_30d, revenue_at_stake_30d; riskiest first."""
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


def with_detractors(risk_table, feedback: pd.DataFrame | None, *, as_of) -> pd.DataFrame:
    """The at-risk table with ``nps_detractor`` (1 when the user's latest NPS answer by
    ``as_of`` was 0-6, else 0): a detractor at risk is worth a call before a coupon. Returned
    as it is without feedback, or when it is not a table (the model could not run).

    >>> import datetime as dt
    >>> risk = pd.DataFrame({"user_id": ["a", "b", "c"], "churn_risk_30d": [0.9, 0.8, 0.7]})
    >>> fb = pd.DataFrame({"user_id": ["a", "a", "b"], "nps": [2.0, 9.0, 5.0],
    ...     "feedback_time": pd.to_datetime(["2026-10-01", "2026-10-20", "2026-11-05"], utc=True),
    ...     "day": [dt.date(2026, 10, 1), dt.date(2026, 10, 20), dt.date(2026, 11, 5)]})
    >>> with_detractors(risk, fb, as_of="2026-10-31")["nps_detractor"].tolist()
    [0, 0, 0]
    >>> with_detractors(risk, fb, as_of="2026-11-30")["nps_detractor"].tolist()
    [0, 1, 0]
    """
    if not isinstance(risk_table, pd.DataFrame) or feedback is None or S.NPS not in feedback:
        return risk_table
    latest = user_nps(feedback, as_of=as_of)
    flagged = set(latest.loc[latest["detractor"].astype(bool), S.USER_ID].astype(str))
    out = risk_table.copy()
    out["nps_detractor"] = out[S.USER_ID].astype(str).isin(flagged).astype("int64")
    return out

"""The headline numbers of a reviewed month, read from the rolling, monthly and lifecycle
results (the numbers the month index shows)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from helpers.analysis.activity.lifecycle import LifecycleCounts
from helpers.analysis.activity.rolling import MonthlyActive, RollingActive
from helpers.core import schema as S

__all__ = ["headline", "Headline"]


@dataclass(frozen=True)
class Headline:
    """Headline numbers of the reviewed month (:func:`headline`).

    Attributes
    ----------
    dau_avg : float
        Mean DAU over the month's days.
    wau, mau : int
        Rolling values on ``as_of`` (windows of ``wau_days`` and ``mau_days``).
    stickiness : float
        Mean DAU/MAU over the month.
    wau_mau : float
        WAU/MAU on ``as_of``.
    mau_calendar : int
        Users active in the calendar month.
    mau_change_pct : float
        Its month-over-month change, in percent (NaN without a previous month).
    quick_ratio : float
        The month's quick ratio from the lifecycle (NaN when nobody went dormant).
    as_of : date
    wau_days, mau_days : int
    """

    dau_avg: float
    wau: int
    mau: int
    stickiness: float
    wau_mau: float
    mau_calendar: int
    mau_change_pct: float
    quick_ratio: float
    as_of: dt.date
    wau_days: int
    mau_days: int


def headline(
    rolling: RollingActive,
    monthly: MonthlyActive,
    lifecycle_month: LifecycleCounts,
    *,
    month_start: dt.date,
    as_of: dt.date,
) -> Headline:
    """Headline numbers of the month ``month_start`` .. ``as_of`` (see :class:`Headline`).

    ``rolling`` must cover the month's days, ``monthly`` end with the month and
    ``lifecycle_month`` be monthly.
    """
    d = rolling.daily.copy()
    d[S.DAY] = pd.to_datetime(d[S.DAY]).dt.date
    month = d[(d[S.DAY] >= month_start) & (d[S.DAY] <= as_of)]
    last = d[d[S.DAY] == as_of].iloc[0]
    cur = monthly.monthly.iloc[-1]
    lc = lifecycle_month.periods.copy()
    lc["period_start"] = pd.to_datetime(lc["period_start"]).dt.date
    row = lc[lc["period_start"] == month_start]
    qr = float(row["quick_ratio"].iloc[0]) if len(row) else float("nan")
    change = float(cur["change_pct"]) if pd.notna(cur["change_pct"]) else float("nan")
    return Headline(
        dau_avg=float(month["dau"].mean()),
        wau=int(last["wau"]),
        mau=int(last["mau"]),
        stickiness=float(month["dau_mau"].mean()),
        wau_mau=float(last["wau_mau"]),
        mau_calendar=int(cur["mau"]),
        mau_change_pct=change,
        quick_ratio=qr,
        as_of=as_of,
        wau_days=int(rolling.windows[1]),
        mau_days=int(rolling.windows[2]),
    )

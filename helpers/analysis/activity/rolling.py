"""Rolling DAU, WAU and MAU per day, and calendar-month active users."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from helpers.analysis.activity import _base as B
from helpers.core import schema as S
from helpers.core.checks import as_date, as_month
from helpers.core.errors import ParameterError

__all__ = ["rolling_active", "monthly_active", "RollingActive", "MonthlyActive"]


@dataclass(frozen=True, eq=False)
class RollingActive:
    """Distinct active users in windows ending each day (:func:`rolling_active`).

    Attributes
    ----------
    daily : DataFrame
        day, dau, wau, mau, dau_mau, wau_mau (stickiness ratios; NaN when mau is 0).
    start, end : date
        First and last day reported.
    windows : tuple of int
        Window lengths in days of dau, wau and mau.
    """

    daily: pd.DataFrame
    start: dt.date
    end: dt.date
    windows: tuple[int, int, int]


@dataclass(frozen=True, eq=False)
class MonthlyActive:
    """Users active in each calendar month (:func:`monthly_active`).

    Attributes
    ----------
    monthly : DataFrame
        month (first day), mau, change (users, vs the previous month), change_pct (percent).
    month : str
        The reviewed month, ``YYYY-MM`` (the last row).
    history : int
        Number of months reported.
    mau : int
        Users active in the reviewed month.
    """

    monthly: pd.DataFrame
    month: str
    history: int
    mau: int


def _sliding_distinct(active_days, lo: int, hi: int, w: int) -> np.ndarray:
    """Exact distinct active users in the ``w``-day window ending on each epoch day lo..hi.

    Each active (user, day ``a``) covers the window ends ``[a, min(a + w, next) - 1]`` where
    ``next`` is the user's next active day; these intervals are disjoint per user, so a +1/-1
    difference array (aggregated per day in the engine) and a cumulative sum count each user
    once per window.
    """
    t = active_days.filter(active_days[B.ED] >= lo - w + 1)
    stop = ibis.least(t[B.ED] + w, t["_next"].fill_null(t[B.ED] + w))
    plus = t.group_by(d=t[B.ED]).aggregate(n=t.count())
    minus = t.mutate(d=stop).group_by("d").aggregate(n=-ibis._.count())
    delta = B.execute(plus.union(minus).group_by("d").aggregate(n=ibis._.n.sum()))
    arr = np.zeros(hi - (lo - w + 1) + 2, dtype="int64")
    idx = delta["d"].to_numpy(dtype="int64") - (lo - w + 1)
    keep = idx < len(arr)
    np.add.at(arr, idx[keep], delta["n"].to_numpy(dtype="int64")[keep])
    return np.cumsum(arr)[w - 1 : w - 1 + hi - lo + 1]


def rolling_active(user_day, *, start, end, windows: Sequence[int] = (1, 7, 28)) -> RollingActive:
    """DAU, WAU and MAU per day (distinct users active in the window *ending* that day).

    Parameters
    ----------
    user_day : ibis Table
    start, end : date or str
        First and last day reported (both included). Windows reach back before ``start``.
    windows : three increasing ints, default (1, 7, 28)
        Window lengths in days reported as ``dau``, ``wau`` and ``mau``.

    Returns
    -------
    RollingActive

    Examples
    --------
    >>> rolling_active(ud, start="2026-09-01", end="2026-09-30").daily.head()  # doctest: +SKIP
    """
    start, end = as_date(start, "start"), as_date(end, "end")
    if end < start:
        raise ParameterError(f"`end` ({end}) must not be before `start` ({start}).")
    windows = tuple(int(w) for w in windows)
    if len(windows) != 3 or not (0 < windows[0] < windows[1] < windows[2]):
        raise ParameterError(
            f"`windows` must be three increasing day counts such as (1, 7, 28), but "
            f"{windows!r} was passed."
        )
    lo, hi = B.ed(start), B.ed(end)
    act = B.active(user_day)
    act = act.filter(act[B.ED] <= hi).select(S.USER_ID, B.ED).distinct()
    act = act.mutate(_next=act[B.ED].lead().over(group_by=S.USER_ID, order_by=B.ED))
    days = [B.from_ed(e) for e in range(lo, hi + 1)]
    out = pd.DataFrame({S.DAY: pd.to_datetime(days)})
    for name, w in zip(("dau", "wau", "mau"), windows):
        out[name] = _sliding_distinct(act, lo, hi, w)
    mau = out["mau"].where(out["mau"] > 0)
    out["dau_mau"] = out["dau"] / mau
    out["wau_mau"] = out["wau"] / mau
    return RollingActive(daily=out, start=start, end=end, windows=windows)


def monthly_active(user_day, *, month, history: int = 12) -> MonthlyActive:
    """Calendar-month active users for ``month`` and the ``history - 1`` months before it.

    Parameters
    ----------
    user_day : ibis Table
    month : str 'YYYY-MM' or date
        The reviewed month (the last row).
    history : int, default 12
        Number of months reported.

    Returns
    -------
    MonthlyActive
    """
    m0 = as_month(month, "month")
    p_hi = B.period_of(m0, "month")
    p_lo = p_hi - int(history)  # one extra month for the first change
    act = B.active(user_day)
    act = act.mutate(**{B.P: B.period_expr(act, "month")})
    act = act.filter((act[B.P] >= p_lo) & (act[B.P] <= p_hi))
    got = B.execute(act.group_by(B.P).aggregate(mau=act[S.USER_ID].nunique()))
    s = got.set_index(B.P)["mau"].reindex(range(p_lo, p_hi + 1), fill_value=0).astype("int64")
    df = pd.DataFrame(
        {
            "month": pd.to_datetime([B.period_start(p, "month") for p in s.index]),
            "mau": s.to_numpy(),
        }
    )
    df["change"] = df["mau"].diff()
    df["change_pct"] = 100.0 * df["change"] / df["mau"].shift().where(lambda x: x > 0)
    df = df.iloc[1:].reset_index(drop=True)
    return MonthlyActive(
        monthly=df, month=f"{m0:%Y-%m}", history=int(history), mau=int(df["mau"].iloc[-1])
    )

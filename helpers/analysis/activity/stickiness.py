"""How often actives come back: the power-user curve (active days in a window) and active days
per month over time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from helpers.analysis.activity import _base as B
from helpers.core import schema as S
from helpers.core.checks import as_date
from helpers.core.errors import ParameterError

__all__ = ["power_user_curve", "stickiness_over_time", "PowerUserCurve", "StickinessBuckets"]


@dataclass(frozen=True, eq=False)
class PowerUserCurve:
    """Active days per active user (:func:`power_user_curve`).

    Attributes
    ----------
    histogram : DataFrame
        active_days (1..window_days), users, share, cum_share (share with at most that many
        days), share_at_least.
    l7 : DataFrame
        The same over the 7 days ending ``as_of``.
    as_of : date
    window_days : int
    active_users : int
        Users active in the window.
    active_users_7 : int
        Users active in the 7 days ending ``as_of``.
    mean_active_days : float
        Mean active days per active user in the window (NaN without actives).
    """

    histogram: pd.DataFrame
    l7: pd.DataFrame
    as_of: dt.date
    window_days: int
    active_users: int
    active_users_7: int
    mean_active_days: float


@dataclass(frozen=True, eq=False)
class StickinessBuckets:
    """Each month's active users by active days in the month (:func:`stickiness_over_time`).

    Attributes
    ----------
    buckets : DataFrame
        month, bucket (ordered categorical: "1", "2-3", ... "15+"), users, share (shares sum
        to 1 within a month).
    as_of : date
    months : int
    edges : tuple of int
        Lower edges of the buckets.
    """

    buckets: pd.DataFrame
    as_of: dt.date
    months: int
    edges: tuple[int, ...]


def _active_days_histogram(user_day, lo: int, hi: int) -> pd.DataFrame:
    n = hi - lo + 1
    act = B.active(user_day)
    act = act.filter((act[B.ED] >= lo) & (act[B.ED] <= hi))
    per_user = act.group_by(S.USER_ID).aggregate(active_days=act[B.ED].nunique())
    got = B.execute(per_user.group_by("active_days").aggregate(users=per_user.count()))
    users = got.set_index("active_days")["users"].reindex(range(1, n + 1), fill_value=0)
    df = pd.DataFrame({"active_days": np.arange(1, n + 1), "users": users.to_numpy("int64")})
    total = df["users"].sum()
    df["share"] = df["users"] / total if total else np.nan
    df["cum_share"] = df["share"].cumsum()
    df["share_at_least"] = df["share"][::-1].cumsum()[::-1]
    return df


def power_user_curve(user_day, *, as_of, window_days: int = 28) -> PowerUserCurve:
    """Histogram of active days per active user in the window ending ``as_of`` (the L28 curve).

    Returns
    -------
    PowerUserCurve
    """
    as_of = as_date(as_of, "as_of")
    hi = B.ed(as_of)
    hist = _active_days_histogram(user_day, hi - int(window_days) + 1, hi)
    l7 = _active_days_histogram(user_day, hi - 6, hi)
    n = int(hist["users"].sum())
    mean = float((hist["active_days"] * hist["users"]).sum() / n) if n else np.nan
    return PowerUserCurve(
        histogram=hist,
        l7=l7,
        as_of=as_of,
        window_days=int(window_days),
        active_users=n,
        active_users_7=int(l7["users"].sum()),
        mean_active_days=mean,
    )


def _bucket_labels(edges: Sequence[int]) -> list[str]:
    """Names of the active-day buckets with these lower edges.

    >>> _bucket_labels([1, 2, 4, 8, 15])
    ['1', '2-3', '4-7', '8-14', '15+']
    """
    labels = []
    for a, b in zip(edges, [*edges[1:], None]):
        labels.append(f"{a}+" if b is None else (f"{a}" if b == a + 1 else f"{a}-{b - 1}"))
    return labels


def stickiness_over_time(
    user_day, *, as_of, months: int = 6, buckets: Sequence[int] = (1, 2, 4, 8, 15)
) -> StickinessBuckets:
    """Share of each month's active users by number of active days in that month.

    The last month is the one containing ``as_of`` (only days up to ``as_of``).

    Parameters
    ----------
    buckets : increasing ints starting at 1
        Lower edges of the active-day buckets: (1, 2, 4, 8, 15) -> "1", "2-3", "4-7", "8-14",
        "15+".

    Returns
    -------
    StickinessBuckets
    """
    as_of = as_date(as_of, "as_of")
    edges = [int(b) for b in buckets]
    if not edges or edges[0] != 1 or any(b <= a for a, b in zip(edges, edges[1:])):
        raise ParameterError(
            f"`buckets` must be increasing and start at 1, such as "
            f"(1, 2, 4, 8, 15), but {tuple(buckets)!r} was passed."
        )
    labels = _bucket_labels(edges)
    p_hi = B.period_of(as_of, "month")
    p_lo = p_hi - int(months) + 1
    act = B.active(user_day)
    act = act.filter(act[B.ED] <= B.ed(as_of)).mutate(**{B.P: B.period_expr(act, "month")})
    act = act.filter(act[B.P] >= p_lo)
    per = act.group_by([S.USER_ID, B.P]).aggregate(days=act[B.ED].nunique())
    bucket = ibis.cases(
        *[(per.days >= e, i) for i, e in reversed(list(enumerate(edges)))], else_=0
    )
    per = per.mutate(bucket=bucket)
    got = B.execute(per.group_by([B.P, "bucket"]).aggregate(users=per.count()))
    full = pd.MultiIndex.from_product(
        [range(p_lo, p_hi + 1), range(len(edges))], names=[B.P, "bucket"]
    )
    got = got.set_index([B.P, "bucket"])["users"].reindex(full, fill_value=0).reset_index()
    got["month"] = pd.to_datetime([B.period_start(p, "month") for p in got[B.P]])
    got["bucket"] = pd.Categorical(
        [labels[i] for i in got["bucket"]], categories=labels, ordered=True
    )
    tot = got.groupby(B.P)["users"].transform("sum")
    got["share"] = got["users"] / tot.where(tot > 0)
    df = got[["month", "bucket", "users", "share"]].reset_index(drop=True)
    return StickinessBuckets(buckets=df, as_of=as_of, months=int(months), edges=tuple(edges))

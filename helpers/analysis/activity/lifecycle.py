"""The lifecycle of the active base: new, returning, resurrecting and dormant users per period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import pandas as pd

from helpers.analysis.activity import _base as B
from helpers.core import schema as S
from helpers.core.checks import as_date, one_of

__all__ = ["lifecycle", "LifecycleCounts", "LIFECYCLE_STATES"]

LIFECYCLE_STATES = ("new", "returning", "resurrecting", "dormant")


@dataclass(frozen=True, eq=False)
class LifecycleCounts:
    """Lifecycle states per period (:func:`lifecycle`).

    Attributes
    ----------
    periods : DataFrame
        period_start, active, new, returning, resurrecting, dormant (<= 0), active_prev,
        quick_ratio = (new + resurrecting) / |dormant| (NaN when nobody went dormant), complete
        (False for a period cut by ``end``: fewer days, fewer users, so not comparable with the
        others).
    period : {"week", "month"}
    start, end : date
        The days asked for; the first period contains ``start``, the last ``end``.
    new_basis : {"first_activity", "signup"}
    """

    periods: pd.DataFrame
    period: str
    start: dt.date
    end: dt.date
    new_basis: str


def _lifecycle_rows(user_day, *, period, last_day, users=None, tz=None, new_basis):
    """Per (user, active period): status, and the dormant transitions, as ibis expressions."""
    act = B.active(user_day)
    act = act.filter(act[B.ED] <= B.ed(last_day)).mutate(**{B.P: B.period_expr(act, period)})
    ap = act.select(S.USER_ID, B.P).distinct()
    w = ibis.window(group_by=S.USER_ID, order_by=B.P)
    ap = ap.mutate(
        _prev=ap[B.P].lag().over(w),
        _next=ap[B.P].lead().over(w),
        _first=ap[B.P].min().over(group_by=S.USER_ID),
    )
    if new_basis == "signup":
        sp = ibis.memtable(B.signup_periods(users, tz, period))
        ap = ap.left_join(sp, S.USER_ID).drop(f"{S.USER_ID}_right")
        new_p = ibis.least(ap["_sp"].fill_null(ap["_first"]), ap["_first"])
    else:
        new_p = ap["_first"]
    status = ibis.cases(
        (ap["_prev"] == ap[B.P] - 1, "returning"), (ap[B.P] == new_p, "new"), else_="resurrecting"
    )
    ap = ap.mutate(status=status)
    dormant = ap.filter(ap["_next"].isnull() | (ap["_next"] != ap[B.P] + 1))
    dormant = dormant.mutate(**{B.P: dormant[B.P] + 1, "status": ibis.literal("dormant")})
    return ap.select(S.USER_ID, B.P, "status"), dormant.select(S.USER_ID, B.P, "status")


def lifecycle(
    user_day,
    *,
    period: str = "week",
    start,
    end,
    users: pd.DataFrame | None = None,
    new_basis: str = "first_activity",
    tz: str | None = None,
) -> LifecycleCounts:
    """PostHog/Amplitude-style lifecycle: new, returning, resurrecting and dormant per period.

    Every active user of a period is exactly one of

    * **new**: this is the user's first active period (``new_basis="first_activity"``), or the
      user signed up in this period (``new_basis="signup"``);
    * **returning**: active in the previous period too (checked first, so a user active in the
      previous period is never new);
    * **resurrecting**: not active in the previous period, active in some earlier one.

    **dormant** users were active in the previous period and not in this one; they are reported
    as a negative number for plotting. The identities ``active = new + returning +
    resurrecting`` and ``-dormant = active_prev - returning`` hold exactly.

    Under ``new_basis="signup"`` a user who signed up in an earlier period and is active for
    the first time now is counted as **resurrecting** (PostHog's convention: the user was
    acquired earlier and is coming back to life); a user whose first activity precedes the
    signup period (stitched pre-signup activity) is new at that first activity; users absent
    from ``users`` or without a ``signup_time`` fall back to first activity.

    Parameters
    ----------
    user_day : ibis Table
    period : {"week", "month"}
        Weeks start on Monday.
    start, end : date or str
        Periods containing ``start`` to the one containing ``end`` are reported; activity after
        ``end`` is ignored (a period cut by ``end`` is partial) and activity before ``start``
        decides the states of the first period.
    users : DataFrame, optional
        Needs ``user_id`` and ``signup_time`` for ``new_basis="signup"``.
    new_basis : {"first_activity", "signup"}
    tz : str, optional
        Business timezone used to turn ``signup_time`` into a signup day.

    Returns
    -------
    LifecycleCounts
    """
    period = one_of(period, ("week", "month"), "period")
    new_basis = one_of(new_basis, ("first_activity", "signup"), "new_basis")
    start, end = as_date(start, "start"), as_date(end, "end")
    p_lo, p_hi = B.period_of(start, period), B.period_of(end, period)
    ap, dormant = _lifecycle_rows(
        user_day, period=period, last_day=end, users=users, tz=tz, new_basis=new_basis
    )
    both = ap.union(dormant)
    both = both.filter((both[B.P] >= p_lo - 1) & (both[B.P] <= p_hi))
    got = B.execute(both.group_by([B.P, "status"]).aggregate(users=both.count()))
    wide = got.pivot_table(index=B.P, columns="status", values="users", aggfunc="sum")
    wide = (
        wide.reindex(index=range(p_lo - 1, p_hi + 1), columns=list(LIFECYCLE_STATES))
        .fillna(0)
        .astype("int64")
    )
    wide["active"] = wide["new"] + wide["returning"] + wide["resurrecting"]
    wide["active_prev"] = wide["active"].shift(1)
    wide = wide.loc[p_lo:].copy()
    wide["active_prev"] = wide["active_prev"].astype("int64")
    wide["dormant"] = -wide["dormant"]
    wide["quick_ratio"] = (wide["new"] + wide["resurrecting"]) / (-wide["dormant"]).where(
        wide["dormant"] < 0
    )
    wide.insert(0, "period_start", pd.to_datetime([B.period_start(p, period) for p in wide.index]))
    wide["complete"] = [B.period_end(p, period) <= end for p in wide.index]
    df = wide[
        [
            "period_start",
            "active",
            "new",
            "returning",
            "resurrecting",
            "dormant",
            "active_prev",
            "quick_ratio",
            "complete",
        ]
    ].reset_index(drop=True)
    df.columns.name = None
    return LifecycleCounts(periods=df, period=period, start=start, end=end, new_basis=new_basis)

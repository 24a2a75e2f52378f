"""One row per user known to be active up to ``as_of``: the artifact ``active_users.csv``."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from helpers.analysis.activity import _base as B
from helpers.core import schema as S
from helpers.core.checks import as_date

__all__ = ["active_users_snapshot", "SNAPSHOT_STATES"]

#: Values of ``lifecycle_state`` in the snapshot.
SNAPSHOT_STATES = ("new", "returning", "resurrecting", "dormant", "inactive")


def active_users_snapshot(user_day, *, as_of, month_start=None) -> pd.DataFrame:
    """One row per user active on some day up to ``as_of``: the artifact ``active_users.csv``.

    Parameters
    ----------
    as_of : date or str
        Last day of the reviewed month.
    month_start : date or str, optional
        First day of the reviewed month (default: the first day of ``as_of``'s month).

    Returns
    -------
    DataFrame
        user_id, is_active (active in [month_start, as_of]), active_days_7, active_days_28
        (windows ending ``as_of``), first_active, last_active, lifecycle_state: one of new,
        returning, resurrecting (as in ``lifecycle(period="month")`` on the first-activity basis),
        dormant (active the month before, not this month) or inactive (neither month).
    """
    as_of = as_date(as_of, "as_of")
    month_start = (
        as_of.replace(day=1) if month_start is None else as_date(month_start, "month_start")
    )
    prev_start = (month_start - dt.timedelta(days=1)).replace(day=1)
    hi, ms, ps = B.ed(as_of), B.ed(month_start), B.ed(prev_start)
    act = B.active(user_day)
    act = act.filter(act[B.ED] <= hi).select(S.USER_ID, B.ED).distinct()
    e = act[B.ED]
    per_user = B.execute(
        act.group_by(S.USER_ID).aggregate(
            first=e.min(),
            last=e.max(),
            **{
                S.ACTIVE_DAYS_7: (e >= hi - 6).cast("int64").sum(),
                S.ACTIVE_DAYS_28: (e >= hi - 27).cast("int64").sum(),
            },
            _now=(e >= ms).cast("int64").max(),
            _prev=((e >= ps) & (e < ms)).cast("int64").max(),
        )
    )
    now, prev = per_user["_now"] > 0, per_user["_prev"] > 0
    new = per_user["first"] >= ms
    state = np.select([now & new, now & prev, now, prev], list(SNAPSHOT_STATES[:4]), "inactive")
    out = pd.DataFrame(
        {
            S.USER_ID: per_user[S.USER_ID].astype(str),
            "is_active": now.to_numpy(),
            S.ACTIVE_DAYS_7: per_user[S.ACTIVE_DAYS_7].astype("int64"),
            S.ACTIVE_DAYS_28: per_user[S.ACTIVE_DAYS_28].astype("int64"),
            # epoch days to dates in one vectorised step (a Python call per user otherwise)
            S.FIRST_ACTIVE: B.EPOCH_TS + pd.to_timedelta(per_user["first"], unit="D"),
            S.LAST_ACTIVE: B.EPOCH_TS + pd.to_timedelta(per_user["last"], unit="D"),
            "lifecycle_state": state,
        }
    )
    return out.sort_values(S.USER_ID, kind="stable").reset_index(drop=True)

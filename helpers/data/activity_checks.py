"""Checks on the cleaned activity, run once ``user_day`` is built: orphan ids both ways (activity
of ids absent from the users table, users without activity) and days of unusual volume.

:mod:`helpers.data.pipeline` runs them when it builds the cache and keeps their findings in the
:class:`helpers.data.audit.Audit` record (``orphans``, ``volume_flags``).
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from helpers.core import schema
from helpers.data.audit import Orphans, VolumeFlag

__all__ = ["SETTLING_DAYS", "orphan_checks", "daily_volume", "volume_flags"]


def orphan_checks(
    user_day: ibis.Table, users: ibis.Table | None, *, events: bool = True, orders: bool = True
) -> Orphans:
    """Activity of ids absent from users, and users with no activity (orphans both ways).

    Counted on ``user_day``, which holds every kept event and order once: a user-day's event
    rows are ``events - orders`` (``events`` includes the purchases) and its order rows
    ``orders + refunds``. ``events`` / ``orders`` say which sources exist (their keys are
    left out otherwise).
    """
    if users is None:
        return Orphans(users_table=False)
    uid = users.select(schema.USER_ID).distinct()
    o = user_day.anti_join(uid, schema.USER_ID)
    ev_rows = o[schema.UD_EVENTS] - o[schema.UD_ORDERS]
    order_rows = o[schema.UD_ORDERS] + o[schema.UD_REFUNDS]
    r = (
        o.aggregate(
            ev=ev_rows.sum(),
            ev_ids=o[schema.USER_ID].nunique(where=ev_rows > 0),
            od=order_rows.sum(),
            od_ids=o[schema.USER_ID].nunique(where=order_rows > 0),
        )
        .execute()
        .iloc[0]
    )
    ev_ids = int(r["ev_ids"] or 0) if events else None
    active = user_day.select(schema.USER_ID).distinct()

    def unpadded(t):  # "007" -> "7" (regexp_extract: the same on DuckDB and Spark)
        ids = t[schema.USER_ID]
        key = ibis.ifelse(ids.re_search("^0+[0-9]"), ids.re_extract("^0*([0-9].*)$", 1), ids)
        return t.select(_key=key).distinct()

    padded = unpadded(o.select(schema.USER_ID)).semi_join(unpadded(uid), "_key")
    return Orphans(
        users_table=True,
        orphan_events=int(r["ev"] or 0) if events else None,
        orphan_events_users=ev_ids,
        orphan_orders=int(r["od"] or 0) if orders else None,
        orphan_orders_users=int(r["od_ids"] or 0) if orders else None,
        users_without_activity=int(users.anti_join(active, schema.USER_ID).count().execute()),
        orphan_users=ev_ids or 0,  # the name truth.json uses
        orphan_ids_zero_padded=int(padded.count().execute()),
    )


SETTLING_DAYS = 3  # half the centred 7-day window of daily_volume: days before it are not flagged


def daily_volume(
    events: ibis.Table | None,
    orders: ibis.Table | None,
    *,
    threshold: float = 3.5,
    min_change: float = 0.3,
) -> pd.DataFrame:
    """Rows per source per business day with spikes, drops and gaps flagged.

    ``expected`` is the centred 7-day rolling median. A day is a spike or a drop when its log
    ratio to ``expected`` is more than ``threshold`` local robust standard deviations away
    (1.4826 x the rolling 29-day median absolute deviation of those log ratios) AND differs
    from ``expected`` by more than ``min_change`` (30%): small sources are noisy, and a flag
    should be worth a look. A gap is a day with no rows where at least 5 were expected. The
    first ``SETTLING_DAYS`` (3) days of a source are never flagged: their centred window
    reaches before the first day, so a launch ramp would read as drops. (The last days are
    flagged: a short last day of an export is worth a look.)
    """
    parts = []
    for t in (events, orders):
        if t is not None:
            parts.append(
                t.group_by([schema.SOURCE, schema.DAY]).aggregate(rows=ibis._.count()).execute()
            )
    if not parts:
        return pd.DataFrame(
            columns=[schema.SOURCE, schema.DAY, "rows", "expected", "robust_z", "flag"]
        )
    vol = pd.concat(parts, ignore_index=True)
    vol[schema.DAY] = pd.to_datetime(vol[schema.DAY])
    out = []
    for src, g in vol.groupby(schema.SOURCE):
        full = pd.date_range(g[schema.DAY].min(), g[schema.DAY].max(), freq="D")
        s = g.set_index(schema.DAY)["rows"].reindex(full, fill_value=0).astype(float)
        expected = s.rolling(7, center=True, min_periods=3).median()
        resid = np.log1p(s) - np.log1p(expected)
        spread = (resid - resid.rolling(29, center=True, min_periods=7).median()).abs()
        scale = spread.rolling(29, center=True, min_periods=7).median() * 1.4826
        z = (resid / scale.where(scale > 0)).fillna(0.0)
        change = (s / expected.where(expected > 0) - 1).abs().fillna(0.0)
        settled = (
            np.arange(len(s)) >= SETTLING_DAYS
        )  # the centred window no longer starts before day 0
        material = (change > min_change) & settled
        flag = np.where(
            (s == 0) & (expected >= 5) & settled,
            "gap",
            np.where(
                (z > threshold) & material,
                "spike",
                np.where((z < -threshold) & material, "drop", ""),
            ),
        )
        out.append(
            pd.DataFrame(
                {
                    schema.SOURCE: src,
                    schema.DAY: full.date,
                    "rows": s.astype(int).values,
                    "expected": expected.round(1).values,
                    "robust_z": np.round(z.values, 2),
                    "flag": flag,
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def volume_flags(volume: pd.DataFrame) -> tuple[VolumeFlag, ...]:
    """The flagged source-days of a :func:`daily_volume` table, as audit records.

    Examples
    --------
    >>> import datetime as dt
    >>> v = pd.DataFrame({"source": ["app", "app"], "day": [dt.date(2026, 1, 1), dt.date(2026, 1, 2)],
    ...                   "rows": [100, 10], "expected": [98.0, 99.0], "robust_z": [0.1, -6.2],
    ...                   "flag": ["", "drop"]})
    >>> volume_flags(v)
    (VolumeFlag(source='app', day='2026-01-02', rows=10, expected=99.0, robust_z=-6.2, flag='drop'),)
    """
    flagged = volume[volume["flag"] != ""]
    return tuple(
        VolumeFlag(
            source=str(r[schema.SOURCE]),
            day=str(r[schema.DAY]),
            rows=int(r["rows"]),
            expected=None if pd.isna(r["expected"]) else float(r["expected"]),
            robust_z=float(r["robust_z"]),
            flag=str(r["flag"]),
        )
        for _, r in flagged.iterrows()
    )

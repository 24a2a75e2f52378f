"""Who the active users are (attribute shares against all users) and what they do (events,
purchases and revenue in a window)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.analysis.activity import _base as B
from helpers.core import schema as S
from helpers.core.checks import as_date, require_columns

__all__ = [
    "attribute_profile",
    "active_behaviour",
    "AttributeProfile",
    "ActiveBehaviour",
    "MISSING_LEVEL",
]

#: The level of an attribute whose value is missing.
MISSING_LEVEL = "(missing)"


@dataclass(frozen=True, eq=False)
class AttributeProfile:
    """Attribute shares among active users against all users (:func:`attribute_profile`).

    Attributes
    ----------
    profile : DataFrame
        attribute, value, n_active, n_all, share_active, share_all, index.
    attributes : list of str
    active_users, all_users : int
        Active users with a users-table row, and all rows of the users table.
    not_in_users_table : int
        Active users without a users-table row: left out of the shares (and said so).
    """

    profile: pd.DataFrame
    attributes: list[str]
    active_users: int
    all_users: int
    not_in_users_table: int = 0


@dataclass(frozen=True, eq=False)
class ActiveBehaviour:
    """What active users did in a window (:func:`active_behaviour`).

    Attributes
    ----------
    summary : DataFrame
        One row: active_users, active_user_days, events_per_active_day (all events on active
        days / active user-days), purchasers, purchase_rate (share of active users with an
        order in the window), revenue_per_active_user.
    event_mix : DataFrame
        event, events, share (of all ``ev_`` counts on active days), most frequent first.
    as_of : date
    window_days : int
    active_users : int
    """

    summary: pd.DataFrame
    event_mix: pd.DataFrame
    as_of: dt.date
    window_days: int
    active_users: int


def attribute_profile(
    active_users,
    all_users: pd.DataFrame,
    *,
    attributes: Sequence[str],
    max_levels: int = 12,
    bins: int = 5,
) -> AttributeProfile:
    """Share of each attribute value among active users vs all users, and the index.

    ``index = 100 * share_active / share_all``: above 100 the value is over-represented among
    actives. Missing values are their own level, :data:`MISSING_LEVEL`. Numeric attributes with
    more than ``max_levels`` distinct values are cut into ``bins`` quantile bins of
    ``all_users``.

    Parameters
    ----------
    active_users : DataFrame with ``user_id``, or an iterable of user ids
    all_users : DataFrame
        The users table (``user_id`` + attributes).
    attributes : list of str
        Columns of ``all_users`` to profile.

    Returns
    -------
    AttributeProfile
    """
    require_columns(all_users, [S.USER_ID], "`all_users`")
    require_columns(all_users, attributes, "The users table (for `attributes`)")
    if isinstance(active_users, pd.DataFrame):
        ids = set(active_users[S.USER_ID].astype(str))
    else:
        ids = {str(u) for u in active_users}
    users = all_users.drop_duplicates(S.USER_ID)
    is_active = users[S.USER_ID].astype(str).isin(ids)
    rows = []
    for a in attributes:
        col = users[a]
        if pd.api.types.is_numeric_dtype(col) and col.nunique() > max_levels:
            bands = pd.qcut(col, q=bins, duplicates="drop")
            # "16–27", not pandas' "(15.999, 27.0]" (a band of numbers, no words)
            col = bands.map(_band_text).astype(object).where(col.notna())
        col = col.astype(object).where(col.notna(), MISSING_LEVEL).astype(str)
        n_all = col.value_counts()
        n_act = col[is_active.to_numpy()].value_counts().reindex(n_all.index, fill_value=0)
        part = pd.DataFrame(
            {
                "attribute": a,
                "value": n_all.index,
                "n_active": n_act.to_numpy(),
                "n_all": n_all.to_numpy(),
            }
        )
        part["share_active"] = part["n_active"] / max(int(is_active.sum()), 1)
        part["share_all"] = part["n_all"] / len(users)
        rows.append(part.sort_values("value", kind="stable"))
    df = (
        pd.concat(rows, ignore_index=True)
        if rows
        else pd.DataFrame(
            columns=["attribute", "value", "n_active", "n_all", "share_active", "share_all"]
        )
    )
    df["index"] = 100.0 * df["share_active"] / df["share_all"]
    in_table = int(is_active.sum())
    return AttributeProfile(
        profile=df,
        attributes=list(attributes),
        active_users=in_table,
        all_users=len(users),
        not_in_users_table=len(ids) - in_table,
    )


def active_behaviour(user_day, *, as_of, window_days: int = 28) -> ActiveBehaviour:
    """What active users do in the window ending ``as_of``.

    Returns
    -------
    ActiveBehaviour
    """
    as_of = as_date(as_of, "as_of")
    B.check_user_day(user_day, [S.UD_EVENTS, S.UD_ORDERS, S.UD_REVENUE])
    hi = B.ed(as_of)
    act = B.active(user_day)
    act = act.filter((act[B.ED] >= hi - int(window_days) + 1) & (act[B.ED] <= hi))
    ev_cols = B.event_columns(user_day)
    per_user = act.group_by(S.USER_ID).aggregate(
        days=act.count(),
        events=act[S.UD_EVENTS].sum(),
        orders=act[S.UD_ORDERS].sum(),
        revenue=act[S.UD_REVENUE].sum(),
        **{c: act[c].sum() for c in ev_cols},
    )
    agg = per_user.aggregate(
        active_users=per_user.count(),
        active_user_days=per_user["days"].sum(),
        events=per_user["events"].sum(),
        purchasers=(per_user["orders"] > 0).cast("int64").sum(),
        revenue=per_user["revenue"].sum(),
        **{c: per_user[c].sum() for c in ev_cols},
    )
    row = B.execute(agg).iloc[0].fillna(0)
    n, d = int(row["active_users"]), int(row["active_user_days"])
    summary = pd.DataFrame(
        [
            {
                "active_users": n,
                "active_user_days": d,
                "events_per_active_day": row["events"] / d if d else np.nan,
                "purchasers": int(row["purchasers"]),
                "purchase_rate": row["purchasers"] / n if n else np.nan,
                "revenue_per_active_user": row["revenue"] / n if n else np.nan,
            }
        ]
    )
    mix = pd.DataFrame(
        {
            "event": [c[len(S.EVENT_COUNT_PREFIX) :] for c in ev_cols],
            "events": [int(row[c]) for c in ev_cols],
        }
    )
    tot = mix["events"].sum()
    mix["share"] = mix["events"] / tot if tot else np.nan
    mix = mix.sort_values("events", ascending=False, kind="stable").reset_index(drop=True)
    return ActiveBehaviour(
        summary=summary, event_mix=mix, as_of=as_of, window_days=int(window_days), active_users=n
    )


def _band_text(band) -> str:
    """A quantile band as ``16–27``.

    Examples
    --------
    >>> _band_text(pd.Interval(15.999, 27.0))
    '16–27'
    """
    return f"{round(float(band.left), 2):g}–{round(float(band.right), 2):g}"

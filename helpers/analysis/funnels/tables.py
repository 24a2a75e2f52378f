"""Funnel tables from the per-user rows: users per step, conversions with Wilson intervals,
median times between steps, per segment; the largest drop, the monthly trend and ``funnels.csv``.

Examples
--------
>>> import pandas as pd
>>> t = pd.Timestamp("2026-03-02 10:00", tz="UTC")
>>> per_user = pd.DataFrame({"user_id": ["a", "b", "c"], "furthest_step": [2, 2, 1],
...                          "time_1": [t, t, t],
...                          "time_2": [t + pd.Timedelta(minutes=4), t + pd.Timedelta(minutes=8),
...                                     pd.NaT]})
>>> table = funnel_table(per_user, ["view_item", "add_to_cart"])
>>> table[["step", "users", "median_minutes_from_previous"]].values.tolist()
[[1.0, 3.0, nan], [2.0, 2.0, 6.0]]
>>> largest_drop(table)[["from_event", "to_event", "users_from", "users_to"]].values.tolist()
[['view_item', 'add_to_cart', 3, 2]]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from helpers.analysis.activity.intervals import wilson_interval
from helpers.analysis.funnels.per_user import (
    FURTHEST_STEP,
    MONTH,
    check_steps,
    funnel_users,
    funnel_users_by_month,
    step_time_column,
)
from helpers.core import schema as S
from helpers.core.checks import as_date, as_month, require_columns
from helpers.core.errors import DataError
from helpers.core.time import shift_month

__all__ = [
    "ARTIFACT_COLUMNS",
    "TABLE_COLUMNS",
    "funnel_table",
    "largest_drop",
    "funnel_trend",
    "funnel_artifact",
    "Funnel",
    "compute_funnel",
]

ALL = "all"
# funnels.csv (DESIGN.md, artifacts): ci_low/ci_high are the Wilson 95 % interval of
# conversion_from_previous
ARTIFACT_COLUMNS = [
    "funnel",
    "segment_kind",
    "segment",
    "step",
    "event_name",
    "users",
    "conversion_from_start",
    "conversion_from_previous",
    "ci_low",
    "ci_high",
]
TABLE_COLUMNS = [
    "segment_kind",
    "segment",
    "step",
    "event_name",
    "users",
    "conversion_from_start",
    "conversion_from_previous",
    "ci_low",
    "ci_high",
    "median_minutes_from_previous",
]


# -------------------------------------------------------------------------------------------------
# the pandas part: counts, conversions, intervals, medians (per user rows only)
# -------------------------------------------------------------------------------------------------
def _steps_rows(per_user: pd.DataFrame, steps: list[str]) -> pd.DataFrame:
    """Step rows of one group of users (no segment columns yet)."""
    furthest = per_user[FURTHEST_STEP].to_numpy()
    users = np.array([(furthest >= k).sum() for k in range(1, len(steps) + 1)], dtype="int64")
    prev = np.concatenate([[0], users[:-1]])
    with np.errstate(invalid="ignore", divide="ignore"):
        from_start = np.where(users[0] > 0, users / max(users[0], 1), np.nan)
        from_prev = np.where(prev > 0, users / np.maximum(prev, 1), np.nan)
    low, high = wilson_interval(users, prev)
    medians = [np.nan]
    for k in range(2, len(steps) + 1):
        got = per_user[furthest >= k]
        gap = got[step_time_column(k)] - got[step_time_column(k - 1)]
        medians.append(gap.dt.total_seconds().median() / 60 if len(got) else np.nan)
    return pd.DataFrame(
        {
            "step": np.arange(1, len(steps) + 1),
            "event_name": steps,
            "users": users,
            "conversion_from_start": from_start,
            "conversion_from_previous": from_prev,
            "ci_low": low,
            "ci_high": high,
            "median_minutes_from_previous": np.asarray(medians, dtype="float64"),
        }
    )


def funnel_table(
    per_user: pd.DataFrame, steps: Sequence[str], segments: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Users per step, conversions with Wilson intervals and median times, overall and per segment.

    Parameters
    ----------
    per_user : DataFrame
        :func:`funnel_users` (or one month of the rows of :func:`funnel_users_by_month`).
    steps : list of str
        The same steps.
    segments : DataFrame, optional
        ``user_id`` and one column per kind of segment (``persona``, ``platform``...), one row
        per user. Entering users without a value are left out of that kind's rows (they stay in
        ``all``).

    Returns
    -------
    DataFrame
        One row per segment x step: ``segment_kind`` (``all`` or the column's name),
        ``segment`` (``all`` or the value), ``step`` (1..K), ``event_name``, ``users`` (who
        reached the step), ``conversion_from_start`` (``users / users of step 1``),
        ``conversion_from_previous`` (``users / users of step k-1``; NaN at step 1),
        ``ci_low``/``ci_high`` (Wilson 95 % interval of ``conversion_from_previous``) and
        ``median_minutes_from_previous`` (median over the users who reached the step of the
        time since the previous step, in minutes; 0 for equal timestamps).
    """
    steps = check_steps(steps)
    times = [step_time_column(k) for k in range(1, len(steps) + 1)]
    require_columns(per_user, [S.USER_ID, FURTHEST_STEP, *times], "The per-user funnel frame")
    out = [_steps_rows(per_user, steps).assign(segment_kind=ALL, segment=ALL)]
    if segments is not None:
        require_columns(segments, [S.USER_ID], "The segments frame")
        if segments[S.USER_ID].duplicated().any():
            dup = segments.loc[segments[S.USER_ID].duplicated(), S.USER_ID].iloc[0]
            raise DataError(
                f"The segments frame must have one row per user, but user_id {dup!r} appears "
                "more than once."
            )
        seg = segments.assign(**{S.USER_ID: segments[S.USER_ID].astype(str)})
        joined = per_user.merge(seg, on=S.USER_ID, how="left")
        for kind in [c for c in seg.columns if c != S.USER_ID]:
            values = joined[kind].dropna()
            for value in sorted(values.unique(), key=str):
                rows = _steps_rows(joined[joined[kind] == value], steps)
                out.append(rows.assign(segment_kind=kind, segment=str(value)))
    return pd.concat(out, ignore_index=True)[TABLE_COLUMNS]


def largest_drop(table: pd.DataFrame, *, min_users: int = 0) -> pd.DataFrame:
    """The step pair with the lowest conversion from the previous step, per segment (and month).

    Parameters
    ----------
    table : DataFrame
        :func:`funnel_table` or :func:`funnel_trend`.
    min_users : int
        Segments with fewer users at step 1 are left out (their conversions are noise).

    Returns
    -------
    DataFrame
        One row per (month,) segment_kind, segment: ``from_step``, ``to_step``,
        ``from_event``, ``to_event``, ``users_from``, ``users_to``, ``conversion`` (the
        conversion from the previous step), ``ci_low``, ``ci_high`` and ``drop``
        (``1 - conversion``). Ties go to the earlier step; a segment where no step pair has
        users is left out.
    """
    keys = [c for c in (MONTH, "segment_kind", "segment") if c in table.columns]
    rows = []
    for key, g in table.groupby(keys, sort=False):
        g = g.sort_values("step")
        if g["users"].iloc[0] < max(min_users, 1):
            continue
        later = g[g["step"] > g["step"].min()].dropna(subset=["conversion_from_previous"])
        if later.empty:
            continue
        worst = later.loc[later["conversion_from_previous"].idxmin()]
        before = g[g["step"] == worst["step"] - 1].iloc[0]
        rows.append(
            dict(
                zip(keys, key if isinstance(key, tuple) else (key,)),
                from_step=int(before["step"]),
                to_step=int(worst["step"]),
                from_event=before["event_name"],
                to_event=worst["event_name"],
                users_from=int(before["users"]),
                users_to=int(worst["users"]),
                conversion=float(worst["conversion_from_previous"]),
                ci_low=float(worst["ci_low"]),
                ci_high=float(worst["ci_high"]),
                drop=1 - float(worst["conversion_from_previous"]),
            )
        )
    cols = keys + [
        "from_step",
        "to_step",
        "from_event",
        "to_event",
        "users_from",
        "users_to",
        "conversion",
        "ci_low",
        "ci_high",
        "drop",
    ]
    return pd.DataFrame(rows, columns=cols)


def funnel_trend(
    events: ibis.Table,
    steps: Sequence[str],
    *,
    month: str,
    months: int,
    as_of,
    window_days: int,
    orders: ibis.Table | None = None,
    purchase_events: Sequence[str] = (),
    segments: pd.DataFrame | None = None,
    timezone: str | None = None,
) -> pd.DataFrame:
    """:func:`funnel_table` for each of the ``months`` months ending with ``month``.

    The per-user rows of every month come from one expression
    (:func:`~helpers.analysis.funnels.per_user.funnel_users_by_month`, which also says how
    ``as_of`` applies to every month).

    Returns
    -------
    DataFrame
        ``month`` (YYYY-MM, oldest first) followed by the :func:`funnel_table` columns. A month
        without entrants has its step rows with 0 users (segment rows only where a segment
        had entrants).
    """
    per_user = funnel_users_by_month(
        events,
        steps,
        month=month,
        months=months,
        as_of=as_of,
        window_days=window_days,
        orders=orders,
        purchase_events=purchase_events,
        timezone=timezone,
    )
    steps = check_steps(steps)
    first_label = shift_month(as_month(month, "month").strftime("%Y-%m"), -(int(months) - 1))
    out = []
    for i in range(months):
        label = shift_month(first_label, i)
        rows = per_user[per_user[MONTH] == label].drop(columns=[MONTH])
        out.append(funnel_table(rows, steps, segments).assign(**{MONTH: label}))
    return pd.concat(out, ignore_index=True)[[MONTH] + TABLE_COLUMNS]


def funnel_artifact(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """``funnels.csv``: the :func:`funnel_table` of each named funnel, in the artifact's columns
    (:data:`ARTIFACT_COLUMNS`; ``ci_low``/``ci_high`` bound ``conversion_from_previous``)."""
    parts = [t.assign(funnel=name)[ARTIFACT_COLUMNS] for name, t in tables.items()]
    if not parts:
        return pd.DataFrame(columns=ARTIFACT_COLUMNS)
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True, eq=False)
class Funnel:
    """One funnel of one month (:func:`compute_funnel`).

    Attributes
    ----------
    name : str
    steps : list of str
    window_days : int
    month_start, month_end, as_of : date
    per_user : DataFrame
        :func:`funnel_users`.
    table : DataFrame
        :func:`funnel_table`, overall and per segment.
    drops : DataFrame
        :func:`largest_drop` of ``table``.
    entrants : int
        Users who entered the funnel.
    """

    name: str
    steps: list[str]
    window_days: int
    month_start: dt.date
    month_end: dt.date
    as_of: dt.date
    per_user: pd.DataFrame
    table: pd.DataFrame
    drops: pd.DataFrame
    entrants: int


def compute_funnel(
    events: ibis.Table,
    name: str,
    steps: Sequence[str],
    *,
    month_start,
    month_end,
    as_of,
    window_days: int,
    orders: ibis.Table | None = None,
    purchase_events: Sequence[str] = (),
    segments: pd.DataFrame | None = None,
    min_users: int = 0,
    timezone: str | None = None,
) -> Funnel:
    """:func:`funnel_users`, :func:`funnel_table` and :func:`largest_drop` of one funnel."""
    steps = check_steps(steps)
    per_user = funnel_users(
        events,
        steps,
        month_start=month_start,
        month_end=month_end,
        as_of=as_of,
        window_days=window_days,
        orders=orders,
        purchase_events=purchase_events,
        timezone=timezone,
    )
    table = funnel_table(per_user, steps, segments)
    return Funnel(
        name=name,
        steps=steps,
        window_days=int(window_days),
        month_start=as_date(month_start, "month_start"),
        month_end=as_date(month_end, "month_end"),
        as_of=as_date(as_of, "as_of"),
        per_user=per_user,
        table=table,
        drops=largest_drop(table, min_users=min_users),
        entrants=len(per_user),
    )

"""Paths: where sessions end, where users loop, and what comes just before users leave.

Sessions (:func:`sessionize`): the events of one ``session_id`` of a user form a session; events
without a session id (or a table without the column) are cut into sessions by a
``gap_minutes`` inactivity gap (30 minutes by default: a gap of more than 30 minutes starts a new
session). Within a session events are ordered by time, then by name (so equal timestamps give
the same order on every engine).

The reductions are ibis expressions (window functions over user and session, which DuckDB and
Spark both run); segments (a small user -> persona frame) are joined in the engine, and only the
per-segment counts come back to pandas. Every measure counts the sessions that *start* on a
business day of ``[month_start, month_end]``. The events of the day before the month are read too,
so a session that began before the month (and runs into it) is not counted as a March session;
nothing after ``month_end`` is read, so a session running past the month's last midnight ends
there.

* :func:`session_ends`: the last event of each session (``session_ends.csv``).
* :func:`loops`: the same event repeated consecutively at least ``min_repeats`` (3) times in a
  session (``loops.csv``).
* :func:`exit_events`: the events among the last ``last_n`` (3) events before a session ends,
  and before the last activity of a user who churned this month (``exit_events.csv``).
* "Problem" events are those whose name contains one of :data:`PROBLEM_PATTERNS`
  (error, fail, support, complaint, timeout, crash...; configurable): they are flagged so a
  report can put them first.

Examples
--------
>>> import datetime as dt, ibis, pandas as pd
>>> ev = ibis.memtable(pd.DataFrame({
...     "user_id": ["a"] * 4,
...     "event_time": pd.to_datetime(["2026-03-02 10:00", "2026-03-02 10:01",
...                                   "2026-03-02 10:02", "2026-03-02 11:00"], utc=True),
...     "event_name": ["search", "search", "payment_error", "search"],
...     "day": [dt.date(2026, 3, 2)] * 4}))
>>> ends = session_ends(ev, month_start="2026-03-01", month_end="2026-03-31")
>>> ends[["event_name", "sessions", "problem"]].values.tolist()
[['payment_error', 1, True], ['search', 1, False]]
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from helpers.core import schema as S
from helpers.core.checks import as_date, positive_int, require_columns
from helpers.core.errors import DataError
from helpers.data import engine

__all__ = [
    "PROBLEM_PATTERNS",
    "SESSION",
    "SEQ",
    "SEQ_FROM_END",
    "NEXT_EVENT",
    "sessionize",
    "is_problem_event",
    "session_ends",
    "loops",
    "exit_events",
    "Paths",
    "compute_paths",
]

SESSION = "session"  # the session key, unique within a user
SEQ = "seq"  # 1-based position of an event in its session
SEQ_FROM_END = "seq_from_end"  # 1 = the last event of its session
NEXT_EVENT = "next_event"  # the name of the next event of the session (null for the last)
ALL = "all"
PROBLEM_PATTERNS = (
    "error",
    "fail",
    "support",
    "complain",
    "timeout",
    "crash",
    "refund",
    "cancel",
    "错误",
    "失败",
    "客服",
    "投诉",
    "超时",
    "崩溃",
    "退款",
)
_SEG = ["segment_kind", "segment"]


def is_problem_event(names, patterns: Sequence[str] = PROBLEM_PATTERNS) -> np.ndarray:
    """Whether each event name contains one of ``patterns`` (case-insensitive).

    Examples
    --------
    >>> is_problem_event(["payment_failed", "view_item", "Contact_Support"]).tolist()
    [True, False, True]
    """
    if not patterns:
        return np.zeros(len(list(names)), dtype=bool)
    rx = re.compile("|".join(re.escape(p.lower()) for p in patterns))
    return np.array([bool(rx.search(str(n).lower())) for n in names], dtype=bool)


def sessionize(events: ibis.Table, *, gap_minutes: int = 30) -> ibis.Table:
    """``events`` with its sessions: ``session``, ``seq``, ``seq_from_end`` and ``next_event``.

    Parameters
    ----------
    events : ibis.Table
        ``user_id``, ``event_time``, ``event_name``, optionally ``session_id``.
    gap_minutes : int
        Events without a session id start a new session after more than this many minutes
        without an event of the same user.

    Returns
    -------
    ibis.Table
        Every row of ``events`` plus ``session`` (text, unique within the user: ``s:<id>`` or
        ``g:<n>``), ``seq`` (1 = first), ``seq_from_end`` (1 = last) and ``next_event``.
    """
    gap_minutes = positive_int(gap_minutes, "gap_minutes", unit="minutes")
    t = events
    has = t[S.SESSION_ID].notnull() if S.SESSION_ID in t.columns else ibis.literal(False)
    t = t.mutate(_has=has)
    w = ibis.window(group_by=[S.USER_ID, "_has"], order_by=[S.EVENT_TIME, S.EVENT_NAME])
    t = t.mutate(_prev=t[S.EVENT_TIME].lag().over(w))
    new = t._prev.isnull() | (t[S.EVENT_TIME] > t._prev + ibis.interval(minutes=gap_minutes))
    t = t.mutate(_new=new.cast("int64"))
    # RANGE frame: rows with equal timestamps are peers and land in the same session
    upto = ibis.window(group_by=[S.USER_ID, "_has"], order_by=S.EVENT_TIME, range=(None, 0))
    t = t.mutate(_gap=t._new.sum().over(upto))
    sid = t[S.SESSION_ID].cast("string") if S.SESSION_ID in t.columns else ibis.literal("")
    t = t.mutate(
        **{
            SESSION: ibis.ifelse(
                t._has, ibis.literal("s:") + sid, ibis.literal("g:") + t._gap.cast("string")
            )
        }
    )
    ws = ibis.window(group_by=[S.USER_ID, SESSION], order_by=[S.EVENT_TIME, S.EVENT_NAME])
    whole = ibis.window(group_by=[S.USER_ID, SESSION])
    t = t.mutate(
        **{
            SEQ: ibis.row_number().over(ws) + 1,
            "_n": t[S.EVENT_TIME].count().over(whole),
            NEXT_EVENT: t[S.EVENT_NAME].lead().over(ws),
        }
    )
    t = t.mutate(**{SEQ_FROM_END: t._n - t[SEQ] + 1})
    return t.drop("_has", "_prev", "_new", "_gap", "_n")


# -------------------------------------------------------------------------------------------------
# shared steps
# -------------------------------------------------------------------------------------------------
def _prepared(events, *, exclude_events, timezone) -> ibis.Table:
    require_columns(events, [S.USER_ID, S.EVENT_TIME, S.EVENT_NAME], "The events table")
    if S.DAY not in events.columns:
        if timezone is None:
            raise DataError(
                "The events table has no `day` column (the business day of each row) and no "
                "`timezone` was given to compute it; pass the cleaned table (it has `day`) or "
                "timezone='Asia/Shanghai'."
            )
        events = events.mutate(**{S.DAY: engine.local_day(events[S.EVENT_TIME], timezone)})
    if exclude_events:
        events = events.filter(~events[S.EVENT_NAME].isin(list(exclude_events)))
    return events


def _month_sessions(events, *, start, end, gap_minutes) -> ibis.Table:
    """Sessionized events of the sessions that start in ``[start, end]`` (business days)."""
    ev = events.filter(events[S.DAY] >= start - dt.timedelta(days=1), events[S.DAY] <= end)
    # only the columns the measures read go through the window functions
    keep = [S.USER_ID, S.EVENT_TIME, S.EVENT_NAME, S.DAY]
    ev = ev.select(*keep, *([S.SESSION_ID] if S.SESSION_ID in ev.columns else []))
    s = sessionize(ev, gap_minutes=gap_minutes)
    first_day = s[S.DAY].min().over(ibis.window(group_by=[S.USER_ID, SESSION]))
    s = s.mutate(_start=first_day)
    return s.filter(s._start >= start, s._start <= end).drop("_start")


def _sessions_of(events, start, end, gap_minutes, exclude_events, timezone, sessions):
    """The month's sessionized events: ``sessions`` when the caller built them already
    (:func:`compute_paths` builds them once for the three measures), else built here."""
    if sessions is not None:
        return sessions
    ev = _prepared(events, exclude_events=exclude_events, timezone=timezone)
    return _month_sessions(ev, start=start, end=end, gap_minutes=gap_minutes)


def _segmented(t: ibis.Table, segments: pd.DataFrame | None) -> ibis.Table:
    """``t`` with ``segment_kind`` and ``segment``: once as ``all``, and once per kind for the
    users that have a value in ``segments`` (``user_id`` + one column per kind)."""
    out = t.mutate(segment_kind=ibis.literal(ALL), segment=ibis.literal(ALL))
    if segments is None:
        return out
    require_columns(segments, [S.USER_ID], "The segments frame")
    long = segments.melt(id_vars=S.USER_ID, var_name="segment_kind", value_name="segment")
    long = long.dropna(subset=["segment"])
    if long.empty:
        return out
    long = long.astype(str)
    mt = ibis.memtable(long.rename(columns={S.USER_ID: "_seg_user"}))
    j = t.join(mt, t[S.USER_ID] == mt["_seg_user"]).drop("_seg_user")
    return ibis.union(out, j.select(*out.columns), distinct=False)


def _counts(t: ibis.Table, keys: list[str], **aggs) -> pd.DataFrame:
    df = t.group_by(keys).aggregate(**aggs).execute()
    for c in aggs:
        df[c] = df[c].fillna(0).astype("int64")
    return df


def _order(df: pd.DataFrame, by: list[str], count: str) -> pd.DataFrame:
    """All first, then the kinds and segments by name; within each, the largest counts first."""
    df = df.assign(_all=df["segment_kind"] != ALL)
    df = df.sort_values(
        ["_all", "segment_kind", "segment", *by, count, S.EVENT_NAME],
        ascending=[True, True, True, *[True] * len(by), False, True],
        kind="stable",
    )
    return df.drop(columns="_all").reset_index(drop=True)


# -------------------------------------------------------------------------------------------------
# the measures
# -------------------------------------------------------------------------------------------------
def session_ends(
    events: ibis.Table,
    *,
    month_start,
    month_end,
    segments: pd.DataFrame | None = None,
    gap_minutes: int = 30,
    exclude_events: Sequence[str] = (),
    problem_patterns: Sequence[str] = PROBLEM_PATTERNS,
    timezone: str | None = None,
    sessions: ibis.Table | None = None,
) -> pd.DataFrame:
    """Where sessions end: the last event of each session of the month, per segment.

    Returns
    -------
    DataFrame
        ``segment_kind``, ``segment``, ``event_name``, ``sessions`` (sessions ending with it),
        ``share`` (of the segment's sessions) and ``problem``; ``all`` first, then per kind and
        segment, most sessions first.
    """
    start, end = as_date(month_start, "month_start"), as_date(month_end, "month_end")
    s = _sessions_of(events, start, end, gap_minutes, exclude_events, timezone, sessions)
    last = _segmented(s.filter(s[SEQ_FROM_END] == 1), segments)
    df = _counts(last, _SEG + [S.EVENT_NAME], sessions=last.count())
    df["share"] = df["sessions"] / df.groupby(_SEG)["sessions"].transform("sum")
    df["problem"] = is_problem_event(df[S.EVENT_NAME], problem_patterns)
    return _order(df, [], "sessions")[_SEG + [S.EVENT_NAME, "sessions", "share", "problem"]]


def loops(
    events: ibis.Table,
    *,
    month_start,
    month_end,
    segments: pd.DataFrame | None = None,
    min_repeats: int = 3,
    gap_minutes: int = 30,
    exclude_events: Sequence[str] = (),
    problem_patterns: Sequence[str] = PROBLEM_PATTERNS,
    timezone: str | None = None,
    sessions: ibis.Table | None = None,
) -> pd.DataFrame:
    """Where users loop: the same event ``min_repeats`` or more times in a row in a session.

    A run is a maximal stretch of consecutive events of one name in a session (other events
    in between break it); a loop is a run of at least ``min_repeats`` events.

    Returns
    -------
    DataFrame
        ``segment_kind``, ``segment``, ``event_name``, ``loops`` (runs), ``sessions`` and
        ``users`` with such a loop, ``user_share`` (of the segment's users with a session in
        the month), ``longest`` (events in the longest run) and ``problem``.
    """
    start, end = as_date(month_start, "month_start"), as_date(month_end, "month_end")
    min_repeats = positive_int(min_repeats, "min_repeats", unit="events")
    s = _sessions_of(events, start, end, gap_minutes, exclude_events, timezone, sessions)
    order = [S.EVENT_TIME, S.EVENT_NAME]
    w = ibis.window(group_by=[S.USER_ID, SESSION], order_by=order)
    s = s.mutate(_chg=(s[S.EVENT_NAME] != s[S.EVENT_NAME].lag().over(w)).fill_null(True))
    # RANGE frame over (time, name): equal rows are peers, so they share their run
    upto = ibis.window(group_by=[S.USER_ID, SESSION], order_by=order, range=(None, 0))
    s = s.mutate(_run=s._chg.cast("int64").sum().over(upto))
    runs = s.group_by([S.USER_ID, SESSION, "_run", S.EVENT_NAME]).aggregate(length=s.count())
    runs = runs.filter(runs.length >= min_repeats)
    runs = _segmented(runs.mutate(_key=runs[S.USER_ID] + "\x1f" + runs[SESSION]), segments)
    df = _counts(
        runs,
        _SEG + [S.EVENT_NAME],
        loops=runs.count(),
        sessions=runs._key.nunique(),
        users=runs[S.USER_ID].nunique(),
        longest=runs.length.max(),
    )
    base = _segmented(s.select(S.USER_ID).distinct(), segments)
    users = _counts(base, _SEG, _seg_users=base.count())
    df = df.merge(users, on=_SEG, how="left")
    df["user_share"] = df["users"] / df["_seg_users"]
    df["problem"] = is_problem_event(df[S.EVENT_NAME], problem_patterns)
    cols = ["loops", "sessions", "users", "user_share", "longest", "problem"]
    return _order(df, [], "loops")[_SEG + [S.EVENT_NAME, *cols]]


def exit_events(
    events: ibis.Table,
    *,
    month_start,
    month_end,
    as_of,
    inactive_days: int,
    segments: pd.DataFrame | None = None,
    last_n: int = 3,
    gap_minutes: int = 30,
    exclude_events: Sequence[str] = (),
    orders: ibis.Table | None = None,
    problem_patterns: Sequence[str] = PROBLEM_PATTERNS,
    timezone: str | None = None,
    sessions: ibis.Table | None = None,
    user_day: ibis.Table | None = None,
) -> pd.DataFrame:
    """The events that most often come just before users leave.

    Two contexts:

    * ``session_end``: the last ``last_n`` events of each session that starts in the month;
      ``exits`` counts the sessions whose last events include the event.
    * ``churn``: the last ``last_n`` events (on or before ``as_of``, and within
      ``inactive_days`` before the last activity: the life that ended) of each user who churned
      this month: their last activity ``L`` (last event not in ``exclude_events``) has at least
      ``inactive_days`` silent days after it by ``as_of`` and that churn became known this
      month, ``month_start <= L + inactive_days <= min(month_end, as_of)``, the churn
      definition of :mod:`helpers.analysis.churn.lives`. ``exits`` counts those users.

    Pass the passive events as ``exclude_events``: a push the user did not act on is no
    activity and no exit. With ``orders`` (the cleaned orders table), purchases are activity
    too, as everywhere in the kit: each is an ``order`` event of the churn context. With
    ``user_day`` (the kit's table), the last activity is read from its active days (active
    events or orders), a far smaller scan than the whole event history.

    Returns
    -------
    DataFrame
        ``segment_kind``, ``segment``, ``context`` (``session_end`` | ``churn``),
        ``event_name``, ``exits``, ``share`` (of the segment's sessions, or churned users,
        whose last events include it; shares add up to more than 1 across events) and
        ``problem``.
    """
    start, end = as_date(month_start, "month_start"), as_date(month_end, "month_end")
    as_of = as_date(as_of, "as_of")
    k = positive_int(inactive_days, "inactive_days", unit="days")
    last_n = positive_int(last_n, "last_n", unit="events")
    ev = _prepared(events, exclude_events=exclude_events, timezone=timezone)
    s = _sessions_of(events, start, end, gap_minutes, exclude_events, timezone, sessions)
    tail = s.filter(s[SEQ_FROM_END] <= last_n)
    tail = tail.select(S.USER_ID, SESSION, S.EVENT_NAME).distinct()
    tail = _segmented(tail, segments)
    per_session = _counts(tail, _SEG + [S.EVENT_NAME], exits=tail.count())
    base = _segmented(s.filter(s[SEQ_FROM_END] == 1), segments)
    per_session = per_session.merge(_counts(base, _SEG, _n=base.count()), on=_SEG)
    per_session["context"] = "session_end"

    stream = ev.select(S.USER_ID, S.EVENT_TIME, S.EVENT_NAME, S.DAY)
    if orders is not None:
        require_columns(orders, [S.USER_ID, S.ORDER_TIME, S.AMOUNT, S.DAY], "The orders table")
        bought = orders.filter((orders[S.AMOUNT] >= 0).fill_null(True))
        stream = ibis.union(
            stream.mutate(**{S.EVENT_TIME: stream[S.EVENT_TIME].cast(engine.TS_UTC)}),
            bought.select(
                bought[S.USER_ID],
                **{
                    S.EVENT_TIME: bought[S.ORDER_TIME].cast(engine.TS_UTC),
                    S.EVENT_NAME: ibis.literal(S.ORDER_EVENT),
                    S.DAY: bought[S.DAY],
                },
            ),
            distinct=False,
        )
    upto = stream.filter(stream[S.DAY] <= as_of)
    # each user's last day is one aggregate; only the churned users' events of the life that
    # ended (the inactive_days before its last day) are then ranked
    if user_day is not None:  # the kit's own active days: one row per user and day
        act = user_day.filter(
            ((user_day[S.UD_ACTIVE_EVENTS] > 0) | (user_day[S.UD_ORDERS] > 0)),
            user_day[S.DAY] <= as_of,
        )
        last_day = act.group_by(S.USER_ID).aggregate(_last=act[S.DAY].max())
    else:
        last_day = upto.group_by(S.USER_ID).aggregate(_last=upto[S.DAY].max())
    lo, hi = start - dt.timedelta(days=k), min(end, as_of) - dt.timedelta(days=k)
    gone = last_day.filter(last_day._last >= lo, last_day._last <= hi)
    recent = upto.filter(upto[S.DAY] >= lo - dt.timedelta(days=k))
    churned = recent.inner_join(gone, S.USER_ID)
    churned = churned.filter(churned[S.DAY] >= churned._last - ibis.interval(days=k)).drop("_last")
    wr = ibis.window(
        group_by=S.USER_ID, order_by=[ibis.desc(S.EVENT_TIME), ibis.desc(S.EVENT_NAME)]
    )
    churned = churned.mutate(_r=ibis.row_number().over(wr))
    last_events = churned.filter(churned._r < last_n).select(S.USER_ID, S.EVENT_NAME).distinct()
    last_events = _segmented(last_events, segments)
    per_user = _counts(last_events, _SEG + [S.EVENT_NAME], exits=last_events[S.USER_ID].nunique())
    who = _segmented(churned.select(S.USER_ID).distinct(), segments)
    per_user = per_user.merge(_counts(who, _SEG, _n=who.count()), on=_SEG)
    per_user["context"] = "churn"

    df = pd.concat([per_session, per_user], ignore_index=True)
    df["share"] = df["exits"] / df["_n"]
    df["problem"] = is_problem_event(df[S.EVENT_NAME], problem_patterns)
    df["_ctx"] = df["context"] != "session_end"
    df = _order(df, ["_ctx"], "exits")
    return df[_SEG + ["context", S.EVENT_NAME, "exits", "share", "problem"]]


@dataclass(frozen=True, eq=False)
class Paths:
    """Where sessions end, where users loop and what precedes leaving (:func:`compute_paths`).

    Attributes
    ----------
    session_ends, loops, exit_events : DataFrame
        ``session_ends.csv``, ``loops.csv`` and ``exit_events.csv`` (see the functions).
    month_start, month_end, as_of : date
    gap_minutes, min_repeats, last_n, inactive_days : int
    """

    session_ends: pd.DataFrame
    loops: pd.DataFrame
    exit_events: pd.DataFrame
    month_start: dt.date
    month_end: dt.date
    as_of: dt.date
    gap_minutes: int
    min_repeats: int
    last_n: int
    inactive_days: int


def compute_paths(
    events: ibis.Table,
    *,
    month_start,
    month_end,
    as_of,
    inactive_days: int,
    segments: pd.DataFrame | None = None,
    gap_minutes: int = 30,
    min_repeats: int = 3,
    last_n: int = 3,
    exclude_events: Sequence[str] = (),
    orders: ibis.Table | None = None,
    problem_patterns: Sequence[str] = PROBLEM_PATTERNS,
    timezone: str | None = None,
    user_day: ibis.Table | None = None,
) -> Paths:
    """:func:`session_ends`, :func:`loops` and :func:`exit_events` with the same settings.

    The month's sessions are built once and kept in a temporary table of the engine for the three.
    """
    start, end = as_date(month_start, "month_start"), as_date(month_end, "month_end")
    ev = _prepared(events, exclude_events=exclude_events, timezone=timezone)
    built = _month_sessions(
        ev, start=start, end=end, gap_minutes=positive_int(gap_minutes, "gap_minutes")
    )
    with engine.temporary(built, "_pk_sessions") as sessions:
        common = dict(
            month_start=month_start,
            month_end=month_end,
            segments=segments,
            gap_minutes=gap_minutes,
            exclude_events=exclude_events,
            problem_patterns=problem_patterns,
            timezone=timezone,
            sessions=sessions,
        )
        ends = session_ends(events, **common)
        looped = loops(events, min_repeats=min_repeats, **common)
        exits = exit_events(
            events,
            as_of=as_of,
            inactive_days=inactive_days,
            last_n=last_n,
            orders=orders,
            user_day=user_day,
            **common,
        )
    return Paths(
        session_ends=ends,
        loops=looped,
        exit_events=exits,
        month_start=start,
        month_end=end,
        as_of=as_date(as_of, "as_of"),
        gap_minutes=int(gap_minutes),
        min_repeats=int(min_repeats),
        last_n=int(last_n),
        inactive_days=int(inactive_days),
    )

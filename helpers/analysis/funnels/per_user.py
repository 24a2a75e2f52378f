"""The engine part of a funnel: each entering user's furthest step and step times, as one ibis
expression (a join and a ``min`` per step, then a window that keeps each user's best attempt).

The semantics are those of :mod:`helpers.analysis.funnels`. Only the per-user rows (one per
entering user, or per user and month) come back to pandas.

Examples
--------
>>> import datetime as dt, ibis, pandas as pd
>>> ev = ibis.memtable(pd.DataFrame({
...     "user_id": ["a", "a", "b"],
...     "event_time": pd.to_datetime(["2026-03-02 10:00", "2026-03-02 10:05",
...                                   "2026-03-03 09:00"], utc=True),
...     "event_name": ["view_item", "add_to_cart", "view_item"],
...     "day": [dt.date(2026, 3, 2), dt.date(2026, 3, 2), dt.date(2026, 3, 3)]}))
>>> per_user = funnel_users(ev, ["view_item", "add_to_cart"], month_start="2026-03-01",
...                         month_end="2026-03-31", as_of="2026-03-31", window_days=7)
>>> per_user[["user_id", "furthest_step"]].values.tolist()
[['a', 2], ['b', 1]]
>>> per_user["time_2"].iloc[0] - per_user["time_1"].iloc[0]
Timedelta('0 days 00:05:00')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import pandas as pd

from helpers.core import schema as S
from helpers.core.checks import as_date, as_month, positive_int, require_columns
from helpers.core.errors import DataError, ParameterError
from helpers.core.time import shift_month
from helpers.data import engine

__all__ = [
    "FURTHEST_STEP",
    "MONTH",
    "step_time_column",
    "check_steps",
    "with_day",
    "funnel_users_expr",
    "funnel_users",
    "funnel_users_by_month",
]

FURTHEST_STEP = "furthest_step"
MONTH = "month"  # funnel_users_by_month, funnel_trend: the entry month, YYYY-MM
_MONTH_KEY = "_month"


def step_time_column(k: int) -> str:
    """Name of the per-user column holding the time of step ``k`` (1-based): ``time_<k>``."""
    return f"time_{k}"


# -------------------------------------------------------------------------------------------------
# checks
# -------------------------------------------------------------------------------------------------
def check_steps(steps) -> list[str]:
    """The step names, standardized as the cleaning does (trimmed, lower case); at least two,
    all different, else a ParameterError naming ``steps``."""
    if isinstance(steps, str) or not isinstance(steps, Sequence):
        raise ParameterError(
            f"The parameter `steps` must be a list of event names such as ['view_item', "
            f"'add_to_cart'], but {steps!r} was passed."
        )
    names = [s.strip().lower() if isinstance(s, str) else s for s in steps]
    if len(names) < 2 or not all(isinstance(s, str) and s for s in names):
        raise ParameterError(
            f"The parameter `steps` needs at least two event names (non-empty text), but "
            f"{list(steps)!r} was passed."
        )
    repeated = sorted({s for s in names if names.count(s) > 1})
    if repeated:
        raise ParameterError(
            f"Each funnel step must be a different event, but `steps` names {repeated} more than "
            f"once: {list(steps)!r}."
        )
    return names


def with_day(t: ibis.Table, time_col: str, timezone: str | None, what: str) -> ibis.Table:
    """``t`` with its business ``day``: its own, else computed from ``time_col`` in ``timezone``
    (a DataError naming ``what`` when there is neither)."""
    if S.DAY in t.columns:
        return t
    if timezone is None:
        raise DataError(
            f"{what} has no `day` column (the business day of each row) and no `timezone` was "
            f"given to compute it; pass the cleaned table (it has `day`) or timezone='Asia/Shanghai'."
        )
    return t.mutate(**{S.DAY: engine.local_day(t[time_col], timezone)})


# -------------------------------------------------------------------------------------------------
# the engine part: one ibis expression
# -------------------------------------------------------------------------------------------------
def _step_rows(events, orders, name, purchase_events, lo, hi) -> ibis.Table:
    """(``_u``, ``_t``, ``_d``) of the rows matching step ``name`` with ``lo <= day <= hi``."""
    e = events.filter(events[S.EVENT_NAME] == name, events[S.DAY] >= lo, events[S.DAY] <= hi)
    parts = [e.select(_u=e[S.USER_ID], _t=e[S.EVENT_TIME].cast(engine.TS_UTC), _d=e[S.DAY])]
    if orders is not None and (name == S.ORDER_EVENT or name in purchase_events):
        # a purchase, as in user_day: refunds (amount < 0) are not; an unknown amount is
        o = orders.filter(
            (orders[S.AMOUNT] >= 0).fill_null(True), orders[S.DAY] >= lo, orders[S.DAY] <= hi
        )
        parts.append(
            o.select(_u=o[S.USER_ID], _t=o[S.ORDER_TIME].cast(engine.TS_UTC), _d=o[S.DAY])
        )
    return ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]


def _next_step(att: ibis.Table, cand: ibis.Table, k: int, window) -> ibis.Table:
    """``att`` with ``time_<k>``: the earliest step-k event at or after the attempt's step k-1,
    when it falls within the window of its step 1 (else null; a null step k-1 stops the chain).

    One sort instead of a join: the attempts and the step-k events of a user in time order
    (an attempt before an event at the same time), and for each attempt the least event time
    from there on. A join of every attempt with every later event grows with their product
    (a user with hundreds of views and carts in a week), this with their sum."""
    prev, t1 = step_time_column(k - 1), step_time_column(1)
    cols = list(att.columns)
    typ = {c: att[c].type() for c in cols}
    a = att.mutate(_ts=att[prev], _kind=ibis.literal(0))
    c = cand.select(
        **{col: (cand._u if col == S.USER_ID else ibis.null(typ[col])) for col in cols},
        _ts=cand._t.cast(typ[prev]),
        _kind=ibis.literal(1),
    )
    both = ibis.union(a.select(*cols, "_ts", "_kind"), c, distinct=False)
    ahead = ibis.window(group_by=S.USER_ID, order_by=["_ts", "_kind"], rows=(0, None))
    nxt = ibis.ifelse(both._kind == 1, both._ts, ibis.null(typ[prev])).min().over(ahead)
    both = both.mutate(_next=nxt)
    att_k = both.filter((both._kind == 0) & both._ts.notnull())
    ok = att_k._next <= att_k[t1] + window
    att_k = att_k.select(
        *cols, **{step_time_column(k): ibis.ifelse(ok, att_k._next, ibis.null(typ[prev]))}
    )
    stopped = att.filter(att[prev].isnull()).mutate(**{step_time_column(k): ibis.null(typ[prev])})
    return ibis.union(att_k, stopped.select(*att_k.columns), distinct=False)


def _funnel_expr(
    events, steps, *, start, end, as_of, window_days, orders, purchase_events, timezone, by_month
) -> ibis.Table:
    require_columns(events, [S.USER_ID, S.EVENT_TIME, S.EVENT_NAME], "The events table")
    events = with_day(events, S.EVENT_TIME, timezone, "The events table")
    if orders is not None:
        require_columns(orders, [S.USER_ID, S.ORDER_TIME, S.AMOUNT], "The orders table")
        orders = with_day(orders, S.ORDER_TIME, timezone, "The orders table")
    purchase_events = {p.strip().lower() for p in purchase_events}
    last_entry = min(end, as_of)
    last_step = min(as_of, end + dt.timedelta(days=window_days + 1))  # a generous day bound
    window = ibis.interval(days=window_days)

    first = _step_rows(events, orders, steps[0], purchase_events, start, last_entry)
    keys = {S.USER_ID: first._u, step_time_column(1): first._t}
    if by_month:
        keys[_MONTH_KEY] = first._d.year() * 100 + first._d.month()
    att = first.select(**keys).distinct()  # one attempt per (user, step-1 time)
    t1 = step_time_column(1)
    for k in range(2, len(steps) + 1):
        cand = _step_rows(events, orders, steps[k - 1], purchase_events, start, last_step)
        att = _next_step(att, cand, k, window)
    times = [step_time_column(k) for k in range(1, len(steps) + 1)]
    reached = sum(att[c].notnull().cast("int64") for c in times[1:]) + 1
    att = att.mutate(**{FURTHEST_STEP: reached})
    part = [S.USER_ID] + ([_MONTH_KEY] if by_month else [])
    w = ibis.window(group_by=part, order_by=[ibis.desc(FURTHEST_STEP), att[t1]])
    best = att.mutate(_rn=ibis.row_number().over(w))
    best = best.filter(best._rn == 0)
    return best.select(*part, FURTHEST_STEP, *times)


def funnel_users_expr(
    events: ibis.Table,
    steps: Sequence[str],
    *,
    month_start,
    month_end,
    as_of,
    window_days: int,
    orders: ibis.Table | None = None,
    purchase_events: Sequence[str] = (),
    timezone: str | None = None,
) -> ibis.Table:
    """The per-user funnel as an ibis expression (not executed); see :func:`funnel_users`."""
    steps = check_steps(steps)
    start, end = as_date(month_start, "month_start"), as_date(month_end, "month_end")
    as_of = as_date(as_of, "as_of")
    window_days = positive_int(window_days, "window_days", unit="days")
    if end < start:
        raise ParameterError(
            f"The parameter `month_end` must not be before `month_start`, but {end} < {start}."
        )
    return _funnel_expr(
        events,
        steps,
        start=start,
        end=end,
        as_of=as_of,
        window_days=window_days,
        orders=orders,
        purchase_events=purchase_events,
        timezone=timezone,
        by_month=False,
    )


def _to_frame(expr: ibis.Table, n_steps: int) -> pd.DataFrame:
    df = expr.execute()
    for k in range(1, n_steps + 1):
        df[step_time_column(k)] = pd.to_datetime(df[step_time_column(k)], utc=True).astype(
            "datetime64[ns, UTC]"
        )
    df[FURTHEST_STEP] = df[FURTHEST_STEP].astype("int64")
    df[S.USER_ID] = df[S.USER_ID].astype(str)
    return df


def funnel_users(
    events: ibis.Table,
    steps: Sequence[str],
    *,
    month_start,
    month_end,
    as_of,
    window_days: int,
    orders: ibis.Table | None = None,
    purchase_events: Sequence[str] = (),
    timezone: str | None = None,
) -> pd.DataFrame:
    """Each user who entered the funnel in the month, with the furthest step reached.

    Parameters
    ----------
    events : ibis.Table
        Cleaned events: ``user_id``, ``event_time`` (UTC), ``event_name`` and ``day`` (the
        business day; computed from ``timezone`` when absent).
    steps : list of str
        Event names of the steps, in order (at least two, all different; matched after the
        cleaning's standardization: trimmed, lower case).
    month_start, month_end : date or str
        The entry period (business days, both included).
    as_of : date or str
        Nothing after the end of this business day counts.
    window_days : int
        Every step must happen within this many days of the step-1 event.
    orders : ibis.Table, optional
        Cleaned orders (``user_id``, ``order_time``, ``amount``, ``day``): their purchases match
        a step named ``order`` or one listed in ``purchase_events``.
    purchase_events : list of str
        Step names that also match orders (``purchase_events`` of ``persona.yaml``).
    timezone : str, optional
        Business timezone, needed only when a table has no ``day`` column.

    Returns
    -------
    DataFrame
        One row per entering user, ordered by user: ``user_id``, ``furthest_step`` (1..K) and
        ``time_1`` ... ``time_K`` (UTC timestamps of the steps in the earliest attempt that
        reached ``furthest_step``; NaT beyond it).

    Examples
    --------
    See the module docstring.
    """
    expr = funnel_users_expr(
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
    df = _to_frame(expr, len(steps))
    return df.sort_values(S.USER_ID, kind="stable").reset_index(drop=True)


# -------------------------------------------------------------------------------------------------
# the pandas part: counts, conversions, intervals, medians (per user rows only)
# -------------------------------------------------------------------------------------------------


def funnel_users_by_month(
    events: ibis.Table,
    steps: Sequence[str],
    *,
    month: str,
    months: int,
    as_of,
    window_days: int,
    orders: ibis.Table | None = None,
    purchase_events: Sequence[str] = (),
    timezone: str | None = None,
) -> pd.DataFrame:
    """:func:`funnel_users` for each of the ``months`` months ending with ``month``, in one
    expression: a user appears once per month in which they entered (a step-1 event that
    month), with that month's furthest step and times.

    Every month uses the same ``as_of``, so the latest month's late entrants have had less
    time to convert than earlier months' (exactly as in that month's own funnel).

    Returns
    -------
    DataFrame
        ``user_id``, ``month`` (YYYY-MM), ``furthest_step``, ``time_1`` ... ``time_K``, ordered
        by month and user.
    """
    steps = check_steps(steps)
    last = as_month(month, "month").strftime("%Y-%m")
    months = positive_int(months, "months", unit="months")
    start = as_month(shift_month(last, -(months - 1)), "month")
    end = as_month(shift_month(last, 1), "month") - dt.timedelta(days=1)
    expr = _funnel_expr(
        events,
        steps,
        start=start,
        end=end,
        as_of=as_date(as_of, "as_of"),
        window_days=positive_int(window_days, "window_days", unit="days"),
        orders=orders,
        purchase_events=purchase_events,
        timezone=timezone,
        by_month=True,
    )
    df = _to_frame(expr, len(steps))
    df.insert(1, MONTH, [f"{m // 100:04d}-{m % 100:02d}" for m in df.pop(_MONTH_KEY).astype(int)])
    return df.sort_values([MONTH, S.USER_ID], kind="stable").reset_index(drop=True)

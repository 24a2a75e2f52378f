"""The most common ordered event transitions, for the "no funnel configured" fallback: they
suggest a funnel's steps, they never make one up.

Examples
--------
>>> import datetime as dt, ibis, pandas as pd
>>> ev = ibis.memtable(pd.DataFrame({
...     "user_id": ["a", "a", "a", "b", "b"],
...     "event_time": pd.to_datetime(["2026-03-02 10:00", "2026-03-02 10:05", "2026-03-02 10:06",
...                                   "2026-03-03 09:00", "2026-03-03 09:01"], utc=True),
...     "event_name": ["view_item", "add_to_cart", "checkout_start", "view_item", "add_to_cart"],
...     "day": [dt.date(2026, 3, 2)] * 3 + [dt.date(2026, 3, 3)] * 2}))
>>> top_transitions(ev, month_start="2026-03-01", month_end="2026-03-31")[
...     ["from_event", "to_event", "transitions", "users"]].values.tolist()
[['view_item', 'add_to_cart', 2, 2], ['add_to_cart', 'checkout_start', 1, 1]]
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import pandas as pd

from helpers.analysis.funnels.per_user import with_day
from helpers.analysis.paths import NEXT_EVENT, sessionize
from helpers.core import schema as S
from helpers.core.checks import as_date, positive_int, require_columns

__all__ = ["top_transitions"]


def top_transitions(
    events: ibis.Table,
    *,
    month_start,
    month_end,
    top: int = 20,
    gap_minutes: int = 30,
    exclude_events: Sequence[str] = (),
    include_repeats: bool = False,
    timezone: str | None = None,
) -> pd.DataFrame:
    """The most common ordered transitions A -> B between consecutive events of a session.

    For the "no funnel configured" fallback: candidates for a funnel's steps, never a funnel.
    Sessions are :func:`helpers.analysis.paths.sessionize`'s (``session_id``, else a
    ``gap_minutes`` inactivity gap), over the events of the business days ``[month_start,
    month_end]`` without ``exclude_events`` (pass the passive events).

    Returns
    -------
    DataFrame
        Up to ``top`` rows, most transitions first (ties by name): ``from_event``,
        ``to_event``, ``transitions``, ``users`` (distinct users making it) and
        ``share_of_from`` (its share of all transitions out of ``from_event``). A -> A is left
        out unless ``include_repeats``.
    """
    start, end = as_date(month_start, "month_start"), as_date(month_end, "month_end")
    positive_int(top, "top")
    require_columns(events, [S.USER_ID, S.EVENT_TIME, S.EVENT_NAME], "The events table")
    ev = with_day(events, S.EVENT_TIME, timezone, "The events table")
    ev = ev.filter(ev[S.DAY] >= start, ev[S.DAY] <= end)
    if exclude_events:
        ev = ev.filter(~ev[S.EVENT_NAME].isin(list(exclude_events)))
    s = sessionize(ev, gap_minutes=gap_minutes)
    s = s.filter(s[NEXT_EVENT].notnull())
    pairs = (
        s.group_by([S.EVENT_NAME, NEXT_EVENT])
        .aggregate(transitions=s.count(), users=s[S.USER_ID].nunique())
        .execute()
        .rename(columns={S.EVENT_NAME: "from_event", NEXT_EVENT: "to_event"})
    )
    pairs["share_of_from"] = pairs["transitions"] / pairs.groupby("from_event")[
        "transitions"
    ].transform("sum")
    if not include_repeats:
        pairs = pairs[pairs["from_event"] != pairs["to_event"]]
    pairs = pairs.sort_values(
        ["transitions", "from_event", "to_event"], ascending=[False, True, True]
    )
    cols = ["from_event", "to_event", "transitions", "users", "share_of_from"]
    out = pairs.head(top)[cols].reset_index(drop=True)
    return out.astype({"transitions": "int64", "users": "int64"})

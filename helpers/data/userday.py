"""``user_day``: one row per user per business day with any kept event or order.

The one reduction over raw rows that every notebook stands on; built once by
:mod:`helpers.data.pipeline` and cached. Columns are documented in ``docs/internals.md``.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

from helpers.core import schema
from helpers.core.config import ActivityConfig

MAX_EVENT_COLUMNS = 60


def event_name_counts(events: ibis.Table | None) -> pd.DataFrame:
    """Kept events per standardized name, most frequent first (a small aggregate)."""
    if events is None:
        return pd.DataFrame({schema.EVENT_NAME: [], "rows": []})
    return (
        events.group_by(schema.EVENT_NAME)
        .aggregate(rows=ibis._.count())
        .order_by([ibis.desc("rows"), schema.EVENT_NAME])
        .execute()
    )


def is_active_event(name: ibis.StringValue, activity: ActivityConfig) -> ibis.BooleanValue:
    """Whether an event of this (standardized) name makes a user active."""
    if activity.active_events is not None:
        allowed = list(activity.active_events) + (
            [schema.ORDER_EVENT] if activity.orders_are_active else []
        )
        return name.isin(allowed)
    cond = ~name.isin(list(activity.passive_events) or ["\x00"])
    if not activity.orders_are_active:
        cond = cond & (name != schema.ORDER_EVENT)
    return cond


def build_user_day(
    events: ibis.Table | None,
    orders: ibis.Table | None,
    *,
    activity: ActivityConfig,
    event_names: list[str] | None = None,
) -> ibis.Table:
    """Reduce cleaned events and orders to ``user_day``.

    Parameters
    ----------
    events, orders : ibis.Table or None
        Cleaned tables with ``user_id``, ``day`` and ``event_name`` (events) or ``amount`` (orders).
        At least one is required.
    activity : ActivityConfig
        Which events make a user active (``passive_events`` / ``active_events``).
    event_names : list of str, optional
        Names that get their own ``ev_<name>`` column (default: the 60 most frequent; the rest
        are summed in ``ev_other``). ``ev_order`` is always present when orders are.

    Returns
    -------
    ibis.Table
        user_id, day, events, active_events, orders, revenue, refunds, ev_<name>...

    Examples
    --------
    >>> project = load_project("data/sample/persona.yaml")   # doctest: +SKIP
    >>> project.user_day.columns[:7]                          # doctest: +SKIP
    ('user_id', 'day', 'events', 'active_events', 'orders', 'revenue', 'refunds')
    """
    # _kind: 0 = event, 1 = purchase (amount >= 0), 2 = refund. Counts are COUNT ... FILTER:
    # 8-byte states, where SUM over 0/1 flags keeps 16-byte ones (and spills twice as soon).
    parts = []
    if events is not None:
        parts.append(
            events.select(
                schema.USER_ID,
                schema.DAY,
                schema.EVENT_NAME,
                _kind=ibis.literal(0).cast(dt.int8),
                _amount=ibis.literal(0.0).cast(dt.float64),
            )
        )
    if orders is not None:
        # an unknown amount (an order made of a purchase event without revenue) is a purchase
        purchase = (orders[schema.AMOUNT] >= 0).fill_null(True)
        parts.append(
            orders.select(
                schema.USER_ID,
                schema.DAY,
                **{
                    schema.EVENT_NAME: ibis.ifelse(
                        purchase, ibis.literal(schema.ORDER_EVENT), ibis.literal("refund")
                    )
                },
                _kind=ibis.ifelse(purchase, 1, 2).cast(dt.int8),
                _amount=ibis.ifelse(purchase, orders[schema.AMOUNT].fill_null(0.0), 0.0).cast(
                    dt.float64
                ),
            )
        )
    if not parts:
        raise ValueError("build_user_day needs events or orders")
    rows = ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
    if event_names is None:
        counts = event_name_counts(events)
        event_names = list(counts[schema.EVENT_NAME][:MAX_EVENT_COLUMNS])
    # an event logged without a name is kept and counted, in ev_other (it has no column)
    names = [n for n in event_names if n is not None and n != schema.ORDER_EVENT]
    if orders is not None:
        names.append(schema.ORDER_EVENT)
    is_event = rows._kind != 2
    active = is_active_event(rows[schema.EVENT_NAME], activity) & is_event
    aggs = {
        schema.UD_EVENTS: rows.count(where=is_event),
        schema.UD_ACTIVE_EVENTS: rows.count(where=active),
        schema.UD_ORDERS: rows.count(where=rows._kind == 1),
        schema.UD_REVENUE: rows._amount.sum().cast(dt.float64),
        schema.UD_REFUNDS: rows.count(where=rows._kind == 2),
    }
    seen = set()
    for n in names:
        col = schema.event_count_column(n)
        if col in seen or col in aggs:
            continue
        seen.add(col)
        aggs[col] = rows.count(where=rows[schema.EVENT_NAME] == n)
    if events is not None:
        listed = list(names) + ["refund"]
        other = (~rows[schema.EVENT_NAME].isin(listed)).fill_null(True) & is_event
        aggs[schema.event_count_column("other")] = rows.count(where=other)
    return rows.group_by([schema.USER_ID, schema.DAY]).aggregate(**aggs)


def update_user_day(
    old: ibis.Table,
    touched: ibis.Table,
    events: ibis.Table | None,
    orders: ibis.Table | None,
    *,
    activity: ActivityConfig,
    event_names: list[str],
    replaced: ibis.Table | None = None,
) -> ibis.Table:
    """``user_day`` after an incremental build: the rows of ``old`` whose (user, day) key was
    not touched, and the touched keys reduced again from their cleaned rows.

    ``touched`` holds every key whose kept events or orders changed (``user_id``, ``day``);
    ``events`` are the kept events of those keys, all of them and only them; ``orders`` all
    the kept orders. Each row of ``user_day`` depends only on its key's rows, so the result
    equals :func:`build_user_day` over all the rows. ``replaced`` (default ``touched``) may
    be any part of ``touched`` that holds every touched key ``old`` has: the smaller, the
    cheaper. ``event_names`` are the columns of the result; an ``old`` row lacks only columns
    of names it had no event of (0).

    Examples
    --------
    >>> import pandas as pd
    >>> from helpers.core.config import ActivityConfig
    >>> ev = ibis.memtable(pd.DataFrame({"user_id": ["a", "a", "b"], "event_name": ["x", "y", "x"],
    ...     "day": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-01"]).date}))
    >>> old = build_user_day(ev.filter(ev.event_name == "x"), None, activity=ActivityConfig(),
    ...     event_names=["x"])
    >>> keys = ibis.memtable(pd.DataFrame({"user_id": ["a"], "day": pd.to_datetime(["2026-01-02"]).date}))
    >>> rows = ev.semi_join(keys, ["user_id", "day"])
    >>> new = update_user_day(old, keys, rows, None, activity=ActivityConfig(), event_names=["x", "y"])
    >>> new.order_by(["user_id", "day"]).execute()[["user_id", "events", "ev_x", "ev_y"]].values.tolist()
    [['a', 1, 1, 0], ['a', 1, 0, 1], ['b', 1, 1, 0]]
    """
    keys = [schema.USER_ID, schema.DAY]
    fresh = build_user_day(
        events,
        None if orders is None else orders.semi_join(touched, keys),
        activity=activity,
        event_names=event_names,
    )
    kept = old.anti_join(touched if replaced is None else replaced, keys)
    kept = kept.select(
        *[
            kept[c] if c in kept.columns else ibis.literal(0).cast(fresh[c].type()).name(c)
            for c in fresh.columns
        ]
    )
    return ibis.union(kept, fresh, distinct=False)

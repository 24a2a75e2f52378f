"""``user_day``: one row per user per business day with any kept event or order.

The one reduction over raw rows that every notebook stands on; built once by
:mod:`helpers.pipeline` and cached. Columns are documented in ``docs/internals.md``.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

from . import schema
from .config import ActivityConfig

MAX_EVENT_COLUMNS = 60


def event_name_counts(events: ibis.Table | None) -> pd.DataFrame:
    """Kept events per standardized name, most frequent first (a small aggregate)."""
    if events is None:
        return pd.DataFrame({schema.EVENT_NAME: [], "rows": []})
    return (events.group_by(schema.EVENT_NAME).aggregate(rows=ibis._.count())
            .order_by([ibis.desc("rows"), schema.EVENT_NAME]).execute())


def is_active_event(name: ibis.StringValue, activity: ActivityConfig) -> ibis.BooleanValue:
    """Whether an event of this (standardized) name makes a user active."""
    if activity.active_events is not None:
        allowed = list(activity.active_events) + ([schema.ORDER_EVENT] if activity.orders_are_active else [])
        return name.isin(allowed)
    cond = ~name.isin(list(activity.passive_events) or ["\x00"])
    if not activity.orders_are_active:
        cond = cond & (name != schema.ORDER_EVENT)
    return cond


def build_user_day(events: ibis.Table | None, orders: ibis.Table | None, *, activity: ActivityConfig,
                   event_names: list[str] | None = None) -> ibis.Table:
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
    parts = []
    if events is not None:
        parts.append(events.select(
            schema.USER_ID, schema.DAY, schema.EVENT_NAME,
            _is_event=ibis.literal(1, type=dt.int64), _purchase=ibis.literal(0, type=dt.int64),
            _amount=ibis.literal(0.0, type=dt.float64), _refund=ibis.literal(0, type=dt.int64)))
    if orders is not None:
        purchase = orders[schema.AMOUNT] >= 0
        parts.append(orders.select(
            schema.USER_ID, schema.DAY,
            **{schema.EVENT_NAME: ibis.ifelse(purchase, ibis.literal(schema.ORDER_EVENT), ibis.literal("refund"))},
            _is_event=purchase.cast(dt.int64), _purchase=purchase.cast(dt.int64),
            _amount=ibis.ifelse(purchase, orders[schema.AMOUNT], 0.0).cast(dt.float64),
            _refund=(~purchase).cast(dt.int64)))
    if not parts:
        raise ValueError("build_user_day needs events or orders")
    rows = ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
    if event_names is None:
        counts = event_name_counts(events)
        event_names = list(counts[schema.EVENT_NAME][:MAX_EVENT_COLUMNS])
    names = [n for n in event_names if n != schema.ORDER_EVENT]
    if orders is not None:
        names.append(schema.ORDER_EVENT)
    active = is_active_event(rows[schema.EVENT_NAME], activity) & (rows._is_event == 1)
    aggs = {
        schema.UD_EVENTS: rows._is_event.sum().cast(dt.int64),
        schema.UD_ACTIVE_EVENTS: active.cast(dt.int64).sum().cast(dt.int64),
        schema.UD_ORDERS: rows._purchase.sum().cast(dt.int64),
        schema.UD_REVENUE: rows._amount.sum().cast(dt.float64),
        schema.UD_REFUNDS: rows._refund.sum().cast(dt.int64),
    }
    seen = set()
    for n in names:
        col = schema.event_count_column(n)
        if col in seen or col in aggs:
            continue
        seen.add(col)
        aggs[col] = (rows[schema.EVENT_NAME] == n).cast(dt.int64).sum().cast(dt.int64)
    if events is not None:
        listed = list(names) + ["refund"]
        other = (~rows[schema.EVENT_NAME].isin(listed)) & (rows._is_event == 1)
        aggs[schema.event_count_column("other")] = other.cast(dt.int64).sum().cast(dt.int64)
    return rows.group_by([schema.USER_ID, schema.DAY]).aggregate(**aggs)

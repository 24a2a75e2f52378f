"""Glue for the ``02_active_users`` notebook: the chosen definition, derived windows, headline
numbers, and sections that degrade (say what is missing) instead of failing.

The measures themselves live in :mod:`helpers.analysis.activity`; this module only decides which of them
apply to the data at hand, so the notebook stays linear (no ``if`` on parameters or data).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.analysis import activity
from helpers.core import schema
from helpers.core.checks import numeric_text_to_numbers, one_of
from helpers.core.errors import ParameterError

NEW_BASES = ("first_activity", "signup")
ID_LIKE = {schema.USER_ID, schema.SIGNUP_TIME, schema.SOURCE}


@dataclass
class Note:
    """A sentence shown in place of an analysis the data cannot support."""

    text: str
    tables: dict | None = None

    def _repr_html_(self) -> str:
        return (
            f"<p style='color:#8a6d3b;background:#fcf8e3;padding:6px'>{html.escape(self.text)}</p>"
        )


def defined_user_day(
    user_day, *, config, active_events: list | None = None, passive_events: list | None = None
):
    """``user_day`` under the notebook's definition of active.

    With neither list given, the config's definition (already applied when ``user_day`` was
    built) stands. ``passive_events`` adds to the config's passive list; ``active_events``
    replaces it with an explicit list (orders stay active).
    """
    active_events = list(active_events or [])
    extra_passive = list(passive_events or [])
    if not active_events and not extra_passive:
        return user_day
    known = {
        c.removeprefix(schema.EVENT_COUNT_PREFIX)
        for c in user_day.columns
        if c.startswith(schema.EVENT_COUNT_PREFIX)
    }
    unknown = [e for e in active_events + extra_passive if e not in known]
    if unknown:
        raise ParameterError(
            f"The parameters `active_events`/`passive_events` name events not in the data: {unknown}; "
            f"events found: {sorted(known)}"
        )
    if active_events:
        return activity.apply_definition(
            user_day, active_events=active_events + [schema.ORDER_EVENT]
        )
    return activity.apply_definition(
        user_day, passive_events=list(config.activity.passive_events) + extra_passive
    )


def definition_text(
    config,
    *,
    active_events=None,
    passive_events=None,
    new_basis: str = "first_activity",
    mau_days: int = 28,
) -> Note:
    """The definition of "active" in one paragraph, as used in this report."""
    one_of(new_basis, NEW_BASES, "new_basis")
    if active_events:
        which = f"any of these events: {', '.join(active_events)} (or an order)"
    else:
        passive = list(config.activity.passive_events) + list(passive_events or [])
        which = "any event or order" + (
            f" except the passive events {', '.join(passive)}" if passive else ""
        )
    return Note(
        f"A user is active on a day when they do {which}, on that calendar day in {config.timezone}. "
        f"Monthly active users (MAU) count users active on at least one day of the {mau_days} days ending "
        f"on a day; a user is new in the period of their "
        f"{'signup' if new_basis == 'signup' else 'first activity'}."
    )


def attribute_columns(users: pd.DataFrame | None, *, max_levels: int = 30) -> list[str]:
    """User attributes worth profiling: numeric ones, and text ones with few distinct values."""
    if users is None:
        return []
    cols = []
    for c in users.columns:
        if c in ID_LIKE or c.startswith("_"):
            continue
        s = users[c]
        numeric = pd.to_numeric(s, errors="coerce")
        if numeric.notna().mean() > 0.95 or s.nunique(dropna=True) <= max_levels:
            cols.append(c)
    return cols


def typed_users(users: pd.DataFrame | None) -> pd.DataFrame | None:
    """Users with numeric-looking text attributes as numbers (CSV exports arrive as text)."""
    return None if users is None else numeric_text_to_numbers(users, skip=ID_LIKE)


def attribute_section(snapshot: pd.DataFrame, users: pd.DataFrame | None):
    """Who the active users are, or a note when there is no users table."""
    if users is None:
        return Note(
            "No users table is configured, so active users cannot be profiled by attribute. Add "
            "`sources.users` (user_id plus columns such as age, city, channel, platform, plan) to get "
            "this section."
        )
    attrs = attribute_columns(users)
    if not attrs:
        return Note("The users table has no attribute columns besides ids and signup time.")
    active = snapshot.loc[snapshot["is_active"], [schema.USER_ID]]
    return activity.attribute_profile(active, typed_users(users), attributes=attrs)


def binary_attributes(users: pd.DataFrame | None) -> pd.DataFrame | None:
    """user_id plus the 0/1 attributes (e.g. ``joined_community``), for retention drivers."""
    if users is None:
        return None
    typed = typed_users(users)
    cols = [
        c
        for c in attribute_columns(typed)
        if pd.api.types.is_numeric_dtype(typed[c]) and set(typed[c].dropna().unique()) <= {0, 1}
    ]
    return typed[[schema.USER_ID] + cols] if cols else None


def driver_window(
    as_of: dt.date, *, retention_day: int = 28, retention_width: int = 7, cohort_days: int = 90
) -> tuple[dt.date, dt.date]:
    """First-activity window whose day-``retention_day`` outcome is fully observed at ``as_of``.

    >>> driver_window(dt.date(2026, 10, 31))
    (datetime.date(2026, 6, 30), datetime.date(2026, 9, 27))
    """
    end = as_of - dt.timedelta(days=retention_day + retention_width - 1)
    return end - dt.timedelta(days=cohort_days - 1), end


def driver_events(user_day, config) -> list[str]:
    """Event names eligible as early behaviours: every ev_ column but passive events and totals."""
    passive = set(config.activity.passive_events)
    return [
        c.removeprefix(schema.EVENT_COUNT_PREFIX)
        for c in user_day.columns
        if c.startswith(schema.EVENT_COUNT_PREFIX)
        and c.removeprefix(schema.EVENT_COUNT_PREFIX) not in passive | {"other"}
    ]


def headline(rolling, monthly, lifecycle_month, *, month_start: dt.date, as_of: dt.date) -> dict:
    """Headline numbers of the reviewed month.

    ``dau_avg``: mean DAU over the month's days; ``wau``/``mau``: rolling values on ``as_of``;
    ``stickiness``: mean DAU/MAU over the month; ``mau_calendar``: users active in the calendar
    month, and its month-over-month change; ``quick_ratio`` of the month from the lifecycle.
    """
    d = rolling.daily.copy()
    d[schema.DAY] = pd.to_datetime(d[schema.DAY]).dt.date
    month = d[(d[schema.DAY] >= month_start) & (d[schema.DAY] <= as_of)]
    last = d[d[schema.DAY] == as_of].iloc[0]
    m = monthly.monthly.copy()
    cur = m.iloc[-1]
    lc = lifecycle_month.periods.copy()
    lc["period_start"] = pd.to_datetime(lc["period_start"]).dt.date
    row = lc[lc["period_start"] == month_start]
    qr = float(row["quick_ratio"].iloc[0]) if len(row) else float("nan")
    return {
        "dau_avg": float(month["dau"].mean()),
        "wau": int(last["wau"]),
        "mau": int(last["mau"]),
        "stickiness": float(month["dau_mau"].mean()),
        "wau_mau": float(last["wau_mau"]),
        "mau_calendar": int(cur["mau"]),
        "mau_change_pct": float(cur["change_pct"])
        if pd.notna(cur["change_pct"])
        else float("nan"),
        "quick_ratio": qr,
    }


def lifecycle_table(weekly, monthly) -> pd.DataFrame:
    """Both lifecycle tables stacked, with the period type, for ``artifacts/lifecycle.csv``."""
    w = weekly.periods.assign(period="week")
    m = monthly.periods.assign(period="month")
    return pd.concat([w, m], ignore_index=True)


def active_users_table(snapshot: pd.DataFrame) -> pd.DataFrame:
    """``artifacts/active_users.csv``: users active in the last 28 days or in the reviewed month."""
    keep = snapshot["is_active"] | (snapshot[schema.ACTIVE_DAYS_28] > 0)
    cols = [
        schema.USER_ID,
        "is_active",
        schema.ACTIVE_DAYS_7,
        schema.ACTIVE_DAYS_28,
        "lifecycle_state",
    ]
    return snapshot.loc[keep, cols].reset_index(drop=True)


_ = np

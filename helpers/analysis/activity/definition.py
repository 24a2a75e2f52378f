"""The definition of active: re-deriving ``active_events`` under another definition, and how
MAU moves when the definition changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from helpers.analysis.activity import _base as B
from helpers.core import schema as S
from helpers.core.checks import as_date
from helpers.core.errors import DataError, ParameterError

__all__ = ["apply_definition", "definition_sensitivity", "DefinitionSensitivity", "VARIANTS"]

#: Codes of the ``definition`` column of :attr:`DefinitionSensitivity.variants`.
VARIANTS = ("chosen", "min_active_days", "without_event")


@dataclass(frozen=True, eq=False)
class DefinitionSensitivity:
    """MAU under other definitions of active (:func:`definition_sensitivity`).

    Attributes
    ----------
    variants : DataFrame
        One row per definition: definition (a code of :data:`VARIANTS`), min_active_days
        (active days needed in the window), event (the event removed, or None), mau,
        change_vs_chosen, change_pct (in percent), active_user_days (active user-days in the
        window), ever_active (users active on any day up to ``as_of``).
    as_of : date
        Last day of the window.
    window_days : int
        Length of the window in days.
    mau_chosen : int
        MAU under the chosen definition.
    """

    variants: pd.DataFrame
    as_of: dt.date
    window_days: int
    mau_chosen: int


def apply_definition(
    user_day,
    *,
    active_events: Sequence[str] | None = None,
    passive_events: Sequence[str] | None = None,
    min_events: int = 1,
):
    """Re-derive ``active_events`` from the ``ev_`` columns under another definition of active.

    Parameters
    ----------
    user_day : ibis Table
        The user_day table (docs/internals.md).
    active_events : list of str, optional
        Event names that make a user active (``ev_<name>`` must exist). Orders count only if
        ``"order"`` is listed. Takes precedence over ``passive_events``.
    passive_events : list of str, optional
        Event names that do *not* make a user active; every other ``ev_`` column does.
    min_events : int, default 1
        A day counts as active when the re-derived count is at least this; days below keep
        ``active_events = 0`` so the rule "active when ``active_events > 0``" still holds.
        With neither list given the existing ``active_events`` is thresholded.

    Returns
    -------
    ibis Table
        ``user_day`` with ``active_events`` replaced; the input is not changed.

    Examples
    --------
    >>> apply_definition(ud, passive_events=["push_received", "email_sent"])  # doctest: +SKIP
    """
    B.check_user_day(user_day)
    if int(min_events) < 1:
        raise ParameterError(f"`min_events` must be at least 1, but {min_events!r} was passed.")
    ev_cols = B.event_columns(user_day)
    if active_events is not None:
        names = [S.event_count_column(e) for e in active_events]
    elif passive_events is not None:
        drop = {S.event_count_column(e) for e in passive_events}
        names = [c for c in ev_cols if c not in drop]
    else:
        names = None
    if names is not None:
        missing = [n for n in names if n not in ev_cols]
        if missing:
            raise DataError(
                f"user_day has no column {missing[0]!r} for the event named in the definition; "
                f"expected one of {ev_cols[:10]}."
            )
        count = sum((user_day[n] for n in names), ibis.literal(0)) if names else ibis.literal(0)
    else:
        count = user_day[S.UD_ACTIVE_EVENTS]
    new = (count >= int(min_events)).ifelse(count, 0).cast("int64")
    return user_day.mutate(**{S.UD_ACTIVE_EVENTS: new})


def definition_sensitivity(
    user_day,
    *,
    as_of,
    min_active_days: Sequence[int] = (1, 2, 4, 8),
    event_columns: Sequence[str] | None = None,
    passive_events: Sequence[str] = (),
    window_days: int = 28,
) -> DefinitionSensitivity:
    """How MAU and the active base move when the definition of active changes.

    Variants (one row each): the chosen definition (``active_events > 0`` on at least one day of
    the ``window_days`` window ending ``as_of``); at least ``k`` active days in the window for
    each ``k`` in ``min_active_days``; and, for each counted event, the chosen definition with
    that event removed (a day stays active if ``active_events - ev_<event> > 0``).

    Parameters
    ----------
    user_day : ibis Table
    as_of : date or str
        Last day of the window.
    min_active_days : sequence of int
    event_columns : list of str, optional
        Event names to remove one at a time; default every ``ev_`` column except passive ones.
    passive_events : list of str
        Events that never counted (removing them changes nothing, so they are skipped).
    window_days : int, default 28

    Returns
    -------
    DefinitionSensitivity
    """
    as_of = as_date(as_of, "as_of")
    B.check_user_day(user_day)
    ev_cols = B.event_columns(user_day)
    passive = {S.event_count_column(e) for e in passive_events}
    if event_columns is None:
        removable = [c for c in ev_cols if c not in passive]
    else:
        removable = [S.event_count_column(e) for e in event_columns]
        missing = [c for c in removable if c not in ev_cols]
        if missing:
            raise DataError(
                f"`event_columns`: user_day has no column {missing[0]!r}; "
                f"expected one of {ev_cols[:10]}."
            )
    t = B.with_ed(user_day)
    t = t.filter(t[B.ED] <= B.ed(as_of))
    in_win = t[B.ED] >= B.ed(as_of) - window_days + 1
    conds = {None: t[S.UD_ACTIVE_EVENTS] > 0}
    for c in removable:
        conds[c[len(S.EVENT_COUNT_PREFIX) :]] = (t[S.UD_ACTIVE_EVENTS] - t[c]) > 0
    keys = {name: f"v{i}" for i, name in enumerate(conds)}
    per_user = t.group_by(S.USER_ID).aggregate(
        **{f"{keys[n]}_d": (c & in_win).cast("int64").sum() for n, c in conds.items()},
        **{f"{keys[n]}_e": c.cast("int64").max() for n, c in conds.items()},
    )
    aggs = {}
    for k in keys.values():
        aggs[f"{k}_mau"] = (per_user[f"{k}_d"] >= 1).cast("int64").sum()
        aggs[f"{k}_days"] = per_user[f"{k}_d"].sum()
        aggs[f"{k}_ever"] = per_user[f"{k}_e"].sum()
    for m in min_active_days:
        aggs[f"min{m}_mau"] = (per_user[f"{keys[None]}_d"] >= int(m)).cast("int64").sum()
    row = B.execute(per_user.aggregate(**aggs)).iloc[0].fillna(0)
    k0 = keys[None]

    def variant(definition, days, event, k=None, mau=None):
        return {
            "definition": definition,
            "min_active_days": days,
            "event": event,
            "mau": row[f"{k}_mau"] if mau is None else mau,
            "active_user_days": np.nan if k is None else row[f"{k}_days"],
            "ever_active": np.nan if k is None else row[f"{k}_ever"],
        }

    rows = [variant("chosen", 1, None, k0)]
    rows += [
        variant("min_active_days", int(m), None, mau=row[f"min{m}_mau"])
        for m in min_active_days
        if int(m) != 1
    ]
    rows += [variant("without_event", 1, n, k) for n, k in keys.items() if n is not None]
    df = pd.DataFrame(rows)
    base = float(row[f"{k0}_mau"])
    df["min_active_days"] = df["min_active_days"].astype("int64")
    df["mau"] = df["mau"].astype("int64")
    df["change_vs_chosen"] = df["mau"] - int(base)
    df["change_pct"] = 100.0 * df["change_vs_chosen"] / base if base else np.nan
    df = df[
        [
            "definition",
            "min_active_days",
            "event",
            "mau",
            "change_vs_chosen",
            "change_pct",
            "active_user_days",
            "ever_active",
        ]
    ]
    return DefinitionSensitivity(
        variants=df, as_of=as_of, window_days=int(window_days), mau_chosen=int(base)
    )

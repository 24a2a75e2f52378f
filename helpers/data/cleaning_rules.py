"""Rules every table's cleaning shares: the valid time range (``audit.valid_from`` /
``valid_until``, local midnights as UTC instants), per-source counts, and the ledger row of a
source (rows kept = rows in less every drop)."""

from __future__ import annotations

import datetime as _dt
import zoneinfo

import ibis
import numpy as np
import pandas as pd

from helpers.core import schema
from helpers.core.config import Config
from helpers.data import engine
from helpers.data.audit import SourceAudit

__all__ = [
    "PLAUSIBLE_FROM",
    "counts_by_source",
    "utc_bound",
    "effective_bounds",
    "valid_bounds",
    "time_flags",
    "time_valid",
    "ledger",
    "iso_time",
    "no_materialize",
]


def counts_by_source(table: ibis.Table, **aggs) -> pd.DataFrame:
    """One aggregate query grouped by source; sums as Python ints (0 for no rows)."""
    res = table.group_by(schema.SOURCE).aggregate(**aggs).execute().set_index(schema.SOURCE)
    with pd.option_context("future.no_silent_downcasting", True):
        return res.fillna(0).infer_objects()


def utc_bound(day: _dt.date | None, tz: str) -> _dt.datetime | None:
    """Local midnight of ``day`` in ``tz`` as a UTC instant."""
    if day is None:
        return None
    local = _dt.datetime.combine(day, _dt.time(0), tzinfo=zoneinfo.ZoneInfo(tz))
    return local.astimezone(_dt.UTC)


#: Without ``audit.valid_from``, earlier timestamps are out of range: no product log of today
#: reaches back this far, and epoch zero (1970-01-01) or 0001-01-01 are export bugs.
PLAUSIBLE_FROM = _dt.date(1990, 1, 1)


def effective_bounds(cfg: Config, today: _dt.date | None = None) -> tuple[_dt.date, _dt.date]:
    """The valid local-date range: ``audit.valid_from`` / ``valid_until`` when set; else
    :data:`PLAUSIBLE_FROM`, and the day after ``today`` (nothing can be logged after the data
    was read; a timestamp in 2100 or 9999 would otherwise make an empty month the default).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> cfg = NS(audit=NS(valid_from=None, valid_until=None))
    >>> effective_bounds(cfg, today=_dt.date(2026, 12, 2))
    (datetime.date(1990, 1, 1), datetime.date(2026, 12, 3))
    """
    today = today or _dt.datetime.now(_dt.UTC).date()
    return (
        cfg.audit.valid_from or PLAUSIBLE_FROM,
        cfg.audit.valid_until or today + _dt.timedelta(days=1),
    )


def valid_bounds(cfg: Config):
    """The valid range (:func:`effective_bounds`) as UTC instant literals."""
    return [
        ibis.literal(utc_bound(b, cfg.timezone), type=engine.TS_UTC) for b in effective_bounds(cfg)
    ]


def time_flags(t: ibis.Table, col: str, cfg: Config):
    """Three conditions on ``t[col]``: missing, before ``valid_from``, at or after ``valid_until``."""
    vf, vu = valid_bounds(cfg)
    ts = t[col]
    return ts.isnull(), ts.notnull() & (ts < vf), ts.notnull() & (ts >= vu)


def time_valid(t: ibis.Table, col: str, cfg: Config) -> ibis.BooleanValue:
    """Within the valid time range (not missing): the cheapest predicate, each bound once.

    (DuckDB copies a filter into the projection below it, so every mention of a parsed
    timestamp is one more parse of the text.)
    """
    vf, vu = valid_bounds(cfg)
    ts = t[col]
    return (ts >= vf) & (ts < vu)


def ledger(table: str, rows_in: int, dropped: dict[str, int], checks=None) -> SourceAudit:
    """A source's ledger: the rows kept are the rows in less every drop."""
    dropped = {k: int(v) for k, v in dropped.items()}
    kept = int(rows_in) - sum(dropped.values())
    return SourceAudit(table, int(rows_in), kept, dropped, checks)


def no_materialize(expr, name):
    """The default ``materialize`` of the cleaning: keep the expression as it is (nothing stored)."""
    return expr


def iso_time(x) -> str | None:
    """A timestamp as ISO text, as the audit stores it (None for a missing one).

    >>> iso_time(pd.Timestamp("2026-01-02 03:04:05", tz="UTC")), iso_time(None)
    ('2026-01-02T03:04:05+00:00', None)
    """
    if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NaT:
        return None
    try:
        return pd.Timestamp(x).isoformat()
    except Exception:  # noqa: BLE001
        return str(x)

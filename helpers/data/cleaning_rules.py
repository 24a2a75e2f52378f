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
    "counts_by_source",
    "utc_bound",
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
    return res.fillna(0)


def utc_bound(day: _dt.date | None, tz: str) -> _dt.datetime | None:
    """Local midnight of ``day`` in ``tz`` as a UTC instant."""
    if day is None:
        return None
    local = _dt.datetime.combine(day, _dt.time(0), tzinfo=zoneinfo.ZoneInfo(tz))
    return local.astimezone(_dt.UTC)


def valid_bounds(cfg: Config):
    """``audit.valid_from`` / ``valid_until`` as UTC instant literals (None when not set)."""
    return [
        None if b is None else ibis.literal(b, type=engine.TS_UTC)
        for b in (
            utc_bound(cfg.audit.valid_from, cfg.timezone),
            utc_bound(cfg.audit.valid_until, cfg.timezone),
        )
    ]


def time_flags(t: ibis.Table, col: str, cfg: Config):
    """Three conditions on ``t[col]``: missing, before ``valid_from``, at or after ``valid_until``."""
    vf, vu = valid_bounds(cfg)
    ts = t[col]
    before = ts < vf if vf is not None else ibis.literal(False)
    after = ts >= vu if vu is not None else ibis.literal(False)
    return ts.isnull(), ts.notnull() & before, ts.notnull() & after


def time_valid(t: ibis.Table, col: str, cfg: Config) -> ibis.BooleanValue:
    """Within the valid time range (not missing): the cheapest predicate, each bound once.

    (DuckDB copies a filter into the projection below it, so every mention of a parsed
    timestamp is one more parse of the text.)
    """
    vf, vu = valid_bounds(cfg)
    ts = t[col]
    cond = None
    if vf is not None:
        cond = ts >= vf
    if vu is not None:
        cond = ts < vu if cond is None else cond & (ts < vu)
    return ts.notnull() if cond is None else cond


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

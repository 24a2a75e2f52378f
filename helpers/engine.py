"""The compute engine: an ibis connection, and the few scalar functions whose spelling differs
between backends (timezone conversion, tolerant time parsing).

Everything else in the kit is plain ibis, so it runs wherever ibis runs. Only this module knows
backend names; add a backend by adding its spelling of these functions here.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

from .errors import EngineError

TS_UTC = dt.Timestamp(timezone="UTC")


# DuckDB spellings ---------------------------------------------------------------------------------
# timezone(tz, timestamptz) -> local wall-clock timestamp; timezone(tz, timestamp) -> instant
@ibis.udf.scalar.builtin(name="timezone", signature=((dt.string, TS_UTC), dt.timestamp))
def _duck_to_local(tz, ts): ...


@ibis.udf.scalar.builtin(name="timezone", signature=((dt.string, dt.timestamp), TS_UTC))
def _duck_from_local(tz, ts): ...


@ibis.udf.scalar.builtin(name="try_strptime", signature=((dt.string, dt.string), dt.timestamp))
def _duck_try_strptime(text, fmt): ...


def connect(*, database: str | None = None, memory_limit: str | None = None,
            threads: int | None = None, temp_directory: str | None = None):
    """Open the embedded DuckDB engine with UTC as the session timezone.

    Parameters
    ----------
    database : str, optional
        A DuckDB file; default in-memory.
    memory_limit : str, optional
        e.g. ``"4GB"``; beyond it DuckDB spills to ``temp_directory``.
    threads : int, optional
        Worker threads (default: all cores).
    """
    try:
        con = ibis.duckdb.connect(database or ":memory:")
    except Exception as e:  # pragma: no cover - depends on the installation
        raise EngineError(f"could not start DuckDB ({e}); reinstall with `make setup`") from None
    con.raw_sql("SET TimeZone = 'UTC'")
    try:  # no terminal bars inside reports and logs (in Jupyter DuckDB refuses the setting without ipywidgets)
        con.raw_sql("SET enable_progress_bar = false")
    except Exception:  # noqa: BLE001 - inside Jupyter the bar is off unless ipywidgets is installed
        pass
    if memory_limit:
        con.raw_sql(f"SET memory_limit = '{memory_limit}'")
    if threads:
        con.raw_sql(f"SET threads = {int(threads)}")
    if temp_directory:
        con.raw_sql(f"SET temp_directory = '{temp_directory}'")
    # insertion order is what makes row numbers in error messages match the file
    con.raw_sql("SET preserve_insertion_order = true")
    return con


def to_local(ts: ibis.Value, tz: str) -> ibis.Value:
    """Wall-clock time in ``tz`` of the UTC instant ``ts`` (a naive timestamp)."""
    return _duck_to_local(tz, ts.cast(TS_UTC))


def from_local(ts: ibis.Value, tz: str) -> ibis.Value:
    """The UTC instant of the naive wall-clock timestamp ``ts`` read in ``tz``."""
    return _duck_from_local(tz, ts.cast(dt.timestamp))


def local_day(ts: ibis.Value, tz: str) -> ibis.Value:
    """Calendar date in ``tz`` of the UTC instant ``ts`` (the business day)."""
    return to_local(ts, tz).date()


def try_strptime(text: ibis.Value, fmt: str) -> ibis.Value:
    """Parse text with a strftime pattern; NULL where it does not match."""
    return _duck_try_strptime(text.cast("string"), fmt)

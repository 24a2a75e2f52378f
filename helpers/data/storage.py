"""Reading source files into the engine and writing the kit's cached tables.

CSV and Parquet are read through the engine (DuckDB or Spark read local files; a warehouse reads
its own tables, ``table: db.events``); the cached tables are written as Parquet where the engine
can write files, else created as tables in the warehouse (:class:`CacheStore`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import ibis

from helpers.core.errors import DataError, EngineError
from helpers.data.engine import FILE_BACKENDS, TS_UTC, backend_name

__all__ = ["read_csv", "read_parquet", "write_parquet", "engine_table", "CacheStore"]


def read_csv(con, paths: list[str], *, delimiter: str | None = None) -> ibis.Table:
    """CSV files as one table of text columns (types are parsed by the kit, with error rows)."""
    name = backend_name(con)
    if name == "duckdb":
        kwargs = {"all_varchar": True, "header": True}
        if delimiter:
            kwargs["delim"] = delimiter
        return con.read_csv(paths, **kwargs)
    if name == "pyspark":
        kwargs = {"inferSchema": False, "header": True}
        if delimiter:
            kwargs["sep"] = delimiter
        return con.read_csv(list(paths), **kwargs)
    try:
        return con.read_csv(paths)
    except NotImplementedError:
        raise EngineError(
            f"the {name} engine cannot read local CSV files ({paths[0]}); load them into the "
            "warehouse and use `table: schema.name` for this source"
        ) from None


def read_parquet(con, paths, *, table_name: str | None = None) -> ibis.Table:
    """Parquet files (or a Parquet directory) as one table; timestamps keep instant/local meaning.

    Spark maps both instant and wall-clock Parquet timestamps to one ibis type, so instants
    (Spark ``TIMESTAMP``) are re-typed as ``timestamp('UTC')`` here; wall-clock values
    (``TIMESTAMP_NTZ``) stay naive, as on DuckDB.
    """
    paths = [str(p) for p in paths] if isinstance(paths, (list, tuple)) else [str(paths)]
    name = backend_name(con)
    if name != "pyspark":
        return con.read_parquet(
            paths if len(paths) > 1 else paths[0],
            **({"table_name": table_name} if table_name else {}),
        )
    from pyspark.sql import types as pt

    session = con._session  # the ibis pyspark backend keeps its SparkSession here
    sdf = session.read.parquet(*paths)
    view = table_name or ibis.util.gen_name("read_parquet")
    sdf.createOrReplaceTempView(view)
    t = con.table(view)
    instants = [f.name for f in sdf.schema.fields if isinstance(f.dataType, pt.TimestampType)]
    return t.cast({c: TS_UTC for c in instants}) if instants else t


def write_parquet(con, expr: ibis.Table, path: str | Path) -> None:
    """Execute ``expr`` in the engine and write the rows as Parquet (a directory on Spark).

    DuckDB under a memory cap can run out of memory in a wide aggregation even though it
    spills (each thread holds its own hash tables; measured: 1 run in 3 of ``user_day`` at
    21M events under 1 GB). Such a write is retried once on a single thread, which spills
    reliably, at about 1.5x the time.
    """
    try:
        con.to_parquet(expr, str(path))
    except Exception as e:  # noqa: BLE001 - only DuckDB's out-of-memory error is retried
        if backend_name(con) != "duckdb" or "Out of Memory" not in str(e):
            raise
        threads = con.raw_sql("SELECT current_setting('threads')").fetchall()[0][0]
        Path(path).unlink(missing_ok=True)
        con.raw_sql("SET threads = 1")
        try:
            con.to_parquet(expr, str(path))
        finally:
            con.raw_sql(f"SET threads = {int(threads)}")


def engine_table(con, ref: str, *, label: str, table: str) -> ibis.Table:
    """A table that already lives in the engine, named ``db.table`` (or ``catalog.db.table``)."""
    parts = ref.split(".")
    try:
        if len(parts) == 1:
            return con.table(parts[0])
        return con.table(parts[-1], database=tuple(parts[:-1]) if len(parts) > 2 else parts[0])
    except Exception as e:  # noqa: BLE001 - table not found, permissions
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise DataError(
            f"source '{label}' ({table}): table {ref!r} is not readable in the {backend_name(con)} "
            f"engine ({first}); check `table:` for this source and the engine's database"
        ) from None


class CacheStore:
    """Where a cache's tables live: Parquet files in a folder (DuckDB, Spark), or tables
    created in the engine itself (warehouses reached by URL).

    Parameters
    ----------
    con : ibis backend
    folder : Path
        The cache folder (Parquet files; metadata JSON is always written here).
    key : str
        The cache key; names the engine tables of a warehouse cache (``persona_<key>_<name>``).
    """

    def __init__(self, con, folder: Path, key: str):
        self.con = con
        self.folder = Path(folder)
        self.key = key
        self.in_files = backend_name(con) in FILE_BACKENDS

    def _table_name(self, name: str) -> str:
        return f"persona_{self.key}_{name}"

    def write(self, expr: ibis.Table, name: str) -> ibis.Table:
        """Materialize ``expr`` under ``name`` and return a table reading the stored rows."""
        if self.in_files:
            path = self.folder / f"{name}.parquet"
            write_parquet(self.con, expr, path)
            return read_parquet(self.con, path, table_name=f"pk_{self.key}_{name}")
        self.drop(
            name
        )  # ibis' own overwrite/drop spelling is broken with sqlglot 30 (empty DROP TABLE)
        return self.con.create_table(self._table_name(name), expr)

    def open(self, name: str) -> ibis.Table | None:
        """The stored table ``name``, or None if it was not written."""
        if self.in_files:
            path = self.folder / f"{name}.parquet"
            return read_parquet(self.con, path, table_name=name) if path.exists() else None
        try:  # (not list_tables: ibis 12's DuckDB listing calls an API DuckDB 2 removed)
            return self.con.table(self._table_name(name))
        except Exception:  # noqa: BLE001 - each backend raises its own "table not found"
            return None

    def drop(self, name: str) -> None:
        """Remove a stored intermediate table."""
        if self.in_files:
            path = self.folder / f"{name}.parquet"
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(
                missing_ok=True
            )
        else:  # portable SQL (ibis' drop_table renders an empty DROP with sqlglot 30); the name is ours
            self.con.raw_sql(f"DROP TABLE IF EXISTS {self._table_name(name)}")

"""The compute engine: the ibis connection, where cached tables live, and the few scalar
functions whose spelling differs between backends (timezone conversion, tolerant time parsing).

Everything else in the kit is plain ibis, so it runs wherever ibis runs. Only this module knows
backend names; add a backend by adding its spelling of these functions here.

Engines (``engine:`` in ``persona.yaml``, see :class:`helpers.core.config.EngineConfig`):

* ``duckdb`` (default): embedded, optional ``database:`` file, ``memory_limit:`` (spills to disk
  beyond it), ``threads:``.
* ``spark``: PySpark (``pip install 'persona-kit[spark]'``, Java 17), ``master:`` (default
  ``local[2]``) and extra Spark settings under ``conf:``.
* any ibis connection URL (``url: trino://user@host:8080/hive/web``, ``bigquery://project/dataset``,
  ``snowflake://...``): the warehouse a user already has. Cached tables are created in it.

Examples
--------
>>> from helpers.data import engine
>>> con = engine.connect()                                   # embedded DuckDB, UTC session
>>> engine.backend_name(con)
'duckdb'
>>> engine.strftime_to_java("%Y-%m-%d %H:%M:%S")
'yyyy-MM-dd HH:mm:ss'
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from urllib.parse import urlsplit

import ibis
import ibis.expr.datatypes as dt

from helpers.core.errors import ConfigError, EngineError

TS_UTC = dt.Timestamp(timezone="UTC")
SPARK_EXTRA = "pip install 'persona-kit[spark]'   (or `make setup-spark`)"
SPARK_DEFAULT_CONF = {
    "spark.sql.session.timeZone": "UTC",
    # try_cast / to_timestamp give NULL on bad text instead of failing the job (the kit counts
    # the NULLs and reports them with row numbers); Spark 4 turns ANSI mode on by default
    "spark.sql.ansi.enabled": "false",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
}
SPARK_LOCAL_CONF = {"spark.sql.shuffle.partitions": "8"}  # 200 tiny tasks per shuffle on a laptop
# backends that read and write files on the machine (or cluster file system) the kit runs on
FILE_BACKENDS = ("duckdb", "pyspark")


# --------------------------------------------------------------------------------------------------
# backend-specific spellings (ibis builtin functions: compiled by name, so only the backend that
# owns the name ever sees them)
# --------------------------------------------------------------------------------------------------
# DuckDB / PostgreSQL: timezone(tz, timestamptz) -> local wall clock; timezone(tz, timestamp) -> instant
@ibis.udf.scalar.builtin(name="timezone", signature=((dt.string, TS_UTC), dt.timestamp))
def _duck_to_local(tz, ts): ...


@ibis.udf.scalar.builtin(name="timezone", signature=((dt.string, dt.timestamp), TS_UTC))
def _duck_from_local(tz, ts): ...


@ibis.udf.scalar.builtin(name="try_strptime", signature=((dt.string, dt.string), dt.timestamp))
def _duck_try_strptime(text, fmt): ...


# Spark / Databricks: timestamps are instants shown in the session timezone (UTC here)
@ibis.udf.scalar.builtin(
    name="from_utc_timestamp", signature=((dt.timestamp, dt.string), dt.timestamp)
)
def _spark_to_local(ts, tz): ...


@ibis.udf.scalar.builtin(name="to_utc_timestamp", signature=((dt.timestamp, dt.string), TS_UTC))
def _spark_from_local(ts, tz): ...


@ibis.udf.scalar.builtin(name="to_timestamp", signature=((dt.string, dt.string), dt.timestamp))
def _spark_to_timestamp(text, fmt): ...


@ibis.udf.scalar.builtin(name="timestamp_millis", signature=((dt.int64,), dt.timestamp))
def _spark_timestamp_millis(ms): ...


# Snowflake: convert_timezone(source_tz, target_tz, timestamp_ntz)
@ibis.udf.scalar.builtin(
    name="convert_timezone", signature=((dt.string, dt.string, dt.timestamp), dt.timestamp)
)
def _snow_convert(src, tgt, ts): ...


@ibis.udf.scalar.builtin(name="try_to_timestamp", signature=((dt.string, dt.string), dt.timestamp))
def _snow_try_to_timestamp(text, fmt): ...


# BigQuery: DATETIME(timestamp, tz) -> local; TIMESTAMP(datetime, tz) -> instant
@ibis.udf.scalar.builtin(name="datetime", signature=((TS_UTC, dt.string), dt.timestamp))
def _bq_to_local(ts, tz): ...


@ibis.udf.scalar.builtin(name="timestamp", signature=((dt.timestamp, dt.string), TS_UTC))
def _bq_from_local(ts, tz): ...


# Trino: at_timezone(timestamptz, tz) -> local wall clock (cast to a plain timestamp);
# with_timezone(timestamp, tz) -> instant
@ibis.udf.scalar.builtin(
    name="at_timezone", signature=((TS_UTC, dt.string), dt.Timestamp(timezone="UTC"))
)
def _trino_at_timezone(ts, tz): ...


@ibis.udf.scalar.builtin(name="with_timezone", signature=((dt.timestamp, dt.string), TS_UTC))
def _trino_with_timezone(ts, tz): ...


SUPPORTED_TIME_BACKENDS = (
    "duckdb",
    "postgres",
    "pyspark",
    "databricks",
    "snowflake",
    "bigquery",
    "trino",
)

_JAVA_PATTERN = {  # strftime directive -> Java DateTimeFormatter letters (Spark, Snowflake differ)
    "Y": "yyyy",
    "y": "yy",
    "m": "MM",
    "d": "dd",
    "e": "d",
    "H": "HH",
    "I": "hh",
    "M": "mm",
    "S": "ss",
    "f": "SSSSSS",
    "p": "a",
    "b": "MMM",
    "h": "MMM",
    "B": "MMMM",
    "a": "EEE",
    "A": "EEEE",
    "j": "DDD",
    "z": "Z",
    "Z": "z",
    "%": "%",
}


def strftime_to_java(fmt: str) -> str:
    """Translate a strftime pattern to a Java ``DateTimeFormatter`` pattern (Spark's dialect).

    Letters outside directives are quoted; the common directives (``%Y %y %m %d %e %H %I %M %S
    %f %p %b %B %a %A %j %z %Z %%``) are supported.

    Raises
    ------
    ConfigError
        For a directive Spark has no equivalent of, naming it.

    Examples
    --------
    >>> strftime_to_java("%Y%m%d")
    'yyyyMMdd'
    >>> strftime_to_java("%d/%m/%Y at %H:%M")
    "dd/MM/yyyy 'at' HH:mm"
    """
    out, literal, i = [], [], 0

    def flush():
        if literal:
            text = "".join(literal)
            out.append(
                re.sub(r"([A-Za-z']+)", lambda m: "'" + m.group(1).replace("'", "''") + "'", text)
            )
            literal.clear()

    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            d = fmt[i + 1]
            if d not in _JAVA_PATTERN:
                raise ConfigError(
                    f"time_format {fmt!r}: the directive %{d} has no Spark (Java) equivalent here; use one of "
                    f"{' '.join('%' + k for k in _JAVA_PATTERN)}"
                )
            if d == "%":
                literal.append("%")
            else:
                flush()
                out.append(_JAVA_PATTERN[d])
            i += 2
        else:
            literal.append(ch)
            i += 1
    flush()
    return "".join(out)


def _strftime_to_snowflake(fmt: str) -> str:
    table = {
        "Y": "YYYY",
        "y": "YY",
        "m": "MM",
        "d": "DD",
        "H": "HH24",
        "I": "HH12",
        "M": "MI",
        "S": "SS",
        "f": "FF6",
        "p": "AM",
        "b": "MON",
        "B": "MMMM",
        "a": "DY",
        "z": "TZHTZM",
        "%": "%",
    }
    return re.sub(r"%(.)", lambda m: table.get(m.group(1), m.group(0)), fmt)


def backend_name(obj) -> str:
    """Name of the ibis backend of a connection or of an expression bound to its tables."""
    if (
        hasattr(obj, "name")
        and isinstance(getattr(obj, "name", None), str)
        and hasattr(obj, "list_tables")
    ):
        return obj.name
    try:
        return ibis.get_backend(obj).name
    except Exception:  # noqa: BLE001 - unbound expressions compile for the default backend
        return "duckdb"


def _unsupported(name: str, what: str) -> EngineError:
    return EngineError(
        f"the {name} backend has no spelling of {what} in helpers/data/engine.py yet; supported: "
        f"{', '.join(SUPPORTED_TIME_BACKENDS)} (add one there, it is a one-line function)"
    )


def to_local(ts: ibis.Value, tz: str) -> ibis.Value:
    """Wall-clock time in ``tz`` of the UTC instant ``ts`` (a naive timestamp)."""
    name = backend_name(ts)
    if name in ("duckdb", "postgres"):
        return _duck_to_local(tz, ts.cast(TS_UTC))
    if name in ("pyspark", "databricks"):
        return _spark_to_local(ts.cast(dt.timestamp), tz)
    if name == "snowflake":
        return _snow_convert("UTC", tz, ts.cast(dt.timestamp))
    if name == "bigquery":
        return _bq_to_local(ts.cast(TS_UTC), tz)
    if name == "trino":
        return _trino_at_timezone(ts.cast(TS_UTC), tz).cast(dt.timestamp)
    raise _unsupported(name, "timezone conversion")


def from_local(ts: ibis.Value, tz: str) -> ibis.Value:
    """The UTC instant of the naive wall-clock timestamp ``ts`` read in ``tz``."""
    name = backend_name(ts)
    if name in ("duckdb", "postgres"):
        return _duck_from_local(tz, ts.cast(dt.timestamp))
    if name in ("pyspark", "databricks"):
        return _spark_from_local(ts.cast(dt.timestamp), tz)
    if name == "snowflake":
        return _snow_convert(tz, "UTC", ts.cast(dt.timestamp)).cast(TS_UTC)
    if name == "bigquery":
        return _bq_from_local(ts.cast(dt.timestamp), tz)
    if name == "trino":
        return _trino_with_timezone(ts.cast(dt.timestamp), tz)
    raise _unsupported(name, "timezone conversion")


def from_epoch_ms(ms: ibis.Value) -> ibis.Value:
    """The UTC instant ``ms`` milliseconds after 1970-01-01 (an int64 expression)."""
    if backend_name(ms) in ("pyspark", "databricks"):
        return _spark_timestamp_millis(ms.cast(dt.int64)).cast(TS_UTC)
    return ms.cast(dt.int64).as_timestamp("ms").cast(TS_UTC)


def strip_text(text: ibis.StringValue) -> ibis.StringValue:
    """``text`` without surrounding whitespace, trimming only the values that need it.

    Trimming with a character set is costly (about 130 ns a value in DuckDB, a quarter of the
    cost of mapping an event row); a test of the first and last character is not. Values
    whose ends are not blank, control or empty (``<= ' '``) come back unchanged.
    """
    needs = (text.left(1) <= " ") | (text.right(1) <= " ")
    return ibis.ifelse(needs, text.strip(), text)


def local_day(ts: ibis.Value, tz: str) -> ibis.Value:
    """Calendar date in ``tz`` of the UTC instant ``ts`` (the business day)."""
    return to_local(ts, tz).date()


def try_strptime(text: ibis.Value, fmt: str) -> ibis.Value:
    """Parse text with a strftime pattern; NULL where it does not match."""
    name = backend_name(text)
    text = text.cast("string")
    if name in ("duckdb",):
        return _duck_try_strptime(text, fmt)
    if name in ("pyspark", "databricks"):
        # with ANSI mode off (set by connect) to_timestamp gives NULL on a mismatch
        return _spark_to_timestamp(text, strftime_to_java(fmt))
    if name == "snowflake":
        return _snow_try_to_timestamp(text, _strftime_to_snowflake(fmt))
    if name in ("bigquery", "postgres", "trino"):
        raise EngineError(
            f"time_format {fmt!r} on {name}: parse the column in a view (or use ISO 8601 "
            "text or epoch values) - the kit has no tolerant strptime spelling for this backend"
        )
    raise _unsupported(name, "strptime")


# --------------------------------------------------------------------------------------------------
# connections
# --------------------------------------------------------------------------------------------------
def connect(
    config=None,
    *,
    database: str | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | None = None,
):
    """Open the configured engine with UTC as the session timezone.

    Parameters
    ----------
    config : EngineConfig, optional
        ``engine:`` of ``persona.yaml`` (default: embedded DuckDB). The keyword arguments
        below override its DuckDB settings.
    database : str, optional
        A DuckDB file; default in-memory.
    memory_limit : str, optional
        e.g. ``"4GB"``; beyond it DuckDB spills to ``temp_directory``.
    threads : int, optional
        Worker threads (default: all cores).
    temp_directory : str, optional
        Where DuckDB spills.

    Returns
    -------
    ibis backend

    Raises
    ------
    EngineError
        When the engine's package is not installed (says which extra to install) or the engine
        cannot be reached (says what to check).
    """
    kind = getattr(config, "kind", "duckdb") if config is not None else "duckdb"
    if kind == "spark":
        return _connect_spark(config)
    if kind == "url":
        return _connect_url(config.url)
    return _connect_duckdb(
        database=database or getattr(config, "database", None),
        memory_limit=memory_limit or getattr(config, "memory_limit", None),
        threads=threads or getattr(config, "threads", None),
        temp_directory=temp_directory,
    )


def _connect_duckdb(*, database, memory_limit, threads, temp_directory):
    try:
        con = ibis.duckdb.connect(database or ":memory:")
    except ImportError:  # pragma: no cover - duckdb is a core dependency
        raise EngineError(
            "engine 'duckdb' needs the duckdb package: reinstall with `make setup` "
            "(pip install persona-kit)"
        ) from None
    except Exception as e:  # noqa: BLE001 - e.g. a database file locked by another process
        raise EngineError(
            f"could not open DuckDB database {database or ':memory:'} ({str(e).splitlines()[0]}); "
            "check `engine.database` in persona.yaml and that no other process holds the file"
        ) from None
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
    # Bulk work need not keep row order, and keeping it makes large COPY/GROUP BY hold rows in
    # memory (out of memory at 127M events under a 1 GB cap). Error messages that quote row
    # numbers switch it back on for their one query (see ordered_rows).
    con.raw_sql("SET preserve_insertion_order = false")
    return con


def ordered_rows(expr) -> None:
    """Make the next query on ``expr``'s engine return rows in file order (DuckDB), so row numbers
    quoted in error messages match the file. Other engines: nothing to do."""
    if backend_name(expr) == "duckdb":
        try:
            expr._find_backend().raw_sql("SET preserve_insertion_order = true")
        except Exception:  # noqa: BLE001 - best effort: only the quoted row numbers depend on it
            pass


def _connect_spark(config):
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(
            f"engine 'spark' needs PySpark, which is not installed: {SPARK_EXTRA}; "
            "Spark also needs Java 17 (`java -version`)"
        ) from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise EngineError(
            "engine 'spark' needs Java (17): no `java` on PATH and JAVA_HOME is not set; "
            "install a JDK (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )
    master = getattr(config, "master", None) or "local[2]"
    conf = dict(SPARK_DEFAULT_CONF)
    if master.startswith("local"):
        conf.update(SPARK_LOCAL_CONF)
    conf.update({str(k): str(v) for k, v in (getattr(config, "conf", None) or {}).items()})
    builder = SparkSession.builder.master(master).appName("persona-kit")
    for k, v in conf.items():
        builder = builder.config(k, v)
    try:
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        for (
            k,
            v,
        ) in conf.items():  # a session that already existed keeps its own settings otherwise
            if k.startswith("spark.sql."):
                session.conf.set(k, v)
        con = ibis.pyspark.connect(session)
    except Exception as e:  # noqa: BLE001 - JVM start-up, cluster connection
        first = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
        raise EngineError(
            f"could not start Spark with master {master!r}: {first}; check `engine.master` in "
            "persona.yaml, that Java 17 is installed (`java -version`) and, for a cluster, that it "
            "is reachable from this machine"
        ) from None
    return con


def _connect_url(url: str):
    scheme = urlsplit(url).scheme.split("+")[0]
    shown = re.sub(r"//[^@/]*@", "//***@", url)  # never print credentials
    try:
        return ibis.connect(url)
    except (ImportError, ModuleNotFoundError) as e:
        raise EngineError(
            f"engine URL {shown}: the ibis backend for {scheme!r} is not installed ({e}); "
            f"pip install 'ibis-framework[{scheme}]' in the kit's environment"
        ) from None
    except Exception as e:  # noqa: BLE001 - network, credentials, unknown scheme
        first = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
        raise EngineError(
            f"could not connect to the engine at {shown}: {first}; check the host, port, "
            "credentials and that the warehouse is reachable from this machine"
        ) from None


def close(con) -> None:
    """Release a connection. A Spark session is kept: it is shared and costly to restart."""
    if backend_name(con) == "duckdb":
        con.disconnect()


@contextlib.contextmanager
def temporary(expr: ibis.Table, prefix: str = "_pk_tmp"):
    """``expr`` computed once into a temporary table of its engine, dropped on exit.

    For a result several queries read (the month's sessions of the paths report, say). An
    engine that cannot create one gets the expression itself (each query then recomputes it).
    ``Table.cache`` is not used: its release fails on DuckDB with the pinned ibis.
    """
    con = expr._find_backend()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        table = con.create_table(name, expr, temp=True)
    except (NotImplementedError, AttributeError):
        yield expr
        return
    try:
        yield table
    finally:
        if backend_name(con) == "duckdb":
            con.raw_sql(f'DROP TABLE IF EXISTS "{name}"')
        else:
            con.drop_table(name, force=True)

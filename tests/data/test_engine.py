"""The engine layer without Spark: config of ``engine:``, clear errors for missing or unreachable
engines, strftime -> Java patterns, the timezone spellings on DuckDB, the cache store, and
sources that are tables already living in the engine."""

from __future__ import annotations

import datetime as dt
import sys

import duckdb
import ibis
import pandas as pd
import pytest

from helpers.core.config import EngineConfig, load_config
from helpers.core.errors import ConfigError, EngineError
from helpers.data import engine, storage
from helpers.data.pipeline import load_project


# --- strftime -> Java (Spark) ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "fmt, java",
    [
        ("%Y%m%d", "yyyyMMdd"),
        ("%Y-%m-%d %H:%M:%S", "yyyy-MM-dd HH:mm:ss"),
        ("%d/%m/%y %I:%M %p", "dd/MM/yy hh:mm a"),
        ("%Y-%m-%dT%H:%M:%S.%f%z", "yyyy-MM-dd'T'HH:mm:ss.SSSSSSZ"),
        ("%d %b %Y at %H:%M", "dd MMM yyyy 'at' HH:mm"),
        ("%Y%% %j", "yyyy% DDD"),
    ],
)
def test_strftime_to_java(fmt, java):
    assert engine.strftime_to_java(fmt) == java


def test_strftime_directive_without_java_equivalent_is_named():
    with pytest.raises(ConfigError, match=r"time_format '%Y-%U'.*%U"):
        engine.strftime_to_java("%Y-%U")


# --- engine: in persona.yaml -----------------------------------------------------------------------
def _cfg(tmp_path, engine_yaml: str, source: str = "{path: e.csv}"):
    (tmp_path / "e.csv").write_text("user_id,event_time,event_name\nu1,2026-01-01 10:00:00,x\n")
    (tmp_path / "persona.yaml").write_text(f"sources:\n  events: {source}\n{engine_yaml}")
    return load_config(tmp_path / "persona.yaml")


def test_engine_config_forms(tmp_path):
    assert _cfg(tmp_path, "").engine.kind == "duckdb"
    spark = _cfg(tmp_path, "engine: spark\n").engine
    assert (spark.kind, spark.master, spark.conf) == ("spark", "local[2]", {})
    spark = _cfg(
        tmp_path,
        "engine: {kind: spark, master: 'spark://h:7077', conf: {spark.executor.memory: 8g}}\n",
    ).engine
    assert (spark.master, spark.conf) == ("spark://h:7077", {"spark.executor.memory": "8g"})
    url = _cfg(tmp_path, "engine: 'trino://me@host:8080/hive/web'\n").engine
    assert (url.kind, url.url) == ("url", "trino://me@host:8080/hive/web")
    assert _cfg(tmp_path, "engine: {url: 'bigquery://proj/ds'}\n").engine.kind == "url"
    duck = _cfg(tmp_path, "engine: {memory_limit: 4GB, database: shop.duckdb}\n").engine
    assert (duck.kind, duck.memory_limit, duck.database) == ("duckdb", "4GB", "shop.duckdb")


@pytest.mark.parametrize(
    "text, fragment",
    [
        (
            "engine: {memory_limit: lots}\n",
            r"key 'engine.memory_limit': must be a size such as '4GB'.*'lots'",
        ),
        ("engine: oracle\n", r"key 'engine.kind'"),
        ("engine: {kind: url}\n", r"kind 'url' needs `url:`"),
    ],
)
def test_engine_config_errors_name_the_key(tmp_path, text, fragment):
    with pytest.raises(ConfigError, match=fragment):
        _cfg(tmp_path, text)


def test_source_needs_path_or_table(tmp_path):
    with pytest.raises(
        ConfigError, match=r"sources.events\[0\].*exactly one of `path:`.*`table:`"
    ):
        _cfg(tmp_path, "", "{path: e.csv, table: db.events}")
    cfg = _cfg(tmp_path, "", "{table: shop.events}")
    assert cfg.source_items()[0][1] == "events" and cfg.sources.events[0].table == "shop.events"


def test_missing_pyspark_says_which_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(
        EngineError, match=r"PySpark, which is not installed: pip install 'persona-kit\[spark\]'"
    ):
        engine.connect(EngineConfig(kind="spark"))


def test_missing_java_says_what_to_check(monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(
        EngineError, match=r"needs Java \(17\): no `java` on PATH and JAVA_HOME is not set"
    ):
        engine.connect(EngineConfig(kind="spark"))


def test_url_engine_errors_hide_credentials():
    with pytest.raises(EngineError) as e:
        engine.connect(EngineConfig(url="snowflake://me:s3cret@acct/db/schema"))
    assert "pip install 'ibis-framework[snowflake]'" in str(e.value) and "s3cret" not in str(
        e.value
    )
    with pytest.raises(
        EngineError, match=r"could not connect to the engine at nosuch://x.*check the host"
    ):
        engine.connect(EngineConfig(url="nosuch://x"))


def test_unreadable_duckdb_file_names_the_key(tmp_path):
    (tmp_path / "not_a_db.duckdb").write_text("plain text, not a database")
    with pytest.raises(
        EngineError, match=r"could not open DuckDB database .*not_a_db.duckdb.*engine.database"
    ):
        engine.connect(EngineConfig(database=str(tmp_path / "not_a_db.duckdb")))


# --- the scalar spellings on DuckDB ----------------------------------------------------------------
def test_timezone_spellings_on_duckdb(tmp_path):
    con = engine.connect()
    pd.DataFrame(
        {
            "ts": pd.to_datetime(["2026-01-31 23:30", "2026-01-21 04:30"], utc=True),
            "naive": pd.to_datetime(
                ["2026-01-20 23:30", "2026-03-08 02:30"]
            ),  # the 2nd: NY spring-forward gap
            "ms": [1769902200000, 0],
            "text": ["20260120 23:30", "bad"],
        }
    ).to_parquet(tmp_path / "t.parquet")
    t = storage.read_parquet(con, tmp_path / "t.parquet")
    out = t.select(
        sh_day=engine.local_day(t.ts, "Asia/Shanghai"),
        ny_day=engine.local_day(t.ts, "America/New_York"),
        ny_instant=engine.from_local(t.naive, "America/New_York"),
        epoch=engine.from_epoch_ms(t.ms),
        parsed=engine.try_strptime(t.text, "%Y%m%d %H:%M"),
    ).execute()
    # 23:30 UTC Jan 31 = 07:30 Feb 1 Shanghai; 04:30 UTC Jan 21 = 23:30 Jan 20 New York
    assert [str(d) for d in pd.to_datetime(out.sh_day).dt.date] == ["2026-02-01", "2026-01-21"]
    assert [str(d) for d in pd.to_datetime(out.ny_day).dt.date] == ["2026-01-31", "2026-01-20"]
    assert pd.Timestamp(out.ny_instant[0]) == pd.Timestamp("2026-01-21 04:30", tz="UTC")
    assert pd.Timestamp(out.epoch[0]) == pd.Timestamp("2026-01-31 23:30", tz="UTC")
    assert pd.Timestamp(out.epoch[1]) == pd.Timestamp("1970-01-01", tz="UTC")
    assert pd.Timestamp(out.parsed[0]) == pd.Timestamp("2026-01-20 23:30") and pd.isna(
        out.parsed[1]
    )
    assert engine.backend_name(t.ts) == engine.backend_name(con) == "duckdb"


def test_spark_sql_uses_spark_functions():
    """What the Spark dialect receives (compiled without a session)."""
    import ibis.backends.sql.compilers.pyspark as sparkc

    t = ibis.table({"ts": "timestamp('UTC')", "text": "string"}, name="t")
    sql = str(
        sparkc.compiler.to_sqlglot(
            t.select(
                a=engine._spark_to_local(t.ts.cast("timestamp"), "Asia/Shanghai"),
                b=engine._spark_to_timestamp(t.text, engine.strftime_to_java("%Y%m%d")),
            )
        ).sql("spark")
    )
    assert (
        "FROM_UTC_TIMESTAMP(" in sql.upper()
        and "TO_TIMESTAMP(" in sql.upper()
        and "'yyyyMMdd'" in sql
    )


# Each warehouse's documented signature, as the compiled SQL must spell it (ibis opens Postgres,
# Snowflake and Trino sessions in UTC, so a naive UTC value and an instant agree there):
#   Postgres   timezone(zone, timestamptz) -> local wall clock; timezone(zone, timestamp) -> instant
#   Snowflake  convert_timezone(source_tz, target_tz, timestamp_ntz)
#   BigQuery   DATETIME(timestamp, zone) -> local; TIMESTAMP(datetime, zone) -> instant
#   Trino      at_timezone(timestamp with time zone, zone); with_timezone(timestamp, zone)
#   Databricks from_utc_timestamp(ts, zone); to_utc_timestamp(ts, zone)
WAREHOUSE_SPELLINGS = {
    "postgres": (
        'TIMEZONE(\'Asia/Shanghai\', "t0"."ts")',
        'TIMEZONE(\'Asia/Shanghai\', "t0"."naive")',
    ),
    "snowflake": (
        "CONVERT_TIMEZONE('UTC', 'Asia/Shanghai', CAST(\"t0\".\"ts\" AS TIMESTAMP))",
        "CONVERT_TIMEZONE('Asia/Shanghai', 'UTC', \"t0\".\"naive\")",
    ),
    "bigquery": (
        "DATETIME(`t0`.`ts`, 'Asia/Shanghai')",
        "TIMESTAMP(`t0`.`naive`, 'Asia/Shanghai')",
    ),
    "trino": (
        'CAST(AT_TIMEZONE("t0"."ts", \'Asia/Shanghai\') AS TIMESTAMP)',
        'WITH_TIMEZONE("t0"."naive", \'Asia/Shanghai\')',
    ),
    "databricks": (
        "FROM_UTC_TIMESTAMP(CAST(`t0`.`ts` AS TIMESTAMP), 'Asia/Shanghai')",
        "TO_UTC_TIMESTAMP(CAST(`t0`.`naive` AS TIMESTAMP), 'Asia/Shanghai')",
    ),
}


@pytest.mark.parametrize("name", sorted(WAREHOUSE_SPELLINGS))
def test_warehouse_timezone_spellings_compile_to_the_documented_signatures(name, monkeypatch):
    """No warehouse runs here, so the SQL each one would receive is compiled and read: the
    function and its argument order (source zone before target zone, value before zone...)."""
    monkeypatch.setattr(engine, "backend_name", lambda _obj: name)
    t = ibis.table({"ts": "timestamp('UTC')", "naive": "timestamp"}, name="t")
    sql = ibis.to_sql(
        t.select(
            local=engine.to_local(t.ts, "Asia/Shanghai"),
            instant=engine.from_local(t.naive, "Asia/Shanghai"),
            day=engine.local_day(t.ts, "Asia/Shanghai"),
        ),
        dialect=name,
    )
    to_local, from_local = WAREHOUSE_SPELLINGS[name]
    assert to_local in sql and from_local in sql
    assert sql.count(to_local) == 2  # the business day is the date of the local wall clock


def test_warehouse_strptime_spellings(monkeypatch):
    """Snowflake parses a time_format with its own pattern letters; the backends without a tolerant
    strptime say so, naming the format and what to do instead."""
    t = ibis.table({"text": "string"}, name="t")
    monkeypatch.setattr(engine, "backend_name", lambda _obj: "snowflake")
    sql = ibis.to_sql(
        t.select(p=engine.try_strptime(t.text, "%Y%m%d %H:%M:%S")), dialect="snowflake"
    )
    # (sqlglot re-cases the pattern, 'yyyymmDD hh24:mi:ss'; Snowflake's format elements ignore case)
    assert 'TRY_TO_TIMESTAMP("T0"."TEXT", \'YYYYMMDD HH24:MI:SS\')' in sql.upper()
    for name in ("bigquery", "postgres", "trino"):
        monkeypatch.setattr(engine, "backend_name", lambda _obj, _n=name: _n)
        with pytest.raises(
            EngineError, match=rf"time_format '%Y%m%d' on {name}: parse the column in a view"
        ):
            engine.try_strptime(t.text, "%Y%m%d")


# --- cache store -----------------------------------------------------------------------------------
def test_cache_store_parquet_and_engine_tables(tmp_path):
    con = engine.connect()
    pd.DataFrame({"user_id": ["a", "b", "b"], "n": [1, 2, 3]}).to_parquet(tmp_path / "in.parquet")
    expr = storage.read_parquet(con, tmp_path / "in.parquet")
    files = storage.CacheStore(con, tmp_path, "k1")
    assert files.in_files
    t = files.write(expr.group_by("user_id").aggregate(n=expr.n.sum()), "agg")
    assert (tmp_path / "agg.parquet").exists() and dict(
        t.order_by("user_id").execute().values.tolist()
    ) == {"a": 1, "b": 5}
    assert files.open("missing") is None and files.open("agg").count().execute() == 2
    files.drop("agg")
    assert not (tmp_path / "agg.parquet").exists()
    # a warehouse keeps the cache as tables in the engine itself, named by the cache key
    tables = storage.CacheStore(con, tmp_path, "k2")
    tables.in_files = False
    tables.write(expr, "events")
    tables.write(expr, "events")  # rewriting replaces
    assert (
        con.table("persona_k2_events").n.sum().execute() == 6
        and tables.open("events").count().execute() == 3
    )
    tables.drop("events")
    assert tables.open("events") is None


# --- sources that are tables already in the engine ---------------------------------------------------
def test_source_table_in_a_duckdb_file(tmp_path):
    db = tmp_path / "store.duckdb"
    raw = duckdb.connect(str(db))
    raw.execute("CREATE SCHEMA shop")
    raw.execute(
        "CREATE TABLE shop.events AS SELECT * FROM (VALUES "
        "('u1', TIMESTAMPTZ '2026-01-31 23:30:00+00', 'View'), "  # day Feb 1 in Shanghai
        "('u1', TIMESTAMPTZ '2026-02-01 02:00:00+00', 'buy'), "  # same business day
        "('u2', TIMESTAMPTZ '2026-02-01 16:30:00+00', 'view'), "  # 00:30 Feb 2 local
        "('u2', TIMESTAMPTZ '2026-02-01 16:30:00+00', 'view')) "  # logging duplicate
        "AS v(uid, ts, action)"
    )
    raw.close()
    (tmp_path / "persona.yaml").write_text(
        "timezone: Asia/Shanghai\ncache_dir: cache\nengine: {database: store.duckdb}\nsources:\n  events:\n"
        "    - {table: shop.events, columns: {user_id: uid, event_time: ts, event_name: action}}\n"
    )
    p = load_project(tmp_path / "persona.yaml")
    s = p.audit.to_json()["sources"]["events"]
    assert (s["rows_in"], s["rows_kept"], s["dropped"]["duplicate"]) == (4, 3, 1)
    assert s["checks"]["event_name_variant"] == 1
    ud = p.user_day.order_by(["user_id", "day"]).execute()
    assert ud[["user_id", "events"]].values.tolist() == [["u1", 2], ["u2", 1]]
    assert [str(d) for d in pd.to_datetime(ud["day"]).dt.date] == ["2026-02-01", "2026-02-02"]
    assert p.tables["events"].count().execute() == 3 and dt.date(2026, 2, 2) == p.data_end


# --- out-of-memory retry ---------------------------------------------------------------------------
def test_parquet_write_retries_out_of_memory_on_one_thread(tmp_path, monkeypatch):
    """A DuckDB out-of-memory error in a cache write is retried once, on one thread; the thread
    setting is restored and the file holds the rows. Any other error is raised unchanged."""
    con = engine.connect(threads=2)
    t = ibis.memtable({"a": [1, 2, 3]})
    real = type(con).to_parquet
    seen = []

    def flaky(self, expr, path, **kw):
        threads = self.con.execute("SELECT current_setting('threads')").fetchall()[0][0]
        seen.append(int(threads))
        if len(seen) == 1:
            raise duckdb.OutOfMemoryException(
                "Out of Memory Error: could not allocate block of size 256.0 KiB"
            )
        return real(self, expr, path, **kw)

    monkeypatch.setattr(type(con), "to_parquet", flaky)
    storage.write_parquet(con, t, tmp_path / "x.parquet")
    assert seen == [2, 1]
    assert con.con.execute("SELECT current_setting('threads')").fetchall()[0][0] == 2
    assert pd.read_parquet(tmp_path / "x.parquet")["a"].tolist() == [1, 2, 3]

    def broken(self, expr, path, **kw):
        raise duckdb.IOException("IO Error: disk full")

    monkeypatch.setattr(type(con), "to_parquet", broken)
    with pytest.raises(duckdb.IOException):
        storage.write_parquet(con, t, tmp_path / "y.parquet")


# --- trimming only what needs it -------------------------------------------------------------------
def test_strip_text_trims_blank_and_control_ends_only():
    con = engine.connect()
    vals = [" a ", "\tb\n", "c", "", "   ", None, "d e", "\x01f"]
    t = ibis.memtable({"v": vals})
    got = con.execute(t.select(s=engine.strip_text(t.v)))["s"].tolist()
    # the guard sends "\x01f" to the trim (code 1 <= ' '), which leaves it as it is (not whitespace)
    assert got == ["a", "b", "c", "", "", None, "d e", "\x01f"]


def test_time_valid_keeps_the_range_half_open_and_drops_missing_times(tmp_path):
    import datetime as _dt

    from helpers.data.cleaning_rules import time_valid as _time_valid

    (tmp_path / "persona.yaml").write_text(
        "name: t\ntimezone: Asia/Shanghai\nsources:\n  orders: {path: o.csv}\n"
        "audit: {valid_from: '2026-01-01', valid_until: '2026-02-01'}\n"
    )
    cfg = load_config(tmp_path / "persona.yaml")
    utc = _dt.UTC
    # local midnights in Shanghai: 2025-12-31 16:00 UTC and 2026-01-31 16:00 UTC
    ts = [
        _dt.datetime(2025, 12, 31, 15, 59, 59, tzinfo=utc),
        _dt.datetime(2025, 12, 31, 16, 0, tzinfo=utc),
        _dt.datetime(2026, 1, 31, 15, 59, 59, tzinfo=utc),
        _dt.datetime(2026, 1, 31, 16, 0, tzinfo=utc),
        None,
    ]
    t = ibis.memtable(pd.DataFrame({"event_time": pd.Series(ts, dtype="datetime64[us, UTC]")}))
    got = engine.connect().execute(t.select(ok=_time_valid(t, "event_time", cfg)))["ok"].tolist()
    assert [bool(x) if x is not None and x == x else None for x in got] == [
        False,
        True,
        True,
        False,
        None,
    ]

"""The same pipeline on local Spark gives DuckDB's answers, number for number.

Each module fixture builds one project twice, once per engine, from the same files (only
``engine:`` differs), and the tests compare what the notebooks stand on: the cleaning ledger,
``user_day``, DAU/WAU/MAU, lifecycle counts and the BTYD fields. The toy and the cdnow_dir config
also carry known answers (hand-worked days; lifetimes' published BTYD summary), checked on Spark.

Runs on ``local[2]`` with one shared SparkSession (PySpark is the ``spark`` extra; Java 17).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.activity.lifecycle import lifecycle
from helpers.analysis.activity.rolling import monthly_active, rolling_active
from helpers.analysis.features import btyd_summary
from helpers.core.config import load_config
from helpers.data import engine
from helpers.data.pipeline import load_project

from .test_pipeline import toy as _toy_fixture

pytestmark = pytest.mark.spark

SPARK_ENGINE = (
    "engine: {kind: spark, master: 'local[2]', conf: {spark.sql.shuffle.partitions: 2}}\n"
)


def _with_engine(config_path, out_dir, engine_yaml: str):
    """A copy of ``config_path`` in ``out_dir`` with absolute source paths and the given engine."""
    import yaml

    cfg = load_config(config_path)
    raw = yaml.safe_load(config_path.read_text())
    for table, label, src in cfg.source_items():
        entry = raw["sources"][table]
        if isinstance(entry, list):
            entry = next(e for e in entry if (e.get("name") or label) == label)
        entry["path"] = str(cfg.resolve(src.path))
    raw.pop("engine", None)
    raw["cache_dir"] = str(out_dir / "cache")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "persona.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False) + engine_yaml)
    return path


def _pair(config_path, tmp):
    duck = load_project(_with_engine(config_path, tmp / "duckdb", ""))
    spark = load_project(_with_engine(config_path, tmp / "spark", SPARK_ENGINE))
    assert (
        engine.backend_name(duck.con) == "duckdb" and engine.backend_name(spark.con) == "pyspark"
    )
    return duck, spark


def _frame(t, keys=("user_id", "day")) -> pd.DataFrame:
    df = t.execute()
    df["day"] = pd.to_datetime(df["day"])
    return df.sort_values(list(keys)).reset_index(drop=True)[sorted(df.columns)]


def assert_same_frames(a: pd.DataFrame, b: pd.DataFrame):
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    for c in a.columns:
        if pd.api.types.is_float_dtype(a[c]) or pd.api.types.is_float_dtype(b[c]):
            np.testing.assert_allclose(
                a[c].to_numpy(float), b[c].to_numpy(float), rtol=1e-12, atol=1e-9, err_msg=c
            )
        else:
            assert a[c].astype(str).tolist() == b[c].astype(str).tolist(), c


def _rounded(x):
    """Floats to 9 decimals: sums of money differ in the last bit with the summation order."""
    if isinstance(x, dict):
        return {k: _rounded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_rounded(v) for v in x]
    return round(x, 9) if isinstance(x, float) else x


def assert_same_audit(duck, spark):
    for key in ("sources", "identities", "orphans", "user_day", "event_names", "quality"):
        assert _rounded(spark.audit.to_json().get(key)) == _rounded(
            duck.audit.to_json().get(key)
        ), key


# -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def toy_pair(tmp_path_factory):
    cfg = _toy_fixture.__wrapped__(tmp_path_factory)
    return _pair(cfg, tmp_path_factory.mktemp("toy_engines"))


def test_toy_ledger_and_user_day_identical(toy_pair):
    duck, spark = toy_pair
    assert_same_audit(duck, spark)
    # hand counts (tests/test_pipeline.py): app 6 in -> 3 kept; web 4 in -> 3 kept
    app = spark.audit.to_json()["sources"]["app"]
    assert (app["rows_in"], app["rows_kept"]) == (6, 3)
    assert app["dropped"] == {
        "missing_time": 0,
        "time_out_of_range": 1,
        "duplicate": 1,
        "null_user_id": 1,
        "unstitched_anonymous": 0,
    }
    assert_same_frames(_frame(duck.user_day), _frame(spark.user_day))


def test_toy_timezone_edges_on_spark(toy_pair):
    _, spark = toy_pair
    ud = _frame(spark.user_day)
    days = {(r.user_id, r.day.date().isoformat()) for r in ud.itertuples()}
    # 07:30 Feb 1 Shanghai = 23:30 UTC Jan 31: business day Feb 1, not the UTC date
    assert ("u1", "2026-02-01") in days and ("u1", "2026-01-31") not in days
    # naive UTC web text 20:00 Jan 11 = 04:00 Jan 12 Shanghai; 23:30 local Jan 20 stays Jan 20
    assert ("u1", "2026-01-12") in days and ("u3", "2026-01-20") in days
    # ISO text with Z: 2026-01-16T00:00Z free order = 08:00 Jan 16 local
    assert ("u3", "2026-01-16") in days
    assert (
        spark.data_start.isoformat() == "2026-01-10" and spark.data_end.isoformat() == "2026-02-01"
    )


# -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_pair(tmp_path_factory):
    from helpers.sample.generator import generate_sample

    d = tmp_path_factory.mktemp("spark_sample") / "sample"
    generate_sample(d, users=300, months=4, seed=11)
    return _pair(d / "persona.yaml", tmp_path_factory.mktemp("sample_engines"))


def test_sample_ledger_identical(sample_pair):
    duck, spark = sample_pair
    assert_same_audit(duck, spark)
    assert all(s.balanced for s in spark.audit.sources.values())
    assert (
        spark.meta["data_start"] == duck.meta["data_start"]
        and spark.meta["data_end"] == duck.meta["data_end"]
    )


def test_sample_user_day_identical(sample_pair):
    duck, spark = sample_pair
    a, b = _frame(duck.user_day), _frame(spark.user_day)
    assert len(a) > 1000
    assert_same_frames(a, b)


def test_sample_active_users_lifecycle_btyd_identical(sample_pair):
    duck, spark = sample_pair
    month = duck.latest_complete_month()
    as_of = duck.data_end
    start = pd.Timestamp(f"{month}-01").date()
    for fn, kw, table in [
        (rolling_active, {"start": start, "end": as_of}, "daily"),
        (monthly_active, {"month": month, "history": 3}, "monthly"),
        (lifecycle, {"period": "week", "start": start, "end": as_of}, "periods"),
    ]:
        a = getattr(fn(duck.user_day, **kw), table)
        b = getattr(fn(spark.user_day, **kw), table)
        assert len(a) > 0
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    a = btyd_summary(duck.user_day, as_of=as_of)
    b = btyd_summary(spark.user_day, as_of=as_of)
    assert len(a) > 50
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-12)


# -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cdnow_pair(tmp_path_factory, cdnow_config):
    return _pair(cdnow_config, tmp_path_factory.mktemp("cdnow_engines"))


def test_cdnow_orders_only_on_spark_matches_duckdb_and_lifetimes(cdnow_pair, cdnow_dir):
    duck, spark = cdnow_pair
    assert_same_audit(duck, spark)
    s = spark.audit.to_json()["sources"]["orders"]
    assert (s["rows_in"], s["rows_kept"], s["checks"]["buyers"]) == (6919, 6919, 2357)
    expected = pd.read_csv(
        cdnow_dir / "expected_summary_days_1998-06-30.csv", dtype={"customer_id": str}
    )
    expected = expected.set_index("customer_id").sort_index()
    got = btyd_summary(spark.user_day, as_of="1998-06-30").reindex(expected.index)
    for col in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(
            got[col].to_numpy(float), expected[col].to_numpy(float), err_msg=col
        )
    np.testing.assert_allclose(
        got["monetary_value"].to_numpy(float),
        expected["monetary_value"].to_numpy(float),
        atol=1e-6,
    )
    assert_same_frames(_frame(duck.user_day), _frame(spark.user_day))


def test_strftime_pattern_and_new_york_late_evening_on_both_engines(tmp_path):
    """'%Y%m%d %H:%M' local text in New York: 23:30 on Jan 20 is 04:30 UTC on Jan 21 (UTC date
    the next day), business day Jan 20, on both engines; a row not in the pattern is reported."""
    from helpers.core.errors import DataError

    pd.DataFrame(
        {"uid": ["a", "b"], "t": ["20260120 23:30", "20260121 00:10"], "ev": ["x", "x"]}
    ).to_csv(tmp_path / "e.csv", index=False)
    src = "    - {path: e.csv, columns: {user_id: uid, event_time: t, event_name: ev}, time_format: '%Y%m%d %H:%M'}\n"
    (tmp_path / "persona.yaml").write_text(
        "timezone: America/New_York\ncache_dir: cache\nsources:\n  events:\n" + src
    )
    got = {}
    for name, eng in (("duckdb", ""), ("spark", SPARK_ENGINE)):
        p = load_project(_with_engine(tmp_path / "persona.yaml", tmp_path / name, eng))
        ev = p.tables["events"].execute().sort_values("user_id")
        got[name] = (
            pd.to_datetime(ev["event_time"], utc=True).dt.strftime("%Y-%m-%d %H:%M").tolist(),
            pd.to_datetime(ev["day"]).dt.strftime("%Y-%m-%d").tolist(),
        )
    assert (
        got["duckdb"]
        == got["spark"]
        == (["2026-01-21 04:30", "2026-01-21 05:10"], ["2026-01-20", "2026-01-21"])
    )
    pd.DataFrame(
        {"uid": ["a", "b"], "t": ["20260120 23:30", "2026-01-21"], "ev": ["x", "x"]}
    ).to_csv(tmp_path / "e.csv", index=False)
    for name, eng in (("duckdb2", ""), ("spark2", SPARK_ENGINE)):
        with pytest.raises(
            DataError, match=r"1 timestamps that are not the pattern '%Y%m%d %H:%M'.*'2026-01-21'"
        ):
            load_project(_with_engine(tmp_path / "persona.yaml", tmp_path / name, eng))


def test_offsets_per_value_and_non_finite_amounts_on_both_engines(tmp_path):
    """Issue 19 on both engines, in Shanghai (UTC+8): a date is its local midnight (16:00 UTC the
    day before); a naive value is Shanghai time, one with an offset that instant, wherever it
    is in the file; NaN and +-inf amounts are dropped as invalid, an empty one as missing."""
    rows = [
        ("o1", "u1", "2025-12-01", "10"),  # 2025-11-30 16:00 UTC, day Dec 1
        ("o2", "u2", "2025-12-02 08:00:00", "NaN"),
        ("o3", "u3", "2025-12-03T00:00:00Z", "inf"),
        ("o4", "u4", "2025-12-04", "-inf"),
        ("o5", "u5", "2025-12-05", ""),
        ("o6", "u6", "2025-12-05 10:00:00", "-4"),  # 02:00 UTC, a refund
        ("o7", "u7", "2025-12-05T10:00:00-05:00", "3"),  # 15:00 UTC = 23:00 local, day Dec 5
    ]
    pd.DataFrame(rows, columns=["order_id", "user_id", "order_time", "amount"]).to_csv(
        tmp_path / "orders.csv", index=False
    )
    (tmp_path / "persona.yaml").write_text(
        "timezone: Asia/Shanghai\ncache_dir: cache\nsources:\n  orders: {path: orders.csv}\n"
    )
    got = {}
    for name, eng in (("duckdb", ""), ("spark", SPARK_ENGINE)):
        p = load_project(_with_engine(tmp_path / "persona.yaml", tmp_path / name, eng))
        o = p.tables["orders"].execute().sort_values("order_id")
        s = p.audit.sources["orders"]
        got[name] = (
            s.dropped["invalid_amount"],
            s.dropped["missing_amount"],
            o["amount"].tolist(),
            pd.to_datetime(o["order_time"], utc=True).dt.strftime("%m-%d %H:%M").tolist(),
            pd.to_datetime(o["day"]).dt.strftime("%m-%d").tolist(),
        )
    assert (
        got["duckdb"]
        == got["spark"]
        == (
            3,
            1,
            [10.0, -4.0, 3.0],
            ["11-30 16:00", "12-05 02:00", "12-05 15:00"],
            ["12-01", "12-05", "12-05"],
        )
    )

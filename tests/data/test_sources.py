"""Bad input gets one clear sentence naming the file and the column, never a bare traceback."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from helpers.core.config import load_config
from helpers.core.errors import ConfigError, DataError
from helpers.data.pipeline import load_project


def write_config(d, orders_block: str, extra: str = "") -> str:
    p = d / "persona.yaml"
    p.write_text(
        f"name: Bad\ntimezone: UTC\ncache_dir: cache\nsources:\n  orders: {orders_block}\n{extra}"
    )
    return p


def orders_csv(d, rows, name="orders.csv", header="uid,paid_at,total"):
    (d / name).write_text(header + "\n" + "".join(r + "\n" for r in rows))


def test_missing_mapped_column_lists_columns_found(tmp_path):
    orders_csv(tmp_path, ["u1,2026-01-01,3.5"])
    cfg = write_config(
        tmp_path, "{path: orders.csv, columns: {user_id: uid, order_time: paid, amount: total}}"
    )
    with pytest.raises(DataError) as e:
        load_project(cfg)
    msg = str(e.value)
    assert (
        "order_time -> 'paid'" in msg and "Columns found in the file: uid, paid_at, total" in msg
    )
    assert "orders.csv" in msg


def test_unparseable_timestamps_show_values_and_rows(tmp_path):
    orders_csv(
        tmp_path, ["u1,2026-01-01,3.5", "u2,yesterday,1", "u3,2026-01-03,2", "u4,31/01/2026,4"]
    )
    cfg = write_config(
        tmp_path, "{path: orders.csv, columns: {user_id: uid, order_time: paid_at, amount: total}}"
    )
    with pytest.raises(DataError) as e:
        load_project(cfg)
    msg = str(e.value)
    assert "column 'paid_at' (order_time) has 2 timestamps" in msg
    assert "row 2: 'yesterday'" in msg and "row 4: '31/01/2026'" in msg


def test_strftime_pattern_reports_mismatches(tmp_path):
    orders_csv(tmp_path, ["u1,19970101,3.5", "u2,1997-01-02,1"])
    cfg = write_config(
        tmp_path,
        "{path: orders.csv, columns: {user_id: uid, order_time: paid_at, amount: total}, "
        "time_format: '%Y%m%d'}",
    )
    with pytest.raises(DataError, match=r"not the pattern '%Y%m%d': row 2: '1997-01-02'"):
        load_project(cfg)


def test_empty_file(tmp_path):
    (tmp_path / "orders.csv").write_text("")
    cfg = write_config(tmp_path, "{path: orders.csv}")
    with pytest.raises(DataError, match=r"orders\.csv is empty \(0 bytes\)"):
        load_project(cfg)


def test_header_only_file(tmp_path):
    orders_csv(tmp_path, [])
    cfg = write_config(
        tmp_path, "{path: orders.csv, columns: {user_id: uid, order_time: paid_at, amount: total}}"
    )
    with pytest.raises(DataError, match="holds a header but no data rows"):
        load_project(cfg)


def test_unknown_extension(tmp_path):
    (tmp_path / "orders.xlsx").write_text("not really")
    cfg = write_config(tmp_path, "{path: orders.xlsx}")
    with pytest.raises(
        DataError, match=r"unknown extension '\.xlsx'; expected one of \.csv, \.csv\.gz"
    ):
        load_project(cfg)


def test_glob_matching_nothing(tmp_path):
    cfg = write_config(tmp_path, "{path: 'exports/*.parquet'}")
    with pytest.raises(DataError, match=r"the glob 'exports/\*\.parquet' matched no files"):
        load_project(cfg)


def test_non_numeric_amount(tmp_path):
    orders_csv(
        tmp_path, ["u1,2026-01-01,3.5", "u2,2026-01-02,12,50"], header="uid,paid_at,total,extra"
    )
    orders_csv(tmp_path, ["u1,2026-01-01,3.5", "u2,2026-01-02,twelve", "u3,2026-01-02,$4"])
    cfg = write_config(
        tmp_path, "{path: orders.csv, columns: {user_id: uid, order_time: paid_at, amount: total}}"
    )
    with pytest.raises(DataError) as e:
        load_project(cfg)
    msg = str(e.value)
    assert "column 'total' (amount) must be numeric, but 2 values are not" in msg
    assert "row 2: 'twelve'" in msg and "row 3: '$4'" in msg


def test_epoch_column_without_time_format(tmp_path):
    pd.DataFrame({"uid": ["u1"], "ts": [1767225600000], "action": ["open"]}).to_parquet(
        tmp_path / "e.parquet"
    )
    p = tmp_path / "persona.yaml"
    p.write_text(
        "timezone: UTC\ncache_dir: cache\nsources:\n  events:\n"
        "    - {path: e.parquet, columns: {user_id: uid, event_time: ts, event_name: action}}\n"
    )
    with pytest.raises(
        DataError,
        match=r"holds numbers such as 1767225600000; set `time_format: epoch_s` or `epoch_ms`",
    ):
        load_project(p)


def test_gzip_csv_with_epoch_ms_reads(tmp_path):
    with gzip.open(tmp_path / "e.csv.gz", "wt") as f:
        f.write("uid,ts,action\nu1,1767225600000,open\n")  # 2026-01-01 00:00 UTC = 08:00 Shanghai
    p = tmp_path / "persona.yaml"
    p.write_text(
        "timezone: Asia/Shanghai\ncache_dir: cache\nsources:\n  events:\n"
        "    - {path: e.csv.gz, columns: {user_id: uid, event_time: ts, event_name: action}, time_format: epoch_ms}\n"
    )
    ud = load_project(p).user_day.execute()
    assert str(ud["day"].iloc[0])[:10] == "2026-01-01" and ud["active_events"].iloc[0] == 1


@pytest.mark.parametrize(
    "text, key, fragment",
    [
        ("timezone: Mars/Base\nsources: {orders: {path: o.csv}}\n", "timezone", "IANA timezone"),
        ("sources: {orders: {path: o.csv, colums: {}}}\n", "sources.orders.colums", "unknown key"),
        ("sources: {}\n", "sources", "at least one of 'events' or 'orders'"),
        (
            "sources: {orders: {path: o.csv, time_format: 'YYYYMMDD'}}\n",
            "sources.orders.time_format",
            "strftime pattern",
        ),
        (
            "churn: {inactive_days: -3}\nsources: {orders: {path: o.csv}}\n",
            "churn.inactive_days",
            "greater than 0",
        ),
    ],
)
def test_config_errors_name_file_and_key(tmp_path, text, key, fragment):
    p = tmp_path / "persona.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(p)
    msg = str(e.value)
    assert str(p) in msg and f"key '{key}'" in msg and fragment in msg


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_bad_tag_rule_is_named_at_load(tmp_path):
    p = tmp_path / "persona.yaml"
    p.write_text(
        "sources: {orders: {path: o.csv}}\n"
        "tags:\n- {name: whale, layer: value, rule: \"revenue >= __import__('os')\"}\n"
    )
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert str(p) in str(e.value) and "whale" in str(e.value)


def test_malformed_line_deep_in_a_csv_is_a_sentence(tmp_path):
    # past DuckDB's sniffing sample, so the bad row is met during the first full pass
    rows = ["uid,ts,action"] + [f"u{i},1767225600{i % 1000:03d},open" for i in range(60000)]
    rows += ["u9,1767225600000,open,EXTRA", "u8,1767225600000,open"]
    (tmp_path / "e.csv").write_text("\n".join(rows) + "\n")
    p = tmp_path / "persona.yaml"
    p.write_text(
        "timezone: UTC\ncache_dir: cache\nsources:\n  events:\n"
        "    - {path: e.csv, columns: {user_id: uid, event_time: ts, event_name: action}, time_format: epoch_ms}\n"
    )
    with pytest.raises(DataError) as e:
        load_project(p)
    msg = str(e.value)
    assert "could not read the sources" in msg and "Line: 60002" in msg and "e.csv" in msg
    assert not list((tmp_path / "cache").glob("*.building"))

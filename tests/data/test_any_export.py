"""Any export reads right (issue 19): date-only times keep their day west of UTC, offsets are
read per value wherever they appear in a file, non-finite amounts are dropped with a reason,
headerless files take their column names from the config, text in another encoding is decoded
(and text in the wrong one is named with its offset), and a mapped column named twice in a file
is an error. Every expected number is worked out by hand in the comments."""

from __future__ import annotations

import codecs
import datetime as dt
import gzip
import re

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers.core.config import load_config
from helpers.core.errors import ConfigError, DataError
from helpers.data import storage
from helpers.data.audit import DROP_REASONS
from helpers.data.pipeline import load_project
from helpers.data.sources import ISO_OFFSET
from helpers.display.text import t


def project_of(d, rows, *, timezone: str):
    """A project with one orders.csv (order_id,user_id,order_time,amount) in ``timezone``."""
    header = "order_id,user_id,order_time,amount\n"
    (d / "orders.csv").write_text(header + "".join(r + "\n" for r in rows))
    (d / "persona.yaml").write_text(
        f"name: Toy\ntimezone: {timezone}\ncache_dir: cache\nsources:\n  orders: {{path: orders.csv}}\n"
    )
    return load_project(d / "persona.yaml")


def utc(*args) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime(*args), tz="UTC")


@pytest.mark.parametrize(
    "text, has_offset",
    [
        ("2025-12-01", False),  # the "-01" is the day, not an offset
        ("2025-12-01 10:00:00", False),
        ("2025-12-01T10:00:00.123456", False),
        ("2025-12-01T10:00:00-05:00", True),
        ("2025-12-01 10:00Z", True),
        ("2025-12-01 10:00:00.5+0530", True),
        ("2025-12-01T10:00:00+08", True),
    ],
)
def test_an_offset_is_only_read_after_a_time_part(text, has_offset):
    assert bool(re.search(ISO_OFFSET, text)) is has_offset


def test_date_only_orders_keep_their_day_west_of_utc(tmp_path):
    p = project_of(
        tmp_path, ["o1,1,2025-12-01,10", "o2,2,2025-12-15,10"], timezone="America/New_York"
    )
    # local midnight in New York (UTC-5 in December) is 05:00 UTC, on the same day
    assert (p.data_start, p.data_end) == (dt.date(2025, 12, 1), dt.date(2025, 12, 15))
    orders = p.tables["orders"].execute().set_index("order_id")
    assert orders.loc["o1", "order_time"] == utc(2025, 12, 1, 5)
    assert orders.loc["o1", "day"] == pd.Timestamp("2025-12-01")
    assert p.audit.sources["orders"].time_range == (
        "2025-12-01T05:00:00+00:00",
        "2025-12-15T05:00:00+00:00",
    )


def test_an_offset_after_many_naive_rows_is_read_with_its_offset(tmp_path):
    # 3,000 naive rows (08:00 in Shanghai = 00:00 UTC), then one row with an offset: 10:00 at
    # UTC-5 is 15:00 UTC (23:00 in Shanghai), not 10:00 Shanghai time (02:00 UTC, 13 hours off)
    naive = [f"o{i},{i},2025-12-01 08:00:00,1" for i in range(3000)]
    p = project_of(
        tmp_path, [*naive, "late,9,2025-12-05T10:00:00-05:00,1"], timezone="Asia/Shanghai"
    )
    orders = p.tables["orders"].execute().set_index("order_id")
    assert orders.loc["late", "order_time"] == utc(2025, 12, 5, 15)
    assert orders.loc["late", "day"] == pd.Timestamp("2025-12-05")  # 23:00 local
    assert (orders.drop(index="late")["order_time"] == utc(2025, 12, 1, 0)).all()


def test_a_naive_value_after_many_offset_rows_is_read_in_the_project_timezone(tmp_path):
    # 3,000 rows in UTC ("Z"), then one naive row: 10:00 in Shanghai is 02:00 UTC, not 10:00 UTC
    aware = [f"o{i},{i},2025-12-01T00:00:00Z,1" for i in range(3000)]
    p = project_of(tmp_path, [*aware, "late,9,2025-12-05 10:00:00,1"], timezone="Asia/Shanghai")
    orders = p.tables["orders"].execute().set_index("order_id")
    assert orders.loc["late", "order_time"] == utc(2025, 12, 5, 2)
    assert (orders.drop(index="late")["order_time"] == utc(2025, 12, 1, 0)).all()


def test_non_finite_amounts_are_dropped_as_invalid_and_the_ledger_balances(tmp_path):
    rows = [
        "o1,1,2025-12-01,10",
        "o2,2,2025-12-02,NaN",  # invalid
        "o3,3,2025-12-03,inf",  # invalid
        "o4,4,2025-12-04,-inf",  # invalid
        "o5,5,2025-12-05,",  # missing
        "o6,6,2025-12-06,-4",  # a refund, kept
    ]
    p = project_of(tmp_path, rows, timezone="UTC")
    s = p.audit.sources["orders"]
    assert s.rows_in == 6 and s.rows_kept == 2 and s.balanced
    assert s.dropped["invalid_amount"] == 3 and s.dropped["missing_amount"] == 1
    # 4 of 6 rows dropped: 100 x (1 - 4/6)
    assert p.audit.quality.overall == 33.33
    amounts = p.tables["orders"].execute().set_index("order_id")["amount"]
    assert amounts.to_dict() == {"o1": 10.0, "o6": -4.0}
    assert s.checks.refunds == 1 and s.checks.refund_amount == -4.0
    # the reason is listed with its meaning, after the empty amount, and has a label
    assert (
        list(DROP_REASONS).index("invalid_amount")
        == list(DROP_REASONS).index("missing_amount") + 1
    )
    assert "invalid_amount" in p.audit.drop_reasons
    assert t("audit.reason.invalid_amount") == "Amount not a finite number"


def test_utc_project_reads_offsets_and_naive_values_in_one_file(tmp_path):
    # naive text in a UTC project is UTC; 10:00 at UTC-5 is 15:00 UTC; a date is its midnight
    rows = ["o1,1,2025-12-01 08:00:00,1", "o2,2,2025-12-05T10:00:00-05:00,1", "o3,3,2025-12-07,1"]
    p = project_of(tmp_path, rows, timezone="UTC")
    times = p.tables["orders"].execute().set_index("order_id")["order_time"]
    assert times.to_dict() == {
        "o1": utc(2025, 12, 1, 8),
        "o2": utc(2025, 12, 5, 15),
        "o3": utc(2025, 12, 7),
    }


# --- headerless exports, encodings, duplicated columns (issue 19: 24, 18, 21) ------------------

# the public Taobao user-behaviour layout: user, item, category, behaviour, epoch seconds; no header
TAOBAO = [
    "1,2268318,2520377,pv,1511544070",
    "1,2333346,2520771,pv,1511561733",
    "2,2576651,149192,buy,1511572885",
    "3,3830808,4181361,cart,1511593493",
]


def events_project(d, body: bytes, source: str, *, name="events.csv", engine: str = ""):
    """A project with one events file (written as ``body``) configured by the ``source`` lines."""
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(body)
    (d / "persona.yaml").write_text(
        "name: Toy\ntimezone: Asia/Shanghai\ncache_dir: cache\nsources:\n  events:\n"
        f"    - path: {name}\n"
        + "".join(f"      {line}\n" for line in source.splitlines())
        + engine
    )
    return d / "persona.yaml"


TAOBAO_SOURCE = """header: false
names: [user, item, category, behaviour, ts]
columns: {user_id: user, event_name: behaviour, event_time: ts}
time_format: epoch_s"""


def test_a_headerless_export_is_read_with_names_and_its_first_line_is_data(tmp_path):
    body = "".join(r + "\n" for r in TAOBAO).encode()
    p = load_project(events_project(tmp_path, body, TAOBAO_SOURCE, name="UserBehavior.csv"))
    s = p.audit.sources["UserBehavior"]
    assert s.rows_in == 4 and s.rows_kept == 4 and s.balanced  # 4 lines, none taken as a header
    events = p.tables["events"].execute().sort_values("event_time")
    assert events["user_id"].tolist() == ["1", "1", "2", "3"]
    assert events["event_name"].value_counts().to_dict() == {"pv": 2, "buy": 1, "cart": 1}
    # the first line: 1511544070 s = 17,494 days (2017-11-24) + 62,470 s (17:21:10) UTC, which is
    # 01:21:10 on Nov 25 in Shanghai
    first = events.iloc[0]
    assert first["event_time"] == utc(2017, 11, 24, 17, 21, 10)
    assert first["day"] == pd.Timestamp("2017-11-25")


def test_names_that_do_not_match_the_file_s_columns_are_one_sentence(tmp_path):
    body = "".join(r + "\n" for r in TAOBAO).encode()
    source = TAOBAO_SOURCE.replace(
        "names: [user, item, category, behaviour, ts]", "names: [user, item, behaviour, ts]"
    )
    with pytest.raises(DataError) as e:
        load_project(events_project(tmp_path, body, source))
    assert str(e.value) == (
        f"source 'events' (events): file {tmp_path / 'events.csv'} has 5 columns but `names` "
        "lists 4 (user, item, behaviour, ts); its first line is '1,2268318,2520377,pv,1511544070'"
    )


@pytest.mark.parametrize(
    "source, said",
    [
        (
            "names: [user, ts]\ncolumns: {user_id: user, event_time: ts}",
            "key 'sources.events[0]': `names` lists the columns of CSV files without a header row, "
            "but the source 'events.csv' has `header: true` (the default); add `header: false` or "
            "remove `names`",
        ),
        (
            "header: false",
            "key 'sources.events[0]': `header: false` needs `names:`, the columns of the source "
            "'events.csv' in file order, such as [user, item, category, behaviour, ts]",
        ),
        (
            "header: false\nnames: [user, ts, user]",
            "key 'sources.events[0]': `names` of the source 'events.csv' must be distinct, but "
            "['user'] is listed twice",
        ),
        (
            "encoding: gb-18030",
            "key 'sources.events[0].encoding': must be a text encoding such as 'utf-8', 'gb18030', "
            "'gbk' or 'utf-16', but 'gb-18030' was passed (found 'gb-18030')",
        ),
    ],
    ids=["names-without-header-false", "header-false-without-names", "names-twice", "encoding"],
)
def test_header_names_and_encoding_are_checked_where_the_config_enters(tmp_path, source, said):
    cfg = events_project(tmp_path, b"u1,2025-12-01\n", source)
    with pytest.raises(ConfigError) as e:
        load_config(cfg)
    assert str(e.value) == f"{cfg}: {said}"


GB_HEADER = "用户ID,事件,时间\n"
GB_ROWS = [
    "u1,浏览商品,2025-12-01 10:00:00",
    "u2,加入购物车,2025-12-01 11:00:00",
    "u1,支付成功,2025-12-02 09:00:00",
]
GB_SOURCE = "columns: {user_id: 用户ID, event_name: 事件, event_time: 时间}"


def gb_text() -> str:
    return GB_HEADER + "".join(r + "\n" for r in GB_ROWS)


@pytest.mark.parametrize(
    "encoding, body",
    [
        ("gb18030", gb_text().encode("gb18030")),
        ("gbk", gb_text().encode("gbk")),
        ("GB18030", gzip.compress(gb_text().encode("gb18030"))),  # a .csv.gz export, any spelling
        # UTF-16 little-endian, with or without a byte-order mark: read by DuckDB itself
        ("utf-16", codecs.BOM_UTF16_LE + gb_text().encode("utf-16-le")),
        ("utf-16", gb_text().encode("utf-16-le")),
        ("utf-16", codecs.BOM_UTF16_BE + gb_text().encode("utf-16-be")),  # decoded by the kit
    ],
    ids=["gb18030", "gbk", "gb18030-gz", "utf-16-le-bom", "utf-16-le", "utf-16-be-bom"],
)
def test_an_export_in_another_encoding_reads_with_encoding(tmp_path, monkeypatch, encoding, body):
    # 5-byte chunks: every Chinese character of the file is cut by a chunk boundary somewhere
    monkeypatch.setattr(storage, "TEXT_CHUNK", 5)
    cfg = events_project(tmp_path, body, f"{GB_SOURCE}\nencoding: {encoding}")
    p = load_project(cfg)
    s = p.audit.sources["events"]
    assert s.rows_in == 3 and s.rows_kept == 3
    events = p.tables["events"].execute().sort_values("event_time")
    assert events["event_name"].tolist() == ["浏览商品", "加入购物车", "支付成功"]
    assert events["user_id"].tolist() == ["u1", "u2", "u1"]
    # 10:00 in Shanghai is 02:00 UTC
    assert events["event_time"].iloc[0] == utc(2025, 12, 1, 2)
    copies = sorted(p for p in (tmp_path / "cache" / "utf8").glob("*.csv"))
    native = encoding == "utf-16" and body[:2] != codecs.BOM_UTF16_BE
    assert len(copies) == (0 if native else 1)  # one UTF-8 copy, in the cache folder
    if copies:
        assert copies[0].read_text(encoding="utf-8") == gb_text()


def test_a_gb18030_export_without_encoding_says_to_set_it(tmp_path):
    cfg = events_project(tmp_path, gb_text().encode("gb18030"), GB_SOURCE)
    with pytest.raises(DataError) as e:
        load_project(cfg)
    # 用 is 0xd3 0xc3 in GB18030; 0xd3 opens a two-byte UTF-8 character that 0xc3 cannot continue
    assert str(e.value) == (
        f"source 'events' (events): file {tmp_path / 'events.csv'} is not valid utf-8 text (the "
        "default `encoding`): 0xd3 at byte 0 (line 1) cannot be decoded; it reads as gb18030: set "
        "`encoding: gb18030` on this source"
    )


@pytest.mark.parametrize(
    "n_rows", [3_000, 40_000]
)  # past the kit's 64 KiB check; past DuckDB's sample
def test_a_gb18030_line_deep_in_a_utf8_export_is_found_by_offset_and_line(tmp_path, n_rows):
    header = "user_id,event_name,event_time\n"  # 30 bytes
    rows = "".join(f"u{i:05d},view,2025-12-01 10:00:00\n" for i in range(n_rows))  # 32 bytes each
    body = (header + rows).encode() + "u99999,浏览,2025-12-01 10:00:00\n".encode("gb18030")
    cfg = events_project(tmp_path, body, "name: app")
    with pytest.raises(DataError) as e:
        load_project(cfg)
    # the bad bytes: 浏 is 0xe4 0xaf in GB18030, which UTF-8 reads as the start of a three-byte
    # character that the next byte (0xc0, of 览) cannot finish; they begin at byte
    # 30 + 32 x n_rows + len("u99999,") = 7, on line n_rows + 2
    offset, line = 30 + 32 * n_rows + 7, n_rows + 2
    assert f"file {tmp_path / 'events.csv'} is not valid utf-8 text" in str(e.value)
    assert str(e.value).endswith(
        f": 0xe4 0xaf at byte {offset:,} (line {line:,}) cannot be decoded; it reads as gb18030: set "
        "`encoding: gb18030` on this source"
    )


def write_orders(d, header: str, rows, fmt: str):
    if fmt == "csv":
        (d / "orders.csv").write_text(header + "\n" + "".join(r + "\n" for r in rows))
        return "orders.csv"
    cols = header.split(",")
    values = [r.split(",") for r in rows]
    arrays = [pa.array([v[i] for v in values]) for i in range(len(cols))]
    pq.write_table(pa.Table.from_arrays(arrays, names=cols), d / "orders.parquet")
    return "orders.parquet"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_mapped_column_named_twice_in_the_file_is_an_error(tmp_path, fmt):
    name = write_orders(
        tmp_path, "order_id,uid,paid_at,total,uid", ["o1,u1,2025-12-01,10,u9"], fmt
    )
    (tmp_path / "persona.yaml").write_text(
        "name: Toy\ntimezone: UTC\ncache_dir: cache\nsources:\n  orders: {path: "
        f"{name}, columns: {{user_id: uid, order_time: paid_at, amount: total}}}}\n"
    )
    with pytest.raises(DataError) as e:
        load_project(tmp_path / "persona.yaml")
    assert str(e.value) == (
        f"source 'orders' (orders): column 'uid' (user_id) appears 2 times in the header of "
        f"{tmp_path / name} (columns 2, 5) and only the first would be read; rename the copies "
        "in the export so that each name is used once"
    )


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_unmapped_column_named_twice_is_left_alone(tmp_path, fmt):
    name = write_orders(
        tmp_path,
        "order_id,user_id,order_time,amount,note,note",
        ["o1,u1,2025-12-01,10,a,b", "o2,u2,2025-12-02,4.5,c,d"],
        fmt,
    )
    (tmp_path / "persona.yaml").write_text(
        f"name: Toy\ntimezone: UTC\ncache_dir: cache\nsources:\n  orders: {{path: {name}}}\n"
    )
    p = load_project(tmp_path / "persona.yaml")
    assert p.audit.sources["orders"].rows_kept == 2
    amounts = p.tables["orders"].execute().set_index("order_id")["amount"]
    assert amounts.to_dict() == {"o1": 10.0, "o2": 4.5}


@pytest.mark.spark
def test_headerless_and_gb18030_exports_read_the_same_on_spark(tmp_path):
    spark = "engine: {kind: spark, master: 'local[2]', conf: {spark.sql.shuffle.partitions: 2}}\n"
    body = "".join(r + "\n" for r in TAOBAO).encode()
    p = load_project(events_project(tmp_path / "tb", body, TAOBAO_SOURCE, engine=spark))
    assert p.audit.sources["events"].rows_kept == 4
    assert sorted(p.tables["events"].execute()["user_id"]) == ["1", "1", "2", "3"]
    gb = gb_text().encode("gb18030")
    p = load_project(
        events_project(tmp_path / "gb", gb, f"{GB_SOURCE}\nencoding: gb18030", engine=spark)
    )
    names = p.tables["events"].execute().sort_values("event_time")["event_name"].tolist()
    assert names == ["浏览商品", "加入购物车", "支付成功"]


def test_csv_text_options_on_a_parquet_source_are_an_error(tmp_path):
    name = write_orders(
        tmp_path, "order_id,user_id,order_time,amount", ["o1,u1,2025-12-01,10"], "pq"
    )
    (tmp_path / "persona.yaml").write_text(
        "name: Toy\ntimezone: UTC\ncache_dir: cache\nsources:\n"
        f"  orders: {{path: {name}, encoding: gbk}}\n"
    )
    with pytest.raises(DataError) as e:
        load_project(tmp_path / "persona.yaml")
    assert str(e.value) == (
        "source 'orders' (orders): `encoding`, `header` and `names` describe CSV files, but "
        f"{tmp_path / name} is Parquet (its text is UTF-8 and its columns are named); remove them"
    )


# --- ids spelled differently across sources (issue 19: 6) ----------------------------------------
def ids_project(d, *, order_ids: list[str], event_ids: list[str], user_ids: list[str]):
    """events.csv, orders.csv and users.csv with the given ids, one row each (a minute apart),
    on 2025-12-01."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "events.csv").write_text(
        "user_id,event_time,event_name\n"
        + "".join(f"{u},2025-12-01 10:{i:02d}:00,view_item\n" for i, u in enumerate(event_ids))
    )
    (d / "orders.csv").write_text(
        "order_id,user_id,order_time,amount\n"
        + "".join(f"o{i},{u},2025-12-01 11:00:00,10\n" for i, u in enumerate(order_ids))
    )
    (d / "users.csv").write_text("user_id,city\n" + "".join(f"{u},x\n" for u in user_ids))
    (d / "persona.yaml").write_text(
        "name: Toy\ntimezone: UTC\ncache_dir: cache\nsources:\n"
        "  events: {path: events.csv}\n  orders: {path: orders.csv}\n  users: {path: users.csv}\n"
    )
    return load_project(d / "persona.yaml")


def test_a_float_spelling_of_an_integer_id_is_the_same_user(tmp_path):
    # 60 users "1".."60" in events and users; their orders say "1.0".."60.0"
    ids = [str(i) for i in range(1, 61)]
    p = ids_project(tmp_path, order_ids=[f"{i}.0" for i in ids], event_ids=ids, user_ids=ids)
    ud = p.user_day.execute()
    assert ud["user_id"].nunique() == 60  # not 120: each buyer is one user
    assert int(ud["orders"].sum()) == 60
    o = p.audit.orphans
    assert (o.orphan_orders, o.orphan_events, o.users_without_activity) == (0, 0, 0)


def test_null_spellings_of_an_id_are_null_and_counted(tmp_path):
    nulls = ["NULL", "\\N", "None", "nan", "N/A", "null"]
    p = ids_project(tmp_path, order_ids=["1"], event_ids=["1", "2", *nulls], user_ids=["1", "2"])
    s = p.audit.sources["events"]
    assert s.dropped["null_user_id"] == 6 and s.rows_kept == 2 and s.balanced
    assert set(p.user_day.execute()["user_id"]) == {"1", "2"}


def test_zero_padded_ids_are_named_in_the_audit(tmp_path):
    from helpers.data.audit import audit_summary_text

    # users say "007" and "008"; events and orders say "7" and "8"; "9" has no twin
    p = ids_project(tmp_path, order_ids=["7"], event_ids=["7", "8", "9"], user_ids=["007", "008"])
    o = p.audit.orphans
    assert (o.orphan_events, o.orphan_events_users, o.orphan_orders) == (3, 3, 1)
    assert o.orphan_ids_zero_padded == 2  # 7 and 8, not 9
    text = audit_summary_text(p)
    assert "3 events of 3 ids absent from users; 1 orders of 1 ids absent from users" in text
    assert "2 of the orphan ids match a users id once leading zeros are dropped" in text


def test_a_ragged_row_is_named_by_its_line(tmp_path):
    # 50 orders of 4 fields; line 22 (the header is line 1) has two fields too many
    rows = [f"o{i},{i},2025-12-01 10:00:00,10" for i in range(50)]
    rows.insert(20, "o99,99,2025-12-01 10:00:00,10,extra,more")
    with pytest.raises(DataError) as e:
        project_of(tmp_path, rows, timezone="UTC")
    assert str(e.value) == (
        f"source 'orders' (orders): line 22 of {tmp_path / 'orders.csv'} has 6 fields where the "
        "header has 4: 'o99,99,2025-12-01 10:00:00,10,extra,more'; fix or remove that row"
    )


def test_old_caches_are_removed_after_a_build_and_the_recent_ones_stay(tmp_path, capsys):
    import os

    from helpers.data.pipeline import KEEP_CACHES, load_project

    assert KEEP_CACHES == 3
    rows = ["o1,1,2025-12-01,10"]
    keys = []
    for i in range(5):  # each new row is new data: a new cache
        rows.append(f"o{i + 2},{i + 2},2025-12-0{i + 2},10")
        p = project_of(tmp_path, rows, timezone="UTC")
        keys.append(p.fingerprint)
        # a second apart, so "most recently used" is not decided by a tie of mtimes
        os.utime(p.cache_path / "meta.json", (1_000_000 + i, 1_000_000 + i))
    assert len(set(keys)) == 5
    cache = tmp_path / "cache"
    left = sorted(q.name for q in cache.iterdir() if q.is_dir())
    assert left == sorted(keys[-3:])  # the two oldest removed
    # opening an old cache marks it used: it is kept, and the least recently used goes instead
    os.utime(cache / keys[2] / "meta.json", (2_000_000, 2_000_000))
    rows.append("o9,9,2025-12-09,10")
    header = "order_id,user_id,order_time,amount\n"
    (tmp_path / "orders.csv").write_text(header + "".join(r + "\n" for r in rows))
    p = load_project(tmp_path / "persona.yaml", progress=True)
    left = sorted(q.name for q in cache.iterdir() if q.is_dir())
    assert left == sorted([keys[2], keys[4], p.fingerprint])
    out = capsys.readouterr().out
    assert f"removed 1 older cache(s) of {cache}: {keys[3]}" in out


# --- purchase events as orders (issue 19: 1, 24) ---------------------------------------------------
@pytest.mark.parametrize(
    "sources, said",
    [
        (
            "  events: {path: events.csv}\n  orders: {path: orders.csv}\n",
            "`purchase_events` turns events into orders for a project without an orders source, "
            "but this config has both",
        ),
        (
            "  orders: {path: orders.csv}\n",
            "`purchase_events` turns events into orders for a project without an orders source",
        ),
    ],
)
def test_purchase_events_with_an_orders_source_is_a_config_error(tmp_path, sources, said):
    (tmp_path / "persona.yaml").write_text(
        f"name: Toy\nsources:\n{sources}purchase_events: [Buy]\n"
    )
    with pytest.raises(ConfigError) as e:
        load_config(tmp_path / "persona.yaml")
    assert said in str(e.value) and "purchase_events" in str(e.value)


def test_taobao_buy_events_without_an_amount_are_orders_with_no_revenue(tmp_path):
    from helpers.data.audit import PURCHASE_EVENTS_SOURCE, audit_summary_text

    # the Taobao layout: 2 "buy" rows among 4; no price column, so no amount
    body = "\n".join(TAOBAO).encode() + b"\n2,1,1,buy,1511600000\n"
    config = events_project(tmp_path, body, TAOBAO_SOURCE, engine="purchase_events: [BUY]\n")
    p = load_project(config)
    s = p.audit.sources[PURCHASE_EVENTS_SOURCE]
    assert (s.table, s.rows_in, s.rows_kept, s.checks.unknown_amount) == ("orders", 2, 2, 2)
    assert s.checks.buyers == 1 and s.balanced
    ud = p.user_day.execute()
    assert int(ud["orders"].sum()) == 2 and ud["revenue"].sum() == 0.0
    assert int(ud["refunds"].sum()) == 0  # an unknown amount is a purchase, not a refund
    assert int(ud["events"].sum()) == 5  # 3 events + 2 orders: each buy counted once
    assert "ev_buy" not in ud.columns and "ev_order" in ud.columns
    assert "purchase_events: 2 orders without an amount" in audit_summary_text(p)


def test_an_event_without_a_name_still_counts_when_purchases_are_events(tmp_path):
    # 3 events, one of them with an empty name, and one purchase: the nameless event is kept by
    # the cleaning, so user_day counts it too (NULL is not "not a purchase" to the engine)
    body = (
        b"user_id,event_name,event_time,price\n"
        b"1,view_item,2025-12-01 10:00:00,\n"
        b"1,,2025-12-01 10:05:00,\n"
        b"2,purchase,2025-12-01 11:00:00,30\n"
    )
    config = events_project(
        tmp_path, body, "columns: {revenue: price}", engine="purchase_events: [purchase]\n"
    )
    p = load_project(config)
    kept = p.audit.sources["events"].rows_kept
    ud = p.user_day.execute()
    assert kept == 3 and int(ud["events"].sum()) == kept  # 2 events + 1 purchase as an order
    assert int(ud["orders"].sum()) == 1 and ud["revenue"].sum() == 30.0
    assert int(ud["ev_other"].sum()) == 1  # the nameless event, which has no column of its own

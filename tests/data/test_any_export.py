"""Any export reads right (issue 19): date-only times keep their day west of UTC, offsets are
read per value wherever they appear in a file, and non-finite amounts are dropped with a reason.
Every expected number is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

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

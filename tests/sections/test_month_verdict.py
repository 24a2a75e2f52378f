"""The month's verdict beside the window's in 01_data_audit (issue #20, part 9), on a hand-made
audit and month ledger: the box's sentences, the table's cells, in English and in Chinese.

The month (2026-06): ``app`` read 200 rows, kept 186; 8 exact duplicates, 4 without a user id,
2 anonymous ids not stitched, 3 names repaired (kept), 5 rows without a time; 40 orders, all
kept. Scores by hand: app 100 x (1 - 17/200) = 91.5, orders 100, overall 100 x (1 - 17/240) =
92.92. The window (tests.sections.test_data_audit.toy_audit): app 94.0, orders 100, users 99.0,
overall (1000 x 94 + 352 x 100 + 101 x 99) / 1453 = 95.80.
"""

from __future__ import annotations

import dataclasses

import pytest

from helpers.data.month_ledger import MonthLedger, MonthSource
from helpers.display.blocks import Note
from helpers.display.messages import set_language
from helpers.display.registry import render
from tests.sections.test_data_audit import LABELS, headers, toy_view

EVENT_DROPS = {
    "missing_time": 0,
    "time_out_of_range": 0,
    "duplicate": 8,
    "null_user_id": 4,
    "unstitched_anonymous": 2,
}
ORDER_DROPS = dict.fromkeys(
    (
        "missing_time",
        "time_out_of_range",
        "null_user_id",
        "missing_amount",
        "invalid_amount",
        "duplicate_order_id",
    ),
    0,
)


def june(**app) -> MonthLedger:
    fields = dict(
        table="events",
        rows_in=200,
        rows_kept=186,
        dropped=EVENT_DROPS,
        repaired=3,
        no_time=5,
        stitching_coverage=0.6,
    )
    return MonthLedger(
        "2026-06",
        "Asia/Shanghai",
        {
            "app": MonthSource(**{**fields, **app}),
            "orders": MonthSource("orders", 40, 40, ORDER_DROPS),
        },
        window_only=("users",),
    )


@pytest.fixture
def zh():
    set_language("zh")
    yield
    set_language("en")


def test_the_box_says_the_month_and_the_window():
    box, table, rule = toy_view(month=june()).month_verdict().parts
    assert box.title == "Data quality of 2026-06: read with care" and box.tone == "warning"
    assert box.lines == [
        "Data-quality score 92.9/100 for the rows of 2026-06; 95.8/100 over the whole window.",
        "app lost the largest share of its rows this month, 8.5%: 4.0% exact duplicates, 2.0% "
        "without a user id, 1.5% event names repaired (kept), 1.0% anonymous ids not stitched "
        "to a user.",
        "Unusual daily volume on 1 day of the month: 2026-06-03 (orders: spike).",
        "Only 60.0% of the anonymous app rows of the month are stitched to a user.",
        "5 rows have no timestamp: they belong to no month and count in the whole window's "
        "score only.",
    ]
    assert rule.text.startswith("The verdict: good from a score of 95 up;")
    assert "below 85 or when a ledger does not add up" in rule.text


def test_the_table_puts_the_month_beside_the_window():
    table = toy_view(month=june()).month_verdict().parts[1]
    cells = table.cells().set_index("source")
    assert cells.loc["app"].tolist() == [
        "events",
        "200",
        "186",
        "exact duplicates: 8, without a user id: 4, anonymous ids not stitched to a user: 2, "
        "event names repaired (kept): 3",
        "91.5",
        "94.0",
    ]
    assert cells.loc["orders"].tolist() == ["orders", "40", "40", "nothing", "100.0", "100.0"]
    assert cells.loc["users"].tolist() == [
        "users",
        "–",
        "–",
        "no time of its own: scored over the whole window only",
        "–",
        "99.0",
    ]
    assert cells.loc["overall"].tolist() == ["–", "240", "226", "–", "92.9", "95.8"]
    html = render(toy_view(month=june()).month_verdict())
    assert all(h in LABELS for h in headers(html))
    assert "A row is in 2026-06 when its timestamp falls in that month in Asia/Shanghai" in html


def test_a_ledger_that_does_not_add_up_is_poor():
    box = toy_view(month=june(rows_kept=190)).month_verdict().parts[0]
    assert box.title == "Data quality of 2026-06: do not rely on it" and box.tone == "bad"
    assert "Rows do not add up (in ≠ kept + dropped) in app." in box.lines


def test_a_clean_month_is_good_even_when_the_window_is_not():
    clean = MonthSource("events", 200, 200, dict.fromkeys(EVENT_DROPS, 0))
    ledger = dataclasses.replace(june(), sources={"app": clean})
    view = toy_view(month=ledger)
    view.audit = dataclasses.replace(view.audit, volume_flags=())
    box, table, _ = view.month_verdict(good_score=99.0).parts
    assert box.title == "Data quality of 2026-06: good" and box.tone == "good"
    assert box.lines == [
        "Data-quality score 100/100 for the rows of 2026-06; 95.8/100 over the whole window."
    ]
    assert table.cells().set_index("source").loc["app", "month_lost"] == "nothing"


def test_without_a_month_the_view_says_what_it_needs():
    note = toy_view().month_verdict()
    assert isinstance(note, Note) and "pass `month` (YYYY-MM)" in note.text
    assert "month" not in toy_view().to_json()
    assert toy_view(month=june()).to_json()["month"]["quality"]["overall"] == 92.92


def test_the_verdict_in_chinese(zh):
    box, table, rule = toy_view(month=june()).month_verdict().parts
    assert box.title == "2026年6月数据质量：需谨慎解读"
    assert box.lines[0] == "2026年6月数据的质量分为 92.9/100；整个数据区间为 95.8/100。"
    assert box.lines[1].startswith("本月剔除或修正比例最高的数据源是 app，占其本月行数的 8.5%")
    assert "完全重复占 4.0%" in box.lines[1]
    cells = table.cells().set_index("source")
    assert cells.loc["app", "month_lost"].startswith("完全重复 8 行、无用户 ID 4 行")
    assert cells.loc["users", "month_lost"] == "本身没有时间：只按整个数据区间评分"
    assert "The verdict" not in rule.text and "不宜作为依据" in rule.text

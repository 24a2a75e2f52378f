"""The month ledger on a hand-made project (issue #20, part 9): events and orders across two
months in the business timezone, with known drops, repairs and rows without a time; every count
and score below is worked out by hand from the rows written here.

The toy, Asia/Shanghai (UTC+8), valid range 2026-09-01 .. 2026-11-01 (local):

events (source ``app``; copies = identical rows)
  e1 u1 2026-09-10 10:00 view_item      x2  Sep: 1 kept + 1 duplicate
  e3 -- 2026-09-12 11:00 search         x1  Sep: no user id
  e4 u2 2026-09-30 23:59 search         x1  Sep: kept (15:59 UTC)
  e5 u2 2026-10-01 00:30 View_Item      x1  Oct: kept, name repaired (16:30 UTC on Sep 30)
  e6 u3 2026-10-05 09:00 add_to_cart    x3  Oct: 1 kept + 2 duplicates
  e7 -- 2026-10-06 09:00 search         x2  Oct: 1 no user id + 1 duplicate
  e8 u1 2026-10-20 09:00 " search "     x1  Oct: kept, name repaired
  e9 u3 2026-11-01 00:10 search         x1  Nov: out of range (at/after valid_until)
  e10 u1 (no time)       search         x2  no month: missing time
orders (source ``shop``, order ids)
  o1 A u1 2026-09-15 10.0      Sep kept
  o2 A u1 2026-10-02 10.0      Oct duplicate order id (A was seen in September)
  o3 B u2 2026-10-03 (empty)   Oct missing amount
  o4 C -- 2026-10-04 5.0       Oct no user id
  o5 D u3 2026-10-10 20.0      Oct kept
  o6 E u3 2026-10-11 30.0      Oct kept
  o7 E u3 2026-10-12 30.0      Oct duplicate order id
  o8 F u2 (no time)  7.0       no month: missing time
  o9 G u1 2026-10-01 00:30 -10 Oct kept (a refund; 16:30 UTC on Sep 30)
"""

from __future__ import annotations

import json

import pytest

from helpers.core.errors import DataError
from helpers.data.audit import SourceAudit, quality_score
from helpers.data.month_ledger import (
    MonthLedger,
    ledger_months,
    month_ledger,
    read_month_ledger,
)
from helpers.data.month_quality import month_quality
from helpers.data.pipeline import load_project

EVENTS = [
    ("u1", "2026-09-10T02:00:00Z", "view_item"),
    ("u1", "2026-09-10T02:00:00Z", "view_item"),
    ("", "2026-09-12T03:00:00Z", "search"),
    ("u2", "2026-09-30T15:59:00Z", "search"),
    ("u2", "2026-09-30T16:30:00Z", "View_Item"),
    ("u3", "2026-10-05T01:00:00Z", "add_to_cart"),
    ("u3", "2026-10-05T01:00:00Z", "add_to_cart"),
    ("u3", "2026-10-05T01:00:00Z", "add_to_cart"),
    ("", "2026-10-06T01:00:00Z", "search"),
    ("", "2026-10-06T01:00:00Z", "search"),
    ("u1", "2026-10-20T01:00:00Z", " search "),
    ("u3", "2026-10-31T16:10:00Z", "search"),
    ("u1", "", "search"),
    ("u1", "", "search"),
]
ORDERS = [
    ("A", "u1", "2026-09-15T02:00:00Z", "10.0"),
    ("A", "u1", "2026-10-02T02:00:00Z", "10.0"),
    ("B", "u2", "2026-10-03T02:00:00Z", ""),
    ("C", "", "2026-10-04T02:00:00Z", "5.0"),
    ("D", "u3", "2026-10-10T02:00:00Z", "20.0"),
    ("E", "u3", "2026-10-11T02:00:00Z", "30.0"),
    ("E", "u3", "2026-10-12T02:00:00Z", "30.0"),
    ("F", "u2", "", "7.0"),
    ("G", "u1", "2026-09-30T16:30:00Z", "-10.0"),
]


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    d = tmp_path_factory.mktemp("month_toy")
    (d / "app.csv").write_text(
        "uid,ts,action\n" + "".join(f'{u},{ts},"{a}"\n' for u, ts, a in EVENTS)
    )
    (d / "orders.csv").write_text(
        "order_id,uid,paid_at,total\n" + "".join(",".join(r) + "\n" for r in ORDERS)
    )
    (d / "users.csv").write_text("id\nu1\nu2\nu3\n")
    (d / "persona.yaml").write_text(
        "name: toy\ntimezone: Asia/Shanghai\ncache_dir: cache\n"
        "sources:\n"
        "  events:\n"
        "    - {name: app, path: app.csv, columns: {user_id: uid, event_time: ts, event_name: action}}\n"
        "  orders: {name: shop, path: orders.csv, columns: {user_id: uid, order_time: paid_at, amount: total}}\n"
        "  users: {name: people, path: users.csv, columns: {user_id: id}}\n"
        'audit: {valid_from: "2026-09-01", valid_until: "2026-11-01"}\n'
    )
    return load_project(d / "persona.yaml")


def test_the_window_ledger_of_the_toy_is_as_written(toy):
    app, shop = toy.audit.sources["app"], toy.audit.sources["shop"]
    assert (app.rows_in, app.rows_kept) == (14, 5)
    assert app.dropped == {
        "missing_time": 2,
        "time_out_of_range": 1,
        "duplicate": 4,
        "null_user_id": 2,
        "unstitched_anonymous": 0,
    }
    assert app.checks.event_name_variant == 2
    assert (shop.rows_in, shop.rows_kept) == (9, 4)
    assert {k: v for k, v in shop.dropped.items() if v} == {
        "missing_time": 1,
        "null_user_id": 1,
        "missing_amount": 1,
        "duplicate_order_id": 2,
    }


def test_october_ledger_and_score_by_hand(toy):
    oct_ = month_ledger(toy, "2026-10")
    app, shop = oct_.sources["app"], oct_.sources["shop"]
    assert (app.table, app.rows_in, app.rows_kept, app.repaired) == ("events", 7, 3, 2)
    assert app.dropped == {
        "missing_time": 0,
        "time_out_of_range": 0,
        "duplicate": 3,
        "null_user_id": 1,
        "unstitched_anonymous": 0,
    }
    # o2 repeats order id A of September: dropped in October as in the whole window
    assert (shop.table, shop.rows_in, shop.rows_kept) == ("orders", 7, 3)
    assert {k: v for k, v in shop.dropped.items() if v} == {
        "null_user_id": 1,
        "missing_amount": 1,
        "duplicate_order_id": 2,
    }
    # rows without a time are in no month, counted once per source
    assert (app.no_time, shop.no_time, oct_.no_time) == (2, 1, 3)
    assert app.balanced and shop.balanced
    # 100 x (1 - (4 dropped + 2 repaired) / 7); 100 x (1 - 4 / 7); overall 100 x (1 - 10 / 14)
    assert oct_.quality.per_source == {"app": 14.29, "shop": 42.86}
    assert oct_.quality.overall == 28.57
    assert oct_.totals() == (14, 6)
    assert oct_.window_only == ("people",)
    worst = oct_.worst()
    assert (worst.source, round(worst.share, 4)) == ("app", round(6 / 7, 4))
    assert [(k, round(v, 4)) for k, v in worst.parts] == [
        ("duplicate", round(3 / 7, 4)),
        ("event_name_variant", round(2 / 7, 4)),
        ("null_user_id", round(1 / 7, 4)),
    ]


def test_september_and_november_by_hand(toy):
    sep = month_ledger(toy, "2026-09")
    assert (sep.sources["app"].rows_in, sep.sources["app"].rows_kept) == (4, 2)
    assert sep.sources["app"].dropped["duplicate"] == 1
    assert sep.sources["app"].dropped["null_user_id"] == 1
    assert (sep.sources["shop"].rows_in, sep.sources["shop"].rows_kept) == (1, 1)
    assert sep.quality.per_source == {"app": 50.0, "shop": 100.0}
    assert sep.quality.overall == 60.0  # 100 x (1 - 2 / 5)
    nov = month_ledger(toy, "2026-11")  # 00:10 local on 1 November is at/after valid_until
    assert nov.sources["app"].rows_in == 1
    assert nov.sources["app"].dropped["time_out_of_range"] == 1
    assert nov.sources["shop"].rows_in == 0 and "shop" not in nov.quality.per_source
    assert nov.quality.overall == 0.0
    empty = month_ledger(toy, "2026-08")
    assert empty.totals() == (0, 0) and empty.quality.overall is None


def _summed(project, months):
    """Per source, the month ledgers summed with the rows without a time, as a SourceAudit."""
    ledgers = [month_ledger(project, m) for m in months]
    out = {}
    for name in ledgers[0].sources:
        parts = [lg.sources[name] for lg in ledgers]
        first = parts[0]
        dropped = {r: sum(p.dropped[r] for p in parts) for r in first.dropped}
        dropped["missing_time"] += first.no_time
        out[name] = (
            SourceAudit(
                first.table,
                sum(p.rows_in for p in parts) + first.no_time,
                sum(p.rows_kept for p in parts),
                dropped,
            ),
            sum(p.repaired for p in parts),
        )
    return out


def test_the_months_add_up_to_the_window_on_the_toy(toy):
    months = ledger_months(toy)
    assert months == ["2026-09", "2026-10", "2026-11"]
    summed = _summed(toy, months)
    for name, (s, _) in summed.items():
        window = toy.audit.sources[name]
        assert (s.rows_in, s.rows_kept, s.dropped) == (
            window.rows_in,
            window.rows_kept,
            window.dropped,
        ), name
    assert summed["app"][1] == toy.audit.sources["app"].checks.event_name_variant


def test_month_quality_rests_on_the_month(toy):
    ledger = month_ledger(toy, "2026-09")
    q = month_quality(toy.audit, month="2026-09", ledger=ledger)
    assert (q.scope, q.score, q.status, q.score_below) == ("month", 60.0, "poor", 85.0)
    assert q.window_score == toy.audit.quality.overall
    assert q.per_source == {"app": 50.0, "shop": 100.0}
    assert q.worst.source == "app" and q.no_time == 3
    assert q.window_only == ("people",)
    window_only = month_quality(toy.audit, month="2026-09")
    assert (window_only.scope, window_only.score) == ("window", toy.audit.quality.overall)
    assert window_only.worst is None and window_only.per_source == {}
    # a month without any dated row falls back to the window's score
    q8 = month_quality(toy.audit, month="2026-08", ledger=month_ledger(toy, "2026-08"))
    assert (q8.scope, q8.score) == ("window", toy.audit.quality.overall)
    with pytest.raises(DataError, match="ledger passed to month_quality is that of 2026-09"):
        month_quality(toy.audit, month="2026-10", ledger=ledger)


def test_the_ledger_travels_in_audit_json(toy, tmp_path):
    from helpers.data.audit import Audit
    from helpers.sections.data_audit import AuditView

    view = AuditView.from_project(toy, month="2026-10")
    data = json.loads(json.dumps(view.to_json()))
    assert set(toy.audit.to_json()) < set(data) and data["month"]["month"] == "2026-10"
    assert Audit.from_json(data) == toy.audit  # the window's reader ignores the new key
    (tmp_path / "audit.json").write_text(json.dumps(data))
    assert read_month_ledger(tmp_path) == view.month
    (tmp_path / "audit.json").write_text(json.dumps(toy.audit.to_json()))  # an older file
    assert read_month_ledger(tmp_path) is None
    assert read_month_ledger(tmp_path / "nowhere") is None
    with pytest.raises(DataError, match="key `month`"):
        MonthLedger.from_json({"sources": {}})


def test_the_window_score_formula_is_the_months(toy):
    # the month's formula applied to the window's ledger gives the window's scores
    summed = _summed(toy, ledger_months(toy))
    for name, (s, repaired) in summed.items():
        want = quality_score({name: toy.audit.sources[name]}).per_source[name]
        assert round(100 * (1 - (s.rows_dropped + repaired) / s.rows_in), 2) == want

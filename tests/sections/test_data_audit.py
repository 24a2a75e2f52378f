"""The 01_data_audit tables as they show, on a hand-made audit record: labels for headers, whole
numbers for counts, shares as percentages, times as dates, one missing mark."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from helpers.data.audit import (
    Audit,
    EventChecks,
    IdentityStats,
    OrderChecks,
    Orphans,
    SourceAudit,
    UserChecks,
    VolumeFlag,
    quality_score,
)
from helpers.display.blocks import Note
from helpers.display.format import set_currency
from helpers.display.messages import columns
from helpers.display.registry import render
from helpers.sections.data_audit import AuditView

LABELS = {label for label, _ in columns().values()}


@pytest.fixture(autouse=True)
def _cny():
    set_currency("CNY")
    yield
    set_currency(None)


def headers(html: str) -> list[str]:
    """Header cells that are not data values (class pk-value)."""
    heads = re.findall(r"<th(?=[\s>])(?: class='([^']*)')?[^>]*>(.*?)</th>", html)
    return [text for cls, text in heads if cls != "pk-value"]


def toy_audit() -> Audit:
    app = SourceAudit(
        "events",
        rows_in=1000,
        rows_kept=952,
        dropped={
            "missing_time": 0,
            "time_out_of_range": 10,
            "duplicate": 30,
            "null_user_id": 8,
            "unstitched_anonymous": 0,
        },
        checks=EventChecks(
            time_range=("2025-10-01T17:03:01.210000+00:00", "2026-12-30T13:31:06+00:00"),
            before_launch=4,
            in_future=6,
            duplicate=30,
            null_user_id=8,
            anonymous_rows=200,
            stitched_via_identities=150,
            stitched_via_events=40,
            unstitched_anonymous=10,
            stitching_coverage=0.95,
            event_name_variant=12,
            event_name_variants={"View_Item ": 7, " search": 5},
        ),
    )
    orders = SourceAudit(
        "orders",
        352,
        352,
        {"missing_time": 0, "duplicate_order_id": 0},
        OrderChecks(
            time_range=("2025-11-02T15:04:56+00:00", "2026-10-31T15:55:10+00:00"),
            before_launch=0,
            in_future=0,
            has_order_id=True,
            possible_duplicate_orders=0,
            refunds=12,
            refund_amount=-1234.5,
            free_orders=3,
            buyers=120,
        ),
    )
    users = SourceAudit(
        "users",
        101,
        100,
        {"null_key": 0, "duplicate_user_row": 1},
        UserChecks(1, 1, 0, ("2025-10-31T16:09:52+00:00", "2026-10-31T15:53:45+00:00")),
    )
    sources = {"app": app, "orders": orders, "users": users}
    return Audit(
        sources,
        quality_score(sources),
        "Asia/Shanghai",
        valid_from="2025-11-01",
        identities=IdentityStats(300, 2),
        orphans=Orphans(True, 352, 40, 0, 0, 5, 40),
        volume_flags=(VolumeFlag("orders", "2026-06-03", 121, 92.0, 4.07, "spike"),),
    )


def toy_view(**kw) -> AuditView:
    days = pd.date_range("2026-06-01", periods=4).date
    volume = pd.DataFrame(
        {
            "source": "orders",
            "day": days,
            "rows": [90, 95, 121, 93],
            "expected": [91.0, 92.0, 92.0, 92.5],
            "robust_z": [0.1, 0.2, 4.07, 0.0],
            "flag": ["", "", "spike", ""],
        }
    )
    return AuditView(toy_audit(), volume, **kw)


def test_sources_show_counts_shares_and_times():
    table = toy_view().sources()
    html = render(table)
    cells = table.cells().set_index("source")
    assert cells.loc["app", "rows_in"] == "1,000" and cells.loc["orders", "rows_kept"] == "352"
    assert cells.loc["app", "kept_share"] == "95.2%"
    assert cells.loc["app", "first_read"] == "2025-10-01 17:03 UTC"  # not raw ISO with a T; named
    assert cells.loc["orders", "source_table"] == "orders"
    assert "352.00" not in html and "T17:03" not in html
    assert "3 sources, 1,453 rows read, 1,404 kept (96.6%)" in html
    assert "valid range from 2025-11-01 to before any time" in html
    assert all(h in LABELS for h in headers(html))


def test_ledger_balances_and_marks_reasons_that_do_not_apply():
    html = render(toy_view().ledger())
    df = toy_view().ledger().cells().set_index("ledger_item")
    assert df.loc["Dropped: Exact duplicate", "app"] == "30"
    assert df.loc["Dropped: Exact duplicate", "orders"] == "–"  # not a reason for orders
    assert df.loc["Rows kept"].tolist() == ["952", "352", "100"]
    assert "Every source balances" in html and "True" not in html
    assert "<td class='num k-count'>1,000</td>" in html  # counts right-aligned as numbers
    assert headers(html) == ["Rows"]  # the other headers are the sources (data values)
    broken = toy_view()
    broken.audit.sources["bad"] = SourceAudit("identities", 10, 8, {"null_key": 1})
    assert "1 source does NOT balance: bad." in render(broken.ledger())


def test_checks_tables_use_words_and_kinds():
    v = toy_view()
    events = v.event_checks().cells().set_index("check")
    assert events.loc["Before launch", "app"] == "4"
    assert events.loc["Event names repaired (rows)", "app"] == "12"
    assert "Anonymous rows stitched to a user: app 95.0%." in render(v.event_checks())
    orders = v.orders().cells().set_index("check")
    assert orders.loc["Refunded amount", "orders"] == "−CN¥1,234.50"
    assert orders.loc["Order id mapped", "orders"] == "yes"
    users = v.users().cells().set_index("check")
    assert users.loc["Users kept", "users"] == "100"
    orphans = v.orphans().cells()
    assert orphans["rows"].tolist() == ["352", "0", "–"]  # users without activity: no rows
    ident = render(v.identities())
    assert ">300<" in ident and "anonymous_ids_mapped" not in ident
    variants = v.name_variants().cells()
    assert variants["name_as_logged"].tolist() == ["'View_Item '", "' search'"]
    assert variants["standard_name"].tolist() == ["view_item", "search"]
    for part in (v.event_checks(), v.orders(), v.users(), v.orphans(), v.name_variants()):
        assert all(h in LABELS for h in headers(render(part)))


def test_sections_without_a_source_say_so():
    v = toy_view()
    bare = Audit({}, quality_score({}), "UTC")
    empty = AuditView(bare, v.daily_volume.assign(flag=""))
    for part in (empty.event_checks(), empty.orders(), empty.users(), empty.orphans()):
        assert isinstance(part, Note)
    # each says what is missing and what adding it would check
    assert "add `sources.events` to check duplicates" in empty.event_checks().text
    assert "add `sources.orders` to check refunds" in empty.orders().text
    assert "add `sources.users` to check duplicated ids" in empty.users().text
    assert "add `sources.users`" in empty.orphans().text
    assert empty.identities().text == "No anonymous ids to stitch."
    assert empty.volume_flags().text.startswith("No day of unusual volume")
    assert empty.dropped_rows().text == "No event row was dropped."


def test_volume_flags_and_quality_score():
    v = toy_view()
    flags = v.volume_flags().cells()
    assert flags.values.tolist() == [["orders", "2026-06-03", "121", "92", "4.07", "spike"]]
    assert "1 source-day flagged as a spike, drop or gap" in render(v.volume_flags())
    q = render(v.quality())
    # app: 100 x (1 - (48 dropped + 12 repaired) / 1000) = 94.0; users 99.0; orders 100
    assert ">94.0<" in q and ">99.0<" in q and ">100<" in q and "overall" in q
    assert "weighted by their rows" in q


def test_dropped_rows_are_cut_and_show_times_and_missing_ids():
    n = 40
    dropped = pd.DataFrame(
        {
            "source": "app",
            "reason": ["null_user_id"] * n,
            "user_id": [None] * n,
            "event_time": pd.to_datetime([dt.datetime(2026, 1, 1, 4, 5)] * n, utc=True),
            "event_name": "search",
            "copies": [1.0] * n,
        }
    )
    table = toy_view(dropped=dropped).dropped_rows()
    html = render(table)
    cells = table.cells()
    assert len(cells) == 30 and "10 more rows not shown." in html
    assert cells.iloc[0].tolist() == [
        "app",
        "No user id",
        "–",
        "2026-01-01 04:05 UTC",
        "search",
        "1",
    ]
    assert all(h in LABELS for h in headers(html))

"""The data contract end to end on a hand-made multi-source toy: mapping, timezones, stitching,
the cleaning ledger, user_day. Every expected number below is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pandas as pd
import pytest

from helpers.data.pipeline import load_project

SH = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai has no DST since 1991


def ms(y, m, d, hh, mm, tz=SH):
    return int(dt.datetime(y, m, d, hh, mm, tzinfo=tz).timestamp() * 1000)


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("toy")
    app = pd.DataFrame(
        [
            # 1: 07:30 local on Feb 1 = 23:30 UTC on Jan 31 -> business day 2026-02-01; name is a variant
            ("u1", ms(2026, 2, 1, 7, 30), "View_Item "),
            # 2: exact duplicate of row 1
            ("u1", ms(2026, 2, 1, 7, 30), "View_Item "),
            ("u2", ms(2026, 1, 15, 12, 0), "search"),
            # 4: no user id at all (the app log has no anonymous id)
            ("", ms(2026, 1, 15, 12, 0), "search"),
            # 5: before launch (valid_from 2026-01-01)
            ("u2", ms(2025, 6, 1, 12, 0), "search"),
            # 6: 23:30 local on Jan 20 -> day 2026-01-20; passive event
            ("u3", ms(2026, 1, 20, 23, 30), "push_received"),
        ],
        columns=["uid", "ts_ms", "action"],
    )
    with gzip.open(d / "app.csv.gz", "wt") as f:
        app.to_csv(f, index=False)
    web = pd.DataFrame(
        [
            ("a1", "u1", "2026-01-10 02:00:00", "view_item"),  # carries both ids: a1 -> u1
            (
                "a1",
                None,
                "2026-01-11 20:00:00",
                "view_item",
            ),  # stitched via events; 04:00 local on Jan 12
            (
                "a2",
                None,
                "2026-01-12 01:00:00",
                "search",
            ),  # stitched via identities -> u4 (not in users)
            ("a3", None, "2026-01-12 01:00:00", "search"),  # never stitched
        ],
        columns=["anon", "member", "time", "event"],
    )
    (d / "web").mkdir()
    web.to_parquet(d / "web" / "part-0.parquet", index=False)
    pd.DataFrame({"anonymous_id": ["a2"], "user_id": ["u4"]}).to_csv(
        d / "identities.csv", index=False
    )
    pd.DataFrame(
        [
            ("o1", "u2", "2026-01-15T04:00:00Z", 10.0),  # 12:00 local Jan 15
            ("o2", "u2", "2026-01-15T05:00:00Z", -10.0),  # refund
            ("o3", "u3", "2026-01-16T00:00:00Z", 0.0),  # free order, 08:00 local Jan 16
            ("o1", "u2", "2026-01-15T04:00:00Z", 10.0),  # duplicate order id
        ],
        columns=["order_id", "uid", "paid_at", "total"],
    ).to_csv(d / "orders.csv", index=False)
    pd.DataFrame(
        [
            ("u1", "2026-01-01 10:00:00", "Beijing"),
            ("u2", "2026-01-02 10:00:00", "Shanghai"),
            (
                "u2",
                "2026-01-05 10:00:00",
                "Hangzhou",
            ),  # duplicate id, conflicting city, later signup
            ("u3", "2026-01-03 10:00:00", "Beijing"),
        ],
        columns=["id", "created_at", "city"],
    ).to_csv(d / "users.csv", index=False)
    (d / "persona.yaml").write_text("""
name: Toy
timezone: Asia/Shanghai
cache_dir: cache
sources:
  events:
    - {name: app, path: app.csv.gz, columns: {user_id: uid, event_time: ts_ms, event_name: action}, time_format: epoch_ms}
    - {name: web, path: "web/*.parquet", columns: {anonymous_id: anon, user_id: member, event_time: time, event_name: event}, timezone: UTC}
  orders: {path: orders.csv, columns: {user_id: uid, order_time: paid_at, amount: total}}
  users: {path: users.csv, columns: {user_id: id, signup_time: created_at}}
  identities: {path: identities.csv}
audit: {valid_from: "2026-01-01", valid_until: "2026-03-01"}
activity: {passive_events: [push_received]}
""")
    return d / "persona.yaml"


@pytest.fixture(scope="module")
def project(toy):
    return load_project(toy)


def test_ledger_per_source_balances_with_hand_counts(project):
    s = project.audit.sources
    assert s["app"].rows_in == 6 and s["app"].rows_kept == 3
    assert s["app"].dropped == {
        "missing_time": 0,
        "time_out_of_range": 1,
        "duplicate": 1,
        "null_user_id": 1,
        "unstitched_anonymous": 0,
    }
    assert s["app"].checks.event_name_variant == 1
    assert s["app"].checks.event_name_variants == {"View_Item ": 1}
    assert s["web"].rows_in == 4 and s["web"].rows_kept == 3
    assert s["web"].dropped["unstitched_anonymous"] == 1
    assert s["web"].checks.stitched_via_events == 1
    assert s["web"].checks.stitched_via_identities == 1
    assert s["orders"].rows_in == 4 and s["orders"].rows_kept == 3
    assert s["orders"].dropped["duplicate_order_id"] == 1
    assert s["orders"].checks.refunds == 1 and s["orders"].checks.free_orders == 1
    assert s["users"].dropped["duplicate_user_row"] == 1
    assert s["users"].checks.conflicting_duplicate_users == 1
    for name, src in s.items():
        assert src.rows_in == src.rows_kept + sum(src.dropped.values()), name
    # u4 comes only from the identities-stitched web row and is absent from users
    assert project.audit.orphans.orphan_events == 1
    assert project.audit.orphans.orphan_events_users == 1


def test_audit_is_cached_as_json_and_read_back_typed(project):
    """The cache's audit.json is exactly the record's JSON, and reading it back gives the record."""
    import json

    from helpers.data.audit import Audit, EventChecks, OrderChecks, UserChecks

    stored = (project.cache_path / "audit.json").read_text()
    assert json.dumps(project.audit.to_json(), indent=1) == stored
    assert Audit.from_json(json.loads(stored)) == project.audit
    kinds = {name: type(src.checks) for name, src in project.audit.sources.items()}
    assert kinds == {
        "identities": type(None),
        "users": UserChecks,
        "app": EventChecks,
        "web": EventChecks,
        "orders": OrderChecks,
    }
    # the orphan counts of a project with events and orders, in the order the JSON keeps them
    assert project.audit.to_json()["orphans"] == {
        "users_table": True,
        "orphan_events": 1,
        "orphan_events_users": 1,
        "orphan_orders": 0,
        "orphan_orders_users": 0,
        "users_without_activity": 0,
        "orphan_users": 1,
        "orphan_ids_zero_padded": 0,
    }
    assert project.audit.user_day.first_day == "2026-01-10"
    assert project.audit.sources["app"].checks.time_range[0] == "2025-06-01T04:00:00+00:00"


def test_user_day_days_in_business_timezone(project):
    ud = project.user_day.execute().sort_values(["user_id", "day"]).reset_index(drop=True)
    ud["day"] = pd.to_datetime(ud["day"]).dt.date.astype(str)
    got = {
        (r.user_id, r.day): (r.events, r.active_events, r.orders, r.revenue, r.refunds)
        for r in ud.itertuples()
    }
    assert got == {
        ("u1", "2026-01-10"): (1, 1, 0, 0.0, 0),
        ("u1", "2026-01-12"): (1, 1, 0, 0.0, 0),  # stitched through the row carrying both ids
        ("u1", "2026-02-01"): (1, 1, 0, 0.0, 0),  # 23:30 UTC on Jan 31 is Feb 1 in Shanghai
        ("u2", "2026-01-15"): (2, 2, 1, 10.0, 1),  # search + order; the refund is not activity
        ("u3", "2026-01-16"): (1, 1, 1, 0.0, 0),  # a free order is a purchase
        ("u3", "2026-01-20"): (1, 0, 0, 0.0, 0),  # push_received is passive
        ("u4", "2026-01-12"): (1, 1, 0, 0.0, 0),
    }
    assert ud["ev_view_item"].sum() == 3 and ud["ev_order"].sum() == 2


def test_duplicate_user_keeps_earliest_signup(project):
    users = project.users_frame().set_index("user_id")
    assert users.loc["u2", "city"] == "Shanghai"
    assert str(users.loc["u2", "signup_time"]) == "2026-01-02 02:00:00+00:00"  # 10:00 local


def test_latest_complete_month_and_window(project):
    assert project.data_start == dt.date(2026, 1, 10)
    assert project.data_end == dt.date(2026, 2, 1)
    assert project.latest_complete_month() == "2026-01"


def test_cache_is_reused_and_keyed_by_file_state(toy):
    first = load_project(toy)
    assert first.build_seconds is None  # the module fixture built it already
    users = toy.parent / "users.csv"
    users.write_text(users.read_text() + "u9,2026-01-04 10:00:00,Beijing\n")
    rebuilt = load_project(toy)
    assert rebuilt.build_seconds is not None and rebuilt.fingerprint != first.fingerprint
    assert rebuilt.audit.sources["users"].rows_in == 5


def test_audit_totals_add_up_the_sources(project):
    from helpers.data.audit import totals

    # app 6 + web 4 + orders 4 + users 4 + identities 1 read; kept 3 + 3 + 3 + 3 + 1
    assert totals(project.audit) == (19, 13)


def test_stored_events_hold_each_distinct_row_once_with_its_fate(project):
    """The cache keeps every distinct event row once: copies, drop reason, how it was stitched and
    its exported name when that changed. The cleaned view (project.tables) keeps only kept rows."""
    stored = pd.read_parquet(project.cache_path / "events.parquet")
    assert len(stored) == 9  # app: rows 1-2 are one distinct row, so 5; web: 4
    app = stored[stored["source"] == "app"]
    assert sorted(app["copies"]) == [1, 1, 1, 1, 2]
    assert sorted(app["drop_reason"].dropna()) == ["null_user_id", "time_out_of_range"]
    assert app.loc[app["copies"] == 2, "event_name_raw"].tolist() == ["View_Item "]
    assert app.loc[app["copies"] == 2, "event_name"].tolist() == ["view_item"]
    web = stored[stored["source"] == "web"]
    assert sorted(web["stitched_via"].dropna()) == ["events", "identities"]
    assert web["drop_reason"].dropna().tolist() == ["unstitched_anonymous"]
    assert web["event_name_raw"].isna().all()
    kept = project.tables["events"].execute()
    assert len(kept) == 6 and "drop_reason" not in kept.columns and "copies" not in kept.columns
    # the dropped rows, one per reason as in the ledger (the duplicate is the extra copy of row 1)
    dropped = project.dropped_events().execute()
    by_reason = dropped.groupby("drop_reason")["copies"].sum().to_dict()
    assert by_reason == {
        "duplicate": 1,
        "null_user_id": 1,
        "time_out_of_range": 1,
        "unstitched_anonymous": 1,
    }


def test_dropped_examples_are_the_rows_as_read(project):
    from helpers.data.profile import dropped_examples

    ex = dropped_examples(project)
    assert sorted(zip(ex["source"], ex["reason"])) == [
        ("app", "duplicate"),
        ("app", "null_user_id"),
        ("app", "time_out_of_range"),
        ("web", "unstitched_anonymous"),
    ]
    row = ex[ex["reason"] == "time_out_of_range"].iloc[0]
    assert (row["user_id"], row["event_time"], row["copies"]) == (
        "u2",
        pd.Timestamp("2025-06-01 04:00:00", tz="UTC"),
        1,
    )  # 12:00 Shanghai
    assert ex.loc[ex["reason"] == "unstitched_anonymous", "anonymous_id"].tolist() == ["a3"]


def test_audit_view_shows_dropped_rows_as_read(project):
    """The same rows in the report: reasons in words, times to the minute in the business
    timezone (named), one missing mark."""
    from helpers.display.format import set_timezone
    from helpers.display.registry import render
    from helpers.sections.data_audit import AuditView

    table = AuditView.from_project(project).dropped_rows()
    try:
        set_timezone(project.config.timezone)
        cells = table.cells()
    finally:
        set_timezone(None)
    row = cells[cells["reason"] == "Timestamp out of range"].iloc[0]
    assert (row["user_id"], row["event_time"], row["copies"]) == (
        "u2",
        "2025-06-01 12:00 Asia/Shanghai",
        "1",
    )
    assert sorted(cells["reason"]) == [
        "Anonymous id not stitched",
        "Exact duplicate",
        "No user id",
        "Timestamp out of range",
    ]
    no_id = cells[cells["reason"] == "No user id"].iloc[0]
    assert no_id["user_id"] == "–"  # an empty id shows the one missing mark, not None or nan
    html = render(table)
    assert "Event time" in html and "Times in Asia/Shanghai" in html and "drop_reason" not in html


def test_daily_volume_skips_the_launch_ramp_but_flags_a_drop_later():
    """60 days: a ramp 5, 40, 80 then about 100 a day (95 to 105), and 10 rows on day 40. The ramp's
    first days sit far below their window's median but are not flagged; day 40 is a drop; nothing
    else is."""
    import datetime as dt

    import ibis

    from helpers.data import activity_checks

    start = dt.date(2026, 1, 1)
    rows = [5, 40, 80] + [95 + (i * 7) % 11 for i in range(57)]
    rows[40] = 10
    days = [start + dt.timedelta(days=i) for i, n in enumerate(rows) for _ in range(n)]
    ev = ibis.memtable(pd.DataFrame({"source": "app", "day": days}))
    vol = activity_checks.daily_volume(ev, None)
    flagged = vol[vol["flag"] != ""]
    assert flagged[["day", "flag"]].values.tolist() == [[start + dt.timedelta(days=40), "drop"]]


def test_distinct_rows_and_standard_event_name():
    """The two pieces of the cleaning the benchmark's floor reuses: exact-duplicate grouping
    (every column equal) and the standardized event name."""
    import ibis

    from helpers.data import event_cleaning

    t = ibis.memtable(
        pd.DataFrame(
            {
                "user_id": ["a", "a", "a", "b"],
                "event_name": [" Add_To_Cart\t", " Add_To_Cart\t", "add_to_cart", "search"],
            }
        )
    )
    got = event_cleaning.distinct_rows(t).execute().sort_values(["user_id", "event_name"])
    assert got["copies"].tolist() == [2, 1, 1]  # the two exact copies, then the variant apart
    names = t.select(n=event_cleaning.standard_event_name(t.event_name)).execute()["n"].tolist()
    assert names == ["add_to_cart", "add_to_cart", "add_to_cart", "search"]

"""Paths on a hand-worked toy (issue 16): where sessions end, where users loop, and the events
just before users leave, each count worked out by hand below; Spark must agree.

Month 2026-03, as_of 2026-03-31, timezone UTC (``day`` is the UTC date), churn after 10 silent
days (``inactive_days=10``: churned this month when the last activity L has
``03-01 <= L + 10 <= 03-31``, i.e. L in 02-19 .. 03-21), the last 3 events, loops of 3 or more.
Personas: P = u1 u2 u3, Q = u4 u5 u6. ``push_received`` is passive (excluded).

Sessions of March (a session counts when it starts in March):

* u1 (session ids): a = search search search view_item payment_error (03-02);
  b = view_item view_item add_to_cart (03-05); c = view_item (03-28).
* u2 (no ids, 30-minute gaps): view_item, search x4 (08:00-08:40), then contact_support at
  09:30 (50 minutes later: a new session); a push on 03-25 (passive: ignored).
* u3 (no ids): 02-28 23:50 view_item + 03-01 00:10 add_to_cart is one session that started in
  February (not counted); 03-15: view_item x3, payment_failed, checkout_start.
* u4 (id x): view_item, add_to_cart, payment_error at 10:06, two payment_error rows at 10:07
  (they differ in platform), contact_support (03-10).
* u5 (ids): y = review (03-20); x = view_item at 03-31 23:50 and search at 04-01 00:10 (after
  the month: not read, so x ends with view_item). u5 reuses id ``x``: another user's session.
* u6: one event on 02-10 only (churned in February: not this month's churner).

9 sessions: u1 a b c, u2 two, u3 one, u4 one, u5 two (P: 6, Q: 3).
"""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest

from helpers.analysis import paths as P
from helpers.core.config_sections import EngineConfig
from helpers.core.errors import DataError
from helpers.data import engine

SE, VI, AC, PE, PF, CS, CO, RV = (
    "search",
    "view_item",
    "add_to_cart",
    "payment_error",
    "payment_failed",
    "contact_support",
    "checkout_start",
    "review",
)
ROWS = [  # user, UTC time, event, session id, platform
    ("u1", "2026-03-02 10:00", SE, "a", "ios"),
    ("u1", "2026-03-02 10:01", SE, "a", "ios"),
    ("u1", "2026-03-02 10:02", SE, "a", "ios"),
    ("u1", "2026-03-02 10:03", VI, "a", "ios"),
    ("u1", "2026-03-02 10:04", PE, "a", "ios"),
    ("u1", "2026-03-05 09:00", VI, "b", "ios"),
    ("u1", "2026-03-05 09:01", VI, "b", "ios"),
    ("u1", "2026-03-05 09:02", AC, "b", "ios"),
    ("u1", "2026-03-28 12:00", VI, "c", "ios"),
    ("u2", "2026-03-03 08:00", VI, None, "web"),
    ("u2", "2026-03-03 08:10", SE, None, "web"),
    ("u2", "2026-03-03 08:20", SE, None, "web"),
    ("u2", "2026-03-03 08:30", SE, None, "web"),
    ("u2", "2026-03-03 08:40", SE, None, "web"),
    ("u2", "2026-03-03 09:30", CS, None, "web"),
    ("u2", "2026-03-25 12:00", "push_received", None, "web"),
    ("u3", "2026-02-28 23:50", VI, None, "web"),
    ("u3", "2026-03-01 00:10", AC, None, "web"),
    ("u3", "2026-03-15 10:00", VI, None, "web"),
    ("u3", "2026-03-15 10:05", VI, None, "web"),
    ("u3", "2026-03-15 10:10", VI, None, "web"),
    ("u3", "2026-03-15 10:15", PF, None, "web"),
    ("u3", "2026-03-15 10:20", CO, None, "web"),
    ("u4", "2026-03-10 10:00", VI, "x", "ios"),
    ("u4", "2026-03-10 10:05", AC, "x", "ios"),
    ("u4", "2026-03-10 10:06", PE, "x", "ios"),
    ("u4", "2026-03-10 10:07", PE, "x", "ios"),
    ("u4", "2026-03-10 10:07", PE, "x", "web"),
    ("u4", "2026-03-10 10:09", CS, "x", "ios"),
    ("u5", "2026-03-20 12:00", RV, "y", "android"),
    ("u5", "2026-03-31 23:50", VI, "x", "android"),
    ("u5", "2026-04-01 00:10", SE, "x", "android"),
    ("u6", "2026-02-10 09:00", VI, None, "web"),
]
SEGMENTS = pd.DataFrame(
    {"user_id": ["u1", "u2", "u3", "u4", "u5", "u6"], "persona": ["P"] * 3 + ["Q"] * 3}
)
MONTH = dict(month_start="2026-03-01", month_end="2026-03-31")
PASSIVE = ["push_received"]


def toy_frame() -> pd.DataFrame:
    df = pd.DataFrame(ROWS, columns=["user_id", "t", "event_name", "session_id", "platform"])
    df["event_time"] = pd.to_datetime(df.pop("t"), utc=True)
    df["day"] = df["event_time"].dt.date
    return df.sample(frac=1, random_state=5).reset_index(drop=True)


_TABLES: dict = {}


def toy_table(con):
    if id(con) not in _TABLES:
        make = con.create_view if engine.backend_name(con) == "pyspark" else con.create_table
        _TABLES[id(con)] = make("paths_toy_events", ibis.memtable(toy_frame()))
    return _TABLES[id(con)]


def toy_orders(con):
    """u3 buys on 03-25; u4 has a refund on 03-12."""
    if ("orders", id(con)) not in _TABLES:
        od = pd.DataFrame(
            {
                "user_id": ["u3", "u4"],
                "order_time": pd.to_datetime(["2026-03-25 08:00", "2026-03-12 08:00"], utc=True),
                "amount": [12.0, -5.0],
            }
        )
        od["day"] = od["order_time"].dt.date
        make = con.create_view if engine.backend_name(con) == "pyspark" else con.create_table
        _TABLES[("orders", id(con))] = make("paths_toy_orders", ibis.memtable(od))
    return _TABLES[("orders", id(con))]


@pytest.fixture(scope="module")
def con():
    c = engine.connect()
    yield c
    c.disconnect()


def _by(df, kind, segment, *cols, key=("event_name",)):
    part = df[(df.segment_kind == kind) & (df.segment == segment)]
    return {
        tuple(r[k] for k in key) if len(key) > 1 else r[key[0]]: tuple(r[c] for c in cols)
        for _, r in part.iterrows()
    }


def test_sessions_of_the_toy(con):
    s = P.sessionize(toy_table(con)).execute()
    per_user = s.groupby("user_id")["session"].nunique().to_dict()
    # u1 a b c; u2: 2 gap sessions in March + the push on 03-25; u3: 02-28 (with 03-01) and
    # 03-15; u4 x; u5 y x; u6 one
    assert per_user == {"u1": 3, "u2": 3, "u3": 2, "u4": 1, "u5": 2, "u6": 1}
    u3 = s[s.user_id == "u3"].sort_values("event_time")
    assert u3["session"].iloc[0] == u3["session"].iloc[1] != u3["session"].iloc[2]
    # equal timestamps (u4's two payment_error rows at 10:07) are positions 4 and 5, and the
    # last event of the session is contact_support
    u4 = s[s.user_id == "u4"].sort_values(["seq"])
    assert u4["seq"].tolist() == [1, 2, 3, 4, 5, 6]
    assert u4["seq_from_end"].tolist() == [6, 5, 4, 3, 2, 1]
    assert u4["next_event"].tolist()[:5] == [AC, PE, PE, PE, CS]


def test_session_ends_by_hand(con):
    ends = P.session_ends(toy_table(con), segments=SEGMENTS, exclude_events=PASSIVE, **MONTH)
    # all (9): u1 a payment_error, b add_to_cart, c view_item; u2 search, contact_support;
    # u3 checkout_start; u4 contact_support; u5 review, view_item
    assert _by(ends, "all", "all", "sessions") == {
        CS: (2,),
        VI: (2,),
        AC: (1,),
        CO: (1,),
        PE: (1,),
        RV: (1,),
        SE: (1,),
    }
    assert ends[ends.segment == "all"]["event_name"].tolist()[:2] == [CS, VI]  # ties by name
    assert ends.loc[ends.segment == "all", "share"].sum() == pytest.approx(1)
    assert ends.loc[(ends.segment == "all") & (ends.event_name == CS), "share"].item() == 2 / 9
    # P (6 sessions): one each; Q (3): contact_support, review, view_item
    assert _by(ends, "persona", "P", "sessions", "share") == {
        e: (1, 1 / 6) for e in (PE, AC, VI, SE, CS, CO)
    }
    assert _by(ends, "persona", "Q", "sessions") == {CS: (1,), RV: (1,), VI: (1,)}
    assert set(ends.loc[ends.problem, "event_name"]) == {PE, CS}


def test_loops_by_hand(con):
    lp = P.loops(toy_table(con), segments=SEGMENTS, exclude_events=PASSIVE, **MONTH)
    cols = ("loops", "sessions", "users", "user_share", "longest")
    # search x3 (u1 a) and x4 (u2); view_item x3 (u3, 03-15; u1 b has only 2 in a row);
    # payment_error x3 (u4, two of them at the same second). Users with March sessions: all 5,
    # P 3 (u1 u2 u3), Q 2 (u4 u5; u6 has none)
    assert _by(lp, "all", "all", *cols) == {
        SE: (2, 2, 2, 2 / 5, 4),
        VI: (1, 1, 1, 1 / 5, 3),
        PE: (1, 1, 1, 1 / 5, 3),
    }
    assert _by(lp, "persona", "P", *cols) == {SE: (2, 2, 2, 2 / 3, 4), VI: (1, 1, 1, 1 / 3, 3)}
    assert _by(lp, "persona", "Q", *cols) == {PE: (1, 1, 1, 1 / 2, 3)}
    assert lp[lp.segment == "all"]["event_name"].tolist() == [SE, PE, VI]
    # runs of 4 or more: only u2's search
    four = P.loops(toy_table(con), min_repeats=4, exclude_events=PASSIVE, **MONTH)
    assert four[["event_name", "loops", "longest"]].values.tolist() == [[SE, 1, 4]]


def test_exit_events_by_hand(con):
    ex = P.exit_events(
        toy_table(con),
        as_of="2026-03-31",
        inactive_days=10,
        segments=SEGMENTS,
        exclude_events=PASSIVE,
        **MONTH,
    )
    key = ("context", "event_name")
    # last 3 events of each session: u1 a {search, view_item, payment_error}, b {view_item,
    # add_to_cart}, c {view_item}; u2 {search}, {contact_support}; u3 {view_item,
    # payment_failed, checkout_start}; u4 {payment_error, contact_support}; u5 {review},
    # {view_item}.
    # Churned this month: u2 (L 03-03; the push on 03-25 is no activity), u3 (03-15), u4
    # (03-10); not u1 (03-28), u5 (03-31), u6 (02-10: churned 02-20). Their last 3 events:
    # u2 {contact_support, search}, u3 {checkout_start, payment_failed, view_item},
    # u4 {contact_support, payment_error}
    assert _by(ex, "all", "all", "exits", "share", key=key) == {
        ("session_end", VI): (5, 5 / 9),
        ("session_end", SE): (2, 2 / 9),
        ("session_end", PE): (2, 2 / 9),
        ("session_end", CS): (2, 2 / 9),
        ("session_end", AC): (1, 1 / 9),
        ("session_end", PF): (1, 1 / 9),
        ("session_end", CO): (1, 1 / 9),
        ("session_end", RV): (1, 1 / 9),
        ("churn", CS): (2, 2 / 3),
        ("churn", SE): (1, 1 / 3),
        ("churn", CO): (1, 1 / 3),
        ("churn", PF): (1, 1 / 3),
        ("churn", VI): (1, 1 / 3),
        ("churn", PE): (1, 1 / 3),
    }
    assert _by(ex, "persona", "Q", "exits", "share", key=key) == {
        ("session_end", PE): (1, 1 / 3),
        ("session_end", CS): (1, 1 / 3),
        ("session_end", RV): (1, 1 / 3),
        ("session_end", VI): (1, 1 / 3),
        ("churn", CS): (1, 1.0),
        ("churn", PE): (1, 1.0),
    }
    p_churn = _by(ex, "persona", "P", "exits", "share", key=key)
    assert {k: v for k, v in p_churn.items() if k[0] == "churn"} == {
        ("churn", e): (1, 1 / 2) for e in (CS, SE, CO, PF, VI)
    }
    # session_end rows first, then churn; the most frequent first; problems flagged
    all_rows = ex[ex.segment == "all"]
    assert all_rows["context"].tolist() == ["session_end"] * 8 + ["churn"] * 6
    assert all_rows["event_name"].iloc[0] == VI and all_rows["event_name"].iloc[8] == CS
    assert set(ex.loc[ex.problem, "event_name"]) == {PE, PF, CS}


def test_a_passive_event_is_no_activity(con):
    # counting the push as activity, u2's last activity is 03-25: no churner this month, so
    # only u3 and u4 churned (contact_support: u4 only)
    ex = P.exit_events(toy_table(con), as_of="2026-03-31", inactive_days=10, **MONTH)
    churn = ex[ex.context == "churn"].set_index("event_name")
    assert churn.loc[CS, "exits"] == 1 and churn.loc[CS, "share"] == 1 / 2


def test_orders_are_activity_before_churn(con):
    # u3 buys on 03-25: no churner this month any more; u4's refund (amount < 0) is no
    # activity. Churned: u2 {contact_support, search}, u4 {contact_support, payment_error}
    orders = toy_orders(con)
    ex = P.exit_events(
        toy_table(con),
        as_of="2026-03-31",
        inactive_days=10,
        exclude_events=PASSIVE,
        orders=orders,
        **MONTH,
    )
    churn = ex[ex.context == "churn"]
    assert dict(zip(churn.event_name, churn.exits)) == {CS: 2, PE: 1, SE: 1}
    assert churn.loc[churn.event_name == CS, "share"].item() == 1.0


def test_problem_patterns_are_configurable():
    assert P.is_problem_event([PE, CS, "退款失败", VI]).tolist() == [True, True, True, False]
    assert P.is_problem_event([PE, CS], ["support"]).tolist() == [False, True]
    assert P.is_problem_event([PE], []).tolist() == [False]


def test_a_table_without_day_needs_a_timezone(con):
    with pytest.raises(DataError, match="no `day` column"):
        P.session_ends(toy_table(con).drop("day"), **MONTH)
    ends = P.session_ends(toy_table(con).drop("day"), timezone="UTC", **MONTH)
    # the 9 sessions, plus u2's push on 03-25 (a session of its own when it is not excluded)
    assert ends["sessions"].sum() == 10


@pytest.mark.spark
def test_spark_gives_the_same_paths(con):
    spark = engine.connect(EngineConfig(kind="spark", conf={"spark.sql.shuffle.partitions": 2}))
    assert engine.backend_name(spark) == "pyspark"
    kw = dict(
        as_of="2026-03-31",
        inactive_days=10,
        segments=SEGMENTS,
        exclude_events=PASSIVE,
        **MONTH,
    )
    on_spark = P.compute_paths(toy_table(spark), orders=toy_orders(spark), **kw)
    on_duck = P.compute_paths(toy_table(con), orders=toy_orders(con), **kw)
    for name in ("session_ends", "loops", "exit_events"):
        pd.testing.assert_frame_equal(getattr(on_spark, name), getattr(on_duck, name), obj=name)
    assert on_spark.exit_events["exits"].sum() == on_duck.exit_events["exits"].sum() > 0


def test_the_kits_active_days_give_the_same_churners(con):
    # user_day built by hand from the toy: a day is active with a non-passive event or an
    # order (u3's 03-25 purchase; u4's refund is none). Read from it, the last days and so
    # the churners (u2, u4) and their last events are those of the event scan above.
    ev = toy_frame()
    active = ev[~ev.event_name.isin(PASSIVE)].groupby(["user_id", "day"]).size()
    ud = active.rename("active_events").reset_index().assign(orders=0)
    ud = pd.concat(
        [
            ud,
            pd.DataFrame(
                {
                    "user_id": ["u3"],
                    "day": [dt.date(2026, 3, 25)],
                    "active_events": [0],
                    "orders": [1],
                }
            ),
        ],
        ignore_index=True,
    )
    kw = dict(as_of="2026-03-31", inactive_days=10, exclude_events=PASSIVE, **MONTH)
    scan = P.exit_events(toy_table(con), orders=toy_orders(con), **kw)
    read = P.exit_events(toy_table(con), orders=toy_orders(con), user_day=ibis.memtable(ud), **kw)
    pd.testing.assert_frame_equal(read, scan)
    churn = read[read.context == "churn"]
    assert dict(zip(churn.event_name, churn.exits)) == {CS: 2, PE: 1, SE: 1}

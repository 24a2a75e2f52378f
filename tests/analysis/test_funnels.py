"""Funnels on a hand-worked toy (issue 16): every count, conversion, interval and median below
was worked out by hand from the rows, user by user; the Spark run must give the same numbers.

The toy: funnel view_item -> add_to_cart -> checkout_start -> order (the orders table), 7-day
window, month 2026-03, as_of 2026-03-31, business timezone Asia/Shanghai (UTC+8). Times below
are local; the tables hold UTC instants and the local ``day``, as the cleaned tables do. Rows
are shuffled, so the input order means nothing.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from helpers.analysis.funnels import per_user as U
from helpers.analysis.funnels import tables as T
from helpers.analysis.funnels.transitions import top_transitions
from helpers.core.config_sections import EngineConfig
from helpers.core.errors import DataError, ParameterError
from helpers.data import engine

TZ = "Asia/Shanghai"
STEPS = ["view_item", "add_to_cart", "checkout_start", "order"]
MONTH = dict(month_start="2026-03-01", month_end="2026-03-31", as_of="2026-03-31")
V, C, K = "view_item", "add_to_cart", "checkout_start"

EVENTS = [
    # u1: the straight path, then an order 10 min after checkout -> step 4 (gaps 5, 15, 10 min)
    ("u1", "2026-03-02 10:00", V),
    ("u1", "2026-03-02 10:05", C),
    ("u1", "2026-03-02 10:20", K),
    # u2: the cart comes before the only view (out of order) and the order follows no cart
    #     -> step 1 only
    ("u2", "2026-03-03 09:00", C),
    ("u2", "2026-03-03 10:00", V),
    # u3: checkout 7 days and 1 minute after the view: outside the window -> step 2 (1 day)
    ("u3", "2026-03-05 12:00", V),
    ("u3", "2026-03-06 12:00", C),
    ("u3", "2026-03-12 12:01", K),
    # u4: cart exactly 7 days after the view: the window's end is included -> step 2
    ("u4", "2026-03-10 08:00", V),
    ("u4", "2026-03-17 08:00", C),
    # u5: checkout at 00:30 local on 04-01, after as_of (03-31, 16:30 UTC) -> step 2 (1 day)
    ("u5", "2026-03-29 10:00", V),
    ("u5", "2026-03-30 10:00", C),
    ("u5", "2026-04-01 00:30", K),
    # u6: view, cart and checkout at the same second: non-decreasing is enough -> step 3 (0, 0)
    ("u6", "2026-03-08 09:00", V),
    ("u6", "2026-03-08 09:00", C),
    ("u6", "2026-03-08 09:00", K),
    # u7: first attempt (03-04) reaches the cart only: its checkout (03-15) is 11 days later.
    #     The second attempt (03-14) reaches the order -> step 4 with the second attempt's
    #     times (gaps 60 min, 23 h = 1380 min, 1 day = 1440 min)
    ("u7", "2026-03-04 10:00", V),
    ("u7", "2026-03-05 10:00", C),
    ("u7", "2026-03-14 10:00", V),
    ("u7", "2026-03-14 11:00", C),
    ("u7", "2026-03-15 10:00", K),
    # u8: both views are in February (23:30 local on 02-28 is still February): no entry in
    #     March, although the cart is on 03-01. In February: step 2, from the 02-27 attempt
    ("u8", "2026-02-27 10:00", V),
    ("u8", "2026-02-28 23:30", V),
    ("u8", "2026-03-01 10:00", C),
    # u9: 01:30 local on 03-01 is 17:30 UTC on 02-28: the local day counts -> entry, step 2 (30)
    ("u9", "2026-03-01 01:30", V),
    ("u9", "2026-03-01 02:00", C),
    # u10: the whole path in 10 minutes, a free order (amount 0) counts -> step 4 (2, 1, 7)
    ("u10", "2026-03-22 12:00", V),
    ("u10", "2026-03-22 12:02", C),
    ("u10", "2026-03-22 12:03", K),
    # u11: its only order is a refund (amount < 0), which is no purchase -> step 3 (20, 20)
    ("u11", "2026-03-23 09:00", V),
    ("u11", "2026-03-23 09:20", C),
    ("u11", "2026-03-23 09:40", K),
    # u13: two attempts both reach the cart; the earliest one's times count -> step 2 (10 min,
    #      not the second attempt's 1 min)
    ("u13", "2026-03-20 10:00", V),
    ("u13", "2026-03-20 10:10", C),
    ("u13", "2026-03-21 10:00", V),
    ("u13", "2026-03-21 10:01", C),
    # u14: checkout before the cart does not count -> step 2 (10 min)
    ("u14", "2026-03-25 10:00", V),
    ("u14", "2026-03-25 10:05", K),
    ("u14", "2026-03-25 10:10", C),
]
ORDERS = [
    ("u1", "2026-03-02 10:30", 50.0),
    ("u2", "2026-03-03 12:00", 20.0),
    ("u7", "2026-03-16 10:00", 30.0),
    ("u10", "2026-03-22 12:10", 0.0),
    ("u11", "2026-03-23 09:50", -20.0),
]
# hand results: furthest step per March entrant (u8 is no entrant)
FURTHEST = {
    "u1": 4,
    "u2": 1,
    "u3": 2,
    "u4": 2,
    "u5": 2,
    "u6": 3,
    "u7": 4,
    "u9": 2,
    "u10": 4,
    "u11": 3,
    "u13": 2,
    "u14": 2,
}
SEGMENTS = pd.DataFrame(
    {
        "user_id": [
            "u1",
            "u2",
            "u3",
            "u4",
            "u5",
            "u6",
            "u7",
            "u8",
            "u9",
            "u10",
            "u11",
            "u13",
            "u14",
        ],
        "persona": ["A"] * 6 + ["B"] * 7,
        "platform": ["android", "android", "ios", "ios", "ios", "android", "android"]
        + ["ios", "ios", "ios", "android", "ios", "ios"],
    }
)


def _utc(local: str) -> pd.Timestamp:
    return pd.Timestamp(local).tz_localize(TZ).tz_convert("UTC")


def toy_frames(step_name: str = "view_item") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The toy as cleaned tables: (events, orders), rows shuffled."""
    ev = pd.DataFrame(EVENTS, columns=["user_id", "local", "event_name"])
    ev["event_name"] = ev["event_name"].replace({V: step_name})
    od = pd.DataFrame(ORDERS, columns=["user_id", "local", "amount"])
    for df, col in ((ev, "event_time"), (od, "order_time")):
        df[col] = [_utc(x) for x in df["local"]]
        df["day"] = [pd.Timestamp(x).date() for x in df["local"]]
    ev, od = ev.drop(columns="local"), od.drop(columns="local")
    ev = ev.sample(frac=1, random_state=3).reset_index(drop=True)
    return ev, od


@pytest.fixture(scope="module")
def con():
    c = engine.connect()
    yield c
    c.disconnect()


_TABLES: dict = {}


def toy_tables(con):
    """The toy as tables of ``con`` (DuckDB tables, Spark temporary views), made once."""
    if id(con) not in _TABLES:
        ev, od = toy_frames()
        make = con.create_view if engine.backend_name(con) == "pyspark" else con.create_table
        _TABLES[id(con)] = (
            make("funnel_toy_events", ibis.memtable(ev)),
            make("funnel_toy_orders", ibis.memtable(od)),
        )
    return _TABLES[id(con)]


def march(con, **kw) -> pd.DataFrame:
    ev, od = toy_tables(con)
    return U.funnel_users(ev, STEPS, window_days=7, orders=od, **{**MONTH, **kw})


# -------------------------------------------------------------------------------------------------
def test_furthest_step_per_user(con):
    per_user = march(con)
    assert dict(zip(per_user["user_id"], per_user["furthest_step"])) == FURTHEST


def test_times_come_from_the_earliest_attempt_that_went_furthest(con):
    per_user = march(con).set_index("user_id")
    u7 = per_user.loc["u7", ["time_1", "time_2", "time_3", "time_4"]].tolist()
    assert u7 == [
        _utc("2026-03-14 10:00"),
        _utc("2026-03-14 11:00"),
        _utc("2026-03-15 10:00"),
        _utc("2026-03-16 10:00"),
    ]
    assert per_user.loc["u13", "time_1"] == _utc("2026-03-20 10:00")
    assert per_user.loc["u13", "time_2"] == _utc("2026-03-20 10:10")
    assert pd.isna(per_user.loc["u13", "time_3"]) and pd.isna(per_user.loc["u2", "time_2"])
    # u9 entered with a view at 17:30 UTC on 02-28 (01:30 local on 03-01)
    assert per_user.loc["u9", "time_1"] == pd.Timestamp("2026-02-28 17:30", tz="UTC")


def test_funnel_table_by_hand(con):
    table = T.funnel_table(march(con), STEPS)
    assert table["users"].tolist() == [12, 11, 5, 3]
    np.testing.assert_allclose(table["conversion_from_start"], [1, 11 / 12, 5 / 12, 3 / 12])
    np.testing.assert_allclose(table["conversion_from_previous"][1:], [11 / 12, 5 / 11, 3 / 5])
    assert np.isnan(table["conversion_from_previous"][0]) and np.isnan(table["ci_low"][0])
    # Wilson 95 % for 3 of 5: (0.6 + z²/10 ± z·sqrt(0.048 + z²/100)) / (1 + z²/5), z = 1.95996
    assert table["ci_low"][3] == pytest.approx(0.2307, abs=5e-5)
    assert table["ci_high"][3] == pytest.approx(0.8824, abs=5e-5)
    # step 2 gaps: 0 2 5 10 10 [20] 30 60 1440 1440 10080; step 3: 0 1 [15] 20 1380;
    # step 4: 7 [10] 1440 (minutes)
    assert np.isnan(table["median_minutes_from_previous"][0])
    assert table["median_minutes_from_previous"][1:].tolist() == [20.0, 15.0, 10.0]
    assert table["event_name"].tolist() == STEPS and set(table["segment_kind"]) == {"all"}


def test_segments_and_their_largest_drop(con):
    table = T.funnel_table(march(con), STEPS, SEGMENTS)
    users = {
        (r.segment_kind, r.segment): r.users
        for r in table.groupby(["segment_kind", "segment"])[["users"]]
        .agg(list)
        .reset_index()
        .itertuples()
    }
    # A: u1 4, u2 1, u3 2, u4 2, u5 2, u6 3; B: u7 4, u9 2, u10 4, u11 3, u13 2, u14 2
    # android: u1 4, u2 1, u6 3, u7 4, u11 3; ios: u3 u4 u5 u9 u13 u14 at 2, u10 at 4
    assert users == {
        ("all", "all"): [12, 11, 5, 3],
        ("persona", "A"): [6, 5, 2, 1],
        ("persona", "B"): [6, 6, 3, 2],
        ("platform", "android"): [5, 4, 4, 2],
        ("platform", "ios"): [7, 7, 1, 1],
    }
    drops = T.largest_drop(table).set_index(["segment_kind", "segment"])
    # all: 11/12, 5/11, 3/5 -> cart -> checkout; android: 4/5, 4/4, 2/4 -> checkout -> order;
    # ios: 7/7, 1/7, 1/1 -> cart -> checkout; A: 5/6, 2/5, 1/2; B: 6/6, 3/6, 2/3
    assert drops.loc[("all", "all"), ["from_event", "to_event"]].tolist() == [C, K]
    assert drops.loc[("platform", "android"), ["from_event", "to_event"]].tolist() == [K, "order"]
    assert drops.loc[("platform", "android"), "conversion"] == 0.5
    assert drops.loc[("platform", "ios"), ["from_step", "to_step"]].tolist() == [2, 3]
    assert drops.loc[("persona", "A"), "conversion"] == pytest.approx(2 / 5)
    assert drops.loc[("persona", "B"), "drop"] == pytest.approx(0.5)
    # min_users leaves out segments smaller than that at step 1 (android has 5, ios 7)
    small = T.largest_drop(table, min_users=6)
    assert ("platform", "android") not in set(zip(small.segment_kind, small.segment))
    assert ("platform", "ios") in set(zip(small.segment_kind, small.segment))


def test_artifact_has_the_issue_columns(con):
    table = T.funnel_table(march(con), STEPS, SEGMENTS[["user_id", "platform"]])
    art = T.funnel_artifact({"checkout": table})
    assert list(art.columns) == [
        "funnel",
        "segment_kind",
        "segment",
        "step",
        "event_name",
        "users",
        "conversion_from_start",
        "conversion_from_previous",
        "ci_low",
        "ci_high",
    ]
    assert len(art) == 12 and set(art["funnel"]) == {"checkout"}
    assert art[art.segment == "ios"]["users"].tolist() == [7, 7, 1, 1]


def test_wilson_interval_of_the_table_matches_newcombe():
    # Newcombe (1998), Stat Med 17:857, Table I, method 3 (Wilson score): 81/263 -> 0.2553 to
    # 0.3662; 15/148 -> 0.0624 to 0.1605; 0/20 -> 0 to 0.1611
    def frame(n, k):
        t = pd.Timestamp("2026-03-02 10:00", tz="UTC")
        return pd.DataFrame(
            {
                "user_id": [f"x{i}" for i in range(n)],
                "furthest_step": [2] * k + [1] * (n - k),
                "time_1": [t] * n,
                "time_2": pd.to_datetime(
                    [t + pd.Timedelta(minutes=i) for i in range(k)] + [pd.NaT] * (n - k), utc=True
                ),
            }
        )

    cases = [(263, 81, 0.2553, 0.3662), (148, 15, 0.0624, 0.1605), (20, 0, 0.0, 0.1611)]
    for n, k, low, high in cases:
        row = T.funnel_table(frame(n, k), ["a", "b"]).iloc[1]
        assert (row["users"], round(row["ci_low"], 4), round(row["ci_high"], 4)) == (k, low, high)


def test_trend_by_month(con):
    ev, od = toy_tables(con)
    trend = T.funnel_trend(
        ev, STEPS, month="2026-03", months=3, as_of="2026-03-31", window_days=7, orders=od
    )
    users = trend.groupby("month")["users"].agg(list).to_dict()
    # January: nobody; February: u8 (views 02-27 and 02-28, cart 03-01 within 7 days of both)
    assert users == {"2026-01": [0, 0, 0, 0], "2026-02": [1, 1, 0, 0], "2026-03": [12, 11, 5, 3]}
    feb = trend[(trend.month == "2026-02") & (trend.step == 2)].iloc[0]
    # the earliest attempt (02-27 10:00 -> 03-01 10:00) gives the time: 2 days
    assert feb["median_minutes_from_previous"] == 2 * 24 * 60


def test_order_steps_from_purchase_events(con):
    """A step listed in ``purchase_events`` matches the orders too; without orders it would not."""
    ev, od = toy_tables(con)
    steps = [V, C, K, "purchase"]
    with_orders = U.funnel_users(
        ev, steps, window_days=7, orders=od, purchase_events=["purchase"], **MONTH
    )
    assert with_orders["furthest_step"].tolist() == march(con)["furthest_step"].tolist()
    without = U.funnel_users(ev, steps, window_days=7, orders=od, **MONTH)
    assert without["furthest_step"].max() == 3


def test_as_of_before_month_end_cuts_entries_and_steps(con):
    # as_of 03-22: entries and steps up to the end of 03-22 (local). u10 (everything on 03-22)
    # keeps step 4; u11 (03-23), u14 (03-25) and u5 (03-29) have not entered yet; the others
    # finished by 03-22 (u4's cart 03-17, u7's order 03-16, u13 on 03-20)
    per_user = march(con, as_of="2026-03-22")
    got = dict(zip(per_user["user_id"], per_user["furthest_step"]))
    expected = {u: s for u, s in FURTHEST.items() if u not in ("u5", "u11", "u14")}
    assert got == expected


def test_bad_steps_and_tables_say_what_is_wrong(con):
    ev, od = toy_tables(con)
    with pytest.raises(
        ParameterError, match=r"more than once: \['view_item', 'order', 'view_item'\]"
    ):
        U.funnel_users(ev, [V, "order", V], window_days=7, **MONTH)
    with pytest.raises(ParameterError, match="at least two event names"):
        U.funnel_users(ev, [V], window_days=7, **MONTH)
    with pytest.raises(ParameterError, match="window_days"):
        U.funnel_users(ev, [V, C], window_days=0, **MONTH)
    with pytest.raises(DataError, match="no `day` column"):
        U.funnel_users(ev.drop("day"), [V, C], window_days=7, **MONTH)
    # with the timezone the day is computed, and the answer is the same
    same = U.funnel_users(ev.drop("day"), [V, C], window_days=7, timezone=TZ, **MONTH)
    assert same["furthest_step"].tolist() == [min(s, 2) for s in march(con)["furthest_step"]]
    dup = pd.DataFrame({"user_id": ["u1", "u1"], "persona": ["A", "B"]})
    with pytest.raises(DataError, match="user_id 'u1' appears more than once"):
        T.funnel_table(march(con), STEPS, dup)


def test_top_transitions(con):
    ev, _ = toy_tables(con)
    tr = top_transitions(ev, month_start="2026-03-01", month_end="2026-03-31", top=3)
    # March days only (u5's checkout on 04-01 and u8's February views are out); sessions cut
    # at gaps of more than 30 minutes (no session id); equal times ordered by name. Sessions:
    # u1 V C K; u2 C | V (60 min); u3 V | C | K; u4 V | C; u5 V | C; u6 C K V (all 09:00);
    # u7 V | C | V | C (60 min) | K; u8 C; u9 V C (exactly 30 min: same session);
    # u10 V C K; u11 V C K; u13 V C | V C; u14 V K C.
    # V -> C: u1 u9 u10 u11 u13 u13 = 6 (5 users); C -> K: u1 u6 u10 u11 = 4; K -> V (u6),
    # V -> K (u14), K -> C (u14): 1 each, ties in name order (checkout_start first)
    assert tr[["from_event", "to_event", "transitions", "users"]].values.tolist() == [
        [V, C, 6, 5],
        [C, K, 4, 4],
        [K, C, 1, 1],
    ]
    # out of view_item: 6 to the cart, 1 to checkout
    assert tr["share_of_from"].iloc[0] == pytest.approx(6 / 7)


# -------------------------------------------------------------------------------------------------
@pytest.mark.spark
def test_spark_gives_the_same_funnel(con):
    spark = engine.connect(EngineConfig(kind="spark", conf={"spark.sql.shuffle.partitions": 2}))
    assert engine.backend_name(spark) == "pyspark"
    on_spark = march(spark)
    on_duck = march(con)
    assert dict(zip(on_spark["user_id"], on_spark["furthest_step"])) == FURTHEST
    pd.testing.assert_frame_equal(on_spark, on_duck)
    table = T.funnel_table(on_spark, STEPS, SEGMENTS)
    pd.testing.assert_frame_equal(table, T.funnel_table(on_duck, STEPS, SEGMENTS))
    ev, od = toy_tables(spark)
    trend = T.funnel_trend(
        ev, STEPS, month="2026-03", months=2, as_of="2026-03-31", window_days=7, orders=od
    )
    assert trend.groupby("month")["users"].agg(list).to_dict() == {
        "2026-02": [1, 1, 0, 0],
        "2026-03": [12, 11, 5, 3],
    }
    assert top_transitions(ev, month_start="2026-03-01", month_end="2026-03-31", top=3)[
        "transitions"
    ].tolist() == [6, 4, 1]

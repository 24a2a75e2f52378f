"""helpers.analysis.features: BTYD summary (hand toy + cdnow_dir against lifetimes' figures) and the feature table."""

import datetime as dt
import math

import ibis
import numpy as np
import pandas as pd
import pytest

from helpers.analysis.features import (
    ATTRIBUTE_ENTRY,
    FEATURE_COLUMNS,
    SHARE_ENTRY,
    btyd_summary,
    feature_dictionary,
    to_frame,
    user_features,
)
from helpers.core.errors import DataError


def _user_day(rows, ev=("view",)):
    """rows: (user_id, day, active_events, orders, revenue, {ev: n})."""
    recs = []
    for uid, day, active, orders, revenue, evs in rows:
        rec = {
            "user_id": uid,
            "day": dt.date.fromisoformat(day),
            "events": sum(evs.values()) or active,
            "active_events": active,
            "orders": orders,
            "revenue": float(revenue),
            "refunds": 0,
        }
        for e in ev:
            rec["ev_" + e] = evs.get(e, 0)
        recs.append(rec)
    return pd.DataFrame(recs)


def test_btyd_summary_hand_toy():
    df = _user_day(
        [
            # one-time buyer, plus a browsing day
            ("one", "2024-01-03", 2, 0, 0, {}),
            ("one", "2024-01-10", 1, 1, 20, {}),
            # repeat buyer: a free order (revenue 0) on 01-05 counts as a purchase day
            ("rep", "2024-01-02", 1, 1, 10, {}),
            ("rep", "2024-01-05", 1, 1, 0, {}),
            ("rep", "2024-01-20", 2, 2, 30, {}),
            # buyer with a purchase after as_of (ignored)
            ("late", "2024-01-15", 1, 1, 5, {}),
            ("late", "2024-02-10", 1, 1, 50, {}),
            # not a buyer by as_of
            ("after", "2024-02-01", 1, 1, 9, {}),
            ("browser", "2024-01-04", 3, 0, 0, {}),
        ]
    )
    t = ibis.memtable(df)
    got = btyd_summary(t, as_of=dt.date(2024, 1, 31))
    assert list(got.index) == ["late", "one", "rep"]
    assert got.index.name == "user_id"
    expected = pd.DataFrame(
        {
            "frequency": [0.0, 0.0, 2.0],
            "recency": [0.0, 0.0, 18.0],
            "T": [16.0, 21.0, 29.0],
            "monetary_value": [0.0, 0.0, 15.0],
            "recency_days": [16.0, 21.0, 11.0],
        },
        index=pd.Index(["late", "one", "rep"], name="user_id"),
    )
    pd.testing.assert_frame_equal(got, expected)


def _cdnow_user_day(cdnow_dir):
    orders = pd.read_csv(cdnow_dir / "cdnow_sample_orders.csv")
    orders["user_id"] = orders["customer_id"].astype(str)
    orders["day"] = pd.to_datetime(orders["date"].astype(str), format="%Y%m%d").dt.date
    ud = orders.groupby(["user_id", "day"], as_index=False).agg(
        orders=("dollars", "size"), revenue=("dollars", "sum")
    )
    ud["events"] = ud["orders"]
    ud["active_events"] = ud["orders"]
    ud["refunds"] = 0
    return ud


@pytest.mark.parametrize("as_of", ["1998-06-30", "1997-09-30"])
def test_btyd_summary_matches_lifetimes_on_cdnow(cdnow_dir, as_of):
    t = ibis.memtable(_cdnow_user_day(cdnow_dir))
    got = btyd_summary(t, as_of=as_of)
    exp = pd.read_csv(cdnow_dir / f"expected_summary_days_{as_of}.csv", dtype={"customer_id": str})
    exp = exp.set_index("customer_id").sort_index()
    assert len(got) == len(exp) == 2357
    assert list(got.index) == list(exp.index)
    for col in ["frequency", "recency", "T"]:
        assert (got[col].to_numpy() == exp[col].to_numpy()).all(), col
    np.testing.assert_allclose(got["monetary_value"], exp["monetary_value"], rtol=0, atol=1e-6)
    # customer 1 at 1998-06-30: purchases on 01-01, 01-18, 08-02, 12-12 (1997)
    if as_of == "1998-06-30":
        assert got.loc["1", "recency_days"] == 200.0  # 1997-12-12 -> 1998-06-30
        assert got["frequency"].sum() == exp["frequency"].sum()


@pytest.fixture(scope="module")
def features():
    ev = ("view", "cart", "order", "push")
    df = _user_day(
        [
            ("a", "2023-12-01", 4, 0, 0, {"view": 4}),
            ("a", "2024-01-15", 1, 0, 0, {"view": 1}),
            ("a", "2024-03-10", 5, 0, 0, {"view": 5}),
            ("a", "2024-03-28", 3, 1, 12.5, {"view": 1, "cart": 1, "order": 1}),
            ("a", "2024-03-30", 0, 0, 0, {"push": 1}),  # passive only: not an active day
            ("a", "2024-03-31", 2, 0, 0, {"view": 2}),
            ("a", "2024-04-02", 7, 1, 99, {"view": 6, "order": 1}),  # after as_of: ignored
            ("c", "2024-02-29", 1, 0, 0, {"view": 1}),
            ("e", "2024-03-15", 0, 0, 0, {"push": 1}),
        ],
        ev=ev,
    )
    t = ibis.memtable(df)
    users = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d"],
            "signup_time": pd.to_datetime(
                [
                    "2024-02-01T00:00:00Z",
                    "2024-03-20T20:00:00Z",
                    "2024-01-31T01:00:00Z",
                    "2024-04-05T00:00:00Z",
                ]
            ),
            "city": ["Beijing", "Shanghai", None, "Xi'an"],
            "source": "users",  # cleaning bookkeeping: not copied as an attribute
            "age": ["35", "16", None, "40"],  # numeric text -> numbers
            "plan": ["free", "1", "pro", "free"],  # mixed text stays text
        }
    )
    f = user_features(
        t, as_of="2024-03-31", users=users, passive_events=["push"], timezone="Asia/Shanghai"
    )
    return f.set_index("user_id")


def test_user_features_population_and_activity(features):
    # d signed up after as_of; e only has a passive day but is in user_day; b only in users
    assert list(features.index) == ["a", "b", "c", "e"]
    a = features.loc["a"]
    assert a["first_active"] == pd.Timestamp("2023-12-01")
    assert a["last_active"] == pd.Timestamp("2024-03-31")
    assert a["days_since_active"] == 0
    assert a["active_days_7"] == 2  # 03-28, 03-31 (03-30 was passive)
    assert a["active_days_28"] == 3  # + 03-10
    assert a["active_days_90"] == 4  # + 01-15 (window starts 2024-01-02)
    assert a["events_28"] == 10
    assert a["events_per_active_day_28"] == pytest.approx(10 / 3)
    assert a["tenure_days"] == 121  # first active 2023-12-01, before the signup
    c = features.loc["c"]
    assert c["days_since_active"] == 31
    assert (c["active_days_7"], c["active_days_28"], c["active_days_90"]) == (0, 0, 1)
    assert c["events_per_active_day_28"] == 0.0
    assert c["tenure_days"] == 60  # signup 2024-01-31 09:00 Shanghai, before first active 02-29
    b = features.loc["b"]
    assert b["tenure_days"] == 10  # 2024-03-20 20:00Z = 03-21 in Shanghai
    assert pd.isna(b["first_active"]) and math.isnan(b["days_since_active"])
    assert (b["active_days_90"], b["events_28"], b["orders"]) == (0, 0, 0)
    e = features.loc["e"]
    assert pd.isna(e["first_active"]) and math.isnan(e["tenure_days"])
    assert features["active_days_28"].dtype == np.int64


def test_user_features_money_btyd_shares_attributes(features):
    a = features.loc["a"]
    assert (a["orders"], a["revenue"], a["aov"]) == (1, 12.5, 12.5)
    assert (a["frequency"], a["recency"], a["T"], a["monetary_value"], a["recency_days"]) == (
        0,
        0,
        3,
        0,
        3,
    )
    for uid in ["b", "c", "e"]:
        assert math.isnan(features.loc[uid, "recency_days"]) and math.isnan(
            features.loc[uid, "aov"]
        )
        assert features.loc[uid, "revenue"] == 0.0
    # 90-day mix of a: 11 active events = view 9, cart 1, order 1; push is passive (no column)
    assert a["share_view"] == pytest.approx(9 / 11)
    assert a["share_cart"] == pytest.approx(1 / 11)
    assert a["share_order"] == pytest.approx(1 / 11)
    assert "share_push" not in features.columns
    assert features.loc["c", "share_view"] == 1.0
    assert features.loc["b", "share_view"] == 0.0
    assert features.loc["a", "city"] == "Beijing" and features.loc["b", "city"] == "Shanghai"
    assert pd.isna(features.loc["e", "city"])
    assert "source" not in features.columns
    assert features["age"].tolist()[:2] == [35, 16] and pd.api.types.is_numeric_dtype(
        features["age"]
    )
    assert features.loc["b", "plan"] == "1"


def test_user_features_without_users_and_explicit_events():
    df = _user_day([("x", "2024-01-01", 2, 0, 0, {"view": 1, "cart": 1})], ev=("view", "cart"))
    t = ibis.memtable(df)
    f = user_features(t, as_of="2024-01-07", event_names=["cart"])
    assert list(f.columns[-1:]) == ["share_cart"] and "share_view" not in f.columns
    assert f.loc[0, "share_cart"] == 0.5
    assert f.loc[0, "active_days_7"] == 1 and f.loc[0, "tenure_days"] == 6
    with pytest.raises(DataError, match="ev_search"):
        user_features(t, as_of="2024-01-07", event_names=["search"])
    bad = pd.DataFrame({"user_id": ["x"], "revenue": [1]})
    with pytest.raises(DataError, match="'revenue'"):
        user_features(t, as_of="2024-01-07", users=bad)


def test_to_frame_equals_execute_but_keeps_nullable_counts_numeric():
    t = ibis.memtable(
        pd.DataFrame(
            {
                "user_id": ["a", "b", "b"],
                "day": pd.to_datetime(["2024-01-02"] * 3).date,
                "n": [1, 2, 5],
            }
        )
    )
    expr = (
        t.group_by("user_id")
        .aggregate(big=t.n.sum(where=t.n > 2), first=t.day.min(where=t.n > 1), rows=t.n.count())
        .order_by("user_id")
    )
    fast, slow = to_frame(expr), expr.execute()
    assert fast["big"].dtype == "float64" and slow["big"].dtype == object
    assert fast["big"].tolist()[1] == 5.0 and math.isnan(fast["big"].tolist()[0])
    pd.testing.assert_frame_equal(fast.drop(columns="big"), slow.drop(columns="big"))


def test_user_features_without_the_new_feature_count_and_with_text_attributes():
    df = _user_day(
        [("x", "2024-01-01", 2, 1, 9, {"view": 2}), ("y", "2024-01-05", 1, 0, 0, {"view": 1})]
    )
    t = ibis.memtable(df)
    full = user_features(t, as_of="2024-01-07")
    lean = user_features(t, as_of="2024-01-07", new_features=False)
    assert "new_features_28" in full.columns and "new_features_28" not in lean.columns
    pd.testing.assert_frame_equal(lean, full.drop(columns="new_features_28"))
    # text attributes: numeric text becomes numbers, a word anywhere (even past the first rows
    # read to tell text apart) keeps the column as text
    n = 1500
    users = pd.DataFrame(
        {
            "user_id": ["x", "y"] + [f"u{i}" for i in range(n - 2)],
            "age": ["35", "41"] + ["20"] * (n - 2),
            "city": ["Oslo", "Rome"] + ["Pisa"] * (n - 2),
            "tier": ["1", "2"] + ["3"] * (n - 3) + ["gold"],
        }
    )
    f = user_features(t, as_of="2024-01-07", users=users).set_index("user_id")
    assert f.loc["x", "age"] == 35 and f["age"].dtype == "int64"
    assert f.loc["y", "city"] == "Rome" and f.loc["x", "tier"] == "1"
    assert f.loc["x", "aov"] == 9.0 and f.loc["x", "share_view"] == 1.0
    assert len(f) == n  # without signup times every user of the table is known


def test_every_feature_column_is_documented(features):
    d = feature_dictionary(features.reset_index()).table.set_index("column")["entry"]
    assert len(d) == features.shape[1] + 1
    assert d["share_view"] == SHARE_ENTRY
    assert d["city"] == ATTRIBUTE_ENTRY
    fixed = [
        c
        for c in features.reset_index().columns
        if not c.startswith("share_") and c not in ("city", "age", "plan")
    ]
    assert all(c in (*FEATURE_COLUMNS, "signup_time") for c in fixed)
    assert all(d[c] == c for c in fixed)
    # the definitions themselves (report text) are checked in tests/sections/test_personas.py

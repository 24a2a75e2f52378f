"""The 02_active_users glue: definition handling, windows, headline numbers; and the activity
measures on the generated sample (lifecycle identities, rolling counts against a brute force)."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest

from helpers.analysis import activity
from helpers.core.config import Config
from helpers.core.errors import ParameterError
from helpers.data.pipeline import load_project
from helpers.sections import active_users as review


def toy_user_day():
    rows = [  # user, day, view, push(passive), order
        ("a", "2026-01-30", 2, 0, 0),
        ("a", "2026-02-02", 0, 1, 0),
        ("a", "2026-02-03", 1, 0, 1),
        ("b", "2026-02-03", 0, 2, 0),
        ("c", "2026-02-10", 3, 0, 0),
        ("c", "2026-02-28", 1, 0, 0),
    ]
    df = pd.DataFrame(rows, columns=["user_id", "day", "ev_view", "ev_push", "ev_order"])
    df["day"] = pd.to_datetime(df["day"]).dt.date
    df["events"] = df.ev_view + df.ev_push + df.ev_order
    df["active_events"] = df.ev_view + df.ev_order
    df["orders"] = df.ev_order
    df["revenue"] = df.ev_order * 10.0
    df["refunds"] = 0
    return ibis.memtable(df)


def cfg(passive=("push",)):
    return Config.model_validate(
        {
            "timezone": "UTC",
            "sources": {"orders": {"path": "x.csv"}},
            "activity": {"passive_events": list(passive)},
        }
    )


def test_definition_default_extra_passive_and_explicit_list():
    ud = toy_user_day()
    con = ibis.duckdb.connect()
    same = review.defined_user_day(ud, config=cfg())
    assert same is ud
    # view made passive too: only order days stay active -> a on 02-03
    only_orders = con.execute(review.defined_user_day(ud, config=cfg(), passive_events=["view"]))
    assert sorted(only_orders.loc[only_orders.active_events > 0, "user_id"]) == ["a"]
    # explicit list: push counts as active (plus orders) -> a(02-02, 02-03), b(02-03)
    push = con.execute(review.defined_user_day(ud, config=cfg(), active_events=["push"]))
    assert int((push.active_events > 0).sum()) == 3
    with pytest.raises(ParameterError, match=r"events not in the data: \['clicks'\]"):
        review.defined_user_day(ud, config=cfg(), active_events=["clicks"])


def test_driver_window_leaves_the_outcome_observable():
    a, b = review.driver_window(
        dt.date(2026, 10, 31), retention_day=28, retention_width=7, cohort_days=90
    )
    assert b + dt.timedelta(days=28 + 7 - 1) == dt.date(2026, 10, 31)
    assert (b - a).days == 89


def test_headline_on_toy_month():
    ud = toy_user_day()
    start, as_of = dt.date(2026, 2, 1), dt.date(2026, 2, 28)
    rolling = activity.rolling_active(ud, start=dt.date(2026, 1, 1), end=as_of)
    monthly = activity.monthly_active(ud, month="2026-02")
    lc = activity.lifecycle(ud, period="month", start=dt.date(2026, 1, 1), end=as_of)
    h = review.headline(rolling, monthly, lc, month_start=start, as_of=as_of)
    # active days in Feb: a on 3rd, c on 10th and 28th -> DAU sum 3 over 28 days
    assert h["dau_avg"] == pytest.approx(3 / 28)
    # WAU on 02-28: only c; MAU (28 days, 02-01..02-28): a and c
    assert h["wau"] == 1 and h["mau"] == 2
    # calendar MAU: Jan {a}, Feb {a, c} -> +100%
    assert h["mau_calendar"] == 2 and h["mau_change_pct"] == pytest.approx(100.0)
    # Feb lifecycle: a returning, c new, nobody dormant -> quick ratio undefined (inf or nan)
    assert not np.isfinite(h["quick_ratio"]) or h["quick_ratio"] > 1e6


def test_attribute_columns_pick_low_cardinality_and_numbers():
    users = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(100)],
            "signup_time": pd.Timestamp("2026-01-01"),
            "age": [str(20 + i % 40) for i in range(100)],
            "city": ["A", "B"] * 50,
            "email": [f"x{i}@y" for i in range(100)],
            "joined_community": ["0", "1"] * 50,
        }
    )
    assert review.attribute_columns(users) == ["age", "city", "joined_community"]
    b = review.binary_attributes(users)
    assert (
        b.columns.tolist() == ["user_id", "joined_community"] and b["joined_community"].sum() == 50
    )


def test_missing_users_table_gives_a_note():
    note = review.attribute_section(pd.DataFrame({"user_id": ["a"], "is_active": [True]}), None)
    assert isinstance(note, review.Note) and "sources.users" in note.text


@pytest.fixture(scope="module")
def sample_project(small_sample):
    return load_project(small_sample / "persona.yaml")


@pytest.mark.parametrize("period", ["week", "month"])
def test_lifecycle_identities_hold_on_the_sample(sample_project, period):
    p = sample_project
    lc = activity.lifecycle(p.user_day, period=period, start=p.data_start, end=p.data_end).periods
    assert len(lc) >= 12
    assert (lc["active"] == lc["new"] + lc["returning"] + lc["resurrecting"]).all()
    prev = lc["active"].shift(1)
    ok = lc.index > 0
    assert (-lc.loc[ok, "dormant"] == prev[ok] - lc.loc[ok, "returning"]).all()


def test_rolling_counts_equal_brute_force_on_sample_days(sample_project):
    p = sample_project
    rolling = activity.rolling_active(p.user_day, start=p.data_start, end=p.data_end).daily
    rolling["day"] = pd.to_datetime(rolling["day"]).dt.date
    ud = p.user_day.filter(p.user_day.active_events > 0).select("user_id", "day").execute()
    ud["day"] = pd.to_datetime(ud["day"]).dt.date
    rng = np.random.default_rng(3)
    days = rng.choice(rolling["day"].to_numpy()[30:], size=12, replace=False)
    for d in days:
        row = rolling[rolling["day"] == d].iloc[0]
        for w, col in ((1, "dau"), (7, "wau"), (28, "mau")):
            lo = d - dt.timedelta(days=w - 1)
            brute = ud[(ud["day"] >= lo) & (ud["day"] <= d)]["user_id"].nunique()
            assert row[col] == brute, (d, col)


def test_life_start_falls_back_without_users():
    from helpers.sections.churn import life_start

    assert life_start("signup", None) == "first_activity"
    assert life_start("signup", pd.DataFrame({"user_id": ["a"]})) == "signup"

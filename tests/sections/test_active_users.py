"""The 02_active_users section: definition handling, windows, headline numbers, how every
activity result renders; and the activity measures on the generated sample (lifecycle
identities, rolling counts against a brute force)."""

from __future__ import annotations

import datetime as dt
import re

import ibis
import numpy as np
import pandas as pd
import pytest

from helpers.analysis.activity.definition import DefinitionSensitivity, definition_sensitivity
from helpers.analysis.activity.drivers import RetentionDrivers, retention_drivers
from helpers.analysis.activity.headline import Headline
from helpers.analysis.activity.lifecycle import LifecycleCounts, lifecycle
from helpers.analysis.activity.profile import (
    ActiveBehaviour,
    AttributeProfile,
    active_behaviour,
    attribute_profile,
)
from helpers.analysis.activity.retention import (
    KMRetention,
    RetentionMatrix,
    km_retention,
    retention_matrix,
)
from helpers.analysis.activity.rolling import (
    MonthlyActive,
    RollingActive,
    rolling_active,
)
from helpers.analysis.activity.stickiness import (
    PowerUserCurve,
    StickinessBuckets,
    power_user_curve,
    stickiness_over_time,
)
from helpers.core.config import Config
from helpers.core.errors import ParameterError
from helpers.data.pipeline import load_project
from helpers.display.blocks import Callout, Note
from helpers.display.format import set_currency
from helpers.display.messages import columns
from helpers.display.registry import registered, render
from helpers.sections import active_users as review
from tests.analysis.activity.toys import (
    AS_OF,
    definition_toy,
    drivers_toy,
    power_toy,
    random_user_day,
    retention_toy,
)


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


LABELS = {label for label, _ in columns().values()}


def headers(html: str) -> list[str]:
    """Text of the header cells that are labels (not values of the data)."""
    return re.findall(r"<th>([^<]*)</th>", html)


def value_headers(html: str) -> list[str]:
    return re.findall(r"<th class='pk-value'>([^<]*)</th>", html)


def cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>([^<]*)</td>", html)


def assert_clean(html: str) -> None:
    """Every header a catalog label; no raw flags, NaN or counts with decimals."""
    assert headers(html) and set(headers(html)) <= LABELS, set(headers(html)) - LABELS
    for bad in ("True", "False", "nan", "NaN", "None", "NaT"):
        assert bad not in cells(html)


# ------------------------------------------------------------------ glue
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


def test_definition_text_names_the_passive_events_and_the_basis():
    box = review.definition_text(cfg(), passive_events=["view"], new_basis="signup", mau_days=30)
    assert isinstance(box, Callout) and box.title == "Who counts as active"
    assert box.lines[0] == (
        "A user is active on a day when they do any event or place an order on that calendar "
        "day in UTC, except the passive events push, view."
    )
    assert "on at least one day of the 30 days ending on a given day" in box.lines[1]
    assert box.lines[2] == "A user is new in the period they signed up."
    listed = review.definition_text(cfg(), active_events=["view", "search"])
    assert "in UTC: view, search, or place an order." in listed.lines[0]
    with pytest.raises(ParameterError, match="new_basis"):
        review.definition_text(cfg(), new_basis="install")


def test_driver_window_leaves_the_outcome_observable():
    a, b = review.driver_window(
        dt.date(2026, 10, 31), retention_day=28, retention_width=7, cohort_days=90
    )
    assert b + dt.timedelta(days=28 + 7 - 1) == dt.date(2026, 10, 31)
    assert (b - a).days == 89


def test_headline_renders_the_recorded_numbers_with_their_labels():
    h = Headline(
        dau_avg=2790.74,
        wau=6359,
        mau=8106,
        stickiness=0.3594,
        wau_mau=0.78,
        mau_calendar=8293.0,
        mau_change_pct=9.363,
        quick_ratio=float("nan"),
        as_of=dt.date(2026, 10, 31),
        wau_days=7,
        mau_days=28,
    )
    html = render(h)
    assert "<b>MAU (28 days to 2026-10-31)</b> 8,106<" in html
    assert "<b>users active in the month</b> 8,293<" in html
    assert "<b>month-over-month change</b> +9.4%" in html
    assert "<b>stickiness DAU/MAU</b> 35.9%" in html
    assert "<b>DAU (month average)</b> 2,791<" in html  # a mean in the thousands: no decimals
    assert "<b>quick ratio (month)</b> –" in html


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
    assert isinstance(note, Note) and "sources.users" in note.text
    assert note.kind == "missing"
    bare = review.attribute_section(
        pd.DataFrame({"user_id": ["a"], "is_active": [True]}), pd.DataFrame({"user_id": ["a"]})
    )
    assert isinstance(bare, Note) and "no attribute columns" in bare.text


# ------------------------------------------------------------------ renderers
def test_every_activity_result_has_a_renderer():
    for cls in (
        DefinitionSensitivity,
        RollingActive,
        MonthlyActive,
        PowerUserCurve,
        StickinessBuckets,
        LifecycleCounts,
        RetentionMatrix,
        KMRetention,
        AttributeProfile,
        ActiveBehaviour,
        RetentionDrivers,
        Headline,
    ):
        assert cls in registered(), cls.__name__
        assert not hasattr(cls, "_repr_html_"), cls.__name__


def test_sensitivity_names_each_definition_and_formats_counts():
    r = definition_sensitivity(definition_toy(), as_of="2024-01-28", passive_events=["push"])
    html = render(r)
    assert_clean(html)
    assert headers(html) == [
        "Definition of active",
        "MAU",
        "Change vs chosen (users)",
        "Change",
        "Active user-days",
        "Ever active",
    ]
    row = cells(html)
    assert row[:6] == ["Chosen definition", "3", "0", "0.0%", "7", "4"]  # zero has no sign
    assert "At least 2 active days in 28" in row and "Without view" in row
    assert "-66.7%" in row  # 1 against 3 users, in percent already
    assert "MAU (28 days to 2024-01-28) is 3 under the chosen definition" in html
    assert "active_events" not in html and "mau_chosen" not in html


def test_monthly_shows_months_whole_counts_and_the_latest_rows():
    months = pd.date_range("2025-09-01", periods=14, freq="MS")
    mau = np.arange(1000.0, 1000.0 + 14 * 50, 50)
    m = pd.DataFrame({"month": months, "mau": mau.astype("int64")})
    m["change"] = np.r_[np.nan, np.diff(mau)]
    m["change_pct"] = 100 * m["change"] / m["mau"].shift()
    html = render(MonthlyActive(monthly=m, month="2026-10", history=14, mau=1650))
    assert_clean(html)
    assert "1,650 users were active in 2026-10: 50 more than the month before (+3.1%)." in html
    assert "2026-10" in cells(html) and "2025-09" not in cells(html)  # latest 12 of 14
    assert "50.0" not in cells(html) and "2026-10-01" not in cells(html)
    assert "2 more rows not shown." in html


def test_power_curve_counts_have_no_decimals():
    r = power_user_curve(power_toy(), as_of="2024-01-28")
    hist = r.histogram.assign(users=r.histogram["users"].astype(float) * 88)  # 352.0 users
    html = render(
        PowerUserCurve(
            histogram=hist,
            l7=r.l7,
            as_of=r.as_of,
            window_days=28,
            active_users=352,
            active_users_7=3,
            mean_active_days=r.mean_active_days,
        )
    )
    assert_clean(html)
    assert "352 users were active in the 28 days to 2024-01-28, on 2.5 of those days" in html
    assert "176" in cells(html) and "176.0" not in cells(html)  # 2 users x 88
    assert "Share with at least this many days" in headers(html)
    stick = render(stickiness_over_time(power_toy(), as_of="2024-01-28", months=2))
    assert value_headers(stick) == ["1 days", "2-3 days", "4-7 days", "8-14 days", "15+ days"]
    assert "2024-01" in cells(stick) and "50.0%" in cells(stick)


def test_rolling_shows_the_latest_days():
    r = rolling_active(definition_toy(), start="2024-01-01", end="2024-01-31")
    html = render(r)
    assert_clean(html)
    assert "2024-01-31" in cells(html) and "2024-01-01" not in cells(html)
    assert "17 more rows not shown." in html


def test_lifecycle_shows_the_latest_periods_points_to_the_artifact_and_flags_a_cut():
    ud = ibis.memtable(random_user_day())
    r = lifecycle(ud, period="week", start="2024-01-01", end="2024-04-24")
    html = render(r)
    assert_clean(html)
    assert headers(html) == [
        "Week",
        "Active",
        "New",
        "Returning",
        "Resurrecting",
        "Went dormant",
        "Active the period before",
        "Quick ratio",
    ]
    assert "artifacts/lifecycle.csv" in html
    assert "2024-04-22" in cells(html) and "2024-01-01" not in cells(html)
    assert "The week starting 2024-04-22 is cut by the end of the data" in html
    last = r.periods.iloc[-1]
    assert f"{-last['dormant']:,}" in cells(html)  # went dormant, as a positive count
    month = render(lifecycle(ud, period="month", start="2024-01-01", end="2024-04-30"))
    assert headers(month)[0] == "Month" and "2024-03" in cells(month)
    assert "cut by the end" not in month


def test_retention_matrix_headers_are_periods_and_rates_are_shares():
    r = retention_matrix(
        retention_toy(), cohort="week", as_of=AS_OF, max_periods=3, min_cohort_size=2
    )
    html = render(r)
    assert_clean(html)
    assert value_headers(html) == ["week 0", "week 1", "week 2", "week 3"]
    assert "33.3%" in cells(html) and "100.0%" in cells(html)
    assert "2 cohorts have fewer than 2 users" in html
    assert "Weekly retention as of 2024-01-24" in html
    long = retention_matrix(ibis.memtable(random_user_day()), cohort="week", as_of="2024-04-28")
    assert long.cohorts > 12
    html = render(long)
    assert f"{long.cohorts - 12} more rows in artifacts/retention.csv." in html
    assert "2024-04-22" in cells(html) and "2024-01-01" not in cells(html)  # latest cohorts


def test_km_retention_renders_shares_and_counts():
    html = render(km_retention(retention_toy(), cohort="week", as_of=AS_OF, max_periods=4))
    assert_clean(html)
    assert "80.0%" in cells(html) and "5 users as of 2024-01-24" in html
    assert "4 users whose next week has not ended are counted as censored" in html


def test_profile_and_behaviour_render_levels_indexes_and_money():
    users = pd.DataFrame({"user_id": ["1", "2", "3", "4"], "plan": ["free", "free", "pro", None]})
    html = render(attribute_profile(["1", "3"], users, attributes=["plan"]))
    assert_clean(html)
    assert "(not given)" in cells(html) and "200" in cells(html) and "200.0" not in cells(html)
    set_currency("CNY")
    try:
        html = render(active_behaviour(definition_toy(), as_of="2024-01-28"))
    finally:
        set_currency(None)
    assert_clean(html)
    assert "CN¥3.33" in cells(html) and "33.3%" in cells(html) and "87.5%" in cells(html)
    assert "What the 3 active users did in the 28 days to 2024-01-28." in html


def test_drivers_name_behaviours_in_words_and_rank_best_first():
    att = pd.DataFrame({"user_id": ["d0", "n5"], "joined_community": [1, 1]})
    r = retention_drivers(
        drivers_toy(),
        cohort_start="2024-01-01",
        cohort_end="2024-01-31",
        as_of="2024-02-04",
        thresholds=(1, 2),
        attributes=att,
    )
    html = render(r)
    assert_clean(html)
    row = cells(html)
    assert row[:7] == [
        "share at least once in the first 7 days",
        "4",
        "50.0%",
        "75.0%",
        "25.0%",
        "+50.0 pts",
        "0.50",
    ]
    assert "joined_community" in row and "share at least 2 times in the first 7 days" in row
    assert "Day-28 retention of the 8 users first active 2024-01-01 to 2024-01-31: 50.0%." in html
    assert "75.0% of the users who did it were retained, against 25.0%" in html
    ranked = r.drivers.loc[np.repeat(r.drivers.index[:1], 30)].reset_index(drop=True)
    ranked["threshold"] = range(1, 31)
    ranked["strongest"] = [True] + [False] * 29
    long = render(
        RetentionDrivers(
            drivers=ranked,
            cohort_start=r.cohort_start,
            cohort_end=r.cohort_end,
            as_of=r.as_of,
            first_days=7,
            retention_day=28,
            retention_width=7,
            thresholds=tuple(range(1, 31)),
            users=8,
            retained=4,
        )
    )
    assert "share at least 15 times in the first 7 days" in long  # the first 15 shown
    assert "share at least 16 times" not in long and "15 more rows not shown." in long


# ------------------------------------------------------------------ the sample
@pytest.fixture(scope="module")
def sample_project(small_sample):
    return load_project(small_sample / "persona.yaml")


@pytest.mark.parametrize("period", ["week", "month"])
def test_lifecycle_identities_hold_on_the_sample(sample_project, period):
    p = sample_project
    lc = lifecycle(p.user_day, period=period, start=p.data_start, end=p.data_end).periods
    assert len(lc) >= 12
    assert (lc["active"] == lc["new"] + lc["returning"] + lc["resurrecting"]).all()
    prev = lc["active"].shift(1)
    ok = lc.index > 0
    assert (-lc.loc[ok, "dormant"] == prev[ok] - lc.loc[ok, "returning"]).all()


def test_rolling_counts_equal_brute_force_on_sample_days(sample_project):
    p = sample_project
    rolling = rolling_active(p.user_day, start=p.data_start, end=p.data_end).daily
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

"""Rolling DAU/WAU/MAU and calendar-month actives on toy tables counted by hand."""

import datetime as dt

import ibis
import pandas as pd
import pytest

from helpers.analysis.activity.lifecycle import lifecycle
from helpers.analysis.activity.rolling import monthly_active, rolling_active
from helpers.core.errors import ParameterError
from tests.analysis.activity.toys import (
    D,
    check_identities,
    days,
    make_ud,
    random_user_day,
    rolling_toy,
)


def test_rolling_dau_wau_mau_by_hand():
    r = rolling_active(rolling_toy(), start="2024-01-01", end="2024-01-10")
    d = r.daily
    assert d["dau"].tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 2, 1]
    # WAU on Jan 9 = {b, c} (a's Jan 2 has left the window Jan 3..9); Jan 10 = {a, b, c}
    assert d["wau"].tolist() == [1, 1, 2, 2, 2, 2, 2, 2, 2, 3]
    assert d["mau"].tolist() == [1, 1, 2, 2, 2, 2, 2, 2, 3, 3]
    assert d["dau_mau"].iloc[8] == pytest.approx(2 / 3)
    assert d["wau_mau"].iloc[8] == pytest.approx(2 / 3)
    assert (r.start, r.end, r.windows) == (D(2024, 1, 1), D(2024, 1, 10), (1, 7, 28))


def test_rolling_custom_windows_and_start_after_data():
    # windows (1, 2, 3) on Jan 10..11: Jan 10 = {a}, Jan 9..10 and Jan 8..10 = {a, b, c};
    # Jan 11: nobody, Jan 10..11 = {a}, Jan 9..11 = {a, b, c}
    d = rolling_active(
        rolling_toy(), start="2024-01-10", end="2024-01-11", windows=(1, 2, 3)
    ).daily
    assert d[["dau", "wau", "mau"]].values.tolist() == [[1, 3, 3], [0, 1, 3]]
    with pytest.raises(ParameterError, match="windows"):
        rolling_active(rolling_toy(), start="2024-01-10", end="2024-01-11", windows=(7, 1))


def test_monthly_active_over_a_month_boundary():
    ud = make_ud(
        [
            *days("a", D(2024, 1, 31), D(2024, 2, 1)),
            ("b", D(2024, 1, 15), 1),
            ("c", D(2024, 2, 29), 1),
            ("d", D(2024, 2, 10), 0),
            ("e", D(2024, 3, 1), 1),
        ]
    )
    r = monthly_active(ud, month="2024-02", history=2)
    m = r.monthly
    assert m["month"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02"]
    assert m["mau"].tolist() == [2, 2]  # Jan {a, b}; Feb {a, c} (d passive, e March)
    assert m["change"].tolist() == [2, 0]
    assert m["change_pct"].iloc[1] == 0
    assert r.mau == 2 and r.month == "2024-02" and r.history == 2


def test_property_rolling_and_lifecycle_match_brute_force():
    df = random_user_day()
    ud = ibis.memtable(df)
    start, end = D(2024, 1, 15), D(2024, 4, 29)
    d = rolling_active(ud, start=start, end=end).daily
    act = df[df.active_events > 0]
    by_day = act.groupby("day")["user_id"].apply(set).to_dict()
    for i, day in enumerate(pd.date_range(start, end).date):
        for col, w in (("dau", 1), ("wau", 7), ("mau", 28)):
            seen = set()
            for k in range(w):
                seen |= by_day.get(day - dt.timedelta(days=k), set())
            assert d[col].iloc[i] == len(seen), (day, col)
    for period in ("week", "month"):
        p = lifecycle(ud, period=period, start="2024-01-01", end=end).periods
        check_identities(p)
        assert p["active"].sum() > 0
    # weekly counts against a brute-force recount
    wk = act.assign(w=pd.to_datetime(act["day"]).dt.to_period("W-SUN").dt.start_time)
    weeks = wk.groupby("w")["user_id"].apply(set)
    p = lifecycle(ud, period="week", start="2024-01-01", end=end).periods.set_index("period_start")
    seen_before = set()
    prev = set()
    for w, users in weeks.items():
        assert p.loc[w, "new"] == len(users - seen_before)
        assert p.loc[w, "returning"] == len(users & prev)
        assert p.loc[w, "dormant"] == -len(prev - users)
        seen_before |= users
        prev = users

"""The monthly review's KPIs on a hand-made user_day, with the answers worked out by hand."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest

from helpers.analysis.kpis import MonthKpis, churn_risk_share, kpi_review, month_kpis


def _user_day(rows):
    df = pd.DataFrame(
        rows, columns=["user_id", "day", "events", "active_events", "orders", "revenue"]
    )
    df["day"] = pd.to_datetime(df["day"]).dt.date
    df["refunds"] = 0
    return ibis.memtable(df)


def test_month_kpis_on_a_hand_made_user_day():
    # September: a and b active (a on 2 days), a spends 30. October: a (spends 10, 20), c new,
    # b silent -> active 2, revenue 30 -> 15 per active user; lifecycle of October:
    # a returning, c new, b dormant -> quick ratio (1 new + 0 resurrecting) / 1 dormant = 1.
    ud = _user_day(
        [
            ("a", "2026-09-10", 3, 3, 1, 30.0),
            ("a", "2026-09-20", 1, 1, 0, 0.0),
            ("b", "2026-09-15", 2, 2, 0, 0.0),
            ("a", "2026-10-05", 2, 2, 1, 10.0),
            ("a", "2026-10-06", 2, 2, 1, 20.0),
            ("c", "2026-10-20", 1, 1, 0, 0.0),
            ("c", "2026-10-21", 4, 0, 0, 0.0),  # passive only: not active that day
        ]
    )
    risk = pd.DataFrame({"risk_band": ["low", "high", "critical", "medium"]})
    k = month_kpis(ud, month="2026-10", churn_risk=risk)
    assert k.active_users == 2
    assert k.revenue_per_active_user == pytest.approx(15.0)
    assert k.quick_ratio == pytest.approx(1.0)
    assert k.churn_risk_share == pytest.approx(0.5)
    # stickiness: DAU/MAU per day (28-day MAU), averaged over October's 31 days. Hand count:
    # MAU(d) = distinct users active in the 28 days to d; DAU is 1 on 10-05, 10-06, 10-20.
    days = pd.date_range("2026-10-01", "2026-10-31").date
    act = {
        "a": {
            dt.date(2026, 9, 10),
            dt.date(2026, 9, 20),
            dt.date(2026, 10, 5),
            dt.date(2026, 10, 6),
        },
        "b": {dt.date(2026, 9, 15)},
        "c": {dt.date(2026, 10, 20)},
    }
    ratios = []
    for d in days:
        mau = sum(any(d - dt.timedelta(days=27) <= x <= d for x in xs) for xs in act.values())
        dau = sum(d in xs for xs in act.values())
        ratios.append(dau / mau if mau else np.nan)
    assert k.stickiness == pytest.approx(np.nanmean(ratios))
    sept = month_kpis(ud, month="2026-09")
    assert sept.active_users == 2 and sept.revenue_per_active_user == pytest.approx(15.0)
    assert np.isnan(sept.churn_risk_share)


def test_churn_risk_share_without_scores_is_missing():
    assert np.isnan(churn_risk_share(None))
    assert np.isnan(churn_risk_share(pd.DataFrame({"risk_band": []})))


CUR = MonthKpis(
    active_users=8128,
    stickiness=0.347,
    quick_ratio=1.33,
    revenue_per_active_user=45.5,
    churn_risk_share=float("nan"),
)
PREV = MonthKpis(
    active_users=7439,
    stickiness=0.346,
    quick_ratio=1.29,
    revenue_per_active_user=35.7,
    churn_risk_share=0.02,
)


def test_kpi_review_changes():
    k = kpi_review(CUR, PREV, month="2026-10", previous_month="2026-09")
    t = k.table.set_index("kpi")
    assert list(t.index) == [
        "active_users",
        "stickiness",
        "quick_ratio",
        "revenue_per_active_user",
        "churn_risk_share",
    ]
    assert t.loc["active_users", "change"] == 689
    assert t.loc["active_users", "change_pct"] == pytest.approx(689 / 7439)
    assert t.loc["stickiness", "change"] == pytest.approx(0.001)
    assert t.loc["stickiness", "unit"] == "points" and t.loc["quick_ratio", "unit"] == "relative"
    assert np.isnan(t.loc["churn_risk_share", "value"])
    assert np.isnan(t.loc["churn_risk_share", "change"])
    assert k.value("revenue_per_active_user") == 45.5
    # without a previous month: values stay, changes are missing
    alone = kpi_review(CUR, None, month="2026-10", previous_month="2026-09").table
    alone = alone.set_index("kpi")
    assert alone.loc["active_users", "value"] == 8128
    assert np.isnan(alone.loc["active_users", "change_pct"])
    assert np.isnan(alone.loc["active_users", "change"])

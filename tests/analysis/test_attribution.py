"""Why a KPI moved: the persona split of ARPU (size + rate = change) and the arms' extra revenue,
on toys computed by hand."""

from __future__ import annotations

import datetime as dt
import math

import ibis
import pandas as pd
import pytest

from helpers.analysis import attribution as attr


def _users(rows):
    return pd.DataFrame(rows, columns=["user_id", "revenue"])


def test_the_arpu_change_splits_into_size_and_rate_by_persona():
    # last month: persona 1 = a (10), b (0); persona 2 = c (20): 3 actives, ARPU 10
    # this month: persona 1 = a (30); persona 2 = c (20), d (0); e has no persona (10): ARPU 15
    prev = _users([("a", 10.0), ("b", 0.0), ("c", 20.0)])
    now = _users([("a", 30.0), ("c", 20.0), ("d", 0.0), ("e", 10.0)])
    p_prev = pd.DataFrame({"user_id": ["a", "b", "c"], "persona": [1, 1, 2]})
    p_now = pd.DataFrame({"user_id": ["a", "c", "d"], "persona": [1, 2, 2]})
    a = attr.persona_attribution(now, prev, p_now, p_prev)
    assert (a.active_prev, a.active, a.arpu_prev, a.arpu) == (3, 4, 10.0, 15.0)
    t = a.table.set_index("persona")
    # persona 1: shares 2/3 -> 1/4, revenue per user 5 -> 30
    assert t.loc[1, "size_effect"] == pytest.approx((1 / 4 - 2 / 3) * (5 + 30) / 2)  # -7.292
    assert t.loc[1, "rate_effect"] == pytest.approx((30 - 5) * (1 / 4 + 2 / 3) / 2)  # 11.458
    # persona 2: shares 1/3 -> 1/2, revenue per user 20 -> 10
    assert t.loc[2, "size_effect"] == pytest.approx(2.5)
    assert t.loc[2, "rate_effect"] == pytest.approx(-10 * (1 / 2 + 1 / 3) / 2)  # -4.167
    # users without a persona: new this month, all size, at their own rate
    none = t.loc[attr.NO_PERSONA]
    assert (none["size_effect"], none["rate_effect"], none["users_change"]) == (2.5, 0.0, 1)
    # the parts add up to the change of ARPU, and the largest part comes first
    assert a.size_effect + a.rate_effect == pytest.approx(5.0)
    assert a.table["persona"].tolist()[0] == 1 and t.loc[1, "effect"] == pytest.approx(25 / 6)
    assert t["users_change"].to_dict() == {1: -1, 2: 1, attr.NO_PERSONA: 1}


def test_a_persona_gone_this_month_counts_as_size_only():
    prev = _users([("a", 10.0), ("b", 30.0)])
    now = _users([("a", 10.0)])
    a = attr.persona_attribution(
        now,
        prev,
        pd.DataFrame({"user_id": ["a"], "persona": [1]}),
        pd.DataFrame({"user_id": ["a", "b"], "persona": [1, 2]}),
    )
    t = a.table.set_index("persona")
    assert t.loc[2, "rate_effect"] == 0.0 and t.loc[2, "size_effect"] == pytest.approx(-15.0)
    assert t.loc[1, "size_effect"] == pytest.approx(5.0)  # (1 - 1/2) x 10
    assert a.arpu - a.arpu_prev == pytest.approx(-10.0)


def test_an_arm_is_credited_with_its_revenue_over_the_control_rate():
    assign = pd.DataFrame(
        {
            "user_id": ["c1", "c2", "c3", "t1", "t2", "t3", "x"],
            "experiment": "exp",
            "variant": ["control"] * 3 + ["treatment"] * 3 + ["control"],
        }
    )
    # "x" is in both arms: left out; c1 bought nothing this month (0)
    assign = pd.concat(
        [assign, pd.DataFrame({"user_id": ["x"], "experiment": ["exp"], "variant": ["treatment"]})]
    )
    users = _users(
        [("c2", 10.0), ("c3", 20.0), ("t1", 10.0), ("t2", 30.0), ("t3", 20.0), ("x", 99.0)]
    )
    row = attr.arm_attribution(assign, users).iloc[0]
    # control mean 10, treatment mean 20, both variances 100: extra = 3 x 10
    assert (row["users"], row["control_users"], row["extra_revenue"]) == (3, 3, 30.0)
    half = 3 * 1.959964 * math.sqrt(100 / 3 + 100 / 3)
    assert row["ci_low"] == pytest.approx(30 - half, abs=1e-3)
    assert row["ci_high"] == pytest.approx(30 + half, abs=1e-3)
    assert attr.arm_attribution(None, users).empty


def test_month_users_are_the_month_actives_with_their_revenue():
    ud = ibis.memtable(
        pd.DataFrame(
            {
                "user_id": ["a", "a", "b", "c", "d"],
                "day": [
                    dt.date(2026, 9, 30),
                    dt.date(2026, 10, 1),
                    dt.date(2026, 10, 31),
                    dt.date(2026, 10, 5),
                    dt.date(2026, 11, 1),
                ],
                "active_events": [3, 2, 1, 0, 4],  # c only had passive events
                "revenue": [5.0, 7.0, 0.0, 50.0, 9.0],
            }
        )
    )
    got = attr.month_users(ud, month="2026-10")
    assert got.to_dict("list") == {"user_id": ["a", "b"], "revenue": [7.0, 0.0]}

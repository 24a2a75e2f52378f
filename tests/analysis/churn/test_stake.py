"""helpers.analysis.churn.stake: value at stake by hand, the at-risk list's order and columns."""

import ibis
import pandas as pd
import pytest

from helpers.analysis.churn import stake


def test_revenue_at_stake_by_hand():
    risk = pd.DataFrame(
        {
            "churn_risk_30d": [0.1, 0.6, 0.8, 0.9],
            "revenue": [100, 50, 10, 40],
            "risk_band": ["low", "high", "critical", "critical"],
            "persona": ["a", "a", "b", "a"],
        }
    )
    out = stake.revenue_at_stake(risk, "revenue").set_index("risk_band")
    assert out.loc["critical", "users"] == 2
    assert out.loc["critical", "value"] == 50
    assert out.loc["critical", "expected_value_lost"] == pytest.approx(0.8 * 10 + 0.9 * 40)
    assert out.loc["low", "share_of_value"] == pytest.approx(0.5)
    g = stake.revenue_at_stake(risk, "revenue", "persona").set_index(["risk_band", "persona"])
    assert g.loc[("critical", "a"), "expected_value_lost"] == pytest.approx(36.0)


def _user_day():
    days = pd.to_datetime(["2026-07-01", "2026-08-15", "2026-10-30", "2026-10-31"]).date
    return ibis.memtable(
        pd.DataFrame(
            {
                "user_id": ["a", "a", "b", "c"],
                "day": days,
                "revenue": [100.0, 20.0, 5.0, 0.0],
            }
        )
    )


def test_value_at_stake_sums_the_last_90_days_and_names_personas():
    risk = pd.DataFrame(
        {
            "user_id": ["a", "b", "c"],
            "churn_risk_30d": [0.9, 0.2, 0.6],
            "risk_band": ["critical", "low", "high"],
            "drivers": ["trend_14 (low)", "", "orders (low)"],
        }
    )
    personas = pd.DataFrame({"user_id": ["a", "b"], "persona": [1, 2], "persona_name": ["P", "Q"]})
    as_of = pd.Timestamp("2026-10-31").date()
    out = stake.value_at_stake(risk, _user_day(), as_of=as_of, personas=personas)
    out = out.set_index("user_id")
    # 90 days to 2026-10-31 start on 2026-08-03: a's July order is outside
    assert out["revenue_90d"].to_dict() == {"a": 20.0, "b": 5.0, "c": 0.0}
    # the 30-day horizon of the risk: a third of the 90 days' revenue, times the risk
    assert out["expected_revenue_30d"].to_dict() == pytest.approx(
        {"a": 20 / 3, "b": 5 / 3, "c": 0}
    )
    assert out["revenue_at_stake_30d"].to_dict() == pytest.approx(
        {"a": 0.9 * 20 / 3, "b": 0.2 * 5 / 3, "c": 0.0}
    )
    assert out["persona_name"].to_dict() == {"a": "P", "b": "Q", "c": "(no persona)"}
    alone = stake.value_at_stake(risk, _user_day(), as_of=as_of, personas=None)
    assert set(alone["persona_name"]) == {"all users"}

    table = stake.churn_risk_table(out.reset_index())
    assert table.columns.tolist() == [
        "user_id",
        "persona",
        "persona_name",
        "churn_risk_30d",
        "risk_band",
        "drivers",
        "revenue_90d",
        "expected_revenue_30d",
        "revenue_at_stake_30d",
    ]
    assert table["user_id"].tolist() == ["a", "c", "b"]
    # c has no persona: the column stays whole numbers (1, not 1.0) and the file says so
    assert table["persona"].tolist()[0] == 1 and pd.isna(table["persona"].tolist()[1])
    lines = table.round(4).to_csv(index=False).splitlines()[1:3]
    assert lines == [
        "a,1,P,0.9,critical,trend_14 (low),20.0,6.6667,6.0",
        "c,,(no persona),0.6,high,orders (low),0.0,0.0,0.0",
    ]
    assert stake.churn_risk_table(alone)["persona"].isna().all()


def test_revenue_at_stake_counts_only_users_who_can_still_be_saved():
    # P: a (critical, active 2 days ago) and b (high, 5 days) can be saved; c (critical, 20 days)
    # has lapsed; d is at low risk. Q: e has lapsed. 30-day revenue at the last 90 days' rate.
    s = pd.DataFrame(
        {
            "user_id": list("abcde"),
            "persona_name": ["P", "P", "P", "P", "Q"],
            "risk_band": ["critical", "high", "critical", "low", "high"],
            "churn_risk_30d": [0.8, 0.6, 0.9, 0.1, 0.7],
            "days_since_active": [2, 5, 20, 1, 9],
            "expected_revenue_30d": [30.0, 10.0, 50.0, 99.0, 12.0],
        }
    )
    r = stake.stake_by_persona(s, recoverable_days=7)
    t = r.table.set_index("persona_name")
    assert t.loc["P", "users"] == 4 and t.loc["P", "recoverable_users"] == 2
    assert t.loc["P", "recoverable_mean_risk"] == pytest.approx(0.7)
    assert t.loc["P", "expected_revenue_30d"] == pytest.approx(40.0)
    # at stake: 0.8 x 30 + 0.6 x 10 = 30; the lapsed user's 50 is gone, not at stake
    assert t.loc["P", "revenue_at_stake_30d"] == pytest.approx(30.0)
    assert (t.loc["P", "lapsed_users"], t.loc["P", "lapsed_revenue_30d"]) == (1, 50.0)
    assert t.loc["Q", "revenue_at_stake_30d"] == 0 and t.loc["Q", "lapsed_revenue_30d"] == 12.0
    assert r.at_stake == pytest.approx(30.0) and r.table["persona_name"].tolist() == ["P", "Q"]
    # with 10 days to be recoverable, e (9 days) is saved too: 0.7 x 12 more at stake
    assert stake.stake_by_persona(s, recoverable_days=10).at_stake == pytest.approx(38.4)

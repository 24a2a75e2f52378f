"""helpers.analysis.churn.risk: features by hand, the back-test on planted behaviour, drivers."""

import ibis
import numpy as np
import pandas as pd
import pytest

from helpers.analysis.churn import risk as churn_risk
from tests.analysis.churn.hand_cases import BASE, K, day


def test_risk_features_by_hand(hand_user_day):
    f = churn_risk.risk_features(hand_user_day, at=day(56), inactive_days=K, horizon_days=3)
    f = f.set_index("user_id")
    # active in (51, 56]: C (55), D (52, 56); G started at 58 (after s)
    assert sorted(f.index) == ["C", "D"]
    assert f.loc["C", "days_since_active"] == 1 and f.loc["D", "days_since_active"] == 0
    assert f.loc["C", "active_days_7"] == 2 and f.loc["D", "active_days_7"] == 2
    assert f.loc["C", "tenure_days"] == 6 and f.loc["D", "tenure_days"] == 4
    assert f.loc["C", "trend_14"] == 2
    assert f["churned"].to_dict() == {"C": 1, "D": 1}
    f3 = churn_risk.risk_features(hand_user_day, at=day(30), inactive_days=30, horizon_days=3)
    f3 = f3.set_index("user_id")
    # F's only activity is the order on day 30; its day-33 row is passive, so it churned
    assert f3.loc["F", ["orders", "revenue", "days_since_active", "churned"]].tolist() == [
        1.0,
        10.0,
        0.0,
        1,
    ]
    assert sorted(f3.index) == ["A", "B", "E", "F", "H"]


def _synthetic_user_day(n=3000, days=240, seed=11):
    """Users with a daily activity probability lam; each day a user quits for good with a hazard
    that falls with lam. So recent activity predicts churn."""
    rng = np.random.default_rng(seed)
    lam = rng.beta(1.5, 4, n)
    start = rng.integers(0, days - 60, n)
    quit_after = rng.geometric(0.004 + 0.05 * (1 - lam) ** 3)
    d = np.arange(days)
    alive = (d[None, :] >= start[:, None]) & (d[None, :] < (start + quit_after)[:, None])
    active = alive & (rng.random((n, days)) < lam[:, None])
    active[np.arange(n), start] = True
    ui, di = np.nonzero(active)
    ev = rng.poisson(3, len(ui)) + 1
    df = pd.DataFrame(
        {
            "user_id": [f"u{i:05d}" for i in ui],
            "day": (BASE + pd.to_timedelta(di, unit="D")).date,
            "events": ev,
            "active_events": ev,
            "orders": 0,
            "revenue": 0.0,
            "refunds": 0,
            "ev_view": ev,
        }
    )
    as_of = (BASE + pd.Timedelta(days=days - 1)).date()
    ids = [f"u{i:05d}" for i in range(n)]
    quit_ = pd.Series(start + quit_after <= days - 1, index=ids)  # stopped for good by as_of
    return ibis.memtable(df), as_of, pd.Series(lam, index=ids), quit_


@pytest.fixture(scope="module")
def risk_model():
    ud, as_of, lam, quit_ = _synthetic_user_day()
    return churn_risk.ChurnRiskModel(random_state=0).fit(ud, as_of=as_of), lam, quit_, ud


def test_churn_risk_backtest_and_ranking(risk_model):
    from sklearn.metrics import roc_auc_score

    m, lam, quit_, _ = risk_model
    b = m.backtest_
    assert b.auc > 0.75
    assert b.precision_top_decile > 2 * b.base_rate
    assert b.lift_top_decile == pytest.approx(b.precision_top_decile / b.base_rate)
    assert (b.s_test - b.s_train).days == 30 and (m.as_of_ - b.s_test).days == 30
    r = m.risk_.set_index("user_id")
    assert set(r["risk_band"].astype(str)) <= {"low", "medium", "high", "critical"}
    assert m.high_risk_share_ == pytest.approx(r["risk_band"].isin(["high", "critical"]).mean())
    assert m.band_summary_["users"].sum() == len(r)
    # planted: engaged users (high lam) churn less
    rho = pd.Series(r["churn_risk_30d"]).corr(lam.reindex(r.index), method="spearman")
    assert rho < -0.25
    # planted: users who have already stopped for good (still inside the 30-day window) rank
    # above those who have not
    assert roc_auc_score(quit_.reindex(r.index), r["churn_risk_30d"]) > 0.9
    # users silent for 2+ weeks are riskier than users active today
    assert (
        r.loc[r["days_since_active"] >= 14, "churn_risk_30d"].mean()
        > r.loc[r["days_since_active"] == 0, "churn_risk_30d"].mean() + 0.2
    )
    # the riskiest users are driven by their silence
    top = r.sort_values("churn_risk_30d").tail(20)
    assert (
        top["drivers"]
        .str.contains("days_since_active \\(high\\)|active_days_\\d+ \\(low\\)")
        .mean()
        >= 0.9
    )
    # calibration: the riskiest decile churned far more than the safest
    cal = m.calibration_.set_index("decile")
    assert cal.loc[10, "observed_rate"] > cal.loc[1, "observed_rate"] + 0.3


def test_predict_scores_like_the_fit(risk_model):
    m, _, _, ud = risk_model
    again = m.predict(ud, at=m.as_of_)
    pd.testing.assert_frame_equal(again, m.risk_)


def test_split_drivers_reads_the_drivers_text(risk_model):
    m, *_ = risk_model
    text = m.risk_["drivers"].iloc[0]
    pairs = churn_risk.split_drivers(text)
    assert ", ".join(f"{f} ({d})" for f, d in pairs) == text
    assert all(f in churn_risk.FEATURES and d in ("high", "low") for f, d in pairs)
    assert churn_risk.split_drivers("trend_14 (low), x (sideways)") == [("trend_14", "low")]

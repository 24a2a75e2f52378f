"""Churn: survival table hand cases, KM/log-rank/Cox known answers, churn-risk back-test."""

import matplotlib

matplotlib.use("Agg")


import ibis  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers.analysis.churn import risk as churn_risk  # noqa: E402
from helpers.analysis.churn import survival
from helpers.core.errors import DataError, ParameterError  # noqa: E402

BASE = pd.Timestamp("2024-01-01")  # day 0
AS_OF = (BASE + pd.Timedelta(days=60)).date()
K = 5


def _day(d):
    return (BASE + pd.Timedelta(days=d)).date()


def _row(u, d, active=1, orders=0):
    return dict(
        user_id=u,
        day=_day(d),
        events=max(active, 1),
        active_events=active,
        orders=orders,
        revenue=10.0 * orders,
        refunds=0,
        ev_view=active if not orders else 0,
        ev_push=0 if active else 1,
        ev_order=orders,
    )


@pytest.fixture(scope="module")
def hand_user_day():
    rows = []
    for d in (0, 6, 7):  # A: 5 silent days (1..5) after day 0 = churn, then returns
        rows.append(_row("A", d))
    for d in (0, 5):  # B: 4 silent days: same life; churned at day 5
        rows.append(_row("B", d))
    for d in (50, 55):  # C: as_of - 55 = 5 = K silent days at as_of: churned
        rows.append(_row("C", d))
    for d in (52, 56):  # D: only 4 silent days at as_of: censored at as_of - K
        rows.append(_row("D", d))
    rows.append(_row("E", 20))  # E: one active day
    rows += [_row("F", 30, 1, 1), _row("F", 33, active=0)]  # F: only an order (+ a passive day)
    rows.append(_row("G", 58))  # G: started after as_of - K: no information yet
    rows += [_row("H", 10), _row("H", 70)]  # H: day 70 is after as_of: unseen
    return ibis.memtable(pd.DataFrame(rows))


# --- survival table -------------------------------------------------------------------------------
def test_survival_table_hand_cases(hand_user_day):
    s = survival.survival_table(hand_user_day, as_of=AS_OF, inactive_days=K).set_index("user_id")
    expected = {  # start, last active, end, duration, event, n_lives, gap to return
        "A": (0, 0, 0, 1, 1, 2, 6.0),
        "B": (0, 5, 5, 6, 1, 1, np.nan),
        "C": (50, 55, 55, 6, 1, 1, np.nan),
        "D": (52, 56, 55, 4, 0, 1, np.nan),
        "E": (20, 20, 20, 1, 1, 1, np.nan),
        "F": (30, 30, 30, 1, 1, 1, np.nan),
        "G": (58, 58, 55, 0, 0, 1, np.nan),
        "H": (10, 10, 10, 1, 1, 1, np.nan),
    }
    assert sorted(s.index) == sorted(expected)
    for u, (st, la, en, dur, ev, nl, gap) in expected.items():
        r = s.loc[u]
        assert r["start_day"] == pd.Timestamp(_day(st)), u
        assert r["last_active_day"] == pd.Timestamp(_day(la)), u
        assert r["end_day"] == pd.Timestamp(_day(en)), u
        assert (r["duration_days"], r["event"], r["n_lives"]) == (dur, ev, nl), u
        assert r["resurrected"] == (nl > 1), u
        assert (np.isnan(gap) and np.isnan(r["gap_days_to_return"])) or r[
            "gap_days_to_return"
        ] == gap


def test_survival_table_last_life_and_signup(hand_user_day):
    last = survival.survival_table(hand_user_day, as_of=AS_OF, inactive_days=K, life="last")
    a = last.set_index("user_id").loc["A"]
    # A's second life: days 6-7, then 53 silent days: churned at day 7, lived 2 days
    assert (a["start_day"], a["duration_days"], a["event"]) == (pd.Timestamp(_day(6)), 2, 1)
    users = pd.DataFrame(
        {
            "user_id": ["A", "I"],
            "signup_time": [BASE - pd.Timedelta(days=3), BASE + pd.Timedelta(days=10)],
        }
    )
    s = survival.survival_table(
        hand_user_day, as_of=AS_OF, inactive_days=K, start="signup", users=users
    ).set_index("user_id")
    # A signed up 3 days before the first activity (gap 3 <= K): life from day -3 to day 0
    assert (s.loc["A", "start_day"], s.loc["A", "duration_days"]) == (pd.Timestamp(_day(-3)), 4)
    # I signed up and was never active: churned on the signup day, 1 day of life
    assert (s.loc["I", "duration_days"], s.loc["I", "event"]) == (1, 1)
    assert s.loc["B", "duration_days"] == 6  # no signup row: starts at first activity
    with pytest.raises(ParameterError, match="users"):
        survival.survival_table(hand_user_day, as_of=AS_OF, start="signup")


def test_survival_table_errors_name_the_parameter_and_column(hand_user_day):
    with pytest.raises(ParameterError, match="inactive_days"):
        survival.survival_table(hand_user_day, as_of=AS_OF, inactive_days=0)
    with pytest.raises(ParameterError, match="as_of"):
        survival.survival_table(hand_user_day, as_of="not a date")
    with pytest.raises(DataError, match="active_events"):
        survival.survival_table(hand_user_day.drop("active_events"), as_of=AS_OF)


def test_resurrection_summary(hand_user_day):
    s = survival.survival_table(hand_user_day, as_of=AS_OF, inactive_days=K)
    r = survival.resurrection_summary(s)
    o = r.overview.iloc[0]
    # churned first lives: A B C E F H (6); only A came back, 6 days after its last active day
    assert (o["churned_users"], o["resurrected_users"]) == (6, 1)
    assert o["resurrected_share"] == pytest.approx(1 / 6)
    assert o["median_days_to_return"] == 6
    assert r.gaps.iloc[0].tolist() == ["6-60", 1, 1.0]
    assert "16.7%" in r._repr_html_()


def test_early_life_covariates_landmark_and_one_hot(hand_user_day):
    s = survival.survival_table(hand_user_day, as_of=AS_OF, inactive_days=K)
    users = pd.DataFrame(
        {
            "user_id": ["B", "C", "D"],
            "plan": ["x", "y", "x"],
            "age": [20.0, None, 40.0],
            "joined_community": ["1", "0", "1"],
        }
    )
    cov = survival.early_life_covariates(hand_user_day, s, days=2, users=users)
    # lives longer than 2 days: B (6), C (6), D (4); durations measured from the landmark
    assert cov["user_id"].tolist() == ["B", "C", "D"]
    assert cov["duration_days"].tolist() == [4, 4, 2]
    assert cov["event"].tolist() == [1, 1, 0]
    assert cov.attrs["dropped_short_lives"] == 5
    assert cov["active_days_first_2d"].tolist() == [1.0, 1.0, 1.0]
    assert cov["mix_view"].tolist() == [1.0, 1.0, 1.0]
    assert cov.attrs["reference_levels"] == {"plan": "x"}
    assert cov["plan_y"].tolist() == [0.0, 1.0, 0.0]
    assert cov["age"].tolist() == [20.0, 30.0, 40.0]  # missing -> median
    # text "0"/"1" from a CSV passes through as a number, not as one-hot levels
    assert cov["joined_community"].tolist() == [1.0, 0.0, 1.0]


# --- Kaplan-Meier and log-rank --------------------------------------------------------------------
def test_km_median_and_product_limit_by_hand():
    df = pd.DataFrame({"duration_days": [2, 3, 3, 5, 8, 0], "event": [1, 1, 0, 1, 0, 0]})
    km = survival.KaplanMeierByGroup(times=(1, 3, 4, 30)).fit(df)
    row = km.summary.iloc[0]
    # S(2) = 4/5; S(3) = 0.8 * 3/4 = 0.6 (the censored 3 is at risk at 3); S(5) = 0.6 * 1/2 = 0.3
    assert km.n_dropped_ == 1
    assert (row["users"], row["churned"]) == (5, 3)
    assert row["median_days"] == 5
    assert [row["S_1d"], row["S_3d"], row["S_4d"], row["S_30d"]] == pytest.approx(
        [1, 0.6, 0.6, 0.3]
    )


def test_logrank_strong_difference_and_identical_groups():
    rng = np.random.default_rng(1)
    short = np.ceil(rng.exponential(10, 200))
    long_ = np.ceil(rng.exponential(100, 200))
    df = pd.DataFrame(
        {
            "duration_days": np.r_[short, long_, short],
            "event": 1,
            "group": ["short"] * 200 + ["long"] * 200 + ["short2"] * 200,
        }
    )
    km = survival.KaplanMeierByGroup().fit(df, "group")
    assert km.logrank_["p"].iloc[0] < 1e-6
    pw = km.pairwise_.set_index(["group_a", "group_b"])
    pair = ("short", "short2") if ("short", "short2") in pw.index else ("short2", "short")
    assert pw.loc[pair, "p"] > 0.5 and pw.loc[pair, "p_holm"] > 0.5
    assert not pw.loc[pair, "significant"]
    assert pw.drop(pair)["p_holm"].max() < 1e-6
    med = km.summary.set_index("group")["median_days"]
    assert med["long"] > 4 * med["short"]


# --- Cox --------------------------------------------------------------------------------------------
def _cox_data(n=3000, seed=7):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, n)
    z = rng.normal(size=n)
    t = rng.exponential(1 / (0.02 * 0.5**x))  # planted hazard ratio 0.5 for x
    c = rng.uniform(20, 150, n)  # administrative censoring
    return pd.DataFrame(
        {"duration_days": np.ceil(np.minimum(t, c)), "event": (t <= c).astype(int), "x": x, "z": z}
    )


def test_cox_recovers_planted_hazard_ratio():
    m = survival.CoxModel(random_state=0).fit(_cox_data(), "duration_days", "event", ["x", "z"])
    hr = m.hazard_ratios_.set_index("covariate")
    assert hr.loc["x", "hr_lower"] < 0.5 < hr.loc["x", "hr_upper"]
    assert hr.loc["z", "hr_lower"] < 1.0 < hr.loc["z", "hr_upper"]
    assert m.stratified_on_ == []
    # concordance of a binary covariate with HR 0.5: pairs that differ in x are ordered right
    # 2/3 of the time, the others 1/2: about 0.58 overall
    assert 0.55 < m.concordance_ < 0.62


def test_cox_stratifies_a_covariate_that_breaks_proportional_hazards():
    rng = np.random.default_rng(3)
    n = 3000
    w = rng.integers(0, 2, n)
    # same median, crossing hazards: Weibull shape 3 versus exponential
    t = np.where(w == 1, 50 * rng.weibull(3, n), rng.exponential(50, n))
    df = _cox_data(n, seed=4).assign(w=w, duration_days=np.ceil(t) + 1, event=1)
    m = survival.CoxModel(random_state=0).fit(df, "duration_days", "event", ["x", "w"])
    ph = m.ph_test_.set_index("covariate")
    assert ph.loc["w", "fails"] and ph.loc["w", "p"] < 1e-6
    assert m.stratified_on_ == ["w"]
    assert m.hazard_ratios_["covariate"].tolist() == ["x"]
    kept = survival.CoxModel(protect=["w"]).fit(df, "duration_days", "event", ["x", "w"])
    assert kept.stratified_on_ == [] and "w" in kept.hazard_ratios_["covariate"].tolist()


# --- churn risk --------------------------------------------------------------------------------------
def test_risk_features_by_hand(hand_user_day):
    f = churn_risk.risk_features(hand_user_day, at=_day(56), inactive_days=K, horizon_days=3)
    f = f.set_index("user_id")
    # active in (51, 56]: C (55), D (52, 56); G started at 58 (after s)
    assert sorted(f.index) == ["C", "D"]
    assert f.loc["C", "days_since_active"] == 1 and f.loc["D", "days_since_active"] == 0
    assert f.loc["C", "active_days_7"] == 2 and f.loc["D", "active_days_7"] == 2
    assert f.loc["C", "tenure_days"] == 6 and f.loc["D", "tenure_days"] == 4
    assert f.loc["C", "trend_14"] == 2
    assert f["churned"].to_dict() == {"C": 1, "D": 1}
    f3 = churn_risk.risk_features(hand_user_day, at=_day(30), inactive_days=30, horizon_days=3)
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
    return churn_risk.ChurnRiskModel(random_state=0).fit(ud, as_of=as_of), lam, quit_


def test_churn_risk_backtest_and_ranking(risk_model):
    from sklearn.metrics import roc_auc_score

    m, lam, quit_ = risk_model
    b = m.backtest_.iloc[0]
    assert b["auc"] > 0.75
    assert b["precision_top_decile"] > 2 * b["base_rate"]
    r = m.risk_.set_index("user_id")
    assert set(r["risk_band"].astype(str)) <= {"low", "medium", "high", "critical"}
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


def test_revenue_at_stake_by_hand():
    risk = pd.DataFrame(
        {
            "churn_risk_30d": [0.1, 0.6, 0.8, 0.9],
            "revenue": [100, 50, 10, 40],
            "risk_band": ["low", "high", "critical", "critical"],
            "persona": ["a", "a", "b", "a"],
        }
    )
    out = churn_risk.revenue_at_stake(risk, "revenue").set_index("risk_band")
    assert out.loc["critical", "users"] == 2
    assert out.loc["critical", "value"] == 50
    assert out.loc["critical", "expected_value_lost"] == pytest.approx(0.8 * 10 + 0.9 * 40)
    assert out.loc["low", "share_of_value"] == pytest.approx(0.5)
    g = churn_risk.revenue_at_stake(risk, "revenue", "persona").set_index(["risk_band", "persona"])
    assert g.loc[("critical", "a"), "expected_value_lost"] == pytest.approx(36.0)


# --- plots ------------------------------------------------------------------------------------------
def test_plots_draw_what_they_are_given():
    from helpers.plots.churn import plot_hazard_ratios, plot_km

    df = pd.DataFrame(
        {
            "duration_days": [2, 3, 3, 5, 8, 4, 9, 12],
            "event": [1, 1, 0, 1, 0, 1, 1, 0],
            "g": list("aaaaabbb"),
        }
    )
    km = survival.KaplanMeierByGroup().fit(df, "g")
    ax = plot_km(km)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    m = survival.CoxModel(random_state=0).fit(_cox_data(600), "duration_days", "event", ["x", "z"])
    ax2 = plot_hazard_ratios(m)
    order = m.hazard_ratios_.sort_values("hr")["covariate"].tolist()
    assert [t.get_text() for t in ax2.get_yticklabels()] == order

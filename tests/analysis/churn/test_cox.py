"""helpers.analysis.churn.cox: planted hazard ratios, PH-test stratification, concordance, and the
kit's model of churn on a landmark table."""

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.churn import cox
from helpers.analysis.churn.covariates import EarlyLife
from helpers.core.errors import DataError, ModelError


def cox_data(n=3000, seed=7):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, n)
    z = rng.normal(size=n)
    t = rng.exponential(1 / (0.02 * 0.5**x))  # planted hazard ratio 0.5 for x
    c = rng.uniform(20, 150, n)  # administrative censoring
    return pd.DataFrame(
        {"duration_days": np.ceil(np.minimum(t, c)), "event": (t <= c).astype(int), "x": x, "z": z}
    )


def test_cox_recovers_planted_hazard_ratio():
    m = cox.CoxModel(random_state=0).fit(cox_data(), "duration_days", "event", ["x", "z"])
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
    df = cox_data(n, seed=4).assign(w=w, duration_days=np.ceil(t) + 1, event=1)
    m = cox.CoxModel(random_state=0).fit(df, "duration_days", "event", ["x", "w"])
    ph = m.ph_test_.set_index("covariate")
    assert ph.loc["w", "fails"] and ph.loc["w", "p"] < 1e-6
    assert m.stratified_on_ == ["w"]
    assert m.hazard_ratios_["covariate"].tolist() == ["x"]
    kept = cox.CoxModel(protect=["w"]).fit(df, "duration_days", "event", ["x", "w"])
    assert kept.stratified_on_ == [] and "w" in kept.hazard_ratios_["covariate"].tolist()


def test_ph_test_on_a_subsample_reaches_the_same_verdict_and_keeps_every_row_for_the_ratios():
    rng = np.random.default_rng(3)
    n = 3000
    w = rng.integers(0, 2, n)
    t = np.where(w == 1, 50 * rng.weibull(3, n), rng.exponential(50, n))  # crossing hazards
    df = cox_data(n, seed=4).assign(w=w, duration_days=np.ceil(t) + 1, event=1)
    full = cox.CoxModel(random_state=0).fit(df, "duration_days", "event", ["x", "w"])
    sub = cox.CoxModel(random_state=0, ph_max_rows=800).fit(
        df, "duration_days", "event", ["x", "w"]
    )
    # 75% of 3000 lives train the model; the test reads 800 of them
    assert (full.ph_rows_, full.n_train_) == (2250, 2250)
    assert (sub.ph_rows_, sub.n_train_) == (800, 2250)
    ph = sub.ph_test_.set_index("covariate")
    assert ph.loc["w", "fails"] and not ph.loc["x", "fails"]
    assert sub.stratified_on_ == full.stratified_on_ == ["w"]
    pd.testing.assert_frame_equal(sub.hazard_ratios_, full.hazard_ratios_)


def test_cox_errors_name_the_problem():
    df = cox_data(200).assign(label=["a", "b"] * 100)
    with pytest.raises(DataError, match="numeric"):
        cox.CoxModel().fit(df, "duration_days", "event", ["x", "label"])
    with pytest.raises(ModelError, match="Too little"):
        cox.CoxModel().fit(df.assign(event=0), "duration_days", "event", ["x"])


def test_concordance_within_strata_by_hand():
    # scores order users right within each stratum, wrong across them
    strata = pd.DataFrame({"s": ["a", "a", "b", "b"]})
    assert cox.concordance_within([1, 2, 10, 20], [11, 12, 1, 2], [1, 1, 1, 1], strata) == 1.0
    assert cox.concordance_within([1, 2, 10, 20], [11, 12, 1, 2], [1, 1, 1, 1]) < 0.5


def test_fit_cox_stratifies_by_persona_and_protects_binary_attributes():
    rng = np.random.default_rng(5)
    df = cox_data(2000, seed=5)
    table = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(len(df))],
            "duration_days": df["duration_days"],
            "event": df["event"],
            "orders_first_7d": rng.poisson(1, len(df)).astype(float),
            "joined_community": df["x"].astype(float),
            "channel_social": rng.integers(0, 2, len(df)).astype(float),
            "persona": np.where(np.arange(len(df)) < 20, np.nan, rng.integers(1, 4, len(df))),
        }
    )
    users = pd.DataFrame(
        {"user_id": table["user_id"], "joined_community": table["joined_community"].astype(int)}
    )
    early = EarlyLife(table, 7, 12, {"channel": "organic"})
    r = cox.fit_cox(early, users, random_state=0)
    assert r.model.strata == ["persona"] and r.model.stratified_on_[0] == "persona"
    assert r.model.protect == ["joined_community"]
    assert r.without_persona == 20 and r.model.n_users_ == len(df) - 20
    assert (r.landmark_days, r.dropped_short_lives) == (7, 12)
    assert r.level_of("channel_social") == ("channel", "social")
    hr = r.model.hazard_ratios_.set_index("covariate")
    assert hr.loc["joined_community", "hr_lower"] < 0.5 < hr.loc["joined_community", "hr_upper"]

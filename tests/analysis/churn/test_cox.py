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


def test_a_life_split_into_periods_is_fitted_as_the_whole_life():
    """Counting-process rows: cutting every life at a random day into two rows of the same
    stratum leaves the partial likelihood as it is, so the hazard ratios equal the unsplit
    fit's (the penalty is scaled by lives / rows); lives, not rows, are counted."""
    rng = np.random.default_rng(11)
    df = cox_data(2000, seed=11).assign(
        user_id=[f"u{i}" for i in range(2000)], s=rng.integers(0, 3, 2000)
    )
    whole = cox.CoxModel(strata=["s"], random_state=0).fit(df, covariates=["x", "z"])
    cut = np.floor(rng.uniform(0, 1, len(df)) * df["duration_days"]).astype(int)
    first = df.assign(entry_days=0, duration_days=cut, event=0)
    second = df.assign(entry_days=cut)
    rows = pd.concat([first[first["duration_days"] > 0], second], ignore_index=True)
    split = cox.CoxModel(strata=["s"], random_state=0).fit(
        rows, covariates=["x", "z"], entry_col="entry_days"
    )
    assert len(rows) == 2000 + (cut > 0).sum() and split.n_users_ == whole.n_users_ == 2000
    assert split.n_events_ == whole.n_events_
    a = split.hazard_ratios_.set_index("covariate")
    b = whole.hazard_ratios_.set_index("covariate")
    np.testing.assert_allclose(
        a[["hr", "hr_lower", "hr_upper"]], b[["hr", "hr_lower", "hr_upper"]], rtol=1e-5
    )
    assert a.loc["x", "hr_lower"] < 0.5 < a.loc["x", "hr_upper"]
    assert 0.5 < split.concordance_ < 0.65  # held-out lives, each once


def test_schoenfeld_test_equals_lifelines_without_ties_and_strata():
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    rng = np.random.default_rng(3)
    n = 1500
    w = rng.integers(0, 2, n)
    t = np.where(w == 1, 50 * rng.weibull(3, n), rng.exponential(50, n))  # crossing hazards
    df = pd.DataFrame({"d": t, "e": (t < 80).astype(int), "w": w, "z": rng.normal(size=n)})
    df["d"] = df["d"].clip(upper=80)
    fit = CoxPHFitter().fit(df, "d", "e")
    ours = cox.schoenfeld_test(fit, df, "d", "e", ["w", "z"]).set_index("covariate")
    ref = proportional_hazard_test(fit, df, time_transform="rank").summary
    np.testing.assert_allclose(ours["test_statistic"], ref["test_statistic"], rtol=1e-6)
    assert ours.loc["w", "p"] < 1e-6 < ours.loc["z", "p"]
    # delayed entry: a row is at risk only after it enters; the test still finds w
    entered = df.assign(a=np.minimum(rng.uniform(0, 10, n), df["d"] / 2))
    fit = CoxPHFitter().fit(entered, "d", "e", entry_col="a")
    late = cox.schoenfeld_test(fit, entered, "d", "e", ["w", "z"], entry_col="a")
    assert late.set_index("covariate").loc["w", "p"] < 1e-6


def test_fit_cox_on_month_end_personas_reads_the_periods():
    """A time-varying stratum: a life's hazard is 8 times higher once it moves from persona 1
    to persona 2, on day 30 when x = 1 and on day 60 when x = 0; x halves the hazard
    throughout. Fitted on the periods, the planted 0.5 is recovered; with each life in its first
    persona throughout, x looks harmful, as its lives move to the risky persona sooner."""
    rng = np.random.default_rng(2)
    n = 4000
    x = rng.integers(0, 2, n)
    move = np.where(x == 1, 30, 60)
    base = 0.01 * 0.5**x
    t1 = rng.exponential(1 / base)
    t = np.where(t1 <= move, t1, move + rng.exponential(1 / (base * 8)))
    c = rng.uniform(40, 200, n)
    dur, ev = np.ceil(np.minimum(t, c)), (t <= c).astype(int)
    ids = np.array([f"u{i}" for i in range(n)])
    first = pd.DataFrame(
        {
            "user_id": ids,
            "entry_days": 0,
            "duration_days": np.minimum(dur, move),
            "event": np.where(dur <= move, ev, 0),
            "x": x.astype(float),
            "persona": 1.0,
        }
    )
    later = pd.DataFrame(
        {
            "user_id": ids,
            "entry_days": move,
            "duration_days": dur,
            "event": ev,
            "x": x.astype(float),
            "persona": 2.0,
        }
    )[dur > move]
    table = pd.concat([first, later], ignore_index=True)
    r = cox.fit_cox(EarlyLife(table, 7, 0, {}, persona_from_day=28), None, random_state=0)
    hr = r.model.hazard_ratios_.set_index("covariate").loc["x"]
    assert hr["hr_lower"] < 0.5 < hr["hr_upper"], hr.to_dict()
    assert r.model.n_users_ == n and r.without_persona == 0 and r.persona_from_day == 28
    fixed = pd.DataFrame(
        {"user_id": ids, "duration_days": dur, "event": ev, "x": x.astype(float), "persona": 1.0}
    )
    naive = cox.CoxModel(protect=["x"]).fit(fixed, covariates=["x"])  # x fails the PH test
    assert naive.hazard_ratios_.set_index("covariate").loc["x", "hr_lower"] > 1


def test_fit_cox_reads_a_random_sample_of_lives_beyond_max_lives():
    """Above ``max_lives`` the model reads a seeded random sample of lives (every period of each
    chosen life), and says from how many; the planted ratio is still inside the interval."""
    df = cox_data(3000, seed=8)
    rows = df.assign(user_id=[f"u{i}" for i in range(len(df))], persona=1.0, entry_days=0)
    rows.loc[:9, "persona"] = np.nan  # 10 lives without a persona
    early = EarlyLife(rows.drop(columns="z"), 7, 0, {}, persona_from_day=28, unlabelled_lives=5)
    r = cox.fit_cox(early, None, max_lives=1000)
    assert (r.model.n_users_, r.sampled_from, r.without_persona) == (1000, 2990, 15)
    hr = r.model.hazard_ratios_.set_index("covariate").loc["x"]
    assert hr["hr_lower"] < 0.5 < hr["hr_upper"]
    again = cox.fit_cox(early, None, max_lives=1000)
    pd.testing.assert_frame_equal(again.model.hazard_ratios_, r.model.hazard_ratios_)
    whole = cox.fit_cox(early, None)
    assert (whole.model.n_users_, whole.sampled_from, whole.without_persona) == (2990, None, 15)


def test_schoenfeld_test_of_a_life_split_into_periods_equals_the_whole_life():
    """Delayed entry in the risk sets: every life cut into monthly periods of one stratum gives
    the statistic of the unsplit lives (same coefficients, same risk sets at each event)."""
    from lifelines import CoxPHFitter

    rng = np.random.default_rng(5)
    n = 1200
    w = rng.integers(0, 2, n)
    t = np.where(w == 1, 50 * rng.weibull(3, n), rng.exponential(50, n)) + 0.5
    df = pd.DataFrame(
        {
            "d": t.clip(max=150),
            "e": (t < 150).astype(int),
            "w": w,
            "z": rng.normal(size=n),
            "s": rng.integers(0, 2, n),
            "id": range(n),
        }
    )
    fit = CoxPHFitter().fit(df.drop(columns="id"), "d", "e", strata=["s"])
    whole = cox.schoenfeld_test(fit, df, "d", "e", ["w", "z"], ["s"])
    parts = []
    for lo in range(0, 150, 30):  # periods (lo, lo + 30], the event on the last one
        p = df[df["d"] > lo].assign(a=lo, e=lambda x, lo=lo: x["e"] * (x["d"] <= lo + 30))
        parts.append(p.assign(d=p["d"].clip(upper=lo + 30)))
    split = pd.concat(parts, ignore_index=True)
    assert len(split) > 2 * n and split["e"].sum() == df["e"].sum()
    ours = cox.schoenfeld_test(fit, split, "d", "e", ["w", "z"], ["s"], entry_col="a")
    np.testing.assert_allclose(ours["test_statistic"], whole["test_statistic"], rtol=1e-9)
    assert whole.set_index("covariate").loc["w", "p"] < 1e-6


def test_fit_cox_says_when_no_life_has_a_persona():
    from helpers.core.errors import NotEnoughData

    empty = pd.DataFrame(columns=["user_id", "duration_days", "event", "x", "entry_days"])
    early = EarlyLife(empty, 7, 0, {}, persona_from_day=28, unlabelled_lives=40)
    with pytest.raises(NotEnoughData, match="on or after day 28 of it \\(40 lives without one\\)"):
        cox.fit_cox(early, None)

"""helpers.analysis.churn.kaplan_meier: product-limit by hand, log-rank on planted differences."""

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.churn.kaplan_meier import KaplanMeierByGroup, logrank
from helpers.core.errors import ModelError


def test_km_median_and_product_limit_by_hand():
    df = pd.DataFrame({"duration_days": [2, 3, 3, 5, 8, 0], "event": [1, 1, 0, 1, 0, 0]})
    km = KaplanMeierByGroup(times=(1, 3, 4, 30)).fit(df)
    row = km.summary.iloc[0]
    # S(2) = 4/5; S(3) = 0.8 * 3/4 = 0.6 (the censored 3 is at risk at 3); S(5) = 0.6 * 1/2 = 0.3
    assert km.n_dropped_ == 1
    assert (row["users"], row["churned"]) == (5, 3)
    assert row["median_days"] == 5
    assert [row["S_1d"], row["S_3d"], row["S_4d"], row["S_30d"]] == pytest.approx(
        [1, 0.6, 0.6, 0.3]
    )
    assert km.group_col_ is None and len(km.logrank_) == 0 and len(km.pairwise_) == 0


def test_km_counts_users_without_a_group_and_refuses_no_lives():
    df = pd.DataFrame(
        {"duration_days": [2, 3, 4, 5], "event": [1, 1, 0, 1], "g": ["a", None, "b", "a"]}
    )
    km = KaplanMeierByGroup().fit(df, "g")
    assert km.n_missing_group_ == 1
    assert km.summary_["users"].tolist() == [2, 1]
    with pytest.raises(ModelError, match="duration_days"):
        KaplanMeierByGroup().fit(df.assign(duration_days=0))


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
    km = KaplanMeierByGroup().fit(df, "group")
    assert km.logrank_["p"].iloc[0] < 1e-6
    pw = km.pairwise_.set_index(["group_a", "group_b"])
    pair = ("short", "short2") if ("short", "short2") in pw.index else ("short2", "short")
    assert pw.loc[pair, "p"] > 0.5 and pw.loc[pair, "p_holm"] > 0.5
    assert not pw.loc[pair, "significant"]
    assert pw.drop(pair)["p_holm"].max() < 1e-6
    med = km.summary.set_index("group")["median_days"]
    assert med["long"] > 4 * med["short"]


def test_logrank_with_delayed_entry_by_hand():
    # a: lives of 2 and 4 days, the second followed from day 3; b: 3 and 5 days, from 0 and 1.
    # Risk sets (entry <= t <= duration): t=2 a1 | b1 b2; t=3 a2 | b1 b2; t=4 a2 | b2; t=5 - | b2.
    # Expected churns of a: 1/3 + 1/3 + 1/2 + 0 = 7/6 against 2 observed, Z = 5/6; variance
    # 2/9 + 2/9 + 1/4 + 0 = 25/36: the statistic Z^2 / V is exactly 1.
    stat, dof, p = logrank([2, 4, 3, 5], list("aabb"), [1, 1, 1, 1], entry=[0, 3, 0, 1])
    assert stat == pytest.approx(1.0) and dof == 1
    assert p == pytest.approx(0.3173105, abs=1e-6)


def test_logrank_without_entry_is_lifelines_multivariate_test():
    from lifelines.statistics import multivariate_logrank_test

    rng = np.random.default_rng(3)
    d = np.ceil(rng.exponential(20, 400))
    ev = rng.random(400) < 0.7
    g = rng.choice(list("abc"), 400)
    ref = multivariate_logrank_test(d, g, ev)
    stat, dof, p = logrank(d, g, ev, entry=np.zeros(400))
    assert stat == pytest.approx(ref.test_statistic, rel=1e-9) and dof == 2
    assert p == pytest.approx(ref.p_value, rel=1e-9)


def test_km_with_delayed_entry_by_hand():
    # lives followed from entry_days on: at t=2 the risk set is {2, 5} (the 4-day life enters at
    # day 3, the 6-day one at 5): S(2) = 1/2; t=4: {4, 5}: S = 1/4; t=6: {6}: S = 0
    df = pd.DataFrame(
        {"duration_days": [2, 4, 5, 6], "event": [1, 1, 0, 1], "entry_days": [0, 3, 0, 5]}
    )
    km = KaplanMeierByGroup(times=(2, 4, 6), min_at_risk=1).fit(df)
    row = km.summary_.iloc[0]
    assert km.delayed_entry_ and row["followed_from"] == 0
    assert [row["S_2d"], row["S_4d"], row["S_6d"]] == pytest.approx([0.5, 0.25, 0.0])
    assert row["median_days"] == 2
    assert km.at_risk([1, 2, 3, 4, 5, 6]).iloc[0].tolist() == [2, 2, 2, 2, 2, 1]
    # without the entry, the same lives would be at risk from day 0: S(2) = 3/4
    plain = KaplanMeierByGroup(times=(2,)).fit(df.drop(columns="entry_days"))
    assert plain.summary_.iloc[0]["S_2d"] == pytest.approx(0.75)


def test_a_curve_starts_where_enough_lives_are_followed():
    # group "late": one life followed from day 1 churns on day 1 (alone at risk), the others
    # enter on day 10; with min_at_risk=3 the curve starts on day 10, where 4 lives are followed
    # (the early churn alone would have taken the curve to 0 for good)
    df = pd.DataFrame(
        {
            "duration_days": [1, 12, 14, 20, 30],
            "event": [1, 1, 0, 1, 0],
            "entry_days": [1, 10, 10, 10, 10],
            "g": "late",
        }
    )
    km = KaplanMeierByGroup(times=(5, 12, 20), min_at_risk=3).fit(df, "g")
    row = km.summary_.iloc[0]
    assert row["followed_from"] == 10
    assert np.isnan(row["S_5d"])  # before the curve starts
    # from day 10: t=12 risk set 4 -> 3/4; t=20 risk set 2 (14 was censored) -> 3/4 * 1/2
    assert [row["S_12d"], row["S_20d"]] == pytest.approx([0.75, 0.375])
    # with any risk set allowed, the lone early churn would empty it on day 1 and keep S at 0
    # for good (lifelines refuses): the curve starts on the next day lives are followed
    anyone = KaplanMeierByGroup(times=(12,), min_at_risk=1).fit(df, "g")
    assert anyone.summary_.iloc[0]["followed_from"] == 10
    assert anyone.summary_.iloc[0]["S_12d"] == pytest.approx(0.75)
    # a group never followed by min_at_risk lives at once is left out, and named
    small = pd.DataFrame({"duration_days": [3, 4], "event": 1, "entry_days": 0, "g": "small"})
    km = KaplanMeierByGroup(min_at_risk=4).fit(pd.concat([df, small]), "g")
    assert km.too_few_ == ["small"] and list(km.fitters_) == ["late"]
    with pytest.raises(ModelError, match="No group has 4 lives"):
        KaplanMeierByGroup(min_at_risk=4).fit(small, "g")

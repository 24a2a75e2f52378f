"""helpers.analysis.churn.kaplan_meier: product-limit by hand, log-rank on planted differences."""

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.churn.kaplan_meier import KaplanMeierByGroup
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

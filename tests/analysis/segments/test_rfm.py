"""helpers.analysis.segments.rfm: scores with ties computed by hand, both segment maps, the summary and its plots."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers.analysis.segments.rfm import RF_GRID, RFMScorer, rf_grid_segment_regex  # noqa: E402
from helpers.core.errors import ConfigError, DataError, ModelError  # noqa: E402
from helpers.plots.rfm import plot_rf_heatmap, plot_rfm_segments  # noqa: E402

# 12 buyers with ties in recency (3,3,3 / 20,20 / 60,60,60) and orders (seven buyers with 1)
BUYERS = pd.DataFrame(
    {
        "recency_days": [3, 3, 3, 10, 20, 20, 45, 60, 60, 60, 200, 365],
        "orders": [1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 6, 1],
        "revenue": [15.0, 30, 45, 20, 25, 10, 80, 60, 150, 300, 900, 5],
    },
    index=[f"b{i:02d}" for i in range(12)],
)

# By hand, tie_rule="average": rank = #less + (#equal + 1) / 2, score = ceil(5 * rank / 12).
# recency (negated): 365 r1, 200 r2 -> 1, 1; 60s ranks 3-5 avg 4 -> ceil(1.67) = 2;
# 45 rank 6 -> ceil(2.5) = 3; 20s avg 7.5 -> ceil(3.125) = 4; 10 rank 9 -> 4; 3s avg 11 -> 5.
R_AVG = [5, 5, 5, 4, 4, 4, 3, 2, 2, 2, 1, 1]
# orders: seven 1s avg rank 4 -> 2 (no buyer gets F=1); 2s avg 8.5 -> 4; 3, 4, 6 -> 5.
F_AVG = [2, 2, 2, 2, 2, 2, 4, 4, 5, 5, 5, 2]
# revenue, all distinct: rank k -> ceil(5k/12): 5,10 -> 1; 15,20 -> 2; 25,30,45 -> 3; 60,80 -> 4; rest 5
M_AVG = [2, 3, 3, 2, 3, 1, 4, 4, 5, 5, 5, 1]
# tie_rule="min": score = 1 + floor(5 * #less / 12)
R_MIN = [4, 4, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1]
F_MIN = [1, 1, 1, 1, 1, 1, 3, 3, 4, 5, 5, 1]


def test_scores_with_ties_average_rule():
    sc = RFMScorer(tie_rule="average").fit(BUYERS).transform(BUYERS)
    assert list(sc.index) == list(BUYERS.index)
    assert sc["r_score"].tolist() == R_AVG
    assert sc["f_score"].tolist() == F_AVG
    assert sc["m_score"].tolist() == M_AVG
    assert sc.loc["b06", "rfm_score"] == "344"
    assert sc["r_score"].dtype == np.int64


def test_scores_with_ties_min_rule():
    scorer = RFMScorer().fit(BUYERS)
    assert scorer.tie_rule == "min"  # the default
    sc = scorer.transform(BUYERS)
    assert sc["r_score"].tolist() == R_MIN
    assert sc["f_score"].tolist() == F_MIN
    # one-time buyers score F=1, so the grid's F=1 segments exist: (4,1) Promising, (3,1) About to Sleep
    assert sc["rfm_segment"].tolist() == (
        ["Promising"] * 4
        + ["About to Sleep"] * 2
        + ["Need Attention", "At Risk", "At Risk"]
        + ["Can't Lose Them"] * 2
        + ["Hibernating"]
    )


def test_scores_do_not_depend_on_row_order():
    shuffled = BUYERS.sample(frac=1.0, random_state=7)
    sc = RFMScorer(tie_rule="average").fit(shuffled).transform(BUYERS)
    assert sc["r_score"].tolist() == R_AVG and sc["f_score"].tolist() == F_AVG


def test_transform_new_buyers_against_fitted_population():
    scorer = RFMScorer(tie_rule="average").fit(BUYERS)
    new = pd.DataFrame(
        {"recency_days": [5, 3], "orders": [10, 1], "revenue": [0.0, 900.0]}, index=["n1", "n2"]
    )
    sc = scorer.transform(new)
    # 5 days: 9 fitted values are worse, none equal -> rank 9.5 -> ceil(47.5/12) = 4;
    # 10 orders beyond the max -> rank 12.5 -> clipped to 5; revenue 0 below all -> rank 0.5 -> 1
    assert sc.loc["n1", "rfm_score"] == "451"
    assert sc.loc["n1", "rfm_segment"] == "Loyal Customers"
    assert sc.loc["n2", "rfm_score"] == "525"  # ties with fitted values score like them


def test_score_ranges_show_the_empty_f1():
    sr = RFMScorer(tie_rule="average").fit(BUYERS).score_ranges_.set_index(["dimension", "score"])
    assert sr.loc[("frequency", 1), "users"] == 0
    assert sr.loc[("frequency", 2), ["users", "min", "max"]].tolist() == [7, 1.0, 1.0]
    assert sr.loc[("recency", 5), ["users", "min", "max"]].tolist() == [3, 3.0, 3.0]


def test_rf_grid_segments_and_regex_agree():
    scorer = RFMScorer(tie_rule="average").fit(BUYERS)
    assert scorer.segment_map_name_ == "rf_grid"
    seg = scorer.transform(BUYERS)["rfm_segment"].tolist()
    assert seg == ["Potential Loyalists"] * 6 + ["Loyal Customers", "At Risk"] + [
        "Can't Lose Them"
    ] * 3 + ["Hibernating"]
    # the range table covers each of the 25 cells exactly once and matches the regex form
    for r in range(1, 6):
        for f in range(1, 6):
            hits = [
                name for name, (rl, rh), (fl, fh) in RF_GRID if rl <= r <= rh and fl <= f <= fh
            ]
            assert len(hits) == 1, (r, f)
            assert hits[0] == rf_grid_segment_regex(r, f)
    cells = {
        (5, 5): "Champions",
        (5, 1): "New Customers",
        (4, 1): "Promising",
        (3, 3): "Need Attention",
        (3, 2): "About to Sleep",
        (1, 1): "Hibernating",
        (2, 4): "At Risk",
        (1, 5): "Can't Lose Them",
    }
    got = scorer.segment(
        np.array([k[0] for k in cells]), np.array([k[1] for k in cells]), np.ones(len(cells))
    )
    assert list(got) == list(cells.values())


def test_rfm_package_map_first_match_wins_and_others():
    scorer = RFMScorer(tie_rule="average", segment_map="rfm_package").fit(BUYERS)
    assert scorer.segment_map_name_ == "rfm_package"
    triples = {
        (5, 5, 5): "Champions",
        (4, 4, 3): "Loyal Customers",
        (5, 1, 1): "Potential Loyalist",  # also matches New Customers, listed later
        (3, 2, 2): "Potential Loyalist",
        (2, 2, 2): "Need Attention",
        (2, 1, 1): "About To Sleep",
        (1, 3, 3): "At Risk",
        (1, 5, 5): "At Risk",  # before Can't Lose Them in the package's order
        (2, 4, 2): "At Risk",
        (1, 1, 1): "Lost",
        (1, 1, 5): "Others",
        (5, 5, 1): "Others",
    }
    r, f, m = (np.array([k[i] for k in triples]) for i in range(3))
    assert list(scorer.segment(r, f, m)) == list(triples.values())


def test_custom_map():
    custom = [
        {"segment": "Top", "r": [3, 3], "f": [2, 3]},
        {"segment": "Low", "r": [1, 1], "f": [1, 3], "m": [1, 1]},
    ]
    scorer = RFMScorer(bins=3, segment_map=custom).fit(BUYERS)
    assert scorer.segment_map_name_ == "custom"
    assert list(scorer.segment(np.array([3, 1, 1]), np.array([3, 2, 2]), np.array([1, 1, 2]))) == [
        "Top",
        "Low",
        "Others",
    ]


def test_summary_tables():
    res = RFMScorer(tie_rule="average").fit(BUYERS).summarize(BUYERS)
    seg = res.segments.set_index("segment")
    assert "Others" not in seg.index
    assert seg.loc["Potential Loyalists", "users"] == 6
    assert seg.loc["Potential Loyalists", "revenue"] == 145.0
    assert seg.loc["Can't Lose Them", "share_revenue"] == pytest.approx(1350 / 1640)
    assert seg.loc["Champions", "users"] == 0
    assert seg["share_users"].sum() == pytest.approx(1.0)
    grid = res.grid.set_index(["r_score", "f_score"])
    assert len(grid) == 25
    assert grid.loc[(5, 2), "users"] == 3 and grid.loc[(5, 2), "mean_monetary"] == 30.0
    assert grid.loc[(2, 5), "mean_monetary"] == 225.0
    assert grid.loc[(1, 1), "users"] == 0 and np.isnan(grid.loc[(1, 1), "mean_monetary"])
    assert grid.loc[(5, 5), "segment"] == "Champions"
    assert res.grid_table().loc[5, 2] == 3
    assert (res.n_buyers, res.bins, res.segment_map_name) == (12, 5, "rf_grid")


def test_errors():
    with pytest.raises(DataError, match="'recency_days' has 1 missing.* row 'x'"):
        RFMScorer(tie_rule="average").fit(
            pd.DataFrame({"recency_days": [np.nan], "orders": [0], "revenue": [0.0]}, index=["x"])
        )
    with pytest.raises(ConfigError, match="'rf_grid' is defined on scores 1..5; with bins=4"):
        RFMScorer(bins=4).fit(BUYERS)
    with pytest.raises(ConfigError, match="`tie_rule` must be one of"):
        RFMScorer(tie_rule="first").fit(BUYERS)
    with pytest.raises(ModelError, match="not fitted"):
        RFMScorer(tie_rule="average").transform(BUYERS)


def test_plots_draw_what_they_are_given():
    res = RFMScorer(tie_rule="average").fit(BUYERS).summarize(BUYERS)
    fig, (a1, a2) = plt.subplots(1, 2)
    ax = plot_rfm_segments(res, ax=a1)
    assert ax is a1
    widths = sorted(round(p.get_width(), 4) for p in ax.patches)
    assert round(6 / 12, 4) in widths and round(1350 / 1640, 4) in widths
    ax2 = plot_rf_heatmap(res, ax=a2)
    img = ax2.images[0].get_array()
    assert img[0, 1] == 3  # top row = recency 5, column f=2
    assert img.shape == (5, 5)
    plt.close(fig)

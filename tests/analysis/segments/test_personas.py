"""Personas: planted personas recovered on a generated sample, and hand-made known answers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import datetime as dt  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402

from helpers.analysis.segments import cards as C  # noqa: E402
from helpers.analysis.segments import personas as P  # noqa: E402
from helpers.core.errors import DataError, ParameterError  # noqa: E402
from helpers.plots import personas as PP  # noqa: E402


# --- planted truth -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_active(small_sample):
    from helpers.analysis.features import user_features
    from helpers.data.pipeline import load_project

    project = load_project(small_sample / "persona.yaml")
    feats = user_features(
        project.user_day,
        as_of=dt.date(2026, 10, 31),
        users=project.users_frame(),
        passive_events=project.config.activity.passive_events,
        timezone=project.config.timezone,
    )
    active = P.active_in_month(feats, month_start="2026-10-01")
    truth = pd.read_csv(small_sample / "truth_users.csv.gz", dtype={"user_id": str})
    return active, truth


def test_planted_personas_recovered(sample_active):
    active, truth = sample_active
    model = P.PersonaModel().fit(active)
    planted = active[["user_id"]].merge(truth[["user_id", "persona"]], on="user_id", how="left")
    planted = planted["persona"].fillna("orphan")  # users absent from the users table
    ari = adjusted_rand_score(planted, model.labels_)
    # measured: k = 5, ARI 0.824, silhouette 0.303 (2,500 users, seed 7; 1,030 active in 2026-10)
    assert model.k_ == 5 == truth["persona"].nunique()
    assert ari >= 0.6
    sel = model.k_selection_.set_index("k")
    assert sel.loc[5, "chosen"] and sel.loc[5, "stability"] >= 0.8
    assert sel.loc[5, "silhouette"] == sel.loc[sel["eligible"], "silhouette"].max()
    # persona 1 is the largest and every active user has exactly one persona
    sizes = np.bincount(model.labels_)[1:]
    assert list(sizes) == sorted(sizes, reverse=True) and sizes.sum() == len(active)
    # the planted deal hunters land mostly in the persona whose playbook action is coupons
    coupon = [c["persona"] for c in model.cards_ if c["action"] == "targeted_coupons"]
    assert len(coupon) == 1
    hunters = model.labels_[(planted == "deal_hunter").to_numpy()]
    assert (hunters == coupon[0]).mean() >= 0.9
    # predicting the fitted rows reproduces the labels
    assert (model.predict(active).to_numpy() == model.labels_).all()


# --- feature matrix ------------------------------------------------------------------------------
def test_persona_features_log1p_standardize_clip():
    f = pd.DataFrame(
        {"orders": [0, 0, 3, 3], "share_search": [0.1, 0.3, 0.1, 0.3], "share_flat": [0.5] * 4}
    )
    Z = P.persona_features(f, columns=["orders", "share_search", "share_flat"])
    # log1p(3) = ln 4 for both buyers: standardized -1, -1, 1, 1; the constant column is dropped
    assert Z.columns.tolist() == ["orders", "share_search"]
    assert Z["orders"].tolist() == pytest.approx([-1, -1, 1, 1])
    assert Z["share_search"].tolist() == pytest.approx([-1, 1, -1, 1])
    # one buyer among 11: z = (10/11) / sqrt(1/11 * 10/11) = 3.162 -> clipped to 3
    g = pd.DataFrame({"revenue": [0.0] * 10 + [np.e - 1]})
    assert P.persona_features(g)["revenue"].iloc[-1] == pytest.approx(3.0)
    assert P.persona_features(g, clip=None)["revenue"].iloc[-1] == pytest.approx(np.sqrt(10))
    with pytest.raises(DataError, match="'active_days_28'"):
        P.persona_features(g, columns=["active_days_28"])


def test_default_columns_skip_share_order_and_missing():
    f = pd.DataFrame(
        columns=[
            "user_id",
            "active_days_28",
            "orders",
            "revenue",
            "share_order",
            "share_search",
            "city",
        ]
    )
    assert P.default_columns(f) == ["active_days_28", "orders", "revenue", "share_search"]


def test_active_in_month():
    f = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d"],
            "last_active": pd.to_datetime(["2024-05-01", "2024-04-30", None, "2024-05-31"]),
        }
    )
    assert P.active_in_month(f, month_start=dt.date(2024, 5, 1))["user_id"].tolist() == ["a", "d"]


# --- choosing k ----------------------------------------------------------------------------------
def test_choose_k_finds_well_separated_blobs():
    rng = np.random.default_rng(3)
    centers = np.array([[0, 0, 0], [6, 0, 0], [0, 6, 0], [0, 0, 6]])
    X = np.vstack([rng.normal(c, 0.5, size=(50, 3)) for c in centers])
    sel = P.choose_k(X, k_range=range(2, 7), n_seeds=3)
    assert sel.k == 4
    row = sel.table.set_index("k").loc[4]
    assert row["stability"] == pytest.approx(1.0)
    assert row["silhouette"] > 0.7 and row["smallest_share"] == pytest.approx(0.25)
    assert sel.reason.startswith("k = 4: the highest silhouette")
    with pytest.raises(ParameterError, match="k_range"):
        P.choose_k(X, k_range=[1, 2])


def test_clusters_numbered_by_size():
    X = np.array([[0.0], [0.1], [5.0], [5.1], [5.2], [9.0]])
    out = P._number_by_size(np.array([7, 7, 3, 3, 3, 0]), X)
    assert out.tolist() == [2, 2, 1, 1, 1, 3]
    # equal sizes: the smaller centroid first
    assert P._number_by_size(
        np.array([0, 0, 1, 1]), np.array([[4.0], [4.0], [1.0], [1.0]])
    ).tolist() == [2, 2, 1, 1]


# --- cards ---------------------------------------------------------------------------------------
def _toy():
    # persona A: 4 heavy coupon users who buy; persona B: 4 light browsers who never buy
    f = pd.DataFrame(
        {
            "user_id": list("abcdefgh"),
            "active_days_28": [10] * 4 + [2] * 4,
            "orders": [4] * 4 + [0] * 4,
            "revenue": [100.0] * 4 + [0.0] * 4,
            "share_coupon_view": [0.5] * 4 + [0.0] * 4,
            "tenure_days": [200] * 8,
            "days_since_active": [1] * 8,
            "city": ["Shanghai"] * 4 + ["Beijing", "Beijing", "Shanghai", "Beijing"],
        }
    )
    return f


def test_distinguishing_features_hand_computed():
    Z = pd.DataFrame(
        {"a": [0.0, 0.0, 2.0, 2.0], "b": [1.0, 0.0, 1.0, 0.0], "c": [0.0, 0.0, 0.0, 1.0]}
    )
    d = C.distinguishing_features(Z, np.array([1, 1, 2, 2]), 2, n=3)
    # a: (2 - 0) / sd 1 = 2; c: (0.5 - 0) / sqrt(3/16) = 1.1547; b: 0
    assert d["feature"].tolist() == ["a", "c", "b"]
    assert d["d"].tolist() == pytest.approx([2.0, 0.5 / np.sqrt(3 / 16), 0.0])


def test_cards_on_toy():
    f = _toy()
    m = P.PersonaModel(
        k=2, columns=["active_days_28", "orders", "revenue", "share_coupon_view"]
    ).fit(f)
    cards = {c["persona"]: c for c in m.cards_}
    buyers = [p for p, c in cards.items() if c["users"] == 4 and c["revenue_share"] == 1.0]
    assert len(buyers) == 1
    b = cards[buyers[0]]
    assert b["user_share"] == 0.5
    # each feature takes one value per group: d = (mean in - mean out) / sd = delta / (delta / 2) = 2
    assert {r["feature"] for r in b["distinguishing"]} == {
        "active_days_28",
        "orders",
        "revenue",
        "share_coupon_view",
    }
    assert all(r["d"] == pytest.approx(2.0) for r in b["distinguishing"])
    assert b["top_events"] == [{"event": "coupon_view", "share": 0.5}]
    assert b["attributes"]["city"] == [{"value": "Shanghai", "share": 1.0, "overall_share": 0.625}]
    # coupon share 0.5 >= 0.15 and >= 2 x overall 0.25: price-sensitive
    assert b["action"] == "targeted_coupons"
    other = cards[3 - buyers[0]]
    assert other["revenue_share"] == 0.0 and other["action"] == "re_engagement"
    # Beijing: 75% of this persona vs 37.5% overall (>= 40% and >= 1.5 x overall); Shanghai 100% vs 62.5%
    assert other["name"].endswith("mostly Beijing") and b["name"].endswith("mostly Shanghai")
    # generated names: deterministic and unique
    again = P.PersonaModel(
        k=2, columns=["active_days_28", "orders", "revenue", "share_coupon_view"]
    ).fit(f)
    assert [c["name"] for c in again.cards_] == [c["name"] for c in m.cards_]
    assert len({c["name"] for c in m.cards_}) == 2
    html = m.persona_cards()._repr_html_()
    assert b["name"] in html and "Targeted coupons" in html


def test_persona_name_and_uniqueness():
    dist = pd.DataFrame(
        {
            "feature": ["active_days_28", "share_search", "revenue", "orders"],
            "d": [-1.4, 1.2, -0.8, -0.7],
        }
    )
    parts = C.persona_name(dist)
    assert parts == ["occasional visitors", "search-heavy", "low spend", "|rare buyers"]
    names = C.unique_names([parts, parts, ["quick visits"]])
    assert names == [
        "Occasional visitors, search-heavy, low spend, rare buyers (persona 1)",
        "Occasional visitors, search-heavy, low spend, rare buyers (persona 2)",
        "Quick visits",
    ]
    assert C.persona_name(dist, attribute="iOS")[:4] == [
        "occasional visitors",
        "search-heavy",
        "low spend",
        "mostly iOS",
    ]


@pytest.mark.parametrize(
    "profile, action",
    [
        (
            {"median_tenure_days": 9, "coupon_share": 0.5, "overall_coupon_share": 0.1},
            "onboarding",
        ),
        (
            {
                "median_tenure_days": 200,
                "user_share": 0.1,
                "revenue_share": 0.4,
                "mean_p_alive": 0.5,
                "overall_p_alive": 0.8,
            },
            "win_back",
        ),
        (
            {
                "median_tenure_days": 200,
                "user_share": 0.1,
                "revenue_share": 0.4,
                "median_days_since_active": 20,
            },
            "win_back",
        ),
        ({"coupon_share": 0.3, "overall_coupon_share": 0.12}, "targeted_coupons"),
        ({"coupon_share": 0.2, "overall_coupon_share": 0.12}, "nurture"),
        (
            {
                "active_days_28": 18,
                "overall_active_days_28": 9,
                "user_share": 0.1,
                "revenue_share": 0.5,
                "mean_p_alive": 0.95,
                "overall_p_alive": 0.9,
                "median_days_since_active": 1,
            },
            "beta_program",
        ),
        (
            {
                "active_days_28": 12,
                "overall_active_days_28": 9,
                "buyer_share": 0.1,
                "overall_buyer_share": 0.5,
            },
            "conversion_offer",
        ),
        (
            {
                "active_days_28": 3,
                "overall_active_days_28": 9,
                "buyer_share": 0.4,
                "overall_buyer_share": 0.5,
            },
            "re_engagement",
        ),
        ({"active_days_28": 9, "overall_active_days_28": 9}, "nurture"),
    ],
)
def test_playbook(profile, action):
    assert C.recommend_action(profile)["action"] == action


def test_age_band():
    assert C.age_band(pd.Series([24, 25, 34.9, 35, 54, 55])).tolist() == [
        "<25",
        "25-34",
        "25-34",
        "35-44",
        "45-54",
        "55+",
    ]


# --- value ---------------------------------------------------------------------------------------
def test_value_by_group_and_degraded_fit():
    d = pd.DataFrame(
        {
            "persona": [1, 1, 1, 2],
            "p_alive": [0.5, 0.7, np.nan, 1.0],
            "expected_purchases": [1.0, 3.0, np.nan, 2.0],
            "clv": [10.0, 20.0, np.nan, 70.0],
        }
    )
    out = P.value_by_group(d, "persona").table.set_index("persona")
    assert out.loc[
        1,
        [
            "users",
            "buyers",
            "mean_p_alive",
            "mean_expected_purchases",
            "clv_per_user",
            "clv_total",
            "share_clv",
        ],
    ].tolist() == pytest.approx([3, 2, 0.6, 2.0, 10.0, 30.0, 0.3])
    # counts are whole numbers, and the total CLV shows in whole currency units
    assert (
        str(out["users"].dtype) == "int64"
        and "<td>30</td>" in P.value_by_group(d, "persona")._repr_html_()
    )
    # only one-time buyers: BG/NBD cannot be fitted, value is NaN and the note says why
    f = pd.DataFrame(
        {
            "frequency": [0.0] * 12 + [np.nan],
            "recency": [0.0] * 12 + [np.nan],
            "T": [30.0] * 12 + [np.nan],
            "monetary_value": [0.0] * 12 + [np.nan],
        }
    )
    fit = P.fit_value(f)
    assert fit.bg is None and fit.per_user["clv"].isna().all() and "repeat buyers" in fit.note


def test_p_alive_left_empty_for_one_time_buyers(cdnow_dir):
    """CDNOW at 1998-06-30 (days): BG/NBD would give each of the 1,218 customers without a repeat
    purchase P(alive) = 1 whatever their age; it is left empty for them, their CLV is kept."""
    f = pd.read_csv(cdnow_dir / "expected_summary_days_1998-06-30.csv", index_col="customer_id")
    fit = P.fit_value(f)
    one_time = f["frequency"] == 0
    assert int(one_time.sum()) == 1218 and "1,218 buyers without a repeat purchase" in fit.note
    assert fit.per_user.loc[one_time, "p_alive"].isna().all()
    assert fit.per_user.loc[~one_time, "p_alive"].between(0, 1).all()
    assert fit.per_user["p_alive"].loc[~one_time].lt(1).any()
    assert fit.per_user["clv"].notna().all()  # every buyer still has a value estimate


# --- plots ---------------------------------------------------------------------------------------
def test_plots_draw_the_numbers():
    f = _toy()
    m = P.PersonaModel(
        k=2, columns=["active_days_28", "orders", "revenue", "share_coupon_view"]
    ).fit(f)
    fig, ax = plt.subplots()
    PP.plot_persona_sizes(m, ax=ax)
    widths = sorted(round(p.get_width(), 6) for p in ax.patches)
    assert widths == [0.0, 0.5, 0.5, 1.0]
    ax = PP.plot_persona_profiles(m, ax=plt.subplots()[1])
    assert ax.images[0].get_array().shape == (2, 4)
    ax = PP.plot_persona_projection(m, f, ax=plt.subplots()[1])
    assert sum(len(c.get_offsets()) for c in ax.collections) == 8
    table = pd.DataFrame(
        {
            "k": [2, 3, 4],
            "silhouette": [0.3, 0.5, 0.4],
            "stability": [1.0, 0.9, 0.7],
            "chosen": [False, True, False],
        }
    )
    ax = PP.plot_k_selection(table, ax=plt.subplots()[1])
    assert ax.lines[0].get_ydata().tolist() == [0.3, 0.5, 0.4]
    plt.close("all")

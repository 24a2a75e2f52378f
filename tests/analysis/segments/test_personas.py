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

from helpers.analysis.features import user_features  # noqa: E402
from helpers.analysis.segments.clustering import active_in_month  # noqa: E402
from helpers.analysis.segments.personas import PersonaModel, _number_by_size  # noqa: E402
from helpers.core.errors import ParameterError  # noqa: E402
from helpers.data.pipeline import load_project  # noqa: E402
from helpers.display.text import t  # noqa: E402
from helpers.plots import personas as PP  # noqa: E402


# --- planted truth -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_active(small_sample):
    project = load_project(small_sample / "persona.yaml")
    feats = user_features(
        project.user_day,
        as_of=dt.date(2026, 10, 31),
        users=project.users_frame(),
        passive_events=project.config.activity.passive_events,
        timezone=project.config.timezone,
    )
    active = active_in_month(feats, month_start="2026-10-01")
    truth = pd.read_csv(small_sample / "truth_users.csv.gz", dtype={"user_id": str})
    return active, truth


def test_planted_personas_recovered(sample_active):
    active, truth = sample_active
    model = PersonaModel(text=t).fit(active)
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
    coupon = [c.persona for c in model.cards_ if c.action == "targeted_coupons"]
    assert len(coupon) == 1
    hunters = model.labels_[(planted == "deal_hunter").to_numpy()]
    assert (hunters == coupon[0]).mean() >= 0.9
    # predicting the fitted rows reproduces the labels
    assert (model.predict(active).to_numpy() == model.labels_).all()


def test_clusters_numbered_by_size():
    X = np.array([[0.0], [0.1], [5.0], [5.1], [5.2], [9.0]])
    out = _number_by_size(np.array([7, 7, 3, 3, 3, 0]), X)
    assert out.tolist() == [2, 2, 1, 1, 1, 3]
    # equal sizes: the smaller centroid first
    assert _number_by_size(
        np.array([0, 0, 1, 1]), np.array([[4.0], [4.0], [1.0], [1.0]])
    ).tolist() == [2, 2, 1, 1]


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


# --- plots ---------------------------------------------------------------------------------------
def test_plots_draw_the_numbers():
    f = _toy()
    m = PersonaModel(
        k=2, text=t, columns=["active_days_28", "orders", "revenue", "share_coupon_view"]
    ).fit(f)
    fig, ax = plt.subplots()
    PP.plot_persona_sizes(m, ax=ax)
    widths = sorted(round(p.get_width(), 6) for p in ax.patches)
    assert widths == [0.0, 0.5, 0.5, 1.0]
    ax = PP.plot_persona_profiles(m, ax=plt.subplots()[1])
    assert ax.images[0].get_array().shape == (2, 4)
    ax = PP.plot_persona_projection(m.projection(f), ax=plt.subplots()[1])
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


def test_projection_is_a_sample_of_the_fitted_rows():
    f = _toy()
    m = PersonaModel(
        k=2, text=t, columns=["active_days_28", "orders", "revenue", "share_coupon_view"]
    ).fit(f)
    proj = m.projection(f, sample_size=5, random_state=1)
    assert len(proj.points) == 5 and set(proj.points.index) <= set(f.index)
    # every point keeps its fitted persona
    assert (proj.points["persona"] == pd.Series(m.labels_, index=f.index)[proj.points.index]).all()
    # two groups with identical members: the first component explains all the variance
    assert proj.explained[0] == pytest.approx(1.0)
    assert proj.names == {c.persona: c.name for c in m.cards_}
    with pytest.raises(ParameterError, match="the 8 rows the model was fitted on"):
        m.projection(f.head(3))


def test_a_team_s_names_win_and_the_kit_s_name_is_kept(sample_active):
    from helpers.core.errors import ConfigError

    active, _ = sample_active
    model = PersonaModel(text=t).fit(active)
    given = {c.persona: c.name for c in model.cards_}
    model.rename({"2": "Bargain fans", 4: " "})  # a blank name is no name
    names = {c.persona: c.name for c in model.cards_}
    assert names[2] == "Bargain fans" and names[4] == given[4]
    card = next(c for c in model.cards_ if c.persona == 2)
    assert card.name_generated == given[2]
    rows = model.assignments(active)
    assert set(rows.loc[rows["persona"] == 2, "persona_name"]) == {"Bargain fans"}
    with pytest.raises(ConfigError, match=r"personas\.names .* the key 'two' is not a number"):
        model.rename({"two": "x"})


def test_a_name_says_mostly_only_of_a_majority():
    from helpers.analysis.segments.cards import AttributeShare, _dominant_attribute

    # 42% plus against 20% overall: a lift of 2.1, but not most of the persona
    assert _dominant_attribute({"plan": [AttributeShare("plus", 0.42, 0.2)]}) is None
    assert _dominant_attribute({"plan": [AttributeShare("plus", 0.51, 0.2)]}) == ("plan", "plus")

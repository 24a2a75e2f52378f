"""helpers.analysis.segments.clustering: the clustering matrix and the choice of k, on hand-made data."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.segments.clustering import (
    KSelection,
    active_in_month,
    choose_k,
    default_columns,
    persona_features,
    selection_reason,
)
from helpers.core.errors import DataError, ParameterError
from helpers.display.text import t


# --- feature matrix ------------------------------------------------------------------------------
def test_persona_features_log1p_standardize_clip():
    f = pd.DataFrame(
        {"orders": [0, 0, 3, 3], "share_search": [0.1, 0.3, 0.1, 0.3], "share_flat": [0.5] * 4}
    )
    Z = persona_features(f, columns=["orders", "share_search", "share_flat"])
    # log1p(3) = ln 4 for both buyers: standardized -1, -1, 1, 1; the constant column is dropped
    assert Z.columns.tolist() == ["orders", "share_search"]
    assert Z["orders"].tolist() == pytest.approx([-1, -1, 1, 1])
    assert Z["share_search"].tolist() == pytest.approx([-1, 1, -1, 1])
    # one buyer among 11: z = (10/11) / sqrt(1/11 * 10/11) = 3.162 -> clipped to 3
    g = pd.DataFrame({"revenue": [0.0] * 10 + [np.e - 1]})
    assert persona_features(g)["revenue"].iloc[-1] == pytest.approx(3.0)
    assert persona_features(g, clip=None)["revenue"].iloc[-1] == pytest.approx(np.sqrt(10))
    with pytest.raises(DataError, match="'active_days_28'"):
        persona_features(g, columns=["active_days_28"])


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
    assert default_columns(f) == ["active_days_28", "orders", "revenue", "share_search"]


def test_active_in_month():
    f = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d"],
            "last_active": pd.to_datetime(["2024-05-01", "2024-04-30", None, "2024-05-31"]),
        }
    )
    assert active_in_month(f, month_start=dt.date(2024, 5, 1))["user_id"].tolist() == ["a", "d"]


# --- choosing k ----------------------------------------------------------------------------------
def test_choose_k_finds_well_separated_blobs():
    rng = np.random.default_rng(3)
    centers = np.array([[0, 0, 0], [6, 0, 0], [0, 6, 0], [0, 0, 6]])
    X = np.vstack([rng.normal(c, 0.5, size=(50, 3)) for c in centers])
    sel = choose_k(X, k_range=range(2, 7), n_seeds=3)
    assert sel.k == 4
    row = sel.table.set_index("k").loc[4]
    assert row["stability"] == pytest.approx(1.0)
    assert row["silhouette"] > 0.7 and row["smallest_share"] == pytest.approx(0.25)
    assert selection_reason(sel, text=t).startswith("k = 4: the highest silhouette")
    with pytest.raises(ParameterError, match="k_range"):
        choose_k(X, k_range=[1, 2])


def test_selection_reason_words_and_numbers():
    table = pd.DataFrame(
        {
            "k": [2, 3, 4],
            "silhouette": [0.31, 0.342, 0.3],
            "stability": [0.95, 0.999, 0.7],
            "inertia": [9.0, 8.0, 7.0],
            "smallest_share": [0.3, 0.1, 0.01],
        }
    )
    table["eligible"] = (table["stability"] >= 0.8) & (table["smallest_share"] >= 0.02)
    table["chosen"] = table["k"] == 3
    sel = KSelection(table, k=3, n_users=100, n_sample=100)
    assert sel.runner_up["k"] == 2
    assert selection_reason(sel, text=t) == (
        "k = 3: the highest silhouette (0.342) among the k whose stability is at least 0.8 "
        "(this one: 0.999) and whose smallest persona holds at least 2% of the users; next best "
        "k = 2 (silhouette 0.310)."
    )
    # no k eligible: every k competes and the sentence says the personas may shift
    unstable = KSelection(table.assign(eligible=False), k=3, n_users=100, n_sample=100)
    assert selection_reason(unstable, text=t).startswith(
        "k = 3: the highest silhouette (0.342); no k reached stability 0.8 with a smallest "
        "persona of 2%, so the personas may shift between runs; next best k = 2"
    )

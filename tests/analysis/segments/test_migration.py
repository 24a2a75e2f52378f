"""Personas across months: matching (names follow members), drift numbers, migration matrix.

Toys are hand-made with answers worked out in the comments; the last test runs the personas of
two consecutive months of a generated sample and checks names stay and the matrix adds up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analysis import features as feat
from helpers.analysis.segments import clustering
from helpers.analysis.segments.cards import PersonaCard
from helpers.analysis.segments.matching import match_personas
from helpers.analysis.segments.migration import (
    GONE,
    NEW,
    MigrationTotals,
    compare_months,
    migration_matrix,
)
from helpers.analysis.segments.personas import PersonaModel
from helpers.analysis.segments.snapshot import PersonaSnapshot
from helpers.core.errors import DataError
from helpers.core.time import month_bounds
from helpers.data.pipeline import load_project
from helpers.display.text import t as text


def _assign(groups: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [(u, p) for p, users in groups.items() for u in users], columns=["user_id", "persona"]
    )


# --- migration matrix -------------------------------------------------------------------------------
# last month: persona 1 = a b c d, persona 2 = e f, persona 3 = g
# this month: persona 1 = a b e, persona 2 = c x y, persona 4 = f z ; d and g are gone; x y z are new
PREV = _assign({1: list("abcd"), 2: list("ef"), 3: ["g"]})
CUR = _assign({1: list("abe"), 2: list("cxy"), 4: list("fz")})


def test_migration_matrix_rows_and_columns_add_up():
    mig = migration_matrix(
        PREV, CUR, names_prev={1: "A", 2: "B", 3: "C"}, names={1: "A", 2: "B", 4: "D"}
    )
    m = mig.matrix
    assert list(m.index) == [1, 2, 3, NEW]
    assert list(m.columns) == [1, 2, 4, GONE]
    assert m.values.tolist() == [
        [2, 1, 0, 1],  # a b stay, c -> 2, d gone
        [1, 0, 1, 0],  # e -> 1, f -> 4
        [0, 0, 0, 1],  # g gone
        [0, 2, 1, 0],  # x y -> 2, z -> 4
    ]
    # rows = last month's sizes (+ the new row), columns = this month's sizes (+ gone)
    assert m.drop(index=NEW).sum(axis=1).tolist() == [4, 2, 1]
    assert m.drop(columns=GONE).sum(axis=0).tolist() == [3, 3, 2]
    assert m.loc[NEW, GONE] == 0
    assert m.values.sum() == 7 + 8 - 5  # users in either month (5 in both)
    top = mig.top_flows(2)
    assert top["users"].tolist() == [2, 1]  # x y joining 2 is the largest move
    assert (top.iloc[0]["from"], top.iloc[0]["to"]) == (NEW, 2)
    assert mig.stay_shares().round(3).to_dict() == {1: 0.5, 2: 0.0, 3: 0.0}
    assert mig.totals() == MigrationTotals(stayed=2, moved=3, new=3, gone=2)
    # what the review says in words (helpers.sections.review_personas): the largest move
    # between personas, then the largest arrival of new users and the largest loss
    move = mig.top_flows(1, between_personas=True).iloc[0]
    assert (move["from"], move["from_name"], move["to"], move["to_name"]) == (1, "A", 2, "B")
    assert (move["users"], move["share_of_from"]) == (1, 0.25)
    ends = mig.largest_arrivals_and_losses()
    assert ends[["from", "to", "users"]].values.tolist() == [[NEW, 2, 2], [1, GONE, 1]]
    assert ends["share_of_to"].iloc[0] == pytest.approx(2 / 3)  # 67% of persona 2
    assert ends["share_of_from"].iloc[1] == 0.25
    assert ends["from_name"].iloc[0] is None and ends["to_name"].iloc[1] is None


def test_migration_matrix_refuses_duplicated_users():
    with pytest.raises(DataError, match="user 'a' more than once"):
        migration_matrix(pd.concat([PREV, PREV.head(1)]), CUR)


# --- matching -------------------------------------------------------------------------------------
def _snap(groups, names, centroids=None, month=""):
    cen = pd.DataFrame(centroids or {}, index=sorted(groups)) if centroids else pd.DataFrame()
    feats = list(cen.columns)
    return PersonaSnapshot(
        _assign(groups),
        centroids=cen,
        names=names,
        month=month,
        mean=pd.Series(0.0, index=feats),
        scale=pd.Series(1.0, index=feats),
        next_number=max(groups) + 1,
    )


def test_matching_follows_members_when_clusters_are_permuted():
    users = {p: [f"u{p}_{i}" for i in range(10)] for p in (1, 2, 3)}
    prev = _snap(
        users,
        {1: "Coupon hunters", 2: "Power users", 3: "Browsers"},
        {"x": [0.0, 3.0, -2.0]},
        month="2026-09",
    )
    # the same members, clusters numbered differently this month (and named differently)
    cur = _snap(
        {1: users[3], 2: users[1], 3: users[2]},
        {1: "Quick visits", 2: "Coupon-heavy", 3: "Frequent"},
        {"x": [-2.0, 0.0, 3.0]},
    )
    m = match_personas(prev, cur, text=text)
    assert m.mapping == {1: 3, 2: 1, 3: 2}
    assert m.names == {1: "Coupon hunters", 2: "Power users", 3: "Browsers"}
    kept = m.table.set_index("persona")
    assert kept["status"].tolist() == ["kept"] * 3
    assert kept["overlap"].tolist() == [1.0] * 3 and kept["kept_share"].tolist() == [1.0] * 3
    assert kept["centroid_shift"].tolist() == [0.0] * 3
    assert not kept["drifted"].any()


def test_drift_numbers_new_and_gone_on_a_toy():
    # last month: 1 = a..j (10 users, centre x=0, y=0), 2 = k..t (10, centre x=2), 3 = u v w (gone)
    prev = _snap(
        {1: list("abcdefghij"), 2: list("klmnopqrst"), 3: list("uvw")},
        {1: "One", 2: "Two", 3: "Three"},
        {"x": [0.0, 2.0, 5.0], "y": [0.0, 0.0, 5.0]},
        month="2026-09",
    )
    # this month: cluster 1 = a..f + 4 new (centre moved to x=0.6, y=0.8 -> shift 1.0)
    #             cluster 2 = k..t (same, centre x=2)
    #             cluster 3 = 5 new users far from everything (x=-6, y=-6)
    cur = _snap(
        {
            1: list("abcdef") + ["n1", "n2", "n3", "n4"],
            2: list("klmnopqrst"),
            3: ["m1", "m2", "m3", "m4", "m5"],
        },
        {1: "Moved", 2: "Two again", 3: "Two"},
        {"x": [0.6, 2.0, -6.0], "y": [0.8, 0.0, -6.0]},
    )
    m = match_personas(prev, cur, text=text)
    assert m.mapping == {1: 1, 2: 2, 3: 4}  # new cluster: the next unused number (4)
    assert m.next_number == 5
    # the new cluster's generated name clashes with a kept name: it gets its number
    assert m.names[4] == "Two (persona 4)" and m.names[2] == "Two"
    t = m.table.set_index("persona")
    assert t.loc[1, "status"] == "kept"
    # Jaccard over users active in both months: g..j are gone and n1..n4 new, so both sides
    # restrict to a..f -> 6 / 6 = 1; the loss shows in kept_share instead
    assert t.loc[1, "overlap"] == pytest.approx(1.0)
    assert t.loc[1, "kept_share"] == pytest.approx(0.6)  # 6 of last month's 10
    assert t.loc[1, "stayed_share"] == pytest.approx(1.0)  # all 6 still active stayed
    assert t.loc[1, "centroid_shift"] == pytest.approx(1.0)  # sqrt(0.6^2 + 0.8^2)
    assert bool(t.loc[1, "drifted"]) is True  # shift 1.0 > 0.5
    assert bool(t.loc[2, "drifted"]) is False
    assert t.loc[3, "status"] == "gone" and t.loc[3, "users_prev"] == 3
    assert t.loc[4, "status"] == "new" and t.loc[4, "users"] == 5
    assert m.changes["persona"].tolist() == [1, 3, 4]  # drifted 1, gone 3, new 4
    # a suffix that made a generated name unique among this month's clusters follows the new number
    cur.names = {1: "Moved", 2: "Two again", 3: "Fresh (persona 3)"}
    assert match_personas(prev, cur, text=text).names[4] == "Fresh"
    cur.names = {1: "Moved", 2: "Two again", 3: "Two (persona 3)"}
    assert match_personas(prev, cur, text=text).names[4] == "Two (persona 4)"


def test_centroids_are_carried_into_this_months_scale():
    # last month z=1 with mean 10, sd 2 -> raw 12; this month mean 11, sd 4 -> z = 0.25
    prev = PersonaSnapshot(
        _assign({1: ["a"]}),
        centroids=pd.DataFrame({"x": [1.0]}, index=[1]),
        mean=pd.Series({"x": 10.0}),
        scale=pd.Series({"x": 2.0}),
        names={1: "P"},
    )
    cur = PersonaSnapshot(
        _assign({1: ["b"]}),
        centroids=pd.DataFrame({"x": [0.75]}, index=[1]),
        mean=pd.Series({"x": 11.0}),
        scale=pd.Series({"x": 4.0}),
        names={1: "Q"},
    )
    # no users in both: the match rests on the distance 0.5 <= 1
    m = match_personas(prev, cur, text=text)
    assert m.mapping == {1: 1} and m.names == {1: "P"}
    assert m.table.loc[0, "centroid_shift"] == pytest.approx(0.5)


def test_compare_months_renumbers_and_adds_up():
    prev = _snap({1: list("abcd"), 2: list("efgh")}, {1: "A", 2: "B"}, month="2026-09")
    prev.cards = [
        PersonaCard(persona=1, user_share=0.5, revenue_share=0.8),
        PersonaCard(persona=2, user_share=0.5, revenue_share=0.2),
    ]
    cur = _snap({1: list("efghxy"), 2: list("abc")}, {1: "B'", 2: "A'"}, month="2026-10")
    cur.cards = [
        PersonaCard(persona=1, user_share=6 / 9, revenue_share=0.3),
        PersonaCard(persona=2, user_share=3 / 9, revenue_share=0.7),
    ]
    comp = compare_months(prev, cur, text=text)
    assert comp.aligned is False  # this month was not matched to 2026-09 when it was built
    t = comp.table.set_index("persona")
    assert t["name"].to_dict() == {1: "A", 2: "B"}
    assert t["users_prev"].tolist() == [4, 4] and t["users"].tolist() == [3, 6]
    assert t["revenue_share"].tolist() == [0.7, 0.3] and t["revenue_share_prev"].tolist() == [
        0.8,
        0.2,
    ]
    m = comp.migration.matrix
    assert m.drop(index=NEW).sum(axis=1).tolist() == [4, 4]
    assert m.drop(columns=GONE).sum(axis=0).tolist() == [3, 6]
    assert m.loc[1, GONE] == 1 and m.loc[NEW, 2] == 2


# --- two consecutive months of a generated sample ------------------------------------------------
def test_sample_personas_keep_their_names_across_two_months(small_sample):
    project = load_project(small_sample / "persona.yaml")
    cfg = project.config
    month = project.latest_complete_month()
    prev_month = (
        f"{month[:4]}-{int(month[5:]) - 1:02d}"
        if month[5:] != "01"
        else f"{int(month[:4]) - 1}-12"
    )
    users = project.users_frame()
    fitted = {}
    for m in (prev_month, month):
        start, as_of = month_bounds(m)
        f = feat.user_features(
            project.user_day,
            as_of=as_of,
            users=users,
            passive_events=cfg.activity.passive_events,
            timezone=cfg.timezone,
        )
        active = clustering.active_in_month(f, month_start=start)
        # as 03_personas: a feature launched this month (the planted beta event) is not a
        # clustering column, so it does not split a persona
        new = feat.new_events(
            project.user_day, as_of=as_of, passive_events=cfg.activity.passive_events
        )
        model = PersonaModel(
            k_range=range(3, 7),
            n_seeds=3,
            n_init=2,
            text=text,
            columns=clustering.default_columns(active, exclude_events=new),
        ).fit(active)
        fitted[m] = (model, active)
    prev_model, prev_active = fitted[prev_month]
    prev_model.align(None, prev_active)
    prev = PersonaSnapshot.from_model(prev_model, prev_active, month=prev_month)
    model, active = fitted[month]
    generated = {c.persona: c.name for c in model.cards_}
    model.align(prev, active)
    match = model.alignment_
    # the generator does not change between months: every persona is found again, same name
    assert match.table["status"].tolist() == ["kept"] * prev_model.k_
    assert {c.persona: c.name for c in model.cards_} == prev.names
    assert sorted(model.centers_.index) == sorted(prev.names)
    assert (match.table["overlap"] >= 0.3).all()
    # a name that this month's generator spelled differently is still last month's name
    assert set(generated.values()) <= set(prev.names.values()) | set(match.table["name_generated"])
    cur = PersonaSnapshot.from_model(model, active, month=month)
    mig = migration_matrix(
        prev.assignments, cur.assignments, names_prev=prev.names, names=cur.names
    )
    m = mig.matrix
    assert m.drop(index=NEW).sum(axis=1).to_dict() == prev.sizes.to_dict()
    assert m.drop(columns=GONE).sum(axis=0).to_dict() == cur.sizes.to_dict()
    assert m.loc[NEW].sum() == len(set(cur.assignments.user_id) - set(prev.assignments.user_id))
    assert m[GONE].sum() == len(set(prev.assignments.user_id) - set(cur.assignments.user_id))
    # most users who stay active stay in their persona
    both = m.drop(index=NEW, columns=GONE)
    assert np.trace(both.to_numpy()) / both.to_numpy().sum() > 0.5
    # the cards written next month carry the drift and the match
    d = model.to_dict()
    assert d["alignment"]["previous_month"] == prev_month
    assert all("drift" in c for c in d["cards"])
    assert d["alignment"]["rule"].startswith("Clusters are paired one-to-one by member overlap")
    # and next month reads them back as they were written
    again = PersonaSnapshot.from_cards(d, model.assignments(active), month=month)
    assert [c.to_json() for c in again.cards] == d["cards"]
    # compare_months sees that this month was matched to prev_month when it was built
    comp = compare_months(prev, again, text=text)
    assert comp.aligned and comp.match.rule == d["alignment"]["rule"]

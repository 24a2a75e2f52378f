"""helpers.analysis.churn.landmarks: labels known while a life was running, and delayed entry.

Hand cases: the landmarks of a history, the nearest-centroid rule of ``persona_cards.json``, the
first landmark of each user and their entry day, the labels of the hand ``user_day``.
"""

import datetime as dt
import math

import pandas as pd
import pytest

from helpers.analysis.churn import landmarks, lives
from helpers.core.errors import DataError
from tests.analysis.churn.hand_cases import AS_OF, K, day

CARDS = {
    "features": ["orders", "share_view"],
    "clip": 3.0,
    "transform": {"mean": [0.0, 0.5], "scale": [1.0, 0.25]},
    "cards": [
        {"persona": 1, "name": "Browsers", "centroid": [0.0, 1.0]},
        {"persona": 2, "name": "Buyers", "centroid": [math.log1p(1.0), -2.0]},
    ],
}


def test_landmarks_are_month_ends_before_the_last_day_whose_churn_is_seen():
    days = landmarks.landmark_days("2025-11-03", as_of="2026-03-31", inactive_days=30)
    # as_of - K = 2026-03-01: the last landmark must be followed at least a day, so Feb 28
    assert [str(d) for d in days] == ["2025-11-30", "2025-12-31", "2026-01-31", "2026-02-28"]
    assert landmarks.landmark_days("2026-03-10", as_of="2026-03-31", inactive_days=30) == []
    last2 = landmarks.landmark_days(
        "2025-11-03", as_of="2026-03-31", inactive_days=30, max_landmarks=2
    )
    assert [str(d) for d in last2] == ["2026-01-31", "2026-02-28"]


def test_persona_rule_is_the_nearest_centroid_in_the_cards_space():
    rule = landmarks.PersonaCentroids.from_cards(CARDS)
    f = pd.DataFrame(
        {
            "user_id": ["a", "b", "c"],
            "orders": [0, 1, 40],  # log1p: 0, 0.69, 3.71 (z clipped to 3)
            "share_view": [0.75, 0.0, 0.5],  # z: 1, -2, 0
        }
    )
    z = rule.transform(f)
    assert z[:, 0] == pytest.approx([0.0, math.log1p(1.0), 3.0])
    assert z[:, 1] == pytest.approx([1.0, -2.0, 0.0])
    # c: distance to Browsers 3^2 + 1 = 10, to Buyers (3 - 0.69)^2 + 2^2 = 9.3: Buyers
    out = rule.assign(f)
    assert out["persona"].tolist() == [1, 2, 2]
    assert out["persona_name"].tolist() == ["Browsers", "Buyers", "Buyers"]
    # a feature the table lacks counts as 0
    assert rule.assign(f.drop(columns="share_view"))["persona"].tolist() == [2, 2, 2]


def test_cards_without_centroids_are_refused_with_the_file_named():
    broken = {**CARDS, "cards": [{"persona": 1, "name": "x"}]}
    with pytest.raises(DataError, match="persona_cards.json must hold .* re-run 03_personas"):
        landmarks.PersonaCentroids.from_cards(broken)


def test_each_user_enters_at_the_first_landmark_their_life_was_running():
    surv = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d"],
            "start_day": pd.to_datetime(["2026-05-20", "2026-06-30", "2026-01-02", "2026-07-15"]),
            "end_day": pd.to_datetime(["2026-07-10", "2026-06-30", "2026-05-01", "2026-08-01"]),
            "duration_days": [52, 1, 120, 18],
            "event": [1, 1, 1, 0],
        }
    )
    surv.attrs.update(start="signup")
    labels = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "c", "d", "d"],
            "landmark_day": [
                dt.date(2026, 5, 31),
                dt.date(2026, 6, 30),
                dt.date(2026, 6, 30),
                dt.date(2026, 5, 31),
                dt.date(2026, 7, 31),
                dt.date(2026, 6, 30),
            ],
            "persona_name": ["P", "Q", "Q", "P", None, "Q"],
        }
    )
    labels.attrs["landmarks"] = [dt.date(2026, 5, 31), dt.date(2026, 6, 30)]
    out = landmarks.delayed_entry(surv, labels, "persona_name").set_index("user_id")
    # a: first at May 31 (day 12 of the life); b: its one day is the landmark (day 1);
    # c ended before its landmark; d's June 30 label predates its life, its July label is empty
    assert out.index.tolist() == ["a", "b"]
    assert out["persona_name"].tolist() == ["P", "Q"]
    assert out["entry_days"].tolist() == [12, 1]
    assert out.attrs["start"] == "signup" and len(out.attrs["landmarks"]) == 2


def test_labels_of_the_hand_user_day(hand_user_day):
    surv = lives.survival_table(hand_user_day, as_of=AS_OF, inactive_days=K)
    labels = landmarks.labels_at_landmarks(
        hand_user_day, surv, as_of=AS_OF, inactive_days=K, cards=CARDS
    )
    # the one landmark is 2024-01-31 (day 30; as_of - K - 1 = day 54 is in February), and the
    # only life running then is F's one-day life (its order on day 30): one order, no view
    assert labels.attrs["landmarks"] == [day(30)]
    row = labels.set_index("user_id").loc["F"]
    assert len(labels) == 1 and row["landmark_day"] == day(30)
    assert (row["persona"], row["persona_name"]) == (2, "Buyers")
    # the only buyer known then scores 1-1-1 among the buyers: Hibernating on the R x F grid
    assert row["rfm_segment"] == "Hibernating"
    entered = landmarks.delayed_entry(surv, labels, "rfm_segment")
    assert entered[["user_id", "entry_days"]].values.tolist() == [["F", 1]]
    # without cards: no persona, the segment still there
    alone = landmarks.labels_at_landmarks(hand_user_day, surv, as_of=AS_OF, inactive_days=K)
    assert alone["persona_name"].isna().all() and alone["rfm_segment"].tolist() == ["Hibernating"]


def test_a_history_shorter_than_one_landmark_gives_no_label(hand_user_day):
    surv = lives.survival_table(hand_user_day, as_of=day(20), inactive_days=K)
    labels = landmarks.labels_at_landmarks(
        hand_user_day, surv, as_of=day(20), inactive_days=K, cards=CARDS
    )
    assert len(labels) == 0 and labels.attrs["landmarks"] == []
    assert list(labels.columns) == [
        "user_id",
        "landmark_day",
        "persona",
        "persona_name",
        "rfm_segment",
    ]
    assert len(landmarks.delayed_entry(surv, labels, "persona_name")) == 0

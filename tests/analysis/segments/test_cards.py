"""helpers.analysis.segments.cards: cards on a hand-made toy, and the card as persona_cards.json holds it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.segments.cards import (
    AttributeShare,
    CardEvent,
    Drift,
    PersonaCard,
    age_band,
    distinguishing_features,
)
from helpers.analysis.segments.personas import PersonaModel
from helpers.display.text import t


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
    d = distinguishing_features(Z, np.array([1, 1, 2, 2]), 2, n=3)
    # a: (2 - 0) / sd 1 = 2; c: (0.5 - 0) / sqrt(3/16) = 1.1547; b: 0
    assert d["feature"].tolist() == ["a", "c", "b"]
    assert d["d"].tolist() == pytest.approx([2.0, 0.5 / np.sqrt(3 / 16), 0.0])


def test_cards_on_toy():
    f = _toy()
    m = PersonaModel(
        k=2, text=t, columns=["active_days_28", "orders", "revenue", "share_coupon_view"]
    ).fit(f)
    cards = {c.persona: c for c in m.cards_}
    buyers = [p for p, c in cards.items() if c.users == 4 and c.revenue_share == 1.0]
    assert len(buyers) == 1
    b = cards[buyers[0]]
    assert b.user_share == 0.5
    # each feature takes one value per group: d = (mean in - mean out) / sd = delta / (delta / 2) = 2
    assert {r.feature for r in b.distinguishing} == {
        "active_days_28",
        "orders",
        "revenue",
        "share_coupon_view",
    }
    assert all(r.d == pytest.approx(2.0) for r in b.distinguishing)
    assert b.top_events == [CardEvent("coupon_view", 0.5)]
    assert b.attributes["city"] == [AttributeShare("Shanghai", 1.0, 0.625)]
    # coupon share 0.5 >= 0.15 and >= 2 x overall 0.25: price-sensitive
    assert b.action == "targeted_coupons"
    other = cards[3 - buyers[0]]
    assert other.revenue_share == 0.0 and other.action == "re_engagement"
    # the archetype rules: 10 active days vs 6 overall (>= 1.5x) and 100% of revenue for 50% of
    # users (>= 1.5x): power users; 2 active days and no buyer: casual browsers
    assert (b.name, b.archetype) == ("Power users", "power_users")
    assert (other.name, other.archetype) == ("Casual browsers", "casual_browsers")
    # the features they were named by are the subtitle. Beijing: 75% of this persona vs 37.5%
    # overall (more than half and >= 1.5 x overall); Shanghai 100% vs 62.5%
    assert other.subtitle.endswith("mostly Beijing") and b.subtitle.endswith("mostly Shanghai")
    # generated names: deterministic and unique
    again = PersonaModel(
        k=2, text=t, columns=["active_days_28", "orders", "revenue", "share_coupon_view"]
    ).fit(f)
    assert [c.name for c in again.cards_] == [c.name for c in m.cards_]
    assert len({c.name for c in m.cards_}) == 2
    # the stored words: action text and rule from the catalog, description from the numbers
    assert b.action_text.startswith("Targeted coupons: time-limited offers")
    assert b.action_rule.startswith("price-sensitive: mean share_coupon_view >= 0.15")
    # all four features tie on |d| = 2: the first three by name, means in their own units
    assert b.description == (
        "50% of active users, 100% of revenue: Active days (28 d) 10.0 (all 6.0); Orders 4.0 "
        "(all 2.0); Revenue 100.0 (all 50.0)."
    )
    assert [r.label for r in b.distinguishing][-1] == "share of coupon view"
    assert other.description.startswith("50% of active users, 0% of revenue: ")


def test_age_band():
    assert age_band(pd.Series([24, 25, 34.9, 35, 54, 55])).tolist() == [
        "<25",
        "25-34",
        "25-34",
        "35-44",
        "45-54",
        "55+",
    ]


# a card as 03_personas wrote it to persona_cards.json (matched with last month, with a centroid)
CARD_JSON = {
    "persona": 4,
    "users": 1187,
    "user_share": 0.14313276257084288,
    "revenue_share": 0.5210430298449458,
    "distinguishing": [
        {
            "feature": "share_review",
            "label": "share of review",
            "d": 2.1,
            "share": True,
            "mean": 0.16,
            "overall_mean": 0.03,
        },
        {
            "feature": "orders",
            "label": "orders",
            "d": 1.2,
            "share": False,
            "mean": None,
            "overall_mean": 2.5,
        },
    ],
    "top_events": [{"event": "view_item", "share": 0.3}],
    "attributes": {"plan": [{"value": "plus", "share": 0.55, "overall_share": 0.16}]},
    "value": {
        "mean_p_alive": 0.81,
        "mean_expected_purchases": 9.5,
        "clv_per_user": 801.2,
        "clv_share": 0.5,
    },
    "profile": {"user_share": 0.14, "revenue_share": 0.52, "median_tenure_days": 120.0},
    "action": "beta_program",
    "action_text": "Beta programs and ambassador perks: early access, reviews, referrals.",
    "action_rule": "power users: ...",
    "name": "Review-heavy, share-heavy, frequent visitors, mostly plus",
    "description": "14% of active users, 52% of revenue: share of review 16% (all 3%).",
    "subtitle": "Review-heavy, share-heavy, frequent visitors, mostly plus",
    "archetype": "power_users",
    "name_generated": "Review-heavy, share-heavy, frequent buyers, mostly plus",
    "drift": {
        "status": "kept",
        "persona_prev": 4,
        "centroid_shift": 0.2,
        "kept_share": 0.88,
        "stayed_share": 0.99,
        "drifted": False,
    },
    "centroid": [0.1, -0.2],
}


def test_card_json_round_trip_keeps_keys_order_and_values():
    card = PersonaCard.from_json(CARD_JSON)
    assert card.persona == 4 and card.value.clv_per_user == 801.2
    assert card.distinguishing[1].mean is None and card.drift == Drift("kept", 4, 0.2, 0.88, 0.99)
    assert card.attributes["plan"] == [AttributeShare("plus", 0.55, 0.16)]
    out = card.to_json()
    assert out == CARD_JSON and list(out) == list(CARD_JSON)
    assert json.dumps(out) == json.dumps(CARD_JSON)  # the same text, key for key
    # a card not matched with last month and not written yet has no drift, no centroid
    bare = PersonaCard.from_json(
        {k: v for k, v in CARD_JSON.items() if k not in ("name_generated", "drift", "centroid")}
    )
    assert list(bare.to_json()) == [
        k for k in CARD_JSON if k not in ("name_generated", "drift", "centroid")
    ]


def test_renumbered_keeps_last_months_name():
    card = PersonaCard.from_json(CARD_JSON)
    moved = card.renumbered(2, name="Old name", drift=Drift("kept", 4))
    assert (moved.persona, moved.name, moved.name_generated) == (2, "Old name", card.name)
    assert moved.with_centroid(np.array([1.0, 2.0])).centroid == [1.0, 2.0]


def test_the_coupon_event_is_named_by_the_config():
    """A Chinese export's coupon event (personas.coupon_event) marks price-sensitive personas
    the same way; under the default name the Chinese column is just another event."""
    f = _toy().rename(columns={"share_coupon_view": "share_领取优惠券"})
    cols = ["active_days_28", "orders", "revenue", "share_领取优惠券"]
    named = PersonaModel(k=2, text=t, columns=cols, coupon_event="领取优惠券").fit(f)
    default = PersonaModel(k=2, text=t, columns=cols).fit(f)
    buyer = [c for c in named.cards_ if c.revenue_share == 1.0][0]
    assert buyer.action == "targeted_coupons"
    assert buyer.top_events == [CardEvent("领取优惠券", 0.5)]
    assert [c for c in default.cards_ if c.revenue_share == 1.0][0].action != "targeted_coupons"

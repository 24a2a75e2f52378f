"""helpers.analysis.segments.playbook: each rule of the playbook on a hand-made profile."""

from __future__ import annotations

import pytest

from helpers.analysis.segments.playbook import PLAYBOOK, action_text_key, recommend_action
from helpers.display.messages import has


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
    assert recommend_action(profile) == action


def test_every_action_has_its_words():
    assert PLAYBOOK[-1] == "nurture"
    for action in PLAYBOOK:
        assert has(action_text_key(action)) and has(f"personas.action.{action}.rule")

"""Hand-made persona cards and churn-risk scores shared by the action-list tests (analysis) and
the review's rendering of them (sections)."""

from __future__ import annotations

import pandas as pd

from helpers.analysis.segments.cards import CardValue, PersonaCard


def card(*, clv_per_user, **fields):
    return PersonaCard(value=CardValue(clv_per_user=clv_per_user), **fields)


CARDS = [
    card(
        persona=3,
        name="Browsers",
        users=4,
        user_share=0.5,
        revenue_share=0.1,
        clv_per_user=None,
        action="re_engagement",
        action_text="Re-engagement.",
    ),
    card(
        persona=1,
        name="Power users",
        users=4,
        user_share=0.5,
        revenue_share=0.9,
        clv_per_user=100.0,
        action="beta_program",
        action_text="Beta programs.",
    ),
]
RISK = pd.DataFrame(
    {
        "user_id": ["a", "b", "c", "d", "e", "f"],
        "persona": [1, 1, 1, 3, 3, 3],
        "churn_risk_30d": [0.6, 0.9, 0.1, 0.8, 0.55, 0.2],
        "risk_band": ["high", "critical", "low", "critical", "high", "low"],
        "revenue_90d": [100.0, 50.0, 999.0, 0.0, 5.0, 7.0],
    }
)

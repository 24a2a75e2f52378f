"""The detailed reports' briefs on hand-made inputs: the cards, findings and actions worked out
by hand, and what each says when a model could not be fitted."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from helpers.display.blocks import Unavailable
from helpers.display.format import set_currency
from helpers.sections import briefs


@pytest.fixture(autouse=True)
def _cny():
    set_currency("CNY")
    yield


def _risk_table():
    return pd.DataFrame(
        {
            "user_id": list("abcd"),
            "status": ["recoverable", "recoverable", "lapsed", "not_at_risk"],
            # 30-day risk x 90-day revenue x 30/90
            "revenue_at_stake_30d": [12.4, 7.6, 50.0, 1.0],
        }
    )


def test_the_churn_brief_counts_who_can_be_saved_and_says_when_recency_wins():
    risk = SimpleNamespace(
        backtest_=SimpleNamespace(auc=0.931, baseline_auc=0.934, beats_baseline=False)
    )
    drivers = pd.DataFrame(
        {
            "covariate": ["joined_community", "events_first_7d"],
            "kind": ["attribute", "behaviour"],
            "hr": [0.51, 0.99],
            "hr_lower": [0.44, 0.98],
            "hr_upper": [0.60, 1.01],
        }
    )
    b = briefs.churn_brief(
        month="2026-10",
        risk_table=_risk_table(),
        risk=risk,
        drivers=drivers,
        owners={"persona": "CRM team", "churn_driver": "Community team"},
    )
    assert [(k.label, k.value) for k in b.cards] == [
        ("At-risk users who can still be saved", "2"),
        ("Revenue at stake, next 30 days", "CN¥20"),  # 12.4 + 7.6, recoverable users only
        ("High-risk users already gone", "1"),
        ("Risk model, back-test AUC", "0.931"),
    ]
    assert b.cards[3].tone == "bad"
    assert b.findings[0] == (
        "2 high-risk users were active in the last 7 days and can still be saved; 1 more have "
        "already lapsed."
    )
    assert b.findings[1].startswith("The risk model does not beat days since last activity")
    assert "0.51× the rate of others" in b.findings[2]
    assert b.actions[0].endswith("(owner: CRM team).")
    assert b.actions[1] == "Invite more users to “Joined the community” (owner: Community team)."


def test_the_churn_brief_degrades_to_a_sentence_without_models():
    gone = Unavailable("needs more history")
    b = briefs.churn_brief(month="2026-10", risk_table=gone, risk=gone, km_persona=gone)
    assert b.cards == [] and b.findings == [
        "This month's data cannot support the churn models yet (see below)."
    ]
    assert b.actions and "pk-brief" in b._repr_html_()

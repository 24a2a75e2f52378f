"""The action list on hand-made persona cards and churn-risk scores."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.analysis.actions import action_list, at_risk_file
from tests.analysis.action_toys import CARDS, RISK


def test_action_list_sizes_value_and_at_risk_users():
    actions = action_list(CARDS, RISK)
    t = actions.table.set_index("persona")
    assert list(t.index) == [1, 3]  # by persona number, whatever the order of the cards
    assert t["users"].tolist() == [4, 4]
    assert t.loc[1, "clv_total"] == 400.0 and np.isnan(t.loc[3, "clv_total"])
    assert t["at_risk_users"].tolist() == [2, 2]
    # 30-day risk x 90-day revenue x 30/90: (0.6 x 100 + 0.9 x 50) / 3 and 0.55 x 5 / 3
    assert t["at_risk_revenue_30d"].tolist() == pytest.approx([35.0, 0.55 * 5 / 3])
    assert t["at_risk_csv"].tolist() == ["at_risk_persona_1.csv", "at_risk_persona_3.csv"]
    assert actions.at_risk_users == 4 and actions.has_risk
    # riskiest first within a persona, with the persona's action
    assert actions.at_risk["user_id"].tolist() == ["b", "a", "d", "e"]
    assert actions.at_risk["action"].tolist() == ["beta_program"] * 2 + ["re_engagement"] * 2


def test_action_list_degrades_without_inputs():
    assert action_list([], RISK) is None and action_list(None, None) is None
    no_risk = action_list(CARDS, None)
    assert no_risk.table["at_risk_users"].tolist() == [0, 0]
    assert not no_risk.has_risk and no_risk.at_risk.empty
    # a persona without at-risk users has no list file
    only_low = action_list(CARDS, RISK[RISK["risk_band"] == "low"])
    assert only_low.table["at_risk_csv"].tolist() == ["", ""]
    assert at_risk_file(2.0) == "at_risk_persona_2.csv"

"""Who the actives are and what they do, on toy tables counted by hand."""

import pandas as pd
import pytest

from helpers.analysis.activity.profile import MISSING_LEVEL, active_behaviour, attribute_profile
from helpers.core.errors import DataError
from tests.analysis.activity.toys import definition_toy


def test_attribute_profile_index():
    users = pd.DataFrame({"user_id": ["1", "2", "3", "4"], "plan": ["free", "free", "pro", None]})
    r = attribute_profile(["1", "3"], users, attributes=["plan"])
    p = r.profile.set_index("value")
    assert p.loc["free", "share_active"] == 0.5 and p.loc["free", "share_all"] == 0.5
    assert p["index"].to_dict() == {MISSING_LEVEL: 0.0, "free": 100.0, "pro": 200.0}
    assert (r.active_users, r.all_users, r.attributes) == (2, 4, ["plan"])
    with pytest.raises(DataError, match="city"):
        attribute_profile(["1"], users, attributes=["city"])


def test_active_behaviour_by_hand():
    r = active_behaviour(definition_toy(), as_of="2024-01-28")
    s = r.summary.iloc[0]
    assert s["active_users"] == 3 and s["active_user_days"] == 7
    assert s["events_per_active_day"] == pytest.approx(8 / 7)
    assert s["purchase_rate"] == pytest.approx(1 / 3)
    assert s["revenue_per_active_user"] == pytest.approx(10 / 3)
    mix = r.event_mix.set_index("event")["share"]
    assert mix.to_dict() == pytest.approx({"view": 7 / 8, "order": 1 / 8, "push": 0.0})
    assert r.active_users == 3 and r.window_days == 28

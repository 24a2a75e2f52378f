"""The definition of active and its sensitivity, on a toy table counted by hand."""

import pytest

from helpers.analysis.activity.definition import apply_definition, definition_sensitivity
from helpers.core.errors import DataError
from tests.analysis.activity.toys import D, definition_toy


def variant(v, definition, *, days=1, event=None):
    """The one row of a definition variant."""
    rows = v[(v["definition"] == definition) & (v["min_active_days"] == days)]
    rows = rows[rows["event"].isna()] if event is None else rows[rows["event"] == event]
    assert len(rows) == 1, (definition, days, event)
    return rows.iloc[0]


def test_definition_sensitivity_by_hand():
    r = definition_sensitivity(definition_toy(), as_of="2024-01-28", passive_events=["push"])
    v = r.variants
    chosen = variant(v, "chosen")
    assert chosen["mau"] == 3  # q1, q2, q5
    assert chosen["ever_active"] == 4  # + q4 in December
    assert chosen["active_user_days"] == 7
    assert variant(v, "min_active_days", days=2)["mau"] == 2
    assert variant(v, "min_active_days", days=4)["mau"] == 1
    assert variant(v, "min_active_days", days=8)["change_vs_chosen"] == -3
    assert variant(v, "without_event", event="view")["mau"] == 1  # only q2's order
    assert variant(v, "without_event", event="view")["change_pct"] == pytest.approx(-200 / 3)
    assert variant(v, "without_event", event="order")["mau"] == 2
    assert "push" not in set(v["event"].dropna())
    assert v["definition"].tolist() == ["chosen"] + ["min_active_days"] * 3 + ["without_event"] * 2
    assert (r.mau_chosen, r.window_days, r.as_of) == (3, 28, D(2024, 1, 28))


def test_apply_definition_rederives_active_events():
    ud = definition_toy()
    push = apply_definition(ud, active_events=["push"]).execute()
    assert sorted(push.loc[push.active_events > 0, "user_id"]) == ["q3"]
    same = apply_definition(ud, passive_events=["push"]).execute()
    assert int(same.active_events.sum()) == 2 + 1 + 1 + 1 + 4
    strict = apply_definition(ud, min_events=2).execute()
    assert strict.loc[strict.active_events > 0, ["user_id", "active_events"]].values.tolist() == [
        ["q1", 2]
    ]
    with pytest.raises(DataError, match="ev_like"):
        apply_definition(ud, active_events=["like"])

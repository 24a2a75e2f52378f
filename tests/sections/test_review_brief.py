"""The monthly review's first screen on hand-made inputs: one reconciled active-user count, the
KPI change split by persona and arm in words, the personas' lost members, the three things to
know and the brief (answers worked out by hand)."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import ibis
import pandas as pd
import pytest

from helpers.analysis.kpis import MonthKpis, kpi_review
from helpers.analysis.segments.snapshot import PersonaSnapshot
from helpers.display.format import set_currency
from helpers.display.messages import set_language
from helpers.sections import review_brief as rb
from helpers.sections import review_kpis as rk


@pytest.fixture(autouse=True)
def _cny():
    set_currency("CNY")
    yield


def _snapshot(pairs, names, month):
    a = pd.DataFrame(pairs, columns=["user_id", "persona"])
    return PersonaSnapshot(a, names=names, month=month, next_number=max(names) + 1)


def _ud(rows):
    return ibis.memtable(
        pd.DataFrame(rows, columns=["user_id", "day", "active_events", "revenue"])
    )


def test_one_active_user_count_reconciled_with_the_other_windows():
    d = dt.date
    ud = _ud(
        [
            ("a", d(2026, 10, 1), 1, 0.0),  # only on the 1st: in the month, not in 28 or 30 days
            ("b", d(2026, 10, 2), 1, 0.0),  # in the month and the 30 days, not the 28
            ("c", d(2026, 10, 20), 1, 5.0),
            ("d", d(2026, 10, 31), 2, 0.0),
            ("e", d(2026, 9, 30), 1, 0.0),  # last month only
            ("f", d(2026, 10, 9), 0, 0.0),  # passive only: not active
        ]
    )
    users = pd.DataFrame({"user_id": ["a", "b", "c"]})
    personas = pd.DataFrame({"user_id": ["a", "b", "c", "d"], "persona": [1, 1, 2, 2]})
    c = rk.active_counts(ud, month="2026-10", personas=personas, users=users)
    assert (c.calendar, c.mau, c.scored, c.personas, c.in_users_table) == (4, 2, 3, 4, 3)
    text = rk.reconcile_sentence(c)
    assert text.startswith("4 users were active in 2026-10 (an active day in the calendar month)")
    assert "2 were active in the 28 days to 2026-10-31 (MAU, 02_active_users)" in text
    assert "3 in the 30 days to 2026-10-31 (scored for churn risk, 04_churn)" in text
    assert "3 have a row in the users table (1 have none" in text


def _attribution():
    prev = pd.DataFrame({"user_id": ["a", "b", "c"], "revenue": [10.0, 0.0, 20.0]})
    now = pd.DataFrame({"user_id": ["a", "c", "d", "t"], "revenue": [30.0, 20.0, 0.0, 50.0]})
    before = _snapshot([("a", 1), ("b", 1), ("c", 2)], {1: "Regulars", 2: "Browsers"}, "2026-09")
    after = _snapshot(
        [("a", 1), ("c", 2), ("d", 2), ("t", 2)], {1: "Regulars", 2: "Browsers"}, "2026-10"
    )
    assign = pd.DataFrame(
        {
            "user_id": ["c", "d", "a", "t"],
            "experiment": "exp",
            "variant": ["control", "control", "treatment", "treatment"],
            "assigned_day": [dt.date(2026, 10, 2)] * 4,
        }
    )
    a = rk.kpi_attribution(
        now,
        prev,
        after,
        before,
        assignments=assign,
        prev_end=dt.date(2026, 9, 30),
        readouts=[],
        month="2026-10",
        previous_month="2026-09",
    )
    return now, prev, before, a


def test_the_kpi_change_is_split_by_persona_and_credited_to_the_arm():
    _, _, _, a = _attribution()
    # revenue 30 -> 100 (+70); ARPU 10 -> 25; the arm: treatment mean 40, control 10, 2 users
    arm = a.arms.iloc[0]
    assert (arm["extra_revenue"], arm["extra_revenue_prev"], arm["extra_change"]) == (
        60.0,
        0.0,
        60.0,
    )
    assert a.revenue_change == 70.0
    said = rk.attribution_sentences(a)
    assert said[0].startswith(
        "Revenue per active user went from CN¥10.00 in 2026-09 to CN¥25.00 (+CN¥15.00)"
    )
    assert said[-1].startswith("The exp treatment arm brought +CN¥60 of the month's +CN¥70 change")


def test_an_invalid_experiment_is_not_credited():
    now, prev, before, a = _attribution()
    a.invalid = ("exp",)
    said = rk.attribution_sentences(a)
    assert said[-1] == "exp is not credited with any change: its readout is invalid."
    assert not any("arm brought" in s for s in said)


def test_lost_members_and_their_win_back_list(tmp_path):
    now, prev, before, _ = _attribution()
    lost = rk.lost_members(before, now, prev)
    # persona 1 had a and b; b is not active now (revenue 0 last month); persona 2 had c, active
    t = lost.set_index("persona")
    assert (t.loc[1, "members"], t.loc[1, "gone"], t.loc[1, "users"]) == (2, 1, ["b"])
    assert (t.loc[2, "members"], t.loc[2, "gone"], t.loc[2, "file"]) == (1, 0, "")
    ctx = SimpleNamespace(
        written={},
        write_csv=lambda df, name: ctx.written.__setitem__(name, df),
    )
    out = rk.write_winback_csvs(ctx, lost, prev)
    assert list(ctx.written) == ["winback_persona_1"]  # 50% gone reaches min_share
    assert ctx.written["winback_persona_1"]["user_id"].tolist() == ["b"]
    assert "users" not in out.columns and out.set_index("persona").loc[1, "file"] == (
        "winback_persona_1.csv"
    )


def _kpis():
    return kpi_review(
        MonthKpis(active_users=4, revenue_per_active_user=25.0, stickiness=0.3),
        MonthKpis(active_users=3, revenue_per_active_user=10.0, stickiness=0.3),
        month="2026-10",
        previous_month="2026-09",
    )


def _readouts():
    return [
        {
            "experiment": "exp",
            "decision": "ship treatment",
            "control": "control",
            "settings": {"primary": ["converted"]},
            "metrics": {
                "converted": {
                    "control": {"n": 2},
                    "treatment": {
                        "n": 2,
                        "lift": {"rel": 0.25},
                        "ci": {"rel": [0.1, 0.4]},
                        "p_value": 0.0004,
                    },
                }
            },
        },
        {
            "experiment": "tips",
            "decision": "invalid",
            "settings": {"primary": ["converted"]},
            "metrics": {"converted": {"control": {"n": 600}, "treatment": {"n": 450}}},
        },
    ]


def test_three_things_to_know():
    now, prev, before, a = _attribution()
    lost = rk.lost_members(before, now, prev)
    readouts = _readouts()
    things = rb.three_things(
        _kpis(), a, lost, readouts, month="2026-10", diagnoses=rb.experiment_diagnoses(readouts)
    )
    assert things == [
        # ARPU moved +150% against active users +33%: the larger change, driven by the arm
        "Revenue per active user rose 150.0% to CN¥25.00 (CN¥10.00 in 2026-09). The exp "
        "treatment arm brought +CN¥60 of the +CN¥70 change in revenue (85.7%).",
        "1. Regulars: 1 of last month's 2 members (50.0%) were not active in 2026-10.",
        "exp: ship treatment; conversion treatment +25.0% (95% CI +10.0% to +40.0%, p-value "
        "< 0.001). tips: invalid, do not read it; the treatment arm has 450 users where its "
        "split expects 600 (25.0% missing); check how that arm's assignments are logged.",
    ]
    # without last month (no personas, no previous KPIs) the review says fewer things
    assert rb.three_things(_kpis(), a, None, [], month="2026-10")[1:] == []


def test_the_brief_shows_the_cards_findings_and_owned_actions(tmp_path):
    plan = pd.DataFrame(
        {
            "priority": [1, 2],
            "source": ["experiment", "persona"],
            "persona": ["everyone", "1. Regulars"],
            "action": ["Roll out treatment of exp to everyone.", "Nurture them."],
            "users": [4, 2],
            "revenue_at_stake": [60.0, 12.5],
            "owner": ["Product team", ""],
        }
    )
    written = {}
    ctx = SimpleNamespace(
        month="2026-10", write_json=lambda obj, name: written.update({name: obj})
    )
    b = rb.brief(ctx, kpis=_kpis(), counts=None, things=["one", "two"], plan=plan, recoverable=2)
    html = b._repr_html_()
    assert [k.label for k in b.cards][:3] == [
        "Active users (calendar month)",
        "Revenue per active user",
        "Stickiness (mean DAU/MAU)",
    ]
    assert b.cards[0].change == "+33.3% vs 2026-09" and b.cards[0].tone == "good"
    assert b.cards[3].value == "2" and b.cards[3].change == "CN¥12 revenue at stake"
    assert b.actions == [
        "Roll out treatment of exp to everyone (everyone, 4 users; owner: Product team)",
        "Nurture them (1. Regulars, 2 users; owner: not assigned (owners: in persona.yaml))",
    ]
    assert "pk-brief" in html and "<ol" in html and "artifacts/actions.csv" in html
    assert written[rb.REVIEW_FILE]["three_things"] == ["one", "two"]
    json.dumps(written[rb.REVIEW_FILE])  # the month index reads it


def test_the_brief_in_chinese():
    set_language("zh")
    try:
        things = rb.three_things(_kpis(), None, None, [], month="2026-10")
    finally:
        set_language("en")
    assert things == ["活跃用户人均收入上升 150.0%，达到 ¥25.00（2026年9月为 ¥10.00）。"]

"""helpers.analysis.segments.tag_health: each warning on toys with hand-computed shares, the
whole chain on a toy user_day, and the sample's planted truths (a tag that cannot fire on 12
months of data, and the beta feature launched in the last month)."""

from __future__ import annotations

import datetime as dt
import json

import ibis
import numpy as np
import pandas as pd
import pytest

from helpers.analysis.segments.tag_health import (
    check_tag_health,
    month_flags,
    tag_coverage,
    tag_health,
)
from helpers.analysis.segments.tags import DEFAULT_TAGS
from helpers.core.errors import ParameterError


def _flags(n: int, **tagged: int) -> pd.DataFrame:
    """``n`` active users, the first ``tagged[name]`` of them carrying tag ``name``."""
    return pd.DataFrame({f"tag_{k}": [1] * v + [0] * (n - v) for k, v in tagged.items()})


def _rule(name, action="Call them.", owner="CRM team", channel="push"):
    return {
        "name": name,
        "layer": "value",
        "rule": "x > 0",
        "action": action,
        "owner": owner,
        "channel": channel,
    }


def _warnings(coverage, rules, **kw):
    w = check_tag_health(coverage, rules, month="2024-04", **kw).warnings
    return {(r.tag, r.check): r for r in w.itertuples(index=False)}


# --- coverage ----------------------------------------------------------------------------------------
def test_coverage_per_month_hand_counts():
    cov = tag_coverage(
        {
            "2024-02": _flags(4, a=1, b=4),
            "2024-01": _flags(0, a=0, b=0),  # no active user: left out
            "2024-03": _flags(8, a=2, b=0),
        }
    )
    assert cov.columns.tolist() == ["tag", "month", "users", "active_users", "share"]
    assert cov.values.tolist() == [
        ["a", "2024-02", 1, 4, 0.25],
        ["a", "2024-03", 2, 8, 0.25],
        ["b", "2024-02", 4, 4, 1.0],
        ["b", "2024-03", 0, 8, 0.0],
    ]


# --- each warning ------------------------------------------------------------------------------------
def test_no_action_names_what_is_missing():
    cov = tag_coverage({"2024-04": _flags(10, a=3, b=3, c=3, d=3)})
    rules = [_rule("a"), _rule("b", action=""), _rule("c", owner=" "), _rule("d", "", "")]
    got = _warnings(cov, rules)
    assert sorted(got) == [("b", "no_action"), ("c", "no_action"), ("d", "no_action")]
    assert [got[(n, "no_action")].detail for n in "bcd"] == ["action", "owner", "action_owner"]
    assert got[("b", "no_action")].share == 0.3


def test_no_users_never_stopped_and_few():
    months = {
        "2024-01": _flags(100, never=0, stopped=10, few=1, ok=50),
        "2024-02": _flags(100, never=0, stopped=4, few=1, ok=50),
        "2024-03": _flags(100, never=0, stopped=0, few=1, ok=50),
        "2024-04": _flags(400, never=0, stopped=0, few=1, ok=200),
    }
    rules = [_rule(n) for n in ("never", "stopped", "few", "ok")]
    got = _warnings(tag_coverage(months), rules)
    assert sorted(got) == [("few", "no_users"), ("never", "no_users"), ("stopped", "no_users")]
    never, stopped, few = (got[(n, "no_users")] for n in ("never", "stopped", "few"))
    assert (never.detail, never.users, never.share) == ("never", 0, 0.0)
    assert (never.previous_month, never.previous_share) == ("2024-03", 0.0)
    # it stopped: the last month it fired, 4 of 100 in February, is named (not March's 0)
    assert (stopped.detail, stopped.previous_month, stopped.previous_share) == (
        "stopped",
        "2024-02",
        0.04,
    )
    # 1 of 400 = 0.25% < 0.5%; not a drift although 1% -> 0.25% halved (no_users says it)
    assert (few.detail, few.users, few.share) == ("few", 1, 0.0025)
    # a floor of 0 still flags a tag with no user, and no longer the few
    zero = _warnings(tag_coverage(months), rules, min_share=0.0)
    assert sorted(zero) == [("never", "no_users"), ("stopped", "no_users")]


def test_nearly_everyone_above_the_ceiling():
    cov = tag_coverage({"2024-03": _flags(100, a=96, b=95), "2024-04": _flags(100, a=96, b=95)})
    got = _warnings(cov, [_rule("a"), _rule("b")])
    assert list(got) == [("a", "nearly_everyone")]  # 95% is not above 95%
    assert got[("a", "nearly_everyone")].share == 0.96
    assert list(_warnings(cov, [_rule("a"), _rule("b")], max_share=0.9)) == [
        ("a", "nearly_everyone"),
        ("b", "nearly_everyone"),
    ]


def test_drift_needs_both_the_relative_and_the_absolute_move():
    # earlier share -> review share (of 1,000 users), with drift 0.5 and 2 points:
    cases = {
        "up": (100, 160),  # +6 pts > 0.5 x 10% and >= 2 pts: drift
        "small_rel": (100, 140),  # +4 pts, not more than half of 10%
        "small_abs": (10, 25),  # +1.5 pts: more than half of 1%, but under 2 pts
        "from_zero": (0, 20),  # 0 -> 2%: exactly 2 pts counts
        "from_zero_small": (0, 19),  # 0 -> 1.9%
        "down": (300, 120),  # 30% -> 12%
    }
    before = {k: v[0] for k, v in cases.items()}
    after = {k: v[1] for k, v in cases.items()}
    cov = tag_coverage({"2024-03": _flags(1000, **before), "2024-04": _flags(1000, **after)})
    got = _warnings(cov, [_rule(n) for n in cases])
    assert sorted(got) == [("down", "drift"), ("from_zero", "drift"), ("up", "drift")]
    up, zero, down = got[("up", "drift")], got[("from_zero", "drift")], got[("down", "drift")]
    assert (up.detail, up.previous_month, up.previous_share, up.share) == (
        "up",
        "2024-03",
        0.1,
        0.16,
    )
    assert (zero.detail, zero.previous_share, zero.share) == ("up", 0.0, 0.02)
    assert (down.detail, down.previous_share, down.share) == ("down", 0.3, 0.12)


def test_drift_names_the_earlier_month_with_the_largest_move():
    months = {
        "2024-01": _flags(100, a=10, b=0),
        "2024-02": _flags(100, a=4, b=0),
        "2024-03": _flags(100, a=8, b=0),
        "2024-04": _flags(100, a=20, b=30),
    }
    got = _warnings(tag_coverage(months), [_rule("a"), _rule("b")])
    # a: +10, +16 and +12 pts all qualify; February's +16 is the largest
    assert (got[("a", "drift")].previous_month, got[("a", "drift")].previous_share) == (
        "2024-02",
        0.04,
    )
    # b: 0 -> 30% against every month: the latest, March, is named
    assert got[("b", "drift")].previous_month == "2024-03"
    # months after the review month are not compared
    later = tag_coverage({**months, "2024-05": _flags(100, a=90, b=90)})
    w = check_tag_health(later, [_rule("a"), _rule("b")], month="2024-04")
    assert w.months == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert w.warnings["previous_month"].tolist() == ["2024-02", "2024-03"]


def test_warnings_order_and_bad_coverage():
    cov = tag_coverage(
        {"2024-03": _flags(100, a=10, b=0, c=99), "2024-04": _flags(100, a=40, b=0, c=99)}
    )
    rules = [_rule("a", action=""), _rule("b"), _rule("c")]
    w = check_tag_health(cov, rules, month="2024-04").warnings
    assert list(zip(w["tag"], w["check"])) == [
        ("b", "no_users"),
        ("c", "nearly_everyone"),
        ("a", "drift"),
        ("a", "no_action"),
    ]
    assert w["owner"].tolist() == ["CRM team"] * 4
    with pytest.raises(ParameterError, match="has no column 'share'"):
        check_tag_health(cov.drop(columns="share"), rules, month="2024-04")


# --- the chain on a toy user_day ---------------------------------------------------------------------
def _user_day(rows):
    """rows: (user, ISO day, {event: count}); one active event per event counted."""
    events = ("view", "live")
    recs = []
    for user, day, evs in rows:
        rec = {
            "user_id": user,
            "day": dt.date.fromisoformat(day),
            "events": sum(evs.values()),
            "active_events": sum(evs.values()),
            "orders": 0,
            "revenue": 0.0,
            "refunds": 0,
        }
        rec.update({f"ev_{e}": evs.get(e, 0) for e in events})
        recs.append(rec)
    return ibis.memtable(pd.DataFrame(recs))


def test_early_adopters_of_a_feature_launched_in_the_review_month():
    # data from 2024-01-01; `live` first seen on 2024-04-10 (new in April)
    ud = _user_day(
        [
            ("a", "2024-01-01", {"view": 1}),
            ("b", "2024-02-15", {"view": 2}),
            ("c", "2024-03-05", {"view": 1}),
            ("a", "2024-03-20", {"view": 1}),
            ("a", "2024-04-10", {"view": 1, "live": 1}),
            ("b", "2024-04-12", {"view": 1}),
            ("c", "2024-04-20", {"live": 2}),
            ("d", "2024-04-30", {"view": 1}),
        ]
    )
    rules = [{**_rule("early_adopter"), "rule": "new_features_28 >= 1"}]
    april = month_flags(ud, month="2024-04", tags=rules)
    assert april["tag_early_adopter"].tolist() == [1, 0, 1, 0]  # a, b, c, d active in April
    h = tag_health(ud, month="2024-04", tags=rules, months=2)
    assert h.months == ["2024-02", "2024-03", "2024-04"]
    # February: b alone active, March: c and a; none tagged; April 2 of 4
    assert h.coverage["users"].tolist() == [0, 0, 2]
    assert h.coverage["active_users"].tolist() == [1, 2, 4]
    w = h.warnings.iloc[0]
    assert (w["check"], w["detail"], w["share"], w["previous_month"], w["previous_share"]) == (
        "drift",
        "up",
        0.5,
        "2024-03",
        0.0,
    )
    # the flags the notebook already has are used as they are for the review month
    given = tag_health(ud, month="2024-04", tags=rules, months=1, current=april.iloc[:2])
    assert given.coverage["share"].tolist() == [0.0, 0.5]
    with pytest.raises(ParameterError, match="`months` must be a whole number"):
        tag_health(ud, month="2024-04", tags=rules, months=-1)


# --- the sample's planted truths ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_health(small_sample):
    from helpers.data.pipeline import load_project

    project = load_project(small_sample / "persona.yaml")
    cfg = project.config
    truth = json.loads((small_sample / "truth.json").read_text())
    beta = truth.get("beta_feature")
    if not beta:
        pytest.fail("truth.json has no beta_feature: the sample does not plant the beta event")
    month = beta["launched_on"][:7]
    health = tag_health(
        project.user_day,
        month=month,
        tags=DEFAULT_TAGS,
        months=cfg.tag_health.months,
        users=project.users_frame(),
        passive_events=cfg.activity.passive_events,
        timezone=cfg.timezone,
        **cfg.tag_health.model_dump(exclude={"months"}),
    )
    return health, truth, month


def test_sample_veteran_cannot_fire_on_twelve_months(sample_health):
    health, truth, month = sample_health
    w = health.warnings.set_index(["tag", "check"])
    assert len(truth["months"]) == 12  # tenure >= 365 days needs a year of data
    assert w.loc[("veteran", "no_users"), "detail"] == "never"
    assert w.loc[("veteran", "no_users"), "users"] == 0


def test_sample_early_adopters_match_the_planted_beta(sample_health):
    health, truth, month = sample_health
    beta = truth["beta_feature"]
    w = health.warnings.set_index(["tag", "check"]).loc[("early_adopter", "drift")]
    previous = health.months[-2]
    assert (w["detail"], w["previous_month"], w["previous_share"]) == ("up", previous, 0.0)
    # Every beta user used the event on an active day of the review month after the launch
    # (day 5, inside the 28 days ending on the month's last day), and the event is new (first
    # seen on the launch day, eleven months after the data begins): the tagged users are the
    # beta users, out of the month's active users, so the share is the planted share of month
    # actives. The tolerance leaves room for the audit's dropped rows.
    assert abs(w["share"] - beta["share_of_month_actives"]) <= 0.03
    assert abs(w["users"] - beta["users"]) <= 0.02 * beta["users"]
    active = health.coverage.query("month == @month")["active_users"].iloc[0]
    assert abs(active - truth["counts"]["monthly_active_users"][month]) <= 0.02 * active
    # it fired for no one in the months before (the event did not exist)
    before = health.coverage.query("tag == 'early_adopter' and month < @month")
    assert before["users"].tolist() == [0] * len(before) and len(before) >= 1
    assert np.isfinite(w["share"])

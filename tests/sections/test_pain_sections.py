"""The funnel and path sections of 05_pain_points, the review's pain points and their actions, on
hand-made toys whose answers are worked out in the comments."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import ibis
import pandas as pd
import pytest

from helpers.analysis.action_plan import PAIN_COLUMNS, pain_point_actions
from helpers.core.config import Config
from helpers.core.errors import ModelError
from helpers.display.registry import render as to_html
from helpers.display.text import t
from helpers.sections import pain_funnels as pf
from helpers.sections import pain_points as pp
from helpers.sections import review_pain as rp

MONTH_START, AS_OF = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
STEPS = ["view_item", "add_to_cart", "checkout_start", "order"]


def _toy():
    """80 users on 2026-03-02: 40 on android, 40 on ios; every one views, adds to cart and starts
    checkout 1 minute apart; 32 of the ios users and 8 of the android users then order.

    Overall: 80 -> 80 -> 80 -> 40, so checkout start -> order converts 40/80 = 50%, the largest
    drop (40 users lost). Per platform: ios 32/40 = 80%, android 8/40 = 20%; the android
    Wilson interval (8 of 40: 10.5%-34.8%) lies below the other platforms' 80%."""
    rows, orders = [], []
    t0 = pd.Timestamp("2026-03-02 02:00", tz="UTC")
    for i in range(80):
        user, platform = f"u{i:02d}", "android" if i < 40 else "ios"
        for k, name in enumerate(STEPS[:3]):
            rows.append((user, t0 + pd.Timedelta(minutes=k), name, platform, "app"))
        buys = (i < 8) or (40 <= i < 72)
        if buys:
            orders.append((user, t0 + pd.Timedelta(minutes=5), 10.0))
    ev = pd.DataFrame(rows, columns=["user_id", "event_time", "event_name", "platform", "source"])
    ev["day"] = MONTH_START + dt.timedelta(days=1)
    od = pd.DataFrame(orders, columns=["user_id", "order_time", "amount"])
    od["day"] = MONTH_START + dt.timedelta(days=1)
    return ibis.memtable(ev), ibis.memtable(od)


@pytest.fixture
def project():
    events, orders = _toy()
    cfg = Config(
        sources={"orders": {"path": "o.csv"}},
        funnels={"checkout": {"steps": STEPS, "window_days": 7}},
        owners={"pain_point": "Product team"},
    )
    return SimpleNamespace(tables={"events": events, "orders": orders}, config=cfg)


def _review(project, **kw):
    platforms = pf.user_platforms(
        project.tables["events"], month_start=MONTH_START, month_end=AS_OF
    )
    segments = pf.segments_frame(None, platforms)
    return pf.funnel_review(
        project,
        project.config,
        month="2026-03",
        month_start=MONTH_START,
        as_of=AS_OF,
        segments=segments,
        **kw,
    )


def test_the_funnel_section_names_the_largest_drop_and_the_worst_platform(project):
    review = _review(project)
    f = review.funnels[0]
    overall = f.table[f.table["segment_kind"] == "all"]
    assert overall["users"].tolist() == [80, 80, 80, 40]
    lines = pf.funnel_sentences(f, review.owner)
    assert (
        t(
            "pain.funnel.largest_drop",
            source="checkout start",
            target="order",
            conversion=0.5,
            low=f.drops.iloc[0]["ci_low"],
            high=f.drops.iloc[0]["ci_high"],
            lost=40,
        )
        in lines[0]
    )
    # android's largest drop is the same step, and its interval clears the others' 80%
    android = [s for s in lines if s.startswith("On android")]
    assert len(android) == 1 and "20.0%" in android[0] and "80.0%" in android[0]
    assert lines[-1] == t("pain.owner", owner="Product team")
    found = pf.funnel_findings(review)
    assert list(found.columns) == list(PAIN_COLUMNS)
    assert found[["segment_kind", "segment", "users"]].values.tolist() == [
        ["all", "all", 40],
        ["platform", "android", 32],  # 40 android users at checkout start, 8 ordered
    ]
    art = pf.funnels_artifact(review)
    assert len(art) == 4 * 3  # all, android, ios × 4 steps
    assert "android" in to_html(review)


def test_without_a_funnel_the_section_lists_transitions_and_never_invents_one(project):
    project.config.funnels = {}
    review = _review(project)
    assert review.funnels == [] and len(review.transitions)
    # every user goes view_item -> add_to_cart -> checkout_start: 80 of each transition
    tr = review.transitions.set_index(["from_event", "to_event"])["transitions"]
    assert tr[("view_item", "add_to_cart")] == 80 and tr[("add_to_cart", "checkout_start")] == 80
    page = to_html(review)
    assert "window_days: 7" in page and pf.funnels_artifact(review).empty


def test_orders_alone_are_no_funnel(project):
    project.tables["events"] = None
    with pytest.raises(ModelError):
        pf.funnel_review(
            project, project.config, month="2026-03", month_start=MONTH_START, as_of=AS_OF
        )


def test_pain_points_become_actions_with_their_audience_and_owner(project):
    review = _review(project)
    findings = pp.findings_frame(review, None, None)
    rows = pain_point_actions(findings, text=t)
    assert [r["source"] for r in rows] == ["pain_point", "pain_point"]
    assert [r["persona"] for r in rows] == [
        t("review.plan.everyone"),
        t("review.plan.platform_users", platform="android"),
    ]
    assert [r["users"] for r in rows] == [40, 32]
    assert all(r["owner"] == "Product team" and r["action"] for r in rows)


def test_the_review_lists_feedback_first_then_the_most_users():
    f = pd.DataFrame(
        [
            ("path", "all", "all", "x", 500, 0.1, "", "p", "fix p"),
            ("funnel", "all", "all", "y", 40, 0.5, "", "f1", "fix f1"),
            ("funnel", "platform", "android", "z", 90, 0.2, "", "f2", "fix f2"),
            ("feedback", "persona", "2. Deal hunters", "coupons", 10, 1.9, "", "fb", "fix fb"),
        ],
        columns=list(PAIN_COLUMNS),
    )
    assert rp.top_pain_points(f)["sentence"].tolist() == ["fb", "f2", "f1", "p"]
    assert rp.top_pain_points(f, n=2)["sentence"].tolist() == ["fb", "f2"]
    html = to_html(rp.PainSection("2026-03", f))
    assert t("pain.no_owner") in html
    assert t("review.pain.missing") in to_html(rp.PainSection("2026-03", None))


def test_the_sections_read_in_chinese(project):
    from helpers.display.messages import set_language

    review = _review(project)
    set_language("zh")
    try:
        page = to_html(review)
        lines = pf.funnel_sentences(review.funnels[0], review.owner)
    finally:
        set_language("en")
    # 80 users entered; the largest drop is checkout start -> order, 50.0% go on
    assert "80 位用户" in lines[0] and "流失最大的一步" in lines[0] and "50.0%" in lines[0]
    assert "负责人：Product team。" in page and "在 android 上" in page

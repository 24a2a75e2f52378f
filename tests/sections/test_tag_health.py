"""helpers.sections.tag_health: the tag-health block of 03_personas, its artifacts and its words
in English and Chinese, on toys with known shares."""

from __future__ import annotations

import datetime as dt
import html
import re
from types import SimpleNamespace

import ibis
import pandas as pd
import pytest

from helpers.analysis.segments.tag_health import check_tag_health, tag_coverage
from helpers.analysis.segments.tags import DEFAULT_TAGS
from helpers.core.config import TagHealthConfig
from helpers.display.messages import columns, has, set_language
from helpers.display.registry import render
from helpers.display.text import t
from helpers.sections import tag_health as section

LABELS = {label for label, _ in columns().values()}


def _flags(n: int, **tagged: int) -> pd.DataFrame:
    return pd.DataFrame({f"tag_{k}": [1] * v + [0] * (n - v) for k, v in tagged.items()})


def _rule(name, *, action="Call them.", owner="CRM team", channel="push"):
    return dict(
        name=name, layer="value", rule="x > 0", action=action, owner=owner, channel=channel
    )


RULES = [
    _rule("veteran"),
    _rule("early_adopter", owner="Product team"),
    _rule("mine", action="", owner=""),
    _rule("steady"),
]


def _health():
    """Three months of 200 active users: veteran never fires, early_adopter goes 0 -> 57 (28.5%),
    `mine` has neither action nor owner, steady holds at 25%."""
    flags = {
        "2026-08": _flags(200, veteran=0, early_adopter=0, mine=20, steady=50),
        "2026-09": _flags(200, veteran=0, early_adopter=0, mine=20, steady=50),
        "2026-10": _flags(200, veteran=0, early_adopter=57, mine=20, steady=50),
    }
    return check_tag_health(tag_coverage(flags), RULES, month="2026-10")


@pytest.fixture
def zh():
    set_language("zh")
    yield
    set_language("en")


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_the_block_leads_with_the_warnings_then_the_coverage():
    page = render(_health())
    text = _text(page)
    # the warnings come first, in a box, one sentence each with the owner
    assert text.index("Tag health") < text.index("3 tag-health warnings")
    assert text.index("3 tag-health warnings") < text.index("Checked on the active users")
    assert (
        "veteran fired for no active user in 2026-10, nor in any of the 2 months before: the "
        "data has not met its rule in any month read (check its thresholds against the history "
        "the data holds); fix the rule or retire the tag. Owner: CRM team." in text
    )
    assert (
        "early_adopter rose from 0.0% of the active users in 2026-09 to 28.5% in 2026-10: find "
        "the cause (a launch, a campaign, a tracking change) before acting on the larger "
        "audience. Owner: Product team." in text
    )
    assert "mine has no action and no owner: give it both in tags:" in text
    assert "fires for fewer than 0.5% or more than 95.0%" in text
    assert "by more than 50% of an earlier month's share and by at least 2.0%" in text
    # the coverage by month, collapsed; its one labelled header is the tag
    assert page.index("<details") > page.index("pk-callout")
    assert re.findall(r"<th>(.*?)</th>", page) == ["Tag"] and "Tag" in LABELS
    cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", page)]
    assert cells[4:8] == ["early_adopter", "0.0%", "0.0%", "28.5%"]


def test_a_healthy_set_says_so():
    flags = {"2026-09": _flags(10, a=3, b=5), "2026-10": _flags(10, a=3, b=6)}
    health = check_tag_health(tag_coverage(flags), [_rule("a"), _rule("b")], month="2026-10")
    text = _text(render(health))
    assert "All 2 tags have an action and an owner" in text and "warning" not in text
    assert section.health_finding(health) is None


def test_sentences_count_what_they_say():
    # one month read, no earlier one: no comparison, and a tag that fires for no one now
    alone = check_tag_health(
        tag_coverage({"2026-10": _flags(1000, a=0, b=1, c=4)}),
        [_rule("a"), _rule("b"), _rule("c")],
        month="2026-10",
    )
    text = _text(render(alone))
    assert "Checked on the active users of 2026-10 (no earlier month to compare with):" in text
    assert "a fired for no active user in 2026-10: check its thresholds against the data" in text
    assert "b fired for only 1 active user (0.1%) in 2026-10, below the 0.5% floor" in text
    assert "c fired for only 4 active users (0.4%) in 2026-10" in text
    # one earlier month
    pair = {"2026-09": _flags(10, a=0), "2026-10": _flags(10, a=0)}
    text = _text(render(check_tag_health(tag_coverage(pair), [_rule("a")], month="2026-10")))
    assert "against the month before:" in text and "1 tag-health warning " in text
    assert "a fired for no active user in 2026-10, nor in the month before:" in text


def test_artifacts_hold_the_numbers_and_the_sentences():
    health = _health()
    cov = section.coverage_artifact(health)
    assert cov.columns.tolist() == ["tag", "month", "users", "active_users", "share"]
    assert cov.query("tag == 'early_adopter'")["share"].tolist() == [0.0, 0.0, 0.285]
    out = section.health_artifact(health)
    assert out.columns.tolist() == [
        "tag",
        "check",
        "month",
        "users",
        "share",
        "previous_month",
        "previous_share",
        "owner",
        "message",
    ]
    assert out[["tag", "check", "users"]].values.tolist() == [
        ["veteran", "no_users", 0],
        ["early_adopter", "drift", 57],
        ["mine", "no_action", 20],
    ]
    assert out["message"].iloc[1].startswith("early_adopter rose from 0.0%")
    assert section.health_finding(health) == (
        "Tag health: 3 tags need attention (veteran, early_adopter, mine)."
    )


def test_in_chinese(zh):
    text = _text(render(_health()))
    assert "标签健康度" in text and "3 条标签健康预警" in text
    assert (
        "「尝鲜型用户」标签的覆盖率从 2026年9月的 0.0% 升至 2026年10月的 28.5%：" in text
        and "负责人：产品团队。" in text
    )
    assert "「老用户（满一年）」标签在 2026年10月没有命中任何活跃用户" in text
    assert "Tag health" not in text and "Owner" not in text


def test_every_default_tag_speaks_chinese(zh):
    # name, description, action, owner and channel of each default tag have a translation
    for tag in DEFAULT_TAGS:
        for key in ("name", "description", "action", "owner", "channel"):
            assert has(f"value.{tag[key]}"), (tag["name"], key)
            assert re.search(r"[\u4e00-\u9fff]", t(f"value.{tag[key]}")), (tag["name"], key)


def test_the_glue_reads_the_config():
    days = [dt.date(2026, 8, 3), dt.date(2026, 9, 3), dt.date(2026, 10, 3), dt.date(2026, 10, 4)]
    ud = ibis.memtable(
        pd.DataFrame(
            {
                "user_id": ["a", "a", "a", "b"],
                "day": days,
                "active_events": [1, 1, 1, 1],
                "orders": [0, 0, 1, 0],
                "revenue": [0.0, 0.0, 9.0, 0.0],
                "ev_view": [1, 1, 1, 1],
            }
        )
    )
    project = SimpleNamespace(user_day=ud, users_frame=lambda: None)
    config = SimpleNamespace(
        tag_health=TagHealthConfig(months=1, max_share=0.4),
        activity=SimpleNamespace(passive_events=[]),
        timezone="Asia/Shanghai",
    )
    rules = [{**_rule("buyer"), "rule": "orders >= 1"}]
    current = pd.DataFrame({"tag_buyer": [1, 0]})  # a bought in October, b did not
    health = section.tag_health(project, config, month="2026-10", rules=rules, flags=current)
    # one earlier month (September: a alone, no purchase yet), the config's ceiling of 40%
    assert health.months == ["2026-09", "2026-10"] and health.max_share == 0.4
    assert list(zip(health.warnings["check"], health.warnings["share"])) == [
        ("nearly_everyone", 0.5),
        ("drift", 0.5),
    ]

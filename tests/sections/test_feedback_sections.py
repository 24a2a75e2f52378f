"""helpers.sections.feedback and feedback_pain: the feedback blocks render in English and Chinese,
the pain-point sentence names the planted top pain point (deal hunters and coupons) with its
numbers and owner, the action rows fit actions.csv, and the degrade cases say what they need."""

from __future__ import annotations

import datetime as dt
import html
import re
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers.analysis.action_plan import ACTION_COLUMNS, action_plan  # noqa: E402
from helpers.analysis.feedback.review import review_feedback  # noqa: E402
from helpers.core.config_pain import FeedbackConfig  # noqa: E402
from helpers.display import theme  # noqa: E402
from helpers.display.blocks import Unavailable  # noqa: E402
from helpers.display.messages import english_by_domain, set_language, untranslated  # noqa: E402
from helpers.plots.feedback import plot_nps_by_segment, plot_pain_matrix  # noqa: E402
from helpers.sections import feedback as section  # noqa: E402
from helpers.sections import feedback_pain as pain_section  # noqa: E402
from tests.analysis.test_feedback import _pain_toy  # noqa: E402

NAMES = {1: "Deal hunters", 2: "Power users", 3: "Trialists"}


def _text(block) -> str:
    raw = block._repr_html_()
    raw = re.sub(r"</(p|li|tr|summary|div)>", "\n", raw)
    return html.unescape(re.sub(r"<[^>]+>", " ", raw))


def _review():
    """The pain toy of tests/analysis/test_feedback.py (deal hunters use coupons 1.6x the average
    and rate them 2.0 against 4.33) with topic labels, and NPS answers: persona 1 answers 0, 0,
    8, 10 in turn (NPS -25), persona 2 10, 10, 8, 0 (NPS 25), persona 3 8."""
    fb, seg, usage, base = _pain_toy()
    topics = {
        name: {**cfg.model_dump(), "labels": {"en": en, "zh": name}}
        for (name, cfg), en in zip(base.topics.items(), ["Coupons", "Payment", "Delivery"])
    }
    settings = FeedbackConfig(min_responses=30, topics=topics)
    persona = seg["persona"].to_numpy()
    turn = {1: [0.0, 0.0, 8.0, 10.0], 2: [10.0, 10.0, 8.0, 0.0], 3: [8.0]}
    seen = {1: 0, 2: 0, 3: 0}
    nps = []
    for p in persona:
        nps.append(turn[p][seen[p] % len(turn[p])])
        seen[p] += 1
    fb = fb.assign(nps=nps)
    return review_feedback(fb, month="2026-10", segments=seg, settings=settings, usage=usage)


@pytest.fixture
def zh():
    set_language("zh")
    yield
    set_language("en")


def test_pain_sentence_names_the_planted_pain_point_with_its_numbers_and_owner():
    r = _review()
    block = pain_section.pain_point_block(r, names=NAMES, owners={"Deal hunters": "CRM team"})
    text = _text(block)
    assert (
        "1. Deal hunters use Coupons more than average (80.0% of them, 1.6× the average) and "
        "rate Coupons feedback lower than their other feedback (2.0 of 5 vs 4.3): fix the "
        "Coupons experience for them. Owner: CRM team."
    ) in text
    # persona 2's top is delivery, a topic without events: no usage numbers in its sentence
    assert (
        "2. Power users rate Delivery feedback lower than their other feedback (3.0 of 5 vs 3.8"
        in text
    )
    assert "No owner yet" in text  # persona 2 has none, and there is no pain_point owner
    assert "Too few responses this month to rank pain points for 3. Trialists" in text


def test_pain_point_block_in_chinese(zh):
    r = _review()
    text = _text(pain_section.pain_point_block(r, names=NAMES, owners={"pain_point": "产品团队"}))
    assert "1. Deal hunters 使用优惠券多于平均水平（80.0% 的用户使用，为平均的 1.6 倍）" in text
    assert "负责人：产品团队。" in text
    assert "other feedback" not in text and "Rating gap" not in text


def test_summary_names_the_lowest_nps_persona_when_it_separates():
    r = _review()
    text = _text(section.feedback_summary(r, names=NAMES, owners={"pain_point": "Product team"}))
    # persona 1: 24 detractors, 12 passives, 12 promoters of 48: NPS -25, half width
    # 1.96 * 100 * sqrt((0.5 + 0.25 - 0.0625) / 48) = 23.5; persona 3 is small, so "the others"
    # are persona 2 (NPS 25): gap 50, half width 1.96 * 100 * sqrt(2 * 0.6875 / 48) = 33.2
    assert (
        "1. Deal hunters has the lowest NPS, -25 (95% CI -48 to -2), 50 points below the other "
        "personas' 25 (95% CI of the gap 17 to 83)"
    ) in text
    assert (
        "likely to warn others off. Fix its top pain point first: Coupons (below). Owner: Product team."
        in text
    )
    assert "3. Trialists (few responses)" in text
    assert "In 2026-10, 101 responses from 101 users" in text


def test_blocks_render_in_both_languages_and_zh_has_every_message():
    assert untranslated("zh", english_by_domain()["feedback"]) == []
    r = _review()
    for lang in ("en", "zh"):
        set_language(lang)
        try:
            blocks = [
                section.feedback_summary(r, names=NAMES),
                section.topics_block(r, names=NAMES),
                pain_section.pain_point_block(r, names=NAMES),
                section.no_feedback_block(),
            ]
            texts = [_text(b) for b in blocks]
        finally:
            set_language("en")
        assert all(texts)
        assert "sources.feedback" in texts[3]
        quotes = "优惠券用不了" in texts[1] and "物流太慢了" in texts[1]
        assert quotes
    # the last round was Chinese: the findings are Chinese sentences
    assert "物流的投诉最多：12 次提及中 50.0% 是投诉" in texts[1]
    assert "1. Deal hunters 的 NPS 最低，为 -25" in texts[0]
    assert "draws the most complaints" not in texts[1] and "lowest NPS" not in texts[0]


def test_topics_block_leads_with_the_most_complained_topic():
    text = _text(section.topics_block(_review(), names=NAMES, owners={"pain_point": "Ops"}))
    # delivery: 6 of its 12 mentions rated 2 (complaints); coupons: 6 + 5 of 29
    assert (
        "Delivery draws the most complaints: 50.0% of its 12 mentions are complaints (mean "
        "rating 3.0 of 5): read its quotes below and fix what they name. Owner: Ops."
    ) in text
    assert "36 of them" not in text and "35.6% of them mention no topic" in text


def test_actions_rows_for_the_action_plan():
    r = _review()
    owners = {"Deal hunters": "CRM team", "persona": "Growth"}
    rows = pain_section.pain_point_actions(r, names=NAMES, owners=owners)
    assert list(rows.columns) == list(ACTION_COLUMNS)
    assert rows["source"].tolist() == ["pain_point", "pain_point"]
    assert rows["persona"].tolist() == ["1. Deal hunters", "2. Power users"]
    assert rows["owner"].tolist() == ["CRM team", "Growth"]
    assert rows["users"].tolist() == [12, 12]  # the toy's usage has no user counts: mentioners
    assert rows["action"].iloc[0].startswith("Fix the Coupons experience for 1. Deal hunters")
    plan = action_plan(rows.to_dict("records"), owners={"pain_point": "Product team"})
    assert plan["owner"].tolist() == ["CRM team", "Growth"]  # the rows' owners stand
    first = pain_section.pain_point_actions(
        r, names=NAMES, owners={"pain_point": "Product team", "1": "CRM"}
    )
    assert first["owner"].tolist() == ["Product team", "Product team"]
    empty = pain_section.pain_point_actions(Unavailable("no feedback"))
    assert empty.empty and list(empty.columns) == list(ACTION_COLUMNS)


def test_unavailable_passes_through_and_artifacts_carry_names():
    gone = Unavailable("No feedback response in the month.")
    assert section.feedback_summary(gone) is gone and section.topics_block(gone) is gone
    assert pain_section.pain_point_block(gone) is gone
    arts = section.feedback_artifacts(_review(), names=NAMES)
    assert arts["feedback_by_persona"][["segment", "persona_name"]].values.tolist() == [
        ["all", ""],
        [1, "Deal hunters"],
        [2, "Power users"],
        [3, "Trialists"],
    ]
    assert arts["pain_points"].loc[arts["pain_points"]["top"], "persona_name"].tolist() == [
        "Deal hunters",
        "Power users",
    ]


def test_charts_draw_in_chinese_without_missing_glyphs(zh):
    r = _review()
    with warnings.catch_warnings(record=True) as caught, plt.rc_context(theme.rc_params()):
        warnings.simplefilter("always")
        ax = plot_pain_matrix(
            r.pain, names={1: "优惠达人", 2: "重度用户", 3: "尝鲜用户"}, topics=r.settings.topics
        )
        ax.figure.canvas.draw()
        assert ax.get_title(loc="left") == "痛点：各画像与话题的评分差"
        assert [x.get_text() for x in ax.get_xticklabels()] == ["优惠券", "支付", "物流"]
        ax2 = plot_nps_by_segment(r.by_segment, names={1: "优惠达人"})
        ax2.figure.canvas.draw()
    plt.close("all")
    assert not [w for w in caught if "Glyph" in str(w.message)]


def test_owner_lookup_order():
    assert section.pain_owner(1, NAMES, {"pain_point": "P", "1": "A", "persona": "Z"}) == "P"
    assert section.pain_owner(1, NAMES, {"1": "A", "Deal hunters": "B"}) == "A"
    assert section.pain_owner(1, NAMES, {"Deal hunters": "B", "persona": "Z"}) == "B"
    assert section.pain_owner(2, NAMES, {"persona": "Z"}) == "Z"
    assert section.pain_owner(2, NAMES, {}) == ""


def test_persona_names_from_personas_csv():
    personas = pd.DataFrame(
        {"user_id": ["a", "b", "c"], "persona": [2, 1, 2], "persona_name": ["B", "A", "B"]}
    )
    assert section.persona_names(personas) == {2: "B", 1: "A"}
    assert dt.date(2026, 10, 31) == _review().as_of

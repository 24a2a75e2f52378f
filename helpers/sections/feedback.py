"""The feedback blocks of the pain-point report: satisfaction, NPS and complaints per persona,
topics with quotes, and what a feedback export would add (the pain-point matrix and its actions:
:mod:`helpers.sections.feedback_pain`).

The numbers come from :func:`helpers.analysis.feedback.review.review_feedback` (a
:class:`~helpers.analysis.feedback.review.FeedbackReview`); this module words and arranges them
(catalog domain ``feedback``). Each block leads with its finding: what happened, why it
matters, what to do and who owns it. Owners come from ``owners:`` in ``persona.yaml``: the key
``pain_point``, else the persona's own (its number or name), else ``persona``.

Every block handed an :class:`~helpers.display.blocks.Unavailable` (no feedback in the month,
through ``ctx.attempt``) returns it, so the notebook stays linear; :func:`no_feedback_block` is
what the section shows when the project has no feedback source at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from helpers.analysis.feedback.frame import ALL
from helpers.analysis.feedback.review import FeedbackReview
from helpers.analysis.feedback.topics import CATEGORY_SOURCE
from helpers.core import schema as s
from helpers.display.blocks import (
    Bullets,
    Details,
    Note,
    Paragraph,
    Stack,
    Unavailable,
)
from helpers.display.messages import language
from helpers.display.table import Table
from helpers.display.text import join_clauses, join_sentences, t, tn
from helpers.plots.feedback import segment_label, topic_label

__all__ = [
    "persona_names",
    "pain_owner",
    "owner_sentence",
    "review_topics",
    "feedback_summary",
    "topics_block",
    "no_feedback_block",
    "feedback_artifacts",
]


def persona_names(personas: pd.DataFrame | None) -> dict:
    """Persona number -> name from ``personas.csv`` (``persona``, ``persona_name``).

    >>> persona_names(pd.DataFrame({"persona": [1, 1, 2], "persona_name": ["A", "A", "B"]}))
    {1: 'A', 2: 'B'}
    """
    if personas is None or not {s.PERSONA, "persona_name"} <= set(personas.columns):
        return {}
    pairs = personas[[s.PERSONA, "persona_name"]].dropna().drop_duplicates(s.PERSONA)
    return {int(p): str(n) for p, n in zip(pairs[s.PERSONA], pairs["persona_name"])}


def pain_owner(segment, names: Mapping | None, owners: Mapping | None) -> str:
    """Who owns a persona's pain point: ``owners`` by ``pain_point``, else the persona's owner
    (by number or name), else ``persona``; '' when none.

    >>> pain_owner(3, {3: "Deal hunters"}, {"Deal hunters": "CRM team"})
    'CRM team'
    >>> pain_owner(3, {3: "Deal hunters"}, {"pain_point": "Product team", "3": "CRM team"})
    'Product team'
    """
    owners = {str(k): str(v) for k, v in (owners or {}).items() if str(v).strip()}
    name = {str(k): v for k, v in (names or {}).items()}.get(str(segment))
    for key in ("pain_point", str(segment), name, "persona"):
        if key is not None and key in owners:
            return owners[key]
    return ""


def owner_sentence(owner: str) -> str:
    """ "Owner: X." or where to name one."""
    return t("feedback.owner", owner=owner) if owner else t("feedback.no_owner")


def review_topics(review: FeedbackReview) -> dict:
    """The configured topics of a review (name -> TopicConfig)."""
    return dict(review.settings.topics)


# --- satisfaction, NPS and complaint rate ----------------------------------------------------------
def _overall(review: FeedbackReview) -> str:
    row = review.by_segment.iloc[0]
    lead = t(
        "feedback.summary.lead", month=review.month, responses=row["responses"], users=row["users"]
    )
    # satisfaction, NPS and complaint rate, each when some response can say it
    clauses = [
        t(
            f"feedback.summary.{key}",
            value=row[value],
            low=row[f"{ci}_ci_low"],
            high=row[f"{ci}_ci_high"],
        )
        for key, value, ci, base in (
            ("satisfaction", "satisfaction", "satisfaction", "rated"),
            ("nps", "nps", "nps", "nps_responses"),
            ("complaints", "complaint_rate", "complaint", "complaint_base"),
        )
        if row[base] > 0
    ]
    if not clauses:
        return t("feedback.summary.overall_bare", lead=lead)
    return t("feedback.summary.overall", lead=lead, clauses=join_clauses(clauses))


def _nps_finding(review: FeedbackReview, names, owners) -> str | None:
    if not review.has_segments:
        return None
    if not (review.by_segment["nps_responses"] > 0).any():
        return t("feedback.summary.no_nps")
    low = review.lowest
    if low is None:
        return t("feedback.summary.too_few", min=review.settings.min_responses)
    persona = segment_label(low.segment, names)
    if low.separated:
        pain = review.top_pain_points
        pain = pain[pain["segment"] == low.segment]
        act = (
            t(
                "feedback.summary.lowest.pain",
                topic=topic_label(pain["topic"].iloc[0], review_topics(review)),
            )
            if len(pain)
            else t("feedback.summary.lowest.no_pain")
        )
        return join_sentences(
            [
                t(
                    "feedback.summary.lowest",
                    persona=persona,
                    nps=low.nps,
                    low=low.ci_low,
                    high=low.ci_high,
                    gap=-low.difference,
                    others=low.others_nps,
                    gap_low=-low.difference_high,
                    gap_high=-low.difference_low,
                ),
                act,
                owner_sentence(pain_owner(low.segment, names, owners)),
            ]
        )
    return t(
        "feedback.summary.no_difference",
        persona=persona,
        nps=low.nps,
        others=low.others_nps,
        diff=low.difference,
        low=low.difference_low,
        high=low.difference_high,
    )


def _who(segment, small: bool, names) -> str:
    label = segment_label(segment, names)
    return t("feedback.small_mark", segment=label) if small else label


def _interval(kind: str, low, high) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return ""
    return t(f"feedback.interval.{kind}", low=low, high=high)


def _scores_table(review: FeedbackReview, names) -> Table:
    b = review.by_segment
    df = pd.DataFrame(
        {
            "persona": [_who(x, sm, names) for x, sm in zip(b["segment"], b["small"])],
            "responses": b["responses"].to_numpy(),
            "satisfaction": b["satisfaction"].to_numpy(),
            "satisfaction_ci": [
                _interval("rating", lo, hi)
                for lo, hi in zip(b["satisfaction_ci_low"], b["satisfaction_ci_high"])
            ],
            "nps": b["nps"].to_numpy(),
            "nps_ci": [
                _interval("nps", lo, hi) for lo, hi in zip(b["nps_ci_low"], b["nps_ci_high"])
            ],
            "complaint_rate": b["complaint_rate"].to_numpy(),
            "complaint_ci": [
                _interval("share", lo, hi)
                for lo, hi in zip(b["complaint_ci_low"], b["complaint_ci_high"])
            ],
        }
    )
    drop = []
    for col, source in (
        ("satisfaction", "rated"),
        ("nps", "nps_responses"),
        ("complaint_rate", "complaint_base"),
    ):
        if not (b[source] > 0).any():
            drop += [
                col,
                {"satisfaction": "satisfaction_ci", "nps": "nps_ci"}.get(col, "complaint_ci"),
            ]
    return Table(
        df.drop(columns=drop),
        caption=t(
            "feedback.summary.caption", month=review.month, min=review.settings.min_responses
        ),
        digits={"satisfaction": 2, "nps": 0},
        max_rows=max(len(df), 1),
        collapse=False,
    )


def _details_tables(review: FeedbackReview, names) -> Stack:
    b = review.by_segment
    classes = pd.DataFrame(
        {
            "persona": [_who(x, sm, names) for x, sm in zip(b["segment"], b["small"])],
            "nps_responses": b["nps_responses"].to_numpy(),
            "promoters": b["promoters"].to_numpy(),
            "passives": b["passives"].to_numpy(),
            "detractors": b["detractors"].to_numpy(),
            "csat": b["csat"].to_numpy(),
            "csat_ci": [
                _interval("share", lo, hi) for lo, hi in zip(b["csat_ci_low"], b["csat_ci_high"])
            ],
        }
    )
    tr = review.trend
    trend = pd.DataFrame(
        {
            "month": tr["month"].to_numpy(),
            "responses": tr["responses"].to_numpy(),
            "satisfaction": tr["satisfaction"].to_numpy(),
            "nps": tr["nps"].to_numpy(),
            "complaint_rate": tr["complaint_rate"].to_numpy(),
        }
    )
    return Stack.of(
        Table(
            classes,
            caption=t("feedback.summary.classes_caption"),
            max_rows=max(len(classes), 1),
            collapse=False,
        ),
        Table(
            trend,
            caption=t("feedback.trend.caption"),
            digits={"satisfaction": 2, "nps": 0},
            max_rows=max(len(trend), 1),
            keep="tail",
            collapse=False,
        ),
    )


def feedback_summary(
    review: FeedbackReview | Unavailable,
    *,
    names: Mapping | None = None,
    owners: Mapping | None = None,
) -> Stack | Unavailable:
    """Satisfaction, NPS and complaint rate per persona with their intervals.

    Leads with the NPS finding: the persona with the lowest NPS when its interval of the gap to
    the other personas' pooled answers lies below 0 (with its owner), else that the personas do
    not differ; then the month in one sentence, the table per persona, and (in a ``Details``)
    the NPS classes, CSAT and the trend over the months.

    Parameters
    ----------
    review : FeedbackReview
    names : mapping, optional
        Persona number -> name (:func:`persona_names` of ``personas.csv``).
    owners : mapping, optional
        ``config.owners``.
    """
    if isinstance(review, Unavailable):
        return review
    finding = _nps_finding(review, names, owners)
    unmapped = (
        Note(tn("feedback.summary.unmapped", review.unmapped), kind="info")
        if review.has_segments and review.unmapped
        else None
    )
    return Stack.of(
        Paragraph(finding) if finding else None,
        Paragraph(_overall(review)),
        _scores_table(review, names),
        unmapped,
        Details(t("feedback.summary.details"), _details_tables(review, names)),
    )


# --- topics ----------------------------------------------------------------------------------------
_CJK = re.compile(r"[\u4e00-\u9fff]")


def in_report_language(quotes: list[str], n: int = 3) -> list[str]:
    """Up to ``n`` quotes, those written in the report's language first (Chinese text in a
    Chinese report, the others in an English one), each group in its given order: a reader
    gets the customers' words in the language they read when there are any.

    >>> in_report_language(["coupon failed", "优惠券用不了", "券过期了", "slow"], n=3)
    ['coupon failed', 'slow', '优惠券用不了']
    """
    zh = language() == "zh"
    mine = [q for q in quotes if bool(_CJK.search(q)) == zh]
    return (mine + [q for q in quotes if q not in mine])[:n]


def _topic_finding(review: FeedbackReview, owners) -> str | None:
    rows = review.topics[review.topics["segment"] == ALL]
    if rows.empty:
        return None
    topics = review_topics(review)
    sure = rows[(rows["mentions"] >= review.min_mentions) & rows["complaint_rate"].notna()]
    if len(sure) and (sure["complaint_rate"] > 0).any():
        r = sure.sort_values(["complaint_rate", "mentions"], ascending=False, kind="stable").iloc[
            0
        ]
        finding = t(
            "feedback.topics.finding",
            topic=topic_label(r["topic"], topics),
            rate=r["complaint_rate"],
            n=r["mentions"],
            rating=r["mean_rating"],
        )
        return join_sentences([finding, owner_sentence(pain_owner(ALL, None, owners))])
    r = rows.iloc[0]
    return t(
        "feedback.topics.finding_plain",
        topic=topic_label(r["topic"], topics),
        n=r["mentions"],
        share=r["mention_share"],
    )


def _topic_table(rows: pd.DataFrame, topics, names, *, per_segment: bool, caption) -> Table:
    df = pd.DataFrame(
        {
            **(
                {"persona": [segment_label(x, names) for x in rows["segment"]]}
                if per_segment
                else {}
            ),
            "topic": [topic_label(x, topics) for x in rows["topic"]],
            "mentions": rows["mentions"].to_numpy(),
            "mention_share": rows["mention_share"].to_numpy(),
            "mean_rating": rows["mean_rating"].to_numpy(),
            "complaint_rate": rows["complaint_rate"].to_numpy(),
        }
    )
    if not rows["mean_rating"].notna().any():
        df = df.drop(columns="mean_rating")
    return Table(df, caption=caption, digits={"mean_rating": 2}, max_rows=max(len(df), 1))


def topics_block(
    review: FeedbackReview | Unavailable,
    *,
    names: Mapping | None = None,
    owners: Mapping | None = None,
    quotes: int = 6,
) -> Stack | Unavailable:
    """What users write about: the topic that draws the most complaints with its owner
    (``pain_point`` of ``owners``, else ``persona``), or the topic that comes up most,
    where the topics come from, the topics with their mentions, ratings and complaint rates,
    example quotes of the ``quotes`` most mentioned topics, and the topics per persona in a
    ``Details``."""
    if isinstance(review, Unavailable):
        return review
    topics = review_topics(review)
    if review.topic_source == CATEGORY_SOURCE:
        source = t("feedback.topics.source.category", n=review.texts)
    elif not topics:
        return Stack.of(Note(t("feedback.topics.unconfigured")))
    else:
        source = t(
            "feedback.topics.source.text",
            n=review.texts,
            none=review.no_topic / review.texts if review.texts else 0.0,
        )
    rows = review.topics[review.topics["segment"] == ALL]
    if rows.empty:
        return Stack.of(
            Note(t("feedback.topics.no_mentions", month=review.month)), Paragraph(source)
        )
    quote_blocks = [
        Bullets(
            in_report_language(list(r["quotes"])),
            lead=t("feedback.topics.quotes", topic=topic_label(r["topic"], topics)),
        )
        for _, r in rows.head(quotes).iterrows()
        if len(r["quotes"])
    ]
    per_segment = review.topics[review.topics["segment"] != ALL]
    return Stack.of(
        Paragraph(_topic_finding(review, owners)),
        Paragraph(source),
        _topic_table(
            rows,
            topics,
            names,
            per_segment=False,
            caption=t("feedback.topics.caption", month=review.month),
        ),
        *quote_blocks,
        Details(
            t("feedback.topics.by_segment"),
            _topic_table(per_segment, topics, names, per_segment=True, caption=None),
        )
        if len(per_segment)
        else None,
    )


# --- no feedback source ----------------------------------------------------------------------------
def no_feedback_block() -> Stack:
    """What the section shows without ``sources.feedback``: what a feedback export would add,
    with a short configuration example."""
    return Stack.of(
        Note(t("feedback.none")),
        Bullets(
            [t("feedback.none.source"), t("feedback.none.topics")], lead=t("feedback.none.example")
        ),
    )


# --- artifacts -------------------------------------------------------------------------------------
def feedback_artifacts(
    review: FeedbackReview, *, names: Mapping | None = None
) -> dict[str, pd.DataFrame]:
    """``feedback_by_persona.csv`` (:func:`~helpers.analysis.feedback.scores.feedback_by_segment`)
    and ``pain_points.csv`` (:data:`~helpers.analysis.feedback.pain.PAIN_COLUMNS`), each with
    ``persona_name`` after ``segment`` (empty for ``all`` and segments without a name)."""
    names = {str(k): v for k, v in (names or {}).items()}

    def named(df: pd.DataFrame) -> pd.DataFrame:
        out = df.copy()
        out.insert(1, "persona_name", [names.get(str(x), "") for x in out["segment"]])
        return out.reset_index(drop=True)

    return {"feedback_by_persona": named(review.by_segment), "pain_points": named(review.pain)}

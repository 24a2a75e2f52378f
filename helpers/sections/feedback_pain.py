"""The pain-point matrix of the pain-point report: one sentence per persona naming its top pain
point (a feature it uses heavily and rates poorly against its other feedback) with the owner,
the matrix itself, and the rows the action plan takes (``actions.csv``, ``source =
pain_point``).

The numbers come from :func:`helpers.analysis.feedback.pain.pain_points` inside a
:class:`~helpers.analysis.feedback.review.FeedbackReview`; owners and names as in
:mod:`helpers.sections.feedback`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from helpers.analysis.action_plan import ACTION_COLUMNS
from helpers.analysis.feedback.frame import ALL
from helpers.analysis.feedback.review import FeedbackReview
from helpers.display.blocks import Callout, Details, Note, Paragraph, Stack, Unavailable
from helpers.display.table import Table
from helpers.display.text import join_sentences, join_words, t
from helpers.plots.feedback import segment_label, topic_label
from helpers.sections.feedback import owner_sentence, pain_owner, review_topics

__all__ = ["HEAVY_USE", "pain_sentence", "pain_point_block", "pain_point_actions"]

#: A usage index from which a persona "uses a feature more than average" in the sentence.
HEAVY_USE = 1.2


def pain_sentence(
    row,
    *,
    names: Mapping | None = None,
    topics: Mapping | None = None,
    owners: Mapping | None = None,
) -> str:
    """The sentence of one persona's pain point (a row of ``pain``): how much the persona uses
    the feature, how it rates the topic against its other feedback, what to do, whether the gap
    is beyond the noise, and the owner (``owners=None``: no owner sentence)."""
    persona = segment_label(row["segment"], names)
    topic = topic_label(row["topic"], topics)
    index, share = row["usage_index"], row["users_share"]
    if np.isfinite(index) and np.isfinite(share):
        usage = "heavy" if index >= HEAVY_USE else "usage"
    else:
        usage = "plain"
    measure = row["measure"]
    text = t(
        f"feedback.pain.{usage}.{measure}",
        persona=persona,
        topic=topic,
        share=share,
        index=index,
        topic_rating=row["topic_rating"],
        other_rating=row["other_rating"],
        topic_rate=row["topic_complaint_rate"],
        other_rate=row["other_complaint_rate"],
        mentions=row["mentions"],
    )
    parts = [text]
    if not (np.isfinite(row["gap_ci_low"]) and row["gap_ci_low"] > 0):
        parts.append(
            t(f"feedback.pain.noise.{measure}", low=row["gap_ci_low"], high=row["gap_ci_high"])
        )
    if owners is not None:
        parts.append(owner_sentence(pain_owner(row["segment"], names, owners)))
    return join_sentences(parts)


def _matrix_table(review: FeedbackReview, names, topics) -> Table:
    pain = review.pain
    measure = pain["measure"].iloc[0]
    column = "rating_gap" if measure == "rating" else "complaint_gap"
    segs = list(dict.fromkeys(pain["segment"]))
    cols = list(dict.fromkeys(pain["topic"]))
    labels = [topic_label(x, topics) for x in cols]
    grid = pd.DataFrame(np.nan, index=range(len(segs)), columns=labels)
    for r in pain.itertuples(index=False):
        if r.eligible:
            grid.loc[segs.index(r.segment), labels[cols.index(r.topic)]] = getattr(r, column)
    grid.insert(0, "persona", [segment_label(x, names) for x in segs])
    return Table(
        grid,
        caption=t(f"feedback.pain.matrix_caption.{measure}", min=review.min_mentions),
        value_columns=labels,
        kinds=dict.fromkeys(labels, "number" if measure == "rating" else "pp"),
        digits=dict.fromkeys(labels, 1),
        max_rows=max(len(grid), 1),
        collapse=False,
    )


def _pain_details(review: FeedbackReview, names, topics) -> Table:
    p = review.pain
    df = pd.DataFrame(
        {
            "persona": [segment_label(x, names) for x in p["segment"]],
            "topic": [topic_label(x, topics) for x in p["topic"]],
            "feature_share": p["users_share"].to_numpy(),
            "usage_index": p["usage_index"].to_numpy(),
            "mentions": p["mentions"].to_numpy(),
            "topic_rating": p["topic_rating"].to_numpy(),
            "other_rating": p["other_rating"].to_numpy(),
            "rating_gap": p["rating_gap"].to_numpy(),
            "complaint_rate": p["topic_complaint_rate"].to_numpy(),
            "pain_score": p["score"].to_numpy(),
            "pain_rank": p["rank"].to_numpy(),
        }
    )
    empty = [
        c
        for c in ("feature_share", "usage_index", "topic_rating", "other_rating", "rating_gap")
        if df[c].isna().all()
    ]
    return Table(
        df.drop(columns=empty),
        digits={"topic_rating": 2, "other_rating": 2, "rating_gap": 2, "pain_score": 2},
        max_rows=max(len(df), 1),
        artifact="pain_points.csv",
    )


def pain_point_block(
    review: FeedbackReview | Unavailable,
    *,
    names: Mapping | None = None,
    owners: Mapping | None = None,
) -> Stack | Unavailable:
    """The pain-point matrix: one sentence per persona naming its top pain point (with its
    owner), the personas without one, how the matrix is read, the matrix of gaps, and every
    persona and topic in a ``Details``."""
    if isinstance(review, Unavailable):
        return review
    topics = review_topics(review)
    pain = review.pain
    if pain.empty:
        return Stack.of(Note(t("feedback.pain.no_topics")))
    top = review.top_pain_points
    lines = [
        pain_sentence(r, names=names, topics=topics, owners=owners) for _, r in top.iterrows()
    ]
    small = set(review.by_segment.loc[review.by_segment["small"].astype(bool), "segment"])
    without = [x for x in dict.fromkeys(pain["segment"]) if x not in set(top["segment"])]
    sentences = [
        t(key, personas=join_words(segment_label(x, names) for x in group), min=n)
        for key, group, n in (
            (
                "feedback.pain.none_for",
                [x for x in without if x not in small],
                review.min_mentions,
            ),
            (
                "feedback.pain.too_few_for",
                [x for x in without if x in small],
                review.settings.min_responses,
            ),
        )
        if group
    ]
    none_for = Paragraph(join_sentences(sentences)) if sentences else None
    has_events = any(cfg.events for cfg in topics.values())
    notes = [
        Note(t("feedback.pain.no_usage"), kind="info")
        if not (has_events and review.has_usage)
        else None,
        Note(
            t("feedback.pain.missing_events", events=join_words(review.missing_events)),
            kind="warning",
        )
        if review.missing_events
        else None,
    ]
    return Stack.of(
        Callout(t("feedback.pain.title"), lines, tone="warning") if lines else None,
        none_for,
        Paragraph(t("feedback.pain.lead", min=review.min_mentions)),
        *notes,
        _matrix_table(review, names, topics),
        Details(t("feedback.pain.details"), _pain_details(review, names, topics)),
    )


def pain_point_actions(
    review: FeedbackReview | Unavailable,
    *,
    names: Mapping | None = None,
    owners: Mapping | None = None,
) -> pd.DataFrame:
    """Rows for ``actions.csv`` (:data:`helpers.analysis.action_plan.ACTION_COLUMNS`), one per
    persona with a top pain point, ``source = pain_point``: fix the topic's experience for the
    persona; ``why`` is the finding; ``users`` the persona's users of the feature this month
    (those who mentioned the topic when no usage is measured); no revenue estimate; ``owner``
    from ``pain_point``, else the persona's. Empty (with the columns) when there is none."""
    if isinstance(review, Unavailable):
        return pd.DataFrame(columns=list(ACTION_COLUMNS))
    topics = review_topics(review)
    rows = []
    for _, r in review.top_pain_points.iterrows():
        persona = (
            segment_label(r["segment"], names)
            if r["segment"] != ALL
            else t("review.plan.everyone")
        )
        users = r["feature_users"] if np.isfinite(r["feature_users"]) else r["mention_users"]
        rows.append(
            {
                **dict.fromkeys(ACTION_COLUMNS),
                "source": "pain_point",
                "persona": persona,
                "action": t(
                    "feedback.plan.action", topic=topic_label(r["topic"], topics), persona=persona
                ),
                "why": pain_sentence(r, names=names, topics=topics),
                "users": int(users),
                "revenue_at_stake": None,
                "expected_impact": "",
                "owner": pain_owner(r["segment"], names, owners) or None,
                "audience_file": "",
            }
        )
    return pd.DataFrame(rows, columns=list(ACTION_COLUMNS))

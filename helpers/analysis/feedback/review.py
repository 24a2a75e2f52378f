"""A month's feedback review in one call: scores per segment, the trend, topics, the pain-point
matrix and each user's NPS category (:func:`review_feedback`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from helpers.analysis.feedback.frame import prepare, segment_of
from helpers.analysis.feedback.pain import pain_points
from helpers.analysis.feedback.scores import (
    LowestNps,
    feedback_by_segment,
    feedback_trend,
    lowest_nps,
)
from helpers.analysis.feedback.topics import CATEGORY_SOURCE, topic_mentions, topic_summary
from helpers.analysis.feedback.users import user_nps
from helpers.core import schema as s
from helpers.core.checks import as_date, require_columns
from helpers.core.config_pain import FeedbackConfig
from helpers.core.errors import NotEnoughData
from helpers.core.time import month_bounds, parse_month

__all__ = ["FeedbackReview", "review_feedback"]


@dataclass
class FeedbackReview:
    """The feedback of a month, analysed (:func:`review_feedback`).

    Attributes
    ----------
    month, as_of
        The review month (``YYYY-MM``) and its last day read.
    by_segment : DataFrame
        :func:`~helpers.analysis.feedback.scores.feedback_by_segment` of the month
        (``feedback_by_persona.csv``).
    trend : DataFrame
        :func:`~helpers.analysis.feedback.scores.feedback_trend`: all responses per month.
    mentions, topics : DataFrame
        The month's topic mentions and :func:`~helpers.analysis.feedback.topics.topic_summary`.
    pain : DataFrame
        :func:`~helpers.analysis.feedback.pain.pain_points` (``pain_points.csv``).
    users : DataFrame
        :func:`~helpers.analysis.feedback.users.user_nps` at ``as_of`` (every month read).
    lowest : LowestNps or None
        The segment with the lowest NPS against the others.
    topic_source : str
        ``category`` or ``text``: where the topics came from.
    texts : int
        The month's responses (of users with a segment) that could mention a topic: with a
        text, or with a topic category when the topics come from the category.
    no_topic : int
        Of them, those that mention no topic (keywords to add to ``feedback.topics``).
    unmapped : int
        The month's responses from users without a segment (left out of every row).
    missing_events : list of str
        Topic events the usage table has no column for.
    """

    month: str
    as_of: dt.date
    settings: FeedbackConfig
    by_segment: pd.DataFrame
    trend: pd.DataFrame
    mentions: pd.DataFrame
    topics: pd.DataFrame
    pain: pd.DataFrame
    users: pd.DataFrame
    lowest: LowestNps | None
    topic_source: str
    texts: int
    no_topic: int
    unmapped: int
    has_segments: bool
    has_usage: bool
    min_mentions: int
    missing_events: list = field(default_factory=list)

    @property
    def responses(self) -> int:
        """The month's responses in the review (all segments)."""
        return int(self.by_segment["responses"].iloc[0])

    @property
    def top_pain_points(self) -> pd.DataFrame:
        """The top pain point of each segment that has one (``pain`` rows with ``top``)."""
        return self.pain[self.pain["top"]].reset_index(drop=True)


def review_feedback(
    feedback: pd.DataFrame,
    *,
    month: str,
    as_of=None,
    segments=None,
    settings: FeedbackConfig | None = None,
    usage: pd.DataFrame | None = None,
    column: str = s.PERSONA,
    min_mentions: int | None = None,
) -> FeedbackReview:
    """The month's feedback review.

    Parameters
    ----------
    feedback : DataFrame
        The cleaned feedback rows (``user_id``, ``feedback_time``, ``day`` and any of
        ``rating``, ``nps``, ``category``, ``text``, ``channel``), every month read: the scores,
        topics and pain points use the rows of ``month`` up to ``as_of``, the trend the
        ``settings.months`` months before too, and the users' NPS categories every answer up to
        ``as_of``.
    month : str
        ``YYYY-MM``.
    as_of : date or str, optional
        The last local day read (default: the month's last day).
    segments : optional
        ``user_id -> segment`` (``personas.csv``: ``user_id``, ``persona``); responses of users
        without one are left out of the per-segment figures.
    settings : FeedbackConfig
        ``config.feedback``.
    usage : DataFrame, optional
        :func:`~helpers.analysis.feedback.pain.event_usage` of the topics' events in the month.
    min_mentions : int, optional
        Mentions a topic needs in a segment to be ranked as its pain point (default:
        ``settings.min_mentions``, 10).

    Raises
    ------
    NotEnoughData
        When the month has no response (the section then says so).
    """
    settings = settings or FeedbackConfig()
    if min_mentions is None:
        min_mentions = settings.min_mentions
    month = parse_month(month)
    first, last = month_bounds(month)
    end = min(as_date(as_of, "as_of"), last) if as_of is not None else last
    require_columns(feedback, [s.USER_ID, s.FEEDBACK_TIME, s.DAY], "The feedback table")
    fb = prepare(feedback.reset_index(drop=True))
    days = pd.Series([as_date(d, "day") for d in fb[s.DAY]], index=fb.index, dtype=object)
    fb, days = fb[days <= end], days[days <= end]
    now = fb[days >= first]
    if now.empty:
        raise NotEnoughData(
            f"The feedback table has no response in {month} (it has {len(fb)} up to {end})."
        )
    by_segment = feedback_by_segment(now, segments, settings=settings, column=column)
    mentions = topic_mentions(
        now, settings.topics, complaint_categories=settings.complaint_categories
    )
    # candidates enough for the report to show three in its own language
    topics = topic_summary(now, mentions, segments, settings=settings, column=column, quotes=8)
    pain = pain_points(
        now,
        mentions,
        segments,
        usage=usage,
        topics=settings.topics,
        settings=settings,
        column=column,
        min_mentions=min_mentions,
    )
    mapped = segment_of(now, segments, column=column).notna()
    source = mentions.attrs["source"]
    can_say = now[s.CATEGORY if source == CATEGORY_SOURCE else s.TEXT].notna() & mapped
    if source == CATEGORY_SOURCE:
        can_say &= now.index.isin(mentions["response"])
    said = now.index.isin(mentions["response"])
    return FeedbackReview(
        month=month,
        as_of=end,
        settings=settings,
        by_segment=by_segment,
        trend=feedback_trend(fb, month=month, months=settings.months, settings=settings),
        mentions=mentions,
        topics=topics,
        pain=pain,
        users=user_nps(fb, as_of=end),
        lowest=lowest_nps(by_segment) if segments is not None else None,
        topic_source=source,
        texts=int(can_say.sum()),
        no_topic=int((can_say & ~said).sum()),
        unmapped=int(by_segment.attrs.get("unmapped", 0)),
        has_segments=segments is not None,
        has_usage=usage is not None and len(usage) > 0,
        min_mentions=min_mentions,
        missing_events=list(getattr(usage, "attrs", {}).get("missing_events", [])),
    )

"""The pain-point sections of ``persona.yaml``: ``funnels`` and ``feedback``, typed and validated,
re-exported by :mod:`helpers.core.config`.

.. code-block:: yaml

    funnels:
      checkout: {steps: [view_item, add_to_cart, checkout_start, order], window_days: 7}
    feedback:
      months: 3
      topics:
        优惠券: [优惠券, 券, coupon]                    # keywords only
        支付: {keywords: [支付, 付款, payment], events: [checkout_start], labels: {en: Payment}}
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from helpers.core.config_sections import Strict, standard_event_name

__all__ = ["FunnelConfig", "TopicConfig", "FeedbackConfig"]


class FunnelConfig(Strict):
    """One funnel: its ordered steps (event names; ``order`` is the orders table) and window."""

    steps: list[str] = Field(min_length=2, description="event names in order; `order` = orders")
    window_days: int = Field(
        default=7, gt=0, le=90, description="all steps within this many days of the first step"
    )

    @field_validator("steps")
    @classmethod
    def _std(cls, v):
        steps = [standard_event_name(s) for s in v]
        dupes = sorted({s for s in steps if steps.count(s) > 1})
        if dupes:
            raise ValueError(f"a funnel's steps must differ, but {dupes} is listed twice")
        return steps


class TopicConfig(Strict):
    """A feedback topic: the keywords that name it in a text, and the events of the feature."""

    keywords: list[str] = Field(min_length=1)
    events: list[str] = Field(
        default_factory=list,
        description="events of the feature the topic is about (for the pain-point matrix)",
    )
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="the topic's name per report language, such as {en: Coupons, zh: 优惠券}",
    )

    def label(self, language: str, name: str) -> str:
        """The topic's name in ``language`` (its key in ``topics`` when no label is given)."""
        return self.labels.get(language) or name

    @field_validator("events")
    @classmethod
    def _std(cls, v):
        return [standard_event_name(e) for e in v]


class FeedbackConfig(Strict):
    """``feedback:``: which months are read, what counts as a complaint, the text topics."""

    months: int = Field(
        default=3,
        ge=1,
        le=12,
        description=(
            "earlier months the trend shows; the per-persona figures read the review month's "
            "feedback from the month's active users"
        ),
    )
    complaint_rating: int = Field(
        default=2, ge=1, le=5, description="a rating at or below this is a complaint"
    )
    complaint_categories: list[str] = Field(
        default_factory=lambda: ["complaint", "投诉"],
        description="categories that are complaints whatever the rating",
    )
    min_responses: int = Field(
        default=30, ge=1, description="fewer responses in a group: shown, never ranked"
    )
    min_mentions: int = Field(
        default=10,
        ge=1,
        description=(
            "mentions a topic needs in a persona (and other feedback the persona gave) before "
            "it can be named that persona's pain point"
        ),
    )
    topics: dict[str, TopicConfig] = Field(default_factory=dict)

    @field_validator("topics", mode="before")
    @classmethod
    def _shorthand(cls, v):
        if not v:
            return {}
        if not isinstance(v, dict):
            raise ValueError(
                "`feedback.topics` maps a topic to its keywords, such as {优惠券: [优惠券, 券, coupon]}"
            )
        return {
            str(k): ({"keywords": t} if isinstance(t, list | tuple | str) else t)
            for k, t in v.items()
        }

    @model_validator(mode="after")
    def _keywords_are_text(self):
        for name, topic in self.topics.items():
            topic.keywords = [str(k).strip() for k in topic.keywords if str(k).strip()]
            if not topic.keywords:
                raise ValueError(f"feedback topic {name!r} needs at least one keyword")
        return self

"""``05_pain_points`` put together: the segments (persona and platform per user), the feedback of
the month read and reviewed, the artifacts, and the brief.

The funnels and paths are :mod:`helpers.sections.pain_funnels` and
:mod:`helpers.sections.pain_paths`; the feedback blocks :mod:`helpers.sections.feedback` and
:mod:`helpers.sections.feedback_pain`. Here: :func:`segments`, :func:`feedback_frame`,
:func:`feedback_review` (None without ``sources.feedback``: the feedback sections then say what
an export would add), :func:`write_artifacts` (``funnels.csv``, ``session_ends.csv``,
``loops.csv``, ``exit_events.csv``, ``feedback_by_persona.csv``, ``pain_points.csv`` and
``pain_findings.csv``, the rows the monthly review lists and turns into actions) and
:func:`pain_brief`.
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis.action_plan import PAIN_COLUMNS
from helpers.analysis.feedback.pain import event_usage
from helpers.analysis.feedback.review import review_feedback
from helpers.core import schema as S
from helpers.display.blocks import Brief, Kpi, Unavailable
from helpers.display.format import fmt
from helpers.display.text import t
from helpers.sections import feedback as fb
from helpers.sections import feedback_pain as fbp
from helpers.sections.briefs import REVIEW_LINK
from helpers.sections.pain_funnels import (
    FunnelReview,
    funnel_findings,
    funnel_sentences,
    funnels_artifact,
    segments_frame,
    user_platforms,
)
from helpers.sections.pain_paths import PathReview, path_findings, path_sentences, paths_artifacts

__all__ = [
    "segments",
    "feedback_frame",
    "feedback_review",
    "feedback_summary",
    "topics",
    "pain_matrix",
    "findings_frame",
    "write_artifacts",
    "pain_brief",
]


def segments(ctx, personas: pd.DataFrame | None) -> pd.DataFrame:
    """``user_id, persona, platform`` of the month (persona by name; platform from the events)."""
    events = ctx.project.tables.get("events")
    platforms = (
        user_platforms(events, month_start=ctx.month_start, month_end=ctx.as_of)
        if events is not None
        else None
    )
    return segments_frame(personas, platforms)


def feedback_frame(project) -> pd.DataFrame | None:
    """The cleaned feedback rows as a frame (``day`` as a date), None without the source."""
    table = project.tables.get("feedback")
    if table is None:
        return None
    df = table.execute()
    df[S.USER_ID] = df[S.USER_ID].astype(str)
    df[S.DAY] = pd.to_datetime(df[S.DAY]).dt.date
    return df


def _persona_map(personas: pd.DataFrame | None) -> pd.DataFrame | None:
    if personas is None or "persona" not in personas.columns:
        return None
    return personas[[S.USER_ID, "persona"]].astype({S.USER_ID: str})


def feedback_review(ctx, personas: pd.DataFrame | None):
    """The month's :class:`~helpers.analysis.feedback.review.FeedbackReview`, an
    ``Unavailable`` when the month has no feedback, or None without ``sources.feedback``."""
    frame = feedback_frame(ctx.project)
    if frame is None:
        return None
    cfg = ctx.config
    seg = _persona_map(personas)
    events = sorted({e for topic in cfg.feedback.topics.values() for e in topic.events})
    usage = None
    if seg is not None and events:
        usage = event_usage(ctx.project.user_day, seg, events, ctx.month_start, ctx.as_of)
    return ctx.attempt(
        review_feedback,
        frame,
        month=ctx.month,
        as_of=ctx.as_of,
        segments=seg,
        settings=cfg.feedback,
        usage=usage,
        needs="feedback.needs.month",
    )


def feedback_summary(review, ctx, personas):
    """Satisfaction, NPS and complaints per persona, or what a feedback export would add."""
    if review is None:
        return fb.no_feedback_block()
    return fb.feedback_summary(review, names=fb.persona_names(personas), owners=ctx.config.owners)


def topics(review, personas, owners=None):
    """What users write about, with quotes (nothing without a feedback source)."""
    if review is None:
        return None
    return fb.topics_block(review, names=fb.persona_names(personas), owners=owners)


def pain_matrix(review, ctx, personas):
    """The pain-point matrix with one sentence per persona (nothing without feedback)."""
    if review is None:
        return None
    return fbp.pain_point_block(review, names=fb.persona_names(personas), owners=ctx.config.owners)


def findings_frame(funnel, path, review, *, personas=None, owners=None) -> pd.DataFrame:
    """``pain_findings.csv``: the feedback's top pain point per persona, the funnels' largest
    drops and worst segments, and the problem events users leave on (columns
    :data:`~helpers.analysis.action_plan.PAIN_COLUMNS`)."""
    parts = []
    if review is not None and not isinstance(review, Unavailable):
        acts = fbp.pain_point_actions(review, names=fb.persona_names(personas), owners=owners)
        if len(acts):
            parts.append(
                pd.DataFrame(
                    {
                        "kind": "feedback",
                        "segment_kind": "persona",
                        "segment": acts["persona"],
                        "topic": [
                            str(x) for x in review.top_pain_points.get("topic", [""] * len(acts))
                        ],
                        "users": acts["users"],
                        "metric": review.top_pain_points.get("topic_rating"),
                        "owner": acts["owner"],
                        "sentence": acts["why"],
                        "action": acts["action"],
                    }
                )
            )
    if isinstance(funnel, FunnelReview):
        parts.append(funnel_findings(funnel))
    if isinstance(path, PathReview):
        parts.append(path_findings(path))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=list(PAIN_COLUMNS))
    return pd.concat(parts, ignore_index=True)[list(PAIN_COLUMNS)]


def write_artifacts(ctx, *, funnel, path, feedback, personas) -> pd.DataFrame:
    """Write the report's artifacts; return ``pain_findings.csv``'s rows."""
    if isinstance(funnel, FunnelReview):
        ctx.write_csv(funnels_artifact(funnel), "funnels")
    if isinstance(path, PathReview):
        for name, frame in paths_artifacts(path).items():
            ctx.write_csv(frame, name)
    if feedback is not None and not isinstance(feedback, Unavailable):
        for name, frame in fb.feedback_artifacts(
            feedback, names=fb.persona_names(personas)
        ).items():
            ctx.write_csv(frame, name)
    findings = findings_frame(funnel, path, feedback, personas=personas, owners=ctx.config.owners)
    ctx.write_csv(findings, "pain_findings")
    return findings


def pain_brief(ctx, *, funnel, path, feedback, findings: pd.DataFrame) -> Brief:
    """``05_pain_points`` on one screen: funnel completion, NPS, pain points found; the first
    sentences of each part, and what to do."""
    cards, lines, actions = [], [], []
    if isinstance(funnel, FunnelReview) and funnel.funnels:
        f = funnel.funnels[0]
        done = f.table[(f.table["segment_kind"] == "all")].sort_values("step")
        if f.entrants:
            cards.append(
                Kpi(
                    t("pain.brief.completed", funnel=f.name),
                    fmt(done["conversion_from_start"].iloc[-1], "share"),
                    t("pain.brief.entrants", n=f.entrants),
                )
            )
        lines += funnel_sentences(f, funnel.owner)[:1]
    if feedback is not None and not isinstance(feedback, Unavailable):
        overall = feedback.by_segment.iloc[0]
        if pd.notna(overall.get("nps")):
            cards.append(
                Kpi(
                    t("pain.brief.nps"),
                    fmt(overall["nps"], "number", digits=0),
                    t("pain.brief.responses", n=int(overall["responses"])),
                )
            )
    elif feedback is None:
        lines.append(t("pain.brief.no_feedback"))
    cards.append(Kpi(t("pain.brief.found"), fmt(len(findings), "count")))
    if isinstance(path, PathReview):
        lines += [s for s in path_sentences(path) if s][1:2]
    for row in findings.head(3).to_dict("records"):
        if row.get("kind") == "feedback":
            lines.append(str(row["sentence"]))
        actions.append(str(row["action"]))
    return Brief(
        t("brief.title", month=ctx.month),
        cards=cards,
        findings=lines or [t("pain.brief.none")],
        findings_title=t("brief.findings"),
        actions=actions or [t("brief.see_review")],
        actions_title=t("brief.actions"),
        links=[(t("brief.review_link"), REVIEW_LINK)],
    )

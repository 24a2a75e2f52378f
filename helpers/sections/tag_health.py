"""The tag-health block of ``03_personas``: which tags to fix, retire or look into, and why.

:func:`tag_health` runs :func:`helpers.analysis.segments.tag_health.tag_health` with the
project's ``tag_health:`` settings; the block (``@renders(TagHealth)``) leads with one sentence
per warning (what happened, what to do, who owns it), then the coverage by month in a
``Details``. :func:`coverage_artifact` and :func:`health_artifact` are ``tag_coverage.csv`` and
``tag_health.csv``; :func:`health_finding` is a one-line summary a brief can show.
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis.segments import tag_health as health_checks
from helpers.analysis.segments.tag_health import TagHealth
from helpers.display.blocks import Callout, Details, Heading, Note, Paragraph, Stack
from helpers.display.format import fmt
from helpers.display.labels import value_text
from helpers.display.registry import renders
from helpers.display.table import Table
from helpers.display.text import join_sentences, join_words, t, tn

__all__ = [
    "tag_health",
    "warning_text",
    "coverage_artifact",
    "health_artifact",
    "health_finding",
]


def tag_health(project, config, *, month: str, rules, flags: pd.DataFrame) -> TagHealth:
    """Tag health of ``month``: the review month's ``flags`` (as the notebook evaluated them on
    its active users) against the ``tag_health.months`` months before, with the config's
    thresholds, passive events, timezone and users table."""
    settings = config.tag_health
    return health_checks.tag_health(
        project.user_day,
        month=month,
        tags=rules,
        months=settings.months,
        current=flags,
        users=project.users_frame(),
        passive_events=config.activity.passive_events,
        timezone=config.timezone,
        min_share=settings.min_share,
        max_share=settings.max_share,
        drift=settings.drift,
        min_drift_points=settings.min_drift_points,
    )


def _owner(owner: str) -> str:
    owner = str(owner or "").strip()
    return t("tag_health.owner", owner=value_text(owner)) if owner else t("tag_health.no_owner")


def _plural(stem: str, n: int, *, none: str | None = None) -> str:
    """``stem.one``, ``stem.other``, or ``none`` (a key of its own) when ``n`` is 0."""
    if n == 0 and none is not None:
        return none
    return f"{stem}.{'one' if n == 1 else 'other'}"


def warning_text(row, health: TagHealth) -> str:
    """The sentence of one warning (a row of ``health.warnings``): what happened, what to do,
    and the tag's owner."""
    check, detail = row.check, row.detail
    key = f"tag_health.{check}" + (f".{detail}" if detail else "")
    earlier = len(health.months) - 1
    if check == "no_users" and detail == "never":
        key = "tag_health.no_users." + _plural("never", earlier, none="now")
    elif check == "no_users" and detail == "few":
        key = "tag_health.no_users." + _plural("few", row.users)
    text = t(
        key,
        tag=value_text(str(row.tag)),
        month=row.month,
        users=row.users,
        share=row.share,
        previous_month=row.previous_month,
        previous_share=row.previous_share,
        earlier=earlier,
        min_share=health.min_share,
        max_share=health.max_share,
    )
    if check == "no_action":  # the missing owner is the warning itself
        return text
    return join_sentences([text, _owner(row.owner)])


def _coverage_table(health: TagHealth) -> Table:
    wide = health.shares
    months = [fmt(m, "month") for m in wide.columns]
    shown = wide.set_axis(months, axis=1).rename_axis(None).reset_index(names="tag_name")
    return Table(
        shown,
        value_columns=months,
        kinds={m: "share" for m in months},
        caption=t(
            "tag_health.coverage_caption",
            tags=len(shown),
            months=join_words(months),
        ),
        max_rows=max(len(shown), 1),
        collapse=False,
    )


@renders(TagHealth)
def _health_block(health: TagHealth) -> Stack:
    head = Heading(t("tag_health.title"))
    earlier = max(len(health.months) - 1, 0)
    lead = Paragraph(
        t(
            "tag_health." + _plural("lead", earlier, none="lead.none"),
            month=health.month,
            earlier=earlier,
            min_share=health.min_share,
            max_share=health.max_share,
            drift=health.drift,
            points=health.min_drift_points,
        )
    )
    warnings = health.warnings
    if health.coverage.empty:
        return Stack.of(head, Note(t("tag_health.no_active", month=health.month)))
    if len(warnings):
        verdict = Callout(
            tn("tag_health.warnings", len(warnings)),
            [warning_text(r, health) for r in warnings.itertuples(index=False)],
            tone="warning",
        )
    else:
        verdict = Callout(tn("tag_health.healthy", health.coverage["tag"].nunique()), tone="good")
    details = Details(t("tag_health.details"), _coverage_table(health))
    return Stack.of(head, verdict, lead, details)


# --- artifacts -------------------------------------------------------------------------------------
def coverage_artifact(health: TagHealth) -> pd.DataFrame:
    """``tag_coverage.csv``: one row per tag and month: tag, month, users, active_users, share."""
    return health.coverage.reset_index(drop=True)


def health_artifact(health: TagHealth) -> pd.DataFrame:
    """``tag_health.csv``: one row per warning: tag, check, month, users, share,
    previous_month, previous_share, owner and the warning's sentence (report language)."""
    w = health.warnings
    cols = ["tag", "check", "month", "users", "share", "previous_month", "previous_share", "owner"]
    out = w[cols].copy()
    out["message"] = [warning_text(r, health) for r in w.itertuples(index=False)]
    return out.reset_index(drop=True)


def health_finding(health: TagHealth) -> str | None:
    """One sentence for a brief: how many tags warn and which, or None when none does."""
    if not isinstance(health, TagHealth) or health.warnings.empty:
        return None
    names = list(dict.fromkeys(health.warnings["tag"]))
    return tn(
        "tag_health.finding",
        len(names),
        tags=join_words(value_text(str(n)) for n in names),
    )

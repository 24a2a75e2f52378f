"""The first screen of the detailed reports: a few KPI cards with their change, the findings and
what to do, for the analysts' reports behind the monthly review (``02_active_users``,
``03_personas``). Each function returns a :class:`helpers.display.blocks.Brief`; the HTML renderer
moves it to the top of the page. The monthly review's own brief is
:mod:`helpers.sections.review_brief`.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from helpers.analysis.activity.definition import DefinitionSensitivity
from helpers.analysis.activity.drivers import RetentionDrivers
from helpers.analysis.activity.headline import Headline
from helpers.analysis.activity.lifecycle import LifecycleCounts
from helpers.data.month_quality import month_quality
from helpers.display.blocks import Brief, Kpi
from helpers.display.format import fmt, is_missing
from helpers.display.text import join_words, t
from helpers.plots.activity import behaviour_label

__all__ = ["audit_brief", "active_users_brief", "personas_brief", "REVIEW_LINK"]

#: The monthly review beside the detailed reports (the action plan lives there).
REVIEW_LINK = "06_persona_review.html"


def _tone(change, good_up: bool = True) -> str:
    if change is None or is_missing(change) or abs(change) < 1e-12:
        return "neutral"
    return "good" if (change > 0) == good_up else "bad"


def _month_row(lc: LifecycleCounts | None, month_start: dt.date):
    if lc is None or not hasattr(lc, "periods"):
        return None
    p = lc.periods
    row = p[pd.to_datetime(p["period_start"]).dt.date == month_start]
    return row.iloc[0] if len(row) else None


_STATUS_TONE = {"good": "good", "caution": "neutral", "poor": "bad"}


def audit_brief(view, *, month: str) -> Brief:
    """``01_data_audit`` on one screen: the month's verdict and score beside the whole window's,
    its rows read and kept; where the month lost rows, and what to fix at the source."""
    audit = view.audit
    ledger = getattr(view, "month", None)
    q = month_quality(audit, month=month, ledger=ledger)
    rows_in, kept = ledger.totals() if ledger is not None else audit.totals()
    cards = [
        Kpi(
            t("brief.audit.verdict"),
            t(f"review.quality.status.{q.status}"),
            t("brief.audit.score", score=q.score) if not is_missing(q.score) else "",
            _STATUS_TONE.get(q.status, "neutral"),
            t("brief.audit.scope_month") if q.scope == "month" else t("brief.audit.scope_window"),
        ),
        Kpi(t("brief.audit.window_score"), fmt(q.window_score, "number")),
        Kpi(t("brief.audit.rows_in"), fmt(rows_in, "count")),
        Kpi(
            t("brief.audit.rows_kept"),
            fmt(kept, "count"),
            t("brief.audit.kept_share", share=kept / rows_in) if rows_in else "",
        ),
    ]
    findings, actions = [], []
    if q.worst is not None and q.worst.share > 0:
        parts = join_words(
            t("review.quality.part", share=v, reason=t(f"audit.month.reason.{k}"))
            for k, v in q.worst.parts[:3]
        )
        findings.append(
            t("brief.audit.worst", source=q.worst.source, share=q.worst.share, parts=parts)
        )
        code, share = q.worst.parts[0]
        if share >= 0.005:
            actions.append(
                t(
                    "brief.audit.fix",
                    source=q.worst.source,
                    reason=t(f"audit.month.reason.{code}"),
                    share=share,
                )
            )
    if q.unbalanced:
        findings.append(t("brief.audit.unbalanced", sources=join_words(q.unbalanced)))
        actions.append(t("brief.audit.fix_unbalanced", sources=join_words(q.unbalanced)))
    if q.flags:
        days = join_words(f"{f.day} ({f.source})" for f in q.flags[:3])
        findings.append(t("brief.audit.flags", n=len(q.flags), days=days))
        actions.append(t("brief.audit.check_days", days=days))
    if not findings:
        findings.append(t("brief.audit.clean"))
    if not actions:
        actions.append(t("brief.audit.nothing"))
    return Brief(
        t("brief.title", month=month),
        cards=cards,
        findings=findings,
        findings_title=t("brief.findings"),
        actions=actions,
        actions_title=t("brief.actions"),
    )


def active_users_brief(
    numbers: Headline,
    *,
    month: str,
    month_start: dt.date,
    monthly_lc: LifecycleCounts | None = None,
    sensitivity: DefinitionSensitivity | None = None,
    drivers: RetentionDrivers | None = None,
) -> Brief:
    """``02_active_users`` on one screen: active users (calendar month and 28-day MAU), DAU,
    stickiness and the quick ratio; who came and went, how much the count depends on the
    definition, the early behaviour most tied to retention; and what to test."""
    change = numbers.mau_change_pct / 100 if not is_missing(numbers.mau_change_pct) else None
    cards = [
        Kpi(
            t("brief.active.calendar"),
            fmt(numbers.mau_calendar, "count"),
            t("brief.change_vs_last", change=fmt(change, "change")) if change is not None else "",
            _tone(change),
            t("brief.active.calendar_note"),
        ),
        Kpi(
            t("brief.active.mau", days=numbers.mau_days),
            fmt(numbers.mau, "count"),
            note=t("brief.active.mau_note", days=numbers.mau_days, as_of=numbers.as_of),
        ),
        Kpi(t("brief.active.dau"), fmt(round(numbers.dau_avg), "count")),
        Kpi(t("brief.active.stickiness"), fmt(numbers.stickiness, "share")),
        Kpi(t("brief.active.quick_ratio"), fmt(numbers.quick_ratio, "ratio")),
    ]
    findings = []
    row = _month_row(monthly_lc, month_start)
    if row is not None:
        findings.append(
            t(
                "brief.active.lifecycle",
                month=month,
                new=int(row["new"]),
                returning=int(row["returning"]),
                resurrecting=int(row["resurrecting"]),
                dormant=abs(int(row["dormant"])),
                ratio=row["quick_ratio"],
            )
        )
    if isinstance(sensitivity, DefinitionSensitivity):
        v = sensitivity.variants
        events = v[v["event"].notna()]
        if len(events):
            worst = events.loc[events["change_pct"].abs().idxmax()]
            findings.append(
                t(
                    "brief.active.definition",
                    most=abs(float(worst["change_pct"])) / 100,
                    event=worst["event"],
                )
            )
    actions = []
    if isinstance(drivers, RetentionDrivers) and len(drivers.drivers):
        d = drivers.drivers
        top = d[d["threshold"].notna()].head(1)
        if len(top):
            r = top.iloc[0]
            behaviour = behaviour_label(r["event"], r["threshold"], drivers.first_days)
            findings.append(
                t(
                    "brief.active.driver",
                    behaviour=behaviour,
                    doers=r["rate_doers"],
                    others=r["rate_non_doers"],
                    day=drivers.retention_day,
                )
            )
            actions.append(t("brief.active.driver_action", behaviour=behaviour))
    actions.append(t("brief.see_review"))
    return Brief(
        t("brief.title", month=month),
        cards=cards,
        findings=findings,
        findings_title=t("brief.findings"),
        actions=actions,
        actions_title=t("brief.actions"),
        links=[(t("brief.review_link"), REVIEW_LINK)],
    )


def personas_brief(cards, *, month: str, owners: dict | None = None, limit: int = 6) -> Brief:
    """``03_personas`` on one screen: one card per persona (its users, share and share of
    revenue), the persona that brings the most revenue per user, and each persona's action."""
    rows = sorted(cards.cards, key=lambda c: -(c.users or 0))
    kpis = [
        Kpi(
            t("brief.personas.card", persona=c.persona, name=c.name),
            fmt(c.users, "count"),
            t("brief.personas.card_change", share=c.user_share, revenue=c.revenue_share),
            note=c.subtitle,
        )
        for c in rows[:limit]
    ]
    findings = []
    valued = [c for c in rows if c.user_share and c.revenue_share is not None]
    if valued:
        top = max(valued, key=lambda c: c.revenue_share / c.user_share)
        findings.append(
            t(
                "brief.personas.top",
                name=top.name,
                share=top.user_share,
                revenue=top.revenue_share,
            )
        )
        low = min(valued, key=lambda c: c.revenue_share / c.user_share)
        if low is not top:
            findings.append(
                t(
                    "brief.personas.low",
                    name=low.name,
                    share=low.user_share,
                    revenue=low.revenue_share,
                )
            )
    findings.append(t("brief.personas.count", k=len(rows), users=cards.n_users))
    owners = {str(k): str(v) for k, v in (owners or {}).items()}
    actions = []
    for c in rows[:limit]:
        if not c.action_text:
            continue
        owner = next((owners[k] for k in (str(c.persona), c.name, "persona") if k in owners), "")
        actions.append(
            t("brief.personas.action", name=c.name, action=c.action_text.rstrip("."), owner=owner)
            if owner
            else t("brief.personas.action_no_owner", name=c.name, action=c.action_text.rstrip("."))
        )
    return Brief(
        t("brief.title", month=month),
        cards=kpis,
        findings=findings,
        findings_title=t("brief.findings"),
        actions=actions,
        actions_title=t("brief.actions"),
        links=[(t("brief.review_link"), REVIEW_LINK)],
    )

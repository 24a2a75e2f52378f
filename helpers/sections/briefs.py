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
from helpers.display.labels import label as column_label
from helpers.display.labels import value_text
from helpers.display.text import join_words, t
from helpers.plots.activity import behaviour_label
from helpers.sections.tag_health import health_finding

__all__ = [
    "audit_brief",
    "active_users_brief",
    "personas_brief",
    "ab_brief",
    "churn_brief",
    "REVIEW_LINK",
]

#: The monthly review beside the detailed reports (the action plan lives there).
REVIEW_LINK = "07_persona_review.html"


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


def _brief(title: str, cards, findings, actions, *, review_link: bool = True) -> Brief:
    """A report's brief with the house titles, linked to the monthly review's action plan."""
    return Brief(
        title,
        cards=cards,
        findings=findings,
        findings_title=t("brief.findings"),
        actions=actions,
        actions_title=t("brief.actions"),
        links=[(t("brief.review_link"), REVIEW_LINK)] if review_link else [],
    )


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
        days = join_words(
            t(
                "review.quality.flag_day",
                day=f.day,
                source=f.source,
                flag=t(f"audit.flag.{f.flag}"),
            )
            for f in q.flags[:3]
        )
        findings.append(t("brief.audit.flags", n=len(q.flags), days=days))
        actions.append(t("brief.audit.check_days", days=days))
    if not findings:
        findings.append(t("brief.audit.clean"))
    if not actions:
        actions.append(t("brief.audit.nothing"))
    return _brief(t("brief.title", month=month), cards, findings, actions, review_link=False)


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
    return _brief(t("brief.title", month=month), cards, findings, actions)


def personas_brief(
    cards, *, month: str, owners: dict | None = None, limit: int = 6, tag_health=None
) -> Brief:
    """``03_personas`` on one screen: one card per persona (its users, share and share of
    revenue), the persona that brings the most revenue per user, the tags that need attention
    (``tag_health``: :func:`helpers.sections.tag_health.tag_health`), and each persona's action."""
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
    if finding := health_finding(tag_health):
        findings.append(finding)
    owners = {str(k): str(v) for k, v in (owners or {}).items()}
    actions = []
    for c in rows[:limit]:
        if not c.action_text:
            continue
        owner = next((owners[k] for k in (str(c.persona), c.name, "persona") if k in owners), "")
        owner = value_text(owner) if owner else ""
        actions.append(
            t("brief.personas.action", name=c.name, action=c.action_text.rstrip("."), owner=owner)
            if owner
            else t("brief.personas.action_no_owner", name=c.name, action=c.action_text.rstrip("."))
        )
    return _brief(t("brief.title", month=month), kpis, findings, actions)


_DECISION_TONE = {
    "ship": "good",
    "do not ship": "bad",
    "invalid": "bad",
    "keep running": "neutral",
}


def _owner(owners: dict | None, *keys) -> str:
    owners = {str(k): str(v) for k, v in (owners or {}).items()}
    return next((owners[k] for k in keys if k in owners), "")


def ab_brief(readout, *, month: str, diagnosis=None, owners: dict | None = None) -> Brief:
    """``06_ab_readout`` on one screen: the decision, the users per arm, and either the primary
    lift with its interval and the smallest detectable lift, or (invalid) the users missing
    from the short arm; the reasons and the one thing to do."""
    from helpers.analysis.experiments.decision import SHIP
    from helpers.sections.ab_diagnosis import diagnosis_sentence
    from helpers.sections.ab_evidence import power_sentence
    from helpers.sections.ab_readout import decision_reasons, decision_word, is_invalid

    d = readout.decision
    res = readout.results
    primary = (readout.settings.get("primary") or [res["metric"].iloc[0]])[0]
    rows = res[res["metric"] == primary]
    arms = " / ".join(fmt(n, "count") for n in rows["n"])
    cards = [
        Kpi(t("brief.ab.decision"), decision_word(d), tone=_DECISION_TONE.get(d.code, "neutral")),
        Kpi(
            t("brief.ab.users"),
            arms,
            note=" / ".join(str(v) for v in rows["variant"]),
        ),
    ]
    findings = list(decision_reasons(readout))[:2]
    name = readout.experiment
    if is_invalid(readout):
        short = getattr(diagnosis, "short_arm", None)
        if diagnosis is not None and short is not None:
            cards.append(
                Kpi(
                    t("brief.ab.missing", arm=short),
                    fmt(diagnosis.missing, "count"),
                    t("brief.ab.missing_share", share=diagnosis.shortfall),
                    "bad",
                )
            )
            findings.append(diagnosis_sentence(diagnosis))
            action = t(
                "review.plan.fix",
                experiment=name,
                diagnosis=t(
                    "review.plan.fix.arm",
                    arm=short,
                    users=diagnosis.observed,
                    expected=diagnosis.expected,
                    missing=diagnosis.shortfall,
                ),
            )
        else:
            action = t("review.plan.fix", experiment=name, diagnosis=t("review.plan.fix.checks"))
        owner = _owner(owners, "experiment")
    else:
        treated = rows[rows["variant"] != readout.control]
        if len(treated):
            r = treated.iloc[0]
            cards.append(
                Kpi(
                    t("brief.ab.lift", metric=metric_name(primary), variant=r["variant"]),
                    fmt(r["lift_rel"], "change"),
                    t("brief.ab.ci", low=r["ci_rel_low"], high=r["ci_rel_high"]),
                    _tone(r["lift_rel"]) if r["p_decision"] < 0.05 else "neutral",
                    t("brief.ab.p", p=r["p_value_rel"]),
                )
            )
            cards.append(
                Kpi(t("brief.ab.mde"), fmt(r["mde_rel"], "share"), note=t("brief.ab.mde_note"))
            )
            findings.append(power_sentence(readout, r.to_dict()))
        if d.code == SHIP:
            action = t("review.plan.ship", experiment=name, variant=d.variant)
        elif d.code == "do not ship":
            action = t("brief.ab.stop", experiment=name)
        else:
            action = t("brief.ab.keep", experiment=name)
        owner = _owner(owners, "experiment")
    action = (
        action.rstrip(".。") + (t("brief.ab.owner", owner=owner) if owner else "") + t("list.end")
    )
    return _brief(t("brief.ab.title", experiment=name, month=month), cards, findings, [action])


def metric_name(metric: str) -> str:
    from helpers.sections.ab_readout import metric_label

    return metric_label(metric)


def churn_brief(
    *,
    month: str,
    risk_table=None,
    risk=None,
    drivers: pd.DataFrame | None = None,
    km_persona=None,
    recoverable_days: int = 7,
    label=None,
    owners: dict | None = None,
) -> Brief:
    """``04_churn`` on one screen: who can still be saved and what they are worth over the
    risk's 30 days, who has already gone, whether the risk model beats recency alone, the
    persona with the shortest lives and the lever a team can pull. Sections the data could not
    support (an ``Unavailable``) are left out."""
    label = label or column_label
    cards, findings, actions = [], [], []
    if isinstance(risk_table, pd.DataFrame) and "status" in risk_table.columns:
        rec = risk_table[risk_table["status"] == "recoverable"]
        lapsed = risk_table[risk_table["status"] == "lapsed"]
        stake = (
            float(rec["revenue_at_stake_30d"].sum())
            if "revenue_at_stake_30d" in rec.columns
            else float("nan")
        )
        cards += [
            Kpi(
                t("brief.churn.recoverable"),
                fmt(len(rec), "count"),
                t("brief.churn.recoverable_note", days=recoverable_days),
            ),
            Kpi(
                t("brief.churn.stake"),
                fmt(stake, "money", digits=0),
                note=t("brief.churn.stake_note"),
            ),
            Kpi(
                t("brief.churn.lapsed"),
                fmt(len(lapsed), "count"),
                note=t("brief.churn.lapsed_note"),
            ),
        ]
        findings.append(
            t("brief.churn.split", rec=len(rec), days=recoverable_days, lapsed=len(lapsed))
        )
        if len(rec):
            actions.append(
                t("brief.churn.save", n=len(rec), owner=_owner(owners, "persona") or "–")
            )
    backtest = getattr(risk, "backtest_", None) if risk else None
    if backtest is not None and not is_missing(getattr(backtest, "auc", float("nan"))):
        beats = backtest.beats_baseline
        cards.append(
            Kpi(
                t("brief.churn.auc"),
                fmt(backtest.auc, "score"),
                t("brief.churn.baseline", auc=backtest.baseline_auc),
                "good" if beats else "bad",
            )
        )
        findings.append(
            t(
                "brief.churn.beats" if beats else "brief.churn.not_beats",
                auc=backtest.auc,
                baseline=backtest.baseline_auc,
            )
        )
    summary = getattr(km_persona, "summary_", None) if km_persona else None
    if isinstance(summary, pd.DataFrame) and len(summary) and "median_days" in summary:
        finite = summary[summary["median_days"].apply(lambda x: x == x and x != float("inf"))]
        if len(finite):
            short = finite.loc[finite["median_days"].idxmin()]
            findings.append(
                t("brief.churn.shortest", group=short["group"], days=short["median_days"])
            )
    if isinstance(drivers, pd.DataFrame) and len(drivers) and "kind" in drivers.columns:
        levers = drivers[(drivers["kind"] == "attribute") & (drivers["hr_upper"] < 1)]
        if len(levers):
            r = levers.sort_values("hr").iloc[0]
            name = label(r["covariate"])
            findings.append(
                t(
                    "brief.churn.lever",
                    attribute=name,
                    hr=r["hr"],
                    lo=r["hr_lower"],
                    hi=r["hr_upper"],
                )
            )
            actions.append(
                t(
                    "brief.churn.lever_action",
                    attribute=name,
                    owner=_owner(owners, "churn_driver") or "–",
                )
            )
    if not findings:
        findings.append(t("brief.churn.none"))
    return _brief(
        t("brief.title", month=month), cards, findings, actions or [t("brief.see_review")]
    )

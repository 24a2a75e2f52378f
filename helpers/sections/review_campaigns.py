"""The monthly review's "did last month's actions work?": each campaign of the month read out
against its holdout (:mod:`helpers.analysis.campaigns.readout`), its decision, and
``artifacts/campaigns.csv``.

The contacts come from ``sources.campaigns`` and the kit's campaign log
(:func:`helpers.data.campaigns.campaign_contacts`); the effect per persona uses the personas of
the month each audience was chosen in (the month before its send day), read from that month's
``personas.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.analysis.campaigns.readout import (
    MIN_USERS,
    PRIMARY,
    CampaignReview,
    campaign_review,
)
from helpers.core import schema as s
from helpers.core.errors import DataError
from helpers.core.io import read_artifact_csv
from helpers.core.time import shift_month
from helpers.data.campaigns import campaign_contacts
from helpers.display.blocks import Details, Note, Paragraph, Stack
from helpers.display.format import fmt
from helpers.display.registry import renders
from helpers.display.table import Table
from helpers.display.text import join_sentences, join_words, t, tn

__all__ = [
    "CAMPAIGNS_FILE",
    "CampaignSection",
    "campaign_section",
    "audience_label",
    "campaign_sentence",
    "campaign_things",
    "not_read_reason",
]

CAMPAIGNS_FILE = "campaigns.csv"


@dataclass
class CampaignSection:
    """The month's campaign readouts, or why there are none (``problem``: a sentence)."""

    month: str
    review: CampaignReview | None
    known: int = 0
    problem: str = ""
    holdout_share: float = 0.1
    notes: list[str] = field(default_factory=list)
    min_lift: float = 0.02
    min_window_days: int = 14

    @property
    def campaigns(self) -> list:
        return list(self.review.campaigns) if self.review is not None else []


def audience_label(readout) -> str:
    """The audience of a campaign in words: every part of its definition when the kit exported
    it, else its size and the persona most of its users had in the audience month."""
    d = dict(getattr(readout.info, "definition", {}) or {})
    parts = []
    if d.get("at_risk"):
        parts.append(t("campaigns.audience.at_risk"))
    if "persona" in d:
        parts.append(t("campaigns.audience.persona", persona=d["persona"]))
    if "tag" in d:
        parts.append(t("campaigns.audience.tag", tag=d["tag"]))
    if parts:
        return join_words(parts)
    users = readout.treat_users + readout.holdout_users
    counts = getattr(readout, "persona_counts", None)
    if counts is not None and len(counts) and users:
        top = counts.idxmax()
        return t("campaigns.audience.largest", users=users, persona=top, share=counts[top] / users)
    return t("campaigns.audience.users", users=users)


def not_read_reason(r) -> str:
    """Why a campaign was not read out, in one sentence."""
    users = r.treat_users + r.holdout_users
    return t(
        f"campaigns.reason.{r.status}",
        treat_users=r.treat_users,
        holdout_users=r.holdout_users,
        users=users,
        observed=r.holdout_users / users if users else float("nan"),
        planned=r.planned_share,
        p=r.srm_p,
        min_users=MIN_USERS,
        known=r.known_share,
        example=r.example_unknown,
        days=(r.end - r.start).days + 1,
    )


def _split(r) -> str:
    users = r.treat_users + r.holdout_users
    if not np.isfinite(r.planned_share) or not users:
        return ""
    return t(
        f"campaigns.split.{r.planned_from}",
        held=r.holdout_users,
        users=users,
        observed=r.holdout_users / users,
        planned=r.planned_share,
        p=r.srm_p,
    )


def campaign_sentence(r) -> str:
    """One sentence per campaign: its reactivation against the holdout, the split check and
    the decision."""
    if r.status != "read":
        return t(
            "campaigns.sentence.not_read",
            campaign=r.name,
            audience=audience_label(r),
            sent=r.start,
            reason=not_read_reason(r),
        )
    m = r.metric(PRIMARY)
    decision = t(f"campaigns.decision.{r.decision}")
    if r.reason:
        decision = t(f"campaigns.decision.{r.decision}.{r.reason}", decision=decision)
    return join_sentences(
        [
            t(
                "campaigns.sentence",
                campaign=r.name,
                audience=audience_label(r),
                sent=r.start,
                treat=m["treat_mean"],
                treat_users=r.treat_users,
                holdout=m["holdout_mean"],
                holdout_users=r.holdout_users,
                lift=m["lift_abs"],
                low=m["ci_low"],
                high=m["ci_high"],
                p=m["p_value"],
            ),
            _split(r),
            t("campaigns.sentence.decision", decision=decision),
        ]
    )


def campaign_things(section) -> list[str]:
    """One short sentence per campaign read out this month, for the review's three things."""
    out = []
    for r in getattr(section, "campaigns", []) or []:
        if r.status != "read":
            out.append(
                t(
                    "campaigns.thing.not_read",
                    campaign=r.name,
                    sent=r.start,
                    why=t(f"campaigns.thing.why.{r.status}"),
                )
            )
            continue
        m = r.metric(PRIMARY)
        out.append(
            t(
                "campaigns.thing",
                campaign=r.name,
                audience=audience_label(r),
                sent=r.start,
                lift=m["lift_abs"],
                low=m["ci_low"],
                high=m["ci_high"],
                decision=t(f"campaigns.decision.{r.decision}"),
            )
        )
    return out


def _personas_of(reports_root: Path, month: str) -> pd.DataFrame | None:
    df = read_artifact_csv(reports_root / month / "artifacts", "personas.csv")
    if df is None or s.PERSONA not in df.columns:
        return None
    cols = [c for c in (s.USER_ID, s.PERSONA, "persona_name") if c in df.columns]
    return df[cols]


def _issue(code: str, values: dict) -> str:
    if code == "missing_file" or code == "bad_file":
        values = {**values, "file": Path(values["file"]).name}
    return t(f"campaigns.issue.{code}", **values)


def campaign_section(ctx) -> CampaignSection:
    """Read out the month's campaigns and write ``artifacts/campaigns.csv`` (its columns and no
    row when there is nothing to read out). Problems in the contacts become notes; a contacts
    source that cannot be read at all (a group word it does not know) is the section's one
    sentence, and the rest of the review runs."""
    cfg = ctx.config.campaigns
    try:
        contacts = campaign_contacts(ctx.project)
    except DataError as exc:
        ctx.write_csv(CampaignReview(ctx.month, []).table(), CAMPAIGNS_FILE)
        return CampaignSection(ctx.month, None, problem=str(exc))
    reports_root = Path(ctx.out_dir).parent
    cache: dict[str, pd.DataFrame | None] = {}

    def personas(info):
        month = info.audience_month or shift_month(info.sent_day.strftime("%Y-%m"), -1)
        if month not in cache:
            cache[month] = _personas_of(reports_root, month)
        return cache[month]

    review = campaign_review(
        contacts,
        ctx.project.user_day,
        month=ctx.month,
        as_of=ctx.as_of,
        readout_months=cfg.readout_months,
        personas=personas,
        planned_share=cfg.holdout,
        min_window_days=cfg.min_window_days,
        min_lift=cfg.min_lift,
    )
    ctx.write_csv(review.table(), CAMPAIGNS_FILE)
    read = {r.name for r in review.campaigns}
    notes = [
        _issue(code, v)
        for code, v in contacts.issues
        if "campaign" not in v or v["campaign"] in read
    ]
    notes += [
        t("campaigns.file_changed", campaign=r.name, file=Path(r.info.file).name)
        for r in review.campaigns
        if getattr(r.info, "file_changed", False)
    ]
    return CampaignSection(
        ctx.month,
        review,
        known=len(contacts),
        holdout_share=cfg.holdout,
        notes=notes,
        min_lift=cfg.min_lift,
        min_window_days=cfg.min_window_days,
    )


def _table(section: CampaignSection) -> pd.DataFrame:
    rows = []
    for r in section.campaigns:
        m = r.metric(PRIMARY)
        rows.append(
            {
                "campaign": r.name,
                "campaign_audience": audience_label(r),
                "sent_on": r.start,
                "treat_users": r.treat_users,
                "holdout_users": r.holdout_users,
                "treat_rate": m.get("treat_mean"),
                "holdout_rate": m.get("holdout_mean"),
                "lift_ci_pp": t(
                    "campaigns.lift_ci.rate",
                    lift=m["lift_abs"],
                    low=m["ci_low"],
                    high=m["ci_high"],
                )
                if m
                else "",
                "campaign_decision": t(f"campaigns.decision.{r.decision}"),
            }
        )
    return pd.DataFrame(rows)


def _metrics_table(section: CampaignSection) -> pd.DataFrame:
    """Every metric of every campaign, each value in its own unit (shares and points for the
    two rates, money for revenue per user), as text."""
    rows = []
    for r in section.campaigns:
        for m in r.metrics.to_dict("records") if len(r.metrics) else []:
            rate = m["metric"] != "revenue_per_user"
            rows.append(
                {
                    "campaign": r.name,
                    "campaign_metric": t(f"campaigns.metric.{m['metric']}"),
                    "treat_value": fmt(m["treat_mean"], "share" if rate else "money"),
                    "holdout_value": fmt(m["holdout_mean"], "share" if rate else "money"),
                    "lift_ci_pp": t(
                        f"campaigns.lift_ci.{'rate' if rate else 'money'}",
                        lift=m["lift_abs"],
                        low=m["ci_low"],
                        high=m["ci_high"],
                    ),
                    "p_value": m["p_value"],
                }
            )
    return pd.DataFrame(rows)


def _persona_table(section: CampaignSection) -> pd.DataFrame:
    frames = []
    for r in section.campaigns:
        if len(r.by_persona):
            frames.append(r.by_persona.assign(campaign=r.name))
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    return pd.DataFrame(
        {
            "campaign": df["campaign"],
            "persona_name": [f"{int(p)}. {n}" for p, n in zip(df[s.PERSONA], df["persona_name"])],
            "treat_users": df["treat_users"],
            "holdout_users": df["holdout_users"],
            "treat_rate": df["treat_mean"],
            "holdout_rate": df["holdout_mean"],
            "lift_ci_pp": [
                t("campaigns.lift_ci.rate", lift=a, low=b, high=c)
                for a, b, c in zip(df["lift_abs"], df["ci_low"], df["ci_high"])
            ],
        }
    )


@renders(CampaignSection)
def _campaign_section(section: CampaignSection):
    if section.problem:
        return Note(section.problem, kind="warning")
    if section.known == 0:
        return Note(t("campaigns.none"), kind="missing")
    if not section.campaigns:
        return Note(
            tn("campaigns.none_this_month", section.known, month=section.month), kind="info"
        )
    metrics, personas = _metrics_table(section), _persona_table(section)
    return Stack.of(
        Paragraph(
            join_sentences(
                [tn("campaigns.lead", len(section.campaigns), month=section.month)]
                + [campaign_sentence(r) for r in section.campaigns]
            )
        ),
        *[Note(n, kind="warning") for n in section.notes],
        Table(
            _table(section),
            caption=t("campaigns.table.caption", month=section.month),
            note=t("campaigns.note", min_lift=section.min_lift, days=section.min_window_days),
            collapse=False,
        ),
        Details(
            t("campaigns.metrics.summary"),
            Table(metrics, caption=t("campaigns.metrics.caption")),
        )
        if len(metrics)
        else None,
        Details(
            t("campaigns.persona.summary"),
            Table(personas, caption=t("campaigns.persona.caption")),
        )
        if len(personas)
        else None,
    )

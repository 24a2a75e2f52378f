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

import pandas as pd

from helpers.analysis.campaigns.readout import (
    PRIMARY,
    CampaignReview,
    campaigns_in_month,
    read_campaign,
)
from helpers.core import schema as s
from helpers.core.errors import DataError
from helpers.core.io import read_artifact_csv
from helpers.core.time import shift_month
from helpers.data.campaigns import campaign_contacts
from helpers.display.blocks import Details, Note, Paragraph, Stack
from helpers.display.registry import renders
from helpers.display.table import Table
from helpers.display.text import join_sentences, t, tn

__all__ = [
    "CAMPAIGNS_FILE",
    "CampaignSection",
    "campaign_section",
    "audience_label",
    "campaign_sentence",
    "campaign_things",
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

    @property
    def campaigns(self) -> list:
        return list(self.review.campaigns) if self.review is not None else []


def audience_label(readout) -> str:
    """The audience of a campaign in words: its definition when the kit exported it, else the
    number of contacts and the persona most of them had."""
    d = dict(getattr(readout.info, "definition", {}) or {})
    if d.get("at_risk") and "persona" in d:
        return t("campaigns.audience.at_risk_persona", persona=d["persona"])
    if d.get("at_risk"):
        return t("campaigns.audience.at_risk")
    if "tag" in d:
        return t("campaigns.audience.tag", tag=d["tag"])
    if "persona" in d:
        return t("campaigns.audience.persona", persona=d["persona"])
    users = readout.treat_users + readout.holdout_users
    mostly = _main_persona(readout)
    if mostly is not None:
        return t("campaigns.audience.mostly", users=users, persona=mostly)
    return t("campaigns.audience.contacts", users=users)


def _main_persona(readout) -> str | None:
    """The persona (``"2. Deal hunters"``) of most contacts that had a persona in the audience
    month (at least half of them), from the readout's effect per persona; None otherwise."""
    df = getattr(readout, "by_persona", None)
    if df is None or not len(df):
        return None
    sizes = df["treat_users"] + df["holdout_users"]
    top = sizes.idxmax()
    if sizes.loc[top] < 0.5 * sizes.sum():
        return None
    row = df.loc[top]
    return f"{int(row[s.PERSONA])}. {row['persona_name']}"


def _reason(r) -> str:
    users = r.treat_users + r.holdout_users
    share = getattr(r.info, "holdout_share", None)
    return t(
        f"campaigns.reason.{r.status}",
        treat_users=r.treat_users,
        holdout_users=r.holdout_users,
        users=users,
        observed=r.holdout_users / users if users else float("nan"),
        planned=share if share is not None else float("nan"),
        p=r.srm_p,
    )


def campaign_sentence(r) -> str:
    """One sentence per campaign: its reactivation against the holdout and the decision."""
    if r.status != "read":
        return t(
            "campaigns.sentence.not_read",
            campaign=r.name,
            audience=audience_label(r),
            sent=r.start,
            reason=_reason(r),
        )
    m = r.metric(PRIMARY)
    return t(
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
        decision=t(f"campaigns.decision.{r.decision}"),
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


def campaign_section(ctx) -> CampaignSection:
    """Read out the month's campaigns and write ``artifacts/campaigns.csv`` (its columns and no
    row when there is nothing to read out)."""
    cfg = ctx.config
    try:
        contacts = campaign_contacts(ctx.project)
    except DataError as exc:
        section = CampaignSection(ctx.month, None, problem=str(exc))
        ctx.write_csv(CampaignReview(ctx.month, []).table(), CAMPAIGNS_FILE)
        return section
    reports_root = Path(ctx.out_dir).parent
    by_month: dict[str, pd.DataFrame | None] = {}
    for info in contacts.info.values():
        month = info.audience_month or shift_month(info.sent_day.strftime("%Y-%m"), -1)
        if month not in by_month:
            by_month[month] = _personas_of(reports_root, month)
    review = CampaignReview(ctx.month, [])
    names = campaigns_in_month(
        contacts, ctx.month, readout_months=cfg.campaigns.readout_months, as_of=ctx.as_of
    )
    for name in names:
        info = contacts.info[name]
        month = info.audience_month or shift_month(info.sent_day.strftime("%Y-%m"), -1)
        review.campaigns.append(
            read_campaign(
                name,
                contacts,
                ctx.project.user_day,
                month=ctx.month,
                as_of=ctx.as_of,
                personas=by_month.get(month),
            )
        )
    ctx.write_csv(review.table(), CAMPAIGNS_FILE)
    notes = [
        t("campaigns.file_changed", campaign=r.name, file=Path(r.info.file).name)
        for r in review.campaigns
        if getattr(r.info, "file_changed", False)
    ]
    return CampaignSection(
        ctx.month,
        review,
        known=len(contacts),
        holdout_share=cfg.campaigns.holdout,
        notes=notes,
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
                    "campaigns.lift_ci", lift=m["lift_abs"], low=m["ci_low"], high=m["ci_high"]
                )
                if m
                else "",
                "campaign_decision": t(f"campaigns.decision.{r.decision}"),
            }
        )
    return pd.DataFrame(rows)


def _metrics_table(section: CampaignSection) -> pd.DataFrame:
    frames = []
    for r in section.campaigns:
        if not len(r.metrics):
            continue
        m = r.metrics.copy()
        m.insert(0, "campaign", r.name)
        m["campaign_metric"] = [t(f"campaigns.metric.{x}") for x in m["metric"]]
        frames.append(m)
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    cols = ["campaign", "campaign_metric", "treat_users", "holdout_users", "treat_mean"]
    cols += ["holdout_mean", "lift_abs", "ci_low", "ci_high", "p_value"]
    return df[cols]


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
            "lift_pp": df["lift_abs"],
            "ci_low_pp": df["ci_low"],
            "ci_high_pp": df["ci_high"],
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
            note=t("campaigns.note"),
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

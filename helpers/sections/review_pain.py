"""The pain points of the monthly review (``07_persona_review``): what ``05_pain_points`` found,
one sentence each with its owner, most users hurt first. Each becomes a row of the action list
(``source = pain_point``, :func:`helpers.analysis.action_plan.pain_point_actions`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.analysis.action_plan import PAIN_COLUMNS
from helpers.core.io import read_artifact_csv
from helpers.display.blocks import Callout, Note
from helpers.display.registry import renders
from helpers.display.text import join_sentences, t, tn

__all__ = ["PAIN_FILE", "PainSection", "pain_section", "top_pain_points"]

PAIN_FILE = "pain_findings.csv"
SHOWN = 5
_KIND_ORDER = {"feedback": 0, "funnel": 1, "path": 2}


def top_pain_points(findings: pd.DataFrame | None, n: int = SHOWN) -> pd.DataFrame:
    """The pain points to name first: one per persona from the feedback, then the funnels'
    and the paths', each group by the users it hurts (most first); at most ``n``."""
    if findings is None or findings.empty:
        return pd.DataFrame(columns=list(PAIN_COLUMNS))
    f = findings.assign(
        _k=findings["kind"].map(_KIND_ORDER).fillna(9),
        _u=pd.to_numeric(findings["users"], errors="coerce").fillna(0),
    )
    f = f.sort_values(["_k", "_u"], ascending=[True, False], kind="stable")
    return f.drop(columns=["_k", "_u"]).head(n).reset_index(drop=True)


@dataclass
class PainSection:
    """This month's pain points (``pain_findings.csv``), or None when 05 did not run."""

    month: str
    findings: pd.DataFrame | None

    @property
    def top(self) -> pd.DataFrame:
        return top_pain_points(self.findings)


def pain_section(ctx) -> PainSection:
    """The month's pain points from ``artifacts/pain_findings.csv`` (None when missing)."""
    return PainSection(ctx.month, read_artifact_csv(ctx.artifacts, PAIN_FILE))


def _line(row) -> str:
    owner = str(row.get("owner") or "").strip()
    who = t("pain.owner", owner=owner) if owner and owner != "nan" else t("pain.no_owner")
    return join_sentences([str(row["sentence"]), who])


@renders(PainSection)
def _pain_block(section: PainSection):
    if section.findings is None:
        return Note(t("review.pain.missing"), kind="missing")
    top = section.top
    if top.empty:
        return Note(t("review.pain.none", month=section.month), kind="info")
    return Callout(
        tn("review.pain.title", len(section.findings), month=section.month),
        [_line(r) for r in top.to_dict("records")],
        tone="warning",
    )

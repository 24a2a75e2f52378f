"""What the ``07_persona_review`` notebook shows: the month on one page.

- :func:`data_quality`: whether to trust the month, from the month's ``audit.json``
  (:func:`helpers.data.month_quality.month_quality`), shown as a box with its reasons.
- :func:`kpi_review`: headline KPIs of the month and the month before
  (:mod:`helpers.analysis.kpis`), each with a one-sentence reading.
- :func:`experiment_lines`: each A/B readout of the month in one line.
- :func:`record_review`: the headline numbers recorded for the month's index.

The personas of the month against last month's and the action list are
:mod:`helpers.sections.review_personas`. Every part degrades to a
:class:`~helpers.display.blocks.Note` when its input artifact is missing, so the notebook stays
linear. Reading artifacts happens in the ``read_*`` functions; the rest are pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers.analysis.actions import ActionList
from helpers.analysis.experiments import decision as dc
from helpers.analysis.experiments.health import INVALID
from helpers.analysis.kpis import KpiReview
from helpers.analysis.segments.migration import MonthComparison
from helpers.core.io import read_artifact_json
from helpers.core.metrics import metrics_path, read_metrics
from helpers.data.audit import Audit
from helpers.data.month_quality import MonthQuality, month_quality
from helpers.display.blocks import Bullets, Callout, Note
from helpers.display.format import fmt, is_missing
from helpers.display.registry import renders
from helpers.display.table import Table
from helpers.display.text import join_clauses, join_words, t
from helpers.sections.ab_readout import check_name, decision_word, metric_label

__all__ = [
    "KPI_KIND",
    "read_audit",
    "read_experiments",
    "data_quality",
    "quality_reasons",
    "quality_sentence",
    "quality_summary",
    "kpi_reading",
    "ExperimentLines",
    "experiment_lines",
    "RecordedNumbers",
    "recorded_numbers",
    "record_review",
]

#: how each KPI's value is shown (a kind of helpers.display.format)
KPI_KIND = {
    "active_users": "count",
    "stickiness": "share",
    "quick_ratio": "ratio",
    "revenue_per_active_user": "money",
    "churn_risk_share": "share",
}


# --- reading artifacts (the edge) ------------------------------------------------------------------
def read_audit(artifacts: str | Path) -> Audit | None:
    """The month's ``artifacts/audit.json`` (written by ``01_data_audit``), or None."""
    data = read_artifact_json(artifacts, "audit.json")
    return None if data is None else Audit.from_json(data)


def read_experiments(artifacts: str | Path) -> list[dict]:
    """Every ``ab_<experiment>.json`` readout of a month, sorted by name."""
    return [
        read_artifact_json(artifacts, p.name) for p in sorted(Path(artifacts).glob("ab_*.json"))
    ]


# --- data quality ----------------------------------------------------------------------------------
def data_quality(
    audit: Audit | None, *, month: str, ledger=None, **thresholds
) -> MonthQuality | Note:
    """:func:`helpers.data.month_quality.month_quality` of the month's audit (on the month's own
    rows when ``01_data_audit`` wrote their ledger), or a Note without an audit."""
    if audit is None:
        return Note(t("review.quality.no_audit"))
    return month_quality(audit, month=month, ledger=ledger, **thresholds)


def quality_reasons(q: MonthQuality) -> list[str]:
    """The findings behind the verdict, worst first, in words."""
    score = (
        [t("review.quality.reason.score_below", threshold=q.score_below)]
        if q.score_below is not None
        else []
    )
    out = score if q.score_level == "poor" else []
    if q.unbalanced:
        out.append(t("review.quality.reason.unbalanced", sources=join_words(q.unbalanced)))
    if q.score_level != "poor":
        out += score
    worst = getattr(q, "worst", None)
    if worst is not None and worst.share > 0:
        parts = join_words(
            t("review.quality.part", share=share, reason=t(f"audit.month.reason.{code}"))
            for code, share in worst.parts[:3]
        )
        out.append(
            t(
                "review.quality.reason.worst",
                share=worst.share,
                source=worst.source,
                parts=parts,
            )
        )
    if getattr(q, "no_time", 0):
        out.append(t("review.quality.reason.no_time", n=q.no_time))
    if q.flags:
        days = [
            t(
                "review.quality.flag_day",
                day=f.day,
                source=f.source,
                flag=t(f"audit.flag.{f.flag}"),
            )
            for f in q.flags[:4]
        ]
        out.append(t("review.quality.reason.volume", days=join_words(days)))
    out += [
        t("review.quality.reason.stitching", share=cov, source=name)
        for name, cov in q.low_stitching
    ]
    return out


def quality_sentence(q: MonthQuality) -> str:
    """The verdict and the score in one sentence, e.g. "Read this month with care (data-quality
    score 99.0/100)."."""
    verdict = t(f"review.quality.verdict.{q.status}")
    if is_missing(q.score):
        return t("review.quality.sentence_no_score", verdict=verdict)
    if getattr(q, "scope", "window") == "month" and not is_missing(q.window_score):
        return t(
            "review.quality.sentence_month",
            verdict=verdict,
            score=q.score,
            window_score=q.window_score,
        )
    return t("review.quality.sentence", verdict=verdict, score=q.score)


def quality_summary(q: MonthQuality) -> str:
    """The verdict, the score and the reasons in one sentence (the note of the recorded verdict)."""
    reasons = quality_reasons(q)
    if not reasons:
        return quality_sentence(q)
    return t(
        "review.quality.with_reasons", sentence=quality_sentence(q), reasons=join_clauses(reasons)
    )


def quality_card(q) -> str:
    """The verdict for a KPI card, e.g. "good (97.9/100)"; empty without an audit."""
    if not isinstance(q, MonthQuality):
        return ""
    status = t(f"review.quality.status.{q.status}")
    if is_missing(q.score):
        return status
    return t("review.quality.card", status=status, score=q.score)


_TONE = {"good": "good", "caution": "warning", "poor": "bad"}


@renders(MonthQuality)
def _quality(q: MonthQuality) -> Callout:
    return Callout(
        t("review.quality.title", status=t(f"review.quality.status.{q.status}")),
        [quality_sentence(q), *quality_reasons(q)],
        tone=_TONE[q.status],
    )


# --- KPIs ------------------------------------------------------------------------------------------
def _change(row, previous_month: str) -> str:
    kind = KPI_KIND[row.kpi]
    if row.unit == "relative" and not is_missing(row.change_pct):
        return t(
            "review.change.relative",
            change=row.change_pct,
            previous_month=previous_month,
            previous=fmt(row.previous, kind),
        )
    if row.unit == "points" and not is_missing(row.change):
        return t(
            "review.change.points",
            change=row.change,
            previous_month=previous_month,
            previous=fmt(row.previous, kind),
        )
    return t("review.change.none", previous_month=previous_month)


def kpi_reading(review: KpiReview, kpi: str) -> str:
    """One KPI of the review in a sentence with its change.

    Examples
    --------
    >>> from helpers.analysis.kpis import MonthKpis, kpi_review
    >>> k = kpi_review(MonthKpis(active_users=110), MonthKpis(active_users=100),
    ...                month="2026-10", previous_month="2026-09")
    >>> kpi_reading(k, "active_users")
    '110 users were active in 2026-10, +10.0% vs 2026-09 (100).'
    """
    row = next(r for r in review.table.itertuples(index=False) if r.kpi == kpi)
    if is_missing(row.value):
        if kpi == "churn_risk_share":
            return t("review.reading.no_churn")
        return t("review.reading.missing", label=t(f"review.kpi.{kpi}"))
    key = f"review.reading.{kpi}"
    if kpi == "quick_ratio":
        key += ".up" if row.value > 1 else ".down"
    change = _change(row, review.previous_month)
    return t(key, value=row.value, month=review.month, change=change)


@renders(KpiReview)
def _kpis(review: KpiReview) -> Table:
    rows = []
    for r in review.table.itertuples(index=False):
        kind = KPI_KIND[r.kpi]
        if r.unit == "relative":
            change = fmt(r.change_pct, "change")
        else:
            change = fmt(r.change, "pp")
        rows.append(
            {
                "kpi": t(f"review.kpi.{r.kpi}"),
                "kpi_this_month": fmt(r.value, kind),
                "kpi_last_month": fmt(r.previous, kind),
                "kpi_change": change,
                "kpi_reading": kpi_reading(review, r.kpi),
            }
        )
    return Table(
        pd.DataFrame(rows),
        caption=t("review.kpis.caption", month=review.month, previous_month=review.previous_month),
    )


# --- experiments -----------------------------------------------------------------------------------
@dataclass
class ExperimentLines:
    """The experiment readouts of the month (:func:`experiment_lines`), one line each."""

    readouts: list

    @property
    def lines(self) -> list[str]:
        return [_one_line(r) for r in self.readouts]

    @property
    def health(self) -> list[str]:
        """``ok`` or ``failed`` per readout."""
        return ["failed" if _failed_checks(r) else "ok" for r in self.readouts]


def _failed_checks(readout: dict) -> list[str]:
    checks = readout.get("health_checks") or []
    return [c["check"] for c in checks if c.get("status") in ("fail", "warn", "warning")]


def decision_text(value: str) -> str:
    """A readout's stored decision (``"ship treatment"``, ``"do not ship"``...) in words.

    >>> decision_text("ship treatment"), decision_text("invalid"), decision_text("hold")
    ('ship treatment', 'invalid', 'hold')
    """
    for code in (dc.DO_NOT_SHIP, dc.KEEP_RUNNING, INVALID):
        if value == code:
            return decision_word(dc.Decision(code))
    if value.startswith(dc.SHIP + " "):
        return decision_word(dc.Decision(dc.SHIP, value[len(dc.SHIP) + 1 :]))
    return value


def lift_text(metric: str, variant: str, res: dict) -> str:
    """A primary metric's lift in words: relative lift, its 95% interval and p-value."""
    rel = (res.get("lift") or {}).get("rel")
    ci = (res.get("ci") or {}).get("rel")
    p = res.get("p_holm", res.get("p_value"))
    if is_missing(rel):
        return t("review.experiment.no_lift", metric=metric, variant=variant)
    if ci and not any(is_missing(x) for x in ci):
        return t(
            "review.experiment.lift_ci",
            metric=metric,
            variant=variant,
            lift=rel,
            low=ci[0],
            high=ci[1],
            p=p,
        )
    return t("review.experiment.lift", metric=metric, variant=variant, lift=rel)


def _one_line(readout: dict) -> str:
    decision = readout.get("decision", "")
    parts = [
        t(
            "review.experiment.head",
            experiment=readout.get("experiment", ""),
            decision=decision_text(decision),
        )
    ]
    if decision != INVALID:  # a broken assignment's lifts say nothing
        control = readout.get("control")
        metrics = readout.get("metrics") or {}
        for metric in (readout.get("settings") or {}).get("primary") or []:
            for variant, res in (metrics.get(metric) or {}).items():
                if variant != control and isinstance(res, dict) and "lift" in res:
                    parts.append(lift_text(metric_label(metric), variant, res))
    failed = _failed_checks(readout)
    parts.append(
        t("review.experiment.health_failed", checks=join_words(check_name(c) for c in failed))
        if failed
        else t("review.experiment.health_ok")
    )
    return join_clauses(parts) + t("list.end")


def experiment_lines(readouts: list[dict]) -> ExperimentLines | Note:
    """Each ``ab_<experiment>.json`` readout in one line: decision, primary lift with its 95% CI and
    Holm p-value (none for an invalid readout), and whether the health checks passed.

    Examples
    --------
    >>> r = {"experiment": "x", "decision": "ship treatment", "control": "control",
    ...      "settings": {"primary": ["converted"]},
    ...      "metrics": {"converted": {"control": {"n": 10}, "treatment": {"lift": {"rel": 0.2},
    ...                  "ci": {"rel": [0.1, 0.3]}, "p_holm": 0.001}}},
    ...      "health_checks": [{"check": "srm", "status": "ok"}]}
    >>> experiment_lines([r]).lines
    ['x: ship treatment; conversion treatment +20.0% (95% CI +10.0% to +30.0%, p-value 0.001); health checks ok.']
    """
    if not readouts:
        return Note(t("review.experiments.none"))
    return ExperimentLines(list(readouts))


@renders(ExperimentLines)
def _experiments(lines: ExperimentLines) -> Bullets:
    return Bullets(lines.lines)


# --- the headline numbers (the edge) ---------------------------------------------------------------
@dataclass
class RecordedNumbers:
    """The headline numbers a notebook recorded for the index page: ``metric`` (label),
    ``value`` (as the index shows it), ``note``."""

    rows: pd.DataFrame


@renders(RecordedNumbers)
def _recorded(numbers: RecordedNumbers) -> Table | Note:
    if numbers.rows.empty:
        return Note(t("review.recorded.none"), kind="info")
    return Table(numbers.rows, kinds={"value": "text"}, max_rows=len(numbers.rows))


def recorded_numbers(ctx) -> RecordedNumbers:
    """What ``ctx`` recorded so far (label, value as shown on the index, note)."""
    metrics = read_metrics(metrics_path(ctx.out_dir, ctx.name))
    rows = [{"metric": m.label, "value": m.display, "note": m.note} for m in metrics.values()]
    return RecordedNumbers(pd.DataFrame(rows, columns=["metric", "value", "note"]))


def record_review(ctx, *, kpis: KpiReview, quality, comparison, actions) -> RecordedNumbers:
    """Record the review's headline numbers: the KPIs, the data-quality verdict, personas kept,
    new, gone and drifted, and the at-risk users on the action list; returns them as a table."""
    for r in kpis.table.itertuples(index=False):
        change = r.change_pct if r.unit == "relative" else r.change
        note = (
            t(f"review.metric_note.{r.unit}", change=change, previous_month=kpis.previous_month)
            if not is_missing(change)
            else ""
        )
        value = None if is_missing(r.value) else r.value
        ctx.record(r.kpi, value, kind=KPI_KIND[r.kpi], note=note)
    if isinstance(quality, MonthQuality):
        ctx.record(
            "data_quality",
            quality.status,
            kind="text",
            display=t(f"review.quality.status.{quality.status}"),
            note=quality_summary(quality),
        )
    if isinstance(comparison, MonthComparison):
        tab = comparison.table
        for status in ("kept", "new", "gone"):
            ctx.record(f"personas_{status}", int((tab["status"] == status).sum()), kind="count")
        ctx.record("personas_drifted", int(tab["drifted"].sum()), kind="count")
    if isinstance(actions, ActionList):
        ctx.record("at_risk_users", actions.at_risk_users, kind="count")
    return recorded_numbers(ctx)

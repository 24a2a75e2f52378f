"""What the ``06_ab_readout`` notebook shows, and the words of its artifact.

The analysis (:mod:`helpers.analysis.experiments`) returns numbers and codes; this module turns
them into the report:

* renderers of :class:`HealthReport` and :class:`Readout` (a notebook cell ending in one of
  them shows it);
* :func:`decision_box`, :func:`metrics_view` (frequentist, CUPED, Bayesian) and
  :func:`lifts_chart`: the notebook's sections. An invalid readout (a failed health check)
  shows no lift after the decision box: each of these says why instead;
* :func:`readout_record`: ``artifacts/ab_<experiment>.json``, with the sentences scripts read.

The other sections of the notebook build on the words here: where a sample-ratio mismatch's
users are missing (:mod:`helpers.sections.ab_diagnosis`), power and lift over time
(:mod:`helpers.sections.ab_evidence`) and per-segment effects
(:mod:`helpers.sections.ab_segments`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from helpers.analysis.experiments import decision as dc
from helpers.analysis.experiments.health import (
    FAIL,
    INVALID,
    OK,
    OVERLAP_PREFIX,
    SKIPPED,
    HealthReport,
)
from helpers.analysis.experiments.readout import Readout
from helpers.core.checks import jsonable, one_of
from helpers.display.blocks import Callout, Details, Note, Paragraph, Stack
from helpers.display.format import fmt
from helpers.display.messages import has
from helpers.display.registry import renders
from helpers.display.table import Table
from helpers.display.text import t, tn
from helpers.plots.experiments import plot_lifts

__all__ = [
    "metric_label",
    "decision_word",
    "decision_box",
    "metrics_view",
    "lifts_chart",
    "readout_record",
    "metric_kind",
    "check_name",
    "join_words",
    "is_invalid",
    "invalid_note",
    "DIFF_KINDS",
]

#: How the mean of each readout metric is shown (others: share for 0/1 metrics, else number).
METRIC_KINDS = {
    "converted": "share",
    "retained_d7": "share",
    "revenue": "money",
    "revenue_per_order": "money",
    "orders": "number",
    "active_days": "number",
    "events": "number",
}
DIFF_KINDS = {"share": "pp", "money": "money"}  # an absolute lift of a share is in points
_TONES = {dc.SHIP: "good", dc.DO_NOT_SHIP: "bad", dc.KEEP_RUNNING: "warning", INVALID: "bad"}
_INVALID_WHAT = {"frequentist": "lifts", "cuped": "cuped", "bayesian": "bayes"}  # methods
_REPORT, _RECORD = "ab", "ab.record"  # message prefixes: the page, and ab_<experiment>.json


# --- words ---------------------------------------------------------------------------------------


def metric_label(name) -> str:
    """A metric in words (``converted`` -> "conversion"); unknown metrics keep their name.

    Examples
    --------
    >>> metric_label("retained_d7"), metric_label("refunds")
    ('day-7 retention', 'refunds')
    """
    key = f"ab.metric.{name}"
    return t(key) if has(key) else str(name)


def metric_kind(name, kind: str = "mean") -> str:
    """The format kind of a metric's mean (see :data:`METRIC_KINDS`)."""
    return METRIC_KINDS.get(name) or ("share" if kind == "prop" else "number")


def decision_word(decision: dc.Decision) -> str:
    """The decision in words ("ship treatment", "do not ship", "keep running", "invalid").

    Examples
    --------
    >>> decision_word(dc.Decision(dc.SHIP, "treatment")), decision_word(dc.Decision(INVALID))
    ('ship treatment', 'invalid')
    """
    key = decision.code.replace(" ", "_")  # "do not ship" -> ab.decision.do_not_ship
    return t(f"ab.decision.{key}", variant=decision.variant)


def join_words(items) -> str:
    return t("ab.list_sep").join(str(i) for i in items)


def check_name(check: str, other: str | None = None) -> str:
    """A health check's name in words, from its code; unknown codes keep their code.

    Examples
    --------
    >>> check_name("srm"), check_name("overlap:banner"), check_name("custom")
    ('Sample ratio', 'Overlap with banner', 'custom')
    """
    check = str(check)
    if check.startswith(OVERLAP_PREFIX):
        return t("ab.check.name.overlap", other=other or check[len(OVERLAP_PREFIX) :])
    key = f"ab.check.name.{check}"
    return t(key) if has(key) else check


def _check_name(row) -> str:
    return check_name(row["check"], row.get("other_experiment") or None)


def _check_text(report: HealthReport, row: dict, prefix: str) -> str:
    """The sentence of one health check: for the page (``ab``) or the artifact (``ab.record``)."""
    key = f"{prefix}.check"
    check, value, p = str(row["check"]), row["value"], row["p_value"]
    if row["status"] == SKIPPED:
        return t(f"{key}.{check}.skipped")
    state = "fail" if row["status"] == FAIL else "ok"
    if check == "multiple_variants":
        total = int(row["total"])
        return t(f"{key}.{check}", users=int(value), total=total, share=value / total)
    if check == "srm":
        counts, shares = report.counts, report.expected_shares
        return t(
            f"{key}.srm.{state}",
            observed=join_words(
                t(f"{key}.variant_count", variant=v, n=n) for v, n in counts.items()
            ),
            expected=join_words(
                t(f"{key}.variant_share", variant=v, share=s) for v, s in shares.items()
            ),
            p=p,
        )
    if check == "min_sample":
        small = report.too_small
        return t(
            f"{key}.min_sample.{state}",
            users=int(report.counts.min()),
            minimum=report.min_per_variant,
            variants=small if prefix == _RECORD else join_words(small),
        )
    if check == "before_start":
        start = report.start.isoformat() if prefix == _RECORD else report.start
        return tn(f"{key}.before_start", int(value), start=start)
    if check == "no_later_activity":
        total = int(row["total"])
        share = value / total
        return t(f"{key}.{check}.{state}", users=int(value), total=total, share=share, p=p)
    other = row["other_experiment"]
    return tn(f"{key}.overlap.{state}", int(value), other=other, p=p)


def _reason_text(readout: Readout, reason: dc.Reason, prefix: str) -> str:
    """One reason of the decision, for the page (``ab``) or the artifact (``ab.record``)."""
    label = str if prefix == _RECORD else metric_label
    values = {"variant": reason.variant, "p": reason.p_value, "alpha": reason.alpha}
    if reason.metric is not None:
        values["metric"] = label(reason.metric)
    if reason.code == dc.HEALTH_FAILED:
        table = readout.health.table
        row = table[table["check"] == reason.check].iloc[0].to_dict()
        values["check"] = _check_name(row)
        values["finding"] = _check_text(readout.health, row, prefix)
    if reason.p_values:
        values["pvalues"] = join_words(
            t(f"{prefix}.reason.metric_p", metric=label(m), p=p) for m, p in reason.p_values
        )
    return t(f"{prefix}.reason.{reason.code}", **values)


def decision_reasons(readout: Readout) -> list[str]:
    """The reasons behind the decision, in the report's words."""
    return [_reason_text(readout, r, _REPORT) for r in readout.decision.reasons]


def invalid_note(readout: Readout, what: str) -> Note:
    failed = readout.health.blocking if readout.health is not None else pd.DataFrame()
    checks = join_words(_check_name(r) for r in failed.to_dict("records"))
    return Note(t("ab.invalid", checks=checks, what=t(f"ab.invalid.{what}")), kind="warning")


def is_invalid(readout: Readout) -> bool:
    return readout.decision.code == INVALID


# --- health checks and the decision --------------------------------------------------------------


@renders(HealthReport)
def health_view(report: HealthReport) -> Stack:
    """The health checks: a summary, a warning when one failed, and one row per check."""
    table = report.table
    rows = table.to_dict("records")
    shown = pd.DataFrame(
        {
            "ab_check": [_check_name(r) for r in rows],
            "ab_status": [t(f"ab.status.{r['status']}") for r in rows],
            "ab_p": table["p_value"].to_numpy(),
            "ab_finding": [_check_text(report, r, _REPORT) for r in rows],
        }
    )
    status = table["status"]
    summary = t(
        "ab.health.summary",
        n=len(table),
        passed=int((status == OK).sum()),
        failed=int((status == FAIL).sum()),
        skipped=int((status == SKIPPED).sum()),
    )
    warning = None
    if len(report.failed):
        blocking = len(report.blocking) > 0
        checks = join_words(_check_name(r) for r in report.failed.to_dict("records"))
        key = "ab.health.blocking" if blocking else "ab.health.small"
        warning = Note(t(key, checks=checks), kind="warning")
    details = Details(t("ab.health.details", n=len(table)), Table(shown, max_rows=50))
    return Stack.of(Paragraph(summary), warning, details)


def decision_box(readout: Readout) -> Callout:
    """The decision (ship / do not ship / keep running / invalid) with its reasons.

    Examples
    --------
    >>> from helpers.analysis.experiments.readout import analyze_experiment
    >>> df = pd.DataFrame({"variant": ["control"] * 50 + ["treatment"] * 50,
    ...                    "converted": [0, 1] * 25 + [1, 1, 1, 0, 1] * 10})
    >>> decision_box(analyze_experiment(df, experiment="x", primary=["converted"])).title
    'Decision for x: ship treatment'
    """
    d = readout.decision
    return Callout(
        title=t("ab.decision.title", experiment=readout.experiment, decision=decision_word(d)),
        lines=[_reason_text(readout, r, _REPORT) for r in d.reasons],
        tone=_TONES[d.code],
    )


@renders(Readout)
def readout_view(readout: Readout) -> Stack:
    """A readout shown as a whole: its decision box and its frequentist metrics."""
    return Stack.of(decision_box(readout), metrics_view(readout))


# --- metrics -------------------------------------------------------------------------------------


def _treatment_rows(readout: Readout) -> pd.DataFrame:
    res = readout.results
    ctrl = res[res["variant"] == readout.control].set_index("metric")
    rows = res[res["variant"] != readout.control].copy()
    rows["mean_control"] = rows["metric"].map(ctrl["mean"])
    return rows.reset_index(drop=True)


def _in_units(rows: pd.DataFrame, col: str, diff: bool) -> list:
    """Values of ``col`` formatted in each row's metric unit (means, or absolute lifts: signed,
    as the relative ones are)."""
    out = []
    for metric, kind, value in zip(rows["metric"], rows["kind"], rows[col]):
        k = metric_kind(metric, kind)
        text = fmt(value, DIFF_KINDS.get(k, k) if diff else k)
        out.append("+" + text if diff and value > 0 and not text.startswith("+") else text)
    return out


def _metric_frame(readout: Readout, rows: pd.DataFrame, *, means: bool) -> pd.DataFrame:
    frame = pd.DataFrame({"ab_metric": [metric_label(m) for m in rows["metric"]]})
    several = len(readout.treatments) > 1
    if several:
        frame["ab_variant"] = rows["variant"].to_numpy()
    if means:
        frame["ab_role"] = [t(f"ab.role.{r}") for r in rows["role"]]
        frame[readout.control] = _in_units(rows, "mean_control", diff=False)
        variant_col = "ab_variant_mean" if several else readout.treatments[0]
        frame[variant_col] = _in_units(rows, "mean", diff=False)
    return frame


def _users_lines(readout: Readout) -> list[str]:
    res = readout.results
    most = res.groupby("variant", sort=False)["n"].max()
    counts = join_words(t("ab.check.variant_count", variant=v, n=n) for v, n in most.items())
    lines = [t("ab.metrics.users", counts=counts)]
    for metric, g in res.groupby("metric", sort=False):
        if (g.set_index("variant")["n"] < most.reindex(g["variant"])).any():
            fewer = join_words(
                t("ab.check.variant_count", variant=v, n=n) for v, n in zip(g["variant"], g["n"])
            )
            lines.append(t("ab.metrics.fewer_users", metric=metric_label(metric), counts=fewer))
    return lines


_FREQUENTIST = {
    "ab_lift": ("lift_rel", "lift_abs"),
    "ab_ci_low": ("ci_rel_low", "ci_abs_low"),
    "ab_ci_high": ("ci_rel_high", "ci_abs_high"),
}
_CUPED = {
    **_FREQUENTIST,
    "ab_cuped_lift": ("cuped_lift",) * 2,
    "ab_cuped_ci_low": ("cuped_ci_low",) * 2,
    "ab_cuped_ci_high": ("cuped_ci_high",) * 2,
}
_BAYESIAN = {
    "ab_credible_low": ("credible_low",) * 2,
    "ab_credible_high": ("credible_high",) * 2,
    "ab_risk_keep": ("risk_control",) * 2,
    "ab_risk_ship": ("risk_treatment",) * 2,
}


def _add_lifts(frame: pd.DataFrame, rows: pd.DataFrame, relative: bool, spec: dict) -> dict:
    """Add the lift columns of ``spec`` (shown column -> (relative, absolute) result column):
    relative lifts as numbers (kind ``change``), absolute ones in each metric's unit (formatted
    per row, since the unit changes from row to row). Returns the kinds to pass to Table."""
    kinds = {}
    for target, (rel_col, abs_col) in spec.items():
        if relative:
            frame[target] = rows[rel_col].to_numpy()
        else:
            frame[target] = _in_units(rows, abs_col, diff=True)
            kinds[target] = "text"
    return kinds


def metrics_view(readout: Readout, *, method: str = "frequentist") -> Stack | Note:
    """The metrics table of one method; a Note instead when the readout is invalid.

    Parameters
    ----------
    readout : Readout
    method : {"frequentist", "cuped", "bayesian"}
        ``frequentist``: means per variant, the lift with its interval, the decision p-value
        and its Holm and BH adjustments; ``cuped``: variance reduction and the lift and
        interval before and after the adjustment (metrics with a pre-period); ``bayesian``:
        chance to win, credible interval of the lift (flat prior) and the risk (expected loss)
        of keeping the control or shipping the variant.
    """
    one_of(method, list(_INVALID_WHAT), "method")
    if is_invalid(readout):
        return invalid_note(readout, _INVALID_WHAT[method])
    settings = readout.settings
    relative = settings.get("relative", True)
    level = 1 - settings.get("alpha", 0.05)
    rows = _treatment_rows(readout)
    if method == "frequentist":
        return _frequentist_view(readout, rows, level)
    if method == "cuped":
        if not settings.get("cuped", True):
            return Note(t("ab.cuped.off"), kind="info")
        done = rows[rows["cuped_variance_reduction"].notna()].reset_index(drop=True)
        frame = _metric_frame(readout, done, means=False)
        frame["ab_variance_reduction"] = done["cuped_variance_reduction"].to_numpy()
        kinds = _add_lifts(frame, done, relative, _CUPED)
        frame["ab_cuped_p"] = done["cuped_p_value"].to_numpy()
        skipped = [m for m in dict.fromkeys(rows["metric"]) if m not in set(done["metric"])]
        names = join_words(metric_label(m) for m in skipped)
        note = t("ab.cuped.skipped", metrics=names) if skipped else None
        table = Table(frame, kinds=kinds, caption=t("ab.cuped.caption"), note=note)
        return Details(t("ab.cuped.details", n=len(frame)), table)
    frame = _metric_frame(readout, rows, means=False)
    frame["ab_chance_to_win"] = rows["chance_to_win"].to_numpy()
    lift = ("lift_rel", "lift_abs")
    kinds = _add_lifts(frame, rows, relative, {"ab_lift": lift, **_BAYESIAN})
    caption = t(
        "ab.bayes.caption",
        variants=join_words(readout.treatments),
        control=readout.control,
        level=level,
        scale=t(f"ab.scale.{'relative' if relative else 'absolute'}"),
    )
    return Details(t("ab.bayes.details", n=len(frame)), Table(frame, kinds=kinds, caption=caption))


def _interval_texts(rows: pd.DataFrame, low: str, high: str, *, relative: bool) -> list[str]:
    """``"low to high"`` per row: relative bounds as changes, absolute ones in each metric's
    unit."""
    if relative:
        lows = [fmt(v, "change") for v in rows[low]]
        highs = [fmt(v, "change") for v in rows[high]]
    else:
        lows, highs = _in_units(rows, low, diff=True), _in_units(rows, high, diff=True)
    return [t("ab.interval", low=lo, high=hi) for lo, hi in zip(lows, highs)]


def _frequentist_view(readout: Readout, rows: pd.DataFrame, level: float) -> Stack:
    """Means, then the relative lift and the absolute change, each with its own interval and
    its own test's p-value; the decision p-values and their adjustments in a Details."""
    settings = readout.settings
    frame = _metric_frame(readout, rows, means=True)
    frame["ab_lift_rel"] = rows["lift_rel"].to_numpy()
    frame["ab_ci_rel"] = _interval_texts(rows, "ci_rel_low", "ci_rel_high", relative=True)
    frame["ab_p_rel"] = rows["p_value_rel"].to_numpy()
    frame["ab_lift_abs"] = _in_units(rows, "lift_abs", diff=True)
    frame["ab_ci_abs"] = _interval_texts(rows, "ci_abs_low", "ci_abs_high", relative=False)
    frame["ab_p_abs"] = rows["p_value_abs"].to_numpy()
    intervals = "sequential" if settings.get("sequential") else "fixed"
    caption = t(
        "ab.metrics.caption",
        control=readout.control,
        level=level,
        intervals=t(f"ab.intervals.{intervals}"),
    )
    table = Table(frame, caption=caption, value_columns=_variants(readout))
    adjusted = _metric_frame(readout, rows, means=False)
    adjusted["ab_p"] = rows["p_decision"].to_numpy()
    adjusted["ab_p_holm"] = rows["p_holm"].to_numpy()
    adjusted["ab_p_bh"] = rows["p_bh"].to_numpy()
    family = int(rows["p_decision"].notna().sum())
    details = Details(
        t("ab.metrics.details", family=family),
        Table(adjusted, caption=t("ab.metrics.adjusted_caption", family=family)),
    )
    return Stack.of(*(Paragraph(x) for x in _users_lines(readout)), table, details)


def _variants(readout: Readout) -> list:
    return [readout.control, *readout.treatments]


def lifts_chart(readout: Readout, *, ax) -> Note | None:
    """Draw the lift of every metric with its interval on ``ax``; for an invalid readout close
    ``ax``'s figure instead (no lift of it is evidence) and return the Note that says why.

    A notebook cell ending in this call shows the chart, or the Note in its place.
    """
    if is_invalid(readout):
        plt.close(ax.figure)
        return invalid_note(readout, "lifts")
    scale = "relative" if readout.settings.get("relative", True) else "absolute"
    labels = {m: metric_label(m) for m in readout.results["metric"]}
    plot_lifts(readout, scale=scale, labels=labels, ax=ax)
    return None


# --- artifact and headline -----------------------------------------------------------------------


def _personas_record(before) -> dict | None:
    if before is None:
        return None
    return {
        "source": before.source,
        "start": before.start.isoformat(),
        "as_of": before.as_of.isoformat() if before.as_of else None,
        "month": before.month or None,
        "path": before.path or None,
        "users": before.clustered,
        "reason": before.reason or None,
    }


def readout_record(readout: Readout, *, diagnosis=None, timeline=None, personas=None) -> dict:
    """The ``artifacts/ab_<experiment>.json`` dict (NaN become null): decision, reasons,
    settings, the design split, health checks (each with its sentence), metrics and segments;
    with ``diagnosis`` (an :class:`~helpers.analysis.experiments.diagnosis.SrmDiagnosis`, kept
    when the sample-ratio check failed), ``timeline`` (the cumulative lift per day, left out
    of an invalid readout) and ``personas`` (the persona snapshot the segments used).

    ``design_split`` is the expected share per variant (``design_split_source``: ``config``
    when the notebook's ``split`` gave it, ``equal`` otherwise)."""
    checks = []
    health = readout.health
    if health is not None:
        for row in health.table.to_dict("records"):
            record = {k: row[k] for k in ("check", "status", "value", "p_value")}
            record["sentence"] = _check_text(health, row, _RECORD)
            checks.append(record)
    out = {
        "experiment": readout.experiment,
        "control": readout.control,
        "decision": readout.decision.value,
        "reasons": [_reason_text(readout, r, _RECORD) for r in readout.decision.reasons],
        "settings": readout.settings,
        "design_split": health.design_split if health is not None else None,
        "design_split_source": health.split_source if health is not None else None,
        "health_checks": checks,
        "metrics": readout.metrics_record(),
        "segments": readout.segments_record(),
    }
    if personas is not None:
        out["persona_snapshot"] = _personas_record(personas)
    if diagnosis is not None and health is not None and health.srm_failed:
        out["srm_diagnosis"] = diagnosis.to_dict()
    if timeline and not is_invalid(readout):
        out["lift_over_time"] = {
            "metric": timeline.metric,
            "start": timeline.start.isoformat(),
            "trend": {v: d.get("kind") for v, d in timeline.trend.items()},
            "days": timeline.table.assign(day=timeline.table["day"].astype(str)).to_dict(
                "records"
            ),
        }
    return jsonable(out)

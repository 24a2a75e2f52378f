"""What the ``05_ab_readout`` notebook shows, and the words of its artifact.

The analysis (:mod:`helpers.analysis.experiments`) returns numbers and codes; this module turns
them into the report:

* renderers of :class:`HealthReport`, :class:`Readout`, :class:`SegmentEffects` and
  :class:`SegmentInputs` (a notebook cell ending in one of them shows it);
* :func:`decision_box`, :func:`metrics_view` (frequentist, CUPED, Bayesian),
  :func:`lifts_chart` and :func:`segments_view`: the notebook's sections. An invalid readout
  (a failed health check) shows no lift after the decision box: each of these says why instead;
* :func:`readout_record`: ``artifacts/ab_<experiment>.json``, with the sentences scripts read.
"""

from __future__ import annotations

from pathlib import Path

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
from helpers.analysis.experiments.inputs import SegmentInputs
from helpers.analysis.experiments.readout import Readout
from helpers.analysis.experiments.segments import SegmentEffects
from helpers.core.checks import jsonable, one_of
from helpers.display.blocks import Bullets, Callout, Heading, Note, Paragraph, Stack
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
    "segments_view",
    "readout_record",
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
_DIFF_KINDS = {"share": "pp", "money": "money"}  # an absolute lift of a share is in points
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


def _join(items) -> str:
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
            observed=_join(t(f"{key}.variant_count", variant=v, n=n) for v, n in counts.items()),
            expected=_join(
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
            variants=small if prefix == _RECORD else _join(small),
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
        values["pvalues"] = _join(
            t(f"{prefix}.reason.metric_p", metric=label(m), p=p) for m, p in reason.p_values
        )
    return t(f"{prefix}.reason.{reason.code}", **values)


def _invalid_note(readout: Readout, what: str) -> Note:
    failed = readout.health.blocking if readout.health is not None else pd.DataFrame()
    checks = _join(_check_name(r) for r in failed.to_dict("records"))
    return Note(t("ab.invalid", checks=checks, what=t(f"ab.invalid.{what}")), kind="warning")


def _is_invalid(readout: Readout) -> bool:
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
        checks = _join(_check_name(r) for r in report.failed.to_dict("records"))
        key = "ab.health.blocking" if blocking else "ab.health.small"
        warning = Note(t(key, checks=checks), kind="warning")
    return Stack.of(Paragraph(summary), warning, Table(shown, max_rows=50))


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
    """Values of ``col`` formatted in each row's metric unit (means, or absolute lifts)."""
    out = []
    for metric, kind, value in zip(rows["metric"], rows["kind"], rows[col]):
        k = metric_kind(metric, kind)
        out.append(fmt(value, _DIFF_KINDS.get(k, k) if diff else k))
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
    counts = _join(t("ab.check.variant_count", variant=v, n=n) for v, n in most.items())
    lines = [t("ab.metrics.users", counts=counts)]
    for metric, g in res.groupby("metric", sort=False):
        if (g.set_index("variant")["n"] < most.reindex(g["variant"])).any():
            fewer = _join(
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
    if _is_invalid(readout):
        return _invalid_note(readout, _INVALID_WHAT[method])
    settings = readout.settings
    relative = settings.get("relative", True)
    level = 1 - settings.get("alpha", 0.05)
    rows = _treatment_rows(readout)
    if method == "frequentist":
        frame = _metric_frame(readout, rows, means=True)
        kinds = _add_lifts(frame, rows, relative, _FREQUENTIST)
        frame["ab_p"] = rows["p_decision"].to_numpy()
        frame["ab_p_holm"] = rows["p_holm"].to_numpy()
        frame["ab_p_bh"] = rows["p_bh"].to_numpy()
        intervals = "sequential" if settings.get("sequential") else "fixed"
        caption = t(
            "ab.metrics.caption",
            control=readout.control,
            level=level,
            intervals=t(f"ab.intervals.{intervals}"),
            scale=t(f"ab.scale.{'relative' if relative else 'absolute'}"),
            family=int(rows["p_decision"].notna().sum()),
        )
        table = Table(frame, kinds=kinds, caption=caption, value_columns=_variants(readout))
        return Stack.of(*(Paragraph(x) for x in _users_lines(readout)), table)
    if method == "cuped":
        if not settings.get("cuped", True):
            return Note(t("ab.cuped.off"), kind="info")
        done = rows[rows["cuped_variance_reduction"].notna()].reset_index(drop=True)
        frame = _metric_frame(readout, done, means=False)
        frame["ab_variance_reduction"] = done["cuped_variance_reduction"].to_numpy()
        kinds = _add_lifts(frame, done, relative, _CUPED)
        frame["ab_cuped_p"] = done["cuped_p_value"].to_numpy()
        skipped = [m for m in dict.fromkeys(rows["metric"]) if m not in set(done["metric"])]
        names = _join(metric_label(m) for m in skipped)
        note = t("ab.cuped.skipped", metrics=names) if skipped else None
        return Stack.of(Table(frame, kinds=kinds, caption=t("ab.cuped.caption"), note=note))
    frame = _metric_frame(readout, rows, means=False)
    frame["ab_chance_to_win"] = rows["chance_to_win"].to_numpy()
    lift = ("lift_rel", "lift_abs")
    kinds = _add_lifts(frame, rows, relative, {"ab_lift": lift, **_BAYESIAN})
    caption = t(
        "ab.bayes.caption",
        variants=_join(readout.treatments),
        control=readout.control,
        level=level,
        scale=t(f"ab.scale.{'relative' if relative else 'absolute'}"),
    )
    return Stack.of(Table(frame, kinds=kinds, caption=caption))


def _variants(readout: Readout) -> list:
    return [readout.control, *readout.treatments]


def lifts_chart(readout: Readout, *, ax) -> Note | None:
    """Draw the lift of every metric with its interval on ``ax``; for an invalid readout close
    ``ax``'s figure instead (no lift of it is evidence) and return the Note that says why.

    A notebook cell ending in this call shows the chart, or the Note in its place.
    """
    if _is_invalid(readout):
        plt.close(ax.figure)
        return _invalid_note(readout, "lifts")
    scale = "relative" if readout.settings.get("relative", True) else "absolute"
    labels = {m: metric_label(m) for m in readout.results["metric"]}
    plot_lifts(readout, scale=scale, labels=labels, ax=ax)
    return None


# --- segments ------------------------------------------------------------------------------------


def _segment_word(col) -> str:
    key = f"ab.segment.{col}"
    return t(key) if has(key) else str(col)


@renders(SegmentInputs)
def segment_inputs_view(inputs: SegmentInputs) -> Bullets:
    """Which segments were available, and for how many of the assigned users."""
    lines = []
    persona = "persona"
    if persona in inputs.columns:
        file = Path(inputs.personas_path).name
        lines.append(
            t("ab.segments.personas", file=file, users=inputs.covered[persona], total=inputs.users)
        )
    else:
        file = inputs.personas_path or t("ab.segments.no_personas_file")
        lines.append(t("ab.segments.no_personas", file=file))
    if "platform" in inputs.columns:
        users = inputs.covered["platform"]
        lines.append(t("ab.segments.platform", users=users, total=inputs.users))
    else:
        lines.append(t("ab.segments.no_platform"))
    return Bullets(lines)


@renders(SegmentEffects)
def segment_effects_view(effects: SegmentEffects) -> Stack:
    """The lift of one metric per segment, and whether the segment lifts differ."""
    tab = effects.table
    mean_kind = metric_kind(effects.metric, effects.kind)
    lift_kind = "change" if effects.relative else _DIFF_KINDS.get(mean_kind, mean_kind)
    frame = pd.DataFrame(
        {
            "ab_segment": tab["segment"].astype(str).to_numpy(),
            "ab_users": (tab["n_control"] + tab["n_treatment"]).to_numpy(),
            effects.control: tab["mean_control"].to_numpy(),
            effects.variant: tab["mean_treatment"].to_numpy(),
            "ab_lift": tab["lift"].to_numpy(),
            "ab_ci_low": tab["ci_low"].to_numpy(),
            "ab_ci_high": tab["ci_high"].to_numpy(),
            "ab_p": tab["p_value"].to_numpy(),
            "ab_p_bh": tab["p_bh"].to_numpy(),
        }
    )
    kinds = {effects.control: mean_kind, effects.variant: mean_kind}
    kinds.update({c: lift_kind for c in ("ab_lift", "ab_ci_low", "ab_ci_high")})
    if pd.isna(effects.q_p_value):
        verdict = t("ab.segments.untested")
    else:
        key = "differ" if effects.q_p_value < effects.alpha else "similar"
        verdict = t(f"ab.segments.{key}", q=effects.q, p=effects.q_p_value)
    title = t(
        "ab.segments.title",
        metric=metric_label(effects.metric),
        segment=_segment_word(effects.segment_col),
        variant=effects.variant,
        control=effects.control,
    )
    caption = t("ab.segments.caption", level=1 - effects.alpha, n=len(tab))
    table = Table(
        frame,
        kinds=kinds,
        caption=caption,
        value_columns=[effects.control, effects.variant],
        max_rows=30,
    )
    return Stack.of(Heading(title), Paragraph(verdict), table)


def segments_view(readout: Readout, segments: SegmentInputs) -> Stack:
    """Which segments were available, then the per-segment effects of the primary metrics
    (a Note instead of the effects when the readout is invalid)."""
    parts = [segment_inputs_view(segments)]
    if _is_invalid(readout):
        parts.append(_invalid_note(readout, "segments"))
    elif not readout.segments:
        parts.append(Note(t("ab.segments.none")))
    else:
        parts.extend(segment_effects_view(e) for e in readout.segments)
    return Stack.of(*parts)


# --- artifact and headline -----------------------------------------------------------------------


def readout_record(readout: Readout) -> dict:
    """The ``artifacts/ab_<experiment>.json`` dict (NaN become null): decision, reasons,
    settings, health checks (each with its sentence), metrics and segments."""
    checks = []
    if readout.health is not None:
        for row in readout.health.table.to_dict("records"):
            record = {k: row[k] for k in ("check", "status", "value", "p_value")}
            record["sentence"] = _check_text(readout.health, row, _RECORD)
            checks.append(record)
    return jsonable(
        {
            "experiment": readout.experiment,
            "control": readout.control,
            "decision": readout.decision.value,
            "reasons": [_reason_text(readout, r, _RECORD) for r in readout.decision.reasons],
            "settings": readout.settings,
            "health_checks": checks,
            "metrics": readout.metrics_record(),
            "segments": readout.segments_record(),
        }
    )

"""What the ``05_ab_readout`` notebook shows: preflight, inputs and its sections.

* :func:`assignments_frame`: the preflight (is there an assignments source, is the ``experiment``
  parameter one of its experiments?).
* :func:`readout_health`, :func:`attach_segments`, :func:`add_segments`, :func:`decision_box`,
  :func:`metrics_view`, :func:`segments_view`: the notebook's sections, each a displayable object.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.analysis.experiments.health import (
    ASSIGNED_DAY,
    INVALID,
    HealthReport,
    health_checks,
)
from helpers.analysis.experiments.readout import RatioMetric
from helpers.analysis.experiments.stats import (
    RatioStatistic,
    _table_html,
    bayesian_test,
    segment_effects,
    summarize,
)
from helpers.core import schema as S
from helpers.core.checks import as_date, one_of, require_columns
from helpers.core.errors import ParameterError

NO_SEGMENT = "(none)"  # segment label of users without a persona / platform
METRIC_LABELS = {
    "converted": "conversion",
    "orders": "orders per user",
    "revenue": "revenue per user",
    "active_days": "active days",
    "retained_d7": "day-7 retention",
    "revenue_per_order": "revenue per order (delta method)",
}


def readout_metrics() -> list:
    """The metric family of the readout: conversion, orders and revenue per user, active days,
    day-7 retention (all from :func:`helpers.analysis.experiments.readout.user_metrics`) and revenue per order
    (a ratio, delta method).

    Examples
    --------
    >>> [getattr(m, "name", m) for m in readout_metrics()][-1]
    'revenue_per_order'
    """
    return [
        "converted",
        "orders",
        "revenue",
        "active_days",
        "retained_d7",
        RatioMetric("revenue_per_order", "revenue", "orders"),
    ]


def assignments_frame(assignments, *, experiment: str, as_of=None) -> pd.DataFrame:
    """Preflight of a readout: the assignment rows known at ``as_of``, once ``experiment`` is
    known to be in them.

    One row per user and experiment (all experiments: the overlap check needs the others), so
    the result is a per-user aggregate and may be pandas.

    Parameters
    ----------
    assignments : ibis.Table, DataFrame or None
        ``project.tables["assignments"]``: ``user_id, experiment, variant`` and optionally
        ``assigned_at``, ``assigned_day``. None when the project has no assignments source.
    experiment : str
        The experiment to read out (the notebook parameter).
    as_of : date, optional
        Drop assignments after this business day (needs ``assigned_day``).

    Returns
    -------
    DataFrame
        ``user_id, experiment, variant`` (+ ``assigned_at, assigned_day`` when present).

    Raises
    ------
    ParameterError
        No assignments source; ``experiment`` not in the table (the message lists the ones
        found); no assignment of ``experiment`` on or before ``as_of``.

    Examples
    --------
    >>> df = pd.DataFrame({"user_id": ["a", "b"], "experiment": ["x", "y"],
    ...                    "variant": ["control", "treatment"]})
    >>> assignments_frame(df, experiment="x")["user_id"].tolist()
    ['a', 'b']
    """
    if assignments is None:
        raise ParameterError(
            f"There are no assignments in this project: the config has no "
            f"`sources.assignments` entry, so the parameter `experiment` ({experiment!r}) cannot "
            f"be read out. Add an assignments source with user_id, experiment, variant and "
            f"assigned_at columns (e.g. `assignments: {{path: data/assignments.csv}}`)."
        )
    require_columns(assignments, [S.USER_ID, S.EXPERIMENT, S.VARIANT], "`assignments`")
    cols = [
        c
        for c in (S.USER_ID, S.EXPERIMENT, S.VARIANT, S.ASSIGNED_AT, ASSIGNED_DAY)
        if c in assignments.columns
    ]
    frame = assignments[cols]
    frame = frame.copy() if isinstance(frame, pd.DataFrame) else frame.execute()
    found = sorted(frame[S.EXPERIMENT].dropna().astype(str).unique())
    if experiment not in found:
        raise ParameterError(
            f"The parameter `experiment` must be one of the experiments in the "
            f"assignments table {found}, but {experiment!r} was passed."
        )
    frame[S.USER_ID] = frame[S.USER_ID].astype(str)
    if ASSIGNED_DAY in frame.columns:
        frame[ASSIGNED_DAY] = pd.to_datetime(frame[ASSIGNED_DAY]).dt.date
    if as_of is not None and ASSIGNED_DAY in frame.columns:
        cutoff = as_date(as_of, "as_of")
        mine = frame[frame[S.EXPERIMENT] == experiment]
        if (mine[ASSIGNED_DAY] > cutoff).all():
            raise ParameterError(
                f"The parameter `experiment` ({experiment!r}) names an experiment whose first "
                f"assignment ({min(mine[ASSIGNED_DAY]).isoformat()}) is after as_of "
                f"{cutoff.isoformat()}: choose a later `month`."
            )
        frame = frame[frame[ASSIGNED_DAY] <= cutoff]
    return frame.sort_values([S.EXPERIMENT, S.USER_ID], kind="mergesort").reset_index(drop=True)


def readout_health(
    assignments_df: pd.DataFrame,
    per_user: pd.DataFrame,
    *,
    experiment: str,
    split=(),
    start: str = "",
    min_per_variant: int = 100,
) -> HealthReport:
    """All health checks of a readout, with the notebook's parameter conventions.

    Runs :func:`health_checks` with the later-activity check (``per_user``) and the overlap
    check against every other experiment of ``assignments_df`` whose assignment period overlaps.
    An empty ``split`` means equal shares; an empty ``start`` adds a ``before_start`` row with
    status ``skipped`` (the start date is what the check needs).

    Examples
    --------
    >>> a = pd.DataFrame({"user_id": list("abcd"), "experiment": "x",
    ...                   "variant": ["control", "treatment"] * 2})
    >>> pu = pd.DataFrame({"user_id": list("abcd"), "events": [1, 1, 0, 1]})
    >>> h = readout_health(a, pu, experiment="x", min_per_variant=2)
    >>> h.table["check"].tolist()
    ['multiple_variants', 'srm', 'min_sample', 'no_later_activity', 'before_start']
    """
    report = health_checks(
        assignments_df,
        experiment=experiment,
        split=list(split) if len(split) else None,
        start=start or None,
        min_per_variant=min_per_variant,
        activity_after=per_user,
        other_assignments=assignments_df,
    )
    if start:
        return report
    skipped = pd.DataFrame(
        [
            {
                "check": "before_start",
                "status": "skipped",
                "value": np.nan,
                "p_value": np.nan,
                "sentence": "Assignments before the experiment start were not "
                "checked: set the parameter `experiment_start` (YYYY-MM-DD).",
            }
        ]
    )
    return replace(report, table=pd.concat([report.table, skipped], ignore_index=True))


def _platform_per_user(users, user_day) -> pd.Series | None:
    if users is not None and S.PLATFORM in users.columns:
        u = users.dropna(subset=[S.PLATFORM])
        return (
            u.assign(**{S.USER_ID: u[S.USER_ID].astype(str)})
            .drop_duplicates(S.USER_ID)
            .set_index(S.USER_ID)[S.PLATFORM]
            .astype(str)
        )
    if user_day is not None and S.PLATFORM in user_day.columns:
        counts = (
            user_day.group_by([S.USER_ID, S.PLATFORM]).aggregate(days=user_day.count()).execute()
        )  # one row per user and platform
        counts = counts.sort_values(
            [S.USER_ID, "days", S.PLATFORM], ascending=[True, False, True], kind="mergesort"
        )
        return counts.drop_duplicates(S.USER_ID).set_index(S.USER_ID)[S.PLATFORM].astype(str)
    return None


@dataclass
class SegmentInputs:
    """Per-user table with the segment columns found, and what was not available."""

    per_user: pd.DataFrame
    columns: list
    notes: list

    def _repr_html_(self) -> str:
        found = ", ".join(self.columns) if self.columns else "none"
        items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return f"<p><b>Segments available</b>: {html.escape(found)}.</p><ul>{items}</ul>"


def attach_segments(
    per_user: pd.DataFrame, *, personas_path=None, users=None, user_day=None
) -> SegmentInputs:
    """Add ``persona`` and ``platform`` columns to the readout's per-user table, when available.

    Parameters
    ----------
    per_user : DataFrame
        :func:`helpers.analysis.experiments.readout.user_metrics` output.
    personas_path : path, optional
        ``artifacts/personas.csv`` of the month (``user_id, persona``), written by 03_personas.
        Missing file: no persona segment, and a note says why.
    users : DataFrame, optional
        The users table; its ``platform`` attribute is used when present.
    user_day : ibis.Table, optional
        Used for the platform (the user's most frequent one) when ``users`` has none.

    Returns
    -------
    SegmentInputs
        A new per-user table (the input is not modified); users without a value get
        ``"(none)"``.

    Examples
    --------
    >>> pu = pd.DataFrame({"user_id": ["a", "b"], "variant": ["control", "treatment"]})
    >>> users = pd.DataFrame({"user_id": ["a"], "platform": ["ios"]})
    >>> attach_segments(pu, users=users).per_user["platform"].tolist()
    ['ios', '(none)']
    """
    out = per_user.copy()
    ids = out[S.USER_ID].astype(str)
    columns, notes = [], []
    path = Path(personas_path) if personas_path else None
    if path is not None and path.is_file():
        personas = pd.read_csv(path, usecols=[S.USER_ID, S.PERSONA], dtype={S.USER_ID: str})
        mapping = personas.drop_duplicates(S.USER_ID).set_index(S.USER_ID)[S.PERSONA]
        out[S.PERSONA] = ids.map(mapping).fillna(NO_SEGMENT).astype(str)
        columns.append(S.PERSONA)
        notes.append(
            f"Personas from {path.name}: {int((out[S.PERSONA] != NO_SEGMENT).sum())} "
            f"of {len(out)} assigned users have one."
        )
    else:
        where = str(path) if path is not None else "the artifacts folder"
        notes.append(
            f"Personas were not available ({where} not found: run 03_personas for "
            f"this month first); no per-persona effects."
        )
    platform = _platform_per_user(users, user_day)
    if platform is not None:
        out[S.PLATFORM] = ids.map(platform).fillna(NO_SEGMENT).astype(str)
        columns.append(S.PLATFORM)
        notes.append(
            f"Platform per user: {int((out[S.PLATFORM] != NO_SEGMENT).sum())} of "
            f"{len(out)} assigned users have one."
        )
    else:
        notes.append(
            "No platform was available (neither a users `platform` attribute nor a "
            "platform in user_day); no per-platform effects."
        )
    return SegmentInputs(per_user=out, columns=columns, notes=notes)


def add_segments(readout, segments: SegmentInputs, *, alpha: float | None = None):
    """The readout with per-segment effects of its primary metrics for every segment column.

    Each :class:`~helpers.analysis.experiments.stats.SegmentEffects` holds Welch intervals per segment,
    BH-adjusted p-values across the segments and Cochran's Q heterogeneity test. Returns a new
    ``Readout`` (the input is not modified); ``to_json`` then includes the segments.
    """
    settings = readout.settings
    alpha = settings.get("alpha", 0.05) if alpha is None else alpha
    df = segments.per_user
    treatments = sorted(v for v in df[S.VARIANT].dropna().unique() if v != readout.control)
    found = list(readout.segments)
    for col in segments.columns:
        for metric in settings.get("primary", []):
            for v in treatments:
                eff = segment_effects(
                    df,
                    metric=metric,
                    segment_col=col,
                    control=readout.control,
                    treatment=v,
                    relative=settings.get("relative", True),
                    alpha=alpha,
                )
                found.append(replace(eff, metric=f"{metric} by {col}"))
    return replace(readout, segments=found)


@dataclass
class ReadoutView:
    """One section of a readout: a heading sentence, a rounded table and notes."""

    heading: str
    table: pd.DataFrame
    notes: list = field(default_factory=list)
    color: str = ""

    def _repr_html_(self) -> str:
        style = f" style='color:{self.color}'" if self.color else ""
        items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        shown = self.table.copy()
        for col in [c for c in shown.columns if c.startswith("p_") or c.endswith("p_value")]:
            shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:.3g}")
        body = _table_html(shown) if len(shown) else ""
        return (
            f"<p{style}><b>{html.escape(self.heading)}</b></p>"
            + (f"<ul>{items}</ul>" if items else "")
            + body
        )


def decision_box(readout) -> ReadoutView:
    """The decision (ship / do not ship / keep running / invalid) with its reasons.

    Examples
    --------
    >>> from helpers.analysis.experiments.readout import analyze_experiment
    >>> df = pd.DataFrame({"variant": ["control"] * 50 + ["treatment"] * 50,
    ...                    "converted": [0, 1] * 25 + [1, 1, 1, 0, 1] * 10})
    >>> decision_box(analyze_experiment(df, primary=["converted"])).heading
    'Decision for : ship treatment.'
    """
    color = (
        "#2e7d32"
        if readout.decision.startswith("ship")
        else "#c0392b"
        if readout.decision in ("do not ship", INVALID)
        else "#b9770e"
    )
    return ReadoutView(
        heading=f"Decision for {readout.experiment}: {readout.decision}.",
        table=pd.DataFrame(),
        notes=list(readout.reasons),
        color=color,
    )


def _treatment_rows(readout) -> pd.DataFrame:
    res = readout.results
    ctrl = res[res[S.VARIANT] == readout.control].set_index("metric")
    t = res[res[S.VARIANT] != readout.control].copy()
    t["n_control"] = t["metric"].map(ctrl["n"])
    t["mean_control"] = t["metric"].map(ctrl["mean"])
    t["key"] = t["metric"]
    t["metric"] = t["metric"].map(lambda m: METRIC_LABELS.get(m, m))
    return t.reset_index(drop=True)


_VIEWS = ("frequentist", "cuped", "bayesian")


def metrics_view(
    readout, *, method: str = "frequentist", per_user: pd.DataFrame | None = None
) -> ReadoutView:
    """The metrics table of one method.

    Parameters
    ----------
    readout : Readout
    method : {"frequentist", "cuped", "bayesian"}
        ``frequentist``: means, absolute and relative lifts with intervals, p-value, Holm and BH;
        ``cuped``: variance reduction and the adjusted lift and interval (metrics with a
        pre-period); ``bayesian``: chance to win, credible interval of the relative lift (flat
        prior; needs ``per_user``) and the risk (expected loss) of each choice.
    per_user : DataFrame, optional
        Per-user table of the readout, for the Bayesian credible intervals.
    """
    one_of(method, list(_VIEWS), "method")
    t = _treatment_rows(readout)
    settings = readout.settings
    scale = "relative" if settings.get("relative", True) else "absolute"
    if method == "frequentist":
        cols = [
            "metric",
            "role",
            "variant",
            "n_control",
            "n",
            "mean_control",
            "mean",
            "lift_abs",
            "ci_abs_low",
            "ci_abs_high",
            "lift_rel",
            "ci_rel_low",
            "ci_rel_high",
            "p_value",
            "p_decision",
            "p_holm",
            "p_bh",
        ]
        heading = (
            f"Lift of each metric over {readout.control} ({settings.get('intervals', '')} "
            f"intervals at {1 - settings.get('alpha', 0.05):.0%}); p_value: the {scale} lift's "
            "test; p_decision: the p-value the decision reads (CUPED's where CUPED applied, "
            "else p_value); p_holm and p_bh: p_decision adjusted across the family (Holm, "
            "Benjamini-Hochberg)."
        )
        return ReadoutView(
            heading=heading,
            table=t[cols].rename(columns={"n": "n_treatment", "mean": "mean_treatment"}),
        )
    if method == "cuped":
        c = t[t["cuped_variance_reduction"].notna()]
        cols = [
            "metric",
            "variant",
            "cuped_variance_reduction",
            "lift_rel",
            "ci_rel_low",
            "ci_rel_high",
            "cuped_lift",
            "cuped_ci_low",
            "cuped_ci_high",
            "cuped_p_value",
        ]
        heading = (
            "CUPED: each metric adjusted with its own pre-assignment value; the variance "
            f"reduction and the adjusted {scale} lift with its interval."
        )
        skipped = sorted(set(t["metric"]) - set(c["metric"]))
        notes = (
            [f"Not adjusted (no pre-assignment value, or a ratio): {', '.join(skipped)}."]
            if skipped and settings.get("cuped", True)
            else []
        )
        if not settings.get("cuped", True):
            notes = ["CUPED was turned off (parameter `cuped`)."]
        return ReadoutView(heading=heading, table=c[cols], notes=notes)
    t = t.copy()
    t["credible_low"], t["credible_high"] = np.nan, np.nan
    if per_user is not None:
        names = {getattr(m, "name", m): m for m in readout_metrics()}
        for i, r in t.iterrows():
            spec = names.get(r["key"], r["key"])
            b = bayesian_test(
                _stats(per_user, spec, readout.control),
                _stats(per_user, spec, r[S.VARIANT]),
                relative=settings.get("relative", True),
                alpha=settings.get("alpha", 0.05),
            )
            t.loc[i, ["credible_low", "credible_high"]] = b.ci
    cols = [
        "metric",
        "variant",
        "lift_rel" if scale == "relative" else "lift_abs",
        "credible_low",
        "credible_high",
        "chance_to_win",
        "risk_control",
        "risk_treatment",
    ]
    heading = (
        f"Bayesian view (flat prior): chance that {', '.join(t[S.VARIANT].unique())} beats "
        f"{readout.control}, the credible interval of the {scale} lift, and the expected "
        f"loss (risk) of choosing each side."
    )
    return ReadoutView(heading=heading, table=t[cols])


def _stats(per_user, spec, variant):
    g = per_user[per_user[S.VARIANT] == variant]
    if hasattr(spec, "numerator"):
        return RatioStatistic.from_values(g[spec.numerator], g[spec.denominator])
    return summarize(g[spec].dropna())


@dataclass
class SegmentsView:
    """Per-segment effects of a readout, after the note on which segments were available."""

    inputs: SegmentInputs
    effects: list

    def _repr_html_(self) -> str:
        parts = [self.inputs._repr_html_()]
        parts += [e._repr_html_() for e in self.effects]
        return "".join(parts)


def segments_view(readout, segments: SegmentInputs) -> SegmentsView:
    """What segments were available and the per-segment effects of :func:`add_segments`."""
    return SegmentsView(inputs=segments, effects=list(readout.segments))


def headline_metrics(readout) -> dict:
    """The readout's headline numbers for the index page: ``decision``, ``primary_lift`` (the
    lift of the first primary metric of the first treatment, on the readout's scale; None when
    the readout is invalid) and
    ``srm_p_value`` (None without health checks).

    Examples
    --------
    >>> from helpers.analysis.experiments.readout import analyze_experiment
    >>> df = pd.DataFrame({"variant": ["control"] * 4 + ["treatment"] * 4,
    ...                    "y": [1.0, 2.0, 3.0, 2.0, 2.0, 3.0, 4.0, 3.0]})
    >>> h = headline_metrics(analyze_experiment(df, primary=["y"]))
    >>> h["decision"], round(h["primary_lift"], 2), h["srm_p_value"]
    ('keep running', 0.5, None)
    """
    res = readout.results
    primary = readout.settings.get("primary") or [res["metric"].iloc[0]]
    lift_col = "lift_rel" if readout.settings.get("relative", True) else "lift_abs"
    rows = res[(res["metric"] == primary[0]) & (res[S.VARIANT] != readout.control)]
    srm = None
    if readout.health is not None:
        t = readout.health.table
        srm = t.loc[t["check"] == "srm", "p_value"]
        srm = float(srm.iloc[0]) if len(srm) else None
    valid = readout.decision != INVALID  # a broken assignment's lift is no headline
    return {
        "decision": readout.decision,
        "primary_lift": float(rows[lift_col].iloc[0]) if len(rows) and valid else None,
        "srm_p_value": srm,
    }

"""Health checks of an experiment's assignment, and the readout's preflight and notebook views.

Moved out of :mod:`helpers.experiments` (whose public names still import from there):

* :func:`health_checks` / :class:`HealthReport`: can this experiment's assignment be trusted?
* :func:`assignments_frame`: the preflight of the ``05_ab_readout`` notebook (is there an
  assignments source, is the ``experiment`` parameter one of its experiments?).
* :func:`readout_health`, :func:`attach_segments`, :func:`add_segments`, :func:`decision_box`,
  :func:`metrics_view`: the notebook's sections, each a displayable object.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import schema as S
from helpers.checks import as_date, jsonable, one_of, require_columns
from helpers.errors import DataError, ParameterError
from helpers.experiments_stats import (
    Proportion, RatioStatistic, _contingency_p, _table_html, bayesian_test, segment_effects,
    srm_test, summarize,
)

INVALID = "invalid"  # the decision when a health check other than the minimum sample fails

ASSIGNED_DAY = "assigned_day"      # assignment date in the business timezone (computed upstream)
SRM_ALPHA = 0.001                  # SRM and overlap checks fail below this p-value
MULTI_VARIANT_MAX_SHARE = 0.01     # more users than this in several variants fails the check


@dataclass
class HealthReport:
    """Health checks of one experiment's assignments.

    Attributes
    ----------
    table : DataFrame
        One row per check: ``check, status`` (ok/fail), ``value``, ``p_value``, ``sentence``.
    counts : Series
        Users per variant after excluding users in several variants.
    excluded_users : list
        Users assigned to more than one variant (left out of the analysis).
    """

    experiment: str
    table: pd.DataFrame
    counts: pd.Series
    excluded_users: list = field(default_factory=list)

    @property
    def failed(self) -> pd.DataFrame:
        return self.table[self.table["status"] == "fail"]

    def to_records(self) -> list[dict]:
        return [{k: jsonable(v) for k, v in row.items()}
                for row in self.table.to_dict("records")]

    def _repr_html_(self) -> str:
        n_fail = len(self.failed)
        head = (f"<p><b>Health checks of {html.escape(self.experiment)}</b>: "
                f"{len(self.table)} checks, {n_fail} failing.</p>")
        rows = []
        for r in self.table.itertuples():
            color = {"fail": "#c0392b", "ok": "#2e7d32"}.get(r.status, "#777777")
            p = "" if pd.isna(r.p_value) else f"{r.p_value:.4g}"
            rows.append(f"<tr><td>{html.escape(r.check)}</td><td style='color:{color};"
                        f"font-weight:bold'>{r.status}</td><td>{p}</td>"
                        f"<td>{html.escape(r.sentence)}</td></tr>")
        return (head + "<table><tr><th>check</th><th>status</th><th>p-value</th><th></th></tr>"
                + "".join(rows) + "</table>")


def health_checks(assignments_df: pd.DataFrame, *, experiment: str, split=None, start=None,
                  min_per_variant: int = 100, other_assignments: pd.DataFrame | None = None,
                  activity_after=None) -> HealthReport:
    """Check that an experiment's assignment can be trusted before reading its results.

    Checks (each a row with status ok/fail and a sentence):

    * ``multiple_variants``: users assigned to more than one variant; they are excluded from all
      other checks and from the analysis. Fails when more than 1% of users.
    * ``srm``: sample ratio mismatch, chi-square of users per variant against ``split``; fails at
      p < 0.001.
    * ``min_sample``: fails when a variant has fewer than ``min_per_variant`` users.
    * ``before_start`` (with ``start``): assignments before the experiment start; fails if any.
    * ``no_later_activity`` (with ``activity_after``): assigned users with no event afterwards;
      fails when that share differs between variants (chi-square p < 0.001), which would bias
      the comparison.
    * ``overlap:<name>`` (with ``other_assignments``): for each other experiment whose assignment
      period overlaps this one's: users in both, and a chi-square of the other experiment's
      variants within this one's; fails at p < 0.001.

    Parameters
    ----------
    assignments_df : DataFrame
        ``user_id, experiment, variant`` and ``assigned_at`` (needed for the dated checks).
    split : dict or sequence, optional
        Configured traffic split, ``{variant: weight}`` or weights in sorted variant order.
        Default: equal.
    start : timestamp, optional
        Experiment start (an aware timestamp, or naive = UTC).
    activity_after : DataFrame or iterable, optional
        ``user_metrics`` output (``events`` column) or the ids of users with later activity.
    other_assignments : DataFrame, optional
        Assignments of other experiments (the whole assignments table is fine).

    Examples
    --------
    >>> df = pd.DataFrame({"user_id": list("abcd"), "experiment": "x",
    ...                    "variant": ["control", "treatment"] * 2})
    >>> health_checks(df, experiment="x", min_per_variant=2).table["status"].tolist()
    ['ok', 'ok', 'ok']
    """
    require_columns(assignments_df, [S.USER_ID, S.EXPERIMENT, S.VARIANT], "`assignments_df`")
    a = assignments_df[assignments_df[S.EXPERIMENT] == experiment].copy()
    if a.empty:
        raise DataError(f"`assignments_df` has no rows for experiment {experiment!r}; found "
                        f"experiments {sorted(assignments_df[S.EXPERIMENT].unique())[:5]}.")
    a[S.USER_ID] = a[S.USER_ID].astype(str)
    rows = []

    def add(check, ok, value, p, sentence):
        rows.append({"check": check, "status": "ok" if ok else "fail", "value": value,
                     "p_value": p, "sentence": sentence})

    n_var = a.groupby(S.USER_ID)[S.VARIANT].nunique()
    multi = sorted(n_var[n_var > 1].index)
    share = len(multi) / len(n_var)
    add("multiple_variants", share <= MULTI_VARIANT_MAX_SHARE, len(multi), np.nan,
        f"{len(multi)} of {len(n_var)} users ({share:.2%}) were assigned to more than one "
        f"variant; they are excluded.")
    a = a[~a[S.USER_ID].isin(multi)]
    users = a.sort_values(S.ASSIGNED_AT if S.ASSIGNED_AT in a else S.USER_ID)
    users = users.drop_duplicates(S.USER_ID)
    counts = users[S.VARIANT].value_counts().sort_index()

    if split is None:
        weights = np.ones(len(counts))
    elif isinstance(split, dict):
        unknown = sorted(set(counts.index) - set(split))
        if unknown:
            raise ParameterError(f"`split` must give a weight for every variant; "
                                 f"{unknown} are missing from {split!r}.")
        weights = np.array([split[v] for v in counts.index], dtype=float)
    else:
        weights = np.asarray(split, dtype=float)
        if weights.size != len(counts):
            raise ParameterError(f"`split` has {weights.size} weights but the experiment has "
                                 f"{len(counts)} variants {list(counts.index)}.")
    p_srm = srm_test(counts.to_numpy(), weights)
    expected = ", ".join(f"{v} {w / weights.sum():.0%}" for v, w in zip(counts.index, weights))
    observed = ", ".join(f"{v} {c}" for v, c in counts.items())
    add("srm", p_srm >= SRM_ALPHA, int(counts.sum()), p_srm,
        f"Users per variant ({observed}) against the configured split ({expected}): "
        f"chi-square p = {p_srm:.4g}" + (" (sample ratio mismatch)." if p_srm < SRM_ALPHA
                                          else "."))
    small = counts[counts < min_per_variant]
    add("min_sample", small.empty, int(counts.min()), np.nan,
        f"The smallest variant has {int(counts.min())} users (minimum {min_per_variant})"
        + (f"; too few in {list(small.index)}." if len(small) else "."))

    if start is not None:
        require_columns(a, [S.ASSIGNED_AT], "The `start` check on `assignments_df`")
        start_ts = pd.Timestamp(start)
        start_ts = start_ts.tz_localize("UTC") if start_ts.tzinfo is None else start_ts
        early = int((pd.to_datetime(users[S.ASSIGNED_AT], utc=True) < start_ts).sum())
        add("before_start", early == 0, early, np.nan,
            f"{early} users were assigned before the experiment start {start_ts.isoformat()}.")

    if activity_after is not None:
        if isinstance(activity_after, pd.DataFrame):
            require_columns(activity_after, [S.USER_ID, "events"], "`activity_after`")
            act = set(activity_after.loc[activity_after["events"] > 0, S.USER_ID].astype(str))
        else:
            act = {str(u) for u in activity_after}
        none = ~users[S.USER_ID].isin(act)
        tab = pd.crosstab(users[S.VARIANT], none)
        p = _contingency_p(tab)
        add("no_later_activity", p >= SRM_ALPHA, int(none.sum()), p,
            f"{int(none.sum())} of {len(users)} assigned users ({none.mean():.1%}) had no activity "
            f"after assignment; difference between variants p = {p:.4g}.")

    if other_assignments is not None:
        require_columns(other_assignments, [S.USER_ID, S.EXPERIMENT, S.VARIANT],
                 "`other_assignments`")
        others = other_assignments[other_assignments[S.EXPERIMENT] != experiment].copy()
        others[S.USER_ID] = others[S.USER_ID].astype(str)
        dated = S.ASSIGNED_AT in a.columns and S.ASSIGNED_AT in others.columns
        if dated:
            t = pd.to_datetime(a[S.ASSIGNED_AT], utc=True)
            lo, hi = t.min(), t.max()
        for name, o in others.groupby(S.EXPERIMENT, sort=True):
            if dated:
                ot = pd.to_datetime(o[S.ASSIGNED_AT], utc=True)
                if ot.max() < lo or ot.min() > hi:
                    continue
            o = o.drop_duplicates(S.USER_ID).rename(columns={S.VARIANT: "other_variant"})
            both = users.merge(o[[S.USER_ID, "other_variant"]], on=S.USER_ID)
            p = _contingency_p(pd.crosstab(both[S.VARIANT], both["other_variant"])) \
                if len(both) else 1.0
            add(f"overlap:{name}", p >= SRM_ALPHA, len(both), p,
                f"{len(both)} users are also in experiment {name!r}; its variants are "
                f"{'not ' if p < SRM_ALPHA else ''}balanced across this one's (p = {p:.4g}).")

    table = pd.DataFrame(rows, columns=["check", "status", "value", "p_value", "sentence"])
    return HealthReport(experiment=experiment, table=table, counts=counts, excluded_users=multi)


# --- the 05_ab_readout notebook: preflight, inputs and sections --------------------------------------

NO_SEGMENT = "(none)"              # segment label of users without a persona / platform
METRIC_LABELS = {"converted": "conversion", "orders": "orders per user",
                 "revenue": "revenue per user", "active_days": "active days",
                 "retained_d7": "day-7 retention",
                 "revenue_per_order": "revenue per order (delta method)"}


def readout_metrics() -> list:
    """The metric family of the readout: conversion, orders and revenue per user, active days,
    day-7 retention (all from :func:`helpers.experiments.user_metrics`) and revenue per order
    (a ratio, delta method).

    Examples
    --------
    >>> [getattr(m, "name", m) for m in readout_metrics()][-1]
    'revenue_per_order'
    """
    from helpers.experiments import RatioMetric  # experiments imports this module

    return ["converted", "orders", "revenue", "active_days", "retained_d7",
            RatioMetric("revenue_per_order", "revenue", "orders")]


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
            f"assigned_at columns (e.g. `assignments: {{path: data/assignments.csv}}`).")
    require_columns(assignments, [S.USER_ID, S.EXPERIMENT, S.VARIANT], "`assignments`")
    cols = [c for c in (S.USER_ID, S.EXPERIMENT, S.VARIANT, S.ASSIGNED_AT, ASSIGNED_DAY)
            if c in assignments.columns]
    frame = assignments[cols]
    frame = frame.copy() if isinstance(frame, pd.DataFrame) else frame.execute()
    found = sorted(frame[S.EXPERIMENT].dropna().astype(str).unique())
    if experiment not in found:
        raise ParameterError(f"The parameter `experiment` must be one of the experiments in the "
                             f"assignments table {found}, but {experiment!r} was passed.")
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
                f"{cutoff.isoformat()}: choose a later `month`.")
        frame = frame[frame[ASSIGNED_DAY] <= cutoff]
    return frame.sort_values([S.EXPERIMENT, S.USER_ID], kind="mergesort").reset_index(drop=True)


def readout_health(assignments_df: pd.DataFrame, per_user: pd.DataFrame, *, experiment: str,
                   split=(), start: str = "", min_per_variant: int = 100) -> HealthReport:
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
    report = health_checks(assignments_df, experiment=experiment,
                           split=list(split) if len(split) else None, start=start or None,
                           min_per_variant=min_per_variant, activity_after=per_user,
                           other_assignments=assignments_df)
    if start:
        return report
    skipped = pd.DataFrame([{"check": "before_start", "status": "skipped", "value": np.nan,
                             "p_value": np.nan,
                             "sentence": "Assignments before the experiment start were not "
                                         "checked: set the parameter `start` (YYYY-MM-DD)."}])
    return replace(report, table=pd.concat([report.table, skipped], ignore_index=True))


def _platform_per_user(users, user_day) -> pd.Series | None:
    if users is not None and S.PLATFORM in users.columns:
        u = users.dropna(subset=[S.PLATFORM])
        return u.assign(**{S.USER_ID: u[S.USER_ID].astype(str)}).drop_duplicates(S.USER_ID) \
            .set_index(S.USER_ID)[S.PLATFORM].astype(str)
    if user_day is not None and S.PLATFORM in user_day.columns:
        counts = (user_day.group_by([S.USER_ID, S.PLATFORM])
                  .aggregate(days=user_day.count()).execute())  # one row per user and platform
        counts = counts.sort_values([S.USER_ID, "days", S.PLATFORM],
                                    ascending=[True, False, True], kind="mergesort")
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


def attach_segments(per_user: pd.DataFrame, *, personas_path=None, users=None,
                    user_day=None) -> SegmentInputs:
    """Add ``persona`` and ``platform`` columns to the readout's per-user table, when available.

    Parameters
    ----------
    per_user : DataFrame
        :func:`helpers.experiments.user_metrics` output.
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
        notes.append(f"Personas from {path.name}: {int((out[S.PERSONA] != NO_SEGMENT).sum())} "
                     f"of {len(out)} assigned users have one.")
    else:
        where = str(path) if path is not None else "the artifacts folder"
        notes.append(f"Personas were not available ({where} not found: run 03_personas for "
                     f"this month first); no per-persona effects.")
    platform = _platform_per_user(users, user_day)
    if platform is not None:
        out[S.PLATFORM] = ids.map(platform).fillna(NO_SEGMENT).astype(str)
        columns.append(S.PLATFORM)
        notes.append(f"Platform per user: {int((out[S.PLATFORM] != NO_SEGMENT).sum())} of "
                     f"{len(out)} assigned users have one.")
    else:
        notes.append("No platform was available (neither a users `platform` attribute nor a "
                     "platform in user_day); no per-platform effects.")
    return SegmentInputs(per_user=out, columns=columns, notes=notes)


def add_segments(readout, segments: SegmentInputs, *, alpha: float | None = None):
    """The readout with per-segment effects of its primary metrics for every segment column.

    Each :class:`~helpers.experiments_stats.SegmentEffects` holds Welch intervals per segment,
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
                eff = segment_effects(df, metric=metric, segment_col=col, control=readout.control,
                                      treatment=v, relative=settings.get("relative", True),
                                      alpha=alpha)
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
        return (f"<p{style}><b>{html.escape(self.heading)}</b></p>"
                + (f"<ul>{items}</ul>" if items else "") + body)


def decision_box(readout) -> ReadoutView:
    """The decision (ship / do not ship / keep running / invalid) with its reasons.

    Examples
    --------
    >>> from helpers.experiments import analyze_experiment
    >>> df = pd.DataFrame({"variant": ["control"] * 50 + ["treatment"] * 50,
    ...                    "converted": [0, 1] * 25 + [1, 1, 1, 0, 1] * 10})
    >>> decision_box(analyze_experiment(df, primary=["converted"])).heading
    'Decision for : ship treatment.'
    """
    color = ("#2e7d32" if readout.decision.startswith("ship") else
             "#c0392b" if readout.decision in ("do not ship", INVALID) else "#b9770e")
    return ReadoutView(heading=f"Decision for {readout.experiment}: {readout.decision}.",
                       table=pd.DataFrame(), notes=list(readout.reasons), color=color)


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


def metrics_view(readout, *, method: str = "frequentist", per_user: pd.DataFrame | None = None
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
        cols = ["metric", "role", "variant", "n_control", "n", "mean_control", "mean",
                "lift_abs", "ci_abs_low", "ci_abs_high", "lift_rel", "ci_rel_low", "ci_rel_high",
                "p_value", "p_decision", "p_holm", "p_bh"]
        heading = (f"Lift of each metric over {readout.control} ({settings.get('intervals', '')} "
                   f"intervals at {1 - settings.get('alpha', 0.05):.0%}); p_value: the {scale} lift's "
                   "test; p_decision: the p-value the decision reads (CUPED's where CUPED applied, "
                   "else p_value); p_holm and p_bh: p_decision adjusted across the family (Holm, "
                   "Benjamini-Hochberg).")
        return ReadoutView(heading=heading, table=t[cols].rename(columns={"n": "n_treatment",
                                                                       "mean": "mean_treatment"}))
    if method == "cuped":
        c = t[t["cuped_variance_reduction"].notna()]
        cols = ["metric", "variant", "cuped_variance_reduction", "lift_rel", "ci_rel_low",
                "ci_rel_high", "cuped_lift", "cuped_ci_low", "cuped_ci_high", "cuped_p_value"]
        heading = ("CUPED: each metric adjusted with its own pre-assignment value; the variance "
                   f"reduction and the adjusted {scale} lift with its interval.")
        skipped = sorted(set(t["metric"]) - set(c["metric"]))
        notes = [f"Not adjusted (no pre-assignment value, or a ratio): {', '.join(skipped)}."] \
            if skipped and settings.get("cuped", True) else []
        if not settings.get("cuped", True):
            notes = ["CUPED was turned off (parameter `cuped`)."]
        return ReadoutView(heading=heading, table=c[cols], notes=notes)
    t = t.copy()
    t["credible_low"], t["credible_high"] = np.nan, np.nan
    if per_user is not None:
        names = {getattr(m, "name", m): m for m in readout_metrics()}
        for i, r in t.iterrows():
            spec = names.get(r["key"], r["key"])
            b = bayesian_test(_stats(per_user, spec, readout.control),
                              _stats(per_user, spec, r[S.VARIANT]),
                              relative=settings.get("relative", True),
                              alpha=settings.get("alpha", 0.05))
            t.loc[i, ["credible_low", "credible_high"]] = b.ci
    cols = ["metric", "variant", "lift_rel" if scale == "relative" else "lift_abs",
            "credible_low", "credible_high", "chance_to_win", "risk_control", "risk_treatment"]
    heading = (f"Bayesian view (flat prior): chance that {', '.join(t[S.VARIANT].unique())} beats "
               f"{readout.control}, the credible interval of the {scale} lift, and the expected "
               f"loss (risk) of choosing each side.")
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
    >>> from helpers.experiments import analyze_experiment
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
    return {"decision": readout.decision,
            "primary_lift": float(rows[lift_col].iloc[0]) if len(rows) and valid else None,
            "srm_p_value": srm}

"""A/B test readouts: per-user metrics (engine), health checks, and the readout with a decision.

The statistics live in :mod:`helpers.experiments_stats` (gbstats conventions); this module turns
tables into the inputs of those tests and the results into tidy, displayable objects.

Flow in the ``05_ab_readout`` notebook::

    per_user = user_metrics(assignments, user_day, experiment=name, as_of=ctx.as_of)
    health = health_checks(assignments_df, experiment=name, activity_after=per_user)
    readout = analyze_experiment(per_user, metrics=[...], primary=[...], health=health)
    readout            # displays; readout.to_json() -> artifacts/ab_<experiment>.json
"""

from __future__ import annotations

import datetime as dt
import html
import math
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import ibis
import numpy as np
import pandas as pd

from helpers import schema as S
from helpers.errors import DataError, ParameterError
from helpers.experiments_stats import (
    Proportion, RatioStatistic, SampleMean, SegmentEffects, _contingency_p, _table_html,
    adjust_pvalues, bayesian_test, cuped_adjust, frequentist_test, segment_effects, srm_test,
    summarize,
)

__all__ = [
    "ASSIGNED_DAY", "user_metrics", "running_experiments", "health_checks", "HealthReport",
    "segment_effects", "SegmentEffects", "analyze_experiment", "Readout", "RatioMetric",
    "SampleMean", "Proportion", "RatioStatistic", "frequentist_test", "bayesian_test", "srm_test",
    "adjust_pvalues", "cuped_adjust",
]

ASSIGNED_DAY = "assigned_day"      # assignment date in the business timezone (computed upstream)
PRE_PREFIX = "pre_"                # pre-period column of a metric, used by CUPED
SRM_ALPHA = 0.001                  # SRM and overlap checks fail below this p-value
MULTI_VARIANT_MAX_SHARE = 0.01     # more users than this in several variants fails the check
PER_USER_METRICS = ["converted", "orders", "revenue", "active_days", "events"]


def _require(df_columns, needed, what: str) -> None:
    missing = [c for c in needed if c not in df_columns]
    if missing:
        raise DataError(f"{what} needs the column(s) {missing}, but only {list(df_columns)} "
                        f"were found.")


def _as_date(value, name: str) -> dt.date:
    try:
        return pd.Timestamp(value).date()
    except (TypeError, ValueError):
        raise ParameterError(f"`{name}` must be a date like '2024-03-31', but {value!r} "
                             f"was passed.") from None


# --- per-user metrics in the engine -----------------------------------------------------------------

def user_metrics(assignments, user_day, *, experiment: str, window_days: int = 28,
                 as_of) -> pd.DataFrame:
    """Per assigned user metrics over the analysis window, computed in the engine (ibis).

    Intent-to-treat: every user assigned on or before ``as_of`` counts, zero-filled when no
    activity followed. Users assigned to more than one variant are excluded (``health_checks``
    counts them); a user assigned twice to one variant keeps the earliest ``assigned_day``.

    Parameters
    ----------
    assignments : ibis.Table or pandas.DataFrame
        Columns ``user_id``, ``experiment``, ``variant`` and ``assigned_day`` (the assignment
        date in the business timezone, computed upstream: no timezone work happens here).
    user_day : ibis.Table
        ``user_day`` (docs/internals.md): ``user_id, day, events, active_events, orders, revenue``.
    experiment : str
        Experiment to compute.
    window_days : int
        Window from ``assigned_day`` through ``assigned_day + window_days - 1``, capped at
        ``as_of``. The pre-period is the ``window_days`` days before ``assigned_day``.
    as_of : date
        Last day with data.

    Returns
    -------
    pandas.DataFrame
        One row per user: ``user_id, variant, assigned_day, exposure_days`` (days of the window
        observed), ``converted`` (0/1, any order), ``orders, revenue, active_days`` (days with
        ``active_events > 0``), ``events``, ``retained_d7`` (1.0/0.0: active on a day in
        ``[assigned_day+7, assigned_day+13]``; NaN when that window ends after ``as_of``), and
        ``pre_converted, pre_orders, pre_revenue, pre_active_days, pre_events``.

    Examples
    --------
    >>> from helpers.pipeline import load_project  # doctest: +SKIP
    >>> per_user = user_metrics(assignments, project.user_day, experiment="checkout_v2",
    ...                         as_of=dt.date(2024, 3, 31))  # doctest: +SKIP
    """
    if window_days < 14:
        raise ParameterError(f"`window_days` must be at least 14 (retained_d7 needs days 7-13), "
                             f"but {window_days!r} was passed.")
    as_of = _as_date(as_of, "as_of")
    cols = [S.USER_ID, S.EXPERIMENT, S.VARIANT, ASSIGNED_DAY]
    if isinstance(assignments, pd.DataFrame):
        _require(assignments.columns, cols, "`assignments`")
        frame = assignments[cols].copy()
        frame[ASSIGNED_DAY] = pd.to_datetime(frame[ASSIGNED_DAY]).dt.date
        frame[S.USER_ID] = frame[S.USER_ID].astype(str)
        assignments = ibis.memtable(frame)
    _require(assignments.columns, cols, "`assignments`")
    _require(user_day.columns, [S.USER_ID, S.DAY, S.UD_EVENTS, S.UD_ACTIVE_EVENTS, S.UD_ORDERS,
                                S.UD_REVENUE], "`user_day`")

    a = assignments.filter((assignments[S.EXPERIMENT] == experiment)
                           & (assignments[ASSIGNED_DAY].cast("date") <= as_of))
    per_user = a.group_by(S.USER_ID).aggregate(
        n_variants=a[S.VARIANT].nunique(), variant=a[S.VARIANT].min(),
        assigned_day=a[ASSIGNED_DAY].cast("date").min())
    per_user = per_user.filter(per_user.n_variants == 1).drop("n_variants")

    ud = user_day.select(S.USER_ID, S.DAY, S.UD_EVENTS, S.UD_ACTIVE_EVENTS, S.UD_ORDERS,
                         S.UD_REVENUE)
    j = ud.join(per_user, S.USER_ID)
    ad, day = j[ASSIGNED_DAY], j[S.DAY].cast("date")
    end = ibis.least(ad + ibis.interval(days=window_days - 1), ibis.literal(as_of, type="date"))
    win = (day >= ad) & (day <= end)
    pre = (day >= ad - ibis.interval(days=window_days)) & (day < ad)
    d7 = (day >= ad + ibis.interval(days=7)) & (day <= ad + ibis.interval(days=13))
    active = j[S.UD_ACTIVE_EVENTS] > 0

    def total(cond, value):
        return ibis.ifelse(cond, value, 0).sum()

    aggs = {}
    for prefix, cond in (("", win), (PRE_PREFIX, pre)):
        aggs[prefix + "orders"] = total(cond, j[S.UD_ORDERS])
        aggs[prefix + "revenue"] = total(cond, j[S.UD_REVENUE].cast("float64"))
        aggs[prefix + "active_days"] = total(cond & active, 1)
        aggs[prefix + "events"] = total(cond, j[S.UD_EVENTS])
    aggs["d7_active_days"] = total(d7 & active & (day <= as_of), 1)
    sums = j.group_by(S.USER_ID).aggregate(**aggs)

    out = per_user.left_join(sums, S.USER_ID).drop(S.USER_ID + "_right").execute()
    out[ASSIGNED_DAY] = pd.to_datetime(out[ASSIGNED_DAY]).dt.date
    for prefix in ("", PRE_PREFIX):
        for c in ("orders", "active_days", "events"):
            out[prefix + c] = out[prefix + c].fillna(0).astype("int64")
        out[prefix + "revenue"] = out[prefix + "revenue"].fillna(0.0).astype(float)
        out[prefix + "converted"] = (out[prefix + "orders"] > 0).astype("int64")
    days_seen = out[ASSIGNED_DAY].map(lambda d: (as_of - d).days + 1)
    out["exposure_days"] = days_seen.clip(upper=window_days).astype("int64")
    d7_closed = days_seen >= 14
    out["retained_d7"] = np.where(d7_closed, (out["d7_active_days"].fillna(0) > 0).astype(float),
                                  np.nan)
    order = ([S.USER_ID, S.VARIANT, ASSIGNED_DAY, "exposure_days"] + PER_USER_METRICS
             + ["retained_d7"] + [PRE_PREFIX + c for c in PER_USER_METRICS])
    return out[order].sort_values(S.USER_ID, kind="mergesort").reset_index(drop=True)


def running_experiments(assignments_df: pd.DataFrame, *, month_start, month_end) -> list[str]:
    """Names of experiments with at least one assignment in ``[month_start, month_end]``.

    Uses ``assigned_day`` (business dates) when present, else the UTC date of ``assigned_at``.
    Without either column every experiment is returned (its timing cannot be told).

    Examples
    --------
    >>> df = pd.DataFrame({"user_id": ["a", "b"], "experiment": ["x", "y"],
    ...                    "variant": ["control", "control"],
    ...                    "assigned_day": [dt.date(2024, 2, 3), dt.date(2024, 3, 9)]})
    >>> running_experiments(df, month_start="2024-03-01", month_end="2024-03-31")
    ['y']
    """
    _require(assignments_df.columns, [S.EXPERIMENT], "`assignments_df`")
    lo, hi = _as_date(month_start, "month_start"), _as_date(month_end, "month_end")
    if ASSIGNED_DAY in assignments_df.columns:
        days = pd.to_datetime(assignments_df[ASSIGNED_DAY]).dt.date
    elif S.ASSIGNED_AT in assignments_df.columns:
        days = pd.to_datetime(assignments_df[S.ASSIGNED_AT], utc=True).dt.date
    else:
        return sorted(assignments_df[S.EXPERIMENT].dropna().unique().tolist())
    mask = (days >= lo) & (days <= hi)
    return sorted(assignments_df.loc[mask, S.EXPERIMENT].dropna().unique().tolist())


# --- health checks ------------------------------------------------------------------------------------

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
        return [{k: _json_value(v) for k, v in row.items()}
                for row in self.table.to_dict("records")]

    def _repr_html_(self) -> str:
        n_fail = len(self.failed)
        head = (f"<p><b>Health checks of {html.escape(self.experiment)}</b>: "
                f"{len(self.table)} checks, {n_fail} failing.</p>")
        rows = []
        for r in self.table.itertuples():
            color = "#c0392b" if r.status == "fail" else "#2e7d32"
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
    _require(assignments_df.columns, [S.USER_ID, S.EXPERIMENT, S.VARIANT], "`assignments_df`")
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
        _require(a.columns, [S.ASSIGNED_AT], "The `start` check on `assignments_df`")
        start_ts = pd.Timestamp(start)
        start_ts = start_ts.tz_localize("UTC") if start_ts.tzinfo is None else start_ts
        early = int((pd.to_datetime(users[S.ASSIGNED_AT], utc=True) < start_ts).sum())
        add("before_start", early == 0, early, np.nan,
            f"{early} users were assigned before the experiment start {start_ts.isoformat()}.")

    if activity_after is not None:
        if isinstance(activity_after, pd.DataFrame):
            _require(activity_after.columns, [S.USER_ID, "events"], "`activity_after`")
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
        _require(other_assignments.columns, [S.USER_ID, S.EXPERIMENT, S.VARIANT],
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


# --- the readout -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RatioMetric:
    """A ratio metric ``sum(numerator) / sum(denominator)`` (e.g. revenue per order)."""

    name: str
    numerator: str
    denominator: str


def _json_value(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, (dt.date, pd.Timestamp)):
        return v.isoformat()
    return v


@dataclass
class Readout:
    """An experiment readout: the results table, segments, health checks and the decision.

    ``results`` has one row per metric and variant (control rows carry only ``n`` and ``mean``).
    See :func:`analyze_experiment` for the columns and the decision rule.
    """

    experiment: str
    control: str
    results: pd.DataFrame
    decision: str
    reasons: list
    health: HealthReport | None = None
    segments: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """The ``artifacts/ab_<experiment>.json`` dict (NaN become null)."""
        metrics: dict = {}
        for r in self.results.to_dict("records"):
            entry = {"n": r["n"], "mean": r["mean"]}
            if r["variant"] != self.control:
                entry.update({
                    "lift": {"abs": r["lift_abs"], "rel": r["lift_rel"]},
                    "ci": {"abs": [r["ci_abs_low"], r["ci_abs_high"]],
                           "rel": [r["ci_rel_low"], r["ci_rel_high"]]},
                    "p_value": r["p_value"], "p_holm": r["p_holm"], "p_bh": r["p_bh"],
                    "chance_to_win": r["chance_to_win"],
                    "risk": [r["risk_control"], r["risk_treatment"]],
                    "cuped": {"variance_reduction": r["cuped_variance_reduction"],
                              "ci": [r["cuped_ci_low"], r["cuped_ci_high"]],
                              "p_value": r["cuped_p_value"]}})
            metrics.setdefault(r["metric"], {})[r["variant"]] = entry
        out = {"experiment": self.experiment, "control": self.control,
               "decision": self.decision, "reasons": list(self.reasons),
               "settings": self.settings,
               "health_checks": self.health.to_records() if self.health else [],
               "metrics": metrics,
               "segments": [{"metric": s.metric, "variant": s.variant, "q": s.q,
                             "q_p_value": s.q_p_value,
                             "rows": s.table.to_dict("records")} for s in self.segments]}
        return _clean_json(out)

    def _repr_html_(self) -> str:
        parts = []
        if self.health is not None and len(self.health.failed):
            items = "".join(f"<li>{html.escape(s)}</li>" for s in self.health.failed["sentence"])
            parts.append(f"<div style='color:#c0392b'><b>Failing health checks</b><ul>{items}"
                         f"</ul></div>")
        reasons = "".join(f"<li>{html.escape(r)}</li>" for r in self.reasons)
        parts.append(f"<div style='border:1px solid #888;padding:6px'><b>Decision for "
                     f"{html.escape(self.experiment)}: {html.escape(self.decision)}</b>"
                     f"<ul>{reasons}</ul></div>")
        shown = ["metric", "role", "variant", "n", "mean", "lift_rel", "ci_rel_low",
                 "ci_rel_high", "p_value", "p_holm", "p_bh", "chance_to_win",
                 "cuped_variance_reduction"]
        parts.append(_table_html(self.results[shown]))
        if self.health is not None:
            parts.append(self.health._repr_html_())
        parts.extend(s._repr_html_() for s in self.segments)
        return "".join(parts)


def _clean_json(obj):
    if isinstance(obj, dict):
        return {str(k): _clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean_json(v) for v in obj]
    return _json_value(obj)


def _metric_stats(df, spec, variant_col, variant):
    g = df[df[variant_col] == variant]
    if isinstance(spec, RatioMetric):
        return RatioStatistic.from_values(g[spec.numerator], g[spec.denominator])
    return summarize(g[spec])


def analyze_experiment(per_user_df: pd.DataFrame, *, experiment: str = "",
                       variant_col: str = S.VARIANT, control: str = "control",
                       metrics: Sequence = (), primary: Sequence[str] = (),
                       guardrails: Sequence[str] = (), lower_is_better: Iterable[str] = (),
                       segment_col: str | None = None, cuped: bool = True,
                       health: HealthReport | None = None, relative: bool = True,
                       alpha: float = 0.05, sequential: bool = False,
                       sequential_tuning: float = 5000.0) -> Readout:
    """Read out an experiment from one row per user.

    Parameters
    ----------
    per_user_df : DataFrame
        ``user_metrics`` output (or any per-user table with ``variant_col`` and metric columns).
    metrics : sequence of str or RatioMetric
        The family of metrics: columns (0/1 columns are proportions, others means) or
        :class:`RatioMetric` (delta method). Primary metrics and guardrails are added if missing.
    primary, guardrails : sequence of str
        Metric names that decide (primary) or veto (guardrails).
    lower_is_better : iterable of str
        Metrics where a decrease is good (e.g. refunds).
    segment_col : str, optional
        Segment column (persona, platform): per-segment effects of the primary metrics.
    cuped : bool
        Adjust each mean metric with its ``pre_<metric>`` column when present (CUPED, theta
        pooled over variants). Ratio metrics are not adjusted.
    health : HealthReport, optional
        From :func:`health_checks`; failing checks enter the decision.
    relative : bool
        Whether ``p_value``, ``chance_to_win`` and ``risk`` refer to the relative lift (as
        GrowthBook) or the absolute one. Both lifts and intervals are always reported.
    sequential : bool
        Always-valid intervals and p-values (Waudby-Smith mixture, tuning ``sequential_tuning``)
        instead of fixed-horizon ones; the settings record it.

    Returns
    -------
    Readout
        ``results`` columns: ``metric, role, kind, variant, n, mean, lift_abs, ci_abs_low,
        ci_abs_high, lift_rel, ci_rel_low, ci_rel_high, p_value, chance_to_win, risk_control,
        risk_treatment, cuped_variance_reduction, cuped_lift, cuped_ci_low, cuped_ci_high,
        cuped_p_value, p_holm, p_bh``. ``p_holm`` and ``p_bh`` adjust, across every metric and
        treatment variant of the family, the decision p-value: ``cuped_p_value`` where CUPED
        applied, else ``p_value``.

    Notes
    -----
    Decision rule, per treatment variant ("good direction" = up, or down for
    ``lower_is_better``):

    1. If any health check other than ``min_sample`` fails: **do not ship** (the readout is
       not trustworthy; fix the assignment and rerun).
    2. A guardrail moving in the bad direction with decision p-value < ``alpha`` (unadjusted,
       to be sensitive to harm), or a primary metric moving in the bad direction with Holm
       p < ``alpha``: **do not ship** this variant.
    3. Every primary metric moving in the good direction with Holm p < ``alpha``, and the
       ``min_sample`` check not failing: **ship** this variant.

    "Holm p" in the rule is Holm over the confirmatory family only (primary metrics x treatment
    variants; with one primary metric and one treatment it is the decision p-value itself).
    The ``p_holm`` / ``p_bh`` columns adjust over the whole declared family and are reported
    for reading secondary metrics.
    4. Otherwise: **keep running**.

    Overall: ship the shipping variant with the largest lift on the first primary metric; else
    do not ship if every variant is "do not ship"; else keep running.

    Examples
    --------
    >>> df = pd.DataFrame({"variant": ["control"] * 50 + ["treatment"] * 50,
    ...                    "converted": [0, 1] * 25 + [1, 1, 1, 0, 1] * 10})
    >>> analyze_experiment(df, metrics=["converted"], primary=["converted"]).decision
    'ship treatment'
    """
    _require(per_user_df.columns, [variant_col], "`per_user_df`")
    specs = list(metrics)
    names = [m.name if isinstance(m, RatioMetric) else m for m in specs]
    for m in list(primary) + list(guardrails):
        if m not in names:
            specs.append(m)
            names.append(m)
    if not specs:
        raise ParameterError("`metrics` must name at least one metric column, but it is empty.")
    for m in specs:
        need = [m.numerator, m.denominator] if isinstance(m, RatioMetric) else [m]
        _require(per_user_df.columns, need, f"Metric {m!r} in `per_user_df`")
    variants = sorted(per_user_df[variant_col].dropna().unique())
    if control not in variants:
        raise ParameterError(f"`control` must be one of the variants {variants}, but "
                             f"{control!r} was passed.")
    treatments = [v for v in variants if v != control]
    lower = set(lower_is_better)
    rows = []
    for spec, name in zip(specs, names):
        role = "primary" if name in primary else "guardrail" if name in guardrails else "secondary"
        st = {v: _metric_stats(per_user_df, spec, variant_col, v) for v in variants}
        kind = ("ratio" if isinstance(spec, RatioMetric) else
                "prop" if isinstance(st[control], Proportion) else "mean")
        cup = None
        pre = PRE_PREFIX + name
        if cuped and kind != "ratio" and pre in per_user_df.columns:
            cup = cuped_adjust(per_user_df[name].to_numpy(float),
                               per_user_df[pre].to_numpy(float), groups=per_user_df[variant_col])
        rows.append({"metric": name, "role": role, "kind": kind, "variant": control,
                     "n": st[control].n, "mean": st[control].mean})
        for v in treatments:
            c, t = st[control], st[v]
            kw = {"alpha": alpha, "sequential": sequential, "sequential_tuning": sequential_tuning}
            fa = frequentist_test(c, t, relative=False, **kw)
            fr = frequentist_test(c, t, relative=True, **kw)
            b = bayesian_test(c, t, relative=relative, alpha=alpha)
            row = {"metric": name, "role": role, "kind": kind, "variant": v, "n": t.n,
                   "mean": t.mean, "lift_abs": fa.expected, "ci_abs_low": fa.ci[0],
                   "ci_abs_high": fa.ci[1], "lift_rel": fr.expected, "ci_rel_low": fr.ci[0],
                   "ci_rel_high": fr.ci[1], "p_value": (fr if relative else fa).p_value,
                   "chance_to_win": b.chance_to_win, "risk_control": b.risk[0],
                   "risk_treatment": b.risk[1], "cuped_variance_reduction": np.nan,
                   "cuped_lift": np.nan, "cuped_ci_low": np.nan, "cuped_ci_high": np.nan,
                   "cuped_p_value": np.nan}
            if name in lower:
                row["chance_to_win"] = 1 - b.chance_to_win
                row["risk_control"], row["risk_treatment"] = b.risk[1], b.risk[0]
            if cup is not None:
                adj = pd.Series(cup.adjusted, index=per_user_df.index)
                ca = SampleMean.from_values(adj[per_user_df[variant_col] == control])
                ta = SampleMean.from_values(adj[per_user_df[variant_col] == v])
                ra = frequentist_test(ca, ta, relative=relative, **kw)
                row.update({"cuped_variance_reduction": cup.variance_reduction,
                            "cuped_lift": ra.expected, "cuped_ci_low": ra.ci[0],
                            "cuped_ci_high": ra.ci[1], "cuped_p_value": ra.p_value})
            rows.append(row)
    res = pd.DataFrame(rows)
    is_t = res["variant"] != control
    decide_p = res["cuped_p_value"].where(res["cuped_p_value"].notna(), res["p_value"])
    res["p_holm"] = np.nan
    res["p_bh"] = np.nan
    res.loc[is_t, "p_holm"] = adjust_pvalues(decide_p[is_t].to_numpy(), "holm")
    res.loc[is_t, "p_bh"] = adjust_pvalues(decide_p[is_t].to_numpy(), "bh")
    res["_p"] = decide_p
    # the decision adjusts over the confirmatory family only: primary metrics x treatments
    is_primary = is_t & res["metric"].isin(list(primary))
    res["_p_primary"] = np.nan
    res.loc[is_primary, "_p_primary"] = adjust_pvalues(decide_p[is_primary].to_numpy(), "holm")

    decision, reasons = _decide(res, control, treatments, list(primary), list(guardrails),
                                lower, health, alpha, relative)
    res = res.drop(columns=["_p", "_p_primary"])
    segs = []
    if segment_col is not None:
        for m in primary:
            for v in treatments:
                segs.append(segment_effects(per_user_df, metric=m, segment_col=segment_col,
                                            variant_col=variant_col, control=control,
                                            treatment=v, relative=relative, alpha=alpha))
    settings = {"alpha": alpha, "relative": relative, "cuped": cuped,
                "sequential": sequential, "sequential_tuning": sequential_tuning if sequential
                else None, "primary": list(primary), "guardrails": list(guardrails),
                "intervals": ("always-valid (sequential, mixture SPRT)" if sequential
                              else "fixed-horizon Welch")}
    return Readout(experiment=experiment, control=control, results=res, decision=decision,
                   reasons=reasons, health=health, segments=segs, settings=settings)


def _decide(res, control, treatments, primary, guardrails, lower, health, alpha, relative):
    reasons = []
    lift_col = "lift_rel" if relative else "lift_abs"
    if health is None:
        reasons.append("No health checks were passed; assignment quality is unchecked.")
        blocking, small = [], False
    else:
        failed = health.failed
        blocking = failed[failed["check"] != "min_sample"]["sentence"].tolist()
        small = bool((failed["check"] == "min_sample").any())
    if blocking:
        return "do not ship", ["Health check failed: " + s for s in blocking]
    if not primary:
        return "keep running", reasons + ["No primary metric was declared."]
    per_variant = {}
    for v in treatments:
        r = res[res["variant"] == v].set_index("metric")

        def good(m):
            s = np.sign(r.at[m, lift_col])
            return -s if m in lower else s

        harm = [m for m in guardrails if good(m) < 0 and r.at[m, "_p"] < alpha]
        loss = [m for m in primary if good(m) < 0 and r.at[m, "_p_primary"] < alpha]
        win = all(good(m) > 0 and r.at[m, "_p_primary"] < alpha for m in primary)
        if harm or loss:
            per_variant[v] = "do not ship"
            reasons += [f"{v}: guardrail {m} got worse (p = {r.at[m, '_p']:.3g})." for m in harm]
            reasons += [f"{v}: primary {m} got worse (Holm p = {r.at[m, '_p_primary']:.3g})."
                        for m in loss]
        elif win and not small:
            per_variant[v] = "ship"
            reasons.append(f"{v}: every primary metric improved (Holm p < {alpha}) and no "
                           f"guardrail got worse.")
        else:
            per_variant[v] = "keep running"
            why = ("a variant is below the minimum sample" if win and small
                   else "the primary metrics are not conclusive")
            reasons.append(f"{v}: {why} (Holm p: " + ", ".join(
                f"{m} {r.at[m, '_p_primary']:.3g}" for m in primary) + ").")
    ships = [v for v, d in per_variant.items() if d == "ship"]
    if ships:
        first = res[(res["metric"] == primary[0]) & res["variant"].isin(ships)]
        best = first.sort_values(lift_col, ascending=primary[0] in lower)["variant"].iloc[0]
        return f"ship {best}", reasons
    if per_variant and all(d == "do not ship" for d in per_variant.values()):
        return "do not ship", reasons
    return "keep running", reasons

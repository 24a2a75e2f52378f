"""A/B test readouts: per-user metrics (engine), health checks, and the readout with a decision.

The statistics live in :mod:`helpers.analysis.experiments.stats` (gbstats conventions); this module turns
tables into the inputs of those tests and the results into tidy, displayable objects.

Flow in the ``05_ab_readout`` notebook::

    per_user = user_metrics(assignments, user_day, experiment=name, as_of=ctx.as_of)
    health = health_checks(assignments_df, experiment=name, activity_after=per_user)
    readout = analyze_experiment(per_user, metrics=[...], primary=[...], health=health)
    readout            # displays; readout.to_json() -> artifacts/ab_<experiment>.json
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd

from helpers.analysis.experiments.health import ASSIGNED_DAY, INVALID, HealthReport
from helpers.analysis.experiments.stats import (
    Proportion,
    RatioStatistic,
    SampleMean,
    _table_html,
    adjust_pvalues,
    bayesian_test,
    cuped_adjust,
    frequentist_test,
    segment_effects,
    summarize,
)
from helpers.core import schema as S
from helpers.core.checks import as_date, jsonable, require_columns
from helpers.core.errors import ParameterError

__all__ = ["user_metrics", "running_experiments", "analyze_experiment", "Readout", "RatioMetric"]

PRE_PREFIX = "pre_"  # pre-period column of a metric, used by CUPED
PER_USER_METRICS = ["converted", "orders", "revenue", "active_days", "events"]


# --- per-user metrics in the engine -----------------------------------------------------------------


def user_metrics(
    assignments, user_day, *, experiment: str, window_days: int = 28, as_of
) -> pd.DataFrame:
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
    >>> from helpers.data.pipeline import load_project  # doctest: +SKIP
    >>> per_user = user_metrics(assignments, project.user_day, experiment="checkout_v2",
    ...                         as_of=dt.date(2024, 3, 31))  # doctest: +SKIP
    """
    if window_days < 14:
        raise ParameterError(
            f"`window_days` must be at least 14 (retained_d7 needs days 7-13), "
            f"but {window_days!r} was passed."
        )
    as_of = as_date(as_of, "as_of")
    cols = [S.USER_ID, S.EXPERIMENT, S.VARIANT, ASSIGNED_DAY]
    if isinstance(assignments, pd.DataFrame):
        require_columns(assignments, cols, "`assignments`")
        frame = assignments[cols].copy()
        frame[ASSIGNED_DAY] = pd.to_datetime(frame[ASSIGNED_DAY]).dt.date
        frame[S.USER_ID] = frame[S.USER_ID].astype(str)
        assignments = ibis.memtable(frame)
    require_columns(assignments, cols, "`assignments`")
    require_columns(
        user_day,
        [S.USER_ID, S.DAY, S.UD_EVENTS, S.UD_ACTIVE_EVENTS, S.UD_ORDERS, S.UD_REVENUE],
        "`user_day`",
    )

    a = assignments.filter(
        (assignments[S.EXPERIMENT] == experiment)
        & (assignments[ASSIGNED_DAY].cast("date") <= as_of)
    )
    per_user = a.group_by(S.USER_ID).aggregate(
        n_variants=a[S.VARIANT].nunique(),
        variant=a[S.VARIANT].min(),
        assigned_day=a[ASSIGNED_DAY].cast("date").min(),
    )
    per_user = per_user.filter(per_user.n_variants == 1).drop("n_variants")

    ud = user_day.select(
        S.USER_ID, S.DAY, S.UD_EVENTS, S.UD_ACTIVE_EVENTS, S.UD_ORDERS, S.UD_REVENUE
    )
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
    out["retained_d7"] = np.where(
        d7_closed, (out["d7_active_days"].fillna(0) > 0).astype(float), np.nan
    )
    order = (
        [S.USER_ID, S.VARIANT, ASSIGNED_DAY, "exposure_days"]
        + PER_USER_METRICS
        + ["retained_d7"]
        + [PRE_PREFIX + c for c in PER_USER_METRICS]
    )
    return out[order].sort_values(S.USER_ID, kind="mergesort").reset_index(drop=True)


def running_experiments(assignments_df: pd.DataFrame, *, month_start, month_end) -> list[str]:
    """Names of experiments with at least one assignment in ``[month_start, month_end]``.

    Uses ``assigned_day`` (business dates) when present, else the UTC date of ``assigned_at``.
    Without either column every experiment is returned (its timing cannot be told).

    Examples
    --------
    >>> import datetime as dt
    >>> df = pd.DataFrame({"user_id": ["a", "b"], "experiment": ["x", "y"],
    ...                    "variant": ["control", "control"],
    ...                    "assigned_day": [dt.date(2024, 2, 3), dt.date(2024, 3, 9)]})
    >>> running_experiments(df, month_start="2024-03-01", month_end="2024-03-31")
    ['y']
    """
    require_columns(assignments_df, [S.EXPERIMENT], "`assignments_df`")
    lo, hi = as_date(month_start, "month_start"), as_date(month_end, "month_end")
    if ASSIGNED_DAY in assignments_df.columns:
        days = pd.to_datetime(assignments_df[ASSIGNED_DAY]).dt.date
    elif S.ASSIGNED_AT in assignments_df.columns:
        days = pd.to_datetime(assignments_df[S.ASSIGNED_AT], utc=True).dt.date
    else:
        return sorted(assignments_df[S.EXPERIMENT].dropna().unique().tolist())
    mask = (days >= lo) & (days <= hi)
    return sorted(assignments_df.loc[mask, S.EXPERIMENT].dropna().unique().tolist())


# --- the readout -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatioMetric:
    """A ratio metric ``sum(numerator) / sum(denominator)`` (e.g. revenue per order)."""

    name: str
    numerator: str
    denominator: str


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
                entry.update(
                    {
                        "lift": {"abs": r["lift_abs"], "rel": r["lift_rel"]},
                        "ci": {
                            "abs": [r["ci_abs_low"], r["ci_abs_high"]],
                            "rel": [r["ci_rel_low"], r["ci_rel_high"]],
                        },
                        "p_value": r["p_value"],
                        "p_decision": r["p_decision"],
                        "p_holm": r["p_holm"],
                        "p_bh": r["p_bh"],
                        "chance_to_win": r["chance_to_win"],
                        "risk": [r["risk_control"], r["risk_treatment"]],
                        "cuped": {
                            "variance_reduction": r["cuped_variance_reduction"],
                            "ci": [r["cuped_ci_low"], r["cuped_ci_high"]],
                            "p_value": r["cuped_p_value"],
                        },
                    }
                )
            metrics.setdefault(r["metric"], {})[r["variant"]] = entry
        out = {
            "experiment": self.experiment,
            "control": self.control,
            "decision": self.decision,
            "reasons": list(self.reasons),
            "settings": self.settings,
            "health_checks": self.health.to_records() if self.health else [],
            "metrics": metrics,
            "segments": [
                {
                    "metric": s.metric,
                    "variant": s.variant,
                    "q": s.q,
                    "q_p_value": s.q_p_value,
                    "rows": s.table.to_dict("records"),
                }
                for s in self.segments
            ],
        }
        return jsonable(out)

    def _repr_html_(self) -> str:
        parts = []
        if self.health is not None and len(self.health.failed):
            items = "".join(f"<li>{html.escape(s)}</li>" for s in self.health.failed["sentence"])
            parts.append(
                f"<div style='color:#c0392b'><b>Failing health checks</b><ul>{items}</ul></div>"
            )
        reasons = "".join(f"<li>{html.escape(r)}</li>" for r in self.reasons)
        parts.append(
            f"<div style='border:1px solid #888;padding:6px'><b>Decision for "
            f"{html.escape(self.experiment)}: {html.escape(self.decision)}</b>"
            f"<ul>{reasons}</ul></div>"
        )
        shown = [
            "metric",
            "role",
            "variant",
            "n",
            "mean",
            "lift_rel",
            "ci_rel_low",
            "ci_rel_high",
            "p_value",
            "p_decision",
            "p_holm",
            "p_bh",
            "chance_to_win",
            "cuped_variance_reduction",
        ]
        parts.append(_table_html(self.results[shown]))
        if self.health is not None:
            parts.append(self.health._repr_html_())
        parts.extend(s._repr_html_() for s in self.segments)
        return "".join(parts)


def _metric_stats(df, spec, variant_col, variant):
    g = df[df[variant_col] == variant]
    if isinstance(spec, RatioMetric):
        return RatioStatistic.from_values(g[spec.numerator], g[spec.denominator])
    return summarize(g[spec])


def analyze_experiment(
    per_user_df: pd.DataFrame,
    *,
    experiment: str = "",
    variant_col: str = S.VARIANT,
    control: str = "control",
    metrics: Sequence = (),
    primary: Sequence[str] = (),
    guardrails: Sequence[str] = (),
    lower_is_better: Iterable[str] = (),
    segment_col: str | None = None,
    cuped: bool = True,
    health: HealthReport | None = None,
    relative: bool = True,
    alpha: float = 0.05,
    sequential: bool = False,
    sequential_tuning: float = 5000.0,
) -> Readout:
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
        cuped_p_value, p_decision, p_holm, p_bh``. ``p_decision`` is the p-value the decision
        reads: ``cuped_p_value`` where CUPED applied, else ``p_value``. ``p_holm`` and ``p_bh``
        adjust it across every metric and treatment variant of the family.

    Notes
    -----
    Decision rule, per treatment variant ("good direction" = up, or down for
    ``lower_is_better``):

    1. If any health check other than ``min_sample`` fails: **invalid** (the assignment or its
       logging is broken, so no lift of this readout can be trusted, in either direction: fix
       it and rerun).
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
    require_columns(per_user_df, [variant_col], "`per_user_df`")
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
        require_columns(per_user_df, need, f"Metric {m!r} in `per_user_df`")
    variants = sorted(per_user_df[variant_col].dropna().unique())
    if control not in variants:
        raise ParameterError(
            f"`control` must be one of the variants {variants}, but {control!r} was passed."
        )
    treatments = [v for v in variants if v != control]
    lower = set(lower_is_better)
    rows = []
    for spec, name in zip(specs, names):
        role = "primary" if name in primary else "guardrail" if name in guardrails else "secondary"
        st = {v: _metric_stats(per_user_df, spec, variant_col, v) for v in variants}
        kind = (
            "ratio"
            if isinstance(spec, RatioMetric)
            else "prop"
            if isinstance(st[control], Proportion)
            else "mean"
        )
        cup = None
        pre = PRE_PREFIX + name
        if cuped and kind != "ratio" and pre in per_user_df.columns:
            cup = cuped_adjust(
                per_user_df[name].to_numpy(float),
                per_user_df[pre].to_numpy(float),
                groups=per_user_df[variant_col],
            )
        rows.append(
            {
                "metric": name,
                "role": role,
                "kind": kind,
                "variant": control,
                "n": st[control].n,
                "mean": st[control].mean,
            }
        )
        for v in treatments:
            c, t = st[control], st[v]
            kw = {"alpha": alpha, "sequential": sequential, "sequential_tuning": sequential_tuning}
            fa = frequentist_test(c, t, relative=False, **kw)
            fr = frequentist_test(c, t, relative=True, **kw)
            b = bayesian_test(c, t, relative=relative, alpha=alpha)
            row = {
                "metric": name,
                "role": role,
                "kind": kind,
                "variant": v,
                "n": t.n,
                "mean": t.mean,
                "lift_abs": fa.expected,
                "ci_abs_low": fa.ci[0],
                "ci_abs_high": fa.ci[1],
                "lift_rel": fr.expected,
                "ci_rel_low": fr.ci[0],
                "ci_rel_high": fr.ci[1],
                "p_value": (fr if relative else fa).p_value,
                "chance_to_win": b.chance_to_win,
                "risk_control": b.risk[0],
                "risk_treatment": b.risk[1],
                "cuped_variance_reduction": np.nan,
                "cuped_lift": np.nan,
                "cuped_ci_low": np.nan,
                "cuped_ci_high": np.nan,
                "cuped_p_value": np.nan,
            }
            if name in lower:
                row["chance_to_win"] = 1 - b.chance_to_win
                row["risk_control"], row["risk_treatment"] = b.risk[1], b.risk[0]
            if cup is not None:
                adj = pd.Series(cup.adjusted, index=per_user_df.index)
                ca = SampleMean.from_values(adj[per_user_df[variant_col] == control])
                ta = SampleMean.from_values(adj[per_user_df[variant_col] == v])
                ra = frequentist_test(ca, ta, relative=relative, **kw)
                row.update(
                    {
                        "cuped_variance_reduction": cup.variance_reduction,
                        "cuped_lift": ra.expected,
                        "cuped_ci_low": ra.ci[0],
                        "cuped_ci_high": ra.ci[1],
                        "cuped_p_value": ra.p_value,
                    }
                )
            rows.append(row)
    res = pd.DataFrame(rows)
    is_t = res["variant"] != control
    decide_p = res["cuped_p_value"].where(res["cuped_p_value"].notna(), res["p_value"])
    res["p_decision"] = decide_p.where(is_t)
    res["p_holm"] = np.nan
    res["p_bh"] = np.nan
    res.loc[is_t, "p_holm"] = adjust_pvalues(decide_p[is_t].to_numpy(), "holm")
    res.loc[is_t, "p_bh"] = adjust_pvalues(decide_p[is_t].to_numpy(), "bh")
    res["_p"] = decide_p
    # the decision adjusts over the confirmatory family only: primary metrics x treatments
    is_primary = is_t & res["metric"].isin(list(primary))
    res["_p_primary"] = np.nan
    res.loc[is_primary, "_p_primary"] = adjust_pvalues(decide_p[is_primary].to_numpy(), "holm")

    decision, reasons = _decide(
        res, control, treatments, list(primary), list(guardrails), lower, health, alpha, relative
    )
    res = res.drop(columns=["_p", "_p_primary"])
    segs = []
    if segment_col is not None:
        for m in primary:
            for v in treatments:
                segs.append(
                    segment_effects(
                        per_user_df,
                        metric=m,
                        segment_col=segment_col,
                        variant_col=variant_col,
                        control=control,
                        treatment=v,
                        relative=relative,
                        alpha=alpha,
                    )
                )
    settings = {
        "alpha": alpha,
        "relative": relative,
        "cuped": cuped,
        "sequential": sequential,
        "sequential_tuning": sequential_tuning if sequential else None,
        "primary": list(primary),
        "guardrails": list(guardrails),
        "intervals": (
            "always-valid (sequential, mixture SPRT)" if sequential else "fixed-horizon Welch"
        ),
    }
    return Readout(
        experiment=experiment,
        control=control,
        results=res,
        decision=decision,
        reasons=reasons,
        health=health,
        segments=segs,
        settings=settings,
    )


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
        return INVALID, ["Health check failed: " + s for s in blocking] + [
            "The lifts below are not evidence either way: fix the assignment (or its logging) and rerun."
        ]
    if not primary:
        return "keep running", reasons + ["No primary metric was declared."]
    per_variant = {}
    for v in treatments:
        r = res[res["variant"] == v].set_index("metric")

        def good(m, r=r):
            s = np.sign(r.at[m, lift_col])
            return -s if m in lower else s

        harm = [m for m in guardrails if good(m) < 0 and r.at[m, "_p"] < alpha]
        loss = [m for m in primary if good(m) < 0 and r.at[m, "_p_primary"] < alpha]
        win = all(good(m) > 0 and r.at[m, "_p_primary"] < alpha for m in primary)
        if harm or loss:
            per_variant[v] = "do not ship"
            reasons += [f"{v}: guardrail {m} got worse (p = {r.at[m, '_p']:.3g})." for m in harm]
            reasons += [
                f"{v}: primary {m} got worse (Holm p = {r.at[m, '_p_primary']:.3g})." for m in loss
            ]
        elif win and not small:
            per_variant[v] = "ship"
            reasons.append(
                f"{v}: every primary metric improved (Holm p < {alpha}) and no "
                f"guardrail got worse."
            )
        else:
            per_variant[v] = "keep running"
            why = (
                "a variant is below the minimum sample"
                if win and small
                else "the primary metrics are not conclusive"
            )
            reasons.append(
                f"{v}: {why} (Holm p: "
                + ", ".join(f"{m} {r.at[m, '_p_primary']:.3g}" for m in primary)
                + ")."
            )
    ships = [v for v, d in per_variant.items() if d == "ship"]
    if ships:
        first = res[(res["metric"] == primary[0]) & res["variant"].isin(ships)]
        best = first.sort_values(lift_col, ascending=primary[0] in lower)["variant"].iloc[0]
        return f"ship {best}", reasons
    if per_variant and all(d == "do not ship" for d in per_variant.values()):
        return "do not ship", reasons
    return "keep running", reasons

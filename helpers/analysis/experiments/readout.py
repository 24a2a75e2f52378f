"""A/B test readouts: the readout of an experiment with its decision, and which experiments ran.

The statistics live in the sibling modules (gbstats conventions: ``summaries``, ``frequentist``,
``bayesian``, ``cuped``, ``multiplicity``, ``segments``); this module turns a per-user table
into the inputs of those tests and the results into a tidy :class:`Readout` (numbers and
codes; the decision rule is :mod:`helpers.analysis.experiments.decision`).

Flow in the ``06_ab_readout`` notebook::

    per_user = user_metrics(assignments, user_day, experiment=name, as_of=ctx.as_of)  # per_user
    health = readout_health(assignments_df, per_user, experiment=name)                # health
    readout = analyze_experiment(per_user, metrics=[...], primary=[...], health=health)
    before = prestart_personas(project, start=..., reports_dir=..., text=t)          # prestart
    segments = attach_segments(per_user, personas=before, ...)                        # inputs
    readout = add_segments(readout, segments)
    diagnosis = srm_diagnosis(segments.per_user, dimensions=[...])                    # diagnosis
    timeline = cumulative_lift(assignments, user_day, experiment=name, metric=...)   # timeline
    # shown by helpers.sections.ab_* (ab_readout also writes ab_<experiment>.json)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.analysis.experiments.bayesian import bayesian_test
from helpers.analysis.experiments.cuped import cuped_adjust
from helpers.analysis.experiments.decision import Decision, decide
from helpers.analysis.experiments.frequentist import frequentist_test
from helpers.analysis.experiments.health import ASSIGNED_DAY, INVALID, HealthReport
from helpers.analysis.experiments.multiplicity import adjust_pvalues
from helpers.analysis.experiments.per_user import PRE_PREFIX
from helpers.analysis.experiments.power import mde, power_at, standard_error, users_needed
from helpers.analysis.experiments.segments import segment_effects
from helpers.analysis.experiments.summaries import (
    Proportion,
    RatioStatistic,
    SampleMean,
    summarize,
)
from helpers.core import schema as S
from helpers.core.checks import as_date, require_columns
from helpers.core.errors import ParameterError

__all__ = ["running_experiments", "analyze_experiment", "Readout", "RatioMetric"]


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


# --- the readout ---------------------------------------------------------------------------------


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
    See :func:`analyze_experiment` for the columns and the decision rule. ``decision`` is a
    :class:`~helpers.analysis.experiments.decision.Decision` (a code, the variant to ship and
    the reasons, as codes with their numbers).
    """

    experiment: str
    control: str
    results: pd.DataFrame
    decision: Decision
    health: HealthReport | None = None
    segments: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)

    @property
    def treatments(self) -> list:
        """The treatment variants, in the order of ``results``."""
        res = self.results
        return list(dict.fromkeys(res.loc[res["variant"] != self.control, "variant"]))

    @property
    def primary_lift(self) -> float | None:
        """The headline lift: the first primary metric's (else the first metric's) lift for the
        first treatment, on the readout's scale; None when the readout is invalid (a broken
        assignment's lift is no headline) or there is no treatment row."""
        res = self.results
        primary = self.settings.get("primary") or [res["metric"].iloc[0]]
        lift_col = "lift_rel" if self.settings.get("relative", True) else "lift_abs"
        rows = res[(res["metric"] == primary[0]) & (res["variant"] != self.control)]
        if self.decision.code == INVALID or not len(rows):
            return None
        return float(rows[lift_col].iloc[0])

    @property
    def srm_p_value(self) -> float | None:
        """The sample-ratio check's p-value (None without health checks)."""
        if self.health is None:
            return None
        table = self.health.table
        found = table.loc[table["check"] == "srm", "p_value"]
        return float(found.iloc[0]) if len(found) else None

    def metrics_record(self) -> dict:
        """Per metric and variant: ``n, mean`` and, for treatments, the lifts, intervals,
        p-values, chance to win, risk and CUPED (the ``metrics`` of ``ab_<experiment>.json``)."""
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
                        "p_values": {"abs": r["p_value_abs"], "rel": r["p_value_rel"]},
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
                        "mde": {"abs": r["mde_abs"], "rel": r["mde_rel"]},
                        "power": {"observed": r["power_observed"], "target": r["power_target"]},
                        "users_needed": r["users_needed"],
                    }
                )
            metrics.setdefault(r["metric"], {})[r["variant"]] = entry
        return metrics

    def segments_record(self) -> list[dict]:
        """The per-segment effects (the ``segments`` of ``ab_<experiment>.json``)."""
        return [
            {
                "metric": s.key,
                "variant": s.variant,
                "q": s.q,
                "q_p_value": s.q_p_value,
                "rows": s.table.to_dict("records"),
            }
            for s in self.segments
        ]


def _power_columns(se, lift, control, treatment, alpha, target_lift) -> dict:
    """MDE, power and users needed of one comparison (see ``analyze_experiment``)."""
    m = mde(se, alpha=alpha)
    mc = control.mean
    scale = abs(mc) if np.isfinite(mc) and mc != 0 else np.nan
    target = np.nan
    if target_lift is not None and np.isfinite(scale):
        target = power_at(target_lift * scale, se, alpha=alpha)
    return {
        "mde_abs": m,
        "mde_rel": m / scale,
        "power_observed": power_at(lift, se, alpha=alpha),
        "power_target": target,
        "users_needed": users_needed(lift, m, min(control.n, treatment.n)),
    }


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
    target_lift: float | None = None,
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
    target_lift : float, optional
        A relative lift the test should detect (0.05 = +5%): ``power_target`` is the power to
        detect it. None: no target (``power_observed`` is the power at the observed lift).

    Returns
    -------
    Readout
        ``results`` columns: ``metric, role, kind, variant, n, mean, lift_abs, ci_abs_low,
        ci_abs_high, p_value_abs, lift_rel, ci_rel_low, ci_rel_high, p_value_rel, p_value,
        chance_to_win, credible_low, credible_high, risk_control, risk_treatment,
        cuped_variance_reduction, cuped_lift, cuped_ci_low, cuped_ci_high, cuped_p_value,
        mde_abs, mde_rel, power_observed, power_target, users_needed, p_decision, p_holm,
        p_bh`` (``credible_*``: the Bayesian interval of the lift on the readout's scale).
        ``p_value_abs`` / ``p_value_rel`` are the p-values of the absolute / relative Welch
        tests, each belonging to its own interval; ``p_value`` is the one of the readout's
        scale. ``mde_*`` (power 0.8, two-sided ``alpha``) and ``power_*`` use the standard error
        of the test the decision reads (CUPED where it applied), see
        :mod:`helpers.analysis.experiments.power`; ``users_needed``: users per variant for an
        MDE equal to the observed lift.
        ``p_decision`` is the p-value the decision reads: ``cuped_p_value`` where CUPED
        applied, else ``p_value``. ``p_holm`` and ``p_bh`` adjust it across every metric and
        treatment variant of the family.

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
    4. Otherwise: **keep running**.

    "Holm p" in the rule is Holm over the confirmatory family only (primary metrics x treatment
    variants; with one primary metric and one treatment it is the decision p-value itself).
    The ``p_holm`` / ``p_bh`` columns adjust over the whole declared family and are reported
    for reading secondary metrics.

    Overall: ship the shipping variant with the largest lift on the first primary metric; else
    do not ship if every variant is "do not ship"; else keep running.

    Examples
    --------
    >>> df = pd.DataFrame({"variant": ["control"] * 50 + ["treatment"] * 50,
    ...                    "converted": [0, 1] * 25 + [1, 1, 1, 0, 1] * 10})
    >>> d = analyze_experiment(df, metrics=["converted"], primary=["converted"]).decision
    >>> d.code, d.variant, d.value
    ('ship', 'treatment', 'ship treatment')
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
                "p_value_abs": fa.p_value,
                "lift_rel": fr.expected,
                "ci_rel_low": fr.ci[0],
                "ci_rel_high": fr.ci[1],
                "p_value_rel": fr.p_value,
                "p_value": (fr if relative else fa).p_value,
                "chance_to_win": b.chance_to_win,
                "credible_low": b.ci[0],
                "credible_high": b.ci[1],
                "risk_control": b.risk[0],
                "risk_treatment": b.risk[1],
                "cuped_variance_reduction": np.nan,
                "cuped_lift": np.nan,
                "cuped_ci_low": np.nan,
                "cuped_ci_high": np.nan,
                "cuped_p_value": np.nan,
            }
            se, lift_for_power = standard_error(c, t), fa.expected
            if name in lower:
                row["chance_to_win"] = 1 - b.chance_to_win
                row["risk_control"], row["risk_treatment"] = b.risk[1], b.risk[0]
            if cup is not None:
                adj = pd.Series(cup.adjusted, index=per_user_df.index)
                ca = SampleMean.from_values(adj[per_user_df[variant_col] == control])
                ta = SampleMean.from_values(adj[per_user_df[variant_col] == v])
                ra = frequentist_test(ca, ta, relative=relative, **kw)
                se, lift_for_power = standard_error(ca, ta), ta.mean - ca.mean
                row.update(
                    {
                        "cuped_variance_reduction": cup.variance_reduction,
                        "cuped_lift": ra.expected,
                        "cuped_ci_low": ra.ci[0],
                        "cuped_ci_high": ra.ci[1],
                        "cuped_p_value": ra.p_value,
                    }
                )
            row.update(_power_columns(se, lift_for_power, c, t, alpha, target_lift))
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

    decision = decide(
        res,
        treatments=treatments,
        primary=list(primary),
        guardrails=list(guardrails),
        lower=lower,
        health=health,
        alpha=alpha,
        relative=relative,
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
        "target_lift": target_lift,
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
        health=health,
        segments=segs,
        settings=settings,
    )

"""Effects per segment (persona, platform): a lift per segment and whether the lifts differ."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from helpers.analysis.experiments.frequentist import frequentist_test
from helpers.analysis.experiments.multiplicity import adjust_pvalues
from helpers.analysis.experiments.summaries import Proportion, statistic, summarize
from helpers.core.errors import ParameterError

__all__ = ["heterogeneity_test", "SegmentEffects", "segment_effects"]


def heterogeneity_test(effects, variances) -> tuple[float, float]:
    """Cochran's Q test that segment effects are equal: ``Q = sum w_i (d_i - d_bar)^2`` with
    ``w_i = 1 / v_i`` and ``d_bar`` the inverse-variance weighted mean; ``p = chi2.sf(Q, k-1)``.
    Segments with a missing or non-positive variance are left out.

    Examples
    --------
    >>> q, p = heterogeneity_test([0.1, 0.3], [0.01, 0.01])
    >>> round(q, 4), round(p, 4)
    (2.0, 0.1573)
    """
    d = np.asarray(effects, dtype=float)
    v = np.asarray(variances, dtype=float)
    keep = np.isfinite(d) & np.isfinite(v) & (v > 0)
    d, v = d[keep], v[keep]
    if d.size < 2:
        return float("nan"), float("nan")
    w = 1 / v
    dbar = (w * d).sum() / w.sum()
    q = float((w * (d - dbar) ** 2).sum())
    return q, float(stats.chi2.sf(q, d.size - 1))


@dataclass
class SegmentEffects:
    """Per-segment lifts of one metric and treatment variant, BH across segments, Cochran's Q.

    Attributes
    ----------
    metric : str
        The metric column.
    variant : str
        The treatment variant compared with ``control``.
    table : DataFrame
        One row per segment: ``segment, n_control, n_treatment, mean_control, mean_treatment,
        lift, ci_low, ci_high, p_value, p_bh``.
    q, q_p_value : float
        Cochran's Q and its p-value (a small p-value: the segment lifts differ).
    segment_col : str
        The column the segments come from (``persona``, ``platform``).
    control : str
    kind : str
        ``prop`` (a 0/1 metric) or ``mean``.
    relative : bool
        Whether ``lift`` and its interval are relative (else absolute).
    alpha : float
        The intervals are ``1 - alpha``.
    """

    metric: str
    variant: str
    table: pd.DataFrame
    q: float
    q_p_value: float
    segment_col: str = "segment"
    control: str = "control"
    kind: str = "mean"
    relative: bool = True
    alpha: float = 0.05

    @property
    def key(self) -> str:
        """The name of these effects in ``ab_<experiment>.json`` (``"converted by persona"``)."""
        return f"{self.metric} by {self.segment_col}"


_NUMBERED = re.compile(r"\((\d+)\)\s*$")


def segment_order(label) -> tuple:
    """Sort key of a segment: labels ending in a persona number ``"Power users (6)"`` by that
    number, the others (``"(new since start)"``, platforms) first and by label, so the order
    does not change with the report language.

    >>> sorted(["稳定常客 (5)", "(new since start)", "Deal hunters (3)"], key=segment_order)
    ['(new since start)', 'Deal hunters (3)', '稳定常客 (5)']
    """
    found = _NUMBERED.search(str(label))
    return (1, int(found.group(1)), "") if found else (0, 0, str(label))


def segment_effects(
    per_user_df: pd.DataFrame,
    *,
    metric: str,
    segment_col: str,
    variant_col: str = "variant",
    control: str = "control",
    treatment: str = "treatment",
    relative: bool = True,
    alpha: float = 0.05,
) -> SegmentEffects:
    """Lift of ``metric`` per segment (persona, platform...) with Welch intervals, BH-adjusted
    p-values across segments and Cochran's Q test that the segment lifts are equal.

    Examples
    --------
    >>> df = pd.DataFrame({"variant": ["control", "treatment"] * 4, "seg": list("aaaabbbb"),
    ...                    "y": [1.0, 2.0, 2.0, 3.0, 1.0, 1.0, 2.0, 2.0]})
    >>> segment_effects(df, metric="y", segment_col="seg", relative=False).table["lift"].tolist()
    [1.0, 0.0]
    """
    missing = [c for c in (metric, segment_col, variant_col) if c not in per_user_df.columns]
    if missing:
        raise ParameterError(
            f"`per_user_df` needs the column(s) {missing}, but only "
            f"{list(per_user_df.columns)} were found."
        )
    kind = "prop" if isinstance(summarize(per_user_df[metric]), Proportion) else "mean"
    rows = []
    groups = sorted(
        per_user_df.groupby(segment_col, sort=False), key=lambda kv: segment_order(kv[0])
    )
    for seg, g in groups:
        c = statistic(g.loc[g[variant_col] == control, metric].to_numpy(), kind)
        t = statistic(g.loc[g[variant_col] == treatment, metric].to_numpy(), kind)
        r = frequentist_test(c, t, relative=relative, alpha=alpha)
        rows.append(
            {
                "segment": seg,
                "n_control": c.n,
                "n_treatment": t.n,
                "mean_control": c.mean,
                "mean_treatment": t.mean,
                "lift": r.expected,
                "ci_low": r.ci[0],
                "ci_high": r.ci[1],
                "p_value": r.p_value,
                "variance": r.variance,
            }
        )
    table = pd.DataFrame(rows)
    table["p_bh"] = adjust_pvalues(table["p_value"], "bh")
    q, qp = heterogeneity_test(table["lift"], table["variance"])
    return SegmentEffects(
        metric=metric,
        variant=treatment,
        table=table.drop(columns="variance"),
        q=q,
        q_p_value=qp,
        segment_col=segment_col,
        control=control,
        kind=kind,
        relative=relative,
        alpha=alpha,
    )

"""How much a readout can tell: the minimum detectable effect and power of each metric, and the
lift over time (a stable effect, or a novelty effect that fades).

Both say nothing for an invalid readout (a failed health check): each returns the note that says
why instead.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.analysis.experiments.power import MDE_POWER
from helpers.analysis.experiments.readout import Readout
from helpers.display.blocks import Bullets, Details, Note, Paragraph, Stack
from helpers.display.format import fmt
from helpers.display.table import Table
from helpers.display.text import t
from helpers.plots.experiments import plot_cumulative_lift
from helpers.sections.ab_readout import (
    DIFF_KINDS,
    invalid_note,
    is_invalid,
    metric_kind,
    metric_label,
)

__all__ = ["power_sentence", "power_view", "timeline_sentence", "lift_over_time"]


def _scale(readout: Readout, row) -> tuple[str, float, float, str]:
    """(kind, lift, mde, formatted mde) on the readout's scale: relative where the control mean
    allows it, else absolute in the metric's unit."""
    relative = readout.settings.get("relative", True) and math.isfinite(row["mde_rel"])
    if relative:
        return "change", row["lift_rel"], row["mde_rel"], fmt(row["mde_rel"], "share")
    unit = metric_kind(row["metric"], row["kind"])
    kind = DIFF_KINDS.get(unit, unit)
    return kind, row["lift_abs"], row["mde_abs"], fmt(row["mde_abs"], kind).lstrip("+")


def power_sentence(readout: Readout, row) -> str:
    """What the MDE and power of one metric mean for the decision (one treatment row of
    ``readout.results``)."""
    kind, lift, m, mde_text = _scale(readout, row)
    if not (np.isfinite(m) and np.isfinite(lift)):
        return t("ab.power.untestable", variant=row["variant"], metric=metric_label(row["metric"]))
    alpha = readout.settings.get("alpha", 0.05)
    significant = row["p_decision"] < alpha
    big = abs(lift) >= m
    code = (
        ("clear" if big else "small_significant")
        if significant
        else ("not_significant" if big else "too_few")
    )
    n = min(
        row["n"], readout.results.loc[readout.results["variant"] == readout.control, "n"].max()
    )
    needed = row["users_needed"]
    text = t(
        f"ab.power.{code}",
        variant=row["variant"],
        metric=metric_label(row["metric"]),
        mde=mde_text,
        power=MDE_POWER,
        lift=fmt(lift, kind),
        needed=round(needed) if np.isfinite(needed) else 0,
        times=needed / n if np.isfinite(needed) and n else 0,
    )
    target = readout.settings.get("target_lift")
    if target is not None and np.isfinite(row["power_target"]):
        text += " " + t("ab.power.target", target=target, power=row["power_target"])
    return text


def power_view(readout: Readout) -> Stack | Note:
    """The MDE and power sentence of each primary metric, and every metric's MDE, power at the
    observed lift and users needed, collapsed."""
    if is_invalid(readout):
        return invalid_note(readout, "power")
    res = readout.results
    rows = res[res["variant"] != readout.control].reset_index(drop=True)
    primary = readout.settings.get("primary") or [rows["metric"].iloc[0]]
    lines = [power_sentence(readout, r) for r in rows.to_dict("records") if r["metric"] in primary]
    frame = pd.DataFrame({"ab_metric": [metric_label(m) for m in rows["metric"]]})
    if len(readout.treatments) > 1:
        frame["ab_variant"] = rows["variant"].to_numpy()
    n_control = res.loc[res["variant"] == readout.control].set_index("metric")["n"]
    frame["ab_users_per_variant"] = np.minimum(rows["n"], rows["metric"].map(n_control)).to_numpy()
    frame["ab_mde_rel"] = rows["mde_rel"].to_numpy()
    frame["ab_mde_abs"] = [
        fmt(v, DIFF_KINDS.get(metric_kind(m, k), metric_kind(m, k))).lstrip("+")
        for m, k, v in zip(rows["metric"], rows["kind"], rows["mde_abs"])
    ]
    frame["ab_lift"] = rows["lift_rel"].to_numpy()
    frame["ab_power_observed"] = rows["power_observed"].to_numpy()
    if readout.settings.get("target_lift") is not None:
        frame["ab_power_target"] = rows["power_target"].to_numpy()
    frame["ab_users_needed"] = rows["users_needed"].round().to_numpy()
    caption = t("ab.power.caption", power=MDE_POWER, alpha=readout.settings.get("alpha", 0.05))
    table = Table(frame, kinds={"ab_mde_abs": "text"}, caption=caption)
    return Stack.of(Bullets(lines), Details(t("ab.power.details", n=len(frame)), table))


def timeline_sentence(timeline, *, label: str | None = None) -> str:
    """Whether the cumulative lift is stable, fading (novelty) or growing (learning)."""
    label = label or metric_label(timeline.metric)
    several = len(timeline.trend) > 1
    lines = []
    for variant, trend in timeline.trend.items():
        if trend.get("kind") is None:
            lines.append(t("ab.timeline.too_few", metric=label))
            continue
        final, ref = trend["final"], trend["reference"]
        text = t(
            f"ab.timeline.{trend['kind']}",
            metric=label,
            lift=final["lift"],
            low=final["ci_low"],
            high=final["ci_high"],
            day=int(final["day_index"]),
            since=trend["stable_since"],
            early=ref["lift"],
            early_day=int(ref["day_index"]),
        )
        lines.append(t("ab.timeline.of_variant", variant=variant, text=text) if several else text)
    return " ".join(lines)


def lift_over_time(readout: Readout, timeline, *, ax) -> Paragraph | Note:
    """Draw the cumulative lift of the first primary metric by day since the start on ``ax``
    and return the sentence that reads it; an invalid readout (or a timeline the data could not
    support) closes ``ax``'s figure and returns the note instead."""
    if is_invalid(readout):
        plt.close(ax.figure)
        return invalid_note(readout, "timeline")
    if not timeline:
        plt.close(ax.figure)
        return timeline
    label = metric_label(timeline.metric)
    plot_cumulative_lift(timeline, label=label, ax=ax)
    return Paragraph(timeline_sentence(timeline, label=label))

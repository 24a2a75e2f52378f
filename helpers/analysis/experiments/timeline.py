"""Lift over time: the cumulative lift of a metric with its interval, day by day since the start.

On each day ``D`` of the experiment the readout is redone with what was known on ``D``: the
users assigned on or before ``D``, each with the metric summed over their window up to ``D``.
A stable effect settles and stays inside its final interval; a **novelty** effect starts high
and fades; a **learning** effect grows.

The per-user running values are reduced in the engine (ibis): per variant and day, the sum of
the increments of each user's running value and of its square, so pandas only sees one row per
variant and day. ``converted`` runs as "any order so far" (0/1).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd

from helpers.analysis.experiments.frequentist import frequentist_test
from helpers.analysis.experiments.per_user import as_ibis_assignments, assigned_users
from helpers.analysis.experiments.summaries import Proportion, SampleMean
from helpers.core import schema as S
from helpers.core.checks import as_date, require_columns
from helpers.core.errors import ModelError, ParameterError

__all__ = ["CUMULATIVE_METRICS", "CumulativeLift", "cumulative_lift", "cumulative_from_sums"]

#: metric -> the user_day column it sums (``converted``: any order so far)
CUMULATIVE_METRICS = {
    "converted": S.UD_ORDERS,
    "orders": S.UD_ORDERS,
    "revenue": S.UD_REVENUE,
    "active_days": S.UD_ACTIVE_EVENTS,
    "events": S.UD_EVENTS,
}
STABLE, NOVELTY, LEARNING = "stable", "novelty", "learning"
REFERENCE_SHARE = 1 / 3  # the early reference day: each arm has this share of its final users


@dataclass
class CumulativeLift:
    """The cumulative lift of one metric, per treatment variant and day.

    Attributes
    ----------
    metric : str
    control : str
    start : date
        The first assignment day (day 0).
    table : DataFrame
        One row per treatment variant and day: ``variant, day, day_index`` (days since the
        start), ``n_control, n_treatment, mean_control, mean_treatment, lift, ci_low, ci_high``
        (relative lift, ``1 - alpha`` Welch interval).
    trend : dict
        Per treatment variant: ``kind`` (``stable``, ``novelty``: the early lift was above the
        final one, ``learning``: below), ``final`` (the last row as a dict), ``reference`` (the
        early reference row: the first day each arm had a third of its final users),
        ``stable_since`` (the first day index from which every lift lies in the final interval).
    alpha : float
    """

    metric: str
    control: str
    start: dt.date
    table: pd.DataFrame
    trend: dict = field(default_factory=dict)
    alpha: float = 0.05


def _running_sums(assignments, user_day, *, experiment, metric, window_days, as_of):
    """Per variant and day: users assigned that day, and the increments of the users' running
    value and of its square (an ibis reduction, executed)."""
    users = assigned_users(assignments, experiment=experiment, as_of=as_of)
    col = CUMULATIVE_METRICS[metric]
    ud = user_day.select(S.USER_ID, S.DAY, col)
    j = ud.join(users, S.USER_ID)
    day, ad = j[S.DAY].cast("date"), j["assigned_day"]
    end = ibis.least(ad + ibis.interval(days=window_days - 1), ibis.literal(as_of, type="date"))
    j = j.filter((day >= ad) & (day <= end))
    value = (j[col] > 0).cast("float64") if metric == "active_days" else j[col].cast("float64")
    j = j.mutate(_v=value, _d=j[S.DAY].cast("date"))
    w = ibis.cumulative_window(group_by=j[S.USER_ID], order_by=j["_d"])
    j = j.mutate(_cum=j["_v"].sum().over(w))
    j = j.mutate(_prev=j["_cum"] - j["_v"])
    if metric == "converted":
        j = j.mutate(_cum=(j["_cum"] > 0).cast("float64"), _prev=(j["_prev"] > 0).cast("float64"))
    inc = j.group_by([S.VARIANT, "_d"]).aggregate(
        s1=(j["_cum"] - j["_prev"]).sum(),
        s2=(j["_cum"] * j["_cum"] - j["_prev"] * j["_prev"]).sum(),
    )
    n = users.group_by([S.VARIANT, "assigned_day"]).aggregate(users=users.count())
    inc = inc.rename(day="_d").execute()
    n = n.rename(day="assigned_day").execute()
    for f in (inc, n):
        f["day"] = pd.to_datetime(f["day"]).dt.date
    return n, inc


def cumulative_from_sums(
    users: pd.DataFrame,
    increments: pd.DataFrame,
    *,
    metric: str,
    control: str = "control",
    as_of,
    alpha: float = 0.05,
) -> CumulativeLift:
    """The cumulative lift from per variant and day counts (the engine's reduction).

    Parameters
    ----------
    users : DataFrame
        ``variant, day, users``: users assigned per variant and day.
    increments : DataFrame
        ``variant, day, s1, s2``: per variant and day, the sum over users of the increment of
        their running value (``s1``) and of its square (``s2``).
    metric : str
        ``converted`` is read as a proportion, the others as means.

    Examples
    --------
    >>> u = pd.DataFrame({"variant": ["control", "treatment"] * 2,
    ...                   "day": [dt.date(2024, 1, 1)] * 2 + [dt.date(2024, 1, 2)] * 2,
    ...                   "users": [10, 10, 10, 10]})
    >>> inc = pd.DataFrame({"variant": ["control", "treatment"], "day": [dt.date(2024, 1, 2)] * 2,
    ...                     "s1": [4.0, 6.0], "s2": [4.0, 6.0]})
    >>> c = cumulative_from_sums(u, inc, metric="converted", as_of="2024-01-02")
    >>> c.table["lift"].round(2).tolist()  # day 1: 0/10 vs 0/10; day 2: 4/20 vs 6/20
    [nan, 0.5]
    """
    require_columns(users, [S.VARIANT, "day", "users"], "`users`")
    require_columns(increments, [S.VARIANT, "day", "s1", "s2"], "`increments`")
    variants = sorted(users[S.VARIANT].unique())
    if control not in variants:
        raise ParameterError(
            f"`control` must be one of the variants {variants}, but {control!r} was passed."
        )
    start = min(users["day"])
    days = pd.date_range(start, as_date(as_of, "as_of"), freq="D").date
    n = users.pivot_table(index="day", columns=S.VARIANT, values="users", aggfunc="sum")
    n = n.reindex(index=days, columns=variants, fill_value=0).fillna(0).cumsum()
    sums = {}
    for c in ("s1", "s2"):
        p = increments.pivot_table(index="day", columns=S.VARIANT, values=c, aggfunc="sum")
        sums[c] = p.reindex(index=days, columns=variants).fillna(0.0).cumsum()
    rows = []
    for v in (x for x in variants if x != control):
        for i, d in enumerate(days):
            stat = {}
            for arm in (control, v):
                k, s1, s2 = int(n.at[d, arm]), sums["s1"].at[d, arm], sums["s2"].at[d, arm]
                stat[arm] = Proportion(k, s1) if metric == "converted" else SampleMean(k, s1, s2)
            r = frequentist_test(stat[control], stat[v], relative=True, alpha=alpha)
            rows.append(
                {
                    "variant": v,
                    "day": d,
                    "day_index": i,
                    "n_control": stat[control].n,
                    "n_treatment": stat[v].n,
                    "mean_control": stat[control].mean,
                    "mean_treatment": stat[v].mean,
                    "lift": r.expected,
                    "ci_low": r.ci[0],
                    "ci_high": r.ci[1],
                }
            )
    table = pd.DataFrame(rows)
    trend = {v: _trend(g) for v, g in table.groupby("variant", sort=True)}
    return CumulativeLift(metric, control, start, table, trend, alpha)


def _trend(g: pd.DataFrame) -> dict:
    """Stable, novelty or learning, from the final interval and an early reference day."""
    g = g.dropna(subset=["lift"]).reset_index(drop=True)
    if g.empty:
        return {"kind": None}
    final = g.iloc[-1]
    inside = (g["lift"] >= final["ci_low"]) & (g["lift"] <= final["ci_high"])
    outside = np.nonzero(~inside.to_numpy())[0]
    stable_since = int(
        g["day_index"].iloc[outside[-1] + 1] if len(outside) else g["day_index"].iloc[0]
    )
    enough = (g["n_control"] >= REFERENCE_SHARE * final["n_control"]) & (
        g["n_treatment"] >= REFERENCE_SHARE * final["n_treatment"]
    )
    ref = g[enough].iloc[0]
    kind = STABLE
    if ref["ci_low"] > final["lift"] and ref["day_index"] < final["day_index"]:
        kind = NOVELTY
    elif ref["ci_high"] < final["lift"] and ref["day_index"] < final["day_index"]:
        kind = LEARNING
    return {
        "kind": kind,
        "final": final.to_dict(),
        "reference": ref.to_dict(),
        "stable_since": stable_since,
    }


def cumulative_lift(
    assignments,
    user_day,
    *,
    experiment: str,
    metric: str,
    control: str = "control",
    window_days: int = 28,
    as_of,
    alpha: float = 0.05,
) -> CumulativeLift:
    """The cumulative relative lift of ``metric`` by day since the first assignment.

    Parameters
    ----------
    assignments : ibis.Table or DataFrame
        ``user_id, experiment, variant, assigned_day`` (as for
        :func:`helpers.analysis.experiments.per_user.user_metrics`).
    user_day : ibis.Table
    metric : str
        One of :data:`CUMULATIVE_METRICS` (``retained_d7`` and ratios have no running value:
        a ModelError, so ``ctx.attempt`` shows a note instead).
    window_days, as_of
        Each user's window, as in ``user_metrics``: the last day is the user's window end,
        capped at ``as_of``; the series runs to ``as_of``.

    Examples
    --------
    >>> c = cumulative_lift(assignments, project.user_day, experiment="checkout_v2",
    ...                     metric="converted", as_of=dt.date(2026, 10, 31))  # doctest: +SKIP
    """
    if metric not in CUMULATIVE_METRICS:
        raise ModelError(
            f"The value for `metric` must be one of {list(CUMULATIVE_METRICS)}, but {metric!r} "
            f"was passed."
        )
    as_of = as_date(as_of, "as_of")
    users, inc = _running_sums(
        as_ibis_assignments(assignments),
        user_day,
        experiment=experiment,
        metric=metric,
        window_days=window_days,
        as_of=as_of,
    )
    return cumulative_from_sums(
        users, inc, metric=metric, control=control, as_of=as_of, alpha=alpha
    )

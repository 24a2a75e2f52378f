"""Per-user metrics of an experiment over its analysis window, computed in the engine (ibis).

:func:`user_metrics` is what every test of a readout starts from: one row per assigned user
with the metrics during the window and the same metrics before assignment (for CUPED).
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from helpers.analysis.experiments.health import ASSIGNED_DAY
from helpers.core import schema as S
from helpers.core.checks import as_date, require_columns
from helpers.core.errors import ParameterError

__all__ = [
    "user_metrics",
    "assigned_users",
    "as_ibis_assignments",
    "PRE_PREFIX",
    "PER_USER_METRICS",
]

PRE_PREFIX = "pre_"  # pre-period column of a metric, used by CUPED
PER_USER_METRICS = ["converted", "orders", "revenue", "active_days", "events"]


def assigned_users(assignments, *, experiment: str, as_of) -> ibis.Table:
    """The users of ``experiment`` assigned on or before ``as_of`` (an ibis expression):
    ``user_id, variant, assigned_day`` (earliest day), users in several variants left out.

    ``assignments`` is an ibis table with ``user_id, experiment, variant, assigned_day``.
    """
    a = assignments.filter(
        (assignments[S.EXPERIMENT] == experiment)
        & (assignments[ASSIGNED_DAY].cast("date") <= as_date(as_of, "as_of"))
    )
    per_user = a.group_by(S.USER_ID).aggregate(
        n_variants=a[S.VARIANT].nunique(),
        variant=a[S.VARIANT].min(),
        assigned_day=a[ASSIGNED_DAY].cast("date").min(),
    )
    return per_user.filter(per_user.n_variants == 1).drop("n_variants")


def as_ibis_assignments(assignments):
    """``assignments`` as an ibis table (a DataFrame is checked and wrapped in a memtable)."""
    cols = [S.USER_ID, S.EXPERIMENT, S.VARIANT, ASSIGNED_DAY]
    if isinstance(assignments, pd.DataFrame):
        require_columns(assignments, cols, "`assignments`")
        frame = assignments[cols].copy()
        frame[ASSIGNED_DAY] = pd.to_datetime(frame[ASSIGNED_DAY]).dt.date
        frame[S.USER_ID] = frame[S.USER_ID].astype(str)
        assignments = ibis.memtable(frame)
    require_columns(assignments, cols, "`assignments`")
    return assignments


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
    assignments = as_ibis_assignments(assignments)
    require_columns(
        user_day,
        [S.USER_ID, S.DAY, S.UD_EVENTS, S.UD_ACTIVE_EVENTS, S.UD_ORDERS, S.UD_REVENUE],
        "`user_day`",
    )

    per_user = assigned_users(assignments, experiment=experiment, as_of=as_of)

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

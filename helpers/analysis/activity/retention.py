"""Retention by cohort: the cohort x period matrix with Wilson intervals, and Kaplan-Meier
retention that keeps young cohorts by censoring open periods."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from helpers.analysis.activity import _base as B
from helpers.analysis.activity.intervals import wilson_interval
from helpers.core import schema as S
from helpers.core.checks import as_date, one_of
from helpers.core.errors import DataError

__all__ = ["retention_matrix", "km_retention", "RetentionMatrix", "KMRetention"]


@dataclass(frozen=True, eq=False)
class RetentionMatrix:
    """Cohort x period retention (:func:`retention_matrix`).

    Attributes
    ----------
    cells : DataFrame
        Tidy, one row per cohort x period (``artifacts/retention.csv``): cohort_start, period,
        cohort_size, retained, rate, ci_low, ci_high, complete, small_cohort.
    rates : DataFrame
        cohort_start and one column of ``rate`` per period 0..max_periods.
    mean_curve : DataFrame
        period, cohorts, cohort_size, retained, rate, ci_low, ci_high (complete cells pooled).
    cohort, cohort_basis, kind, criterion : str
        The settings the matrix was computed with.
    as_of : date
    max_periods, min_cohort_size : int
    cohorts : int
        Number of cohorts.
    small_cohorts : int
        Cohorts smaller than ``min_cohort_size``.
    users : int or None
        Users in the cohorts (first-time cohorts only; a recurring user is in several).
    """

    cells: pd.DataFrame
    rates: pd.DataFrame
    mean_curve: pd.DataFrame
    cohort: str
    as_of: dt.date
    cohort_basis: str
    kind: str
    criterion: str
    max_periods: int
    min_cohort_size: int
    cohorts: int
    small_cohorts: int
    users: int | None


@dataclass(frozen=True, eq=False)
class KMRetention:
    """Kaplan-Meier "on or after" retention (:func:`km_retention`).

    Attributes
    ----------
    curve : DataFrame
        period, retention, ci_low, ci_high (lifelines' 95 % interval), at_risk, churned,
        censored.
    cohort, cohort_basis : str
    as_of : date
    max_periods : int
    users : int
        Users in the cohorts.
    censored : int
        Users whose next period is still open at ``as_of``.
    """

    curve: pd.DataFrame
    cohort: str
    as_of: dt.date
    cohort_basis: str
    max_periods: int
    users: int
    censored: int


def _active_periods(user_day, period, as_of):
    act = B.active(user_day)
    act = act.filter(act[B.ED] <= B.ed(as_of)).mutate(**{B.P: B.period_expr(act, period)})
    return act.select(S.USER_ID, B.P).distinct()


def _user_cohorts(user_day, *, period, as_of, users, tz, cohort_basis):
    """Per-user (pandas) cohort period and last active period; ``_last`` NaN if never active."""
    ap = _active_periods(user_day, period, as_of)
    per_user = B.execute(
        ap.group_by(S.USER_ID).aggregate(_first=ap[B.P].min(), _last=ap[B.P].max())
    )
    if cohort_basis == "signup":
        sp = B.signup_periods(users, tz, period)
        sp = sp[sp["_sp"] <= B.period_of(as_of, period)]
        df = sp.merge(per_user, on=S.USER_ID, how="left").rename(columns={"_sp": "_c"})
    else:
        df = per_user.rename(columns={"_first": "_c"}).assign(_first=lambda d: d["_c"])
    return df, ap


def retention_matrix(
    user_day,
    *,
    cohort: str = "week",
    as_of,
    users: pd.DataFrame | None = None,
    cohort_basis: str = "first_activity",
    kind: str = "first_time",
    criterion: str = "on",
    max_periods: int = 12,
    min_cohort_size: int = 30,
    tz: str | None = None,
) -> RetentionMatrix:
    """Cohort x period retention counts and rates with Wilson intervals, open periods masked.

    Cohorts (Mixpanel's two kinds):

    * ``kind="first_time"``: each user belongs to one cohort, the period of their signup
      (``cohort_basis="signup"``, needs ``users`` with ``signup_time``; signed-up users who were
      never active count in the cohort size) or of their first activity;
    * ``kind="recurring"``: a user belongs to the cohort of *every* period they were active in
      (``cohort_basis`` is then ignored), so period 0 is always 100 %.

    Retained at period ``k`` (``criterion``): ``"on"`` = active in cohort period + ``k``;
    ``"on_or_after"`` = active in that period or any later one up to ``as_of`` (unbounded
    retention). Activity before the cohort period is ignored.

    A cell is *complete* when its period ends on or before ``as_of``; incomplete cells keep the
    count observed so far but have ``rate``/``ci_*`` NaN. Cohorts smaller than
    ``min_cohort_size`` are flagged. ``mean_curve`` pools complete cells: sum retained / sum
    cohort size (a cohort-size-weighted mean of the rates) with a Wilson interval on the pooled
    counts.

    Returns
    -------
    RetentionMatrix
    """
    cohort = one_of(cohort, ("week", "month"), "cohort")
    cohort_basis = one_of(cohort_basis, ("first_activity", "signup"), "cohort_basis")
    kind = one_of(kind, ("first_time", "recurring"), "kind")
    criterion = one_of(criterion, ("on", "on_or_after"), "criterion")
    as_of = as_date(as_of, "as_of")
    K = int(max_periods)
    if kind == "recurring":
        ap = _active_periods(user_day, cohort, as_of)
        b = ap.view()
        if criterion == "on":
            j = ap.join(
                b, (ap[S.USER_ID] == b[S.USER_ID]) & (b[B.P] >= ap[B.P]) & (b[B.P] <= ap[B.P] + K)
            )
            j = j.select(_c=ap[B.P], _k=b[B.P] - ap[B.P])
            cnt = B.execute(j.group_by(["_c", "_k"]).aggregate(n=j.count()))
        else:
            last = ap.group_by(S.USER_ID).aggregate(_last=ap[B.P].max())
            j = ap.join(last, S.USER_ID)
            j = j.select(_c=j[B.P], _k=j["_last"] - j[B.P])
            cnt = B.execute(j.group_by(["_c", "_k"]).aggregate(n=j.count()))
        sizes = (
            cnt[cnt["_k"] == 0].set_index("_c")["n"]
            if criterion == "on"
            else cnt.groupby("_c")["n"].sum()
        )
        n_users = None
    else:
        uc, ap = _user_cohorts(
            user_day, period=cohort, as_of=as_of, users=users, tz=tz, cohort_basis=cohort_basis
        )
        sizes = uc.groupby("_c").size()
        n_users = len(uc)
        if criterion == "on":
            cm = ibis.memtable(uc[[S.USER_ID, "_c"]])
            j = ap.join(cm, S.USER_ID)
            j = j.select(_c=j["_c"], _k=j[B.P] - j["_c"])
            j = j.filter((j["_k"] >= 0) & (j["_k"] <= K))
            cnt = B.execute(j.group_by(["_c", "_k"]).aggregate(n=j.count()))
        else:
            lived = uc.dropna(subset=["_last"])
            lived = lived.assign(_k=(lived["_last"] - lived["_c"]).astype("int64"))
            cnt = lived[lived["_k"] >= 0].groupby(["_c", "_k"]).size().rename("n").reset_index()
    # assemble the full grid (pandas, per cohort x period)
    cohorts = sorted(int(c) for c in sizes.index)
    grid = pd.MultiIndex.from_product([cohorts, range(K + 1)], names=["_c", "_k"])
    if criterion == "on_or_after":
        # retained at k = users whose last active period is k or later: a reverse cumsum
        full_k = cnt.groupby(["_c", "_k"])["n"].sum()
        cnt = pd.DataFrame({"n": full_k}).reset_index()
        cnt["_k"] = cnt["_k"].clip(upper=K + 1)
        s = cnt.groupby(["_c", "_k"])["n"].sum().unstack(fill_value=0)
        s = s.reindex(columns=range(K + 2), fill_value=0)
        s = s.iloc[:, ::-1].cumsum(axis=1).iloc[:, ::-1].iloc[:, : K + 1]
        retained = s.stack().reindex(grid, fill_value=0)
    else:
        retained = cnt.set_index(["_c", "_k"])["n"].reindex(grid, fill_value=0)
    cells = retained.rename("retained").reset_index()
    cells["cohort_size"] = cells["_c"].map(sizes).astype("int64")
    cells["retained"] = cells["retained"].astype("int64")
    ends = {c + k: B.period_end(c + k, cohort) for c in cohorts for k in range(K + 1)}
    cells["complete"] = [ends[c + k] <= as_of for c, k in zip(cells["_c"], cells["_k"])]
    rate = cells["retained"] / cells["cohort_size"].where(cells["cohort_size"] > 0)
    lo, hi = wilson_interval(cells["retained"], cells["cohort_size"])
    cells["rate"] = rate.where(cells["complete"])
    cells["ci_low"] = pd.Series(lo).where(cells["complete"])
    cells["ci_high"] = pd.Series(hi).where(cells["complete"])
    cells["small_cohort"] = cells["cohort_size"] < int(min_cohort_size)
    cells["cohort_start"] = pd.to_datetime([B.period_start(c, cohort) for c in cells["_c"]])
    cells = cells.rename(columns={"_k": "period"})
    cells = cells[
        [
            "cohort_start",
            "period",
            "cohort_size",
            "retained",
            "rate",
            "ci_low",
            "ci_high",
            "complete",
            "small_cohort",
        ]
    ]
    rates = cells.pivot(index="cohort_start", columns="period", values="rate")
    rates.columns.name = "period"
    done = cells[cells["complete"]]
    mean = (
        done.groupby("period")
        .agg(
            cohorts=("cohort_size", "size"),
            cohort_size=("cohort_size", "sum"),
            retained=("retained", "sum"),
        )
        .reset_index()
    )
    mean["rate"] = mean["retained"] / mean["cohort_size"].where(mean["cohort_size"] > 0)
    mean["ci_low"], mean["ci_high"] = wilson_interval(mean["retained"], mean["cohort_size"])
    return RetentionMatrix(
        cells=cells,
        rates=rates.reset_index(),
        mean_curve=mean,
        cohort=cohort,
        as_of=as_of,
        cohort_basis=cohort_basis,
        kind=kind,
        criterion=criterion,
        max_periods=K,
        min_cohort_size=int(min_cohort_size),
        cohorts=len(cohorts),
        small_cohorts=int((sizes < min_cohort_size).sum()),
        users=None if n_users is None else int(n_users),
    )


def km_retention(
    user_day,
    *,
    cohort: str = "week",
    as_of,
    users: pd.DataFrame | None = None,
    cohort_basis: str = "first_activity",
    max_periods: int = 12,
    tz: str | None = None,
) -> KMRetention:
    """Kaplan-Meier "on or after" retention, pooling all cohorts without dropping young ones.

    Each user's lifetime is the number of periods from the cohort period to the last active
    period, inclusive (0 for signed-up users never active after signup). The user has *churned*
    (event) when the first period after the lifetime has ended by ``as_of`` with no activity;
    when that period is still open the user is *censored*. ``retention`` at period ``k`` is the
    Kaplan-Meier survival ``S(k) = P(lifetime > k)``, which estimates the share active in period
    ``k`` or later, the same quantity as ``retention_matrix(criterion="on_or_after")``.

    Returns
    -------
    KMRetention
    """
    cohort = one_of(cohort, ("week", "month"), "cohort")
    cohort_basis = one_of(cohort_basis, ("first_activity", "signup"), "cohort_basis")
    as_of = as_date(as_of, "as_of")
    uc, _ = _user_cohorts(
        user_day, period=cohort, as_of=as_of, users=users, tz=tz, cohort_basis=cohort_basis
    )
    if uc.empty:
        raise DataError(
            f"No user has a {cohort_basis.replace('_', ' ')} cohort on or before "
            f"as_of={as_of}; check `as_of` and user_day."
        )
    life = (uc["_last"] - uc["_c"] + 1).fillna(0).clip(lower=0).astype("int64")
    first_absent = uc["_c"].astype("int64") + life
    ended = {p: B.period_end(p, cohort) <= as_of for p in first_absent.unique()}
    event = first_absent.map(ended).astype(bool)
    km = KaplanMeierFitter().fit(
        life, event_observed=event, timeline=np.arange(0, int(max_periods) + 1)
    )
    sf = km.survival_function_.iloc[:, 0]
    ci = km.confidence_interval_survival_function_
    curve = pd.DataFrame(
        {
            "period": np.arange(0, int(max_periods) + 1),
            "retention": sf.to_numpy(),
            "ci_low": ci.iloc[:, 0].to_numpy(),
            "ci_high": ci.iloc[:, 1].to_numpy(),
        }
    )
    at_risk = [(life >= t).sum() for t in curve["period"]]
    curve["at_risk"] = np.asarray(at_risk, dtype="int64")
    curve["churned"] = [int(((life == t) & event).sum()) for t in curve["period"]]
    curve["censored"] = [int(((life == t) & ~event).sum()) for t in curve["period"]]
    return KMRetention(
        curve=curve,
        cohort=cohort,
        as_of=as_of,
        cohort_basis=cohort_basis,
        max_periods=int(max_periods),
        users=len(uc),
        censored=int((~event).sum()),
    )

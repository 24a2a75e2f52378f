"""Kaplan-Meier survival by group: median lifetimes, survival at fixed days, log-rank tests.

Reads the survival table of :mod:`helpers.analysis.churn.lives` (one life per user, churned or
censored) and fits one ``lifelines.KaplanMeierFitter`` per group. A table with ``entry_days``
(:func:`helpers.analysis.churn.landmarks.delayed_entry`) counts each life only from that day of
it on (delayed entry, left truncation): the risk set at day ``t`` holds the lives with
``entry_days <= t <= duration_days``, in the curves and in the log-rank tests. The results are
tables and numbers; how they show is decided in :mod:`helpers.sections.churn`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.analysis.churn.common import DURATION_DAYS, ENTRY_DAYS, EVENT, usable_lives
from helpers.core.errors import NotEnoughData

__all__ = ["KaplanMeierByGroup", "logrank"]


def _at_risk(durations, entry, times) -> np.ndarray:
    """Lives at risk at each of ``times``: ``entry <= t <= duration``."""
    d, e = np.sort(np.asarray(durations, float)), np.sort(np.asarray(entry, float))
    t = np.asarray(times, float)
    return (len(d) - np.searchsorted(d, t, side="left")) - (
        len(e) - np.searchsorted(e, t, side="right")
    )


def logrank(durations, groups, events, entry=None) -> tuple[float, int, float]:
    """Multivariate log-rank test with delayed entry: ``(statistic, degrees of freedom, p)``.

    The risk set of group ``j`` at day ``t`` holds its lives with ``entry <= t <= duration``
    (lifelines' convention); without ``entry`` it is lifelines'
    ``multivariate_logrank_test``. The statistic is ``Z' V^- Z`` over the first ``G - 1``
    groups, ``Z`` = observed minus expected churns, ``V`` the hypergeometric covariance.

    Examples
    --------
    >>> round(logrank([1, 2, 3, 4, 5, 6], list("aaabbb"), [1] * 6)[0], 3)
    5.052
    >>> logrank([2, 3, 5, 6], list("abab"), [1, 1, 1, 1], entry=[0, 0, 4, 4])[1]
    1
    """
    from scipy.stats import chi2

    d = np.asarray(durations, float)
    ev = np.asarray(events).astype(bool)
    e = np.zeros_like(d) if entry is None else np.asarray(entry, float)
    g = np.asarray(groups).astype(str)
    labels = np.unique(g)
    times = np.unique(d[ev])
    n_j = np.column_stack([_at_risk(d[g == k], e[g == k], times) for k in labels]).astype(float)
    d_j = np.column_stack(
        [np.searchsorted(np.sort(d[(g == k) & ev]), times, side="right") for k in labels]
    ).astype(float)
    d_j = np.diff(np.vstack([np.zeros(len(labels)), d_j]), axis=0)
    n, dd = n_j.sum(axis=1), d_j.sum(axis=1)
    ok = n > 0
    n_j, d_j, n, dd = n_j[ok], d_j[ok], n[ok], dd[ok]
    z = (d_j - n_j * (dd / n)[:, None]).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n > 1, (n - dd) / (n - 1), 1.0) * dd / n**2
    w = n_j * np.sqrt(factor)[:, None]
    v = -w.T @ w + np.diag((n_j * (factor * n)[:, None]).sum(axis=0))
    k = len(labels) - 1
    stat = float(z[:k] @ np.linalg.pinv(v[:k, :k]) @ z[:k]) if k else 0.0
    return stat, k, float(chi2.sf(stat, k)) if k else 1.0


class KaplanMeierByGroup:
    """Kaplan-Meier curves per group, median lifetimes, survival at fixed days, log-rank tests.

    Parameters
    ----------
    times : sequence of int, default (30, 90, 180)
        Days at which survival S(t) is reported.
    alpha : float, default 0.05
        1 - confidence level of the median and curve intervals, and the level of the tests.
    min_at_risk : int, default 10
        With delayed entry (an ``entry_days`` column), a group's curve starts on the first day
        at least this many of its lives are at risk: before it, too few lives are followed to
        estimate it (a single early churn among two followed lives would halve the curve for
        good). The curve, its median and ``S_<t>d`` are then those of lives that lasted until
        that day (``followed_from`` in the summary); S(t) before it is NaN. When the risk set
        empties again early on (lifelines' ``StatError``), the curve starts at the next such
        day. Without delayed entry every life is followed from day 0 and nothing is cut.
    duration_col, event_col, entry_col : str
        Columns of the survival table (``entry_col`` is used when the table has it).

    Attributes
    ----------
    group_col_ : str or None
        The column the groups come from (None: one curve of all users).
    delayed_entry_ : bool
        Whether lives were counted from their ``entry_days``.
    life_start_ : str or None
        Where lives start (``signup`` or ``first_activity``), from the table's ``attrs``.
    landmarks_ : list of datetime.date
        With delayed entry: the landmark days the labels come from (the table's ``attrs``).
    fitters_ : dict
        Group -> fitted ``lifelines.KaplanMeierFitter``.
    summary_ : DataFrame
        Per group: ``group``, ``users``, ``churned``, ``followed_from`` (first day of the curve),
        ``median_days`` (inf when S never falls to 0.5), its interval ``median_lower``,
        ``median_upper``, and ``S_<t>d`` per day in ``times``.
    logrank_ : DataFrame
        One row: multivariate log-rank test statistic, degrees of freedom, p value.
    pairwise_ : DataFrame
        Per pair of groups: statistic, p, Holm-adjusted p, significant at ``alpha``.
    n_dropped_ : int
        Rows with ``duration_days == 0`` (lives too recent to carry information).
    n_missing_group_ : int
        Rows without a group (left out of the curves and tests).
    too_few_ : list of str
        Groups left out because fewer than ``min_at_risk`` of their lives were ever at risk.

    Examples
    --------
    >>> surv = pd.DataFrame({"duration_days": [2, 3, 3, 5, 8], "event": [1, 1, 0, 1, 0]})
    >>> row = KaplanMeierByGroup(times=(3,)).fit(surv).summary_.iloc[0]
    >>> int(row["users"]), int(row["churned"]), float(row["median_days"])
    (5, 3, 5.0)
    >>> round(float(row["S_3d"]), 3)
    0.6
    """

    def __init__(
        self,
        *,
        times: Sequence[int] = (30, 90, 180),
        alpha: float = 0.05,
        min_at_risk: int = 10,
        duration_col: str = DURATION_DAYS,
        event_col: str = EVENT,
        entry_col: str = ENTRY_DAYS,
    ):
        self.times = times
        self.alpha = alpha
        self.min_at_risk = min_at_risk
        self.duration_col = duration_col
        self.event_col = event_col
        self.entry_col = entry_col

    @property
    def summary(self) -> pd.DataFrame:
        return self.summary_

    def at_risk(self, times: Sequence[float]) -> pd.DataFrame:
        """Lives at risk per group (rows) at each of ``times`` (columns): followed on that day
        (``entry_days <= t``) and not yet churned or censored (``t <= duration_days``).

        Examples
        --------
        >>> surv = pd.DataFrame({"duration_days": [2, 3, 5, 8], "event": 1})
        >>> KaplanMeierByGroup().fit(surv).at_risk([0, 3, 6]).values.tolist()
        [[4, 3, 1]]
        """
        rows = {}
        for g, kmf in self.fitters_.items():
            d = np.asarray(kmf.durations, float)
            e = np.zeros_like(d) if kmf.entry is None else np.asarray(kmf.entry, float)
            rows[g] = _at_risk(d, e, times)
        return pd.DataFrame.from_dict(rows, orient="index", columns=list(times)).astype("int64")

    def _fit_group(self, sub: pd.DataFrame, label: str):
        """The group's fitter, from the first day ``min_at_risk`` lives are at risk (delayed
        entry), and that day; None when that never happens."""
        from lifelines import KaplanMeierFitter

        d, e = self.duration_col, self.event_col
        if not self.delayed_entry_:
            return KaplanMeierFitter(alpha=self.alpha, label=label).fit(sub[d], sub[e]), 0
        entry = sub[self.entry_col].clip(lower=0)
        days = np.unique(np.r_[entry.to_numpy(float), sub[d].to_numpy(float)])
        enough = days[_at_risk(sub[d], entry, days) >= self.min_at_risk]
        if len(enough) == 0:
            return None, None
        from lifelines.exceptions import StatError

        for start in enough:
            keep = sub[d] >= start
            kmf = KaplanMeierFitter(alpha=self.alpha, label=label)
            try:
                kmf.fit(sub.loc[keep, d], sub.loc[keep, e], entry=entry[keep].clip(lower=start))
            except StatError:  # the risk set empties early on: S would stay 0 for good
                continue
            return kmf, int(start) if start > 1 else 0
        return None, None

    def fit(self, surv_df: pd.DataFrame, group_col: str | None = None) -> KaplanMeierByGroup:
        # lifelines and statsmodels take seconds to import: only a fit pays for them, not every
        # notebook that imports the kit
        from lifelines.statistics import multivariate_logrank_test, pairwise_logrank_test
        from lifelines.utils import median_survival_times
        from statsmodels.stats.multitest import multipletests

        d, e = self.duration_col, self.event_col
        df, self.n_dropped_ = usable_lives(surv_df, d, e, [group_col] if group_col else [])
        self.n_missing_group_ = 0
        if group_col:
            missing = df[group_col].isna()
            self.n_missing_group_ = int(missing.sum())
            df = df[~missing]
        if len(df) == 0:
            raise NotEnoughData(
                f"No life with `{d}` > 0 to fit: every user started after as_of - inactive_days."
            )
        self.group_col_ = group_col
        self.delayed_entry_ = self.entry_col in df.columns
        self.life_start_ = surv_df.attrs.get("start")
        self.landmarks_ = list(surv_df.attrs.get("landmarks", [])) if self.delayed_entry_ else []
        groups = df[group_col].astype(str) if group_col else pd.Series("all", index=df.index)
        self.fitters_, rows, self.too_few_ = {}, [], []
        for g in sorted(groups.unique()):
            sub = df[groups == g]
            kmf, start = self._fit_group(sub, str(g))
            if kmf is None:
                self.too_few_.append(g)
                continue
            ci = median_survival_times(kmf.confidence_interval_)
            st = kmf.survival_function_at_times(list(self.times)).to_numpy()
            st = np.where(np.asarray(self.times, float) >= start, st, np.nan)
            row = {
                "group": g,
                "users": len(sub),
                "churned": int(sub[e].sum()),
                "followed_from": start,
                "median_days": float(kmf.median_survival_time_),
                "median_lower": float(ci.iloc[0, 0]),
                "median_upper": float(ci.iloc[0, 1]),
            }
            row.update({f"S_{t}d": float(v) for t, v in zip(self.times, st)})
            rows.append(row)
            self.fitters_[g] = kmf
        if not rows:
            raise NotEnoughData(
                f"No group has {self.min_at_risk} lives followed at the same time: too few "
                "users to draw a curve."
            )
        self.summary_ = pd.DataFrame(rows)
        self.logrank_ = pd.DataFrame(columns=["test_statistic", "df", "p"])
        self.pairwise_ = pd.DataFrame(
            columns=["group_a", "group_b", "test_statistic", "p", "p_holm", "significant"]
        )
        kept = groups.isin(self.fitters_)
        df, groups = df[kept], groups[kept]
        if groups.nunique() > 1:
            entry = df[self.entry_col].clip(lower=0) if self.delayed_entry_ else None
            if entry is None:
                res = multivariate_logrank_test(df[d], groups, df[e])
                stat, dof, p = float(res.test_statistic), int(res.degrees_of_freedom), res.p_value
                pw = pairwise_logrank_test(df[d], groups, df[e]).summary.reset_index()
                pw.columns = ["group_a", "group_b", *pw.columns[2:]]
            else:
                stat, dof, p = logrank(df[d], groups, df[e], entry)
                names = sorted(groups.unique())
                pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
                tests = []
                for a, b in pairs:
                    on = groups.isin([a, b])
                    s_, _, p_ = logrank(df.loc[on, d], groups[on], df.loc[on, e], entry[on])
                    tests.append({"group_a": a, "group_b": b, "test_statistic": s_, "p": p_})
                pw = pd.DataFrame(tests)
            self.logrank_ = pd.DataFrame([{"test_statistic": stat, "df": int(dof), "p": float(p)}])
            p_holm = multipletests(pw["p"].to_numpy(), method="holm")[1]
            self.pairwise_ = pd.DataFrame(
                {
                    "group_a": pw["group_a"].astype(str),
                    "group_b": pw["group_b"].astype(str),
                    "test_statistic": pw["test_statistic"].astype(float),
                    "p": pw["p"].astype(float),
                    "p_holm": p_holm,
                    "significant": p_holm < self.alpha,
                }
            )
        return self

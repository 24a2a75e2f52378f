"""Kaplan-Meier survival by group: median lifetimes, survival at fixed days, log-rank tests.

Reads the survival table of :mod:`helpers.analysis.churn.lives` (one life per user, churned or
censored) and fits one ``lifelines.KaplanMeierFitter`` per group. The results are tables and
numbers; how they show is decided in :mod:`helpers.sections.churn`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from helpers.analysis.churn.common import DURATION_DAYS, EVENT, usable_lives
from helpers.core.errors import NotEnoughData

__all__ = ["KaplanMeierByGroup"]


class KaplanMeierByGroup:
    """Kaplan-Meier curves per group, median lifetimes, survival at fixed days, log-rank tests.

    Parameters
    ----------
    times : sequence of int, default (30, 90, 180)
        Days at which survival S(t) is reported.
    alpha : float, default 0.05
        1 - confidence level of the median and curve intervals, and the level of the tests.
    duration_col, event_col : str
        Columns of the survival table.

    Attributes
    ----------
    group_col_ : str or None
        The column the groups come from (None: one curve of all users).
    fitters_ : dict
        Group -> fitted ``lifelines.KaplanMeierFitter``.
    summary_ : DataFrame
        Per group: ``group``, ``users``, ``churned``, ``median_days`` (inf when S never falls
        to 0.5), its interval ``median_lower``, ``median_upper``, and ``S_<t>d`` per day in
        ``times``.
    logrank_ : DataFrame
        One row: multivariate log-rank test statistic, degrees of freedom, p value.
    pairwise_ : DataFrame
        Per pair of groups: statistic, p, Holm-adjusted p, significant at ``alpha``.
    n_dropped_ : int
        Rows with ``duration_days == 0`` (lives too recent to carry information).
    n_missing_group_ : int
        Rows without a group (left out of the curves and tests).

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
        duration_col: str = DURATION_DAYS,
        event_col: str = EVENT,
    ):
        self.times = times
        self.alpha = alpha
        self.duration_col = duration_col
        self.event_col = event_col

    @property
    def summary(self) -> pd.DataFrame:
        return self.summary_

    def fit(self, surv_df: pd.DataFrame, group_col: str | None = None) -> KaplanMeierByGroup:
        # lifelines and statsmodels take seconds to import: only a fit pays for them, not every
        # notebook that imports the kit
        from lifelines import KaplanMeierFitter
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
        groups = df[group_col].astype(str) if group_col else pd.Series("all", index=df.index)
        self.fitters_, rows = {}, []
        for g in sorted(groups.unique()):
            sub = df[groups == g]
            kmf = KaplanMeierFitter(alpha=self.alpha, label=str(g))
            kmf.fit(sub[d], sub[e])
            ci = median_survival_times(kmf.confidence_interval_)
            st = kmf.survival_function_at_times(list(self.times))
            row = {
                "group": g,
                "users": len(sub),
                "churned": int(sub[e].sum()),
                "median_days": float(kmf.median_survival_time_),
                "median_lower": float(ci.iloc[0, 0]),
                "median_upper": float(ci.iloc[0, 1]),
            }
            row.update({f"S_{t}d": float(v) for t, v in zip(self.times, st.to_numpy())})
            rows.append(row)
            self.fitters_[g] = kmf
        self.summary_ = pd.DataFrame(rows)
        self.logrank_ = pd.DataFrame(columns=["test_statistic", "df", "p"])
        self.pairwise_ = pd.DataFrame(
            columns=["group_a", "group_b", "test_statistic", "p", "p_holm", "significant"]
        )
        if groups.nunique() > 1:
            res = multivariate_logrank_test(df[d], groups, df[e])
            self.logrank_ = pd.DataFrame(
                [
                    {
                        "test_statistic": float(res.test_statistic),
                        "df": int(res.degrees_of_freedom),
                        "p": float(res.p_value),
                    }
                ]
            )
            pw = pairwise_logrank_test(df[d], groups, df[e]).summary.reset_index()
            pw.columns = ["group_a", "group_b", *pw.columns[2:]]
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

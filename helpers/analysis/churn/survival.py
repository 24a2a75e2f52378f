"""Survival-based churn: lifetimes with honest censoring, Kaplan-Meier by group, Cox drivers.

The churn definition used everywhere in the kit (``churn.inactive_days`` in ``persona.yaml``,
"churned after this many days without activity"), with ``K = inactive_days``:

* A user is *active* on a day when ``active_events > 0`` in ``user_day`` (orders count).
* A *gap* is the difference in days between two consecutive active days, ``next - day``
  (so ``gap - 1`` whole days without activity lie between them).
* A life *churns* at its last active day ``L`` when at least ``K`` whole days without activity
  follow it: a return on day ``N`` with ``N - L > K`` (``N - L - 1 >= K`` silent days), or no
  return up to ``as_of`` with ``as_of - L >= K``. Boundary: ``K`` silent days churn, ``K - 1``
  do not (a user with ``days_since_active == K`` at ``as_of`` has churned).
* The next active day after a churn starts a new life (a *resurrection*).

Lifetimes are counted in days, inclusive: ``duration_days = end_day - start_day + 1``, so a user
active on one day who never returns has lived 1 day (lifelines' parametric and Cox fitters need
durations > 0).

Honest censoring. A life whose silence has not yet reached ``K`` days at ``as_of`` has not ended,
but it may already have had its last active day (its end is only *known* ``K`` days later). The
latest day on which a life's end can be observed is ``as_of - K``: every life that ended on or
before it is seen to churn, none that ended after it is. So an unfinished life is censored at
``end_day = as_of - K`` (administrative censoring, independent of the user's behaviour), not at
``as_of``: censoring at ``as_of`` would credit up to ``K - 1`` days of survival that have not been
observed and bias lifetimes upwards. A life that started after ``as_of - K`` carries no
information yet: its ``duration_days`` is 0 and the fitters below drop it (and count it).
"""

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Sequence

import ibis
import numpy as np
import pandas as pd

from helpers.core import schema as S
from helpers.core.checks import as_date, numeric_text, one_of, positive_int, require_columns
from helpers.core.errors import DataError, ModelError, ParameterError

START_DAY = "start_day"
END_DAY = "end_day"
LAST_ACTIVE_DAY = "last_active_day"
DURATION_DAYS = "duration_days"
EVENT = "event"
N_LIVES = "n_lives"
RESURRECTED = "resurrected"
GAP_DAYS_TO_RETURN = "gap_days_to_return"

__all__ = [
    "survival_table",
    "resurrection_summary",
    "ResurrectionSummary",
    "KaplanMeierByGroup",
    "CoxModel",
    "early_life_covariates",
    "as_date",
]


# --- small shared utilities ----------------------------------------------------------------------
def html_block(title: str, tables: dict[str, pd.DataFrame], digits: int = 3) -> str:
    """A heading sentence and rounded tables: the display of every result object here."""
    parts = [f"<p><strong>{html.escape(title)}</strong></p>"]
    for caption, df in tables.items():
        if df is None or len(df) == 0:
            continue
        if caption:
            parts.append(f"<p>{html.escape(caption)}</p>")
        parts.append(df.round(digits).to_html(index=False, na_rep="-", border=0))
    return "\n".join(parts)


def _covariate(col: pd.Series) -> pd.Series:
    """A covariate as floats when it is numeric, boolean or numeric text (CSV attributes such as
    ``joined_community`` read as ``"0"``/``"1"``); a column without any value is an all-NaN float
    column; other columns are returned as they are."""
    if col.isna().all():
        return col.astype(float)
    col = numeric_text(col)
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return col.astype(float)
    return col


def _to_datetime(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).astype("datetime64[ns]")


def signup_days(
    users, *, signup_col: str = S.SIGNUP_TIME, timezone: str | None = None
) -> pd.DataFrame:
    """Per user the signup day (business day when ``timezone`` is given) from a users table.

    ``users`` is an ibis Table or a pandas DataFrame with ``user_id`` and ``signup_col``
    (a timestamp; UTC-aware instants are converted to ``timezone`` before taking the date, naive
    ones are taken as already local). Rows without a signup time are left out.
    """
    require_columns(users, [S.USER_ID, signup_col], "The users table")
    df = (
        users.select(S.USER_ID, signup_col).execute()
        if isinstance(users, ibis.Table)
        else users[[S.USER_ID, signup_col]]
    )
    ts = pd.to_datetime(df[signup_col])
    if ts.dt.tz is not None:
        ts = ts.dt.tz_convert(timezone or "UTC").dt.tz_localize(None)
    out = pd.DataFrame(
        {S.USER_ID: df[S.USER_ID].astype(str).to_numpy(), S.DAY: ts.dt.normalize().to_numpy()}
    )
    return out.dropna().drop_duplicates(S.USER_ID)


# --- 1. survival table ---------------------------------------------------------------------------
def _lives(user_day: ibis.Table, as_of: _dt.date, k: int, signups: pd.DataFrame | None):
    """Engine expression: one row per (user, life) with start, last active day, active days and
    the gap that ended the life (NULL when no return has been seen)."""
    require_columns(user_day, [S.USER_ID, S.DAY, S.UD_ACTIVE_EVENTS], "user_day")
    t = user_day
    act = t.filter((t[S.UD_ACTIVE_EVENTS] > 0) & (t[S.DAY] <= ibis.literal(as_of))).select(
        t[S.USER_ID].cast("string").name(S.USER_ID), t[S.DAY].cast("date").name(S.DAY)
    )
    if signups is not None:
        sg = signups[signups[S.DAY] <= pd.Timestamp(as_of)]
        sg_t = ibis.memtable(
            pd.DataFrame({S.USER_ID: sg[S.USER_ID].astype(str), S.DAY: sg[S.DAY].dt.date})
        )
        sg_t = sg_t.select(
            sg_t[S.USER_ID].cast("string").name(S.USER_ID), sg_t[S.DAY].cast("date").name(S.DAY)
        )
        act = act.union(sg_t, distinct=True)
    w = ibis.window(group_by=S.USER_ID, order_by=S.DAY)
    a = act.mutate(_prev=act[S.DAY].lag().over(w), _next=act[S.DAY].lead().over(w))
    a = a.mutate(
        _gap_before=a[S.DAY].delta(a._prev, unit="day"),
        _gap_after=a._next.delta(a[S.DAY], unit="day"),
    )
    a = a.mutate(
        _starts=ibis.ifelse(a._prev.isnull() | (a._gap_before > k).fill_null(False), 1, 0)
    )
    a = a.mutate(_life=a._starts.cumsum(group_by=S.USER_ID, order_by=S.DAY))
    lives = a.group_by([S.USER_ID, "_life"]).aggregate(
        _start=a[S.DAY].min(),
        _last=a[S.DAY].max(),
        _active_days=a[S.DAY].count(),
        _gap_out=a._gap_after.max(where=a._gap_after > k),
    )
    return lives


def survival_table(
    user_day: ibis.Table,
    *,
    as_of,
    inactive_days: int = 30,
    start: str = "first_activity",
    users=None,
    life: str = "first",
    signup_col: str = S.SIGNUP_TIME,
    timezone: str | None = None,
) -> pd.DataFrame:
    """One row per user: the lifetime of one of their lives, churned or censored.

    Definition (the kit's churn rule, ``K = inactive_days``): a life churns at its last active
    day ``L`` when at least ``K`` whole days without activity follow it, i.e. the next active day
    ``N`` has ``N - L > K``, or there is none and ``as_of - L >= K``. A gap of exactly ``K`` silent
    days churns, ``K - 1`` does not. Churned: ``event = 1``, ``end_day = L``. Not yet churned:
    ``event = 0`` (censored) with ``end_day = as_of - K``, the last day whose churn could have been
    observed (see the module docstring for why not ``as_of``). ``duration_days = end_day -
    start_day + 1`` (inclusive days; one active day then churn = 1); lives that started after
    ``as_of - K`` get 0 and are dropped by the fitters. Only activity on days <= ``as_of`` is seen.
    Gaps are computed in the engine (window ``lag``/``lead`` over active days); only per-user
    rows come back.

    Parameters
    ----------
    user_day : ibis.Table
        ``user_id``, ``day``, ``active_events`` (docs/internals.md).
    as_of : date or str
        Last observed day.
    inactive_days : int, default 30
        ``K``: whole days without activity after which a user has churned.
    start : {"first_activity", "signup"}
        Where the first life starts. ``"signup"`` takes the signup day from ``users`` and counts
        it as an active day (a user who signs up and never comes back churns with duration 1;
        users with a signup and no activity are included; activity before the signup day, which
        the audit flags, starts the life earlier). Users without a signup time keep their first
        activity.
    users : ibis.Table or pandas.DataFrame, optional
        Needed for ``start="signup"``: ``user_id`` and ``signup_col``.
    life : {"first", "last"}
        Which life each row describes: the first one, or the latest one (the current life of
        a resurrected user).
    signup_col, timezone : str
        Signup time column, and the business timezone to read aware timestamps in.

    Returns
    -------
    pandas.DataFrame
        ``user_id, start_day, last_active_day, end_day, duration_days, event, active_days,
        n_lives, resurrected, gap_days_to_return``. ``n_lives`` counts lives started up to
        ``as_of``; ``resurrected`` = ``n_lives > 1``; ``gap_days_to_return`` = ``N - L`` of the
        first churn followed by a return (NaN otherwise).

    Examples
    --------
    >>> from helpers.data.pipeline import load_project                       # doctest: +SKIP
    >>> p = load_project("data/sample/persona.yaml")                     # doctest: +SKIP
    >>> surv = survival_table(p.user_day, as_of="2024-06-30")           # doctest: +SKIP
    """
    as_of = as_date(as_of)
    k = positive_int(inactive_days, "inactive_days", unit="days")
    one_of(start, ("first_activity", "signup"), "start")
    one_of(life, ("first", "last"), "life")
    signups = None
    if start == "signup":
        if users is None:
            raise ParameterError(
                "start='signup' needs the `users` table (user_id and "
                f"{signup_col}); none was passed."
            )
        signups = signup_days(users, signup_col=signup_col, timezone=timezone)

    lives = _lives(user_day, as_of, k, signups)
    n = lives.group_by(S.USER_ID).aggregate(
        **{
            N_LIVES: lives._life.max(),
            GAP_DAYS_TO_RETURN: lives._gap_out.max(where=lives._life == 1),
        }
    )
    if life == "first":
        chosen = lives.filter(lives._life == 1)
    else:
        last = lives.group_by(S.USER_ID).aggregate(_max_life=lives._life.max())
        chosen = lives.join(
            last, (lives[S.USER_ID] == last[S.USER_ID]) & (lives._life == last._max_life)
        ).select(lives)
    expr = chosen.join(n, S.USER_ID).select(
        S.USER_ID, "_start", "_last", "_active_days", "_gap_out", N_LIVES, GAP_DAYS_TO_RETURN
    )
    df = expr.execute()
    return _finish_survival(df, as_of, k)


def _finish_survival(df: pd.DataFrame, as_of: _dt.date, k: int) -> pd.DataFrame:
    as_of_ts = pd.Timestamp(as_of)
    start_day = _to_datetime(df["_start"])
    last = _to_datetime(df["_last"])
    returned = df["_gap_out"].notna()
    churned = returned | ((as_of_ts - last).dt.days >= k)
    censor_day = as_of_ts - pd.Timedelta(days=k)
    end_day = last.where(churned, censor_day)
    duration = ((end_day - start_day).dt.days + 1).clip(lower=0)
    out = pd.DataFrame(
        {
            S.USER_ID: df[S.USER_ID].astype(str).to_numpy(),
            START_DAY: start_day.to_numpy(),
            LAST_ACTIVE_DAY: last.to_numpy(),
            END_DAY: end_day.to_numpy(),
            DURATION_DAYS: duration.astype("int64").to_numpy(),
            EVENT: churned.astype("int64").to_numpy(),
            "active_days": df["_active_days"].astype("int64").to_numpy(),
            N_LIVES: df[N_LIVES].astype("int64").to_numpy(),
            RESURRECTED: (df[N_LIVES] > 1).to_numpy(),
            GAP_DAYS_TO_RETURN: df[GAP_DAYS_TO_RETURN].astype("float64").to_numpy(),
        }
    )
    out.attrs.update(as_of=as_of, inactive_days=k)
    return out.sort_values(S.USER_ID, kind="stable").reset_index(drop=True)


class ResurrectionSummary:
    """Who came back after churning, and how long it took (see :func:`resurrection_summary`)."""

    def __init__(self, overview: pd.DataFrame, gaps: pd.DataFrame):
        self.overview = overview
        self.gaps = gaps

    def _repr_html_(self) -> str:
        o = self.overview.iloc[0]
        title = (
            f"{o['resurrected_share']:.1%} of {int(o['churned_users']):,} users whose first "
            f"life churned came back (median {o['median_days_to_return']:.0f} days later)."
        )
        return html_block(title, {"": self.overview, "Days from churn to return": self.gaps})


def resurrection_summary(
    surv_df: pd.DataFrame, *, bins: Sequence[int] = (60, 90, 180, 365)
) -> ResurrectionSummary:
    """Share of churned users who came back, and the distribution of the time to return.

    Reads a ``survival_table(..., life="first")``: a first life that churned (``event == 1``)
    either ended for good so far or was followed by a return after ``gap_days_to_return`` days
    (the day difference between the last active day and the return day). Users who churned
    shortly before ``as_of`` have had less time to return, so the share is a lower bound.

    Returns
    -------
    ResurrectionSummary
        ``overview`` (one row: churned_users, resurrected_users, resurrected_share, median,
        p25, p75, p90 days to return) and ``gaps`` (users per range of days to return).
    """
    require_columns(surv_df, [EVENT, GAP_DAYS_TO_RETURN], "The survival table")
    churned = surv_df[surv_df[EVENT] == 1]
    gaps = churned[GAP_DAYS_TO_RETURN].dropna()
    q = (
        gaps.quantile([0.25, 0.5, 0.75, 0.9])
        if len(gaps)
        else pd.Series(np.nan, [0.25, 0.5, 0.75, 0.9])
    )
    overview = pd.DataFrame(
        [
            {
                "churned_users": len(churned),
                "resurrected_users": len(gaps),
                "resurrected_share": len(gaps) / len(churned) if len(churned) else np.nan,
                "median_days_to_return": q[0.5],
                "p25_days_to_return": q[0.25],
                "p75_days_to_return": q[0.75],
                "p90_days_to_return": q[0.9],
            }
        ]
    )
    k = surv_df.attrs.get("inactive_days", 0)
    edges = [k] + [b for b in bins if b > k] + [np.inf]
    labels = [
        f"{int(a) + 1}-{int(b)}" if np.isfinite(b) else f"{int(a) + 1}+"
        for a, b in zip(edges[:-1], edges[1:])
    ]
    cut = pd.cut(gaps, edges, labels=labels, right=True)
    table = cut.value_counts(sort=False).rename_axis("days_to_return").reset_index(name="users")
    table["share"] = table["users"] / max(len(gaps), 1)
    table["days_to_return"] = table["days_to_return"].astype(str)
    return ResurrectionSummary(overview, table)


# --- 2. Kaplan-Meier by group --------------------------------------------------------------------
def _usable(df: pd.DataFrame, duration_col: str, event_col: str, extra: Sequence[str] = ()):
    require_columns(df, [duration_col, event_col, *extra], "The survival table")
    keep = df[duration_col] > 0
    return df[keep], int((~keep).sum())


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
    fitters_ : dict
        Group -> fitted ``lifelines.KaplanMeierFitter``.
    summary_ : DataFrame
        Per group: users, churned, median_days (inf when S never falls to 0.5), its CI, S(t).
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
    >>> km = KaplanMeierByGroup().fit(surv, "persona")                 # doctest: +SKIP
    >>> km                                                              # doctest: +SKIP
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
        from lifelines import KaplanMeierFitter
        from lifelines.statistics import multivariate_logrank_test, pairwise_logrank_test
        from lifelines.utils import median_survival_times
        from statsmodels.stats.multitest import multipletests

        d, e = self.duration_col, self.event_col
        df, self.n_dropped_ = _usable(surv_df, d, e, [group_col] if group_col else [])
        self.n_missing_group_ = 0
        if group_col:
            missing = df[group_col].isna()
            self.n_missing_group_ = int(missing.sum())
            df = df[~missing]
        if len(df) == 0:
            raise ModelError(
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

    def _repr_html_(self) -> str:
        s = self.summary_.copy()
        for c in ("median_days", "median_lower", "median_upper"):  # S(t) never fell to 0.5
            s[c] = [_days_or_not_reached(v) for v in s[c]]
        title = f"Kaplan-Meier lifetimes of {int(s['users'].sum()):,} users"
        title += f" by {self.group_col_}" if self.group_col_ else ""
        if len(self.logrank_):
            title += f"; log-rank p {p_text(self.logrank_['p'].iloc[0])}"
        return html_block(
            title + ".", {"": s, "Pairwise log-rank tests (Holm-adjusted)": self.pairwise_}
        )


def concordance_within(durations, scores, events, strata: pd.DataFrame | None = None) -> float:
    """Harrell's concordance over the pairs of users in the same stratum (all pairs without strata).

    A stratified Cox model has one baseline hazard per stratum, so its scores order users only
    within a stratum; pooling pairs across strata compares scores that do not share a baseline.
    Each stratum's concordant, tied and comparable pairs are summed (lifelines' counting).

    >>> concordance_within([1, 2, 10, 20], [1, 2, 10, 20], [1, 1, 1, 1])
    1.0
    >>> strata = pd.DataFrame({"s": ["a", "a", "b", "b"]})  # scores right within each stratum only
    >>> concordance_within([1, 2, 10, 20], [11, 12, 1, 2], [1, 1, 1, 1], strata)
    1.0
    """
    from lifelines.utils.concordance import _concordance_summary_statistics

    d = pd.DataFrame(
        {
            "t": np.asarray(durations, float),
            "s": np.asarray(scores, float),
            "e": np.asarray(events, bool),
        }
    )
    keys = (
        [np.zeros(len(d), int)]
        if strata is None or strata.shape[1] == 0
        else [np.asarray(strata[c]) for c in strata.columns]
    )
    correct = tied = pairs = 0
    for _, g in d.groupby(
        keys, sort=False, dropna=False
    ):  # a missing stratum value is a stratum too
        if len(g) < 2:
            continue
        c, t, n = _concordance_summary_statistics(
            g["t"].to_numpy(), g["s"].to_numpy(), g["e"].to_numpy()
        )
        correct, tied, pairs = correct + c, tied + t, pairs + n
    return float((correct + 0.5 * tied) / pairs) if pairs else float("nan")


def _days_or_not_reached(v) -> object:
    """A median lifetime for display: 'not reached' where the curve never fell to 0.5 (inf).

    >>> _days_or_not_reached(float("inf")), _days_or_not_reached(42.0)
    ('not reached', 42.0)
    """
    return "not reached" if np.isinf(v) else v


def p_text(p: float) -> str:
    """'= 0.0032', or '< 1e-16' where the p-value underflows (printed as 0 otherwise).

    >>> p_text(0.0032), p_text(0.0)
    ('= 0.0032', '< 1e-16')
    """
    return "< 1e-16" if p < 1e-16 else f"= {p:.2g}"


# --- 3. Cox model --------------------------------------------------------------------------------
class CoxModel:
    """Cox proportional-hazards model of churn with a PH check and held-out concordance.

    ``fit`` (1) splits users into train/test (``test_size``, stratified by event,
    ``random_state``), (2) fits ``lifelines.CoxPHFitter`` on the train part and tests proportional
    hazards per covariate (``proportional_hazard_test``, rank time transform, Schoenfeld
    residuals), (3) stratifies on covariates that fail at ``ph_alpha`` (binary/categorical ones as
    they are, others by quartile) except those in ``protect``, refits, and measures the
    concordance of the train fit on the test part, (4) refits on all rows for the reported hazard
    ratios.

    Parameters
    ----------
    penalizer : float, default 0.01
        L2 penalty (lifelines ``penalizer``).
    strata : list of str, optional
        Covariates to stratify on from the start.
    ph_alpha : float, default 0.01
        PH test level below which a covariate is stratified.
    stratify_failing : bool, default True
        Set False to only report PH failures.
    protect : sequence of str
        Covariates whose hazard ratio is the point of the analysis: never stratified away
        (their PH test result is still reported).
    test_size : float, default 0.25
    random_state : int, default 0
    alpha : float, default 0.05
        1 - confidence level of the hazard-ratio intervals.

    Attributes
    ----------
    hazard_ratios_ : DataFrame
        covariate, hr, hr_lower, hr_upper, p.
    ph_test_ : DataFrame
        covariate, test_statistic, p, fails.
    stratified_on_ : list of str
        Covariates moved into strata because they failed the PH test (plus ``strata``).
    concordance_ : float
        Harrell's C of the train fit on the held-out users, over pairs within a stratum when the
        model is stratified (:func:`concordance_within`).
    model_ : lifelines.CoxPHFitter
        The fit on all rows.
    """

    def __init__(
        self,
        penalizer: float = 0.01,
        strata: Sequence[str] | None = None,
        *,
        ph_alpha: float = 0.01,
        stratify_failing: bool = True,
        protect: Sequence[str] = (),
        test_size: float = 0.25,
        random_state: int = 0,
        alpha: float = 0.05,
    ):
        self.penalizer = penalizer
        self.strata = strata
        self.ph_alpha = ph_alpha
        self.stratify_failing = stratify_failing
        self.protect = protect
        self.test_size = test_size
        self.random_state = random_state
        self.alpha = alpha

    def _fit_cph(self, df, duration_col, event_col, covariates, strata):
        from lifelines import CoxPHFitter

        cph = CoxPHFitter(penalizer=self.penalizer, alpha=self.alpha)
        cols = [duration_col, event_col, *covariates, *strata]
        try:
            cph.fit(df[cols], duration_col, event_col, strata=list(strata) or None)
        except Exception as e:  # lifelines raises ConvergenceError and numpy errors alike
            raise ModelError(
                f"The Cox model did not converge on covariates {list(covariates)} "
                f"({type(e).__name__}: {str(e)[:200]}); drop near-constant or "
                "collinear covariates or raise `penalizer`."
            ) from None
        return cph

    def fit(
        self,
        df: pd.DataFrame,
        duration_col: str = DURATION_DAYS,
        event_col: str = EVENT,
        covariates: Sequence[str] | None = None,
    ) -> CoxModel:
        from lifelines.statistics import proportional_hazard_test
        from sklearn.model_selection import train_test_split

        strata0 = list(self.strata or [])
        if covariates is None:
            covariates = [
                c
                for c in df.columns
                if c not in (duration_col, event_col, S.USER_ID, *strata0)
                and pd.api.types.is_numeric_dtype(df[c])
            ]
        covariates = [c for c in covariates if c not in strata0]
        data, self.n_dropped_ = _usable(df, duration_col, event_col, [*covariates, *strata0])
        data = data[[duration_col, event_col, *covariates, *strata0]].copy()
        for c in covariates:
            data[c] = _covariate(data[c])
        bad = [c for c in covariates if not pd.api.types.is_numeric_dtype(data[c])]
        if bad:
            raise DataError(
                f"Cox covariates must be numeric (one-hot categories first, e.g. with "
                f"early_life_covariates); {bad} are not (example value "
                f"{data[bad[0]].iloc[0]!r})."
            )
        data[covariates] = data[covariates].astype(float)
        const = [c for c in covariates if data[c].nunique() < 2]
        covariates = [c for c in covariates if c not in const]
        self.dropped_constant_ = const
        if data[event_col].sum() < 2 or not covariates:
            raise ModelError(
                f"Too little to fit a Cox model: {int(data[event_col].sum())} "
                f"churned lives and covariates {covariates}."
            )
        train, test = train_test_split(
            data,
            test_size=self.test_size,
            random_state=self.random_state,
            stratify=data[event_col],
        )
        cph = self._fit_cph(train, duration_col, event_col, covariates, strata0)
        ph = proportional_hazard_test(
            cph, train[[duration_col, event_col, *covariates, *strata0]], time_transform="rank"
        ).summary
        ph = ph.reset_index().rename(columns={"index": "covariate"})
        ph = pd.DataFrame(
            {
                "covariate": ph.iloc[:, 0].astype(str),
                "test_statistic": ph["test_statistic"].astype(float),
                "p": ph["p"].astype(float),
            }
        )
        ph["fails"] = ph["p"] < self.ph_alpha
        self.ph_test_ = ph
        failing = [c for c in ph.loc[ph["fails"], "covariate"] if c not in self.protect]
        self.stratified_on_ = list(strata0)
        if self.stratify_failing and failing:
            for c in failing:
                if data[c].nunique() > 5:
                    q = pd.qcut(data[c], 4, labels=False, duplicates="drop")
                    data[f"{c}__q4"] = q
                    self.stratified_on_.append(f"{c}__q4")
                else:
                    self.stratified_on_.append(c)
            covariates = [c for c in covariates if c not in failing]
            train, test = data.loc[train.index], data.loc[test.index]
            if covariates:
                cph = self._fit_cph(
                    train, duration_col, event_col, covariates, self.stratified_on_
                )
        self.covariates_ = covariates
        if not covariates:
            raise ModelError(
                "Every covariate failed the proportional-hazards test and was "
                "stratified; pass the ones to keep in `protect`."
            )
        risk = cph.predict_partial_hazard(test[[*covariates, *self.stratified_on_]])
        # a stratified model ranks users only within a stratum (each has its own baseline hazard)
        self.concordance_ = concordance_within(
            test[duration_col],
            -np.asarray(risk),
            test[event_col],
            test[self.stratified_on_] if self.stratified_on_ else None,
        )
        self.concordance_train_ = float(cph.concordance_index_)
        self.model_ = self._fit_cph(data, duration_col, event_col, covariates, self.stratified_on_)
        s = self.model_.summary
        lo, hi = (
            [c for c in s.columns if c.startswith("exp(coef) lower")][0],
            [c for c in s.columns if c.startswith("exp(coef) upper")][0],
        )
        self.hazard_ratios_ = pd.DataFrame(
            {
                "covariate": s.index.astype(str),
                "hr": s["exp(coef)"].to_numpy(),
                "hr_lower": s[lo].to_numpy(),
                "hr_upper": s[hi].to_numpy(),
                "p": s["p"].to_numpy(),
            }
        ).reset_index(drop=True)
        self.n_users_, self.n_events_ = len(data), int(data[event_col].sum())
        return self

    def _repr_html_(self) -> str:
        title = (
            f"Cox model of churn on {self.n_users_:,} lives ({self.n_events_:,} churned); "
            f"held-out concordance {self.concordance_:.3f}"
            + (" (pairs within a stratum)" if self.stratified_on_ else "")
        )
        strat = [c for c in self.stratified_on_ if c not in (self.strata or [])]
        title += f"; stratified on {strat} (failed the PH test)" if strat else ""
        return html_block(
            title + ".",
            {
                "Hazard ratios (95% CI)": self.hazard_ratios_,
                "Proportional-hazards test": self.ph_test_,
            },
        )


def early_life_covariates(
    user_day: ibis.Table,
    surv_df: pd.DataFrame,
    *,
    days: int = 7,
    users=None,
    attributes: Sequence[str] | None = None,
    max_levels: int = 10,
) -> pd.DataFrame:
    """Behaviour in the first ``days`` days of each life, plus user attributes, for a Cox model.

    Landmark design: only lives with ``duration_days > days`` are kept (known to be alive after
    the window, so the window's behaviour cannot be a consequence of an already observed churn),
    and their duration is measured from the landmark: ``duration_days - days``. Shorter lives
    are dropped and counted in ``.attrs["dropped_short_lives"]``.

    Window features (engine): ``active_days_first_{days}d``, ``events_first_{days}d``
    (active events), ``orders_first_{days}d``, ``revenue_first_{days}d`` over days
    ``start_day .. start_day + days - 1``, and ``mix_<event>`` = share of each ``ev_<event>``
    column in the window's events (0 when none). Attributes from ``users`` (all columns but
    ``user_id``/``signup_time`` unless ``attributes`` is given): numeric ones (also text columns
    holding only numbers, e.g. ``"0"``/``"1"`` from a CSV) pass through (missing values ->
    median); others are one-hot encoded as ``<col>_<level>`` with the most
    frequent level as the reference (dropped), levels beyond the ``max_levels`` most frequent
    pooled into ``other`` and missing values into ``missing``. The reference levels are in
    ``.attrs["reference_levels"]``.

    Returns
    -------
    pandas.DataFrame
        ``user_id, duration_days, event`` (landmark) and the covariates, one row per kept life.
    """
    days = positive_int(days, "days", unit="days")
    require_columns(surv_df, [S.USER_ID, START_DAY, DURATION_DAYS, EVENT], "The survival table")
    require_columns(
        user_day, [S.USER_ID, S.DAY, S.UD_ACTIVE_EVENTS, S.UD_ORDERS, S.UD_REVENUE], "user_day"
    )
    kept = surv_df[surv_df[DURATION_DAYS] > days]
    base = pd.DataFrame(
        {
            S.USER_ID: kept[S.USER_ID].astype(str).to_numpy(),
            "_start": pd.to_datetime(kept[START_DAY]).dt.date.to_numpy(),
        }
    )
    starts = ibis.memtable(base)
    starts = starts.select(
        starts[S.USER_ID].cast("string").name("_uid"), starts["_start"].cast("date").name("_start")
    )
    t = user_day
    ev_cols = [c for c in t.columns if c.startswith(S.EVENT_COUNT_PREFIX)]
    j = t.join(starts, t[S.USER_ID].cast("string") == starts._uid)
    offset = j[S.DAY].delta(j._start, unit="day")
    j = j.filter((offset >= 0) & (offset < days))
    active = j[S.UD_ACTIVE_EVENTS] > 0
    suffix = f"_first_{days}d"
    aggs = {
        f"active_days{suffix}": ibis.ifelse(active, 1, 0).sum(),
        f"events{suffix}": j[S.UD_ACTIVE_EVENTS].sum(),
        f"orders{suffix}": j[S.UD_ORDERS].sum(),
        f"revenue{suffix}": j[S.UD_REVENUE].sum(),
    }
    aggs.update({f"_{c}": j[c].sum() for c in ev_cols})
    win = j.group_by(j._uid.name(S.USER_ID)).aggregate(**aggs).execute()
    out = kept[[S.USER_ID, DURATION_DAYS, EVENT]].copy()
    out[S.USER_ID] = out[S.USER_ID].astype(str)
    out[DURATION_DAYS] = out[DURATION_DAYS] - days
    out = out.merge(win, on=S.USER_ID, how="left")
    total = out[[f"_{c}" for c in ev_cols]].sum(axis=1) if ev_cols else None
    for c in ev_cols:
        name = "mix_" + c[len(S.EVENT_COUNT_PREFIX) :]
        out[name] = (out[f"_{c}"] / total.where(total > 0)).fillna(0.0)
    out = out.drop(columns=[f"_{c}" for c in ev_cols])
    for c in aggs:
        if not c.startswith("_"):
            out[c] = out[c].fillna(0).astype(float)
    refs: dict[str, str] = {}
    if users is not None:
        require_columns(users, [S.USER_ID], "The users table")
        u = users.execute() if isinstance(users, ibis.Table) else users.copy()
        u[S.USER_ID] = u[S.USER_ID].astype(str)
        u = u.drop_duplicates(S.USER_ID)
        cols = (
            list(attributes)
            if attributes is not None
            else [c for c in u.columns if c not in (S.USER_ID, S.SIGNUP_TIME)]
        )
        require_columns(u, cols, "The users table")
        u = out[[S.USER_ID]].merge(u[[S.USER_ID, *cols]], on=S.USER_ID, how="left")
        for c in cols:
            col = _covariate(u[c])
            if pd.api.types.is_numeric_dtype(col):
                out[c] = col.fillna(col.median()).to_numpy()
                continue
            col = col.astype("string").fillna("missing")
            vc = col.value_counts()
            top = sorted(vc.index, key=lambda v: (-vc[v], v))[:max_levels]
            col = col.where(col.isin(top), "other")
            counts = col.value_counts()
            # most frequent level; ties broken by name so the reference is reproducible
            ref = sorted(counts.index[counts == counts.max()])[0]
            refs[c] = str(ref)
            for level in sorted(col.unique()):
                if level != ref:
                    out[f"{c}_{level}"] = (col == level).astype(float).to_numpy()
    out.attrs.update(
        dropped_short_lives=int(len(surv_df) - len(kept)),
        reference_levels=refs,
        landmark_days=days,
    )
    return out

"""Lives, churn and resurrection: the survival table with honest censoring, and who came back.

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
information yet: its ``duration_days`` is 0 and the fitters drop it (and count it).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from helpers.analysis.churn.common import (
    ACTIVE_DAYS,
    DURATION_DAYS,
    END_DAY,
    EVENT,
    GAP_DAYS_TO_RETURN,
    LAST_ACTIVE_DAY,
    N_LIVES,
    RESURRECTED,
    START_DAY,
)
from helpers.analysis.features import to_frame
from helpers.core import schema as S
from helpers.core.checks import as_date, one_of, positive_int, require_columns
from helpers.core.errors import ParameterError

__all__ = [
    "signup_days",
    "survival_table",
    "ResurrectionSummary",
    "resurrection_summary",
    "LivesOverview",
    "lives_overview",
]


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
        first churn followed by a return (NaN otherwise). ``attrs`` hold what the table was
        computed from: ``as_of``, ``inactive_days``, ``start`` and ``life``.

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
    df = to_frame(expr)
    out = _finish_survival(df, as_of, k)
    out.attrs.update(start=start, life=life)
    return out


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
            ACTIVE_DAYS: df["_active_days"].astype("int64").to_numpy(),
            N_LIVES: df[N_LIVES].astype("int64").to_numpy(),
            RESURRECTED: (df[N_LIVES] > 1).to_numpy(),
            GAP_DAYS_TO_RETURN: df[GAP_DAYS_TO_RETURN].astype("float64").to_numpy(),
        }
    )
    out.attrs.update(as_of=as_of, inactive_days=k)
    return out.sort_values(S.USER_ID, kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class ResurrectionSummary:
    """Who came back after churning, and how long it took (see :func:`resurrection_summary`).

    Attributes
    ----------
    churned_users : int
        Users whose first life churned.
    resurrected_users : int
        Those of them who came back later (a second life started).
    resurrected_share : float
        ``resurrected_users / churned_users`` (NaN without churned users).
    median_days_to_return, p25_days_to_return, p75_days_to_return, p90_days_to_return : float
        Quantiles of the days from the last active day to the return day (NaN without returns).
    gaps : pandas.DataFrame
        Users per range of days to return: ``days_from``, ``days_to`` (inclusive; ``inf`` for the
        open last range), ``users``, ``share`` (of the returned users).
    inactive_days : int
        The churn rule ``K`` the table was built with.
    """

    churned_users: int
    resurrected_users: int
    resurrected_share: float
    median_days_to_return: float
    p25_days_to_return: float
    p75_days_to_return: float
    p90_days_to_return: float
    gaps: pd.DataFrame
    inactive_days: int


def resurrection_summary(
    surv_df: pd.DataFrame, *, bins: Sequence[int] = (60, 90, 180, 365)
) -> ResurrectionSummary:
    """Share of churned users who came back, and the distribution of the time to return.

    Reads a ``survival_table(..., life="first")``: a first life that churned (``event == 1``)
    either ended for good so far or was followed by a return after ``gap_days_to_return`` days
    (the day difference between the last active day and the return day). Users who churned
    shortly before ``as_of`` have had less time to return, so the share is a lower bound.

    Parameters
    ----------
    surv_df : pandas.DataFrame
        A survival table (its ``attrs["inactive_days"]`` sets where the first range starts).
    bins : sequence of int
        Upper ends (days, inclusive) of the ranges of days to return; the last range is open.

    Returns
    -------
    ResurrectionSummary

    Examples
    --------
    >>> surv = pd.DataFrame({"event": [1, 1, 1, 0], "gap_days_to_return": [45, 100, None, None]})
    >>> surv.attrs["inactive_days"] = 30
    >>> r = resurrection_summary(surv)
    >>> r.churned_users, r.resurrected_users, r.median_days_to_return
    (3, 2, 72.5)
    >>> r.gaps[["days_from", "days_to", "users"]].values.tolist()[:2]
    [[31.0, 60.0, 1.0], [61.0, 90.0, 0.0]]
    """
    require_columns(surv_df, [EVENT, GAP_DAYS_TO_RETURN], "The survival table")
    churned = surv_df[surv_df[EVENT] == 1]
    gaps = churned[GAP_DAYS_TO_RETURN].dropna()
    q = (
        gaps.quantile([0.25, 0.5, 0.75, 0.9])
        if len(gaps)
        else pd.Series(np.nan, [0.25, 0.5, 0.75, 0.9])
    )
    k = surv_df.attrs.get("inactive_days", 0)
    edges = [k] + [b for b in bins if b > k] + [np.inf]
    cut = pd.cut(gaps, edges, labels=False, right=True)
    counts = cut.value_counts().reindex(range(len(edges) - 1), fill_value=0)
    table = pd.DataFrame(
        {
            "days_from": [float(a) + 1 for a in edges[:-1]],
            "days_to": [float(b) for b in edges[1:]],
            "users": counts.to_numpy().astype("int64"),
        }
    )
    table["share"] = table["users"] / max(len(gaps), 1)
    return ResurrectionSummary(
        churned_users=len(churned),
        resurrected_users=len(gaps),
        resurrected_share=len(gaps) / len(churned) if len(churned) else np.nan,
        median_days_to_return=float(q[0.5]),
        p25_days_to_return=float(q[0.25]),
        p75_days_to_return=float(q[0.75]),
        p90_days_to_return=float(q[0.9]),
        gaps=table,
        inactive_days=int(k),
    )


@dataclass(frozen=True)
class LivesOverview:
    """The lives of a survival table in numbers: churned, censored, too recent, resurrected.

    Attributes
    ----------
    as_of : datetime.date or None
        The last observed day.
    inactive_days : int or None
        The churn rule ``K``.
    start, life : str or None
        Where lives start (``signup`` or ``first_activity``) and which life each row describes.
    users : int
        Rows of the table (one life per user).
    churned : int
        Lives that ended in churn (``event == 1``).
    censored : int
        Lives still running at ``as_of - K`` (``event == 0``, ``duration_days > 0``).
    too_recent : int
        Lives that started after ``as_of - K`` (``duration_days == 0``: no information yet).
    churned_share : float
        ``churned / users``: the share of lives that ended in churn, censored lives included.
    resurrection : ResurrectionSummary
    """

    as_of: _dt.date | None
    inactive_days: int | None
    start: str | None
    life: str | None
    users: int
    churned: int
    censored: int
    too_recent: int
    churned_share: float
    resurrection: ResurrectionSummary

    @property
    def censor_day(self) -> _dt.date | None:
        """``as_of - K``: the last day whose churn can be seen; running lives end here."""
        if self.as_of is None or self.inactive_days is None:
            return None
        return self.as_of - _dt.timedelta(days=self.inactive_days)


def lives_overview(
    surv_df: pd.DataFrame, *, bins: Sequence[int] = (60, 90, 180, 365)
) -> LivesOverview:
    """Counts of the lives in a survival table, and who came back (:func:`resurrection_summary`).

    Examples
    --------
    >>> surv = pd.DataFrame({"duration_days": [5, 3, 0, 9], "event": [1, 0, 0, 1],
    ...                      "gap_days_to_return": [40, None, None, None]})
    >>> surv.attrs.update(inactive_days=30)
    >>> o = lives_overview(surv)
    >>> o.users, o.churned, o.censored, o.too_recent, o.churned_share
    (4, 2, 1, 1, 0.5)
    """
    require_columns(surv_df, [DURATION_DAYS, EVENT, GAP_DAYS_TO_RETURN], "The survival table")
    event = surv_df[EVENT]
    recent = surv_df[DURATION_DAYS] <= 0
    a = surv_df.attrs
    return LivesOverview(
        as_of=a.get("as_of"),
        inactive_days=a.get("inactive_days"),
        start=a.get("start"),
        life=a.get("life"),
        users=len(surv_df),
        churned=int((event == 1).sum()),
        censored=int(((event == 0) & ~recent).sum()),
        too_recent=int(recent.sum()),
        churned_share=float(event.mean()) if len(surv_df) else float("nan"),
        resurrection=resurrection_summary(surv_df, bins=bins),
    )

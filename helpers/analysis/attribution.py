"""Why a KPI moved: the month-over-month change split by persona and by experiment arm.

* :func:`month_users` - one row per user active in a month with the month's revenue (an ibis
  aggregate of ``user_day``: the same users and revenue as :func:`helpers.analysis.kpis.month_kpis`).
* :func:`persona_attribution` - the change in active users and in revenue per active user
  (ARPU) split by persona. ARPU is ``sum_p s_p r_p`` (``s_p`` the persona's share of the active
  users, ``r_p`` its revenue per user), so its change splits exactly into a **size** part,
  ``sum (s1 - s0) (r0 + r1) / 2`` (the mix moved towards personas that spend more or less), and a
  **rate** part, ``sum (r1 - r0) (s0 + s1) / 2`` (the same personas spent more or less). Users
  without a persona form their own group, so the parts add up to the KPI's change.
* :func:`arm_attribution` - for each experiment, the revenue its treatment arms brought this
  month beyond what their users would have spent at the control arm's rate:
  ``n_t (mean_t - mean_c)`` over every assigned user (intention to treat, a user without revenue
  counts as 0), with a 95% interval (Welch standard error, normal quantile).

Numbers only; the monthly review words them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from helpers.core import schema as s
from helpers.core.checks import require_columns
from helpers.core.time import month_bounds

__all__ = [
    "NO_PERSONA",
    "month_users",
    "PersonaAttribution",
    "persona_attribution",
    "arm_attribution",
]

#: the group of active users without a persona (a persona number no persona has)
NO_PERSONA = -1
REVENUE = "revenue"


def month_users(user_day, *, month: str) -> pd.DataFrame:
    """``user_id, revenue``: every user active in ``month`` with their purchase revenue in it.

    Active as in :func:`helpers.analysis.kpis.month_kpis`: an active event on a day of the
    calendar month; the revenue is that month's (0 without a purchase)."""
    first, last = month_bounds(month)
    t = user_day.filter((user_day[s.DAY] >= first) & (user_day[s.DAY] <= last))
    has_revenue = s.UD_REVENUE in t.columns
    agg = t.group_by(s.USER_ID).aggregate(
        _active=(t[s.UD_ACTIVE_EVENTS] > 0).cast("int64").sum(),
        **({REVENUE: t[s.UD_REVENUE].sum()} if has_revenue else {}),
    )
    df = agg.filter(agg._active > 0).drop("_active").execute()
    df[s.USER_ID] = df[s.USER_ID].astype(str)
    if not has_revenue:
        df[REVENUE] = np.nan
    df[REVENUE] = df[REVENUE].astype(float).fillna(0.0) if has_revenue else df[REVENUE]
    return df.sort_values(s.USER_ID, kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class PersonaAttribution:
    """The month-over-month change of active users and ARPU by persona.

    Attributes
    ----------
    table : DataFrame
        One row per persona of either month (``persona``; :data:`NO_PERSONA` for active users
        without one): ``users_prev``, ``users``, ``users_change``, ``revenue_prev``, ``revenue``,
        ``rpu_prev``, ``rpu`` (revenue per user), ``share_prev``, ``share`` (of the month's
        active users), ``size_effect``, ``rate_effect``, ``effect`` (their sum: the persona's
        part of the ARPU change). Sorted by ``abs(effect)``, largest first.
    active_prev, active : int
    arpu_prev, arpu : float
    revenue_prev, revenue : float
    """

    table: pd.DataFrame
    active_prev: int
    active: int
    arpu_prev: float
    arpu: float
    revenue_prev: float
    revenue: float

    @property
    def arpu_change(self) -> float:
        return self.arpu - self.arpu_prev

    @property
    def size_effect(self) -> float:
        return float(self.table["size_effect"].sum())

    @property
    def rate_effect(self) -> float:
        return float(self.table["rate_effect"].sum())


def _by_persona(users: pd.DataFrame, personas: pd.DataFrame | None) -> pd.DataFrame:
    if personas is None or len(personas) == 0:
        df = users.assign(**{s.PERSONA: NO_PERSONA})
    else:
        p = personas[[s.USER_ID, s.PERSONA]].copy()
        p[s.USER_ID] = p[s.USER_ID].astype(str)
        df = users.merge(p.drop_duplicates(s.USER_ID), on=s.USER_ID, how="left")
        df[s.PERSONA] = df[s.PERSONA].fillna(NO_PERSONA).astype(int)
    return df.groupby(s.PERSONA).agg(users=(s.USER_ID, "size"), revenue=(REVENUE, "sum"))


def persona_attribution(
    users_now: pd.DataFrame,
    users_prev: pd.DataFrame,
    personas_now: pd.DataFrame | None,
    personas_prev: pd.DataFrame | None,
) -> PersonaAttribution:
    """Split the change in active users and ARPU by persona (see the module docstring).

    ``users_*`` are :func:`month_users` of the two months; ``personas_*`` the months'
    ``personas.csv`` (``user_id, persona``; matched personas keep their number across months).

    Examples
    --------
    >>> now = pd.DataFrame({"user_id": ["a", "b", "c"], "revenue": [30.0, 0.0, 0.0]})
    >>> prev = pd.DataFrame({"user_id": ["a", "b"], "revenue": [10.0, 0.0]})
    >>> pn = pd.DataFrame({"user_id": ["a", "b", "c"], "persona": [1, 2, 2]})
    >>> pp = pd.DataFrame({"user_id": ["a", "b"], "persona": [1, 2]})
    >>> a = persona_attribution(now, prev, pn, pp)
    >>> a.arpu_prev, a.arpu, round(a.size_effect + a.rate_effect, 9) == round(a.arpu - a.arpu_prev, 9)
    (5.0, 10.0, True)
    """
    for name, df in (("users_now", users_now), ("users_prev", users_prev)):
        require_columns(df, [s.USER_ID, REVENUE], f"`{name}`")
    now, prev = _by_persona(users_now, personas_now), _by_persona(users_prev, personas_prev)
    t = now.join(prev, how="outer", lsuffix="", rsuffix="_prev").fillna(0.0)
    n1, n0 = float(t["users"].sum()), float(t["users_prev"].sum())
    t["share"] = t["users"] / n1 if n1 else 0.0
    t["share_prev"] = t["users_prev"] / n0 if n0 else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        rpu = t["revenue"] / t["users"]
        rpu_prev = t["revenue_prev"] / t["users_prev"]
    # a persona absent in one month takes the other month's rate: its change is all size
    t["rpu"] = rpu.where(t["users"] > 0, rpu_prev)
    t["rpu_prev"] = rpu_prev.where(t["users_prev"] > 0, t["rpu"])
    t["size_effect"] = (t["share"] - t["share_prev"]) * (t["rpu"] + t["rpu_prev"]) / 2
    t["rate_effect"] = (t["rpu"] - t["rpu_prev"]) * (t["share"] + t["share_prev"]) / 2
    t["effect"] = t["size_effect"] + t["rate_effect"]
    t["users_change"] = t["users"] - t["users_prev"]
    for c in ("users", "users_prev", "users_change"):
        t[c] = t[c].astype(int)
    t = t.reset_index().rename(columns={"index": s.PERSONA})
    order = t["effect"].abs().sort_values(ascending=False, kind="stable").index
    cols = [
        s.PERSONA,
        "users_prev",
        "users",
        "users_change",
        "revenue_prev",
        "revenue",
        "rpu_prev",
        "rpu",
        "share_prev",
        "share",
        "size_effect",
        "rate_effect",
        "effect",
    ]
    r1, r0 = float(t["revenue"].sum()), float(t["revenue_prev"].sum())
    return PersonaAttribution(
        table=t.loc[order, cols].reset_index(drop=True),
        active_prev=int(n0),
        active=int(n1),
        arpu_prev=r0 / n0 if n0 else math.nan,
        arpu=r1 / n1 if n1 else math.nan,
        revenue_prev=r0,
        revenue=r1,
    )


def arm_attribution(
    assignments: pd.DataFrame | None,
    users_now: pd.DataFrame,
    *,
    control: str = "control",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Extra revenue this month of each experiment's non-control arms over the control rate.

    ``assignments``: ``user_id, experiment, variant`` (users in several variants of one
    experiment are left out, as in the readout). Returns one row per experiment and non-control
    variant: ``experiment, variant, users, control_users, revenue_per_user,
    control_revenue_per_user, extra_revenue, ci_low, ci_high`` (``extra_revenue = users x
    (mean - control mean)``, the interval from Welch's standard error). Empty without assignments.

    Examples
    --------
    >>> a = pd.DataFrame({"user_id": list("abcd"), "experiment": "x",
    ...                   "variant": ["control", "control", "treatment", "treatment"]})
    >>> u = pd.DataFrame({"user_id": ["a", "c", "d"], "revenue": [10.0, 20.0, 10.0]})
    >>> float(arm_attribution(a, u)["extra_revenue"].iloc[0])  # 2 x (15 - 5)
    20.0
    """
    cols = [
        "experiment",
        "variant",
        "users",
        "control_users",
        "revenue_per_user",
        "control_revenue_per_user",
        "extra_revenue",
        "ci_low",
        "ci_high",
    ]
    if assignments is None or len(assignments) == 0:
        return pd.DataFrame(columns=cols)
    require_columns(assignments, [s.USER_ID, "experiment", "variant"], "`assignments`")
    a = assignments[[s.USER_ID, "experiment", "variant"]].drop_duplicates().copy()
    a[s.USER_ID] = a[s.USER_ID].astype(str)
    several = a.groupby(["experiment", s.USER_ID])["variant"].transform("nunique") > 1
    a = a[~several]
    rev = users_now.set_index(s.USER_ID)[REVENUE]
    a[REVENUE] = a[s.USER_ID].map(rev).fillna(0.0).astype(float)
    z = stats.norm.ppf(0.5 + confidence / 2)
    rows = []
    for exp, g in a.groupby("experiment", sort=True):
        c = g.loc[g["variant"] == control, REVENUE]
        if len(c) < 2:
            continue
        for variant, v in g[g["variant"] != control].groupby("variant", sort=True):
            y = v[REVENUE]
            if len(y) < 2:
                continue
            diff = float(y.mean() - c.mean())
            se = math.sqrt(y.var(ddof=1) / len(y) + c.var(ddof=1) / len(c))
            rows.append(
                {
                    "experiment": exp,
                    "variant": variant,
                    "users": len(y),
                    "control_users": len(c),
                    "revenue_per_user": float(y.mean()),
                    "control_revenue_per_user": float(c.mean()),
                    "extra_revenue": len(y) * diff,
                    "ci_low": len(y) * (diff - z * se),
                    "ci_high": len(y) * (diff + z * se),
                }
            )
    return pd.DataFrame(rows, columns=cols)

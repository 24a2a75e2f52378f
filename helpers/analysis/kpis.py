"""The month's headline KPIs and their change from the month before, for the monthly review.

:func:`month_kpis` computes one month's KPIs from ``user_day`` (ibis reductions, with the same
definitions as ``02_active_users``, so two months compare like for like) and that month's
``churn_risk.csv``; :func:`kpi_review` sets this month's beside last month's with the change,
relative or in points (:data:`CHANGE_UNIT`). Numbers only: the review words them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.analysis.activity.lifecycle import lifecycle
from helpers.analysis.activity.rolling import rolling_active
from helpers.core import schema as s
from helpers.core.time import month_bounds

__all__ = [
    "AT_RISK_BANDS",
    "KPIS",
    "CHANGE_UNIT",
    "MonthKpis",
    "KpiReview",
    "churn_risk_share",
    "month_kpis",
    "kpi_review",
]

#: risk bands that put a user on the at-risk list (helpers.analysis.churn.risk bands)
AT_RISK_BANDS = ("high", "critical")
#: the KPIs, in the order the review shows them
KPIS = (
    "active_users",
    "stickiness",
    "quick_ratio",
    "revenue_per_active_user",
    "churn_risk_share",
)
#: how each KPI's change is measured: ``relative`` (a fraction of last month's value) or
#: ``points`` (the difference of two shares)
CHANGE_UNIT = {
    "active_users": "relative",
    "stickiness": "points",
    "quick_ratio": "relative",
    "revenue_per_active_user": "relative",
    "churn_risk_share": "points",
}


def _finite(x) -> bool:
    return (
        x is not None
        and isinstance(x, (int, float, np.number))
        and not isinstance(x, bool)
        and math.isfinite(float(x))
    )


@dataclass(frozen=True)
class MonthKpis:
    """One month's KPIs (NaN where the month's data does not give one).

    Attributes
    ----------
    active_users : float
        Users active on at least one day of the calendar month.
    stickiness : float
        Mean over the month's days of DAU / MAU.
    quick_ratio : float
        (new + resurrecting) / dormant of the month (first-activity basis).
    revenue_per_active_user : float
        The month's purchase revenue / active users.
    churn_risk_share : float
        Share of the scored users at high or critical 30-day churn risk.
    """

    active_users: float = float("nan")
    stickiness: float = float("nan")
    quick_ratio: float = float("nan")
    revenue_per_active_user: float = float("nan")
    churn_risk_share: float = float("nan")

    def get(self, key: str) -> float:
        """The KPI ``key`` as a float (NaN when missing or not finite)."""
        v = getattr(self, key)
        return float(v) if _finite(v) else float("nan")


def _revenue_and_actives(user_day, first, last) -> tuple[int, float]:
    t = user_day.filter((user_day[s.DAY] >= first) & (user_day[s.DAY] <= last))
    active = t.filter(t[s.UD_ACTIVE_EVENTS] > 0)
    n = int(active[s.USER_ID].nunique().execute())
    revenue = (
        float(t[s.UD_REVENUE].sum().execute() or 0.0)
        if s.UD_REVENUE in t.columns
        else float("nan")
    )
    return n, revenue


def churn_risk_share(churn_risk: pd.DataFrame | None) -> float:
    """Share of the users in ``churn_risk.csv`` whose band is high or critical (NaN without it).

    Examples
    --------
    >>> churn_risk_share(pd.DataFrame({"risk_band": ["low", "high", "critical", "medium"]}))
    0.5
    """
    if churn_risk is None or s.RISK_BAND not in churn_risk.columns or len(churn_risk) == 0:
        return float("nan")
    return float(churn_risk[s.RISK_BAND].isin(AT_RISK_BANDS).mean())


def month_kpis(
    user_day,
    *,
    month: str,
    churn_risk: pd.DataFrame | None = None,
    windows=(1, 7, 28),
) -> MonthKpis:
    """The month's KPIs from ``user_day`` (ibis) and its ``churn_risk.csv``.

    ``stickiness`` uses MAU = active in the ``windows[2]`` days to each day; see
    :class:`MonthKpis` for the definitions.
    """
    first, last = month_bounds(month)
    n, revenue = _revenue_and_actives(user_day, first, last)
    rolling = rolling_active(user_day, start=first, end=last, windows=windows).daily
    lc = lifecycle(user_day, period="month", start=first, end=last).periods
    row = lc[pd.to_datetime(lc["period_start"]).dt.date == first]
    return MonthKpis(
        active_users=n,
        stickiness=float(rolling["dau_mau"].mean()) if len(rolling) else float("nan"),
        quick_ratio=float(row["quick_ratio"].iloc[0]) if len(row) else float("nan"),
        revenue_per_active_user=revenue / n if n else float("nan"),
        churn_risk_share=churn_risk_share(churn_risk),
    )


@dataclass
class KpiReview:
    """Headline KPIs of the month with the month-over-month change (:func:`kpi_review`).

    Attributes
    ----------
    table : DataFrame
        One row per KPI (in :data:`KPIS` order): ``kpi``, ``value``, ``previous``, ``change``
        (value - previous), ``change_pct`` (relative change, NaN when previous is 0 or
        missing), ``unit`` (:data:`CHANGE_UNIT`).
    month, previous_month : str
    """

    table: pd.DataFrame
    month: str
    previous_month: str

    def value(self, kpi: str) -> float:
        return float(self.table.set_index("kpi").loc[kpi, "value"])


def kpi_review(
    current: MonthKpis, previous: MonthKpis | None, *, month: str, previous_month: str
) -> KpiReview:
    """This month's KPIs beside last month's, with the change.

    Examples
    --------
    >>> k = kpi_review(MonthKpis(active_users=110), MonthKpis(active_users=100),
    ...                month="2026-10", previous_month="2026-09")
    >>> [float(x) for x in k.table.loc[0, ["value", "previous", "change", "change_pct"]]]
    [110.0, 100.0, 10.0, 0.1]
    """
    previous = previous or MonthKpis()
    rows = []
    for key in KPIS:
        v, p = current.get(key), previous.get(key)
        change = v - p
        change_pct = change / abs(p) if _finite(p) and p != 0 and _finite(v) else float("nan")
        rows.append(
            {
                "kpi": key,
                "value": v,
                "previous": p,
                "change": change,
                "change_pct": change_pct,
                "unit": CHANGE_UNIT[key],
            }
        )
    return KpiReview(pd.DataFrame(rows), month, previous_month)

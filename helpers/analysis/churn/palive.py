"""P(alive) from the BG/NBD model beside the survival-based churn risk.

BG/NBD (:class:`helpers.analysis.value.bgnbd.BetaGeoModel`) judges whether a buyer is still
"alive" from the purchase rhythm only; the churn risk of :mod:`helpers.analysis.churn.risk` from
all activity. :func:`palive_check` puts the two side by side for the currently active repeat
buyers and counts where they disagree (a high churn risk while BG/NBD still gives a high
P(alive)).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.analysis.features import btyd_summary
from helpers.analysis.value.bgnbd import BetaGeoModel
from helpers.analysis.value.summaries import to_time_unit
from helpers.core import schema as S
from helpers.core.checks import require_columns

P_ALIVE = "p_alive"
P_ALIVE_BAND = "p_alive_band"
DISAGREE = "disagree"
#: P(alive) bands (codes) and their edges: [0, 0.5), [0.5, 0.8), [0.8, 0.95), [0.95, 1].
P_ALIVE_BANDS = ("lt_50", "50_80", "80_95", "ge_95")
P_ALIVE_EDGES = (0, 0.5, 0.8, 0.95, 1.0001)
#: A disagreement: churn risk at least this high ...
DISAGREE_RISK = 0.5
#: ... while P(alive) is at least this high.
DISAGREE_P_ALIVE = 0.8
#: Fewer buyers (or repeat buyers) than this: BG/NBD is not fitted.
MIN_BUYERS = 50
MIN_REPEAT_BUYERS = 20

__all__ = ["PAliveCheck", "palive_check", "P_ALIVE_BANDS"]


@dataclass(frozen=True)
class PAliveCheck:
    """BG/NBD P(alive) of the currently active repeat buyers crossed with their churn risk.

    Attributes
    ----------
    status : {"ok", "too_few_buyers"}
        ``too_few_buyers``: fewer than 50 buyers or 20 repeat buyers; nothing else is set.
    model : BetaGeoModel or None
        Fitted on every buyer (weeks).
    users : pandas.DataFrame or None
        Per active repeat buyer: ``user_id``, ``churn_risk_30d``, ``risk_band``, ``p_alive``,
        ``p_alive_band`` (a code of :data:`P_ALIVE_BANDS`), ``disagree``.
    table : pandas.DataFrame or None
        Users per risk band (rows) and P(alive) band (columns, in :data:`P_ALIVE_BANDS` order).
    repeat_buyers : int
        Rows of ``users``.
    disagree : int
        Of them, users with churn risk >= 0.5 and P(alive) >= 0.8.
    """

    status: str
    model: BetaGeoModel | None = None
    users: pd.DataFrame | None = None
    table: pd.DataFrame | None = None
    repeat_buyers: int = 0
    disagree: int = 0

    @property
    def disagree_share(self) -> float:
        """``disagree / repeat_buyers`` (NaN without repeat buyers)."""
        return self.disagree / self.repeat_buyers if self.repeat_buyers else float("nan")


def palive_check(
    user_day, risk: pd.DataFrame, *, as_of: dt.date, unit_days: int = 7
) -> PAliveCheck:
    """P(alive) from BG/NBD (in weeks) of the users in ``risk`` who are repeat buyers, beside
    their churn risk.

    BG/NBD is fitted on every buyer at ``as_of`` (:func:`helpers.analysis.features.btyd_summary`)
    and shown for repeat buyers only: it gives every buyer without a repeat purchase P(alive) =
    1 by construction. With fewer than 50 buyers or 20 repeat buyers the model is not fitted
    (``status == "too_few_buyers"``).
    """
    require_columns(risk, [S.USER_ID, S.CHURN_RISK_30D, S.RISK_BAND], "The churn-risk table")
    summary = btyd_summary(user_day, as_of=as_of)
    if len(summary) < MIN_BUYERS or (summary["frequency"] > 0).sum() < MIN_REPEAT_BUYERS:
        return PAliveCheck("too_few_buyers")
    weeks = to_time_unit(summary, unit_days=unit_days)
    model = BetaGeoModel(penalizer=0.001).fit(weeks)  # every buyer informs the model
    rep = weeks[weeks["frequency"] > 0]
    pa = pd.DataFrame(
        {
            S.USER_ID: rep.index,
            P_ALIVE: np.asarray(
                model.probability_alive(rep["frequency"], rep["recency"], rep["T"])
            ),
        }
    )
    merged = risk[[S.USER_ID, S.CHURN_RISK_30D, S.RISK_BAND]].merge(pa, on=S.USER_ID, how="inner")
    merged[P_ALIVE_BAND] = pd.cut(
        merged[P_ALIVE], list(P_ALIVE_EDGES), labels=list(P_ALIVE_BANDS), include_lowest=True
    )
    merged[DISAGREE] = (merged[S.CHURN_RISK_30D] >= DISAGREE_RISK) & (
        merged[P_ALIVE] >= DISAGREE_P_ALIVE
    )
    table = pd.crosstab(merged[S.RISK_BAND], merged[P_ALIVE_BAND], dropna=False)
    return PAliveCheck(
        status="ok",
        model=model,
        users=merged,
        table=table,
        repeat_buyers=len(merged),
        disagree=int(merged[DISAGREE].sum()),
    )

"""The month's action list: per persona, the recommended action, its size and customer value, and
the users at high or critical churn risk it concerns (riskiest first).

Built from this month's persona cards (``persona_cards.json``, :mod:`helpers.analysis.segments`)
and churn-risk scores (``churn_risk.csv``); the review shows it and writes each persona's at-risk
users to ``artifacts/at_risk_persona_<n>.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.analysis.kpis import AT_RISK_BANDS
from helpers.core import schema as s

__all__ = ["ActionList", "action_list", "at_risk_file"]


def at_risk_file(persona) -> str:
    """The artifact holding a persona's at-risk users.

    >>> at_risk_file(3)
    'at_risk_persona_3.csv'
    """
    return f"at_risk_persona_{int(persona)}.csv"


@dataclass
class ActionList:
    """Per persona: the action, its size, its customer value and the at-risk users (:func:`action_list`).

    Attributes
    ----------
    table : DataFrame
        ``persona``, ``name``, ``action``, ``action_text``, ``users``, ``user_share``,
        ``revenue_share``, ``clv_total`` (expected value of the persona's users over the CLV
        horizon), ``at_risk_users`` (high or critical churn risk and, when ``churn_risk.csv``
        has a ``status``, recoverable: active within ``churn.recoverable_days``), ``at_risk_revenue_30d``
        (their revenue at stake over the risk's 30 days: ``revenue_at_stake_30d`` of
        ``churn_risk.csv``, i.e. 30-day risk x their last 90 days' revenue x 30/90), ``at_risk_csv``.
    at_risk : DataFrame
        The at-risk users (``user_id``, ``persona``, ``persona_name``, ``churn_risk_30d``,
        ``risk_band``, ``drivers``, ``revenue_90d``, ``action``), riskiest first.
    has_risk : bool
        Whether churn-risk scores by persona were there (else the at-risk lists are empty).
    """

    table: pd.DataFrame
    at_risk: pd.DataFrame
    has_risk: bool = True

    @property
    def at_risk_users(self) -> int:
        return int(self.table["at_risk_users"].sum())


#: The risk's horizon and the window of the recent revenue it is scaled from (04_churn).
STAKE_DAYS, REVENUE_DAYS = 30, 90


def g_sum(frame: pd.DataFrame, column: str) -> pd.Series:
    """``column`` summed per persona."""
    return frame.groupby(s.PERSONA)[column].sum()


def action_list(cards, churn_risk: pd.DataFrame | None) -> ActionList | None:
    """The action list from this month's persona cards and churn-risk scores.

    Parameters
    ----------
    cards : list of helpers.analysis.segments.cards.PersonaCard, PersonaSnapshot or None
        This month's persona cards (``persona``, ``name``, ``users``, ``user_share``,
        ``revenue_share``, ``value.clv_per_user``, ``action``, ``action_text``), or a snapshot
        carrying them.
    churn_risk : DataFrame or None
        ``churn_risk.csv`` (user_id, persona, churn_risk_30d, risk_band, revenue_90d...).

    Returns
    -------
    ActionList, or None when there are no personas.
    """
    cards = getattr(cards, "cards", cards)
    if not cards:
        return None
    t = (
        pd.DataFrame(
            [
                {
                    s.PERSONA: int(c.persona),
                    "name": c.name or "",
                    "action": c.action or "",
                    "action_text": c.action_text or "",
                    "users": int(c.users or 0),
                    "user_share": c.user_share,
                    "revenue_share": c.revenue_share,
                    "clv_total": (c.value.clv_per_user or np.nan) * int(c.users or 0),
                }
                for c in cards
            ]
        )
        .sort_values(s.PERSONA)
        .reset_index(drop=True)
    )
    t["revenue_share"] = pd.to_numeric(t["revenue_share"], errors="coerce")
    t["clv_total"] = pd.to_numeric(t["clv_total"], errors="coerce")
    has_risk = (
        churn_risk is not None
        and {s.PERSONA, s.RISK_BAND} <= set(churn_risk.columns)
        and churn_risk[s.PERSONA].notna().any()
    )
    if has_risk:
        risky = churn_risk[churn_risk[s.RISK_BAND].isin(AT_RISK_BANDS)].copy()
        if "status" in risky.columns:  # a lapsed user is gone: the list is who can be saved
            risky = risky[risky["status"] == "recoverable"]
        risky = risky[risky[s.PERSONA].notna()]
        risky[s.PERSONA] = risky[s.PERSONA].astype("int64")
        risky = risky.merge(t[[s.PERSONA, "action"]], on=s.PERSONA, how="left")
        sort_col = s.CHURN_RISK_30D if s.CHURN_RISK_30D in risky.columns else s.PERSONA
        risky = risky.sort_values([s.PERSONA, sort_col], ascending=[True, False], kind="stable")
        g = risky.groupby(s.PERSONA)
        t["at_risk_users"] = g.size().reindex(t[s.PERSONA]).fillna(0).to_numpy()
        if "revenue_at_stake_30d" not in risky.columns and {
            "revenue_90d",
            s.CHURN_RISK_30D,
        } <= set(risky.columns):  # a churn_risk.csv of an earlier kit: the same formula
            risky["revenue_at_stake_30d"] = (
                risky["revenue_90d"] * STAKE_DAYS / REVENUE_DAYS * risky[s.CHURN_RISK_30D]
            )
        rev = (
            g_sum(risky, "revenue_at_stake_30d")
            if "revenue_at_stake_30d" in risky.columns
            else pd.Series(np.nan, index=t[s.PERSONA])
        )
        t["at_risk_revenue_30d"] = rev.reindex(t[s.PERSONA]).fillna(0.0).to_numpy()
        t["at_risk_csv"] = [
            at_risk_file(p) if n > 0 else "" for p, n in zip(t[s.PERSONA], t["at_risk_users"])
        ]
        at_risk = risky.reset_index(drop=True)
    else:
        t["at_risk_users"], t["at_risk_revenue_30d"], t["at_risk_csv"] = 0, np.nan, ""
        at_risk = pd.DataFrame(columns=[s.USER_ID, s.PERSONA, s.RISK_BAND])
    t["at_risk_users"] = t["at_risk_users"].astype("int64")
    return ActionList(t, at_risk, has_risk=bool(has_risk))

"""The playbook: the recommended action for a persona, from its profile.

:data:`PLAYBOOK` lists the actions in order; :func:`recommend_action` returns the first whose
rule the persona's profile meets (the last, ``nurture``, always does). The action's text and
its rule in words are report messages (``personas.action.<action>.text`` / ``.rule``); a card
stores them as they read in the report language (:mod:`helpers.analysis.segments.cards`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["PLAYBOOK", "recommend_action", "action_text_key", "action_rule_key"]

#: The playbook's actions, first match wins; each reads the card's ``profile`` (persona vs all
#: active users):
#:
#: * ``onboarding``: new users, median ``tenure_days`` <= 30;
#: * ``win_back``: high value at risk, revenue share >= 1.5 x user share and (mean P(alive)
#:   <= 0.8 x overall, or median ``days_since_active`` >= 14);
#: * ``targeted_coupons``: price-sensitive, mean ``share_coupon_view`` >= 0.15 and >= 2 x overall;
#: * ``beta_program``: power users, mean ``active_days_28`` >= 1.5 x overall and revenue share
#:   >= 1.5 x user share;
#: * ``conversion_offer``: high-activity non-payers, mean ``active_days_28`` >= overall and buyer
#:   share <= 0.5 x overall;
#: * ``re_engagement``: light users, mean ``active_days_28`` <= 0.5 x overall;
#: * ``nurture``: everyone else.
PLAYBOOK = (
    "onboarding",
    "win_back",
    "targeted_coupons",
    "beta_program",
    "conversion_offer",
    "re_engagement",
    "nurture",
)


def action_text_key(action: str) -> str:
    """The message key of an action's recommendation (``personas.action.nurture.text``)."""
    return f"personas.action.{action}.text"


def action_rule_key(action: str) -> str:
    """The message key of an action's rule in words (``personas.action.nurture.rule``)."""
    return f"personas.action.{action}.rule"


def recommend_action(profile: Mapping) -> str:
    """The playbook's action for a persona profile: the first of :data:`PLAYBOOK` that applies.

    Parameters
    ----------
    profile : mapping
        Keys (missing ones make their rule not apply): ``median_tenure_days``, ``user_share``,
        ``revenue_share``, ``mean_p_alive``, ``overall_p_alive``, ``median_days_since_active``,
        ``coupon_share``, ``overall_coupon_share``, ``active_days_28``, ``overall_active_days_28``,
        ``buyer_share``, ``overall_buyer_share``.

    Returns
    -------
    str
        The action (a code of :data:`PLAYBOOK`).

    Examples
    --------
    >>> recommend_action({"median_tenure_days": 12})
    'onboarding'
    >>> recommend_action({"coupon_share": 0.4, "overall_coupon_share": 0.1})
    'targeted_coupons'
    >>> recommend_action({})
    'nurture'
    """

    def get(key):
        val = profile.get(key)
        return None if val is None or (isinstance(val, float) and np.isnan(val)) else float(val)

    def ratio_at_least(a, b, r):
        a, b = get(a), get(b)
        return a is not None and b is not None and a >= r * b

    tenure = get("median_tenure_days")
    value_idx = ratio_at_least("revenue_share", "user_share", 1.5)
    p_low = (
        ratio_at_least("overall_p_alive", "mean_p_alive", 1 / 0.8)
        if get("mean_p_alive") is not None
        else False
    )
    idle = get("median_days_since_active")
    coupon, coupon_all = get("coupon_share"), get("overall_coupon_share")
    act, act_all = get("active_days_28"), get("overall_active_days_28")
    buy, buy_all = get("buyer_share"), get("overall_buyer_share")
    checks = {
        "onboarding": tenure is not None and tenure <= 30,
        "win_back": value_idx and (p_low or (idle is not None and idle >= 14)),
        "targeted_coupons": coupon is not None
        and coupon_all is not None
        and coupon >= 0.15
        and coupon >= 2 * coupon_all,
        "beta_program": act is not None
        and act_all is not None
        and act >= 1.5 * act_all
        and value_idx,
        "conversion_offer": (
            act is not None
            and act_all is not None
            and buy is not None
            and buy_all is not None
            and act >= act_all
            and buy <= 0.5 * buy_all
        ),
        "re_engagement": act is not None and act_all is not None and act <= 0.5 * act_all,
        "nurture": True,
    }
    for action in PLAYBOOK:
        if checks[action]:
            return action
    raise AssertionError("the playbook ends with a catch-all rule")

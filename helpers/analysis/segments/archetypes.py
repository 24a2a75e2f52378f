"""Persona names people use: an archetype chosen by documented rules on the persona's profile.

A product manager says "power users", "deal hunters" or "trialists", not "session start-heavy,
view item-heavy, low spend". Each persona's name is the first archetype of :data:`ARCHETYPES`
whose rule its profile meets; the distinguishing features it was named by before become its
subtitle. The rules read the same profile as the action playbook
(:func:`helpers.analysis.segments.playbook.recommend_action`), compared with everyone active in
the month:

========================  =========================================================================
archetype                 rule (first match wins)
========================  =========================================================================
``trialists``             median tenure of at most 30 days and at most half that of everyone: new
                          users still deciding (on a month of history everyone is new, so no
                          persona is called trialists for that alone)
``power_users``           at least 1.5x the active days (last 28 days) of everyone and at least
                          1.5x their share of the users in revenue
``deal_hunters``          the coupon event is at least 15% of their events and at least twice its
                          share among everyone
``lapsing``               median of at least 14 days since the last active day
``steady_regulars``       at least as many active days as everyone, or as large a share of buyers
``casual_browsers``       fewer active days and fewer buyers than everyone
========================  =========================================================================

A persona no rule fits keeps the name made of its features. Two personas with the same archetype
are told apart by their strongest feature phrase (``Steady regulars (wishlist-heavy)``). The words
come from the report catalog (``personas.archetype.<code>``), so names exist in every report
language; a name chosen in ``persona.yaml`` (``personas: {names: {1: ...}}``) wins over all of
this (:func:`override_names`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from helpers.core.errors import ConfigError

__all__ = ["ARCHETYPES", "archetype", "override_names"]

#: The archetypes in rule order (see the module docs).
ARCHETYPES = (
    "trialists",
    "power_users",
    "deal_hunters",
    "lapsing",
    "steady_regulars",
    "casual_browsers",
)


def archetype(profile: Mapping) -> str | None:
    """The archetype code of a persona profile, or None when no rule applies.

    ``profile`` has the keys of a card's profile (``median_tenure_days``,
    ``overall_median_tenure_days``, ``user_share``,
    ``revenue_share``, ``median_days_since_active``, ``coupon_share``,
    ``overall_coupon_share``, ``active_days_28``, ``overall_active_days_28``,
    ``buyer_share``, ``overall_buyer_share``); a missing or NaN value makes its rule not apply.

    Examples
    --------
    >>> archetype({"median_tenure_days": 12, "active_days_28": 20, "overall_active_days_28": 5})
    'trialists'
    >>> archetype({"median_tenure_days": 12, "overall_median_tenure_days": 15,  # all are new
    ...            "active_days_28": 20, "overall_active_days_28": 5, "revenue_share": 0.3,
    ...            "user_share": 0.1})
    'power_users'
    >>> archetype({"median_tenure_days": 200, "active_days_28": 18, "overall_active_days_28": 8,
    ...            "revenue_share": 0.3, "user_share": 0.1})
    'power_users'
    >>> archetype({"coupon_share": 0.3, "overall_coupon_share": 0.1})
    'deal_hunters'
    >>> archetype({"active_days_28": 3, "overall_active_days_28": 6, "buyer_share": 0.1,
    ...            "overall_buyer_share": 0.3})
    'casual_browsers'
    >>> archetype({}) is None
    True
    """

    def get(key):
        val = profile.get(key)
        if val is None or (isinstance(val, float) and np.isnan(val)):
            return None
        return float(val)

    def at_least(a, b, ratio=1.0):
        a, b = get(a), get(b)
        return a is not None and b is not None and a >= ratio * b

    def below(a, b):
        a, b = get(a), get(b)
        return a is not None and b is not None and a < b

    tenure, idle, coupon = (
        get("median_tenure_days"),
        get("median_days_since_active"),
        get("coupon_share"),
    )
    everyone = get("overall_median_tenure_days")
    rules = {
        "trialists": tenure is not None
        and tenure <= 30
        and (everyone is None or tenure <= 0.5 * everyone),
        "power_users": at_least("active_days_28", "overall_active_days_28", 1.5)
        and at_least("revenue_share", "user_share", 1.5),
        "deal_hunters": coupon is not None
        and coupon >= 0.15
        and at_least("coupon_share", "overall_coupon_share", 2.0),
        "lapsing": idle is not None and idle >= 14,
        "steady_regulars": at_least("active_days_28", "overall_active_days_28")
        or at_least("buyer_share", "overall_buyer_share"),
        "casual_browsers": below("active_days_28", "overall_active_days_28")
        and below("buyer_share", "overall_buyer_share"),
    }
    return next((code for code in ARCHETYPES if rules[code]), None)


def override_names(names: Mapping | None) -> dict[int, str]:
    """``personas: {names: {1: "...", ...}}`` of ``persona.yaml`` as ``{persona: name}``.

    Keys are persona numbers (as matched with last month, so a name stays with its persona);
    empty names are ignored.

    >>> override_names({"1": "Whales", 2: " ", 3: "Night owls"})
    {1: 'Whales', 3: 'Night owls'}
    """
    out = {}
    for key, name in (names or {}).items():
        text = str(name or "").strip()
        try:
            number = int(str(key).strip())
        except ValueError:
            raise ConfigError(
                "personas.names in persona.yaml maps persona numbers to names, such as "
                f"{{1: Whales}}, but the key {key!r} is not a number"
            ) from None
        if text:
            out[number] = text
    return out

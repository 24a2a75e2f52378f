"""Planted behaviour of the sample generator (``helpers.sample.generator``): personas and their users.

``UserChunk`` simulates a chunk of users (lives, visits, events, orders, experiment assignments,
planted defects) as numpy arrays; ``helpers.sample.generator`` writes them and assembles the truth.

Five latent personas differ in how often they come back, how much they do per visit, what they
do (event mix), how often and how much they buy and how long they stay. Each user's rates are the
persona's times a per-user multiplier, so the personas overlap on every single feature and only
separate on several together.
"""

from __future__ import annotations

import math

import numpy as np

# The event vocabulary. The first event of an active day is drawn from the user's mix of
# non-passive events (so every active day has one); the rest follow the whole mix.
EVENT_NAMES = (
    "session_start",
    "view_item",
    "search",
    "add_to_cart",
    "checkout_start",
    "wishlist",
    "coupon_view",
    "share",
    "review",
    "push_received",
    "email_open",
)
PASSIVE_EVENTS = ("push_received", "email_open")

# Web pages by event name (same order as EVENT_NAMES).
WEB_PAGES = (
    "/",
    "/item",
    "/search",
    "/cart",
    "/checkout",
    "/wishlist",
    "/coupons",
    "/item/share",
    "/item/reviews",
    "/",
    "/promo",
)

# Raw spellings that standardize (lower(trim(name))) to the canonical name: planted defects.
# The English sample plants VARIANT_FORMS; a language without case (Chinese) plants as many
# forms that differ in surrounding spaces only (see helpers.sample.names).
VARIANT_FORMS = ("title", "upper", "padded", "trailing")
_SPELLINGS = {
    "title": lambda name: "_".join(part.capitalize() for part in name.split("_")),
    "upper": str.upper,
    "padded": lambda name: f" {name} ",
    "trailing": lambda name: f"{name} ",
    "leading": lambda name: f" {name}",
    "double_trailing": lambda name: f"{name}  ",
}


def variant_spelling(name: str, form: str) -> str:
    """Return a raw spelling of ``name`` that differs only in case or surrounding spaces.

    Examples
    --------
    >>> variant_spelling("view_item", "title"), variant_spelling("add_to_cart", "padded")
    ('View_Item', ' add_to_cart ')
    >>> variant_spelling("浏览商品", "leading")
    ' 浏览商品'
    """
    if form not in _SPELLINGS:
        raise ValueError(
            f"The value for `form` must be one of {list(_SPELLINGS)}, but {form!r} was passed."
        )
    return _SPELLINGS[form](name)


# Event mix of the events after the first of a day (order of EVENT_NAMES).
_MIX = {  # session_start view search cart checkout wishlist coupon share review push email
    "power_user": [0.03, 0.18, 0.10, 0.16, 0.12, 0.03, 0.03, 0.10, 0.14, 0.05, 0.04],
    "steady_regular": [0.03, 0.36, 0.05, 0.05, 0.02, 0.24, 0.03, 0.015, 0.01, 0.05, 0.04],
    "deal_hunter": [0.03, 0.18, 0.05, 0.12, 0.04, 0.03, 0.40, 0.015, 0.01, 0.05, 0.04],
    "casual_browser": [0.14, 0.26, 0.03, 0.015, 0.01, 0.02, 0.03, 0.01, 0.005, 0.28, 0.25],
    "trialist": [0.04, 0.20, 0.46, 0.03, 0.015, 0.03, 0.03, 0.015, 0.01, 0.05, 0.04],
}

# Persona parameters. median_lifetime_baseline: median first-life length in days of a user who
# did not join the community (daily hazard = ln 2 / median); joining halves the hazard.
PERSONAS = {
    "power_user": dict(
        share=0.09,
        activity_rate=0.70,
        events_per_day=5.0,
        purchase_prob_per_active_day=0.07,
        mean_spend=90.0,
        median_lifetime_baseline=160.0,
        web_share=0.30,
        login_share=0.75,
        plus_share=0.40,
        age_mean=32,
    ),
    "steady_regular": dict(
        share=0.24,
        activity_rate=0.45,
        events_per_day=3.5,
        purchase_prob_per_active_day=0.05,
        mean_spend=70.0,
        median_lifetime_baseline=90.0,
        web_share=0.35,
        login_share=0.65,
        plus_share=0.20,
        age_mean=39,
    ),
    "deal_hunter": dict(
        share=0.20,
        activity_rate=0.36,
        events_per_day=4.5,
        purchase_prob_per_active_day=0.09,
        mean_spend=30.0,
        median_lifetime_baseline=45.0,
        web_share=0.40,
        login_share=0.60,
        plus_share=0.08,
        age_mean=35,
    ),
    "casual_browser": dict(
        share=0.26,
        activity_rate=0.30,
        events_per_day=6.0,
        purchase_prob_per_active_day=0.02,
        mean_spend=55.0,
        median_lifetime_baseline=22.0,
        web_share=0.45,
        login_share=0.45,
        plus_share=0.05,
        age_mean=43,
    ),
    "trialist": dict(
        share=0.20,
        activity_rate=0.65,
        events_per_day=5.0,
        purchase_prob_per_active_day=0.015,
        mean_spend=40.0,
        median_lifetime_baseline=7.0,
        web_share=0.30,
        login_share=0.55,
        plus_share=0.04,
        age_mean=28,
    ),
}
PERSONA_NAMES = tuple(PERSONAS)

# Feedback responders and their latent NPS group (helpers.sample.feedback writes their answers).
# A responder answers every survey shown to them; the group is fixed for life and sets every NPS
# score they give (promoter 9-10, passive 7-8, detractor 0-6). A detractor responder's daily
# churn hazard is DETRACTOR_HAZARD_RATIO times their persona's (community members' halved too);
# non-responders keep their persona's hazard.
RESPONDER_SHARE = 0.30
NPS_GROUPS = ("promoter", "passive", "detractor")
DETRACTOR = NPS_GROUPS.index("detractor")
DETRACTOR_HAZARD_RATIO = 1.8
NPS_GROUP_P = {  # promoter, passive, detractor
    "power_user": (0.60, 0.30, 0.10),
    "steady_regular": (0.50, 0.35, 0.15),
    "deal_hunter": (0.25, 0.35, 0.40),
    "casual_browser": (0.30, 0.40, 0.30),
    "trialist": (0.20, 0.35, 0.45),
}


def nps_latent(rng, persona) -> tuple[np.ndarray, np.ndarray]:
    """Draw who responds and each responder's NPS group (index into :data:`NPS_GROUPS`; -1 for
    a non-responder), for users of the persona numbers ``persona``.

    Examples
    --------
    >>> responder, group = nps_latent(np.random.default_rng(0), np.zeros(10_000, dtype=int))
    >>> round(float(responder.mean()), 2), round(float((group == DETRACTOR).mean() / 0.3), 1)
    (0.3, 0.1)
    >>> bool((group[~responder] == -1).all())
    True
    """
    n = len(persona)
    responder = rng.random(n) < RESPONDER_SHARE
    cum = np.cumsum([NPS_GROUP_P[name] for name in PERSONA_NAMES], axis=1)[np.asarray(persona)]
    r = rng.random(n)
    group = (r[:, None] > cum[:, :-1]).sum(axis=1).astype(np.int8)
    return responder, np.where(responder, group, -1).astype(np.int8)


# Within-persona variation of the per-user rates.
ACTIVITY_CONCENTRATION = 40.0  # Beta(mean * c, (1 - mean) * c) per user
EVENTS_SHAPE = 10.0  # Gamma(shape, 1/shape) multiplier of events per day
PURCHASE_SHAPE = 4.0  # Gamma multiplier of the purchase probability
SPEND_SHAPE = 6.0  # Gamma multiplier of the mean spend
SPEND_SIGMA = 0.6  # lognormal sigma of one order's amount around the user's mean
MIX_CONCENTRATION = 120.0  # Dirichlet(c * mix) per user


def persona_arrays() -> dict:
    """Persona parameters as arrays indexed by persona number (order of PERSONA_NAMES)."""
    keys = next(iter(PERSONAS.values())).keys()
    arrays = {
        key: np.array([PERSONAS[name][key] for name in PERSONA_NAMES], dtype=float) for key in keys
    }
    arrays["share"] = arrays["share"] / arrays["share"].sum()
    arrays["daily_churn_hazard"] = math.log(2) / arrays["median_lifetime_baseline"]
    mix = np.array([_MIX[name] for name in PERSONA_NAMES], dtype=float)
    arrays["event_mix"] = mix / mix.sum(axis=1, keepdims=True)
    return arrays


def population_median_lifetime(
    hazard: float,
    *,
    community_share: float,
    hazard_ratio: float,
    detractor_share: float = 0.0,
    detractor_hazard_ratio: float = 1.0,
) -> float:
    """Median first-life length of a persona mixing community members and non-members, and
    (independently of membership) detractor responders and everyone else.

    Solves ``sum_c w_c exp(-m_c h t) = 1/2`` for ``t`` by bisection (monotone in t), over the
    four groups c: community (share s, multiplier r) x detractor (share d, multiplier q).

    Examples
    --------
    >>> round(population_median_lifetime(math.log(2) / 10, community_share=0.0, hazard_ratio=0.5), 6)
    10.0
    >>> round(population_median_lifetime(math.log(2) / 10, community_share=0.0, hazard_ratio=0.5,
    ...                                  detractor_share=1.0, detractor_hazard_ratio=2.0), 6)
    5.0
    """
    groups = [
        (ws * wd, ms * md)
        for ws, ms in ((1 - community_share, 1.0), (community_share, hazard_ratio))
        for wd, md in ((1 - detractor_share, 1.0), (detractor_share, detractor_hazard_ratio))
    ]

    def survival(t):
        return sum(w * math.exp(-m * hazard * t) for w, m in groups)

    lo, hi = 0.0, 1.0
    while survival(hi) > 0.5:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if survival(mid) > 0.5 else (lo, mid)
    return (lo + hi) / 2


def truth_params(event_names: tuple[str, ...] = EVENT_NAMES) -> dict:
    """The persona parameters as recorded in ``truth.json`` (event mix keyed by ``event_names``,
    the labels of :data:`EVENT_NAMES` in the sample's language)."""
    arrays = persona_arrays()
    out = {}
    for i, name in enumerate(PERSONA_NAMES):
        spec = PERSONAS[name]
        out[name] = {
            "activity_rate": spec["activity_rate"],
            "events_per_day": spec["events_per_day"],
            "purchase_prob_per_active_day": spec["purchase_prob_per_active_day"],
            "mean_spend": spec["mean_spend"],
            "daily_churn_hazard": round(float(arrays["daily_churn_hazard"][i]), 6),
            "median_lifetime_days_non_member": spec["median_lifetime_baseline"],
            "web_share": spec["web_share"],
            "event_mix": {
                ev: round(float(arrays["event_mix"][i, j]), 4) for j, ev in enumerate(event_names)
            },
        }
    return out

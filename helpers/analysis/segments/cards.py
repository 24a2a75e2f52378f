"""Persona cards: what distinguishes each persona, a generated name, and a recommended action.

One card per persona (:func:`build_cards`), from the fitted rows of :class:`helpers.analysis.segments.personas.PersonaModel`:

- size, share of users, share of revenue (and of CLV when the table has a ``clv`` column);
- the features that most distinguish it from everyone else: the standardized difference of
  means ``d = (mean in persona - mean in the rest) / sd over all users``, computed in the
  clustering space (log1p, standardized), the top ``n_features`` by ``|d|``, each with the
  plain means in their own units;
- top events (mean ``share_<event>`` in the persona), attribute mix (age band, gender, city,
  channel, platform, plan: top values with their share in the persona and overall);
- P(alive), expected purchases and CLV when the table carries them (:func:`helpers.analysis.segments.personas.fit_value`);
- a **generated** name and a one-line description from the distinguishing features
  (:func:`persona_name`), unique across cards (:func:`unique_names`);
- a recommended action from the playbook (:func:`recommend_action`, :data:`PLAYBOOK`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.analysis.features import EVENTS_PER_ACTIVE_DAY_28, SHARE_PREFIX
from helpers.core import schema as s

__all__ = [
    "ATTRIBUTES",
    "PLAYBOOK",
    "build_cards",
    "distinguishing_features",
    "persona_name",
    "unique_names",
    "recommend_action",
    "PersonaCards",
    "age_band",
]

ATTRIBUTES = ("age", "gender", "city", "channel", "platform", "plan")
AGE_BINS = [-np.inf, 25, 35, 45, 55, np.inf]
AGE_LABELS = ["<25", "25-34", "35-44", "45-54", "55+"]
COUPON_SHARE = SHARE_PREFIX + "coupon_view"

# (phrase when higher than everyone else, phrase when lower)
PHRASES = {
    s.ACTIVE_DAYS_28: ("frequent visitors", "occasional visitors"),
    s.ACTIVE_DAYS_7: ("active this week", "quiet this week"),
    s.ACTIVE_DAYS_90: ("long-run regulars", "rare visitors"),
    EVENTS_PER_ACTIVE_DAY_28: ("intense sessions", "quick visits"),
    s.EVENTS_28: ("many actions", "few actions"),
    s.UD_ORDERS: ("frequent buyers", "rare buyers"),
    s.FREQUENCY: ("repeat buyers", "one-off buyers"),
    s.UD_REVENUE: ("high spend", "low spend"),
    "aov": ("big baskets", "small baskets"),
    s.MONETARY_VALUE: ("big repeat baskets", "small repeat baskets"),
    "clv": ("high future value", "low future value"),
    s.TENURE_DAYS: ("long-standing", "newcomers"),
    s.DAYS_SINCE_ACTIVE: ("drifting away", "just active"),
    s.RECENCY_DAYS: ("lapsing buyers", "recent buyers"),
}

# Playbook, first match wins. Each rule reads the card's `profile` (persona vs all active users).
PLAYBOOK = [
    (
        "onboarding",
        "new users: median tenure_days <= 30",
        "Onboarding: guide them to a first purchase and the core features in their first weeks.",
    ),
    (
        "win_back",
        "high value at risk: revenue share >= 1.5 x user share and (mean P(alive) <= 0.8 x "
        "overall, or median days_since_active >= 14)",
        "Win-back: personal outreach and a loyalty reward before they lapse.",
    ),
    (
        "targeted_coupons",
        "price-sensitive: mean share_coupon_view >= 0.15 and >= 2 x overall",
        "Targeted coupons: time-limited offers on items they viewed, instead of blanket discounts.",
    ),
    (
        "beta_program",
        "power users: mean active_days_28 >= 1.5 x overall and revenue share >= 1.5 x user share",
        "Beta programs and ambassador perks: early access, reviews, referrals.",
    ),
    (
        "conversion_offer",
        "high-activity non-payers: mean active_days_28 >= overall and buyer share "
        "<= 0.5 x overall",
        "Conversion offer: a first-purchase incentive where they already browse.",
    ),
    (
        "re_engagement",
        "light users: mean active_days_28 <= 0.5 x overall",
        "Re-engagement: light-touch reminders and recommendations to bring them back more often.",
    ),
    (
        "nurture",
        "everyone else",
        "Nurture: keep them engaged with regular recommendations and cross-sell.",
    ),
]


def age_band(age: pd.Series) -> pd.Series:
    """Age in bands ``<25, 25-34, 35-44, 45-54, 55+`` (missing stays missing).

    Examples
    --------
    >>> age_band(pd.Series([19, 25, 44, 70, None])).tolist()
    ['<25', '25-34', '35-44', '55+', nan]
    """
    a = pd.to_numeric(age, errors="coerce")
    return pd.cut(a, AGE_BINS, right=False, labels=AGE_LABELS).astype(object).where(a.notna())


def _label(col: str) -> str:
    return (
        "share of " + col[len(SHARE_PREFIX) :].replace("_", " ")
        if col.startswith(SHARE_PREFIX)
        else col
    )


def distinguishing_features(
    Z: pd.DataFrame, labels: np.ndarray, persona: int, *, n: int = 4
) -> pd.DataFrame:
    """The ``n`` features with the largest ``|d|``, ``d`` = (mean in - mean out) / sd over all.

    Parameters
    ----------
    Z : DataFrame
        Clustering matrix (one row per user), e.g. :func:`helpers.analysis.segments.personas.persona_features`.
    labels : array
        Persona per row.
    persona : int
    n : int

    Returns
    -------
    DataFrame with ``feature``, ``d`` (sorted by ``|d|`` descending; ties by feature name).

    Examples
    --------
    >>> Z = pd.DataFrame({"a": [0.0, 0.0, 2.0, 2.0], "b": [1.0, 0.0, 1.0, 0.0]})
    >>> distinguishing_features(Z, np.array([1, 1, 2, 2]), 2, n=1).values.tolist()
    [['a', 2.0]]
    """
    inside = np.asarray(labels) == persona
    sd = Z.std(ddof=0).replace(0, np.nan)
    d = (Z[inside].mean() - Z[~inside].mean()) / sd
    d = d.dropna()
    out = pd.DataFrame({"feature": d.index, "d": d.to_numpy()})
    out["_abs"] = -out["d"].abs().round(9)
    return out.sort_values(["_abs", "feature"]).head(n).drop(columns="_abs").reset_index(drop=True)


def _phrase(feature: str, d: float) -> str | None:
    if feature in PHRASES:
        return PHRASES[feature][0 if d > 0 else 1]
    if feature.startswith(SHARE_PREFIX):
        event = feature[len(SHARE_PREFIX) :].replace("_", " ")
        return f"{event}-heavy" if d > 0 else None
    return f"high {feature}" if d > 0 else f"low {feature}"


def persona_name(
    distinguishing: pd.DataFrame,
    *,
    attribute: str | None = None,
    max_parts: int = 3,
    max_event_parts: int = 2,
) -> list[str]:
    """Name parts from the distinguishing features, strongest first.

    Phrases come from ``PHRASES`` (a ``share_<event>`` that is higher reads ``<event>-heavy``, a
    lower share is not used); the name takes the strongest ``max_parts`` of them, at most
    ``max_event_parts`` of which are event shares (so a name mixes what people do with how much),
    then ``mostly <attribute>`` when given. The remaining phrases are kept after a ``|`` so
    :func:`unique_names` can add one when two names collide.

    Examples
    --------
    >>> dist = pd.DataFrame({"feature": ["share_review", "share_share", "share_search", "orders"],
    ...                      "d": [1.5, 1.2, 1.1, 0.9]})
    >>> persona_name(dist)
    ['review-heavy', 'share-heavy', 'frequent buyers', '|search-heavy']
    """
    main, rest, n_event = [], [], 0
    for feat, d in zip(distinguishing["feature"], distinguishing["d"]):
        p = _phrase(str(feat), float(d))
        if not p or p in main or p in rest:
            continue
        is_event = str(feat).startswith(SHARE_PREFIX)
        if len(main) < max_parts and not (is_event and n_event >= max_event_parts):
            main.append(p)
            n_event += is_event
        else:
            rest.append(p)
    if attribute:
        main.append(f"mostly {attribute}")
    return main + ["|" + p for p in rest]


def unique_names(parts: list[list[str]]) -> list[str]:
    """Names from :func:`persona_name` parts, made unique deterministically.

    Names with the same phrases (in any order) get the next distinguishing phrase (the ``|``
    parts) of each, until they differ or run out; then `` (persona N)`` with the persona's
    number (position + 1).

    Examples
    --------
    >>> unique_names([["frequent buyers", "|high spend"], ["frequent buyers", "|low spend"], ["quick visits"]])
    ['Frequent buyers, high spend', 'Frequent buyers, low spend', 'Quick visits']
    >>> unique_names([["frequent buyers"], ["frequent buyers"]])
    ['Frequent buyers (persona 1)', 'Frequent buyers (persona 2)']
    >>> unique_names([["low spend", "rare buyers", "|x"], ["rare buyers", "low spend", "|y"]])
    ['Low spend, rare buyers, x', 'Rare buyers, low spend, y']
    """

    def join(ps):
        text = ", ".join(ps) if ps else "typical users"
        return text[:1].upper() + text[1:]

    main = [[p for p in ps if not p.startswith("|")] for ps in parts]
    extra = [[p[1:] for p in ps if p.startswith("|")] for ps in parts]

    def clashes():
        # the same phrases in another order read as the same name
        keys = [frozenset(m) for m in main]
        return [i for i, k in enumerate(keys) if keys.count(k) > 1]

    for _ in range(max((len(e) for e in extra), default=0)):
        dup = clashes()
        if not dup:
            break
        for i in dup:
            if extra[i]:
                main[i].append(extra[i].pop(0))
    dup = set(clashes())
    return [join(m) + (f" (persona {i + 1})" if i in dup else "") for i, m in enumerate(main)]


def recommend_action(profile: dict) -> dict:
    """The playbook's action for a persona profile (first matching rule of :data:`PLAYBOOK`).

    Parameters
    ----------
    profile : dict
        Keys (missing ones make their rule not apply): ``median_tenure_days``, ``user_share``,
        ``revenue_share``, ``mean_p_alive``, ``overall_p_alive``, ``median_days_since_active``,
        ``coupon_share``, ``overall_coupon_share``, ``active_days_28``, ``overall_active_days_28``,
        ``buyer_share``, ``overall_buyer_share``.

    Returns
    -------
    dict with ``action`` (key), ``text`` and ``rule`` (why).

    Examples
    --------
    >>> recommend_action({"median_tenure_days": 12})["action"]
    'onboarding'
    >>> recommend_action({"coupon_share": 0.4, "overall_coupon_share": 0.1})["action"]
    'targeted_coupons'
    >>> recommend_action({})["action"]
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
    for key, rule, text in PLAYBOOK:
        if checks[key]:
            return {"action": key, "text": text, "rule": rule}
    raise AssertionError("the playbook ends with a catch-all rule")


def _fmt(x: float | None, *, share: bool = False) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x:.0%}" if share else f"{x:,.1f}"


def _attribute_mix(features: pd.DataFrame, inside: np.ndarray, top: int = 3) -> dict:
    mix = {}
    for attr in ATTRIBUTES:
        if attr not in features.columns or features[attr].notna().sum() == 0:
            continue
        col = age_band(features[attr]) if attr == "age" else features[attr].astype(object)
        overall = col.value_counts(normalize=True)
        here = col[inside].value_counts(normalize=True)
        mix[attr] = [
            {"value": str(val), "share": float(sh), "overall_share": float(overall.get(val, 0.0))}
            for val, sh in here.head(top).items()
        ]
    return mix


def _dominant_attribute(mix: dict) -> str | None:
    """``<value>`` when one attribute value covers >= 40% of the persona and >= 1.5 x its overall share."""
    best = None
    for attr, rows in mix.items():
        for r in rows:
            lift = r["share"] / r["overall_share"] if r["overall_share"] > 0 else 0
            if r["share"] >= 0.4 and lift >= 1.5 and (best is None or lift > best[0]):
                label = f"aged {r['value']}" if attr == "age" else r["value"]
                best = (lift, label)
    return best[1] if best else None


def _mean(features, col, sel=None):
    if col not in features.columns:
        return None
    x = pd.to_numeric(features[col], errors="coerce")
    x = x if sel is None else x[sel]
    return float(x.mean()) if x.notna().any() else None


def _median(features, col, sel=None):
    if col not in features.columns:
        return None
    x = pd.to_numeric(features[col], errors="coerce")
    x = x if sel is None else x[sel]
    return float(x.median()) if x.notna().any() else None


def build_cards(
    features: pd.DataFrame, labels: np.ndarray, Z: pd.DataFrame, *, n_features: int = 4
) -> list[dict]:
    """One card (dict) per persona, in persona order (see the module docs for the contents)."""
    labels = np.asarray(labels)
    n = len(labels)
    personas = sorted(np.unique(labels).tolist())
    revenue = (
        pd.to_numeric(features[s.UD_REVENUE], errors="coerce").fillna(0)
        if s.UD_REVENUE in features
        else None
    )
    clv = pd.to_numeric(features["clv"], errors="coerce").fillna(0) if "clv" in features else None
    shares = [c for c in features.columns if str(c).startswith(SHARE_PREFIX)]
    buyer = (
        (pd.to_numeric(features[s.UD_ORDERS], errors="coerce").fillna(0) > 0)
        if s.UD_ORDERS in features
        else None
    )
    overall = {
        "overall_p_alive": _mean(features, "p_alive"),
        "overall_coupon_share": _mean(features, COUPON_SHARE),
        "overall_active_days_28": _mean(features, s.ACTIVE_DAYS_28),
        "overall_buyer_share": float(buyer.mean()) if buyer is not None else None,
    }
    cards, parts = [], []
    for p in personas:
        inside = labels == p
        size = int(inside.sum())
        dist = distinguishing_features(Z, labels, p, n=n_features)
        dist_rows = []
        for feat, d in zip(dist["feature"], dist["d"]):
            dist_rows.append(
                {
                    "feature": str(feat),
                    "label": _label(str(feat)),
                    "d": float(d),
                    "share": str(feat).startswith(SHARE_PREFIX),
                    "mean": _mean(features, feat, inside),
                    "overall_mean": _mean(features, feat),
                }
            )
        events = sorted(
            ((c[len(SHARE_PREFIX) :], float(features.loc[inside, c].mean())) for c in shares),
            key=lambda t: (-t[1], t[0]),
        )[:5]
        mix = _attribute_mix(features, inside)
        profile = {
            "user_share": size / n,
            "revenue_share": float(revenue[inside].sum() / revenue.sum())
            if revenue is not None and revenue.sum() > 0
            else None,
            "median_tenure_days": _median(features, s.TENURE_DAYS, inside),
            "median_days_since_active": _median(features, s.DAYS_SINCE_ACTIVE, inside),
            "mean_p_alive": _mean(features, "p_alive", inside),
            "coupon_share": _mean(features, COUPON_SHARE, inside),
            "active_days_28": _mean(features, s.ACTIVE_DAYS_28, inside),
            "buyer_share": float(buyer[inside].mean()) if buyer is not None else None,
            **overall,
        }
        action = recommend_action(profile)
        naming = distinguishing_features(Z, labels, p, n=max(8, n_features))
        parts.append(persona_name(naming, attribute=_dominant_attribute(mix)))
        value = {
            "mean_p_alive": profile["mean_p_alive"],
            "mean_expected_purchases": _mean(features, "expected_purchases", inside),
            "clv_per_user": float(clv[inside].sum() / size) if clv is not None else None,
            "clv_share": float(clv[inside].sum() / clv.sum())
            if clv is not None and clv.sum() > 0
            else None,
        }
        desc = "; ".join(
            f"{r['label']} {_fmt(r['mean'], share=r['share'])} (all {_fmt(r['overall_mean'], share=r['share'])})"
            for r in dist_rows[:3]
            if r["mean"] is not None
        )
        cards.append(
            {
                "persona": int(p),
                "users": size,
                "user_share": size / n,
                "revenue_share": profile["revenue_share"],
                "distinguishing": dist_rows,
                "top_events": [{"event": e, "share": sh} for e, sh in events],
                "attributes": mix,
                "value": value,
                "profile": profile,
                "action": action["action"],
                "action_text": action["text"],
                "action_rule": action["rule"],
                "_desc": desc,
            }
        )
    for card, name in zip(cards, unique_names(parts)):
        card["name"] = name
        rev = card["revenue_share"]
        card["description"] = (
            f"{card['user_share']:.0%} of active users"
            + (f", {rev:.0%} of revenue" if rev is not None else "")
            + (f": {card.pop('_desc')}." if card["_desc"] else ".")
        )
        card.pop("_desc", None)
    return cards


@dataclass
class PersonaCards:
    """Persona cards for display: a grid of cards and a summary table.

    Attributes
    ----------
    cards : list of dict
        From :func:`build_cards`.
    n_users : int
    reason : str
        Why this number of personas.
    silhouette : float
    """

    cards: list
    n_users: int
    reason: str = ""
    silhouette: float = float("nan")

    @property
    def table(self) -> pd.DataFrame:
        """One row per persona: persona, name, users, user_share, revenue_share, clv_per_user, mean_p_alive, action."""
        return pd.DataFrame(
            [
                {
                    "persona": c["persona"],
                    "name": c["name"],
                    "users": c["users"],
                    "user_share": c["user_share"],
                    "revenue_share": c["revenue_share"],
                    "clv_per_user": c["value"]["clv_per_user"],
                    "mean_p_alive": c["value"]["mean_p_alive"],
                    "action": c["action"],
                }
                for c in self.cards
            ]
        )

    def _card_html(self, c: dict) -> str:
        e = html.escape
        feats = "".join(
            f"<li>{e(r['label'])}: {_fmt(r['mean'], share=r['share'])} vs "
            f"{_fmt(r['overall_mean'], share=r['share'])} overall "
            f"(d = {r['d']:+.2f})</li>"
            for r in c["distinguishing"]
        )
        events = (
            ", ".join(f"{e(x['event'])} {x['share']:.0%}" for x in c["top_events"][:3])
            or "no event data"
        )
        attrs = (
            "; ".join(
                f"{e(a)}: "
                + ", ".join(
                    f"{e(r['value'])} {r['share']:.0%} ({r['overall_share']:.0%})"
                    for r in rows[:2]
                )
                for a, rows in c["attributes"].items()
            )
            or "no user attributes in the data"
        )
        val = c["value"]
        value = (
            "value: not estimated"
            if val["clv_per_user"] is None or not np.isfinite(val["clv_per_user"])
            else f"CLV per user {val['clv_per_user']:,.1f}; P(alive) {_fmt(val['mean_p_alive'], share=True)}; "
            f"expected purchases {_fmt(val['mean_expected_purchases'])}"
        )
        rev = "n/a" if c["revenue_share"] is None else f"{c['revenue_share']:.0%}"
        return (
            "<div style='border:1px solid #ccc;border-radius:6px;padding:8px 10px;width:330px;"
            "font-size:0.85em;vertical-align:top'>"
            f"<div style='font-weight:bold;font-size:1.1em'>{c['persona']}. {e(c['name'])}</div>"
            f"<div style='color:#555'>{e(c['description'])}</div>"
            f"<div><b>{c['users']:,}</b> users ({c['user_share']:.0%}), revenue share <b>{rev}</b></div>"
            f"<div style='margin-top:4px'><b>Stands out by</b><ul style='margin:2px 0 2px 16px;padding:0'>{feats}</ul></div>"
            f"<div><b>Top events</b>: {events}</div>"
            f"<div><b>Attributes</b> (overall): {attrs}</div>"
            f"<div>{e(value)}</div>"
            f"<div style='margin-top:4px;background:#f3f7ff;padding:3px'><b>Action</b>: {e(c['action_text'])}</div>"
            "</div>"
        )

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>Personas</b>: {len(self.cards)} personas over {self.n_users:,} active users "
            f"(silhouette {self.silhouette:.3f}). {html.escape(self.reason)} Distinguishing features "
            "compare the persona with everyone else (d = standardized difference of means).</p>"
        )
        grid = "".join(self._card_html(c) for c in self.cards)
        return head + f"<div style='display:flex;flex-wrap:wrap;gap:10px'>{grid}</div>"

    def __repr__(self) -> str:
        return f"PersonaCards({[c['name'] for c in self.cards]})"

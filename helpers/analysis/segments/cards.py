"""Persona cards: what distinguishes each persona, its name, and the recommended action.

One :class:`PersonaCard` per persona (:func:`build_cards`), from the fitted rows of
:class:`helpers.analysis.segments.personas.PersonaModel`:

- size, share of users, share of revenue (and of CLV when the table has a ``clv`` column);
- the features that most distinguish it from everyone else: the standardized difference of
  means ``d = (mean in persona - mean in the rest) / sd over all users``, computed in the
  clustering space (log1p, standardized), the top ``n_features`` by ``|d|``, each with the
  plain means in their own units;
- top events (mean ``share_<event>`` in the persona), attribute mix (age band, gender, city,
  channel, platform, plan: top values with their share in the persona and overall);
- P(alive), expected purchases and CLV when the table carries them
  (:func:`helpers.analysis.value.per_user.fit_value`);
- a **generated** name and a one-line description from the distinguishing features
  (:mod:`helpers.analysis.segments.naming`), unique across cards;
- a recommended action from the playbook (:mod:`helpers.analysis.segments.playbook`).

A card's name, description, feature labels and action text are stored with it (they are in
``persona_cards.json`` and a persona keeps its name across months), so they are composed when
the card is built, through ``text``, the report's message function: this module holds the
message keys, the catalog the words. :meth:`PersonaCard.to_json` is the card as
``persona_cards.json`` holds it, :meth:`PersonaCard.from_json` reads it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd

from helpers.analysis.features import SHARE_PREFIX
from helpers.analysis.segments.archetypes import archetype
from helpers.analysis.segments.naming import Text, numbered_name, persona_name, unique_names
from helpers.analysis.segments.playbook import action_rule_key, action_text_key, recommend_action
from helpers.core import schema as s

__all__ = [
    "ATTRIBUTES",
    "CardFeature",
    "CardEvent",
    "AttributeShare",
    "CardValue",
    "Drift",
    "PersonaCard",
    "PersonaCards",
    "build_cards",
    "distinguishing_features",
    "age_band",
]

ATTRIBUTES = ("age", "gender", "city", "channel", "platform", "plan")
AGE_BINS = [-np.inf, 25, 35, 45, 55, np.inf]
AGE_LABELS = ["<25", "25-34", "35-44", "45-54", "55+"]
#: The event that shows interest in coupons (``personas.coupon_event`` in persona.yaml):
#: personas with a high share of it get the ``targeted_coupons`` action.
COUPON_EVENT = "coupon_view"


# --- the card --------------------------------------------------------------------------------------
@dataclass
class CardFeature:
    """A feature that distinguishes a persona: ``d`` and the means inside and overall."""

    feature: str
    label: str
    d: float
    share: bool
    mean: float | None
    overall_mean: float | None


@dataclass
class CardEvent:
    """One of a persona's most frequent events and its mean share of the persona's events."""

    event: str
    share: float


@dataclass
class AttributeShare:
    """One value of a user attribute: its share in the persona and among all active users."""

    value: str
    share: float
    overall_share: float


@dataclass
class CardValue:
    """A persona's customer value (None where the feature table has no value columns)."""

    mean_p_alive: float | None = None
    mean_expected_purchases: float | None = None
    clv_per_user: float | None = None
    clv_share: float | None = None


@dataclass
class Drift:
    """How a persona moved since last month (:meth:`PersonaModel.align`)."""

    status: str
    persona_prev: int | None = None
    centroid_shift: float | None = None
    kept_share: float | None = None
    stayed_share: float | None = None
    drifted: bool = False


@dataclass
class PersonaCard:
    """One persona: size, what sets it apart, value, name and recommended action.

    The attributes are the keys of a card in ``persona_cards.json`` (:meth:`to_json`).
    ``name_generated`` and ``drift`` are set when the personas were matched with last month's
    (``name`` is then the name kept from last month), ``centroid`` when the card is written.
    ``profile`` holds the numbers the playbook read (:func:`recommend_action`). ``archetype``
    is the code of the archetype the name comes from (:mod:`helpers.analysis.segments.archetypes`,
    empty when no rule fits) and ``subtitle`` the distinguishing features in words.
    """

    persona: int
    users: int = 0
    user_share: float | None = None
    revenue_share: float | None = None
    distinguishing: list[CardFeature] = field(default_factory=list)
    top_events: list[CardEvent] = field(default_factory=list)
    attributes: dict[str, list[AttributeShare]] = field(default_factory=dict)
    value: CardValue = field(default_factory=CardValue)
    profile: dict = field(default_factory=dict)
    action: str = ""
    action_text: str = ""
    action_rule: str = ""
    name: str = ""
    description: str = ""
    subtitle: str = ""
    archetype: str = ""
    name_generated: str | None = None
    drift: Drift | None = None
    centroid: list[float] | None = None

    _OPTIONAL = ("name_generated", "drift", "centroid")  # left out of the JSON when unset

    def to_json(self) -> dict:
        """The card as ``persona_cards.json`` holds it (plain JSON types, keys in field order).

        Examples
        --------
        >>> PersonaCard(persona=2, users=10, name="Browsers").to_json()["name"]
        'Browsers'
        >>> "drift" in PersonaCard(persona=2).to_json()
        False
        """
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in self._OPTIONAL and value is None:
                continue
            out[f.name] = _plain(value)
        return out

    @classmethod
    def from_json(cls, data: dict) -> PersonaCard:
        """A card from its ``persona_cards.json`` form; keys it lacks take their defaults.

        Examples
        --------
        >>> card = PersonaCard.from_json({"persona": 1, "name": "Buyers", "value": {"clv_per_user": 5.0}})
        >>> card.name, card.value.clv_per_user, card.users
        ('Buyers', 5.0, 0)
        """
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in data.items() if k in known}
        kw["persona"] = int(data["persona"])
        kw["distinguishing"] = [CardFeature(**r) for r in data.get("distinguishing") or []]
        kw["top_events"] = [CardEvent(**r) for r in data.get("top_events") or []]
        kw["attributes"] = {
            a: [AttributeShare(**r) for r in rows]
            for a, rows in (data.get("attributes") or {}).items()
        }
        kw["value"] = CardValue(**(data.get("value") or {}))
        kw["profile"] = dict(data.get("profile") or {})
        if data.get("drift") is not None:
            kw["drift"] = Drift(**data["drift"])
        return cls(**kw)

    def renumbered(self, persona: int, *, name: str, drift: Drift) -> PersonaCard:
        """This card as persona ``persona`` matched with last month: ``name`` kept from then,
        the generated name in ``name_generated``, and the ``drift``."""
        return replace(
            self, persona=int(persona), name=name, name_generated=self.name, drift=drift
        )

    def with_centroid(self, centroid) -> PersonaCard:
        """This card with its centroid (in the month's standardized space)."""
        return replace(self, centroid=[float(x) for x in centroid])


def _plain(value):
    if isinstance(value, PersonaCard):
        return value.to_json()
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass
class PersonaCards:
    """The persona cards of a month, with what the clustering says about them.

    Attributes
    ----------
    cards : list of PersonaCard
    n_users : int
        Active users clustered.
    reason : str
        Why this number of personas (as stored in ``persona_cards.json``).
    silhouette : float
    """

    cards: list[PersonaCard]
    n_users: int
    reason: str = ""
    silhouette: float = float("nan")

    @property
    def table(self) -> pd.DataFrame:
        """One row per persona: persona, name, users, user_share, revenue_share, clv_per_user,
        mean_p_alive, action."""
        return pd.DataFrame(
            [
                {
                    "persona": c.persona,
                    "name": c.name,
                    "users": c.users,
                    "user_share": c.user_share,
                    "revenue_share": c.revenue_share,
                    "clv_per_user": c.value.clv_per_user,
                    "mean_p_alive": c.value.mean_p_alive,
                    "action": c.action,
                }
                for c in self.cards
            ],
            columns=[
                "persona",
                "name",
                "users",
                "user_share",
                "revenue_share",
                "clv_per_user",
                "mean_p_alive",
                "action",
            ],
        )

    def __repr__(self) -> str:
        return f"PersonaCards({[c.name for c in self.cards]})"


# --- building the cards ----------------------------------------------------------------------------
def age_band(age: pd.Series) -> pd.Series:
    """Age in bands ``<25, 25-34, 35-44, 45-54, 55+`` (missing stays missing).

    Examples
    --------
    >>> age_band(pd.Series([19, 25, 44, 70, None])).tolist()
    ['<25', '25-34', '35-44', '55+', nan]
    """
    a = pd.to_numeric(age, errors="coerce")
    return pd.cut(a, AGE_BINS, right=False, labels=AGE_LABELS).astype(object).where(a.notna())


def _feature_label(col: str, text: Text) -> str:
    if col.startswith(SHARE_PREFIX):
        return text("personas.card.share_label", event=col[len(SHARE_PREFIX) :])
    return text("personas.card.column", col=col)


def distinguishing_features(
    Z: pd.DataFrame, labels: np.ndarray, persona: int, *, n: int = 4
) -> pd.DataFrame:
    """The ``n`` features with the largest ``|d|``, ``d`` = (mean in - mean out) / sd over all.

    Parameters
    ----------
    Z : DataFrame
        Clustering matrix (one row per user), e.g.
        :func:`helpers.analysis.segments.clustering.persona_features`.
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


def _attribute_mix(features: pd.DataFrame, inside: np.ndarray, top: int = 3) -> dict:
    mix = {}
    for attr in ATTRIBUTES:
        if attr not in features.columns or features[attr].notna().sum() == 0:
            continue
        col = age_band(features[attr]) if attr == "age" else features[attr].astype(object)
        overall = col.value_counts(normalize=True)
        here = col[inside].value_counts(normalize=True)
        mix[attr] = [
            AttributeShare(str(val), float(sh), float(overall.get(val, 0.0)))
            for val, sh in here.head(top).items()
        ]
    return mix


def _dominant_attribute(mix: dict) -> tuple[str, str] | None:
    """``(attribute, value)`` when one value covers more than half of the persona and >= 1.5 x
    its overall share (the largest such lift): a name says "mostly" only of a majority."""
    best = None
    for attr, rows in mix.items():
        for r in rows:
            lift = r.share / r.overall_share if r.overall_share > 0 else 0
            if r.share > 0.5 and lift >= 1.5 and (best is None or lift > best[0]):
                best = (lift, (attr, r.value))
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


def _description(card: PersonaCard, text: Text) -> str:
    """One line: the persona's shares and its three strongest features (mean vs everyone)."""
    parts = [
        text(
            "personas.card.feature.share" if r.share else "personas.card.feature.number",
            label=r.label,
            mean=r.mean,
            overall=r.overall_mean,
        )
        for r in card.distinguishing[:3]
        if r.mean is not None
    ]
    features = text("personas.card.feature_separator").join(parts)
    variant = (
        ("full" if features else "no_features")
        if card.revenue_share is not None
        else ("no_revenue" if features else "bare")
    )
    return text(
        f"personas.card.description.{variant}",
        user_share=card.user_share,
        revenue_share=card.revenue_share,
        features=features,
    )


def build_cards(
    features: pd.DataFrame,
    labels: np.ndarray,
    Z: pd.DataFrame,
    *,
    text: Text,
    n_features: int = 4,
    coupon_event: str = COUPON_EVENT,
) -> list[PersonaCard]:
    """One :class:`PersonaCard` per persona, in persona order (see the module docs).

    ``coupon_event`` names the event whose share marks price-sensitive personas (the sample's
    ``coupon_view``; a Chinese export's ``领取优惠券``).

    ``text`` is the report's message function (``helpers.display.text.t``): the card's name,
    description, feature labels and action text are composed with it.
    """
    coupon_share = SHARE_PREFIX + coupon_event
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
        "overall_coupon_share": _mean(features, coupon_share),
        "overall_active_days_28": _mean(features, s.ACTIVE_DAYS_28),
        "overall_median_tenure_days": _median(features, s.TENURE_DAYS),
        "overall_buyer_share": float(buyer.mean()) if buyer is not None else None,
    }
    cards, parts = [], []
    for p in personas:
        inside = labels == p
        size = int(inside.sum())
        dist = distinguishing_features(Z, labels, p, n=n_features)
        dist_rows = [
            CardFeature(
                feature=str(feat),
                label=_feature_label(str(feat), text),
                d=float(d),
                share=str(feat).startswith(SHARE_PREFIX),
                mean=_mean(features, feat, inside),
                overall_mean=_mean(features, feat),
            )
            for feat, d in zip(dist["feature"], dist["d"])
        ]
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
            "coupon_share": _mean(features, coupon_share, inside),
            "active_days_28": _mean(features, s.ACTIVE_DAYS_28, inside),
            "buyer_share": float(buyer[inside].mean()) if buyer is not None else None,
            **overall,
        }
        action = recommend_action(profile)
        naming = distinguishing_features(Z, labels, p, n=max(8, n_features))
        parts.append(persona_name(naming, text=text, attribute=_dominant_attribute(mix)))
        value = CardValue(
            mean_p_alive=profile["mean_p_alive"],
            mean_expected_purchases=_mean(features, "expected_purchases", inside),
            clv_per_user=float(clv[inside].sum() / size) if clv is not None else None,
            clv_share=float(clv[inside].sum() / clv.sum())
            if clv is not None and clv.sum() > 0
            else None,
        )
        cards.append(
            PersonaCard(
                persona=int(p),
                users=size,
                user_share=size / n,
                revenue_share=profile["revenue_share"],
                distinguishing=dist_rows,
                top_events=[CardEvent(e, sh) for e, sh in events],
                attributes=mix,
                value=value,
                profile=profile,
                action=action,
                action_text=text(action_text_key(action)),
                action_rule=text(action_rule_key(action)),
            )
        )
    subtitles = unique_names(parts, text=text)
    codes = [archetype(card.profile) for card in cards]
    return [
        replace(
            card,
            name=name,
            subtitle=subtitle,
            archetype=code or "",
            description=_description(card, text),
        )
        for card, name, subtitle, code in zip(
            cards, archetype_names(codes, parts, subtitles, text=text), subtitles, codes
        )
    ]


def archetype_names(codes, parts, subtitles, *, text: Text) -> list[str]:
    """Each persona's name: its archetype in words, told apart by its strongest feature phrase
    when two personas share one; a persona without an archetype keeps its feature name.

    Examples
    --------
    >>> from helpers.display.text import t
    >>> archetype_names(["power_users", "steady_regulars", "steady_regulars", None],
    ...                 [["a"], ["wishlist-heavy", "|x"], ["search-heavy"], ["quick visits"]],
    ...                 ["A", "Wishlist-heavy", "Search-heavy", "Quick visits"], text=t)
    ['Power users', 'Steady regulars (wishlist-heavy)', 'Steady regulars (search-heavy)', 'Quick visits']
    """
    out = []
    for i, (code, subtitle) in enumerate(zip(codes, subtitles)):
        if not code:
            out.append(subtitle)
            continue
        name = text(f"personas.archetype.{code}")
        if codes.count(code) > 1:
            phrase = next((p for p in parts[i] if not p.startswith("|")), subtitle)
            name = text("personas.archetype.qualified", archetype=name, feature=phrase)
        out.append(name)
    seen: dict[str, int] = {}
    for name in out:  # the same feature phrase too: number them
        seen[name] = seen.get(name, 0) + 1
    return [
        numbered_name(name, i + 1, text=text) if seen[name] > 1 else name
        for i, name in enumerate(out)
    ]

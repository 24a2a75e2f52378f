"""Generated persona names: phrases from the distinguishing features, made unique.

A persona's name is an identity, not only a caption: it is written to ``personas.csv`` and
``persona_cards.json`` and a persona keeps it from one month to the next
(:mod:`helpers.analysis.segments.matching`). The words come from the report catalog: every
function that composes a name takes ``text``, the report's message function
(``helpers.display.text.t``), and asks it for messages by key (``personas.phrase.*``,
``personas.name.*``), so this module holds no English and does not import the display layer.

* :func:`phrase_key`: the message of a distinguishing feature (higher or lower than everyone).
* :func:`persona_name`: a persona's name parts, strongest first.
* :func:`unique_names`: the names of all personas, made unique deterministically.
* :func:`numbered_name`, :func:`strip_number`, :func:`fallback_name`: the ``(persona N)``
  suffix that separates two personas with the same phrases, and the name of a persona that has
  none.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from helpers.analysis.features import EVENTS_PER_ACTIVE_DAY_28, SHARE_PREFIX
from helpers.core import schema as s

__all__ = [
    "Text",
    "PHRASE_FEATURES",
    "phrase_key",
    "persona_name",
    "unique_names",
    "numbered_name",
    "strip_number",
    "fallback_name",
]

#: The report's message function: ``text(key, **values) -> str`` (``helpers.display.text.t``).
Text = Callable[..., str]

#: Features with a phrase of their own when a persona is higher (``.high``) or lower (``.low``)
#: than everyone else: messages ``personas.phrase.<feature>.high`` / ``.low``.
PHRASE_FEATURES = (
    s.ACTIVE_DAYS_28,
    s.ACTIVE_DAYS_7,
    s.ACTIVE_DAYS_90,
    EVENTS_PER_ACTIVE_DAY_28,
    s.EVENTS_28,
    s.UD_ORDERS,
    s.FREQUENCY,
    s.UD_REVENUE,
    "aov",
    s.MONETARY_VALUE,
    "clv",
    s.TENURE_DAYS,
    s.DAYS_SINCE_ACTIVE,
    s.RECENCY_DAYS,
)
_SEPARATOR = "|"  # marks a phrase kept in reserve for unique_names


def phrase_key(feature: str, d: float) -> tuple[str, dict] | None:
    """The message key and values of a distinguishing feature's phrase, or None (no phrase).

    A feature of :data:`PHRASE_FEATURES` has its own phrase per direction; a higher event share
    reads ``<event>-heavy`` (a lower share has no phrase); any other column reads ``high <col>``
    or ``low <col>``.

    Examples
    --------
    >>> phrase_key("orders", 1.2), phrase_key("share_add_to_cart", 0.8)
    (('personas.phrase.orders.high', {}), ('personas.phrase.event_heavy', {'event': 'add_to_cart'}))
    >>> phrase_key("share_search", -1.0), phrase_key("age", -0.5)
    (None, ('personas.phrase.low_feature', {'feature': 'age'}))
    """
    direction = "high" if d > 0 else "low"
    if feature in PHRASE_FEATURES:
        return f"personas.phrase.{feature}.{direction}", {}
    if feature.startswith(SHARE_PREFIX):
        event = feature[len(SHARE_PREFIX) :]  # the message formats it ({event:event})
        return ("personas.phrase.event_heavy", {"event": event}) if d > 0 else None
    return f"personas.phrase.{direction}_feature", {"feature": feature}


def persona_name(
    distinguishing: pd.DataFrame,
    *,
    text: Text,
    attribute: tuple[str, str] | None = None,
    max_parts: int = 3,
    max_event_parts: int = 2,
) -> list[str]:
    """Name parts from the distinguishing features, strongest first.

    The name takes the strongest ``max_parts`` phrases (:func:`phrase_key`), at most
    ``max_event_parts`` of which are event shares (so a name mixes what people do with how
    much), then ``mostly <attribute value>`` when ``attribute`` is given. The remaining phrases
    are kept after a ``|`` so :func:`unique_names` can add one when two names collide.

    Parameters
    ----------
    distinguishing : DataFrame
        ``feature`` and ``d`` (:func:`helpers.analysis.segments.cards.distinguishing_features`).
    text : callable
        The report's message function (``helpers.display.text.t``).
    attribute : (str, str), optional
        The dominant attribute and its value (``("city", "Beijing")``); an age band reads
        ``aged <band>``.

    Examples
    --------
    >>> from helpers.display.text import t
    >>> dist = pd.DataFrame({"feature": ["share_review", "share_share", "share_search", "orders"],
    ...                      "d": [1.5, 1.2, 1.1, 0.9]})
    >>> persona_name(dist, text=t)
    ['review-heavy', 'share-heavy', 'frequent buyers', '|search-heavy']
    """
    main, rest, n_event = [], [], 0
    for feat, d in zip(distinguishing["feature"], distinguishing["d"]):
        hit = phrase_key(str(feat), float(d))
        if hit is None:
            continue
        p = text(hit[0], **hit[1])
        if not p or p in main or p in rest:
            continue
        is_event = str(feat).startswith(SHARE_PREFIX)
        if len(main) < max_parts and not (is_event and n_event >= max_event_parts):
            main.append(p)
            n_event += is_event
        else:
            rest.append(p)
    if attribute:
        attr, value = attribute
        shown = text("personas.phrase.aged", band=value) if attr == "age" else value
        main.append(text("personas.phrase.mostly", value=shown))
    return main + [_SEPARATOR + p for p in rest]


def numbered_name(name: str, number: int, *, text: Text) -> str:
    """``name`` with the persona number that tells it apart (``Frequent buyers (persona 2)``)."""
    return text("personas.name.numbered", name=name, number=int(number))


def strip_number(name: str, *, text: Text) -> str:
    """``name`` without a :func:`numbered_name` suffix (the base name to renumber).

    Examples
    --------
    >>> from helpers.display.text import t
    >>> strip_number("Fresh (persona 3)", text=t), strip_number("Fresh", text=t)
    ('Fresh', 'Fresh')
    """
    marker = "987654321"  # a number no persona carries, to find where the message puts it
    template = numbered_name("\x00", int(marker), text=text)
    pieces = re.split(f"(\x00|{marker})", template)
    pattern = "".join(
        "(?P<name>.*)" if piece == "\x00" else r"\d+" if piece == marker else re.escape(piece)
        for piece in pieces
    )
    m = re.fullmatch(pattern, name, flags=re.S)
    return m.group("name") if m else name


def fallback_name(number: int, *, text: Text) -> str:
    """The name of a persona that has none (``Persona 4``)."""
    return text("personas.name.fallback", number=int(number))


def unique_names(parts: list[list[str]], *, text: Text) -> list[str]:
    """Names from :func:`persona_name` parts, made unique deterministically.

    Names with the same phrases (in any order) get the next distinguishing phrase (the ``|``
    parts) of each, until they differ or run out; then :func:`numbered_name` with the persona's
    number (position + 1).

    Examples
    --------
    >>> from helpers.display.text import t
    >>> unique_names([["frequent buyers", "|high spend"], ["frequent buyers", "|low spend"],
    ...               ["quick visits"]], text=t)
    ['Frequent buyers, high spend', 'Frequent buyers, low spend', 'Quick visits']
    >>> unique_names([["frequent buyers"], ["frequent buyers"]], text=t)
    ['Frequent buyers (persona 1)', 'Frequent buyers (persona 2)']
    >>> unique_names([["low spend", "rare buyers", "|x"], ["rare buyers", "low spend", "|y"]], text=t)
    ['Low spend, rare buyers, x', 'Rare buyers, low spend, y']
    """

    def join(ps):
        name = text("personas.name.separator").join(ps) if ps else text("personas.name.typical")
        # a name that starts with a word is capitalized; one that starts with an event name as
        # logged (add_to_cart, 加入购物车) is not
        first = name.split(" ", 1)[0]
        return name[:1].upper() + name[1:] if first.isalpha() and first.isascii() else name

    main = [[p for p in ps if not p.startswith(_SEPARATOR)] for ps in parts]
    extra = [[p[1:] for p in ps if p.startswith(_SEPARATOR)] for ps in parts]

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
    return [
        numbered_name(join(m), i + 1, text=text) if i in dup else join(m)
        for i, m in enumerate(main)
    ]

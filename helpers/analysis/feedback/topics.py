"""Feedback topics: which responses mention what, per segment, with a few example quotes.

Where the topics come from (:func:`topic_mentions`, ``source="auto"``):

* **category** when the frame has a non-empty ``category`` that is not a complaint marker
  (``feedback.complaint_categories``: a complaint is a kind of feedback, not a topic). A category
  that names a configured topic (its key, a label or a keyword, case-insensitive) is that topic,
  so the pain-point matrix knows its events; any other category is a topic of its own. Each
  response has at most one category topic.
* otherwise **keywords** of the configured topics (``feedback.topics``) found in the ``text``. A
  response may mention several topics.

How a keyword matches a text (:class:`TopicMatcher`): the text is lower-cased and cut into
tokens. Runs of Chinese characters are segmented with jieba (its bundled dictionary, no HMM
guessing of unknown words, so the cut depends only on the dictionary), with every topic keyword
added as a user word so a multi-character keyword (优惠券, 满减) stays one token; other runs of
letters are words. Then:

* a Chinese keyword of two or more characters matches a token equal to it (支付 matches 支付 but
  not 支付宝);
* a Chinese keyword of one character matches any Chinese token containing it (券 matches 券,
  领券 and 优惠券; also 证券, so list longer keywords when a character is ambiguous);
* an English keyword matches a word equal to it or to its plural with -s / -es (coupon matches
  coupon and coupons); a keyword of several words matches them in a row.

jieba's dictionary ships with the package; nothing is fetched at run time, and its "Building
prefix dict" log lines are silenced.

Quotes (:func:`pick_quotes`): the texts of the topic's responses with at least four letters
(a bare "ok" says nothing), the lowest rated first, then the shortest, then alphabetical (so the
choice is the same on every run); repeated texts once; long digit runs (phone or order numbers)
masked; cut at ``max_chars`` with an ellipsis.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from helpers.analysis.feedback.frame import (
    ALL,
    prepare,
    segment_order,
    segmented,
)
from helpers.core import schema as s
from helpers.core.config_pain import FeedbackConfig, TopicConfig
from helpers.core.errors import ParameterError

__all__ = [
    "CATEGORY_SOURCE",
    "TEXT_SOURCE",
    "TopicMatcher",
    "topic_mentions",
    "pick_quotes",
    "topic_summary",
]

CATEGORY_SOURCE, TEXT_SOURCE = "category", "text"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_IS_CJK = re.compile(f"[{_CJK}]")
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_CJK_RUN = re.compile(f"[{_CJK}]+")
_DIGITS = re.compile(r"\d{7,}")
_SPACE = re.compile(r"\s+")
#: Letters a text needs to be quoted.
MIN_QUOTE_LETTERS = 4


@lru_cache(maxsize=1)
def _base_tokenizer():
    with warnings.catch_warnings():
        # jieba 0.42 imports pkg_resources (deprecated in newer setuptools) and has regexes
        # with invalid escapes (a SyntaxWarning on Python 3.12): neither is the reader's concern
        warnings.filterwarnings("ignore", message=".*pkg_resources.*")
        warnings.simplefilter("ignore", SyntaxWarning)
        import jieba  # imports in ~0.1 s; its dictionary loads once (~1 s)

    logging.getLogger("jieba").setLevel(logging.WARNING)  # "Building prefix dict ..." lines
    tk = jieba.Tokenizer()
    tk.initialize()
    return tk


@lru_cache(maxsize=8)
def _tokenizer(words: tuple[str, ...]):
    """A jieba tokenizer with ``words`` added: a copy of the loaded dictionary (jieba 0.42's
    ``FREQ`` and ``total``), so each keyword set costs a copy, not a reload."""
    import jieba

    base = _base_tokenizer()
    tk = jieba.Tokenizer()
    tk.FREQ, tk.total, tk.initialized = dict(base.FREQ), base.total, True
    for w in words:
        tk.add_word(w)  # its frequency: just enough to be cut whole (jieba's suggest_freq)
    return tk


def _keywords(topic) -> list[str]:
    if isinstance(topic, TopicConfig):
        return list(topic.keywords)
    if isinstance(topic, str):
        return [topic]
    return [str(k) for k in topic]


class TopicMatcher:
    """The configured topics' keywords, matched against texts (module docs).

    Parameters
    ----------
    topics : mapping
        Topic name -> :class:`~helpers.core.config_pain.TopicConfig` or a list of keywords
        (``config.feedback.topics``).

    Examples
    --------
    >>> m = TopicMatcher({"coupons": ["优惠券", "券", "coupon"], "payment": ["支付", "pay"]})
    >>> m.match("优惠券领不了"), m.match("领券中心打不开"), m.match("Two coupons failed"), m.match("支付宝不错")
    (['coupons'], ['coupons'], ['coupons'], [])
    """

    def __init__(self, topics: Mapping[str, TopicConfig | Sequence[str]]):
        self.topics = {str(k): _keywords(v) for k, v in (topics or {}).items()}
        cjk, latin = {}, {}
        for name, words in self.topics.items():
            for w in words:
                w = w.strip().casefold()
                if not w:
                    continue
                if _IS_CJK.search(w):
                    cjk.setdefault(name, []).append(w)
                else:
                    latin.setdefault(name, []).append(tuple(_LETTER_RUN.findall(w)))
        self._cjk, self._latin = cjk, latin
        self._words = tuple(sorted({w for ws in cjk.values() for w in ws if len(w) > 1}))

    def tokens(self, text) -> list[str]:
        """The tokens of ``text``: jieba's cut of each run of Chinese characters, and the
        lower-cased words of the other letters.

        >>> TopicMatcher({"c": ["优惠券"]}).tokens("Coupon 优惠券领不了!")
        ['coupon', '优惠券', '领', '不了']
        """
        if text is None or (isinstance(text, float) and np.isnan(text)):
            return []
        out: list[str] = []
        for run in _LETTER_RUN.findall(str(text).casefold()):
            pos = 0
            for m in _CJK_RUN.finditer(run):
                if m.start() > pos:
                    out.append(run[pos : m.start()])
                out += [w for w in _tokenizer(self._words).cut(m.group(), HMM=False) if w]
                pos = m.end()
            if pos < len(run):
                out.append(run[pos:])
        return out

    def match(self, text) -> list[str]:
        """The topics ``text`` mentions, in the order of the configuration."""
        tokens = self.tokens(text)
        if not tokens:
            return []
        chinese = [tok for tok in tokens if _IS_CJK.search(tok)]
        words = [tok for tok in tokens if not _IS_CJK.search(tok)]
        found = []
        for name in self.topics:
            hit = any(
                (len(k) == 1 and any(k in tok for tok in chinese)) or (len(k) > 1 and k in chinese)
                for k in self._cjk.get(name, ())
            ) or any(_words_match(words, k) for k in self._latin.get(name, ()))
            if hit:
                found.append(name)
        return found


def _same_word(token: str, keyword: str) -> bool:
    return token == keyword or token in (keyword + "s", keyword + "es")


def _words_match(words: list[str], keyword: tuple[str, ...]) -> bool:
    k = len(keyword)
    if not k:
        return False
    for i in range(len(words) - k + 1):
        if all(words[i + j] == keyword[j] for j in range(k - 1)) and _same_word(
            words[i + k - 1], keyword[-1]
        ):
            return True
    return False


def _category_topic(topics: Mapping, markers: set[str]):
    names: dict[str, str] = {}
    for name, topic in (topics or {}).items():
        spellings = [name, *_keywords(topic)]
        if isinstance(topic, TopicConfig):
            spellings += list(topic.labels.values())
        for w in spellings:
            names.setdefault(str(w).strip().casefold(), str(name))

    def topic_of(category):
        if category is None:
            return None
        key = str(category).strip().casefold()
        if not key or key in markers:
            return None
        return names.get(key, str(category).strip())

    return topic_of


def topic_mentions(
    feedback: pd.DataFrame,
    topics: Mapping[str, TopicConfig | Sequence[str]] | None = None,
    *,
    source: str = "auto",
    complaint_categories: Sequence[str] = ("complaint", "投诉"),
) -> pd.DataFrame:
    """Which response mentions which topic (module docs for the rules).

    Parameters
    ----------
    feedback : DataFrame
        The cleaned feedback rows (``category`` and/or ``text``); its index identifies a
        response.
    topics : mapping, optional
        ``config.feedback.topics``: topic -> keywords (and events, labels).
    source : {"auto", "category", "text"}
        Where topics come from; ``auto``: the category when the frame has a non-empty one that
        is not a complaint marker, else the text's keywords.
    complaint_categories : sequence of str
        Categories that mark a complaint rather than a topic.

    Returns
    -------
    DataFrame
        One row per (response, topic): ``response`` (the feedback frame's index label) and
        ``topic``; ``attrs["source"]`` says where the topics came from and
        ``attrs["texts"]`` how many responses could mention one (with a text or a topic
        category).

    Examples
    --------
    >>> fb = pd.DataFrame({"user_id": ["a", "b", "c"],
    ...                    "text": ["券过期了", "Payment failed, coupon gone", "ok"]})
    >>> m = topic_mentions(fb, {"coupons": ["券", "coupon"], "payment": ["payment", "支付"]})
    >>> m.values.tolist(), m.attrs["source"]
    ([[0, 'coupons'], [1, 'coupons'], [1, 'payment']], 'text')
    """
    if source not in ("auto", CATEGORY_SOURCE, TEXT_SOURCE):
        raise ParameterError(
            "The value for `source` must be one of ['auto', 'category', 'text'], but "
            f"{source!r} was passed."
        )
    fb = prepare(feedback)
    markers = {str(c).strip().casefold() for c in complaint_categories}
    topic_of = _category_topic(topics or {}, markers)
    by_category = fb[s.CATEGORY].map(topic_of)
    if source == "auto":
        source = CATEGORY_SOURCE if by_category.notna().any() else TEXT_SOURCE
    rows: list[tuple] = []
    if source == CATEGORY_SOURCE:
        rows = [(i, tpc) for i, tpc in by_category.items() if tpc is not None]
        can_say = int(by_category.notna().sum())
    else:
        matcher = TopicMatcher(topics or {})
        texts = fb[s.TEXT].dropna()
        for i, text in texts.items():
            rows += [(i, tpc) for tpc in matcher.match(text)]
        can_say = len(texts)
    out = pd.DataFrame(rows, columns=["response", "topic"])
    out.attrs.update(source=source, texts=can_say)
    return out


def _letters(text: str) -> int:
    return sum(len(w) for w in _LETTER_RUN.findall(text))


def _clean_quote(text: str, max_chars: int) -> str:
    text = _DIGITS.sub("•••", _SPACE.sub(" ", str(text)).strip())
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


def pick_quotes(frame: pd.DataFrame, *, n: int = 3, max_chars: int = 120) -> list[str]:
    """Up to ``n`` example quotes from the responses in ``frame`` (``text``, ``rating``):
    the rule of the module docs.

    >>> fb = pd.DataFrame({"text": ["ok", "Coupon would not apply at checkout", "Coupon expired",
    ...                             "Coupon expired", "Great coupons"], "rating": [1, 2, 1, 1, 5]})
    >>> pick_quotes(fb, n=2)
    ['Coupon expired', 'Coupon would not apply at checkout']
    """
    texts = frame[s.TEXT]
    ok = texts.notna() & texts.map(
        lambda x: x is not None and _letters(str(x)) >= MIN_QUOTE_LETTERS
    )
    cand = pd.DataFrame(
        {
            "quote": [_clean_quote(x, max_chars) for x in texts[ok]],
            "rating": frame.loc[ok, s.RATING].to_numpy() if s.RATING in frame else np.nan,
        }
    )
    if cand.empty:
        return []
    cand["length"] = cand["quote"].str.len()
    cand = cand.sort_values(["rating", "length", "quote"], na_position="last", kind="stable")
    return cand["quote"].drop_duplicates().head(n).tolist()


def topic_summary(
    feedback: pd.DataFrame,
    mentions: pd.DataFrame,
    segments=None,
    *,
    settings: FeedbackConfig | None = None,
    column: str = s.PERSONA,
    quotes: int = 3,
    max_chars: int = 120,
) -> pd.DataFrame:
    """Per topic, for all and per segment: how often it comes up, how it is rated, quotes.

    Parameters
    ----------
    feedback : DataFrame
        The feedback rows :func:`topic_mentions` read (same index).
    mentions : DataFrame
        :func:`topic_mentions` of them.
    segments : optional
        ``user_id -> segment`` (:func:`~helpers.analysis.feedback.frame.segment_of`); responses
        of users without one are left out, as in
        :func:`~helpers.analysis.feedback.scores.feedback_by_segment`.
    settings : FeedbackConfig
        What a complaint is.

    Returns
    -------
    DataFrame
        One row per segment (:data:`ALL` first) and topic mentioned there, most mentioned
        first: ``segment``, ``topic``, ``mentions`` (responses), ``users``,
        ``mention_share`` (of the segment's responses that could mention a topic: with a text,
        or with a category when topics come from it), ``rated``, ``mean_rating``,
        ``complaints``, ``complaint_rate`` (of the mentions that can say) and ``quotes`` (a
        list of texts).
    """
    settings = settings or FeedbackConfig()
    fb = segmented(feedback, segments, settings, column=column)
    if mentions.attrs.get("source") == CATEGORY_SOURCE:
        can_say = fb[s.CATEGORY].notna()
    else:
        can_say = fb[s.TEXT].notna()
    m = mentions[mentions["response"].isin(fb.index)]
    joined = fb.loc[m["response"]].assign(topic=m["topic"].to_numpy())
    columns = [
        "segment",
        "topic",
        "mentions",
        "users",
        "mention_share",
        "rated",
        "mean_rating",
        "complaints",
        "complaint_rate",
        "quotes",
    ]
    rows = []
    groups = [(ALL, joined, int(can_say.sum()))]
    if segments is not None:
        groups += [
            (seg, joined[joined["segment"] == seg], int((can_say & (fb["segment"] == seg)).sum()))
            for seg in segment_order(fb["segment"].tolist())
        ]
    for seg, part, base in groups:
        block = []
        for topic, g in part.groupby("topic", sort=False):
            flag = g["complaint"].dropna()
            block.append(
                {
                    "segment": seg,
                    "topic": topic,
                    "mentions": len(g),
                    "users": int(g[s.USER_ID].nunique()),
                    "mention_share": len(g) / base if base else np.nan,
                    "rated": int(g[s.RATING].notna().sum()),
                    "mean_rating": float(g[s.RATING].mean())
                    if g[s.RATING].notna().any()
                    else np.nan,
                    "complaints": int(flag.astype(bool).sum()),
                    "complaint_rate": float(flag.astype(bool).mean()) if len(flag) else np.nan,
                    "quotes": pick_quotes(g, n=quotes, max_chars=max_chars),
                }
            )
        block.sort(key=lambda r: (-r["mentions"], str(r["topic"])))
        rows += block
    out = pd.DataFrame(rows, columns=columns)
    out["segment"] = out["segment"].astype(object)
    return out

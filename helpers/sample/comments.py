"""The comments of the sample's feedback export (:mod:`helpers.sample.feedback`), by topic,
tone and language.

Each topic's comments name it through one of its keywords in ``persona.yaml``
(:data:`TOPIC_KEYWORDS`, matched as text and as a jieba word once the keywords are in jieba's
dictionary), and no other topic's keyword: the topic of a comment is known from its text alone.
Comments without a topic (``None``) name none. The same texts are written in every sample
language (users write them, not the product).
"""

from __future__ import annotations

#: The keyword topics of the sample's ``persona.yaml`` (``feedback.topics``): name, keywords, the
#: events of the feature (canonical names; the writer labels them) and the English label.
TOPIC_KEYWORDS = {
    "优惠券": (["优惠券", "券", "满减", "coupon", "voucher"], ["coupon_view"], "Coupons"),
    "支付": (["支付", "付款", "付不了", "payment", "pay"], ["checkout_start"], "Payment"),
    "物流": (["物流", "快递", "发货", "delivery", "shipping"], [], "Delivery"),
    "搜索": (["搜索", "找不到", "search"], ["search"], "Search"),
}
TOPICS = (None, *TOPIC_KEYWORDS)  # the topic codes of the feedback plant: 0 = no topic
TONES = ("negative", "positive")
LANGUAGES = ("zh", "en")

#: ``COMMENTS[topic][tone][language]``: the texts a comment is drawn from (uniformly).
COMMENTS = {
    "优惠券": {
        "negative": {
            "zh": [
                "优惠券用不了",
                "满减券领了不能用",
                "优惠券到结算时就失效了",
                "领的优惠券一张都用不上",
                "满减规则太复杂，优惠券老是用不了",
            ],
            "en": [
                "coupon didn't apply at checkout",
                "the voucher expired before I could use it",
                "can't use the coupon I just claimed",
            ],
        },
        "positive": {
            "zh": ["优惠券很划算", "满减活动力度不错", "领优惠券很方便，省了不少钱"],
            "en": ["great coupon deals", "the voucher saved me a lot"],
        },
    },
    "支付": {
        "negative": {
            "zh": [
                "支付一直失败",
                "付款的时候卡住了",
                "付不了款，一直提示网络错误",
                "支付页面打不开",
            ],
            "en": [
                "payment failed twice",
                "the app won't let me pay",
                "payment page keeps loading",
            ],
        },
        "positive": {
            "zh": ["支付很快", "付款很方便"],
            "en": ["payment was quick and easy", "easy to pay"],
        },
    },
    "物流": {
        "negative": {
            "zh": ["物流太慢了", "快递一个星期还没到", "发货太慢，等了好多天"],
            "en": ["delivery took forever", "shipping is too slow"],
        },
        "positive": {
            "zh": ["物流很快", "快递第二天就到了", "发货速度很快"],
            "en": ["fast delivery", "shipping was quick"],
        },
    },
    "搜索": {
        "negative": {
            "zh": ["搜索结果不准确", "找不到想要的商品", "搜索半天都找不到"],
            "en": ["search results are useless", "search can't find what I want"],
        },
        "positive": {
            "zh": ["搜索很好用", "搜索结果很准"],
            "en": ["search works well", "search is fast"],
        },
    },
    None: {
        "negative": {
            "zh": ["太卡了", "经常闪退", "广告太多了", "界面不好用"],
            "en": ["the app keeps crashing", "too many ads", "the app is slow"],
        },
        "positive": {
            "zh": ["很好用", "东西不错", "体验很好，会推荐给朋友", "客服态度很好"],
            "en": ["love this app", "great experience", "nice products"],
        },
    },
}


def comment_vocabulary() -> tuple[list[str], list[int], list[int]]:
    """Every comment text in one list, and for each (topic code, tone, language) combination
    (index ``(topic * 2 + tone) * 2 + language``) where its texts start and how many there are.

    Examples
    --------
    >>> texts, start, count = comment_vocabulary()
    >>> texts[start[0]], count[0]  # no topic, negative, Chinese
    ('太卡了', 4)
    >>> texts[start[(1 * 2 + 0) * 2 + 1]]  # coupons, negative, English
    "coupon didn't apply at checkout"
    """
    texts, start, count = [], [], []
    for topic in TOPICS:
        for tone in TONES:
            for language in LANGUAGES:
                group = COMMENTS[topic][tone][language]
                start.append(len(texts))
                count.append(len(group))
                texts.extend(group)
    return texts, start, count


def topics_of(text: str) -> list[str]:
    """The topics whose keywords occur in ``text`` (case-insensitive substring match).

    >>> topics_of("coupon didn't apply at checkout"), topics_of("太卡了")
    (['优惠券'], [])
    """
    low = text.lower()
    return [name for name, (kws, _, _) in TOPIC_KEYWORDS.items() if any(k in low for k in kws)]

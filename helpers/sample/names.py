"""What the sample calls things, per language: event names, attribute values, headers, the project.

The simulation (:mod:`helpers.sample.simulation`) works on codes: an event is its index in
:data:`helpers.sample.personas.EVENT_NAMES`, a city its index in the city probabilities. The
writer (:mod:`helpers.sample.generator`) turns codes into these names, so a language changes
labels only: the same seed writes the same users, behaviour and numbers in every language.

``en`` is the sample as it has always been written. ``zh`` is a Chinese product: Chinese event
names, Chinese attribute values in ``users.csv``, and an app log whose header is Chinese
(``用户ID,事件,时间,设备,会话``), mapped in its ``persona.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpers.core.errors import ParameterError
from helpers.sample.checkout_drop import EXIT_EVENT
from helpers.sample.personas import EVENT_NAMES, PASSIVE_EVENTS, VARIANT_FORMS, variant_spelling
from helpers.sample.plants import BETA_EVENT

LANGUAGES = ("en", "zh")

#: Canonical fields of the app log (user id, epoch-ms time, event name, device, session id), in
#: the order persona.yaml maps them.
APP_FIELDS = ("user_id", "event_time", "event_name", "platform", "session_id")


@dataclass(frozen=True)
class SampleNames:
    """Every label the sample writes in one language (tuples in the simulation's code order)."""

    language: str
    project: str  #: ``name:`` of the written persona.yaml
    events: tuple[str, ...]  #: order of ``personas.EVENT_NAMES``
    variant_forms: tuple[str, ...]  #: raw spellings planted as defects (``variant_spelling``)
    app_columns: tuple[tuple[str, str], ...]  #: (field, header) of app_events.csv.gz, file order
    devices: tuple[str, ...]  #: app log device: android, ios
    cities: tuple[str, ...]
    channels: tuple[str, ...]  #: organic, search ads, social, referral, app store
    genders: tuple[str, ...]  #: female, male, other
    platforms: tuple[str, ...]  #: users.csv platform: ios, android, web
    plans: tuple[str, ...]  #: free, plus
    beta_event: str  #: the beta feature's event (``helpers.sample.plants.BETA_EVENT``)
    exit_event: str  #: the failed checkout's last event (``helpers.sample.checkout_drop``)

    @property
    def coupon_event(self) -> str:
        """The coupon event in this language (``personas.coupon_event`` of persona.yaml)."""
        return self.events[EVENT_NAMES.index("coupon_view")]

    @property
    def passive_events(self) -> tuple[str, ...]:
        """The passive events (push received, email opened) in this language."""
        return tuple(self.events[EVENT_NAMES.index(e)] for e in PASSIVE_EVENTS)

    @property
    def vocabulary(self) -> list[str]:
        """Raw event names by code: the names, then each name's variant spellings in turn, then
        the beta event (code ``helpers.sample.plants.BETA_CODE``) and the failed checkout's exit
        event (``helpers.sample.checkout_drop.EXIT_CODE``)."""
        return (
            list(self.events)
            + [variant_spelling(n, f) for n in self.events for f in self.variant_forms]
            + [self.beta_event, self.exit_event]
        )

    @property
    def app_column(self) -> dict[str, str]:
        """Header of each app-log field (:data:`APP_FIELDS`)."""
        return dict(self.app_columns)


EN = SampleNames(
    language="en",
    project="Sample shop",
    events=EVENT_NAMES,
    variant_forms=VARIANT_FORMS,
    app_columns=(
        ("user_id", "uid"),
        ("event_time", "ts_ms"),
        ("event_name", "action"),
        ("platform", "device"),
        ("session_id", "session"),
    ),
    devices=("android", "ios"),
    cities=(
        "Shanghai",
        "Beijing",
        "Shenzhen",
        "Guangzhou",
        "Hangzhou",
        "Chengdu",
        "Wuhan",
        "Nanjing",
        "Xi'an",
        "Chongqing",
    ),
    channels=("organic", "search_ads", "social", "referral", "app_store"),
    genders=("female", "male", "other"),
    platforms=("ios", "android", "web"),
    plans=("free", "plus"),
    beta_event=BETA_EVENT,
    exit_event=EXIT_EVENT,
)

_ZH_EVENTS = {
    "session_start": "启动应用",
    "view_item": "浏览商品",
    "search": "搜索",
    "add_to_cart": "加入购物车",
    "checkout_start": "提交订单",
    "wishlist": "收藏",
    "coupon_view": "领取优惠券",
    "share": "分享",
    "review": "发表评价",
    "push_received": "收到推送",
    "email_open": "打开邮件",
}

ZH = SampleNames(
    language="zh",
    project="示例商城",
    events=tuple(_ZH_EVENTS[e] for e in EVENT_NAMES),
    # Chinese has no case: the planted variants differ in surrounding spaces only
    variant_forms=("leading", "padded", "trailing", "double_trailing"),
    # event name before time, as Chinese analytics exports usually list them
    app_columns=(
        ("user_id", "用户ID"),
        ("event_name", "事件"),
        ("event_time", "时间"),
        ("platform", "设备"),
        ("session_id", "会话"),
    ),
    devices=("Android", "iOS"),
    cities=("上海", "北京", "深圳", "广州", "杭州", "成都", "武汉", "南京", "西安", "重庆"),
    channels=("自然流量", "搜索广告", "抖音广告", "微信分享", "应用商店"),
    genders=("女", "男", "其他"),
    platforms=("iOS", "Android", "Web"),
    plans=("免费版", "会员"),
    beta_event="观看直播",
    exit_event="支付失败",
)

_BY_LANGUAGE = {"en": EN, "zh": ZH}


def sample_names(language: str) -> SampleNames:
    """The labels of the sample in ``language`` (one of :data:`LANGUAGES`).

    Examples
    --------
    >>> sample_names("zh").passive_events
    ('收到推送', '打开邮件')
    >>> sample_names("en").app_column["event_name"]
    'action'
    """
    if language not in _BY_LANGUAGE:
        raise ParameterError(
            f"The value for `language` must be one of {list(LANGUAGES)}, but {language!r} "
            "was passed."
        )
    return _BY_LANGUAGE[language]

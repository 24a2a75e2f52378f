"""Canonical table and column names, in one place (STYLE.md rule 10).

Sources are mapped onto these names by ``helpers.data.sources``; every other module refers to columns
through these constants, never through scattered string literals.
"""

# --- canonical columns -------------------------------------------------------------------------
USER_ID = "user_id"
ANONYMOUS_ID = "anonymous_id"
EVENT_TIME = "event_time"
EVENT_NAME = "event_name"
SESSION_ID = "session_id"
PLATFORM = "platform"
REVENUE = "revenue"

ORDER_ID = "order_id"
ORDER_TIME = "order_time"
AMOUNT = "amount"

SIGNUP_TIME = "signup_time"

EXPERIMENT = "experiment"
VARIANT = "variant"
ASSIGNED_AT = "assigned_at"
# campaigns: contacts of CRM campaigns (who was sent what, when, and who was held out)
CAMPAIGN = "campaign"
SENT_AT = "sent_at"
GROUP = "group"  # treat | holdout
SENT_DAY = "sent_day"  # the local day of sent_at, added by the cleaning
# feedback: ratings, NPS answers, complaints and comments from surveys and customer service
FEEDBACK_TIME = "feedback_time"
RATING = "rating"  # satisfaction, 1-5
NPS = "nps"  # likelihood to recommend, 0-10
CATEGORY = "category"  # e.g. complaint, suggestion, praise, or a topic
TEXT = "text"  # the comment
CHANNEL = "channel"  # survey, app_store, customer_service, ...

# bookkeeping columns added while cleaning
SOURCE = "source"  # which configured source a row came from (e.g. "events[0]:app_events")
DAY = "day"  # calendar date in the business timezone

# --- canonical tables ----------------------------------------------------------------------------
TABLES = {
    "events": {
        "required": [USER_ID, EVENT_TIME, EVENT_NAME],
        "optional": [ANONYMOUS_ID, SESSION_ID, PLATFORM, REVENUE],
    },
    "orders": {"required": [USER_ID, ORDER_TIME, AMOUNT], "optional": [ORDER_ID]},
    "users": {"required": [USER_ID], "optional": [SIGNUP_TIME]},
    "identities": {"required": [ANONYMOUS_ID, USER_ID], "optional": []},
    "assignments": {"required": [USER_ID, EXPERIMENT, VARIANT], "optional": [ASSIGNED_AT]},
    "campaigns": {
        "required": [USER_ID, CAMPAIGN, SENT_AT],
        "optional": [GROUP],
    },  # held-out rows may lack sent_at
    "feedback": {
        "required": [USER_ID, FEEDBACK_TIME],
        "optional": [RATING, NPS, CATEGORY, TEXT, CHANNEL],
    },
}
TIME_COLUMNS = {
    "events": EVENT_TIME,
    "orders": ORDER_TIME,
    "users": SIGNUP_TIME,
    "assignments": ASSIGNED_AT,
    "campaigns": SENT_AT,
    "feedback": FEEDBACK_TIME,
}
# events may carry anonymous_id instead of user_id (stitched later)
ID_ALTERNATIVES = {"events": [USER_ID, ANONYMOUS_ID]}

# orders become activity: each kept order is an event with this name
ORDER_EVENT = "order"

# --- user_day: one row per user per day with any kept event ---------------------------------------
UD_EVENTS = "events"  # all kept events that day (passive included)
UD_ACTIVE_EVENTS = "active_events"  # events that make a user active (config activity.*)
UD_ORDERS = "orders"  # purchases that day (amount >= 0; refunds excluded)
UD_REVENUE = "revenue"  # sum of purchase amounts that day (refunds excluded)
UD_REFUNDS = "refunds"  # refund rows that day (amount < 0), kept for the record
EVENT_COUNT_PREFIX = "ev_"  # ev_<event_name>: per-event-name counts that day
USER_DAY_BASE_COLUMNS = [
    USER_ID,
    DAY,
    UD_EVENTS,
    UD_ACTIVE_EVENTS,
    UD_ORDERS,
    UD_REVENUE,
    UD_REFUNDS,
]

# --- user feature table (DESIGN.md, artifacts/user_features.parquet) -----------------------------
FIRST_ACTIVE = "first_active"
LAST_ACTIVE = "last_active"
DAYS_SINCE_ACTIVE = "days_since_active"
ACTIVE_DAYS_7 = "active_days_7"
ACTIVE_DAYS_28 = "active_days_28"
ACTIVE_DAYS_90 = "active_days_90"
EVENTS_28 = "events_28"
FREQUENCY = "frequency"
RECENCY = "recency"
T = "T"
MONETARY_VALUE = "monetary_value"
RECENCY_DAYS = "recency_days"
TENURE_DAYS = "tenure_days"
PERSONA = "persona"
CHURN_RISK_30D = "churn_risk_30d"
RISK_BAND = "risk_band"


def event_count_column(event_name: str) -> str:
    """Column name of the per-event-name count in ``user_day``.

    Non-alphanumeric characters become ``_`` so the name is a valid identifier everywhere.

    Examples
    --------
    >>> event_count_column("add_to_cart")
    'ev_add_to_cart'
    >>> event_count_column("page view")
    'ev_page_view'
    """
    safe = "".join(ch if ch.isalnum() else "_" for ch in event_name.strip().lower())
    return EVENT_COUNT_PREFIX + safe

"""Values the kit itself writes into its tables (English), shown in the report language.

The analysis layer names things in English where the name is also an identifier in the
artifacts (``rfm_segment`` of ``rfm.csv``, ``persona_name`` "all users", the descriptions of the
default tag library): the artifacts keep the English, and a table cell holding exactly such a
value shows the message ``value.<English>`` (:func:`helpers.display.labels.value_text`).
"""

#: RFM segment names of the three segment maps (helpers.analysis.segments.rfm)
_RFM = [
    "Champions",
    "Loyal Customers",
    "Potential Loyalists",
    "Potential Loyalist",
    "New Customers",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "About To Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
]

#: descriptions of the default tag library (helpers.analysis.segments.tags.DEFAULT_TAGS)
_TAGS = [
    "First active or signed up within the last 28 days.",
    "With us for a year or more.",
    "Active at least once in the last 7 days.",
    "Active on 15 or more of the last 28 days.",
    "Active on 1 to 3 of the last 28 days.",
    "Top 10% by events per active day over the last 28 days.",
    "Last active 8 to 28 days ago: slipping away.",
    "No activity for more than 28 days.",
    "Active on 4+ of the last 28 days but has never bought.",
    "Bought on exactly one day so far.",
    "Bought on two or more days.",
    "Top 10% of users by total revenue (among the users evaluated).",
    "Top 10% of buyers by average order value.",
    "Bought before, but not in the last 60 days.",
]

#: persona_name of scored users without a persona (helpers.analysis.churn.stake)
_GROUPS = ["all users", "(no persona)"]

#: the kit's own event names: orders as activity, and the bucket of rare events
_EVENTS = ["order", "other"]

#: names of the default tag library (identifiers in personas.csv, words on the page)
_TAG_NAMES = [
    "new_user",
    "veteran",
    "active_this_week",
    "high_activity",
    "light_activity",
    "intense_days",
    "dormant_risk",
    "dormant",
    "browser_not_buyer",
    "first_time_buyer",
    "repeat_buyer",
    "big_spender",
    "high_aov",
    "lapsed_buyer",
]

MESSAGES = {f"value.{v}": v for v in [*_RFM, *_TAGS, *_GROUPS, *_EVENTS, *_TAG_NAMES]}

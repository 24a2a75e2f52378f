"""Values the kit itself writes into its tables (English), shown in the report language.

The analysis layer names things in English where the name is also an identifier in the
artifacts (``rfm_segment`` of ``rfm.csv``, ``persona_name`` "all users", the descriptions,
actions, owners and channels of the default tag library): the artifacts keep the English, and
a table cell holding exactly such a value shows the message ``value.<English>``
(:func:`helpers.display.labels.value_text`).
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
    "Used a feature launched in the last 8 weeks during the last 28 days.",
    "Active on 8+ of the last 28 days but has never paid.",
    "With us 90+ days, active on 12+ of the last 28 days and bought on 3+ days.",
]

#: actions of the default tag library
_TAG_ACTIONS = [
    "Guide them to a first purchase with an onboarding series.",
    "Thank them with an anniversary reward.",
    "Show them this week's new arrivals and events on the home page.",
    "Ask them to rate the app and share it with friends.",
    "Send a weekly digest of picks for them to bring them back more often.",
    "Invite them to user research and ask what slows them down.",
    "Send a come-back push with what is new since their last visit.",
    "Send a win-back text message with a time-limited offer.",
    "Send a price-drop alert on the items they viewed.",
    "Invite them to feature betas and ask for their feedback.",
    "Send a second-order coupon within a week of the first order.",
    "Enrol them in the loyalty points programme.",
    "Give them a VIP service contact and early access to new products.",
    "Recommend premium items and bundles to them.",
    "Send a restock reminder with a time-limited coupon.",
    "Send a first-order coupon.",
    "Invite them to the community and the referral programme.",
]

#: owners of the default tag library's actions (and of the sample's action plan)
_OWNERS = ["CRM team", "Product team", "Growth team", "Community team"]

#: channels of the tag library as written in tags: (lower case, `_` for spaces and dashes)
_CHANNELS = {
    "push": "push",
    "sms": "SMS",
    "email": "email",
    "coupon": "coupon",
    "in_app": "in-app",
}

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
    "early_adopter",
    "potential_payer",
    "loyal_fan",
]

MESSAGES = {
    **{
        f"value.{v}": v
        for v in [*_RFM, *_TAGS, *_GROUPS, *_EVENTS, *_TAG_NAMES, *_TAG_ACTIONS, *_OWNERS]
    },
    **{f"value.{k}": v for k, v in _CHANNELS.items()},
}

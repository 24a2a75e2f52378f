"""The feedback part of the pain-point report (English): satisfaction, NPS and complaints per
persona, topics with quotes, the pain-point matrix and its actions
(:mod:`helpers.sections.feedback`, :mod:`helpers.plots.feedback`)."""

MESSAGES = {
    # names
    "feedback.all": "All respondents",
    "feedback.small_mark": "{segment} (few responses)",
    "feedback.interval.rating": "{low:number.2} to {high:number.2}",
    "feedback.interval.nps": "{low:number.0} to {high:number.0}",
    "feedback.interval.share": "{low:share} to {high:share}",
    "feedback.owner": "Owner: {owner}.",
    "feedback.no_owner": "No owner yet: name one under owners: in persona.yaml (key pain_point).",
    "feedback.needs.month": (
        "No feedback response in the month: satisfaction, NPS, topics and pain points need the "
        "month's feedback."
    ),
    # the summary: satisfaction, NPS and complaint rate per persona
    "feedback.summary.lead": "In {month:month}, {responses:count} responses from {users:count} users",
    "feedback.summary.satisfaction": (
        "satisfaction {value:number.2} of 5 (95% CI {low:number.2} to {high:number.2})"
    ),
    "feedback.summary.nps": "NPS {value:number.0} (95% CI {low:number.0} to {high:number.0})",
    "feedback.summary.complaints": (
        "complaint rate {value:share} (95% CI {low:share} to {high:share})"
    ),
    "feedback.summary.overall": "{lead}: {clauses}.",
    "feedback.summary.overall_bare": "{lead}.",
    "feedback.summary.lowest": (
        "{persona} has the lowest NPS, {nps:number.0} (95% CI {low:number.0} to "
        "{high:number.0}), {gap:number.0} points below the other personas' {others:number.0} "
        "(95% CI of the gap {gap_low:number.0} to {gap_high:number.0}): its users are the most "
        "likely to warn others off."
    ),
    "feedback.summary.lowest.pain": "Fix its top pain point first: {topic} (below).",
    "feedback.summary.lowest.no_pain": (
        "No topic stands out as its pain point yet: read its detractors' comments to find what "
        "drives them away."
    ),
    "feedback.summary.no_difference": (
        "NPS does not differ clearly between the personas: the lowest, {persona} at "
        "{nps:number.0}, is within the noise of the others' {others:number.0} (difference "
        "{diff:number.0} points, 95% CI {low:number.0} to {high:number.0})."
    ),
    "feedback.summary.too_few": (
        "Fewer than two personas have {min:count} or more NPS answers this month, so NPS is not "
        "compared between personas."
    ),
    "feedback.summary.no_nps": "The feedback has no NPS answer this month.",
    "feedback.summary.caption": (
        "Per persona in {month:month}, with 95% intervals: satisfaction (mean rating, "
        "t-interval), NPS (promoters minus detractors, normal interval), complaint rate and "
        "CSAT (Wilson). Personas with fewer than {min:count} responses are marked and never "
        "ranked."
    ),
    "feedback.summary.unmapped.one": (
        "{n:count} response came from a user without a persona this month and is left out of "
        "the per-persona figures."
    ),
    "feedback.summary.unmapped.other": (
        "{n:count} responses came from users without a persona this month and are left out of "
        "the per-persona figures."
    ),
    "feedback.summary.details": "NPS answers by class, CSAT and the trend over the months",
    "feedback.summary.classes_caption": "Promoters, passives and detractors per persona",
    "feedback.trend.caption": "All responses per month",
    # topics
    "feedback.topics.source.category": (
        "Topics come from the feedback's category ({n:count} responses of the month have one)."
    ),
    "feedback.topics.source.text": (
        "Topics are the keywords of feedback.topics found in the texts of {n:count} responses "
        "(Chinese segmented with jieba); {none:share} of them mention no topic: add keywords for "
        "what they talk about."
    ),
    "feedback.topics.unconfigured": (
        "No topic is configured and the feedback has no category: add keyword topics to "
        "persona.yaml, such as feedback: {{topics: {{coupons: [优惠券, 券, coupon]}}}}."
    ),
    "feedback.topics.no_mentions": "No response of {month:month} mentions a configured topic.",
    "feedback.topics.finding": (
        "{topic} draws the most complaints: {rate:share} of its {n:count} mentions are "
        "complaints (mean rating {rating:number.1} of 5): read its quotes below and fix what "
        "they name."
    ),
    "feedback.topics.finding_plain": (
        "{topic} comes up most: {n:count} mentions ({share:share} of the responses that could "
        "mention a topic)."
    ),
    "feedback.topics.caption": "Topics in {month:month}, most mentioned first",
    "feedback.topics.quotes": "{topic}: what users wrote (lowest rated first)",
    "feedback.topics.by_segment": "Topics per persona",
    # the pain-point matrix
    "feedback.pain.lead": (
        "For each persona and topic: how much the persona uses the topic's feature (the share "
        "of its active users who did the event in the month, against everyone) and how it rates "
        "the feedback that mentions the topic against its other feedback. Pain score = usage "
        "index × rating gap; a topic without events ranks by its gap alone. A topic is ranked "
        "for a persona with {min:count} mentions or more, and named its pain point when the 95% "
        "interval of the gap lies above 0."
    ),
    "feedback.pain.heavy.rating": (
        "{persona} use {topic} more than average ({share:share} of them, {index:number.1}× "
        "the average) and rate {topic} feedback lower than their other feedback "
        "({topic_rating:number.1} of 5 vs {other_rating:number.1}): fix the {topic} experience "
        "for them."
    ),
    "feedback.pain.usage.rating": (
        "{share:share} of {persona} use {topic} ({index:number.1}× the average) and they rate "
        "{topic} feedback lower than their other feedback ({topic_rating:number.1} of 5 vs "
        "{other_rating:number.1}): fix the {topic} experience for them."
    ),
    "feedback.pain.plain.rating": (
        "{persona} rate {topic} feedback lower than their other feedback "
        "({topic_rating:number.1} of 5 vs {other_rating:number.1}, {mentions:count} mentions): "
        "fix the {topic} experience for them."
    ),
    "feedback.pain.heavy.complaint": (
        "{persona} use {topic} more than average ({share:share} of them, {index:number.1}× "
        "the average) and complain about it more often than in their other feedback "
        "({topic_rate:share} of its mentions are complaints vs {other_rate:share}): fix the "
        "{topic} experience for them."
    ),
    "feedback.pain.usage.complaint": (
        "{share:share} of {persona} use {topic} ({index:number.1}× the average) and they "
        "complain about it more often than in their other feedback ({topic_rate:share} of its "
        "mentions are complaints vs {other_rate:share}): fix the {topic} experience for them."
    ),
    "feedback.pain.plain.complaint": (
        "{persona} complain about {topic} more often than in their other feedback "
        "({topic_rate:share} of its {mentions:count} mentions are complaints vs "
        "{other_rate:share}): fix the {topic} experience for them."
    ),
    "feedback.pain.noise.rating": (
        "The gap is within the noise (95% CI {low:number.1} to {high:number.1} points): confirm "
        "it with more feedback before a large fix."
    ),
    "feedback.pain.noise.complaint": (
        "The gap is within the noise (95% CI {low:pp} to {high:pp}): confirm it with more "
        "feedback before a large fix."
    ),
    "feedback.pain.none_for": (
        "No pain point stands out for {personas}: no topic with {min:count} or more mentions is "
        "rated clearly below their other feedback (the 95% interval of the gap above 0)."
    ),
    "feedback.pain.too_few_for": (
        "Too few responses this month to rank pain points for {personas} (fewer than {min:count})."
    ),
    "feedback.pain.no_topics": (
        "No topic to rank: configure feedback.topics in persona.yaml (keywords, and the events "
        "of each feature)."
    ),
    "feedback.pain.no_usage": (
        "Feature usage is not measured here (list each topic's events in feedback.topics): "
        "topics rank by their rating gap alone."
    ),
    "feedback.pain.missing_events": (
        "The events {events} of feedback.topics are not in the data: check their names."
    ),
    "feedback.pain.matrix_caption.rating": (
        "Rating gap per persona and topic: rating points below the persona's other feedback "
        "(– = not ranked: fewer than {min:count} mentions)"
    ),
    "feedback.pain.matrix_caption.complaint": (
        "Complaint gap per persona and topic: the topic's complaint rate above the persona's "
        "other feedback (– = not ranked: fewer than {min:count} mentions)"
    ),
    "feedback.pain.details": "Every persona and topic of the matrix",
    "feedback.pain.title": "Pain points",
    # the action plan (actions.csv, source pain_point)
    "feedback.plan.action": (
        "Fix the {topic} experience for {persona}: read their {topic} feedback and fix what it "
        "names"
    ),
    # no feedback source
    "feedback.none": (
        "No feedback source: this section needs sources.feedback, an export of survey answers "
        "or service tickets with user_id and feedback_time plus any of rating (1-5), nps "
        "(0-10), category, text and channel. It would add satisfaction, NPS and complaint rate "
        "per persona with their intervals, the topics users write about with quotes, and the "
        "pain-point matrix: features a persona uses heavily but rates poorly, each an action "
        "with an owner."
    ),
    "feedback.none.example": "For example, in persona.yaml:",
    "feedback.none.source": (
        "sources: {{feedback: {{path: exports/feedback.csv, columns: {{user_id: uid, "
        "feedback_time: created_at, rating: stars, nps: nps, text: comment}}}}}}"
    ),
    "feedback.none.topics": (
        "feedback: {{topics: {{coupons: {{keywords: [优惠券, 券, coupon], events: "
        "[coupon_view], labels: {{en: Coupons, zh: 优惠券}}}}}}}}"
    ),
    # charts
    "feedback.plot.matrix.title": "Pain points: rating gap per persona and topic",
    "feedback.plot.matrix.colorbar.rating": "Rating points below the persona's other feedback",
    "feedback.plot.matrix.colorbar.complaint": (
        "Complaint rate above the persona's other feedback (points)"
    ),
    "feedback.plot.nps.title": "NPS per persona, with 95% intervals",
    "feedback.plot.nps.axis": "NPS (points, -100 to 100)",
    "feedback.plot.nps.all": "All respondents: {nps:number.0}",
    # NPS categories (user_nps)
    "value.promoter": "promoter",
    "value.passive": "passive",
    "value.detractor": "detractor",
}

# column name -> (label, kind)
COLUMNS = {
    "responses": ("Responses", "count"),
    "satisfaction": ("Satisfaction (1-5)", "number"),
    "satisfaction_ci": ("Satisfaction, 95% CI", "text"),
    "csat": ("CSAT (rated 4-5)", "share"),
    "csat_ci": ("CSAT, 95% CI", "text"),
    "nps": ("NPS", "number"),
    "nps_ci": ("NPS, 95% CI", "text"),
    "nps_responses": ("NPS answers", "count"),
    "promoters": ("Promoters (9-10)", "share"),
    "passives": ("Passives (7-8)", "share"),
    "detractors": ("Detractors (0-6)", "share"),
    "complaint_rate": ("Complaint rate", "share"),
    "complaint_ci": ("Complaint rate, 95% CI", "text"),
    "complaints": ("Complaints", "count"),
    "nps_category": ("NPS category", "text"),
    "detractor": ("Detractor (NPS 0-6)", "bool"),
    "topic": ("Topic", "text"),
    "mentions": ("Mentions", "count"),
    "mention_share": ("Share of responses", "share"),
    "mean_rating": ("Mean rating (1-5)", "number"),
    "feature_share": ("Users of the feature", "share"),
    "usage_index": ("Usage vs everyone (×)", "ratio"),
    "topic_rating": ("Rating of the topic's feedback", "number"),
    "other_rating": ("Rating of other feedback", "number"),
    "rating_gap": ("Rating gap (points)", "number"),
    "pain_score": ("Pain score", "number"),
    "pain_rank": ("Rank", "count"),
}

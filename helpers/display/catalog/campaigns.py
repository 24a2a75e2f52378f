"""Campaign readouts in the monthly review ("did last month's actions work?") and their rows of
the action plan (English)."""

MESSAGES = {
    # the section
    "campaigns.none": (
        "No campaign to read out: the project has no campaign contacts. A campaign source "
        "(`sources.campaigns`: the contacts a CRM exports, with user_id, campaign, sent_at and "
        "group) or audiences exported with `persona-kit audience … --holdout 0.1` would show "
        "here, each month, whether last month's campaigns brought users back against a holdout, "
        "and whether to keep, scale or stop them."
    ),
    "campaigns.none_this_month.one": (
        "No campaign was sent in {month:month} (the {n:count} campaign in the contacts was sent "
        "in another month). Export next month's audiences with a holdout "
        "(`persona-kit audience … --holdout 0.1`) so the next review can read them out."
    ),
    "campaigns.none_this_month.other": (
        "No campaign was sent in {month:month} (the {n:count} campaigns in the contacts were "
        "sent in other months). Export next month's audiences with a holdout "
        "(`persona-kit audience … --holdout 0.1`) so the next review can read them out."
    ),
    "campaigns.lead.one": (
        "{n:count} campaign went out in {month:month}, read out against its holdout from the "
        "send day to the month's end (intent-to-treat: every contact counts in the group it was "
        "assigned, reached or not)."
    ),
    "campaigns.lead.other": (
        "{n:count} campaigns went out in {month:month}, each read out against its holdout from "
        "the send day to the month's end (intent-to-treat: every contact counts in the group it "
        "was assigned, reached or not)."
    ),
    "campaigns.sentence": (
        "{campaign} ({audience}, sent {sent:date}): {treat:share} of the {treat_users:count} "
        "contacted users were active again against {holdout:share} of the {holdout_users:count} "
        "held out, {lift:pp} (95% CI {low:pp} to {high:pp}, p {p:pvalue}). Decision: {decision}."
    ),
    "campaigns.sentence.not_read": "{campaign} ({audience}, sent {sent:date}): {reason}",
    "campaigns.reason.no_holdout": (
        "not read out: all {treat_users:count} contacts were sent the campaign and none was held "
        "out, so nothing shows what they would have done anyway. Hold out 10% next time."
    ),
    "campaigns.reason.too_small": (
        "not read out: {treat_users:count} contacted and {holdout_users:count} held out; each "
        "group needs at least two users."
    ),
    "campaigns.reason.srm": (
        "not read out: {holdout_users:count} of {users:count} contacts were held out "
        "({observed:share}) where {planned:share} was planned (p {p:pvalue}); check how the CRM "
        "drew the holdout before trusting any lift."
    ),
    "campaigns.file_changed": (
        "The audience file of {campaign} ({file}) changed after it was exported; the readout uses "
        "the file as it is now."
    ),
    "campaigns.decision.scale": "scale",
    "campaigns.decision.keep": "keep",
    "campaigns.decision.stop": "stop",
    "campaigns.decision.not_read": "not read out",
    "campaigns.metric.reactivation": "active again (reactivation)",
    "campaigns.metric.conversion": "bought (conversion)",
    "campaigns.metric.revenue_per_user": "revenue per contact",
    "campaigns.audience.tag": "tag {tag}",
    "campaigns.audience.persona": "persona {persona}",
    "campaigns.audience.at_risk": "at-risk users",
    "campaigns.audience.at_risk_persona": "at-risk users of persona {persona}",
    "campaigns.audience.contacts": "{users:count} contacts",
    "campaigns.audience.mostly": "{users:count} contacts, mostly {persona}",
    "campaigns.lift_ci": "{lift:pp} ({low:pp} to {high:pp})",
    "campaigns.table.caption": "Campaigns read out in {month:month}: reactivation, treat against holdout.",
    "campaigns.metrics.summary": "Every metric of every campaign",
    "campaigns.metrics.caption": (
        "Reactivation, conversion and revenue per contact over each campaign's window, treat "
        "minus holdout with a 95% Welch interval (as the A/B readouts). Written to campaigns.csv."
    ),
    "campaigns.persona.summary": "Reactivation per persona",
    "campaigns.persona.caption": (
        "The lift in reactivation per persona of the month the audience was chosen in (personas "
        "with at least two users in each group). Small groups give wide intervals."
    ),
    "campaigns.note": (
        "Decision rule: scale when the whole 95% interval of the reactivation lift lies above 0 "
        "(and revenue per contact is not significantly lower); keep (run it again with a holdout) "
        "when the lift is positive but the interval still includes 0; stop when the lift is 0 or "
        "below. A campaign with no holdout, or whose holdout share is far from the planned one "
        "(sample-ratio check, p < 0.001), is not read out."
    ),
    # the review's three things
    "campaigns.thing": (
        "{campaign} (sent to {audience} on {sent:date}): {lift:pp} active again against its "
        "holdout (95% CI {low:pp} to {high:pp}); {decision}."
    ),
    "campaigns.thing.not_read": "{campaign} (sent on {sent:date}) could not be read out: {why}.",
    "campaigns.thing.why.no_holdout": "it had no holdout",
    "campaigns.thing.why.too_small": "too few users in a group",
    "campaigns.thing.why.srm": "its holdout share is not the planned one",
    # rows of the action plan (source = campaign)
    "campaigns.plan.scale": (
        "Scale {campaign}: send it to this month's users like its audience ({audience}), "
        "keeping a {share:share} holdout."
    ),
    "campaigns.plan.keep": (
        "Run {campaign} again with a holdout: its lift is not proven yet (this test could only "
        "detect {mde:pp} or more)."
    ),
    "campaigns.plan.stop": "Stop {campaign}: it brought no one back; try another offer or channel.",
    "campaigns.plan.no_holdout": (
        "Give {campaign} a holdout next time (`persona-kit audience … --holdout 0.1`): without "
        "one it cannot be read out."
    ),
    "campaigns.plan.srm": "Check how {campaign}'s holdout was drawn before sending it again.",
    "campaigns.plan.why": (
        "Reactivation {treat:share} against {holdout:share} in the holdout: {lift:pp} "
        "(95% CI {low:pp} to {high:pp}), {users:count} contacts (campaign readout, "
        "06_persona_review)."
    ),
    "campaigns.plan.why.not_read": "{reason} (campaign readout, 06_persona_review).",
    "campaigns.plan.impact": (
        "≈ {users:count} more users active a month at the measured lift "
        "({lift:pp} of {audience:count} contacts)"
    ),
}

COLUMNS = {
    "campaign": ("Campaign", "text"),
    "campaign_audience": ("Audience", "text"),
    "sent_on": ("Sent", "date"),
    "window_end": ("Read until", "date"),
    "treat_users": ("Contacted", "count"),
    "holdout_users": ("Held out", "count"),
    "treat_mean": ("Contacted: rate or value", "number"),
    "holdout_mean": ("Held out: rate or value", "number"),
    "treat_rate": ("Active again, contacted", "share"),
    "holdout_rate": ("Active again, held out", "share"),
    "lift_abs": ("Lift", "number"),
    "lift_pp": ("Lift", "pp"),
    "lift_ci_pp": ("Lift (95% CI)", "text"),
    "ci_low_pp": ("95% CI, low", "pp"),
    "ci_high_pp": ("95% CI, high", "pp"),
    "campaign_metric": ("Metric", "text"),
    "campaign_decision": ("Decision", "text"),
    "srm_p": ("Split check p", "pvalue"),
}

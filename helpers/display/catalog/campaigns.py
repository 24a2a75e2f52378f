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
        "send day to the month's end (intent-to-treat: every user counts in the group it was "
        "assigned, reached or not)."
    ),
    "campaigns.lead.other": (
        "{n:count} campaigns went out in {month:month}, each read out against its holdout from "
        "the send day to the month's end (intent-to-treat: every user counts in the group it "
        "was assigned, reached or not)."
    ),
    "campaigns.sentence": (
        "{campaign} ({audience}, sent {sent:date}): {treat:share} of the {treat_users:count} "
        "users sent it were active again against {holdout:share} of the {holdout_users:count} "
        "held out, {lift:pp} (95% CI {low:pp} to {high:pp}, p-value {p:pvalue})."
    ),
    "campaigns.sentence.decision": "Decision: {decision}.",
    "campaigns.split.log": (
        "Split: {held:count} of {users:count} held out ({observed:share}, planned "
        "{planned:share}, p-value {p:pvalue})."
    ),
    "campaigns.split.config": (
        "Split: {held:count} of {users:count} held out ({observed:share}; against the "
        "configured {planned:share}, p-value {p:pvalue})."
    ),
    "campaigns.sentence.not_read": "{campaign} ({audience}, sent {sent:date}): {reason}",
    "campaigns.reason.no_holdout": (
        "not read out: all {treat_users:count} users were sent the campaign and none was held "
        "out, so nothing shows what they would have done anyway."
    ),
    "campaigns.reason.too_small": (
        "not read out: {treat_users:count} sent and {holdout_users:count} held out; each group "
        "needs at least {min_users:count} users."
    ),
    "campaigns.reason.unmatched": (
        "not read out: only {known:share} of its {users:count} users are users the data knows "
        "(e.g. {example}); check that `sources.campaigns` maps the same user id as the events."
    ),
    "campaigns.reason.too_early": (
        "not read out yet: the data covers {days:count} day(s) since the send; it is read out "
        "when two weeks have passed."
    ),
    "campaigns.reason.no_variance": (
        "not read out: no user in either group did anything in the window, so no lift can be "
        "computed."
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
    "campaigns.decision.keep.revenue": (
        "{decision}: more users came back, but revenue per user fell significantly"
    ),
    "campaigns.metric.reactivation": "active again (reactivation)",
    "campaigns.metric.conversion": "bought (conversion)",
    "campaigns.metric.revenue_per_user": "revenue per user",
    "campaigns.audience.tag": "tag {tag}",
    "campaigns.audience.persona": "persona {persona}",
    "campaigns.audience.at_risk": "at-risk users",
    "campaigns.audience.users": "{users:count} users",
    "campaigns.audience.largest": "{users:count} users, {share:share} of them {persona}",
    "campaigns.lift_ci.rate": "{lift:pp} ({low:pp} to {high:pp})",
    "campaigns.lift_ci.money": "{lift:money+} ({low:money+} to {high:money+})",
    # problems in the contacts, each a note under the readout
    "campaigns.issue.both_groups": (
        "{users:count} user(s) of {campaign} are listed both as treated and as held out; they "
        "are left out of its readout."
    ),
    "campaigns.issue.span": (
        "{campaign}'s sends span {days:count} days: its window starts at the first send; give "
        "each send its own campaign name to read them apart."
    ),
    "campaigns.issue.missing_file": (
        "The campaign log names {file} for {campaign}, which does not exist; restore it to read "
        "the campaign out."
    ),
    "campaigns.issue.bad_file": (
        "The audience file {file} of {campaign} has no user_id and group columns; it was skipped."
    ),
    "campaigns.issue.bad_log_line": (
        "Line {line} of the campaign log {file} is not one campaign entry; it was skipped."
    ),
    "campaigns.issue.reach": (
        "{campaign}: the CRM's contacts show {reached:count} of the {treat:count} users assigned "
        "to receive it as sent ({share:share}); {held_sent:count} held-out user(s) were sent it "
        "anyway and {outside:count} user(s) outside the audience. The readout keeps the logged "
        "groups (intent-to-treat)."
    ),
    "campaigns.table.caption": "Campaigns read out in {month:month}: reactivation, treat against holdout.",
    "campaigns.metrics.summary": "Every metric of every campaign",
    "campaigns.metrics.caption": (
        "Reactivation, conversion and revenue per user over each campaign's window, treat "
        "minus holdout with a 95% Welch interval (as the A/B readouts). Written to campaigns.csv."
    ),
    "campaigns.persona.summary": "Reactivation per persona",
    "campaigns.persona.caption": (
        "The lift in reactivation per persona of the month the audience was chosen in (personas "
        "with at least two users in each group). Small groups give wide intervals."
    ),
    "campaigns.note": (
        "Decision rule: scale when the whole 95% interval of the reactivation lift lies above 0 "
        "and revenue per user is not significantly lower; stop when even the top of the "
        "interval is below {min_lift:pp}, the smallest lift worth sending for "
        "(campaigns.min_lift); otherwise keep: run it again with a holdout, as the test cannot "
        "tell yet. A campaign with no holdout, whose users the data does not know, whose split "
        "is far from the planned share (p < 0.001), or with fewer than {days:count} days of data "
        "since its send (campaigns.min_window_days) is not read out."
    ),
    # the review's three things
    "campaigns.thing": (
        "{campaign} (sent on {sent:date} to {audience}): {lift:pp} active again against its "
        "holdout (95% CI {low:pp} to {high:pp}); {decision}."
    ),
    "campaigns.thing.not_read": "{campaign} (sent on {sent:date}) could not be read out: {why}.",
    "campaigns.thing.why.no_holdout": "it had no holdout",
    "campaigns.thing.why.too_small": "too few users in a group",
    "campaigns.thing.why.srm": "its holdout share is not the planned one",
    "campaigns.thing.why.unmatched": "its user ids are not the events' ids",
    "campaigns.thing.why.too_early": "too few days since the send",
    "campaigns.thing.why.no_variance": "no one in it did anything",
    # rows of the action plan (source = campaign)
    "campaigns.plan.scale": (
        "Scale {campaign}: send it to this month's users who match its audience ({audience}), "
        "keeping a {share:share} holdout."
    ),
    "campaigns.plan.keep": (
        "Run {campaign} again with a holdout, to a larger audience if it can be: its lift is "
        "not proven yet (this test could only detect {mde:pp} or more)."
    ),
    "campaigns.plan.keep_revenue": (
        "Run {campaign} again with a holdout and a smaller discount: it brought users back, but "
        "revenue per user fell by {drop:money}."
    ),
    "campaigns.plan.stop": (
        "Stop {campaign}: it brought back no more users than its holdout (at best {high:pp}, "
        "below the {min_lift:pp} worth sending for); try another offer or channel."
    ),
    "campaigns.plan.no_holdout": (
        "Give {campaign} a holdout next time (`persona-kit audience … --holdout {share:number}`): "
        "without one it cannot be read out."
    ),
    "campaigns.plan.too_small": (
        "Hold out more users of {campaign} next time ({share:share} of a larger audience): its "
        "holdout was too small to read."
    ),
    "campaigns.plan.unmatched": (
        "Map the user id of the campaign contacts to the events' user id, then re-run the "
        "review to read {campaign} out."
    ),
    "campaigns.plan.later": "Read {campaign} out in next month's review.",
    "campaigns.plan.srm": "Check how {campaign}'s holdout was drawn before sending it again.",
    "campaigns.plan.why": (
        "Reactivation {treat:share} against {holdout:share} in the holdout: {lift:pp} "
        "(95% CI {low:pp} to {high:pp}), {users:count} users in the audience (campaign readout, "
        "07_persona_review)."
    ),
    "campaigns.plan.why.not_read": "{reason} (campaign readout, 07_persona_review).",
    "campaigns.plan.impact": (
        "≈ {users:count} more users active a month at the measured lift "
        "({lift:pp} of {audience:count} users)"
    ),
}

COLUMNS = {
    "campaign": ("Campaign", "text"),
    "campaign_audience": ("Audience", "text"),
    "sent_on": ("Sent on", "date"),
    "window_end": ("Read until", "date"),
    "treat_users": ("Sent", "count"),
    "holdout_users": ("Held out", "count"),
    "treat_rate": ("Active again, sent", "share"),
    "treat_value": ("Sent", "text"),
    "holdout_value": ("Held out", "text"),
    "holdout_rate": ("Active again, held out", "share"),
    "lift_abs": ("Lift", "number"),
    "lift_ci_pp": ("Lift (95% CI)", "text"),
    "campaign_metric": ("Metric", "text"),
    "campaign_decision": ("Decision", "text"),
    "srm_p": ("Split check p", "pvalue"),
}

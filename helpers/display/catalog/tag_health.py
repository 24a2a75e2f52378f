"""The tag-health block of 03_personas (English): which tags to fix, retire or look into
(:mod:`helpers.sections.tag_health`)."""

MESSAGES = {
    "tag_health.title": "Tag health",
    "tag_health.lead.none": (
        "Checked on the active users of {month:month} (no earlier month to compare with): "
        "a tag warns when it has no action or owner, fires for fewer than {min_share:share} or "
        "more than {max_share:share} of the active users, or its share moved by more than "
        "{drift:share.0} of an earlier month's share and by at least {points:share} of the active "
        "users."
    ),
    "tag_health.lead.one": (
        "Checked on the active users of {month:month} against the month before: "
        "a tag warns when it has no action or owner, fires for fewer than {min_share:share} or "
        "more than {max_share:share} of the active users, or its share moved by more than "
        "{drift:share.0} of an earlier month's share and by at least {points:share} of the active "
        "users."
    ),
    "tag_health.lead.other": (
        "Checked on the active users of {month:month} against the {earlier:count} months "
        "before: a tag warns when it has no action or owner, fires for fewer than {min_share:share} or "
        "more than {max_share:share} of the active users, or its share moved by more than "
        "{drift:share.0} of an earlier month's share and by at least {points:share} of the active "
        "users."
    ),
    "tag_health.warnings.one": "{n:count} tag-health warning",
    "tag_health.warnings.other": "{n:count} tag-health warnings",
    "tag_health.healthy.one": (
        "The tag has an action and an owner, fires for a usable share of the active users and "
        "held its coverage."
    ),
    "tag_health.healthy.other": (
        "All {n:count} tags have an action and an owner, fire for a usable share of the "
        "active users and held their coverage."
    ),
    "tag_health.no_active": (
        "No active user in {month:month}: tag health needs the month's active users."
    ),
    "tag_health.owner": "Owner: {owner}.",
    "tag_health.no_owner": "No owner yet: name one in tags:.",
    "tag_health.no_action.action": (
        "{tag} has no action: add one to its entry in tags: (action, channel), or retire the "
        "tag; a tag that drives no action is decoration."
    ),
    "tag_health.no_action.owner": (
        "{tag} has no owner: name the team that acts on its users (owner: in tags:)."
    ),
    "tag_health.no_action.action_owner": (
        "{tag} has no action and no owner: give it both in tags: (action, owner, channel), or "
        "retire the tag; a tag that drives no action is decoration."
    ),
    "tag_health.no_users.never.one": (
        "{tag} fired for no active user in {month:month}, nor in the month before: the data has "
        "not met its rule in any month read (check its thresholds against the history the data "
        "holds); fix the rule or retire the tag."
    ),
    "tag_health.no_users.never.other": (
        "{tag} fired for no active user in {month:month}, nor in any of the {earlier:count} "
        "months before: the data has not met its rule in any month read (check its thresholds "
        "against the history the data holds); fix the rule or retire the tag."
    ),
    "tag_health.no_users.now": (
        "{tag} fired for no active user in {month:month}: check its thresholds against the "
        "data; fix the rule or retire the tag."
    ),
    "tag_health.no_users.stopped": (
        "{tag} fired for no active user in {month:month}, after {previous_share:share} of them "
        "in {previous_month:month}: check the data its rule reads (a renamed event, a missing "
        "column) before retiring it."
    ),
    "tag_health.no_users.few.one": (
        "{tag} fired for only {users:count} active user ({share:share}) in {month:month}, "
        "below the {min_share:share} floor: too few to act on; widen the rule or retire the tag."
    ),
    "tag_health.no_users.few.other": (
        "{tag} fired for only {users:count} active users ({share:share}) in {month:month}, "
        "below the {min_share:share} floor: too few to act on; widen the rule or retire the tag."
    ),
    "tag_health.nearly_everyone": (
        "{tag} fired for {share:share} of the active users in {month:month}, above "
        "{max_share:share}: it tells no one apart; tighten the rule or retire the tag."
    ),
    "tag_health.drift.up": (
        "{tag} rose from {previous_share:share} of the active users in {previous_month:month} "
        "to {share:share} in {month:month}: find the cause (a launch, a campaign, a tracking "
        "change) before acting on the larger audience."
    ),
    "tag_health.drift.down": (
        "{tag} fell from {previous_share:share} of the active users in {previous_month:month} "
        "to {share:share} in {month:month}: check the tracking of the events its rule reads, "
        "and whether its thresholds still fit the users."
    ),
    "tag_health.details": "Coverage of every tag, month by month",
    "tag_health.coverage_caption": (
        "Share of each month's active users with the tag ({tags:count} tags; {months})."
    ),
    "tag_health.finding.one": "Tag health: {n:count} tag needs attention ({tags}).",
    "tag_health.finding.other": "Tag health: {n:count} tags need attention ({tags}).",
}

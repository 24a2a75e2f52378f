"""The funnels and paths of 05_pain_points (English): where users stall, where sessions end,
where users loop (:mod:`helpers.sections.pain_funnels`)."""

MESSAGES = {
    "pain.owner": "Owner: {owner}.",
    "pain.no_owner": (
        "No owner is set: add one under `owners:` in persona.yaml (key `funnel` or `pain_point`)."
    ),
    "pain.needs.events": (
        "Funnels and paths need an event log (`sources.events`); this project has orders only."
    ),
    "pain.needs.paths": "Paths need events in the month under review.",
    # the brief
    "pain.brief.completed": "Completed the {funnel} funnel",
    "pain.brief.entrants": "of {n:count} users who entered",
    "pain.brief.nps": "NPS this month",
    "pain.brief.responses": "{n:count} answers",
    "pain.brief.found": "Pain points found",
    "pain.brief.no_feedback": (
        "No feedback export is configured (`sources.feedback`): add one to see satisfaction, "
        "NPS and the features each persona rates poorly."
    ),
    "pain.brief.none": "No funnel, path or feedback finding this month.",
    # actions (the action list of the monthly review, source pain_point)
    "pain.action.funnel": (
        "Find out why users stop at {source} → {target} in the {funnel} funnel and fix that "
        "step; read its conversion again next month."
    ),
    "pain.action.funnel_platform": (
        "Fix {source} → {target} of the {funnel} funnel on {segment} (test the flow on "
        "{segment} devices first); read its conversion again next month."
    ),
    "pain.action.funnel_persona": (
        "Find out what stops {segment} at {source} → {target} in the {funnel} funnel and "
        "remove it; read their conversion again next month."
    ),
    "pain.action.path": (
        "Find and fix what triggers {event}: users leave right after it. Check its count "
        "again next month."
    ),
    # funnels
    "pain.funnel.title": "Funnel {funnel}: {steps}",
    "pain.funnel.no_entrants": (
        "No user started the {funnel} funnel this month (no {first} event): nothing to read."
    ),
    "pain.funnel.through": (
        "{entrants:count} users entered the {funnel} funnel this month with {first}; "
        "{share:share} of them reached {last} within {days:count} days."
    ),
    "pain.funnel.largest_drop": (
        "The largest drop-off is {source} → {target}: only {conversion:share} go on "
        "(95% interval {low:share}–{high:share}), {lost:count} users lost at that step."
    ),
    "pain.funnel.worst_platform": (
        "On {segment}, the largest drop-off is {source} → {target}: {conversion:share} "
        "({low:share}–{high:share}) against {other:share} on the other platforms. "
        "Look into that step on {segment} first."
    ),
    "pain.funnel.worst_persona": (
        "For {segment} the largest drop-off is {source} → {target}: {conversion:share} "
        "({low:share}–{high:share}) against {other:share} for the other personas."
    ),
    "pain.funnel.table_caption": (
        "Users who reached each step within {days:count} days of their first step this month, "
        "each user counted once at the furthest step; conversions with 95% Wilson intervals "
        "(of the conversion from the previous step)."
    ),
    "pain.funnel.by_platform": "The same per platform (the platform of most of a user's events).",
    "pain.funnel.by_persona": "The same per persona.",
    "pain.funnel.trend_caption": (
        "Users entering the funnel and the share completing it, month by month."
    ),
    "pain.funnel.details": "Per platform, per persona and month by month",
    "pain.funnel.none": (
        "No funnel is configured, so none is shown: a funnel is a product decision, and the kit "
        "never guesses one."
    ),
    "pain.funnel.none_example": (
        "Name the steps in persona.yaml, such as `funnels: {{checkout: {{steps: [view_item, "
        "add_to_cart, checkout_start, order], window_days: 7}}}}` (`order` is the orders table). "
        "The most common ordered transitions below are candidates for the steps."
    ),
    "pain.funnel.transitions_caption": (
        "The most common transitions from one event to the next within a session in "
        "{month:month} (passive events left out)."
    ),
    # paths
    "pain.paths.ends": "Sessions most often end with {event} ({share:share} of the month's sessions).",
    "pain.paths.problem.session_end": (
        "{event} comes among the last events of {exits:count} sessions ({share:share}): a "
        "problem event users leave on; fix what causes it."
    ),
    "pain.paths.problem.churn": (
        "{event} comes among the last events of {exits:count} users who churned this month "
        "({share:share} of them): a problem event users leave the product on."
    ),
    "pain.paths.no_problem": (
        "No error, payment-failure or support event comes before sessions end or before "
        "churned users' last activity."
    ),
    "pain.paths.loop": (
        "Users loop most on {event}: {users:count} users ({share:share}) repeated it "
        "{repeats:count} or more times in a row in a session."
    ),
    "pain.paths.empty": "No session starts in {month:month}: no paths to read.",
    "pain.paths.ends_caption": "Where sessions end: the last event of a session, per persona (top 5).",
    "pain.paths.exits_caption": (
        "Before users leave: events among the last {last:count} events of users who churned "
        "this month, per persona (top 5)."
    ),
    "pain.paths.loops_caption": (
        "Where users loop: the same event {repeats:count} or more times in a row, per persona "
        "(top 5)."
    ),
    "pain.paths.details": "Session ends, exits and loops per persona",
}

COLUMNS = {
    "nps_detractor": ("Detractor (NPS 0-6)", "bool"),
    "nps_other_responder": ("Answered NPS 7-10", "bool"),
    "funnel_segment": ("Segment", "text"),
    "funnel_step": ("Step", "text"),
    "funnel_users": ("Users", "count"),
    "conversion_from_start": ("From the first step", "share"),
    "conversion_from_previous": ("From the previous step", "share"),
    "conversion_ci": ("95% interval", "text"),
    "median_minutes_from_previous": ("Median minutes from the previous step", "number"),
    "funnel_entrants": ("Users entering", "count"),
    "funnel_completed_share": ("Completed", "share"),
    "transition": ("Transition", "text"),
    "transitions": ("Times", "count"),
    "transition_users": ("Users", "count"),
    "share_of_from": ("Share of the first event's transitions", "share"),
    "path_segment": ("Persona", "text"),
    "path_event": ("Event", "text"),
    "path_sessions": ("Sessions", "count"),
    "path_exits": ("Users", "count"),
    "path_users": ("Users", "count"),
    "path_share": ("Share", "share"),
    "path_problem": ("Problem event", "bool"),
}

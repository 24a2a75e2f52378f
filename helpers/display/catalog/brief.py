"""The first screen of the detailed reports (helpers.sections.briefs): KPI cards, findings and
what to do (English)."""

MESSAGES = {
    "brief.title": "{month:month} at a glance",
    "brief.findings": "What happened",
    "brief.actions": "What to do",
    "brief.change_vs_last": "{change} vs last month",
    "brief.see_review": (
        "Assign the month's actions from the monthly review's action plan (owners, audiences, "
        "expected impact)."
    ),
    "brief.review_link": "The monthly review and its action plan",
    # 02_active_users
    "brief.active.calendar": "Active users (calendar month)",
    "brief.active.calendar_note": "an active day in the calendar month",
    "brief.active.mau": "MAU ({days:count} days)",
    "brief.active.mau_note": "active in the {days} days to {as_of:date}",
    "brief.active.dau": "DAU (month average)",
    "brief.active.stickiness": "Stickiness (DAU/MAU)",
    "brief.active.quick_ratio": "Quick ratio",
    "brief.active.lifecycle": (
        "In {month:month}, {new:count} users were new, {returning:count} came back from the "
        "month before and {resurrecting:count} returned after a break; {dormant:count} of last "
        "month's actives did not come back (quick ratio {ratio:ratio}: above 1 the active base "
        "grows)."
    ),
    "brief.active.definition": (
        "The count hardly depends on the definition of active: leaving out any one event moves "
        "MAU by {most:share} at most ({event:event})."
    ),
    "brief.active.driver": (
        "New users with “{behaviour}” were still active around day {day:count} at "
        "{doers:share}, against {others:share} for the others (a correlation)."
    ),
    "brief.active.driver_action": (
        "Test nudging new users towards “{behaviour}” (an experiment: the link is a correlation)."
    ),
    # 03_personas
    "brief.personas.card": "{persona}. {name}",
    "brief.personas.card_change": "{share:share} of actives · {revenue:share} of revenue",
    "brief.personas.top": (
        "{name} are {share:share} of active users and bring {revenue:share} of revenue: the "
        "most valuable users per head."
    ),
    "brief.personas.low": (
        "{name} are {share:share} of active users but bring {revenue:share} of revenue."
    ),
    "brief.personas.count": (
        "{k:count} personas cover all {users:count} users active this month."
    ),
    "brief.personas.action": "{name}: {action} (owner: {owner}).",
    "brief.personas.action_no_owner": "{name}: {action}.",
}

COLUMNS: dict = {}

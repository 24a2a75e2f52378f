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
    # 01_data_audit
    "brief.audit.verdict": "Data quality this month",
    "brief.audit.score": "score {score:number}/100",
    "brief.audit.scope_month": "on the month's own rows",
    "brief.audit.scope_window": "over the whole window",
    "brief.audit.window_score": "Score over the whole window",
    "brief.audit.rows_in": "Rows read this month",
    "brief.audit.rows_kept": "Rows kept this month",
    "brief.audit.kept_share": "{share:share} of the rows read",
    "brief.audit.worst": (
        "{share:share} of the month's {source} rows were dropped or repaired: {parts}."
    ),
    "brief.audit.fix": (
        "Ask the owners of {source} to fix “{reason}” at the source ({share:share} of its rows "
        "this month)."
    ),
    "brief.audit.unbalanced": "The rows of {sources} do not add up: in ≠ kept + dropped.",
    "brief.audit.fix_unbalanced": "Do not use this month's numbers from {sources} until the ledger adds up.",
    "brief.audit.flags": "{n:count} days of unusual volume this month: {days}.",
    "brief.audit.check_days": "Check the export of {days} before reading those days.",
    "brief.audit.clean": "Every source's rows add up and no day looks unusual.",
    "brief.audit.nothing": "Nothing to fix: the month can be read.",
    # 04_churn
    "brief.churn.recoverable": "At-risk users who can still be saved",
    "brief.churn.recoverable_note": "high 30-day risk, active in the last {days:count} days",
    "brief.churn.stake": "Revenue at stake, next 30 days",
    "brief.churn.stake_note": "their 30-day risk x their recent 30-day revenue",
    "brief.churn.lapsed": "High-risk users already gone",
    "brief.churn.lapsed_note": "not active for longer: win-back, not save",
    "brief.churn.auc": "Risk model, back-test AUC",
    "brief.churn.baseline": "days since last activity alone: {auc:score}",
    "brief.churn.split": (
        "{rec:count} high-risk users were active in the last {days:count} days and can still be "
        "saved; {lapsed:count} more have already lapsed."
    ),
    "brief.churn.beats": (
        "The risk model ranks users better than days since last activity alone (back-test AUC "
        "{auc:score} against {baseline:score})."
    ),
    "brief.churn.not_beats": (
        "The risk model does not beat days since last activity alone (back-test AUC {auc:score} "
        "against {baseline:score}): rank by recency until it does."
    ),
    "brief.churn.shortest": (
        "{group} have the shortest lives: half have churned by day {days:count}."
    ),
    "brief.churn.lever": (
        "Users with “{attribute}” churn at {hr:ratio.2}× the rate of others (95% interval "
        "{lo:ratio.2}–{hi:ratio.2}): a lever a team can pull."
    ),
    "brief.churn.save": (
        "Run a save campaign for the {n:count} users who can still be saved: their lists per "
        "persona are linked in the monthly review (owner: {owner})."
    ),
    "brief.churn.lever_action": "Invite more users to “{attribute}” (owner: {owner}).",
    "brief.churn.none": "This month's data cannot support the churn models yet (see below).",
    # 06_ab_readout
    "brief.ab.title": "{experiment} in {month:month} at a glance",
    "brief.ab.decision": "Decision",
    "brief.ab.users": "Users per arm",
    "brief.ab.missing": "Users missing from {arm}",
    "brief.ab.missing_share": "{share:share} of the arm",
    "brief.ab.lift": "{metric}, {variant} vs control",
    "brief.ab.ci": "95% CI {low:change} to {high:change}",
    "brief.ab.p": "p-value {p:pvalue} (relative test)",
    "brief.ab.mde": "Smallest detectable lift",
    "brief.ab.mde_note": "at 80% power, with these users",
    "brief.ab.stop": "Do not ship {experiment}: stop it and keep the control.",
    "brief.ab.keep": (
        "Keep {experiment} running until it has the users its smallest detectable lift needs."
    ),
    "brief.ab.owner": " (owner: {owner})",
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
    "brief.personas.card_change": "{share:share} of actives · {revenue:share} of revenue to date",
    "brief.personas.top": (
        "{name} are {share:share} of active users and brought {revenue:share} of all revenue "
        "to date: the most valuable users per head."
    ),
    "brief.personas.low": (
        "{name} are {share:share} of active users but brought {revenue:share} of all revenue "
        "to date."
    ),
    "brief.personas.count": (
        "{k:count} personas cover all {users:count} users active this month."
    ),
    "brief.personas.action": "{name}: {action} (owner: {owner}).",
    "brief.personas.action_no_owner": "{name}: {action}.",
}

COLUMNS: dict = {}

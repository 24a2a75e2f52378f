"""The monthly persona review (07_persona_review): its sentences, columns and headline numbers
(English)."""

MESSAGES = {
    # the action plan (helpers.analysis.action_plan, artifacts/actions.csv)
    "review.plan.persona": "{persona}. {name}",
    "review.plan.everyone": "everyone",
    "review.plan.platform_users": "{platform} users",
    "review.plan.persona.why": (
        "{users:count} of its users are at high churn risk and were active in the last "
        "{days:count} days, so they can still be saved (04_churn); the persona is {share:share} "
        "of active users (03_personas)."
    ),
    "review.plan.impact": (
        "{value:money.0} kept if {rate:share} of the revenue at stake is saved (actions.save_rate "
        "in persona.yaml)"
    ),
    "review.plan.ship": "Roll out {variant} of {experiment} to everyone.",
    "review.plan.ship.why": "{reasons} (the {experiment} readout).",
    "review.plan.fix": "Fix {experiment} before reading it: {diagnosis}",
    "review.plan.fix.arm": (
        "the {arm} arm has {users:count} users where its split expects {expected:count} "
        "({missing:share} missing); check how that arm's assignments are logged."
    ),
    "review.plan.fix.checks": "see the failed health checks of its readout.",
    "review.plan.fix.why": "A health check failed: {checks} (the {experiment} readout).",
    "review.plan.lever": "Raise the share of users with “{attribute}”: invite more users to it.",
    "review.plan.lever.why": (
        "Users with “{attribute}” churn at {hr:ratio.2}× the rate of others (95% interval "
        "{lo:ratio.2}–{hi:ratio.2}, Cox model of early life, 04_churn)."
    ),
    "review.plan.source.persona": "persona",
    "review.plan.source.experiment": "experiment",
    "review.plan.source.churn_driver": "churn driver",
    "review.plan.source.retention_driver": "retention driver",
    "review.plan.source.migration": "migration",
    "review.plan.source.campaign": "campaign",
    "review.plan.source.pain_point": "pain point",
    "review.pain.missing": (
        "The pain-point report (05_pain_points) has not run for this month: no funnel, path or "
        "feedback findings to list."
    ),
    "review.pain.none": (
        "No pain point stands out in {month:month}: no funnel step, exit event or feature "
        "rating clears the bar."
    ),
    "review.pain.title.one": "{n:count} pain point in {month:month} (05_pain_points)",
    "review.pain.title.other": (
        "{n:count} pain points in {month:month}; the first ones (05_pain_points)"
    ),
    "review.plan.ship.impact": (
        "≈ {value:money.0} more a month if its {users:count} control users get it too "
        "({per_user:money} more per user this month)"
    ),
    "review.plan.new_users": "new users",
    "review.plan.driver": (
        "Nudge new users towards “{behaviour}”; test it as an experiment first."
    ),
    "review.plan.driver.why": (
        "Of the new users with “{behaviour}”, {doers:share} were still active around day "
        "{day:count}, against {others:share} of those who did not (02_active_users; a "
        "correlation, not yet a cause)."
    ),
    "review.plan.winback": "Win back last month's {name} who were not active this month.",
    "review.plan.lapsed": "Win back the high-risk {name} who have already lapsed.",
    "review.plan.lapsed.why": (
        "{users:count} of its users were at high churn risk and have not been active for more "
        "than {days:count} days, so a save campaign no longer reaches them; they spent "
        "{value:money.0} per 30 days (04_churn)."
    ),
    "review.plan.winback.impact": (
        "{value:money.0} a month back if {rate:share} of them return (actions.save_rate in "
        "persona.yaml)"
    ),
    "review.plan.winback.why": (
        "{gone:count} of its {members:count} members last month ({share:share}) were not "
        "active this month (07, who moved); their revenue last month is the revenue at stake."
    ),
    "review.plan.caption": (
        "The action plan: one row per action, ranked by revenue at stake, then by users; the "
        "owner comes from owners: in persona.yaml (by persona number, persona name or "
        "source). Written to artifacts/actions.csv."
    ),
    "review.actions.links_lead": (
        "The users of each persona who can still be saved (high risk, recently active), "
        "riskiest first, ready for a CRM campaign:"
    ),
    "review.actions.link": "{persona}: {users:count} users to save",
    "review.actions.link_winback": "{persona}: {users:count} users to win back",
    # one count per definition
    "review.reconcile.sentence": (
        "{n:count} users were active in {month:month} (an active day in the calendar month): "
        "this is the active-user count of every report of the month. Other windows count the "
        "same users differently: {others}."
    ),
    "review.reconcile.mau": (
        "{n:count} were active in the {days:count} days to {as_of:date} (MAU, 02_active_users)"
    ),
    "review.reconcile.scored": (
        "{n:count} in the {days:count} days to {as_of:date} (scored for churn risk, 04_churn)"
    ),
    "review.reconcile.personas": "{n:count} were assigned a persona (03_personas)",
    "review.reconcile.users_table": (
        "{n:count} have a row in the users table ({missing:count} have none; attribute shares "
        "in 02 count only the former)"
    ),
    # why the KPIs moved
    "review.attr.no_persona": "no persona",
    "review.attr.no_previous": (
        "No split of the change: {previous_month:month} has no active users or revenue to "
        "compare with."
    ),
    "review.attr.arpu": (
        "Revenue per active user went from {prev:money} in {previous_month:month} to {now:money} "
        "({change:money+}): {rate:money+} because personas spent more or less per user (rate), "
        "{size:money+} because the mix of personas moved (size)."
    ),
    "review.attr.top_persona": (
        "The largest part, {effect:money+}, comes from {persona}: revenue per user went from "
        "{rpu_prev:money} to {rpu:money}, active users from {users_prev:count} to "
        "{users:count}."
    ),
    "review.attr.active": (
        "Active users changed by {change:count+}; {persona} moved most ({persona_change:count+})."
    ),
    "review.attr.arm": (
        "The {experiment} {variant} arm brought {extra:money+.0} of the month's {total:money+.0} "
        "change in revenue (95% CI {low:money.0} to {high:money.0}) over what its users would "
        "have spent at the control arm's rate."
    ),
    "review.attr.invalid": (
        "{experiment} is not credited with any change: its readout is invalid."
    ),
    "review.attr.details": "The split by persona and by experiment arm (tables)",
    "review.attr.caption": (
        "Revenue per active user (ARPU), {previous_month:month} to {month:month}, by persona: "
        "size part = change in the persona's share of active users x its mean revenue per user "
        "of the two months; rate part = change in its revenue per user x its mean share. The "
        "parts add up to the change."
    ),
    "review.attr.arms_caption": (
        "Each experiment arm's revenue this month beyond the control arm's rate (every assigned "
        "user, 0 without a purchase), and its part of the month's revenue change (this month's "
        "extra minus last month's)."
    ),
    # three things to know
    "review.thing.revenue_per_active_user.up": (
        "Revenue per active user rose {change:share} to {value:money} ({previous:money} in "
        "{previous_month:month})."
    ),
    "review.thing.revenue_per_active_user.down": (
        "Revenue per active user fell {change:share} to {value:money} ({previous:money} in "
        "{previous_month:month})."
    ),
    "review.thing.active_users.up": (
        "Active users rose {change:share} to {value:count} ({previous:count} in "
        "{previous_month:month})."
    ),
    "review.thing.active_users.down": (
        "Active users fell {change:share} to {value:count} ({previous:count} in "
        "{previous_month:month})."
    ),
    "review.thing.driver.arm": (
        "The {experiment} {variant} arm brought {extra:money+.0} of the {total:money+.0} change "
        "in revenue ({share:share})."
    ),
    "review.thing.driver.rate": (
        "Most of it is {persona} spending {rpu:money} per user instead of {rpu_prev:money} "
        "({effect:money+} of the {change:money+} change per active user)."
    ),
    "review.thing.driver.size": (
        "Most of it is the size of {persona} ({effect:money+} of the {change:money+} change "
        "per active user)."
    ),
    "review.thing.driver.users": "{persona} moved most ({change:count+} users).",
    "review.thing.movement": (
        "{persona}: {gone:count} of last month's {members:count} members ({share:share}) "
        "were not active in {month:month}."
    ),
    "review.thing.experiment": "{experiment}: {decision}; {lift}.",
    "review.thing.experiment.plain": "{experiment}: {decision}.",
    "review.thing.experiment.invalid": "{experiment}: invalid, do not read it; {diagnosis}",
    # the brief
    "review.brief.title": "{month:month} at a glance",
    "review.brief.things": "Three things to know this month",
    "review.brief.actions": "What to do first (the action plan, ranked)",
    "review.brief.action": "{action} ({persona}, {users:count} users; owner: {owner})",
    "review.brief.no_owner": "not assigned (owners: in persona.yaml)",
    "review.brief.plan_link": "The whole action plan (actions.csv)",
    "review.card.change": "{change} vs {previous_month:month}",
    "review.card.calendar_note": "an active day in the calendar month",
    "review.card.recoverable": "At-risk users who can still be saved",
    "review.card.recoverable_note": "{stake:money.0} revenue at stake",
    "review.card.quality": "Data quality",
    # headline numbers recorded for the month's index (stickiness and quick ratio: metrics.py)
    "metric.active_users": "active users (calendar month)",
    "metric.revenue_per_active_user": "revenue per active user",
    "metric.churn_risk_share": "active users at high or critical churn risk",
    "metric.data_quality": "data quality",
    "metric.personas_kept": "personas kept from last month",
    "metric.personas_new": "new personas",
    "metric.personas_gone": "personas gone",
    "metric.personas_drifted": "personas drifted",
    "metric.at_risk_users": "at-risk users on the action list",
    "review.metric_note.relative": "{change:change} vs {previous_month:month}",
    "review.metric_note.points": "{change:pp} vs {previous_month:month}",
    # KPIs
    "review.kpi.active_users": "Active users (calendar month)",
    "review.kpi.stickiness": "Stickiness (mean DAU/MAU)",
    "review.kpi.quick_ratio": "Quick ratio: (new + resurrected) / dormant",
    "review.kpi.revenue_per_active_user": "Revenue per active user",
    "review.kpi.churn_risk_share": "Active users at high or critical churn risk",
    "review.kpis.caption": "Headline KPIs of {month:month} against {previous_month:month}.",
    "review.change.relative": "{change:change} vs {previous_month:month} ({previous})",
    "review.change.points": "{change:pp} vs {previous_month:month} ({previous})",
    "review.change.none": "no comparison with {previous_month:month}",
    "review.reading.active_users": "{value:count} users were active in {month:month}, {change}.",
    "review.reading.stickiness": (
        "On an average day {value:share} of the monthly active users were active, {change}."
    ),
    "review.reading.quick_ratio.up": (
        "Quick ratio {value:ratio}: more users came in (new or back) than went dormant; {change}."
    ),
    "review.reading.quick_ratio.down": (
        "Quick ratio {value:ratio}: fewer users came in (new or back) than went dormant; {change}."
    ),
    "review.reading.revenue_per_active_user": (
        "Each active user brought {value:money} of revenue in {month:month}, {change}."
    ),
    "review.reading.churn_risk_share": (
        "{value:share} of the users scored for churn are at high or critical 30-day risk, "
        "{change}."
    ),
    "review.reading.missing": "{label}: not available this month.",
    "review.reading.no_churn": (
        "No churn-risk scores this month (the 04_churn report did not run)."
    ),
    # data quality
    "review.quality.status.good": "good",
    "review.quality.status.caution": "caution",
    "review.quality.status.poor": "poor",
    "review.quality.verdict.good": "The data of this month can be trusted",
    "review.quality.verdict.caution": "Read this month with care",
    "review.quality.verdict.poor": "Do not rely on this month's numbers",
    "review.quality.title": "Data quality: {status}",
    "review.quality.card": "score {score:number}/100",
    "review.quality.sentence": "{verdict} (data-quality score {score:number}/100).",
    "review.quality.sentence_no_score": "{verdict} (no quality score).",
    "review.quality.sentence_month": (
        "{verdict} (data-quality score {score:number}/100 for the month's own rows; "
        "{window_score:number}/100 over the whole window)."
    ),
    "review.quality.reason.worst": (
        "{share:share} of the month's {source} rows were dropped or repaired: {parts}"
    ),
    "review.quality.part": "{share:share} {reason}",
    "review.quality.reason.no_time": (
        "{n:count} rows have no timestamp and count in the whole window only"
    ),
    "review.quality.with_reasons": "{sentence} Reasons: {reasons}.",
    "review.quality.reason.score_below": "the quality score is below {threshold:count}",
    "review.quality.reason.unbalanced": "rows do not add up in {sources}",
    "review.quality.reason.volume": "unusual daily volume on {days}",
    "review.quality.flag_day": "{day} ({source}: {flag})",
    "review.quality.reason.stitching": (
        "only {share:share.0} of anonymous {source} rows are stitched to a user"
    ),
    "review.quality.no_audit": (
        "No audit for this month (the 01_data_audit report did not run): the data quality is "
        "unknown."
    ),
    # personas this month and last
    "review.status.kept": "kept",
    "review.status.new": "new",
    "review.status.gone": "gone",
    "review.comparison.caption": "Personas of {month:month} against {previous_month:month}.",
    "review.comparison.aligned": (
        "This month's personas were matched to {previous_month:month}'s when they were built, so a "
        "persona keeps its number and name."
    ),
    "review.comparison.matched_here": (
        "This month's clusters are matched to {previous_month:month}'s here (they were built without "
        "it) and renumbered for this comparison."
    ),
    "review.comparison.no_current": (
        "No personas this month (the 03_personas report did not run), so there is no persona "
        "comparison."
    ),
    "review.comparison.no_previous": (
        "No personas for the previous month (its 03_personas artifacts are missing and could "
        "not be built, e.g. it lies before the data starts), so this month's personas cannot be "
        "compared with last month's yet."
    ),
    "review.persona": "{persona}. {name}",
    "review.flows.heading": "Who moved",
    "review.flows.totals": (
        "{stayed:count} users stayed in their persona, {moved:count} moved to another, "
        "{new:count} are new to the personas and {gone:count} of last month's were not active."
    ),
    "review.flows.joined": (
        "{users:count} users new to the personas joined {to} ({share:share.0} of it)."
    ),
    "review.flows.left": (
        "{users:count} users of {source} were not active this month ({share:share.0} of it)."
    ),
    "review.flows.moved": (
        "{users:count} users moved from {source} to {to} ({share:share.0} of {source})."
    ),
    "review.changes.heading": "Personas that changed",
    "review.changes.new": "New persona {persona}: {users:count} users.",
    "review.changes.gone": "Persona {persona} ({users:count} users last month) is gone.",
    "review.changes.drifted": (
        "Persona {persona} drifted: its centre moved {shift:number.2} standard deviations and "
        "{stayed:share.0} of last month's members still active stayed in it."
    ),
    "review.changes.none": (
        "Every persona kept its number and name, none drifted beyond the thresholds."
    ),
    # action list
    "review.actions.at_risk": (
        "{users:count} active users are at high or critical 30-day churn risk and were active "
        "recently enough to be saved (churn.recoverable_days); each persona's list is "
        "artifacts/at_risk_persona_<number>.csv (riskiest first, with the drivers). Revenue "
        "at stake: each user's 30-day churn risk x their revenue of the last 90 days scaled to "
        "30 days. Users at high risk who have already lapsed are in churn_risk.csv (status "
        "lapsed), not on these lists."
    ),
    "review.actions.no_risk": (
        "No churn-risk scores by persona this month (the 04_churn report did not run), so the "
        "at-risk lists are empty."
    ),
    "review.actions.none": (
        "No personas this month (the 03_personas report did not run or found too few active "
        "users), so there is no action list."
    ),
    # experiments
    "review.experiment.head": "{experiment}: {decision}",
    "review.experiment.lift_ci": (
        "{metric} {variant} {lift:change} (95% CI {low:change} to {high:change}, "
        "p-value {p:pvalue})"
    ),
    "review.experiment.lift": "{metric} {variant} {lift:change}",
    "review.experiment.no_lift": "{metric} {variant}",
    "review.experiment.health_ok": "health checks ok",
    "review.experiment.health_failed": "health check failed: {checks}",
    "review.experiments.none": (
        "No experiment readout this month (no assignments, or no experiment running)."
    ),
    # recorded numbers
    "review.recorded.none": "No headline number was recorded.",
    # drawings
    "review.plot.migration.title": "Where last month's users went",
    "review.plot.migration.title_row": "Where last month's users went (colour: share of the row)",
    "review.plot.this_month": "this month ({month:month})",
    "review.plot.last_month": "last month ({month:month})",
    "review.plot.this_month_plain": "this month",
    "review.plot.last_month_plain": "last month",
    "review.plot.new": "new",
    "review.plot.gone": "not active",
    "review.plot.sizes.title": "Persona sizes, last month and this month",
    "review.plot.sizes.x": "active users",
}

# column name -> (label, kind)
COLUMNS = {
    "kpi": ("KPI", "text"),
    "kpi_this_month": ("This month", "text"),
    "kpi_last_month": ("Last month", "text"),
    "kpi_change": ("Change", "text"),
    "kpi_reading": ("Reading", "text"),
    "users_last_month": ("Users, last month", "count"),
    "share_revenue_last_month": ("Share of revenue to date, last month", "share"),
    "centre_shift_sd": ("Centre moved (SD)", "number"),
    "members_stayed": ("Members who stayed", "share"),
    "persona_drifted": ("Drifted", "bool"),
    "recommended_action": ("Recommended action", "text"),
    "persona_clv_total": ("CLV, all its users", "money"),
    "persona_at_risk_users": ("At-risk users to save", "count"),
    "priority": ("Priority", "count"),
    "action": ("Action", "text"),
    "why": ("Why", "text"),
    "revenue_at_stake": ("Revenue at stake", "money"),
    "expected_impact": ("Expected impact", "text"),
    "owner": ("Owner", "text"),
    "audience_file": ("Audience file", "text"),
    "at_risk_revenue_30d": ("Revenue at stake, next 30 days", "money"),
    "attr_users_prev": ("Active users, last month", "count"),
    "attr_users": ("Active users, this month", "count"),
    "attr_users_change": ("Change in active users", "count"),
    "attr_rpu_prev": ("Revenue per user, last month", "money"),
    "attr_rpu": ("Revenue per user, this month", "money"),
    "attr_size": ("Size part of the ARPU change", "money"),
    "attr_rate": ("Rate part of the ARPU change", "money"),
    "attr_effect": ("Persona's part of the ARPU change", "money"),
    "attr_experiment": ("Experiment", "text"),
    "attr_variant": ("Arm", "text"),
    "attr_arm_users": ("Users in the arm", "count"),
    "attr_control_users": ("Users in control", "count"),
    "attr_arm_rpu": ("Revenue per user, arm", "money"),
    "attr_control_rpu": ("Revenue per user, control", "money"),
    "attr_extra": ("Extra revenue this month", "money"),
    "attr_extra_low": ("95% CI, low", "money"),
    "attr_extra_high": ("95% CI, high", "money"),
    "attr_extra_change": ("Part of the revenue change", "money"),
}

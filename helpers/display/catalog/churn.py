"""The 04_churn report: lives and resurrections, survival by group, the Cox model, the churn risk
of active users, the revenue at stake and P(alive) (English). Sentences of
:mod:`helpers.sections.churn`, chart words of :mod:`helpers.plots.churn`."""

MESSAGES = {
    "churn.list.detractors.one": (
        "{n:count} of the {total:count} users who can still be saved gave a detractor NPS answer "
        "(0-6): call them before sending an offer, their complaint is the reason."
    ),
    "churn.list.detractors.other": (
        "{n:count} of the {total:count} users who can still be saved gave a detractor NPS answer "
        "(0-6): call them before sending an offer, their complaint is the reason."
    ),
    # what a section needs when the data cannot support it
    "churn.needs.survival": (
        "No survival curves yet: they need lives that could have churned, users who started "
        "at least churn.inactive_days days before the end of the month, and this history is "
        "shorter. With more months of data this section shows how long each group stays."
    ),
    "churn.needs.cox": (
        "No Cox model yet: it needs churned lives with their early behaviour to compare, and "
        "this history has too few of them. With more months of data it shows which early "
        "behaviours go with longer lives."
    ),
    "churn.needs.risk": (
        "No churn-risk model yet: it is trained and back-tested on the past, so it needs active "
        "users two risk horizons (60 days by default) before the end of the month, some of whom "
        "churned. This history is shorter, so there is no at-risk list this month."
    ),
    "churn.needs.stake": (
        "No revenue at stake per persona: it comes from the churn-risk model, which this "
        "history cannot support yet (see above)."
    ),
    "churn.needs.at_risk": (
        "No at-risk list: it comes from the churn-risk model, which this history cannot "
        "support yet (see above)."
    ),
    "churn.needs.palive": (
        "No P(alive) comparison: it sets the BG/NBD purchase model beside the churn-risk "
        "model, which this history cannot support yet (see above)."
    ),
    # the churn rule and the lives
    "churn.definition": (
        "Churn here: a life ends at its last active day when {days:count} days without "
        "activity follow it (churn.inactive_days in persona.yaml). A life still running on "
        "{censor_day:date} ({as_of:date} minus {days:count} days, the last day whose churn can "
        "be seen) is censored."
    ),
    "churn.lives.start.signup": (
        "Lives start at signup (at the first activity for users without a signup time)."
    ),
    "churn.lives.start.first_activity": "Lives start at the first active day.",
    "churn.lives.life.first": "Each user is counted with their first life.",
    "churn.lives.life.last": "Each user is counted with their latest life.",
    "churn.lives.summary": (
        "Of {users:count} users, {churned:count} lives ended in churn ({share:share}); "
        "{censored:count} still running (censored); {too_recent:count} started too recently "
        "to tell."
    ),
    # resurrection
    "churn.resurrection.headline": (
        "{share:share} of the {churned:count} users whose first life churned came back, a "
        "median of {median:days} days after their last active day (half of them between "
        "{p25:days} and {p75:days} days)."
    ),
    "churn.resurrection.none": (
        "None of the {churned:count} users whose first life churned has come back yet."
    ),
    "churn.resurrection.no_churn": "No first life has ended in churn yet.",
    "churn.resurrection.lower_bound": (
        "Users who churned shortly before the end of the data have had less time to come back, "
        "so the share is a lower bound."
    ),
    "churn.resurrection.caption": "Days from the last active day to the return",
    "churn.resurrection.range": "{lo:count} to {hi:count} days",
    "churn.resurrection.range_open": "{lo:count} days or more",
    # Kaplan-Meier by group
    "churn.km.headline": "{group}: Kaplan-Meier lifetimes of {users:count} users.",
    "churn.km.headline_all": "Kaplan-Meier lifetimes of {users:count} users.",
    "churn.km.differ": (
        "The groups' lifetimes differ (log-rank test across all groups, p-value {p:pvalue})."
    ),
    "churn.km.no_difference": (
        "No evidence that the groups' lifetimes differ (log-rank test across all groups, "
        "p-value {p:pvalue})."
    ),
    "churn.km.caption": "Median lifetime and share still active, by {group}.",
    "churn.km.not_reached": (
        "“Not reached”: more than half of the group is still active at the end of the curve."
    ),
    "churn.km.median": "{median:days} ({low:days} to {high:days})",
    "churn.km.median_open": "{median:days} (at least {low:days})",
    "churn.km.survival_at": "Still active at day {days}",
    "churn.km.too_recent.one": "{n:count} life too recent to tell is left out.",
    "churn.km.too_recent.other": "{n:count} lives too recent to tell are left out.",
    "churn.km.no_group.one": "{n:count} user without a value for {group} is left out.",
    "churn.km.no_group.other": "{n:count} users without a value for {group} are left out.",
    "churn.km.pairwise_caption": (
        "Pairwise log-rank tests, p-values adjusted for the {n:count} comparisons (Holm)."
    ),
    "churn.km.missing": (
        "No survival by {group}: it needs {source}, which is not available for this month."
    ),
    "churn.km.empty": (
        "No survival by {group}: no user has one this month (RFM segments need buyers)."
    ),
    "churn.km.source.personas": "the 03_personas report (personas.csv)",
    "churn.km.source.rfm": "the 03_personas report (rfm.csv)",
    "churn.km.source.users": "a “{column}” column in the users table",
    "churn.km.source.cards": "the 03_personas report (persona_cards.json)",
    # who the curves count
    "churn.km.population.landmark": (
        "Who is counted: every user whose life was running at a month end from {first:date} to "
        "{last:date}, with the {group} their own data gave at the first of those month ends at "
        "which they had one (by this month's definitions), each life counted from that day on "
        "(delayed entry), so the medians compare with newcomers' lifetimes."
    ),
    "churn.km.population.all": (
        "Who is counted: every user, each life from its first day ({group} is known for every "
        "user from the start), so the medians compare with newcomers' lifetimes."
    ),
    "churn.km.population.everyone": "Who is counted: every user, each life from its first day.",
    "churn.km.followed_from": (
        "A curve starts on the first day at least {n:count} of its lives are followed, and "
        "then describes the lives that lasted that long: {groups}."
    ),
    "churn.km.followed_day": "{group} from day {day:count}",
    "churn.km.too_few": (
        "Left out, fewer than {n:count} lives followed on any one day: {groups}."
    ),
    "churn.km.pairwise_summary": "Pairwise log-rank tests ({n:count} comparisons)",
    # names of the groupings (headers of the group column, chart titles)
    "churn.group.persona_name": "Persona",
    "churn.group.persona": "Persona",
    "churn.group.rfm_segment": "RFM segment",
    "churn.group.channel": "Channel",
    "churn.group.platform": "Platform",
    "churn.group.plan": "Plan",
    "churn.group.all": "All users",
    # the Cox model
    "churn.cox.headline": (
        "Cox model of churn on {lives:count} lives ({churned:count} churned), followed from day "
        "{days:count} of each life."
    ),
    "churn.cox.headline_persona": (
        "Cox model of churn on {lives:count} lives ({churned:count} churned), each followed "
        "from its first month end on or after day {days:count} of the life, when it first has "
        "a persona."
    ),
    "churn.cox.headline_plain": (
        "Cox model of churn on {lives:count} lives ({churned:count} churned)."
    ),
    "churn.cox.concordance": (
        "Held-out concordance {c:score} (0.5: no better than chance; 1: a perfect ranking of "
        "who churns first)."
    ),
    "churn.cox.concordance_within": (
        "Held-out concordance {c:score}, over pairs of users in the same stratum (0.5: no "
        "better than chance; 1: a perfect ranking of who churns first)."
    ),
    "churn.cox.strata": "Stratified by {names}: each has its own baseline hazard.",
    "churn.cox.persona_strata": (
        "Each life is compared only with lives of the same persona: the one it had at the "
        "latest month end. This month's personas would hold only the users who stayed, and "
        "make every long-lived trait look safer."
    ),
    "churn.cox.stratified_failing": (
        "Moved into strata because they failed the proportional-hazards test: {names}."
    ),
    "churn.cox.constant": "Left out because they do not vary: {names}.",
    "churn.cox.short_lives.one": (
        "{n:count} life no longer than {days:count} days is left out (landmark)."
    ),
    "churn.cox.short_lives.other": (
        "{n:count} lives no longer than {days:count} days are left out (landmark)."
    ),
    "churn.cox.without_persona.one": "{n:count} life without a persona is left out.",
    "churn.cox.without_persona.other": "{n:count} lives without a persona are left out.",
    "churn.cox.without_persona_by.one": (
        "{n:count} life is left out because it never had a persona: {churned:count} churned "
        "before a month end on or after day {days:count} of its life, {running:count} has not "
        "reached one yet. The survival curves above include it."
    ),
    "churn.cox.without_persona_by.other": (
        "{n:count} lives are left out because they never had a persona: {churned:count} "
        "churned before a month end on or after day {days:count} of their life, and "
        "{running:count} have not reached one yet. The survival curves above include them."
    ),
    "churn.cox.sampled": (
        "The model read a random {n:count} of the {total:count} lives: more would narrow "
        "intervals that are already tight, at a large cost in time and memory."
    ),
    "churn.cox.reference": "Attribute levels are compared with the most common level: {refs}.",
    "churn.cox.hr_caption": "Hazard ratios: below 1, longer lives; above 1, shorter ones.",
    "churn.cox.ph_caption": "Proportional-hazards test per covariate.",
    "churn.cox.ph_note": (
        "Schoenfeld residuals against the rank of time; a covariate that fails the test is "
        "moved into strata, unless its hazard ratio is the point of the analysis."
    ),
    "churn.cox.ph_sample": (
        "The test read a random {rows:count} of the {train:count} training lives (the hazard "
        "ratios use all of them)."
    ),
    "churn.list_separator": ", ",
    # covariate names
    "churn.covariate.active_days": "Active days in the first {days} days",
    "churn.covariate.events": "Events in the first {days} days",
    "churn.covariate.orders": "Orders in the first {days} days",
    "churn.covariate.revenue": "Revenue in the first {days} days",
    "churn.covariate.level": "{attribute:column}: {level}",
    "churn.covariate.level_vs": "{attribute:column}: {level} (vs. {reference})",
    "churn.covariate.binary": "{name} (yes vs. no)",
    "churn.covariate.quartile": "{name} (quartiles)",
    # the churn-risk model
    "churn.risk.headline": (
        "{horizon:count}-day churn risk of the {users:count} users active on {as_of:date}: "
        "{high:count} ({share:share}) are in the high or critical band."
    ),
    "churn.risk.backtest": (
        "Back-test: a model trained on the {n_train:count} users active on {s_train:date} "
        "scored the {n_test:count} users active on {s_test:date}; their scores are compared "
        "with who churned by {as_of:date}."
    ),
    "churn.risk.fact.auc": "ROC AUC",
    "churn.risk.fact.precision": "Churned in the riskiest tenth",
    "churn.risk.fact.base_rate": "Churned overall",
    "churn.risk.fact.lift": "Lift of the riskiest tenth",
    "churn.risk.fact.baseline_auc": "Recency alone: ROC AUC",
    "churn.risk.fact.baseline_precision": "Recency alone: churned in the riskiest tenth",
    "churn.risk.baseline.beaten": (
        "The model ranks better than recency alone (days since the last active day) on the same "
        "back-test: ROC AUC {auc:score} against {baseline:score}, and {precision:share} against "
        "{baseline_precision:share} churned in the riskiest tenth."
    ),
    "churn.risk.baseline.not_beaten": (
        "The model does not beat recency alone: sorting users by days since their last active "
        "day ranks them as well on the same back-test (ROC AUC {baseline:score} against the "
        "model's {auc:score}; {baseline_precision:share} against {precision:share} churned in "
        'the riskiest tenth). Read its risk as "inactive for a while", and use the drivers '
        "for what to say to each user."
    ),
    "churn.risk.lift": "{lift:ratio.1}×",
    "churn.risk.calibration_caption": (
        "Back-test calibration by tenth of predicted risk (10: the riskiest)."
    ),
    "churn.risk.bands_caption": "Risk bands of the users active on {as_of:date}.",
    "churn.plot.at_risk": "Users at risk",
    "churn.band.low": "Low",
    "churn.band.medium": "Medium",
    "churn.band.high": "High",
    "churn.band.critical": "Critical",
    "churn.band.range": "{lo:share.0} to {hi:share.0}",
    "churn.band.range_below": "below {hi:share.0}",
    "churn.band.range_above": "{lo:share.0} or more",
    # risk drivers
    "churn.driver.high": "{feature} high",
    "churn.driver.low": "{feature} low",
    "churn.feature.days_since_active": "days since active",
    "churn.feature.active_days_7": "active days (7 days)",
    "churn.feature.active_days_28": "active days (28 days)",
    "churn.feature.active_days_90": "active days (90 days)",
    "churn.feature.trend_14": "activity trend (14 days)",
    "churn.feature.events_per_active_day": "events per active day",
    "churn.feature.tenure_days": "tenure",
    "churn.feature.orders": "orders",
    "churn.feature.revenue": "revenue",
    # revenue at stake and the at-risk list
    "churn.stake.headline": (
        "{recoverable:count} users at high or critical risk can still be saved (active in the "
        "last {days:count} days). At their recent rate they would bring {expected:money.0} over "
        "the next {horizon:count} days; weighted by their {horizon:count}-day churn risk, "
        "{stake:money.0} of it is at stake. {lapsed:count} high-risk users have already lapsed: "
        "their {lost:money.0} per {horizon:count} days is gone unless a win-back brings them "
        "back."
    ),
    "churn.stake.caption": (
        "Revenue at stake over the next {horizon:count} days by persona: high-risk users who "
        "can still be saved, and those already lapsed."
    ),
    "churn.stake.note": (
        "Revenue at stake = each recoverable user's {horizon:count}-day churn risk × the revenue "
        "they would bring in {horizon:count} days at the rate of their last {window:count} days "
        "(revenue of the last {window:count} days × {horizon:count} / {window:count}), summed. "
        "Assumes a user who stays keeps spending at that rate and one who churns spends nothing "
        "more. Lapsed users' revenue is at the same rate and already gone."
    ),
    "churn.list.caption": "The riskiest users first, with the main drivers of their risk.",
    "churn.list.caption_recoverable": (
        "Users who can still be saved, riskiest first, with the main drivers of their risk."
    ),
    "churn.list.split": (
        "{high:count} users are at high or critical risk. {recoverable:count} of them were "
        "active in the last {days:count} days and can still be saved: they are listed below "
        "and in churn_risk.csv with status recoverable. {lapsed:count} have been inactive "
        "longer and have already lapsed (status lapsed): a win-back offer, not a save "
        "(churn.recoverable_days in persona.yaml)."
    ),
    "churn.list.none_recoverable": (
        "No high-risk user was active in the last {days:count} days: every one has already lapsed."
    ),
    "churn.list.note": (
        "Drivers: the features on which a user sits in the riskiest quarter of the users scored."
    ),
    "churn.list.empty": "No user is active at the end of the month, so no one is scored.",
    # P(alive)
    "churn.palive.too_few": (
        "Too few repeat buyers to fit the BG/NBD model, so P(alive) is not shown."
    ),
    "churn.palive.summary": (
        "{users:count} currently active users are repeat buyers (BG/NBD gives one-time buyers "
        "P(alive) = 1 by construction, so they are left out). {disagree:count} of them "
        "({share:share}) have a 30-day churn risk of 50% or more while BG/NBD still gives a "
        "P(alive) of 0.8 or more: their purchase rhythm is slow, so BG/NBD expects the gap, but "
        "their activity has dropped."
    ),
    "churn.palive.caption": "Users by churn-risk band (rows) and P(alive) band (columns).",
    "churn.palive.band.lt_50": "P(alive) below 0.5",
    "churn.palive.band.50_80": "0.5 to 0.8",
    "churn.palive.band.80_95": "0.8 to 0.95",
    "churn.palive.band.ge_95": "0.95 or more",
    # charts
    "churn.plot.km.x": "days since the start of the life",
    "churn.plot.km.x.signup": "days since signup (first activity for users without a signup)",
    "churn.plot.km.x.first_activity": "days since first activity",
    "churn.plot.km.y": "share still active (not churned)",
    "churn.plot.km.title": "Share still active, by {group}",
    "churn.plot.km.title_p": "Share still active, by {group} (log-rank p-value {p:pvalue})",
    "churn.plot.km.title_all": "Share of users still active",
    "churn.plot.hr.x": "hazard ratio of churn (log scale; below 1: longer lives)",
    "churn.plot.hr.title": "Cox model: hazard ratios with 95% intervals",
    "churn.plot.cal.x": "mean predicted churn risk (tenth of users)",
    "churn.plot.cal.y": "observed churn rate",
    "churn.plot.cal.title": "Back-test calibration (ROC AUC {auc:score})",
}

# column name -> (label, kind); the columns of the churn tables
COLUMNS = {
    "churn_risk_30d": ("30-day churn risk", "share"),
    "risk_band": ("Risk band", "text"),
    "revenue_90d": ("Revenue, last 90 days", "money"),
    "expected_revenue_30d": ("Their revenue, next 30 days", "money"),
    "revenue_at_stake_30d": ("At stake, next 30 days", "money"),
    "recoverable_users": ("Can still be saved", "count"),
    "recoverable_mean_risk": ("Their mean risk", "share"),
    "lapsed_users": ("Already lapsed", "count"),
    "lapsed_revenue_30d": ("Lapsed: revenue per 30 days", "money"),
    "mean_risk": ("Mean churn risk", "share"),
    "risk_range": ("Predicted risk", "text"),
    "risk_drivers": ("Main risk drivers", "text"),
    "risk_decile": ("Tenth of predicted risk", "count"),
    "mean_predicted": ("Mean predicted risk", "share"),
    "observed_rate": ("Churned", "share"),
    "days_to_return": ("Days to return", "text"),
    "lives_churned": ("Churned", "count"),
    "median_lifetime": ("Median lifetime, days (95% CI)", "text"),
    "logrank_group_a": ("Group", "text"),
    "logrank_group_b": ("Compared with", "text"),
    "logrank_statistic": ("Log-rank χ²", "number"),
    "p_holm": ("p-value (Holm)", "pvalue"),
    "logrank_significant": ("Differs", "bool"),
    "cox_covariate": ("Covariate", "text"),
    "hazard_ratio": ("Hazard ratio", "ratio"),
    "hr_low": ("95% CI, low", "ratio"),
    "hr_high": ("95% CI, high", "ratio"),
    "ph_statistic": ("Test statistic", "number"),
    "ph_fails": ("Fails the test", "bool"),
}

"""The 02_active_users report: who counts as active, DAU/WAU/MAU, lifecycle, retention and
drivers (English). Sentences of :mod:`helpers.sections.active_users`, chart words of
:mod:`helpers.plots.activity`."""

MESSAGES = {
    # the definition of active
    "activity.definition.title": "Who counts as active",
    "activity.definition.events_listed": (
        "A user is active on a day when they do any of these events on that calendar day in "
        "{timezone}: {events}, or place an order."
    ),
    "activity.definition.events_all": (
        "A user is active on a day when they do any event or place an order on that calendar "
        "day in {timezone}."
    ),
    "activity.definition.events_except": (
        "A user is active on a day when they do any event or place an order on that calendar "
        "day in {timezone}, except the passive events {events}."
    ),
    "activity.definition.mau": (
        "Monthly active users (MAU) are the users active on at least one day of the "
        "{days:count} days ending on a given day."
    ),
    "activity.definition.new.first_activity": (
        "A user is new in the period of their first activity."
    ),
    "activity.definition.new.signup": "A user is new in the period they signed up.",
    "activity.list_separator": ", ",
    # definition sensitivity
    "activity.sensitivity.caption": (
        "MAU ({days:count} days to {as_of:date}) is {mau:count} under the chosen definition. "
        "Below, the same count under {n:count} other definitions."
    ),
    "activity.sensitivity.chosen": "Chosen definition",
    "activity.sensitivity.min_days": "At least {days:count} active days in {window:count}",
    "activity.sensitivity.without": "Without {event:event}",
    # rolling and monthly actives
    "activity.rolling.caption": (
        "Distinct users active in the {dau:count}, {wau:count} and {mau:count} days ending on "
        "each day, {start:date} to {end:date}."
    ),
    "activity.monthly.caption.up": (
        "{users:count} users were active in {month:month}: {change:count} more than the month "
        "before ({pct:pct})."
    ),
    "activity.monthly.caption.down": (
        "{users:count} users were active in {month:month}: {change:count} fewer than the month "
        "before ({pct:pct})."
    ),
    "activity.monthly.caption.same": (
        "{users:count} users were active in {month:month}, as many as the month before."
    ),
    "activity.monthly.caption.first": "{users:count} users were active in {month:month}.",
    # power users and stickiness
    "activity.power.caption": (
        "{users:count} users were active in the {days:count} days to {as_of:date}, on "
        "{mean:number.1} of those days on average; {users_7:count} were active in the last "
        "7 days."
    ),
    "activity.power.window": "Active days in the {days:count} days to {as_of:date}",
    "activity.power.last_7": "Active days in the 7 days to {as_of:date}",
    "activity.buckets.caption": (
        "Share of each month's active users by active days in the month, {months:count} "
        "months to {as_of:date}."
    ),
    "activity.buckets.header": "{bucket} days",
    # lifecycle
    "activity.lifecycle.caption.week": (
        "Lifecycle per week ({basis}), {start:date} to {end:date}. Went dormant: active the "
        "week before, not this week."
    ),
    "activity.lifecycle.caption.month": (
        "Lifecycle per month ({basis}), {start:date} to {end:date}. Went dormant: active the "
        "month before, not this month."
    ),
    "activity.lifecycle.partial.week": (
        "The week starting {start:date} is cut by the end of the data: it has fewer days and "
        "fewer users, so do not read it as a drop."
    ),
    "activity.lifecycle.partial.month": (
        "The month starting {start:date} is cut by the end of the data: it has fewer days and "
        "fewer users, so do not read it as a drop."
    ),
    "activity.basis.first_activity": "new = first active period",
    "activity.basis.signup": "new = signup period",
    # retention
    "activity.retention.caption": (
        "{cohortly} retention as of {as_of:date}: {kind}; {criterion}. Blank cells are periods "
        "that have not ended yet."
    ),
    "activity.retention.cohortly.week": "Weekly",
    "activity.retention.cohortly.month": "Monthly",
    "activity.retention.kind.first_time.first_activity": (
        "each user counts in the cohort of their first active {cohort}"
    ),
    "activity.retention.kind.first_time.signup": (
        "each user counts in the cohort of the {cohort} they signed up"
    ),
    "activity.retention.kind.recurring": (
        "each user counts in the cohort of every {cohort} they were active in"
    ),
    "activity.retention.criterion.on": "retained means active in that {cohort}",
    "activity.retention.criterion.on_or_after": (
        "retained means active in that {cohort} or any later one"
    ),
    "activity.retention.unit.week": "week",
    "activity.retention.unit.month": "month",
    "activity.retention.period_header.week": "week {k}",
    "activity.retention.period_header.month": "month {k}",
    "activity.retention.small.one": (
        "{n:count} cohort has fewer than {min:count} users; read its rates with care."
    ),
    "activity.retention.small.other": (
        "{n:count} cohorts have fewer than {min:count} users; read their rates with care."
    ),
    "activity.retention.mean_caption": (
        "All cohorts pooled: retained users over cohort sizes, complete periods only, with "
        "95% intervals."
    ),
    "activity.km.caption": (
        "Kaplan-Meier retention of {users:count} users as of {as_of:date}: the share still "
        "active in a period or later. {censored:count} users whose next {cohort} has not ended "
        "are counted as censored, not as lost."
    ),
    # who the actives are and what they do
    "activity.profile.caption": (
        "Who the {active:count} active users are, against all {all:count} users. The index is "
        "100 x the share among active users / the share among all users: above 100, the value "
        "is more common among active users."
    ),
    "activity.profile.missing_level": "(not given)",
    "activity.profile.no_users": (
        "No users table is configured, so active users cannot be profiled by attribute. Add "
        "`sources.users` (user_id plus columns such as age, city, channel, platform, plan) to "
        "get this section."
    ),
    "activity.profile.attributes_empty": (
        "The users table has attribute columns ({columns}), but every value in them is empty, "
        "so active users cannot be profiled by attribute; fill them in the export to get this "
        "section."
    ),
    "activity.profile.no_attributes": (
        "The users table has no attribute columns besides ids and signup time, so active users "
        "cannot be profiled by attribute."
    ),
    "activity.profile.not_in_table": (
        "{n:count} of the month's active users have no row in the users table: they are left "
        "out of these shares (see the data audit's orphan ids)."
    ),
    "activity.behaviour.caption": (
        "What the {users:count} active users did in the {days:count} days to {as_of:date}."
    ),
    "activity.behaviour.mix_caption": "Events on active days, most frequent first.",
    # retention drivers
    "activity.drivers.caption": (
        "Day-{day:count} retention of the {users:count} users first active {start:date} to "
        "{end:date}: {rate:share}."
    ),
    "activity.drivers.strongest": (
        "Strongest: {behaviour}. {doers:share} of the users who did it were retained, against "
        "{non_doers:share} of those who did not."
    ),
    "activity.drivers.none": "No early behaviour separates retained from other users.",
    "activity.drivers.note": (
        "Correlation, not causation: use it to choose what to test, then test it."
    ),
    "activity.drivers.behaviour.one": "{event:event} at least once in the first {days:count} days",
    "activity.drivers.behaviour.other": (
        "{event:event} at least {n:count} times in the first {days:count} days"
    ),
    # headline numbers
    "activity.headline.title": "The month in numbers",
    # charts (helpers.plots.activity)
    "activity.plot.window.one": "{name} ({n:count} day)",
    "activity.plot.window.other": "{name} ({n:count} days)",
    "activity.plot.dau": "DAU",
    "activity.plot.wau": "WAU",
    "activity.plot.mau": "MAU",
    "activity.plot.dau_mau": "DAU / MAU",
    "activity.plot.wau_mau": "WAU / MAU",
    "activity.plot.day_axis": "day (business timezone)",
    "activity.plot.active_users_axis": "active users (distinct)",
    "activity.plot.active_users_title": "Daily, weekly and monthly active users",
    "activity.plot.stickiness_axis": "stickiness (% of MAU)",
    "activity.plot.stickiness_title": "Stickiness",
    "activity.plot.power_axis": "active days in the {days:count} days to {as_of:date}",
    "activity.plot.power_share_axis": "share of active users (%)",
    "activity.plot.power_title": "Power-user curve (L{days:count})",
    "activity.plot.bucket_legend": "{bucket} days",
    "activity.plot.month_axis": "month",
    "activity.plot.buckets_axis": "share of the month's active users (%)",
    "activity.plot.buckets_title": "Active days per month",
    "activity.plot.state.new": "new",
    "activity.plot.state.returning": "returning",
    "activity.plot.state.resurrecting": "resurrecting",
    "activity.plot.state.dormant": "dormant",
    "activity.plot.period_axis.week": "week (start)",
    "activity.plot.period_axis.month": "month (start)",
    "activity.plot.lifecycle_axis": "users (dormant below zero)",
    "activity.plot.lifecycle_title.week": "Lifecycle per week",
    "activity.plot.lifecycle_title.month": "Lifecycle per month",
    "activity.plot.partial.week": "partial week (the data ends in it)",
    "activity.plot.partial.month": "partial month (the data ends in it)",
    "activity.plot.quick_ratio": "quick ratio",
    "activity.plot.since_start.week": "weeks since cohort start",
    "activity.plot.since_start.month": "months since cohort start",
    "activity.plot.cohort_axis.week": "cohort (week start)",
    "activity.plot.cohort_axis.month": "cohort (month start)",
    "activity.plot.heatmap_title.week": "Weekly retention by cohort (blank = period not over)",
    "activity.plot.heatmap_title.month": "Monthly retention by cohort (blank = period not over)",
    "activity.plot.retained_axis": "retained (%)",
    "activity.plot.mean_curve": "mean of complete cohorts",
    "activity.plot.retained_share_axis": "retained (% of cohort)",
    "activity.plot.mean_curve_title": "Mean retention curve (complete cohorts)",
    "activity.plot.km_curve": "Kaplan-Meier (open periods censored)",
    "activity.plot.km_axis": "active in this period or later (%)",
    "activity.plot.km_title": "Retention, Kaplan-Meier (open periods censored)",
    "activity.plot.attribute_value": "{attribute:column}: {value}",
    "activity.plot.index_axis": "index: 100 x share among active / share among all users",
    "activity.plot.attribute_axis": "attribute: value",
    "activity.plot.who_title": "Who is active",
    "activity.plot.who_by_title": "Who is active by {attribute:column}",
    "activity.plot.did_it": "did it",
    "activity.plot.did_not": "did not",
    "activity.plot.driver_tick": "{behaviour} (r = {score:score.2})",
    "activity.plot.strongest": "★ {label}",
    "activity.plot.drivers_axis": "retained on day {day:count} (% of users, 95% interval)",
    "activity.plot.behaviour_axis": "early behaviour",
    "activity.plot.drivers_title": "Retention drivers (correlation, not causation)",
}

# column name -> (label, kind); kinds are those of helpers.display.format
COLUMNS = {
    # definition sensitivity
    "definition": ("Definition of active", "text"),
    "mau": ("MAU", "count"),
    "change_vs_chosen": ("Change vs chosen (users)", "count"),
    "active_user_days": ("Active user-days", "count"),
    "ever_active": ("Ever active", "count"),
    # rolling and monthly actives
    "dau": ("DAU", "count"),
    "wau": ("WAU", "count"),
    "dau_mau": ("DAU / MAU", "share"),
    "wau_mau": ("WAU / MAU", "share"),
    "active_users": ("Active users", "count"),
    "change_users": ("Change (users)", "count"),
    # power users
    "active_days": ("Active days", "count"),
    "cum_share": ("Share with at most this many days", "share"),
    "share_at_least": ("Share with at least this many days", "share"),
    # lifecycle
    "active": ("Active", "count"),
    "new": ("New", "count"),
    "returning": ("Returning", "count"),
    "resurrecting": ("Resurrecting", "count"),
    "went_dormant": ("Went dormant", "count"),
    "active_prev": ("Active the period before", "count"),
    "quick_ratio": ("Quick ratio", "ratio"),
    # retention
    "cohort_start": ("Cohort starting", "date"),
    "periods_since_start": ("Periods since the cohort started", "count"),
    "cohorts": ("Cohorts", "count"),
    "cohort_size": ("Cohort size", "count"),
    "retained": ("Retained", "count"),
    "retention_rate": ("Retained share", "share"),
    "still_active": ("Active then or later", "share"),
    "users_at_risk": ("Users still followed", "count"),
    "users_lost": ("Users lost", "count"),
    "users_censored": ("Users censored (period still open)", "count"),
    # attribute profile and behaviour
    "n_active": ("Active users", "count"),
    "n_all": ("All users", "count"),
    "share_active": ("Share of active users", "share"),
    "share_all": ("Share of all users", "share"),
    "index_vs_all": ("Index (all users = 100)", "number"),
    "events_per_active_day": ("Events per active day", "number"),
    "purchasers": ("Purchasers", "count"),
    "purchase_rate": ("Purchase rate", "share"),
    "revenue_per_active_user": ("Revenue per active user", "money"),
    # retention drivers
    "behaviour": ("Early behaviour", "text"),
    "doers": ("Did it", "count"),
    "share_doers": ("Share who did it", "share"),
    "rate_doers": ("Retained, did it", "share"),
    "rate_non_doers": ("Retained, did not", "share"),
    "difference": ("Difference", "pp"),
    "phi": ("Correlation (phi)", "score"),
}

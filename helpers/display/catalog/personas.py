"""The 03_personas report: the feature table, RFM, customer value, personas, cards and tags
(English). Sentences of :mod:`helpers.sections.personas`, chart words of
:mod:`helpers.plots.personas`, :mod:`helpers.plots.rfm` and :mod:`helpers.plots.value`.

Some of these words are stored, not only shown: a persona's generated name, its description,
its action text, the reason for k and the matching rule are written to ``persona_cards.json``
and ``personas.csv`` and read back next month (a persona keeps its name). Those messages
(``personas.phrase.*``, ``personas.name.*``, ``personas.card.*``, ``personas.action.*``,
``personas.k.reason.*``, ``personas.alignment.*``, ``personas.match.rule``) format their numbers
with Python format specs (``{share:.0%}``), not the report's kinds, so the stored text stays the
same from one release to the next; change them only together with the artifacts.
"""

_PHRASES = {
    # feature: (when the persona is higher than everyone else, when lower)
    "active_days_28": ("frequent visitors", "occasional visitors"),
    "active_days_7": ("active this week", "quiet this week"),
    "active_days_90": ("long-run regulars", "rare visitors"),
    "events_per_active_day_28": ("intense sessions", "quick visits"),
    "events_28": ("many actions", "few actions"),
    "orders": ("frequent buyers", "rare buyers"),
    "frequency": ("repeat buyers", "one-off buyers"),
    "revenue": ("high spend", "low spend"),
    "aov": ("big baskets", "small baskets"),
    "monetary_value": ("big repeat baskets", "small repeat baskets"),
    "clv": ("high future value", "low future value"),
    "tenure_days": ("long-standing", "newcomers"),
    "days_since_active": ("drifting away", "just active"),
    "recency_days": ("lapsing buyers", "recent buyers"),
}

_ACTIONS = {
    # action: (short name, recommendation, rule in words)
    "onboarding": (
        "Onboarding",
        "Onboarding: guide them to a first purchase and the core features in their first weeks.",
        "new users: median tenure_days <= 30",
    ),
    "win_back": (
        "Win-back",
        "Win-back: personal outreach and a loyalty reward before they lapse.",
        "high value at risk: revenue share >= 1.5 x user share and (mean P(alive) <= 0.8 x "
        "overall, or median days_since_active >= 14)",
    ),
    "targeted_coupons": (
        "Targeted coupons",
        "Targeted coupons: time-limited offers on items they viewed, instead of blanket "
        "discounts.",
        "price-sensitive: mean share_coupon_view >= 0.15 and >= 2 x overall",
    ),
    "beta_program": (
        "Beta program",
        "Beta programs and ambassador perks: early access, reviews, referrals.",
        "power users: mean active_days_28 >= 1.5 x overall and revenue share >= 1.5 x user share",
    ),
    "conversion_offer": (
        "Conversion offer",
        "Conversion offer: a first-purchase incentive where they already browse.",
        "high-activity non-payers: mean active_days_28 >= overall and buyer share "
        "<= 0.5 x overall",
    ),
    "re_engagement": (
        "Re-engagement",
        "Re-engagement: light-touch reminders and recommendations to bring them back more often.",
        "light users: mean active_days_28 <= 0.5 x overall",
    ),
    "nurture": (
        "Nurture",
        "Nurture: keep them engaged with regular recommendations and cross-sell.",
        "everyone else",
    ),
}

_FEATURES = {
    # the data dictionary of the user feature table (helpers.analysis.features)
    "user_id": "User id (string).",
    "first_active": (
        "First day with an active event (active_events > 0) up to as_of; empty if never active."
    ),
    "last_active": "Last day with an active event up to as_of; empty if never active.",
    "days_since_active": (
        "Days from last_active to as_of (0 = active on as_of); empty if never active."
    ),
    "active_days_7": "Active days in the 7 days ending at as_of (as_of-6 .. as_of).",
    "active_days_28": "Active days in the 28 days ending at as_of (as_of-27 .. as_of).",
    "active_days_90": "Active days in the 90 days ending at as_of (as_of-89 .. as_of).",
    "events_28": "Active events in the 28 days ending at as_of (passive events excluded).",
    "events_per_active_day_28": (
        "events_28 / active_days_28; 0 when the user had no active day in the window."
    ),
    "new_features_28": (
        "New features used: distinct new events the user did in the 28 days ending at as_of. "
        "An event is new when it was absent from the data's first 28 days and first appeared "
        "at most 55 days before as_of (passive events excluded)."
    ),
    "tenure_days": (
        "Days from the earlier of first_active and the signup day to as_of; empty if neither "
        "is known."
    ),
    "orders": (
        "Purchases up to as_of (orders with amount >= 0, free orders included, refunds excluded)."
    ),
    "revenue": "Sum of purchase amounts up to as_of (refunds excluded).",
    "aov": "Average order value: revenue / orders; empty for non-buyers.",
    "frequency": (
        "BTYD frequency: purchase days after the first purchase day; empty for non-buyers."
    ),
    "recency": "BTYD recency: days from the first to the last purchase day; empty for non-buyers.",
    "T": "BTYD T: days from the first purchase day to as_of; empty for non-buyers.",
    "monetary_value": (
        "BTYD monetary value: mean revenue of the repeat purchase days (0 when frequency is 0); "
        "empty for non-buyers."
    ),
    "recency_days": "RFM recency: days from the last purchase day to as_of; empty for non-buyers.",
    "share_of_event": (
        "Share of the user's active events in the last 90 days that were {event} (0 when none)."
    ),
    "signup_time": "Signup time from the users table (as stored).",
    "attribute": "A user attribute copied from the users table (age, city, plan...).",
}

MESSAGES = {
    # --- stored with the personas (see the module docs: Python format specs) ---------------------
    **{f"personas.phrase.{f}.high": high for f, (high, _) in _PHRASES.items()},
    **{f"personas.phrase.{f}.low": low for f, (_, low) in _PHRASES.items()},
    "personas.phrase.event_heavy": "{event:event}-heavy",
    "personas.phrase.high_feature": "high {feature}",
    "personas.phrase.low_feature": "low {feature}",
    "personas.phrase.mostly": "mostly {value}",
    "personas.phrase.aged": "aged {band}",
    "personas.name.separator": ", ",
    "personas.name.typical": "typical users",
    "personas.name.numbered": "{name} (persona {number})",
    "personas.name.fallback": "Persona {number}",
    "personas.card.share_label": "share of {event:event}",
    "personas.card.column": "{col:column}",
    "personas.card.feature.share": "{label} {mean:.0%} (all {overall:.0%})",
    "personas.card.feature.number": "{label} {mean:,.1f} (all {overall:,.1f})",
    "personas.card.feature_separator": "; ",
    "personas.card.description.full": (
        "{user_share:.0%} of active users, {revenue_share:.0%} of revenue: {features}."
    ),
    "personas.card.description.no_revenue": "{user_share:.0%} of active users: {features}.",
    "personas.card.description.no_features": (
        "{user_share:.0%} of active users, {revenue_share:.0%} of revenue."
    ),
    "personas.card.description.bare": "{user_share:.0%} of active users.",
    **{f"personas.action.{a}.name": name for a, (name, _, _) in _ACTIONS.items()},
    **{f"personas.action.{a}.text": text for a, (_, text, _) in _ACTIONS.items()},
    **{f"personas.action.{a}.rule": rule for a, (_, _, rule) in _ACTIONS.items()},
    "personas.k.reason.parameter": "k = {k} was set by the `k` parameter.",
    "personas.k.reason.eligible": (
        "k = {k}: the highest silhouette ({silhouette:.3f}) among the k whose stability is at "
        "least {min_stability} (this one: {stability:.3f}) and whose smallest persona holds at "
        "least {min_share:.0%} of the users{runner_up}."
    ),
    "personas.k.reason.unstable": (
        "k = {k}: the highest silhouette ({silhouette:.3f}); no k reached stability "
        "{min_stability} with a smallest persona of {min_share:.0%}, so the personas may shift "
        "between runs{runner_up}."
    ),
    "personas.k.reason.runner_up": "; next best k = {k} (silhouette {silhouette:.3f})",
    "personas.alignment.no_previous": (
        "No personas of the previous month were found: personas are numbered by size "
        "(1 = the largest) and cannot be compared with last month."
    ),
    "personas.alignment.not_aligned": "not aligned with a previous month",
    "personas.match.rule": (
        "Clusters are paired one-to-one by member overlap (Jaccard index over the "
        "{users_in_both:,} users active in both months), centroid distance breaking ties; a pair "
        "is the same persona when the overlap is at least {min_overlap:g} or the centres are "
        "within {max_distance:g} standard deviations. Drifted: centre moved more than "
        "{drift_distance:g} standard deviations or fewer than {drift_kept:.0%} of last month's "
        "members still active stayed in it."
    ),
    # --- what the data lacks -----------------------------------------------------------------------
    "personas.inputs.complete": (
        "All inputs for this review are present: events, orders and a users table."
    ),
    "personas.inputs.lead": "Missing inputs (the review runs on what is there):",
    "personas.inputs.events": (
        "No event source: personas use purchase behaviour only (no event mix); an event log "
        "would add what users do between purchases."
    ),
    "personas.inputs.orders": (
        "No orders source: no RFM, revenue or customer value; orders would add them."
    ),
    "personas.inputs.users": (
        "No users table: cards show no attribute mix (age, city, channel, platform); a users "
        "export would add it."
    ),
    "personas.inputs.buyers": "No buyers up to as_of: RFM and value sections are empty.",
    # --- the feature table -------------------------------------------------------------------------
    "personas.features.caption": (
        "The first {shown:count} of {users:count} users known at {as_of:date}, {columns:count} "
        "columns (the table scrolls sideways)."
    ),
    "personas.features.dictionary": "What each column of the feature table means.",
    **{f"personas.feature.{entry}": doc for entry, doc in _FEATURES.items()},
    # --- RFM -----------------------------------------------------------------------------------------
    "personas.rfm.caption": (
        "{buyers:count} buyers scored 1 to {bins:count} on recency, frequency and monetary "
        "value (ties: {tie_rule} rank), named by the {segment_map} segment map."
    ),
    "personas.rfm.tie_rule.min": "lowest",
    "personas.rfm.tie_rule.average": "mid",
    "personas.rfm.map.rf_grid": "recency x frequency grid (rf_grid)",
    "personas.rfm.map.rfm_package": "R rfm package (rfm_package)",
    "personas.rfm.map.custom": "custom",
    "personas.rfm.grid": (
        "Buyers per recency score (rows, 5 = most recent) and frequency score (columns)."
    ),
    # --- customer value ------------------------------------------------------------------------------
    "personas.value.fitted": (
        "BG/NBD and Gamma-Gamma fitted on {buyers:count} buyers (recency and T in weeks, "
        "penalizer {penalizer}); CLV over {horizon:count} months discounted at {rate:share} a "
        "month. Non-buyers have no value estimate."
    ),
    "personas.value.one_time.one": (
        "P(alive) is left empty for the {n:count} buyer without a repeat purchase: BG/NBD gives "
        "such buyers 1 by construction (it lets customers drop out only after a repeat "
        "purchase), so means of P(alive) are over repeat buyers."
    ),
    "personas.value.one_time.other": (
        "P(alive) is left empty for the {n:count} buyers without a repeat purchase: BG/NBD gives "
        "them 1 by construction (it lets customers drop out only after a repeat purchase), so "
        "means of P(alive) are over repeat buyers."
    ),
    # archetype names (helpers.analysis.segments.archetypes)
    "personas.archetype.trialists": "Trialists",
    "personas.archetype.power_users": "Power users",
    "personas.archetype.deal_hunters": "Deal hunters",
    "personas.archetype.lapsing": "Lapsing users",
    "personas.archetype.steady_regulars": "Steady regulars",
    "personas.archetype.casual_browsers": "Casual browsers",
    "personas.archetype.qualified": "{archetype} ({feature})",
    "personas.card.subtitle": "What sets them apart: {features}.",
    "personas.needs.rfm": (
        "No RFM segments this month: they score buyers, and the data has no purchase up to the "
        "end of the month. An orders source, or `purchase_events` naming the events that are "
        "purchases, gives each buyer a value segment (champions, loyal, at risk, hibernating)."
    ),
    "personas.value.not_fitted": (
        "The value models were not fitted on {buyers:count} buyers, so no buyer has a value "
        "estimate: {reason}"
    ),
    "personas.value.model.bgnbd": "BG/NBD model",
    "personas.value.model.gamma_gamma": "Gamma-Gamma spend model",
    "personas.value.model.caption": (
        "{model}: fitted by maximum likelihood on {customers:count} customers (penalizer "
        "{penalizer}); log-likelihood {loglik:number.2}."
    ),
    "personas.value.model.not_fitted": "{model}: not fitted.",
    "personas.value.independence.weak": (
        "Among {customers:count} repeat buyers, the Pearson correlation between purchase "
        "frequency and average spend is {correlation:number.3} (weak); the Gamma-Gamma model "
        "assumes the two are independent."
    ),
    "personas.value.independence.notable": (
        "Among {customers:count} repeat buyers, the Pearson correlation between purchase "
        "frequency and average spend is {correlation:number.3} (notable); the Gamma-Gamma model "
        "assumes the two are independent, so treat its spend estimates with care."
    ),
    "personas.value.by_group": (
        "Value by {group}: users, buyers, mean P(alive) (repeat buyers), expected purchases over "
        "the horizon (buyers), CLV per user (non-buyers count as 0), total CLV and its share."
    ),
    "personas.group.rfm_segment": "RFM segment",
    "personas.group.persona": "persona",
    # --- how many personas -------------------------------------------------------------------------
    "personas.k.caption": (
        "{reason} ({users:count} users; silhouette on {silhouette:count} of them, stability on "
        "{sample:count})."
    ),
    "personas.k.caption_set": "{reason} ({users:count} users.)",
    # --- the same personas as last month -----------------------------------------------------------
    "personas.alignment.not_called": (
        "The personas were not aligned with a previous month: they are numbered by size."
    ),
    "personas.alignment.caption": (
        "Matched with the personas of {previous_month:month}: {kept:count} kept their number and name, "
        "{new:count} new, {gone:count} gone."
    ),
    "personas.alignment.none_changed": "No persona drifted beyond the thresholds.",
    "personas.alignment.changes": "Changes to note:",
    "personas.alignment.new": (
        "New persona {persona}. {name} ({users:count} users) has no counterpart last month."
    ),
    "personas.alignment.gone": (
        "Persona {persona}. {name} ({users:count} users last month) has no counterpart this month."
    ),
    "personas.alignment.drifted": (
        "Persona {persona}. {name} drifted: its centre moved {shift:number.2} standard "
        "deviations and {stayed:share.0} of last month's members still active stayed in it."
    ),
    "personas.alignment.renamed": (
        "Persona {persona}. {name} keeps last month's name; this month it would be called "
        "'{generated}'."
    ),
    "personas.alignment.drifted_renamed": (
        "Persona {persona}. {name} drifted: its centre moved {shift:number.2} standard "
        "deviations and {stayed:share.0} of last month's members still active stayed in it; "
        "this month it would be called '{generated}'."
    ),
    "personas.status.kept": "kept",
    "personas.status.new": "new",
    "personas.status.gone": "gone",
    # --- cards ---------------------------------------------------------------------------------------
    "personas.cards.caption": (
        "{personas:count} personas over {users:count} active users (silhouette "
        "{silhouette:score}). {reason}"
    ),
    "personas.cards.table": (
        "Personas by size; the cards below say what sets each apart (compared with everyone "
        "else: d is the standardized difference of means)."
    ),
    "personas.card.title": "{persona}. {name}",
    "personas.card.size": (
        "{users:count} users ({user_share:share.0}), {revenue_share:share.0} of revenue to date."
    ),
    "personas.card.size_no_revenue": "{users:count} users ({user_share:share.0}).",
    "personas.card.stands_out": "Stands out by: {features}.",
    "personas.card.stand_share": "{label} {mean:share.0} vs {overall:share.0} (d {d:+.2f})",
    "personas.card.stand_number": "{label} {mean:number} vs {overall:number} (d {d:+.2f})",
    "personas.card.top_events": "Top events: {events}.",
    "personas.card.event": "{event} {share:share.0}",
    "personas.card.no_events": "Top events: no event data.",
    "personas.card.attributes": "Attributes (share in the persona, overall): {attributes}.",
    "personas.card.attribute": "{attribute:column}: {values}",
    "personas.card.attribute_value": "{value} {share:share.0} ({overall:share.0})",
    "personas.card.no_attributes": "Attributes: no user attributes in the data.",
    "personas.card.value": (
        "Value: CLV per user {clv:money}; P(alive) {p_alive:share.0}; expected purchases "
        "{purchases:number}."
    ),
    "personas.card.no_value": "Value: not estimated.",
    "personas.card.action": "Action: {text}",
    "personas.list_separator": ", ",
    "personas.item_separator": "; ",
    # --- tags ----------------------------------------------------------------------------------------
    "personas.tags.from_config.one": "{n:count} tag declared in the config (tags:).",
    "personas.tags.from_config.other": "{n:count} tags declared in the config (tags:).",
    "personas.tags.defaults": (
        "The config declares no tags: the {n:count} default tags "
        "(helpers.analysis.segments.tags.DEFAULT_TAGS) are used."
    ),
    "personas.tags.caption": (
        "{tags:count} tags over {users:count} active users: users and share of users per tag."
    ),
    "personas.tags.pairs": (
        "The {n:count} most overlapping pairs of tags (Jaccard: shared users / users with either "
        "tag)."
    ),
    "personas.layer.basic": "basic",
    "personas.layer.behaviour": "behaviour",
    "personas.layer.value": "value",
    # --- artifacts -----------------------------------------------------------------------------------
    "personas.artifacts.lead": "Written to artifacts/:",
    # --- charts --------------------------------------------------------------------------------------
    "personas.plot.profiles.title": "Persona profiles (standardized feature means)",
    "personas.plot.profiles.colorbar": "mean standardized value",
    "personas.plot.profiles.share": "% {event:event}",
    "personas.plot.projection.title": "Personas on two principal components ({users:count} users)",
    "personas.plot.projection.axis": "PC{n} ({share:share.0} of variance)",
    "personas.plot.k.empty": "k was set by parameter: no selection to show",
    "personas.plot.k.silhouette": "silhouette",
    "personas.plot.k.stability": "stability (ARI)",
    "personas.plot.k.stability_axis": "stability (mean adjusted Rand)",
    "personas.plot.k.x": "number of personas k",
    "personas.plot.k.chosen": "chosen k = {k}",
    "personas.plot.k.title": "Choosing the number of personas",
    "personas.plot.sizes.users": "share of active users",
    "personas.plot.sizes.revenue": "share of revenue",
    "personas.plot.sizes.x": "share",
    "personas.plot.sizes.title": "Personas: users and revenue",
    "personas.plot.persona": "{persona}. {name}",
    "personas.plot.rfm.buyers": "share of buyers",
    "personas.plot.rfm.revenue": "share of revenue",
    "personas.plot.rfm.share": "share",
    "personas.plot.rfm.segments.title": "RFM segments: buyers and revenue",
    "personas.plot.rfm.frequency_score": "frequency score",
    "personas.plot.rfm.recency_score": "recency score",
    "personas.plot.rfm.grid.users": "Buyers per R x F cell",
    "personas.plot.rfm.grid.mean_monetary": "Mean monetary value per R x F cell",
    "personas.plot.value.actual": "actual",
    "personas.plot.value.model": "model",
    "personas.plot.value.predicted": "predicted",
    "personas.plot.value.customers": "customers",
    "personas.plot.value.period.x": "repeat purchases in the calibration period",
    "personas.plot.value.period.title": "Repeat purchases: actual vs BG/NBD",
    "personas.plot.value.holdout.x": "purchases in the calibration period",
    "personas.plot.value.holdout.y": "mean purchases in the holdout period",
    "personas.plot.value.holdout.title": "Holdout purchases: actual vs predicted",
    "personas.plot.value.holdout.totals": (
        "(total {actual:number.0} actual, {predicted:number.0} predicted)"
    ),
    "personas.plot.value.alive.x": "P(alive)",
    "personas.plot.value.alive.title": "Probability each customer is still active",
}

# column name -> (label, kind); kinds are those of helpers.display.format
COLUMNS = {
    # the user feature table
    "first_active": ("First active", "date"),
    "last_active": ("Last active", "date"),
    "days_since_active": ("Days since active", "days"),
    "active_days_7": ("Active days (7 d)", "count"),
    "active_days_28": ("Active days (28 d)", "count"),
    "active_days_90": ("Active days (90 d)", "count"),
    "events_28": ("Events (28 d)", "count"),
    "events_per_active_day_28": ("Events per active day (28 d)", "number"),
    "new_features_28": ("New features used (28 d)", "count"),
    "tenure_days": ("Tenure (days)", "days"),
    "aov": ("Average order value", "money"),
    "frequency": ("Repeat purchase days", "count"),
    "recency": ("First to last purchase (days)", "days"),
    "T": ("Since first purchase (days)", "days"),
    "monetary_value": ("Mean repeat spend", "money"),
    "recency_days": ("Days since last purchase", "days"),
    "signup_time": ("Signed up", "date"),
    "p_alive": ("P(alive)", "share"),
    "expected_purchases": ("Expected purchases", "number"),
    "clv": ("CLV", "money"),
    "feature_column": ("Column", "text"),
    "feature_header": ("Header in the report", "text"),
    "feature_definition": ("Definition", "text"),
    # RFM
    "rfm_segment": ("RFM segment", "text"),
    "mean_recency_days": ("Mean days since last purchase", "days"),
    "mean_frequency": ("Mean orders", "number"),
    "mean_monetary": ("Mean revenue", "money"),
    "r_score": ("Recency score", "text"),
    # customer value
    "value_parameter": ("Parameter", "text"),
    "param_estimate": ("Estimate", "number"),
    "param_se": ("Standard error", "number"),
    "mean_p_alive": ("Mean P(alive)", "share"),
    "mean_expected_purchases": ("Mean expected purchases", "number"),
    "clv_per_user": ("CLV per user", "money"),
    "clv_total": ("Total CLV", "money"),
    "share_clv": ("Share of CLV", "share"),
    # the number of personas
    "k": ("Personas (k)", "count"),
    "silhouette": ("Silhouette", "score"),
    "stability": ("Stability", "score"),
    "inertia": ("Inertia", "number"),
    "smallest_share": ("Smallest persona", "share"),
    "k_eligible": ("Eligible", "bool"),
    "k_chosen": ("Chosen", "bool"),
    # matching with last month
    "generated_name": ("Name it would get now", "text"),
    "member_overlap": ("Overlap", "score"),
    "members_kept": ("Members kept", "share"),
    # tags
    "tag_name": ("Tag", "text"),
    "tag_layer": ("Layer", "text"),
    "other_tag": ("With tag", "text"),
    "tag_overlap": ("Overlap (Jaccard)", "score"),
}

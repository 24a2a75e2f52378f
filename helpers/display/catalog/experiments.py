"""Words of the A/B readout (06_ab_readout, helpers.sections.ab_readout and
helpers.plots.experiments), English.

The ``ab.record.*`` messages are the sentences written into ``artifacts/ab_<experiment>.json``
(``reasons`` and each health check's ``sentence``): scripts read that file, so they keep their
wording and their plain number formats; the report shows the ``ab.check.*`` / ``ab.reason.*``
sentences instead.
"""

MESSAGES = {
    # metrics of the readout (helpers.analysis.experiments.inputs.readout_metrics)
    "ab.metric.converted": "conversion",
    "ab.metric.orders": "orders per user",
    "ab.metric.revenue": "revenue per user",
    "ab.metric.active_days": "active days",
    "ab.metric.events": "events per user",
    "ab.metric.retained_d7": "day-7 retention",
    "ab.metric.revenue_per_order": "revenue per order",
    "ab.role.primary": "primary",
    "ab.role.guardrail": "guardrail",
    "ab.role.secondary": "secondary",
    "ab.scale.relative": "relative",
    "ab.scale.absolute": "absolute",
    "ab.intervals.fixed": "fixed-horizon Welch",
    "ab.intervals.sequential": "always-valid, safe to peek",
    "ab.list_sep": ", ",
    # health checks
    "ab.check.variant_count": "{variant} {n:count}",
    "ab.check.variant_share": "{variant} {share:share.0}",
    "ab.check.name.multiple_variants": "Users in several variants",
    "ab.check.name.srm": "Sample ratio",
    "ab.check.name.min_sample": "Minimum sample",
    "ab.check.name.before_start": "Assigned before the start",
    "ab.check.name.no_later_activity": "Activity after assignment",
    "ab.check.name.overlap": "Overlap with {other}",
    "ab.status.ok": "passed",
    "ab.status.fail": "FAILED",
    "ab.status.skipped": "not checked",
    "ab.check.multiple_variants": "{users:count} of {total:count} users ({share:share.2}) were "
    "assigned to more than one variant; they are left out of the readout.",
    "ab.check.srm.ok": "Users per variant ({observed}) match the expected split ({expected}).",
    "ab.check.srm.fail": "Users per variant ({observed}) do not match the expected split "
    "({expected}): a sample ratio mismatch, so the assignment or its logging is broken.",
    "ab.check.min_sample.ok": "The smallest variant has {users:count} users "
    "(minimum {minimum:count}).",
    "ab.check.min_sample.fail": "The smallest variant has {users:count} users "
    "(minimum {minimum:count}); too few in {variants}.",
    "ab.check.before_start.one": "{n:count} user was assigned before the experiment start "
    "{start:date}.",
    "ab.check.before_start.other": "{n:count} users were assigned before the experiment start "
    "{start:date}.",
    "ab.check.before_start.skipped": "Not checked: set the parameter `experiment_start` "
    "(YYYY-MM-DD) to find assignments made before the experiment started.",
    "ab.check.no_later_activity.ok": "{users:count} of {total:count} assigned users "
    "({share:share}) had no activity after assignment; that share is similar in every variant.",
    "ab.check.no_later_activity.fail": "{users:count} of {total:count} assigned users "
    "({share:share}) had no activity after assignment; that share differs between variants, "
    "which biases the comparison.",
    "ab.check.overlap.ok.one": "{n:count} user is also in experiment {other}; its variants are "
    "balanced across this one's.",
    "ab.check.overlap.ok.other": "{n:count} users are also in experiment {other}; its variants "
    "are balanced across this one's.",
    "ab.check.overlap.fail.one": "{n:count} user is also in experiment {other}; its variants "
    "are not balanced across this one's, so its effect leaks into this comparison.",
    "ab.check.overlap.fail.other": "{n:count} users are also in experiment {other}; its "
    "variants are not balanced across this one's, so its effect leaks into this comparison.",
    "ab.health.summary": "{passed:count} of {n:count} checks passed, {failed:count} failed, "
    "{skipped:count} not checked.",
    "ab.health.blocking": "Failed: {checks}. The readout of this experiment is invalid: no "
    "lift below can be trusted.",
    "ab.health.small": "Failed: {checks}. The readout can say keep running, but not ship.",
    # the decision
    "ab.decision.ship": "ship {variant}",
    "ab.decision.do_not_ship": "do not ship",
    "ab.decision.keep_running": "keep running",
    "ab.decision.invalid": "invalid",
    "ab.decision.title": "Decision for {experiment}: {decision}",
    "ab.reason.no_health_checks": "No health checks were run: the quality of the assignment "
    "is unchecked.",
    "ab.reason.health_failed": "Health check failed ({check}): {finding}",
    "ab.reason.invalid_rerun": "No lift of this readout can be trusted, in either direction: "
    "fix the assignment (or its logging) and rerun. The sections below show no lifts.",
    "ab.reason.no_primary": "No primary metric was declared (parameter `primary`).",
    "ab.reason.guardrail_worse": "{variant}: the guardrail {metric} got worse "
    "(p-value {p:pvalue}).",
    "ab.reason.primary_worse": "{variant}: the primary metric {metric} got worse "
    "(Holm-adjusted p-value {p:pvalue}).",
    "ab.reason.primary_improved": "{variant}: every primary metric improved (Holm-adjusted "
    "p-value below {alpha:number}) and no guardrail got worse.",
    "ab.reason.below_min_sample": "{variant}: the primary metrics improved, but a variant is "
    "below the minimum sample (Holm-adjusted p-value: {pvalues}).",
    "ab.reason.inconclusive": "{variant}: the primary metrics are not conclusive yet "
    "(Holm-adjusted p-value: {pvalues}).",
    "ab.reason.metric_p": "{metric} {p:pvalue}",
    # the sections after the decision
    "ab.invalid": "This readout is invalid ({checks} failed), so no {what} is shown: it would "
    "not be evidence either way. Fix the assignment (or its logging) and rerun.",
    "ab.invalid.lifts": "lift",
    "ab.invalid.cuped": "CUPED-adjusted lift",
    "ab.invalid.bayes": "chance to win",
    "ab.invalid.segments": "per-segment lift",
    "ab.metrics.caption": "Each lift comes with its own {level:share.0} confidence interval "
    "({intervals}) and the p-value of the same test: the relative lift over {control} (delta "
    "method) and the absolute change. The p-values the decision reads are in the section below "
    "the table.",
    "ab.interval": "{low} to {high}",
    "ab.metrics.details": "Decision p-values and multiple-testing adjustments ({family:count} "
    "comparisons)",
    "ab.metrics.adjusted_caption": "p-value: the one the decision reads (CUPED-adjusted where "
    "CUPED applied, on the readout's scale); Holm p and BH p: adjusted for the {family:count} "
    "comparisons.",
    "ab.health.details": "Every health check ({n:count})",
    "ab.cuped.details": "CUPED-adjusted lifts ({n:count} rows)",
    "ab.bayes.details": "Bayesian reading: chance to win, credible interval and risk "
    "({n:count} rows)",
    "ab.invalid.power": "minimum detectable effect or power",
    "ab.invalid.timeline": "lift over time",
    "ab.metrics.users": "Users: {counts}.",
    "ab.metrics.fewer_users": "{metric} counts only the users whose outcome is known by the end "
    "of the month: {counts}.",
    "ab.cuped.caption": "The lift before and after CUPED. Variance reduction: the share of the "
    "metric's variance explained by the same user's value before assignment.",
    "ab.cuped.skipped": "Not adjusted (no value before assignment, or a ratio): {metrics}.",
    "ab.cuped.off": "CUPED was turned off (parameter `cuped`).",
    "ab.bayes.caption": "Chance that {variants} beats {control}, the {level:share.0} credible "
    "interval of the {scale} lift (flat prior), and the expected loss of keeping {control} or "
    "shipping the variant if that choice is wrong.",
    "ab.segments.personas.review": "Personas before the start ({start:date}): those of the "
    "{month:month} review ({file}). {users:count} of {total:count} assigned users had one; "
    "{new:count} are new since the start and {none:count} had no persona then, each kept as a "
    "group of its own.",
    "ab.segments.personas.fitted": "Personas before the start ({start:date}): fitted on the "
    "{clustered:count} users active in the 30 days up to {as_of:date}, since no month review "
    "before the start was found. {users:count} of {total:count} assigned users had one; "
    "{new:count} are new since the start and {none:count} had no persona then, each kept as a "
    "group of its own.",
    "ab.segments.no_snapshot": "No persona snapshot before the start ({start:date}) could be "
    "built (too few active users then); no per-persona effects.",
    "ab.segments.no_personas": "No persona snapshot before the start was given; no per-persona "
    "effects.",
    "ab.segments.details": "Lift per {segment}: the table",
    "ab.segment_value.new_since_start": "new since start",
    "ab.segment_value.no_persona": "no persona at start",
    "ab.segments.platform": "Platform per user: {users:count} of {total:count} assigned users "
    "have one.",
    "ab.segments.no_platform": "No platform was available (neither a users `platform` "
    "attribute nor a platform in the events); no per-platform effects.",
    "ab.segments.none": "No segment was available, so there are no per-segment effects.",
    "ab.segments.title": "Lift of {metric} by {segment}: {variant} vs {control}",
    "ab.segments.differ": "The lifts differ between segments (Cochran's Q {q:number}, "
    "p-value {p:pvalue}).",
    "ab.segments.similar": "No evidence that the lifts differ between segments (Cochran's Q "
    "{q:number}, p-value {p:pvalue}); read the overall lift rather than one segment's.",
    "ab.segments.untested": "Too few segments with data to test whether the lifts differ.",
    "ab.segments.caption": "Lift per segment with its {level:share.0} confidence interval; "
    "BH p: adjusted across the {n:count} segments.",
    "ab.segment.persona": "persona",
    "ab.segment.platform": "platform",
    # where the missing users of a sample-ratio mismatch are (helpers.sections.ab_diagnosis)
    "ab.diagnosis.title": "Where the missing users are",
    "ab.diagnosis.sentence": "{arm} is {shortfall:share.0} short ({missing:count} of an "
    "expected {expected:count} users are missing): {where}.",
    "ab.diagnosis.day.throughout": "on every assignment day from {first:date}",
    "ab.diagnosis.day.from": "from {day:date} on ({before:share.0} short before that day, "
    "{after:share.0} after)",
    "ab.diagnosis.day.until": "until {day:date} ({before:share.0} short up to that day, "
    "{after:share.0} after)",
    "ab.diagnosis.only": "only where {dimension} is {slices}",
    "ab.diagnosis.uneven": "unevenly across {dimension} values, with no single one to blame",
    "ab.diagnosis.spread": "evenly across every {dimension}",
    "ab.diagnosis.hint.random": "A loss this even points to logging rather than targeting: "
    "{arm}'s assignment rows look dropped at random. Check how {arm}'s assignments are written.",
    "ab.diagnosis.hint.located": "Look for what is different in those slices (a release, a "
    "client version, a targeting rule): that is where the assignment or its logging breaks.",
    "ab.diagnosis.not_needed": "Users per variant match the design split: there are no "
    "missing users to locate.",
    "ab.diagnosis.dimensions_caption": "Does the shortfall differ between the slices of each "
    "dimension? p-value: chi-square of variant by slice (below 0.001: it sits in some slices).",
    "ab.diagnosis.slices_caption": "Observed share of each arm per slice, against the design "
    "split ({split}). Missing users and shortfall are {arm}'s; Holm p: the slice's own "
    "sample-ratio test, adjusted across the slices.",
    "ab.diagnosis.details.one": "By {dimension} ({n:count} slice)",
    "ab.diagnosis.details.other": "By {dimension} ({n:count} slices)",
    "ab.diagnosis.dimension.assigned_day": "assignment day",
    "ab.diagnosis.dimension.platform": "platform",
    "ab.diagnosis.dimension.persona": "persona before the start",
    # minimum detectable effect and power (helpers.sections.ab_evidence)
    "ab.power.clear": "{variant}: this test could detect a change in {metric} of {mde} or more "
    "({power:share.0} power); the observed {lift} is beyond that: a clear result.",
    "ab.power.small_significant": "{variant}: this test could detect a change in {metric} of "
    "{mde} or more ({power:share.0} power); the observed {lift} is significant but smaller than "
    "that, so the true effect is likely smaller than observed.",
    "ab.power.too_few": "{variant}: this test could detect a change in {metric} of {mde} or "
    "more ({power:share.0} power); the observed {lift} is below that: not enough users to tell. "
    "Detecting it would take about {needed:count} users per variant ({times:number} times as "
    "many).",
    "ab.power.not_significant": "{variant}: this test could detect a change in {metric} of "
    "{mde} or more ({power:share.0} power); the observed {lift} is not significant once the "
    "comparisons are adjusted for.",
    "ab.power.untestable": "{variant}: {metric} does not vary in this data (or has too few "
    "users), so the test has no minimum detectable effect to give.",
    "ab.power.target": "Power to detect the target lift of {target:change}: {power:share.0}.",
    "ab.power.caption": "Minimum detectable effect (MDE): the smallest change the test detects "
    "with {power:share.0} power at a two-sided {alpha:number} level with the users it has "
    "(CUPED-adjusted where CUPED applied). Power: the chance to detect the observed lift if it "
    "were real. Users needed: per variant, to detect the observed lift.",
    "ab.power.details": "MDE and power of every metric ({n:count} rows)",
    # lift over time (helpers.sections.ab_evidence)
    "ab.timeline.stable": "On day {day:count} the cumulative lift of {metric} is {lift:change} "
    "(interval {low:change} to {high:change}); it has stayed inside that interval since day "
    "{since:count}: a stable effect, not a novelty effect.",
    "ab.timeline.novelty": "The cumulative lift of {metric} fell from {early:change} on day "
    "{early_day:count} to {lift:change} on day {day:count} (interval {low:change} to "
    "{high:change}): the early effect is fading, as a novelty effect does; let it settle "
    "before deciding.",
    "ab.timeline.learning": "The cumulative lift of {metric} rose from {early:change} on day "
    "{early_day:count} to {lift:change} on day {day:count} (interval {low:change} to "
    "{high:change}): the effect builds up as users get used to the change.",
    "ab.timeline.too_few": "Too few users per day to draw the lift of {metric} over time.",
    "ab.timeline.of_variant": "{variant}: {text}",
    "ab.needs.timeline": "Lift over time needs a primary metric that adds up day by day "
    "(conversion, orders, revenue, active days or events).",
    # charts (helpers.plots.experiments)
    "ab.plot.lifts_title": "Lift of each metric over {control}",
    "ab.plot.lifts_xlabel": "{scale} lift vs {control}, with interval",
    "ab.plot.metric_variant": "{metric} ({variant})",
    "ab.plot.segments_xlabel": "lift vs control by segment, with interval",
    "ab.plot.segments_title": "{metric}: heterogeneity p-value {p:pvalue}",
    "ab.plot.assignments_title": "Users assigned per variant over time",
    "ab.plot.assignments_title_of": "Users assigned per variant over time: {experiment}",
    "ab.plot.assignments_ylabel": "users assigned (cumulative)",
    "ab.plot.assignments_xlabel": "assignment date",
    "ab.plot.assignments_xlabel_period": "assignment period ({freq})",
    "ab.plot.variant": "variant",
    "ab.plot.timeline_title": "Cumulative lift of {metric} by day since the start",
    "ab.plot.timeline_xlabel": "days since the start ({start:date})",
    "ab.plot.timeline_ylabel": "lift vs {control} (%)",
    # the sentences of artifacts/ab_<experiment>.json (kept word for word; see the docstring)
    "ab.record.check.variant_count": "{variant} {n}",
    "ab.record.check.variant_share": "{variant} {share:.0%}",
    "ab.record.check.multiple_variants": "{users} of {total} users ({share:.2%}) were assigned "
    "to more than one variant; they are excluded.",
    "ab.record.check.srm.ok": "Users per variant ({observed}) against the configured split "
    "({expected}): chi-square p = {p:.4g}.",
    "ab.record.check.srm.fail": "Users per variant ({observed}) against the configured split "
    "({expected}): chi-square p = {p:.4g} (sample ratio mismatch).",
    "ab.record.check.min_sample.ok": "The smallest variant has {users} users (minimum {minimum}).",
    "ab.record.check.min_sample.fail": "The smallest variant has {users} users "
    "(minimum {minimum}); too few in {variants}.",
    "ab.record.check.before_start.one": "{n} users were assigned before the experiment start "
    "{start}.",
    "ab.record.check.before_start.other": "{n} users were assigned before the experiment start "
    "{start}.",
    "ab.record.check.before_start.skipped": "Assignments before the experiment start were not "
    "checked: set the parameter `experiment_start` (YYYY-MM-DD).",
    "ab.record.check.no_later_activity.ok": "{users} of {total} assigned users ({share:.1%}) had "
    "no activity after assignment; difference between variants p = {p:.4g}.",
    "ab.record.check.no_later_activity.fail": "{users} of {total} assigned users ({share:.1%}) "
    "had no activity after assignment; difference between variants p = {p:.4g}.",
    "ab.record.check.overlap.ok.one": "{n} users are also in experiment {other!r}; its variants "
    "are balanced across this one's (p = {p:.4g}).",
    "ab.record.check.overlap.ok.other": "{n} users are also in experiment {other!r}; its "
    "variants are balanced across this one's (p = {p:.4g}).",
    "ab.record.check.overlap.fail.one": "{n} users are also in experiment {other!r}; its "
    "variants are not balanced across this one's (p = {p:.4g}).",
    "ab.record.check.overlap.fail.other": "{n} users are also in experiment {other!r}; its "
    "variants are not balanced across this one's (p = {p:.4g}).",
    "ab.record.reason.no_health_checks": "No health checks were passed; assignment quality is "
    "unchecked.",
    "ab.record.reason.health_failed": "Health check failed: {finding}",
    "ab.record.reason.invalid_rerun": "The lifts below are not evidence either way: fix the "
    "assignment (or its logging) and rerun.",
    "ab.record.reason.no_primary": "No primary metric was declared.",
    "ab.record.reason.guardrail_worse": "{variant}: guardrail {metric} got worse (p = {p:.3g}).",
    "ab.record.reason.primary_worse": "{variant}: primary {metric} got worse (Holm p = {p:.3g}).",
    "ab.record.reason.primary_improved": "{variant}: every primary metric improved "
    "(Holm p < {alpha}) and no guardrail got worse.",
    "ab.record.reason.below_min_sample": "{variant}: a variant is below the minimum sample "
    "(Holm p: {pvalues}).",
    "ab.record.reason.inconclusive": "{variant}: the primary metrics are not conclusive "
    "(Holm p: {pvalues}).",
    "ab.record.reason.metric_p": "{metric} {p:.3g}",
}

# column name -> (label, kind): the columns of the readout's tables (helpers.sections.ab_readout)
COLUMNS = {
    "ab_check": ("Check", "text"),
    "ab_status": ("Status", "text"),
    "ab_finding": ("What was found", "text"),
    "ab_metric": ("Metric", "text"),
    "ab_role": ("Role", "text"),
    "ab_variant": ("Variant", "text"),
    "ab_variant_mean": ("Variant", "number"),
    "ab_lift": ("Lift", "change"),
    "ab_ci_low": ("CI low", "change"),
    "ab_ci_high": ("CI high", "change"),
    "ab_p": ("p-value", "pvalue"),
    "ab_p_holm": ("Holm p", "pvalue"),
    "ab_p_bh": ("BH p", "pvalue"),
    "ab_variance_reduction": ("Variance reduction", "share"),
    "ab_cuped_lift": ("CUPED lift", "change"),
    "ab_cuped_ci_low": ("CUPED CI low", "change"),
    "ab_cuped_ci_high": ("CUPED CI high", "change"),
    "ab_cuped_p": ("CUPED p", "pvalue"),
    "ab_chance_to_win": ("Chance to win", "share"),
    "ab_credible_low": ("Credible low", "change"),
    "ab_credible_high": ("Credible high", "change"),
    "ab_risk_keep": ("Risk if kept", "share"),
    "ab_risk_ship": ("Risk if shipped", "share"),
    "ab_segment": ("Segment", "text"),
    "ab_users": ("Users", "count"),
    "ab_lift_rel": ("Relative lift", "change"),
    "ab_ci_rel": ("Interval", "text"),
    "ab_p_rel": ("p (relative)", "pvalue"),
    "ab_lift_abs": ("Absolute change", "text"),
    "ab_ci_abs": ("Interval (absolute)", "text"),
    "ab_p_abs": ("p (absolute)", "pvalue"),
    "ab_dimension": ("Dimension", "text"),
    "ab_slices": ("Slices", "count"),
    "ab_where": ("Where the shortfall is", "text"),
    "ab_p_slices": ("p-value (slices differ)", "pvalue"),
    "ab_slice": ("Slice", "text"),
    "ab_missing": ("Missing users", "count"),
    "ab_shortfall": ("Shortfall", "share"),
    "ab_p_holm_slice": ("Holm p", "pvalue"),
    "ab_carries": ("Carries the shortfall", "bool"),
    "ab_users_per_variant": ("Users per variant", "count"),
    "ab_mde_rel": ("MDE (relative)", "share"),
    "ab_mde_abs": ("MDE (absolute)", "text"),
    "ab_power_observed": ("Power at the observed lift", "share"),
    "ab_power_target": ("Power at the target lift", "share"),
    "ab_users_needed": ("Users needed per variant", "count"),
}

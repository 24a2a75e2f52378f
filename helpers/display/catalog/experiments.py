"""Words of the A/B readout (05_ab_readout, helpers.sections.ab_readout and
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
    "ab.metrics.caption": "The {scale} lift over {control} with its {level:share.0} confidence "
    "interval ({intervals}). p-value: the one the decision reads (CUPED-adjusted where CUPED "
    "applied); Holm p and BH p: adjusted for the {family:count} comparisons.",
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
    "ab.segments.personas": "Personas from {file}: {users:count} of {total:count} assigned "
    "users have one.",
    "ab.segments.no_personas": "Personas were not available ({file} not found: run "
    "03_personas for this month first); no per-persona effects.",
    "ab.segments.no_personas_file": "the artifacts folder",
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
}

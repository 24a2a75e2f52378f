"""The data audit (01_data_audit): its sentences, check names and columns (English)."""

MESSAGES = {
    # canonical tables
    "audit.table.events": "events",
    "audit.table.orders": "orders",
    "audit.table.users": "users",
    "audit.table.identities": "identities",
    "audit.table.assignments": "assignments",
    "audit.table.campaigns": "campaign contacts",
    "audit.table.feedback": "feedback",
    # drop reasons: a short name and what it means, in the order they apply
    "audit.reason.missing_time": "Empty timestamp",
    "audit.reason.time_out_of_range": "Timestamp out of range",
    "audit.reason.duplicate": "Exact duplicate",
    "audit.reason.null_user_id": "No user id",
    "audit.reason.unstitched_anonymous": "Anonymous id not stitched",
    "audit.reason.duplicate_order_id": "Duplicate order id",
    "audit.reason.missing_amount": "Empty amount",
    "audit.reason.invalid_amount": "Amount not a finite number",
    "audit.reason.duplicate_user_row": "Second row of a user",
    "audit.reason.null_key": "Empty required id",
    "audit.reason.invalid_score": "Rating or NPS out of range",
    "audit.reason.empty_feedback": "Empty feedback",
    "audit.meaning.missing_time": "The timestamp is empty.",
    "audit.meaning.time_out_of_range": (
        "The timestamp is before `audit.valid_from` (launch) or at or after "
        "`audit.valid_until` (export)."
    ),
    "audit.meaning.duplicate": (
        "An exact copy of an earlier row of the same source (every mapped column equal)."
    ),
    "audit.meaning.null_user_id": "No user id and no anonymous id.",
    "audit.meaning.unstitched_anonymous": "An anonymous id that no identity maps to a user.",
    "audit.meaning.duplicate_order_id": "An order id seen before (the earliest row is kept).",
    "audit.meaning.missing_amount": "The amount is empty.",
    "audit.meaning.invalid_amount": "The amount is not a finite number (NaN, inf or -inf).",
    "audit.meaning.duplicate_user_row": (
        "A second row for a user id (the row with the earliest signup is kept)."
    ),
    "audit.meaning.null_key": "A required id (user, experiment or variant) is empty.",
    "audit.meaning.invalid_score": (
        "A feedback rating outside 1-5 or an NPS answer outside 0-10."
    ),
    "audit.meaning.empty_feedback": (
        "A feedback row with no rating, NPS answer, category or text: nothing to read."
    ),
    # the month under review beside the whole window (AuditView.month_verdict)
    "audit.month.title": "Data quality of {month:month}: {status}",
    "audit.month.status.good": "good",
    "audit.month.status.caution": "read with care",
    "audit.month.status.poor": "do not rely on it",
    "audit.month.window_span": "the whole window, {start:date} to {end:date}",
    "audit.month.window": "the whole window",
    "audit.month.scores": (
        "Data-quality score {score:number}/100 for the rows of {month:month}; "
        "{window_score:number}/100 over {window}."
    ),
    "audit.month.no_rows": (
        "No event or order row falls in {month:month}: the verdict uses the score over "
        "{window}, {window_score:number}/100."
    ),
    "audit.month.worst": (
        "{source} lost the largest share of its rows this month, {share:share}: {parts}."
    ),
    "audit.month.part_share": "{share:share} {reason}",
    "audit.month.part_count": "{reason}: {n:count}",
    "audit.month.unbalanced": "Rows do not add up (in ≠ kept + dropped) in {sources}.",
    "audit.month.flag_day": "{day:date} ({source}: {flag})",
    "audit.month.volume.one": "Unusual daily volume on {n:count} day of the month: {days}.",
    "audit.month.volume.other": "Unusual daily volume on {n:count} days of the month: {days}.",
    "audit.month.stitching": (
        "Only {share:share} of the anonymous {source} rows of the month are stitched to a user."
    ),
    "audit.month.no_time.one": (
        "{n:count} row has no timestamp: it belongs to no month and counts in the whole "
        "window's score only."
    ),
    "audit.month.no_time.other": (
        "{n:count} rows have no timestamp: they belong to no month and count in the whole "
        "window's score only."
    ),
    "audit.month.reason.missing_time": "empty timestamps",
    "audit.month.reason.time_out_of_range": "timestamps out of range",
    "audit.month.reason.duplicate": "exact duplicates",
    "audit.month.reason.null_user_id": "without a user id",
    "audit.month.reason.unstitched_anonymous": "anonymous ids not stitched to a user",
    "audit.month.reason.duplicate_order_id": "duplicate order ids",
    "audit.month.reason.missing_amount": "empty amounts",
    "audit.month.reason.invalid_amount": "amounts not a finite number",
    "audit.month.reason.event_name_variant": "event names repaired (kept)",
    "audit.month.nothing_lost": "nothing",
    "audit.month.window_only": "no time of its own: scored over the whole window only",
    "audit.month.caption": "The cleaning ledger of {month:month} beside {window}.",
    "audit.month.note": (
        "A row is in {month:month} when its timestamp falls in that month in {timezone}. "
        "Scores: 100 × (1 − (rows dropped + rows repaired) / rows in), by source; overall, "
        "the mean weighted by rows (the whole window's overall also weighs users, identities "
        "and assignments)."
    ),
    "audit.month.rule": (
        "The verdict: good from a score of {good:g} up; read with care below it, when a day "
        "of the month has unusual volume or few anonymous rows are stitched to a user; do not "
        "rely on it below {poor:g} or when a ledger does not add up."
    ),
    "audit.month.none": (
        "No month was given, so there is no month ledger: pass `month` (YYYY-MM) to see the "
        "month's verdict beside the whole window's."
    ),
    # sources at a glance
    "audit.sources.caption": (
        "{n:count} sources, {rows_in:count} rows read, {rows_kept:count} kept ({share:share})."
    ),
    "audit.sources.note": (
        "The first and last timestamps are those of every row read, dropped rows included (so "
        "out-of-range times show here). Times are shown in {timezone}, the business timezone "
        "where days are cut."
    ),
    "audit.sources.valid_range": (
        "The kept rows lie in the valid range from {start} to before {end} (local dates)."
    ),
    "audit.any_time": "any time",
    # ledger
    "audit.ledger.rows_in": "Rows in",
    "audit.ledger.dropped": "Dropped: {reason}",
    "audit.ledger.rows_kept": "Rows kept",
    "audit.ledger.balanced": (
        "Every source balances: rows in = rows kept + the rows dropped for each reason. "
        "A dash: the reason does not apply to that source's table."
    ),
    "audit.ledger.unbalanced.one": "{n:count} source does NOT balance: {sources}.",
    "audit.ledger.unbalanced.other": "{n:count} sources do NOT balance: {sources}.",
    # dropped rows
    "audit.dropped.none": "No event row was dropped.",
    "audit.dropped.caption": (
        "Examples of dropped event rows, up to {per_reason:count} per source and reason, as they "
        "were read."
    ),
    "audit.dropped.note": (
        "Times in {timezone}. Copies: how many times the row was in the source, or for an exact "
        "duplicate the extra copies. `project.dropped_events()` returns every dropped row."
    ),
    # event checks
    "audit.check.duplicate": "Exact duplicates",
    "audit.check.before_launch": "Before launch",
    "audit.check.in_future": "In the future",
    "audit.check.null_user_id": "No user id",
    "audit.check.anonymous_rows": "Anonymous rows",
    "audit.check.stitched_via_identities": "Stitched via the identities table",
    "audit.check.stitched_via_events": "Stitched via event rows with both ids",
    "audit.check.unstitched_anonymous": "Not stitched",
    "audit.check.event_name_variant": "Event names repaired (rows)",
    "audit.events.caption": (
        "Event sources: rows found by each check, before the cleaning resolved them."
    ),
    "audit.events.coverage": "Anonymous rows stitched to a user: {sources}.",
    "audit.events.coverage_of": "{source} {share:share}",
    "audit.events.no_anonymous": "No event source has anonymous rows to stitch.",
    "audit.events.none": (
        "No event source is configured, so there are no event checks; add `sources.events` to "
        "check duplicates, timestamps, user ids and identity stitching."
    ),
    # identities
    "audit.check.anonymous_ids_mapped": "Anonymous ids mapped to a user",
    "audit.check.conflicting_identities": (
        "Anonymous ids mapped to several users (the smallest user id kept)"
    ),
    "audit.identities.caption": (
        "Anonymous ids are stitched through the identities table and through event rows that "
        "carry both ids."
    ),
    "audit.identities.none": "No anonymous ids to stitch.",
    # event name variants
    "audit.variants.caption": (
        "{rows:count} rows carried an event name that differs from its standard form only in "
        "case or whitespace."
    ),
    "audit.variants.note": (
        "They were renamed to the standard form (trimmed, lower case), not dropped; most rows "
        "first."
    ),
    # users
    "audit.check.users_rows_in": "Rows in",
    "audit.check.users_kept": "Users kept",
    "audit.check.duplicated_user_ids": "User ids on several rows",
    "audit.check.duplicate_user_rows": "Extra rows dropped",
    "audit.check.conflicting_duplicate_users": "Ids whose rows disagree on an attribute",
    "audit.users.caption": "Users: duplicated ids.",
    "audit.users.note": "A user id that appears twice keeps the row with the earliest signup.",
    "audit.users.none": (
        "No users table is configured; add `sources.users` to check duplicated ids and "
        "conflicting attributes."
    ),
    # orphans
    "audit.orphans.events": "Events of user ids absent from users",
    "audit.orphans.orders": "Orders of user ids absent from users",
    "audit.orphans.inactive": "Users with no event or order",
    "audit.orphans.caption": "Orphan ids, both ways.",
    "audit.orphans.zero_padded": (
        "{ids:count} of the orphan ids match a users id once leading zeros are dropped (007 "
        "against 7): the sources spell the same ids differently, so these users are split in "
        "two. Export the ids as text with the same padding in every source."
    ),
    "audit.orphans.note": (
        "Activity of unknown users is kept (it is real activity) but has no attributes."
    ),
    "audit.orphans.none": (
        "No users table is configured, so orphan ids cannot be checked; add `sources.users` to "
        "get attributes and this check."
    ),
    # orders
    "audit.check.orders_kept": "Orders kept",
    "audit.check.refunds": "Refunds (amount < 0)",
    "audit.check.refund_amount": "Refunded amount",
    "audit.check.free_orders": "Free orders (amount = 0)",
    "audit.check.unknown_amount": (
        "Orders without an amount (purchase events with no revenue column: no revenue counted)"
    ),
    "audit.check.buyers": "Buyers",
    "audit.check.has_order_id": "Order id mapped",
    "audit.check.duplicate_order_id": "Duplicate order ids dropped",
    "audit.check.possible_duplicate_orders": "Possible duplicates (no order id, kept)",
    "audit.orders.caption": "Orders: refunds, free orders and duplicates.",
    "audit.orders.note": (
        "Refunds are kept in the table but excluded from purchases and revenue; free orders "
        "count as purchases (the BTYD convention)."
    ),
    "audit.orders.none": (
        "No order source is configured; add `sources.orders` to check refunds, free orders and "
        "duplicate orders."
    ),
    # schema
    "audit.schema.caption": (
        "Canonical columns after mapping: type and missing values in the kept rows, per source."
    ),
    "audit.schema.note": "Columns with the most missing values first.",
    "audit.schema.none": "No cleaned table to profile.",
    # daily volume
    "audit.flag.spike": "spike",
    "audit.flag.drop": "drop",
    "audit.flag.gap": "gap",
    "audit.volume.caption.one": "{n:count} source-day flagged as a spike, drop or gap.",
    "audit.volume.caption.other": "{n:count} source-days flagged as spikes, drops or gaps.",
    "audit.volume.note": (
        "Robust z-score of the day's rows against the centred 7-day median; the threshold is "
        "`audit.spike_threshold`."
    ),
    "audit.volume.none": "No day of unusual volume: no spike, drop or gap in any source.",
    "audit.plot.title": "Daily volume per source",
    "audit.plot.x": "business day",
    "audit.plot.y": "rows per day",
    "audit.plot.y_log": "rows per day (log scale)",
    "audit.plot.flag_label": "{flag} ({source})",
    # quality score
    "audit.quality.overall": "overall",
    "audit.quality.caption": "Data-quality score, 0 to 100: higher is better.",
    "audit.quality.formula": (
        "Per source: 100 × (1 − (rows dropped + rows repaired) / rows in); overall: the mean "
        "of the sources weighted by their rows. Repaired rows are kept rows whose event name "
        "was standardized."
    ),
}

# column name -> (label, kind)
COLUMNS = {
    "source_table": ("Table", "text"),
    "rows_in": ("Rows in", "count"),
    "rows_kept": ("Rows kept", "count"),
    "kept_share": ("Kept", "share"),
    "first_read": ("First timestamp read", "date"),
    "last_read": ("Last timestamp read", "date"),
    "quality_score": ("Quality score", "number"),
    "ledger_item": ("Rows", "text"),
    "reason_meaning": ("What it means", "text"),
    "name_as_logged": ("Name as logged", "text"),
    "standard_name": ("Standard name", "text"),
    "user_ids": ("User ids", "count"),
    "anonymous_id": ("Anonymous id", "text"),
    "event_time": ("Event time", "date"),
    "copies": ("Copies", "count"),
    "column_name": ("Column", "text"),
    "column_type": ("Type", "text"),
    "missing_values": ("Missing values", "count"),
    "missing_share": ("Missing", "share"),
    "expected_rows": ("Expected rows", "count"),
    "robust_z": ("Robust z-score", "number"),
    "volume_flag": ("Flag", "text"),
    "month_rows_in": ("Rows in the month", "count"),
    "month_rows_kept": ("Kept in the month", "count"),
    "month_lost": ("Dropped or repaired in the month", "text"),
    "month_score": ("Score, month", "number"),
    "window_score": ("Score, whole window", "number"),
}

"""Clean the event sources: each source read once and grouped into its distinct rows, anonymous
ids stitched to users, names standardized, and every distinct row stored once with its fate.

:func:`clean_events` is called by :func:`helpers.data.cleaning.clean`; :func:`kept_events` is the
cleaned view of the stored rows that analyses read.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

from helpers.core import schema
from helpers.core.config import Config
from helpers.data import engine
from helpers.data.audit import EventChecks, IdentityStats
from helpers.data.cleaning_rules import (
    counts_by_source,
    iso_time,
    ledger,
    no_materialize,
    time_flags,
    time_valid,
)

__all__ = ["EVENT_INTERNAL", "kept_events", "distinct_rows", "standard_event_name", "clean_events"]


EVENT_INTERNAL = ("copies", "drop_reason", "stitched_via", "event_name_raw")


def kept_events(stored: ibis.Table) -> ibis.Table:
    """The cleaned events: the kept rows of the stored events table, canonical columns only.

    The cache stores every distinct event row once, with its number of ``copies`` in the
    source, its ``drop_reason`` (null when kept), how its user id was stitched
    (``stitched_via``) and its exported name when that differed from the standardized one
    (``event_name_raw``). Analyses read this view of it.
    """
    cols = [c for c in stored.columns if c not in EVENT_INTERNAL]
    return stored.filter(stored.drop_reason.isnull()).select(*cols)


def distinct_rows(t: ibis.Table) -> ibis.Table:
    """The distinct rows of one mapped source with their number of ``copies`` (exact duplicates:
    every column equal)."""
    return t.group_by(list(t.columns)).aggregate(copies=ibis._.count())


def standard_event_name(name: ibis.StringValue) -> ibis.StringValue:
    """An exported event name standardized: surrounding whitespace trimmed, lower case."""
    return engine.strip_text(name).lower()


def _as_parts(ev) -> list:
    """Mapped event sources as (table, holds both ids) pairs; a plain table is one source."""
    if isinstance(ev, ibis.Table):
        return [(ev, True)]
    return [(m.table, {schema.USER_ID, schema.ANONYMOUS_ID} <= set(m.present)) for m in ev]


def clean_events(
    ev,
    identities: ibis.Table | None,
    cfg: Config,
    *,
    materialize=no_materialize,
    check_values=None,
):
    """Clean the event sources; returns (kept events, per-source audit, identity map, stitching stats).

    ``ev`` is the list of mapped sources (:class:`helpers.data.sources.MappedSource`) or one mapped
    table. Each source is read once, grouped by every mapped column into its distinct rows
    with their ``copies``, and written once (``materialize(expr, "events")``; the pipeline
    stores Parquet) with the drop reason of each distinct row. The ledger counts are
    aggregates of that stored table, and :func:`kept_events` is the cleaned view of it.
    Only sources holding both a user id and an anonymous id are read a second time, for
    the identity map. ``check_values(counts)``, if given, receives the per-source counts (indexed
    by source) with a ``__bad_<column>`` column each: the rows whose value did not parse (their
    ``drop_reason`` is ``__bad_<column>``); :func:`helpers.data.sources.raise_deferred` raises on them.
    """
    tz = cfg.timezone
    parts = _as_parts(ev)
    E, U, A = schema.EVENT_TIME, schema.USER_ID, schema.ANONYMOUS_ID

    # 1. identity map: identities source + time-valid event rows carrying both ids
    pairs = []
    for t, both in parts:
        if both:
            ok = time_valid(t, E, cfg) & t[A].notnull() & t[U].notnull()
            pairs.append(t.filter(ok).select(A, U, via=ibis.literal("events")))
    if identities is not None:
        pairs.insert(0, identities.select(A, U, via=ibis.literal("identities")))
    if pairs:
        allpairs = ibis.union(*pairs, distinct=False) if len(pairs) > 1 else pairs[0]
        idmap = materialize(
            allpairs.group_by(A).aggregate(
                mapped_user=allpairs[U].min(),
                n_users=allpairs[U].nunique(),
                in_identities=(allpairs.via == "identities").any(),
            ),
            "idmap",
        )
    else:
        idmap = None

    # 2. each source's distinct rows with their copies, stitched and standardized, with a drop reason
    grouped = [distinct_rows(t) for t, _ in parts]
    g = ibis.union(*grouped, distinct=False) if len(grouped) > 1 else grouped[0]
    if idmap is not None:
        j = g.left_join(idmap, g[A] == idmap[A])
        j = j.select(
            *[g[c] for c in g.columns],
            mapped_user=idmap.mapped_user,
            in_identities=idmap.in_identities.fill_null(False),
        )
    else:
        j = g.mutate(mapped_user=ibis.null(dt.string), in_identities=ibis.literal(False))
    missing, before, after = time_flags(j, E, cfg)
    no_uid = j[U].isnull()
    # a value that does not parse (checked after the write: the build then stops with its error)
    bad = [(j[c], c) for c in g.columns if c.startswith("__bad_")]
    reason = ibis.cases(
        *bad,
        (missing, "missing_time"),
        (before | after, "time_out_of_range"),
        (no_uid & j[A].isnull(), "null_user_id"),
        (no_uid & j.mapped_user.isnull(), "unstitched_anonymous"),
        else_=ibis.null(dt.string),
    )
    stitched = ibis.cases(
        (
            no_uid & j.mapped_user.notnull(),
            ibis.ifelse(j.in_identities, ibis.literal("identities"), ibis.literal("events")),
        ),
        else_=ibis.null(dt.string),
    )
    std_name = standard_event_name(j[schema.EVENT_NAME])
    out = {
        c: j[c]
        for c in g.columns
        if c not in (U, schema.EVENT_NAME, "copies") and not c.startswith("__bad_")
    }
    out.update(
        {
            U: j[U].coalesce(j.mapped_user),
            schema.EVENT_NAME: std_name,
            schema.DAY: engine.local_day(j[E], tz),
            "copies": j.copies,
            "drop_reason": reason,
            "stitched_via": stitched,
            "event_name_raw": ibis.ifelse(
                std_name != j[schema.EVENT_NAME], j[schema.EVENT_NAME], ibis.null(dt.string)
            ),
        }
    )
    stored = materialize(j.select(**out), "events")

    # 3. the ledger and checks: aggregates of the stored rows
    n, r = stored.copies, stored.drop_reason
    m2, b2, a2 = time_flags(stored, E, cfg)
    time_dropped = r.isin(["missing_time", "time_out_of_range"]).fill_null(False)
    counts = counts_by_source(
        stored,
        rows_in=n.sum(),
        missing_time=ibis.ifelse(m2, n, 0).sum(),
        before_launch=ibis.ifelse(b2, n, 0).sum(),
        in_future=ibis.ifelse(a2, n, 0).sum(),
        min_time=stored[E].min(),
        max_time=stored[E].max(),
        duplicate=ibis.ifelse(time_dropped, 0, n - 1).sum(),
        null_user_id=(r == "null_user_id").fill_null(False).sum(),
        unstitched_anonymous=(r == "unstitched_anonymous").fill_null(False).sum(),
        stitched_via_identities=(
            r.isnull() & (stored.stitched_via == "identities").fill_null(False)
        ).sum(),
        stitched_via_events=(
            r.isnull() & (stored.stitched_via == "events").fill_null(False)
        ).sum(),
        **{c: ibis.ifelse(r == c, n, 0).sum() for _, c in bad},
    )
    if check_values is not None:
        check_values(counts)
    kept = kept_events(stored)
    raw_named = stored.filter(r.isnull() & stored.event_name_raw.notnull())
    variants = (
        raw_named.group_by([schema.SOURCE, "event_name_raw", schema.EVENT_NAME])
        .aggregate(rows=ibis._.count())
        .order_by(ibis.desc("rows"))
        .execute()
    )
    per_source = {}
    for src in counts.index:

        def c(col, _src=src):
            return int(counts[col].get(_src, 0))

        v = variants[variants[schema.SOURCE] == src]
        stitched_rows = c("stitched_via_identities") + c("stitched_via_events")
        anon = c("unstitched_anonymous") + stitched_rows
        checks = EventChecks(
            time_range=(
                iso_time(counts["min_time"].get(src)),
                iso_time(counts["max_time"].get(src)),
            ),
            before_launch=c("before_launch"),
            in_future=c("in_future"),
            duplicate=c("duplicate"),
            null_user_id=c("null_user_id"),
            anonymous_rows=anon,
            stitched_via_identities=c("stitched_via_identities"),
            stitched_via_events=c("stitched_via_events"),
            unstitched_anonymous=c("unstitched_anonymous"),
            stitching_coverage=(1 - c("unstitched_anonymous") / anon) if anon else None,
            event_name_variant=int(v["rows"].sum()),
            event_name_variants={r.event_name_raw: int(r.rows) for r in v.itertuples()},
        )
        per_source[src] = ledger(
            "events",
            c("rows_in"),
            {
                "missing_time": c("missing_time"),
                "time_out_of_range": c("before_launch") + c("in_future"),
                "duplicate": c("duplicate"),
                "null_user_id": c("null_user_id"),
                "unstitched_anonymous": c("unstitched_anonymous"),
            },
            checks,
        )
    if idmap is not None:
        st = (
            idmap.aggregate(n=idmap.count(), conflicts=(idmap.n_users > 1).sum()).execute().iloc[0]
        )
        ident_stats = IdentityStats(
            anonymous_ids_mapped=int(st["n"]),
            conflicting_identities=int(st["conflicts"] or 0),
        )
    else:
        ident_stats = IdentityStats(anonymous_ids_mapped=0, conflicting_identities=0)
    return kept, per_source, idmap, ident_stats

"""Clean the event sources: each source read once and grouped into its distinct rows, anonymous
ids stitched to users, names standardized, and every distinct row stored once with its fate.

The steps are functions of their own, so the cache build (:mod:`helpers.data.cache_build`) can
run them on all the rows or only on the rows of new files: :func:`event_pairs` and
:func:`identity_map` (the identity map), :func:`stitched_rows` (each distinct row with its user,
standard name, day and drop reason), :func:`original_rows` (a stored row back as it was read, to
stitch it again), :func:`event_ledgers` (the per-source ledger: aggregates of the stored rows).
:func:`clean_events` chains them for :func:`helpers.data.cleaning.clean`; :func:`kept_events` is
the cleaned view of the stored rows that analyses read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

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

__all__ = [
    "EVENT_INTERNAL",
    "kept_events",
    "distinct_rows",
    "standard_event_name",
    "event_pairs",
    "identity_map",
    "stitched_rows",
    "original_rows",
    "value_counts",
    "COUNT_FIELDS",
    "EventCounts",
    "event_ledgers",
    "identity_stats",
    "clean_events",
]


EVENT_INTERNAL = ("copies", "drop_reason", "stitched_via", "event_name_raw")
_E, _U, _A = schema.EVENT_TIME, schema.USER_ID, schema.ANONYMOUS_ID


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


def event_pairs(ev, cfg: Config) -> ibis.Table | None:
    """The distinct (anonymous id, user id) pairs of the time-valid event rows carrying both
    ids (None when no source holds both). ``ev``: mapped sources, as for :func:`clean_events`."""
    pairs = []
    for t, both in _as_parts(ev):
        if both:
            ok = time_valid(t, _E, cfg) & t[_A].notnull() & t[_U].notnull()
            pairs.append(t.filter(ok).select(_A, _U))
    if not pairs:
        return None
    return (ibis.union(*pairs, distinct=False) if len(pairs) > 1 else pairs[0]).distinct()


def identity_map(identities: ibis.Table | None, pairs: ibis.Table | None) -> ibis.Table | None:
    """One row per anonymous id: the user it maps to (the smallest id of its pairs), how many
    users its pairs name (``n_users``, a conflict when more than one) and whether the identities
    table lists it. ``pairs``: :func:`event_pairs` (of every build). None without any pair."""
    parts = []
    if identities is not None:
        parts.append(identities.select(_A, _U, via=ibis.literal("identities")))
    if pairs is not None:
        parts.append(pairs.select(_A, _U, via=ibis.literal("events")))
    if not parts:
        return None
    allpairs = ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
    return allpairs.group_by(_A).aggregate(
        mapped_user=allpairs[_U].min(),
        n_users=allpairs[_U].nunique(),
        in_identities=(allpairs.via == "identities").any(),
    )


def stitched_rows(g: ibis.Table, idmap: ibis.Table | None, cfg: Config) -> ibis.Table:
    """Distinct rows (:func:`distinct_rows`, or :func:`original_rows`) as the cache stores them:
    the user id stitched, the name standardized, the business ``day``, ``copies``, the
    ``drop_reason`` (null when kept), ``stitched_via`` and ``event_name_raw``.

    The reason depends only on the row and the identity map, so a stored row stitched again
    with the same map is the same row.
    """
    if idmap is not None:
        j = g.left_join(idmap, g[_A] == idmap[_A])
        j = j.select(
            *[g[c] for c in g.columns],
            mapped_user=idmap.mapped_user,
            in_identities=idmap.in_identities.fill_null(False),
        )
    else:
        j = g.mutate(mapped_user=ibis.null(dt.string), in_identities=ibis.literal(False))
    missing, before, after = time_flags(j, _E, cfg)
    no_uid = j[_U].isnull()
    # a value that does not parse (checked after the write: the build then stops with its error)
    bad = [(j[c], c) for c in g.columns if c.startswith("__bad_")]
    reason = ibis.cases(
        *bad,
        (missing, "missing_time"),
        (before | after, "time_out_of_range"),
        (no_uid & j[_A].isnull(), "null_user_id"),
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
        if c not in (_U, schema.EVENT_NAME, "copies") and not c.startswith("__bad_")
    }
    out.update(
        {
            _U: j[_U].coalesce(j.mapped_user),
            schema.EVENT_NAME: std_name,
            schema.DAY: engine.local_day(j[_E], cfg.timezone),
            "copies": j.copies,
            "drop_reason": reason,
            "stitched_via": stitched,
            "event_name_raw": ibis.ifelse(
                std_name != j[schema.EVENT_NAME], j[schema.EVENT_NAME], ibis.null(dt.string)
            ),
        }
    )
    return j.select(**out)


def original_rows(stored: ibis.Table) -> ibis.Table:
    """Stored event rows as they were read (the distinct rows with their ``copies``): the user
    id a stitched row did not have is null again, and the exported name is back.

    ``stitched_rows(original_rows(s), idmap, cfg)`` is ``s`` when ``idmap`` is the map ``s``
    was stitched with; with a newer map it is ``s`` stitched again.
    """
    keep = [c for c in stored.columns if c not in (_U, schema.EVENT_NAME, schema.DAY)]
    keep = [c for c in keep if c not in EVENT_INTERNAL]
    return stored.select(
        *keep[:1],
        **{
            _U: ibis.ifelse(stored.stitched_via.notnull(), ibis.null(dt.string), stored[_U]),
        },
        **{c: stored[c] for c in keep[1:]},
        **{
            schema.EVENT_NAME: stored.event_name_raw.coalesce(stored[schema.EVENT_NAME]),
            "copies": stored.copies,
        },
    )


def value_counts(stored: ibis.Table, bad: list[str]):
    """Per source: the rows, and the rows dropped because a value did not parse (one column
    per ``__bad_<column>`` name in ``bad``), for :func:`helpers.data.sources.raise_deferred`."""
    r = stored.drop_reason
    return counts_by_source(
        stored,
        rows_in=stored.copies.sum(),
        **{c: ibis.ifelse(r == c, stored.copies, 0).sum() for c in bad},
    )


#: The per-source sums of the event ledger (rows, or distinct rows for the reasons that count
#: distinct rows: see :meth:`EventCounts.of`).
COUNT_FIELDS = (
    "rows_in",
    "missing_time",
    "before_launch",
    "in_future",
    "duplicate",
    "null_user_id",
    "unstitched_anonymous",
    "stitched_via_identities",
    "stitched_via_events",
)
#: The fields that count rows (with their copies); the others count distinct rows.
COPY_FIELDS = ("rows_in", "missing_time", "before_launch", "in_future", "duplicate")


@dataclass
class EventCounts:
    """What the ledger of the event sources is made of, per source: the sums of
    :data:`COUNT_FIELDS`, the first and last timestamp, and the kept rows per exported name
    variant. Sums add up, so a build that adds rows adds their counts to the last build's
    (:meth:`plus`) instead of reading every stored row again; :meth:`ledgers` makes the audit
    records.
    """

    sums: dict[str, dict[str, int]] = field(default_factory=dict)
    times: dict[str, list] = field(default_factory=dict)
    variants: dict[tuple[str, str, str], int] = field(default_factory=dict)

    @classmethod
    def of(cls, stored: ibis.Table, cfg: Config, *, repeats: bool = False) -> EventCounts:
        """The counts of stored rows (each distinct row once, with its ``copies``).

        With ``repeats``, ``stored`` holds further copies of rows already counted (an
        ``events_extra`` part): only their copies count, as rows in and as drops of the stored
        row's reason (a time one, else ``duplicate``).
        """
        n, r = stored.copies, stored.drop_reason
        m2, b2, a2 = time_flags(stored, _E, cfg)
        if repeats:
            time_dropped = m2 | b2 | a2
            aggs = {"duplicate": ibis.ifelse(time_dropped, 0, n).sum()}
        else:
            time_dropped = r.isin(["missing_time", "time_out_of_range"]).fill_null(False)
            via = stored.stitched_via
            aggs = {
                "duplicate": ibis.ifelse(time_dropped, 0, n - 1).sum(),
                "null_user_id": (r == "null_user_id").fill_null(False).sum(),
                "unstitched_anonymous": (r == "unstitched_anonymous").fill_null(False).sum(),
                "stitched_via_identities": (
                    r.isnull() & (via == "identities").fill_null(False)
                ).sum(),
                "stitched_via_events": (r.isnull() & (via == "events").fill_null(False)).sum(),
                "min_time": stored[_E].min(),
                "max_time": stored[_E].max(),
            }
        counts = counts_by_source(
            stored,
            rows_in=n.sum(),
            missing_time=ibis.ifelse(m2, n, 0).sum(),
            before_launch=ibis.ifelse(b2, n, 0).sum(),
            in_future=ibis.ifelse(a2, n, 0).sum(),
            **aggs,
        )
        out = cls()
        for src in counts.index:
            row = counts.loc[src]
            out.sums[str(src)] = {f: int(row[f]) if f in row else 0 for f in COUNT_FIELDS}
            if not repeats:
                out.times[str(src)] = [_stamp(row["min_time"]), _stamp(row["max_time"])]
        if not repeats:
            raw_named = stored.filter(r.isnull() & stored.event_name_raw.notnull())
            v = (
                raw_named.group_by([schema.SOURCE, "event_name_raw", schema.EVENT_NAME])
                .aggregate(rows=ibis._.count())
                .execute()
            )
            out.variants = {
                (str(a), str(b), str(c)): int(n)
                for a, b, c, n in zip(
                    v[schema.SOURCE], v["event_name_raw"], v[schema.EVENT_NAME], v["rows"]
                )
            }
        return out

    def plus(self, other: EventCounts, *, sign: int = 1) -> EventCounts:
        """These counts with ``other``'s added (``sign=-1``: taken away; the time range is
        then left as it is: rows taken away are rows put back in another form)."""
        out = EventCounts(
            {k: dict(v) for k, v in self.sums.items()},
            {k: list(v) for k, v in self.times.items()},
            dict(self.variants),
        )
        for src, sums in other.sums.items():
            mine = out.sums.setdefault(src, dict.fromkeys(COUNT_FIELDS, 0))
            for f in COUNT_FIELDS:
                mine[f] += sign * sums.get(f, 0)
        if sign > 0:
            for src, (lo, hi) in other.times.items():
                a, b = out.times.get(src, [None, None])
                out.times[src] = [_first(min, a, lo), _first(max, b, hi)]
        for key, n in other.variants.items():
            out.variants[key] = out.variants.get(key, 0) + sign * n
            if not out.variants[key]:
                del out.variants[key]
        return out

    def to_json(self) -> dict:
        return {
            "sums": self.sums,
            "times": {k: [iso_time(t) for t in v] for k, v in self.times.items()},
            "variants": [[*k, n] for k, n in sorted(self.variants.items())],
        }

    @classmethod
    def from_json(cls, data: dict) -> EventCounts:
        return cls(
            {k: dict(v) for k, v in data["sums"].items()},
            {k: [_stamp(t) for t in v] for k, v in data["times"].items()},
            {(a, b, c): int(n) for a, b, c, n in data["variants"]},
        )

    def ledgers(self, order: list[str] | None = None) -> dict:
        """The audit record of every source (``order``: the sources first, in that order)."""
        names = [s for s in order or [] if s in self.sums]
        names += [s for s in self.sums if s not in names]
        per_source = {}
        for src in names:
            c = self.sums[src]
            v = sorted(
                ((raw, n) for (s, raw, _), n in self.variants.items() if s == src),
                key=lambda kv: (-kv[1], kv[0]),
            )
            anon = (
                c["unstitched_anonymous"] + c["stitched_via_identities"] + c["stitched_via_events"]
            )
            lo, hi = self.times.get(src, [None, None])
            checks = EventChecks(
                time_range=(iso_time(lo), iso_time(hi)),
                before_launch=c["before_launch"],
                in_future=c["in_future"],
                duplicate=c["duplicate"],
                null_user_id=c["null_user_id"],
                anonymous_rows=anon,
                stitched_via_identities=c["stitched_via_identities"],
                stitched_via_events=c["stitched_via_events"],
                unstitched_anonymous=c["unstitched_anonymous"],
                stitching_coverage=(1 - c["unstitched_anonymous"] / anon) if anon else None,
                event_name_variant=sum(n for _, n in v),
                event_name_variants=dict(v),
            )
            per_source[src] = ledger(
                "events",
                c["rows_in"],
                {
                    "missing_time": c["missing_time"],
                    "time_out_of_range": c["before_launch"] + c["in_future"],
                    "duplicate": c["duplicate"],
                    "null_user_id": c["null_user_id"],
                    "unstitched_anonymous": c["unstitched_anonymous"],
                },
                checks,
            )
        return per_source


def _stamp(x):
    """A timestamp as pandas has it (None for a missing one)."""
    if x is None or (isinstance(x, float) and x != x) or x is pd.NaT:
        return None
    return pd.Timestamp(x)


def _first(pick, a, b):
    return b if a is None else a if b is None else pick(a, b)


def event_ledgers(stored: ibis.Table, cfg: Config) -> dict:
    """The ledger and checks of every event source: aggregates of the stored rows (each
    distinct row once, with its ``copies``)."""
    return EventCounts.of(stored, cfg).ledgers()


def identity_stats(idmap: ibis.Table | None) -> IdentityStats:
    """Anonymous ids the map ties to a user, and those whose pairs name several users."""
    if idmap is None:
        return IdentityStats(anonymous_ids_mapped=0, conflicting_identities=0)
    st = idmap.aggregate(n=idmap.count(), conflicts=(idmap.n_users > 1).sum()).execute().iloc[0]
    return IdentityStats(
        anonymous_ids_mapped=int(st["n"]), conflicting_identities=int(st["conflicts"] or 0)
    )


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
    with their ``copies``, and written once (``materialize(expr, "events")``) with the drop
    reason of each distinct row. The ledger counts are aggregates of that stored table, and
    :func:`kept_events` is the cleaned view of it. Only sources holding both a user id and an
    anonymous id are read a second time, for the identity map. ``check_values(counts)``, if
    given, receives the per-source counts (indexed by source) with a ``__bad_<column>`` column
    each: the rows whose value did not parse; :func:`helpers.data.sources.raise_deferred`
    raises on them.
    """
    parts = _as_parts(ev)
    pairs = event_pairs(ev, cfg)
    idmap = identity_map(identities, pairs)
    idmap = materialize(idmap, "idmap") if idmap is not None else None
    grouped = [distinct_rows(t) for t, _ in parts]
    g = ibis.union(*grouped, distinct=False) if len(grouped) > 1 else grouped[0]
    stored = materialize(stitched_rows(g, idmap, cfg), "events")
    if check_values is not None:
        check_values(value_counts(stored, [c for c in g.columns if c.startswith("__bad_")]))
    return kept_events(stored), event_ledgers(stored, cfg), idmap, identity_stats(idmap)

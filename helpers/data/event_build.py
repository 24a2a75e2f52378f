"""The events of a cache build: the rows of the files a build reads, cleaned and stored as that
build's parts, and the rows of earlier builds stitched again when the identity map changed.

A full build reads every event file; an incremental one (:mod:`helpers.data.incremental`) only
the new ones. Either way the new files' distinct rows are stitched with the identity map of
all the files (:func:`helpers.data.event_cleaning.stitched_rows`) and written in one pass into
parts (:mod:`helpers.data.parts`): ``b<n>.id`` (rows read with a user id, or with no id at
all), ``b<n>.anon`` (rows read with only an anonymous id, which the map ties to a user),
``b<n>.unmapped`` (the same, tied to no one yet) and, in ``events_extra``, ``b<n>.extra``: rows equal to a row an earlier build stored (an exact duplicate across two
files; every mapped column compared, nulls equal). Those are not stored again: their copies are
added to the stored row's when the table is opened with its copies, so the ledger counts them
as the full build does. The identity map is made of the identities table and the (anonymous
id, user id) pairs of every build's rows (``id_pairs``); when it maps an anonymous id
differently than the last build's map (a new pair, a new identities file), the ``anon`` and
``unmapped`` parts of earlier builds holding that id are stitched again and rewritten (the
``id`` parts never depend on the map). A first login touches only the small ``unmapped``
parts. The (user, day) keys whose kept rows changed are returned, so ``user_day``
is reduced again for those keys only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pandas as pd

from helpers.core import schema
from helpers.core.config import Config
from helpers.data import parts, sources, storage
from helpers.data.audit import IdentityStats
from helpers.data.event_cleaning import (
    EventCounts,
    distinct_rows,
    event_pairs,
    identity_map,
    identity_stats,
    kept_events,
    original_rows,
    stitched_rows,
    value_counts,
)
from helpers.data.incremental import BuildPlan

__all__ = ["EventBuild", "build_events", "only_new_checks"]

_U, _A, _E, _DAY = schema.USER_ID, schema.ANONYMOUS_ID, schema.EVENT_TIME, schema.DAY
_SPLIT = "_part"
#: The kinds of event parts whose rows the identity map decides (only an anonymous id).
STITCHED_KINDS = ("anon", "unmapped")


@dataclass
class EventBuild:
    """What :func:`build_events` made: the kept events (the view analyses read), the ledger of
    every event source, the identity stats, a sentence on the stitching for the build log, and
    on an incremental build the (user, day) keys whose kept rows changed: ``new_keys`` (the
    kept rows of the new files) and ``restitched_keys`` (rows of earlier builds stitched again:
    their keys before and after)."""

    kept: ibis.Table
    ledgers: dict
    identities: IdentityStats
    new_keys: ibis.Table | None = None
    restitched_keys: list = field(default_factory=list)
    stitching: str = ""
    new_rows: int = 0


def only_new_checks(deferred: dict, base_sources: dict) -> dict:
    """The deferred checks of an incremental build's new files: a source that already has rows
    is not empty, however few rows its new files hold."""
    return {
        k: v
        for k, v in deferred.items()
        if not (k[1] == "__rows__" and base_sources.get(k[0], {}).get("rows_in"))
    }


def _changed_ids(old: ibis.Table | None, new: ibis.Table | None) -> ibis.Table | None:
    """The anonymous ids the two maps tie to a different user (or only one of them maps)."""
    cols = [_A, "mapped_user", "in_identities"]
    if old is None and new is None:
        return None
    if old is None or new is None:
        return (new if old is None else old).select(_A)
    a, b = new.select(*cols), old.select(*cols)
    return ibis.union(a.difference(b), b.difference(a), distinct=False).select(_A).distinct()


def _replace(con, expr: ibis.Table, target: Path) -> None:
    """Write ``expr`` where ``target`` (a link to an earlier build's file) was, without touching
    the linked file: written beside it, then moved over the link."""
    fresh = target.with_name(target.name + ".new")
    storage.write_parquet(con, expr, fresh)
    storage.remove(target)
    os.replace(fresh, target)


def _restitch(con, cfg, store, plan, idmap, old_idmap) -> tuple[list, str]:
    """Stitch again the rows of earlier builds whose anonymous id the map changed; returns
    those rows as (before, after) pairs of tables, and the sentence for the log."""
    changed = _changed_ids(old_idmap, idmap)
    if changed is None:
        return [], "identities: no identity map, nothing to stitch"
    changed = store.write(changed, "work_changed_ids")
    n_ids = int(changed.count().execute())
    if not n_ids:
        return [], "identities: no anonymous id maps differently; no earlier row stitched again"
    again, rewritten, rows = [], 0, 0
    for part in parts.list_parts(plan.base / "events.parquet", STITCHED_KINDS):
        old = storage.read_parquet(con, part)
        hit = old.semi_join(changed, _A)
        n_hit = int(hit.count().execute())
        if not n_hit:
            continue
        target = store.path("events") / part.name
        _replace(con, stitched_rows(original_rows(old), idmap, cfg), target)
        again.append((hit, storage.read_parquet(con, target).semi_join(changed, _A)))
        rewritten, rows = rewritten + 1, rows + n_hit
    for part in parts.list_parts(plan.base / f"events{parts.EXTRA}.parquet"):
        old = storage.read_parquet(con, part)
        redone = stitched_rows(original_rows(old), idmap, cfg)
        _replace(
            con,
            redone.mutate(drop_reason=ibis.literal("duplicate")),
            store.path(f"events{parts.EXTRA}") / part.name,
        )
    return again, (
        f"identities: {n_ids:,} anonymous id(s) map differently now; re-stitched their "
        f"{rows:,} stored row(s) of earlier builds ({rewritten} part(s) rewritten, the rest "
        "kept as they were)"
    )


def _fold_repeats(con, store, plan, written: dict[str, list[Path]]) -> Path | None:
    """Move the new rows equal to a row an earlier build stored (every mapped column equal,
    nulls equal) from this build's parts to its ``extra`` part: their copies are the stored
    row's further copies. Only stored rows in the new rows' time range are compared; returns
    the ``extra`` part, or None when no row repeats one (usually: then nothing is rewritten)."""
    main = parts.list_parts(plan.base / "events.parquet")
    files = [p for v in written.values() for p in v]
    if not main or not files:
        return None
    new = original_rows(storage.read_parquet(con, files, table_name="pk_new_events"))
    rng = new.aggregate(lo=new[_E].min(), hi=new[_E].max(), nulls=new[_E].isnull().any())
    lo, hi, nulls = rng.execute().iloc[0]
    old = original_rows(storage.read_parquet(con, main, table_name="pk_base_events"))
    near = old[_E].between(lo, hi) if lo is not None and lo == lo else ibis.literal(False)
    if nulls:  # (NaT compares unequal to itself)
        near = near | old[_E].isnull()
    key = [c for c in old.columns if c != "copies"]
    old = store.write(old.filter(near).select(*key).distinct(), "work_old_keys")
    same = [p for p in files if _matches(storage.read_parquet(con, p), old, key) is not None]
    if not same:
        return None
    moved = [_matches(storage.read_parquet(con, p), old, key) for p in same]
    extra = ibis.union(*moved, distinct=False) if len(moved) > 1 else moved[0]
    target = store.path(f"events{parts.EXTRA}") / parts.part_name(plan.number, "extra")
    # (written before the parts they leave are rewritten: the expressions read those files)
    storage.write_parquet(con, extra.mutate(drop_reason=ibis.literal("duplicate")), target)
    for p in same:
        t = storage.read_parquet(con, p)
        _replace(con, t.anti_join(old, [_orig(t)[c].identical_to(old[c]) for c in key]), p)
    return target


def _orig(t: ibis.Table) -> dict:
    """A stored row's columns as read: the user id it came with, its exported name."""
    return {
        **{c: t[c] for c in t.columns},
        _U: ibis.ifelse(t.stitched_via.notnull(), ibis.null("string"), t[_U]),
        schema.EVENT_NAME: t.event_name_raw.coalesce(t[schema.EVENT_NAME]),
    }


def _matches(t: ibis.Table, old: ibis.Table, key: list[str]) -> ibis.Table | None:
    """The stored rows of ``t`` equal to a row of ``old`` (``key`` columns as read), or None."""
    o = _orig(t)
    hit = t.semi_join(old, [o[c].identical_to(old[c]) for c in key])
    return hit if int(hit.count().execute()) else None


def build_events(
    con,
    cfg: Config,
    store: storage.CacheStore,
    plan: BuildPlan,
    *,
    identities: ibis.Table | None,
    work: Path,
    base_sources: dict,
    say=lambda m: None,
) -> EventBuild:
    """Read, clean and store the events of the files this build reads (all of them for a full
    build); the ledger of every event source covers every build's rows.

    Raises the deferred value checks (unparseable times, non-numeric revenue) of the rows read;
    ``base_sources`` (the base cache's ledger by source, from ``audit.json``) tells which
    sources already have rows.
    """
    n = plan.number
    deferred: dict = {}
    labels = [label for t, label, _ in cfg.source_items() if t == "events"]
    only = (
        {k: plan.new_files[k] for k in labels if k in plan.new_files} if plan.incremental else None
    )
    mapped = (
        sources.read_table(con, cfg, "events", deferred=deferred, parts=True, only=only)
        if only is None or only
        else []
    )
    # (the sources holding both ids are read a second time, for their pairs)
    pairs = event_pairs(mapped, cfg) if mapped else None
    if pairs is not None:
        if store.in_files:
            storage.write_parquet(con, pairs, store.path("id_pairs") / parts.part_name(n, "pairs"))
        else:
            store.write(pairs, "id_pairs")
    say("events: identity pairs")
    idmap_expr = identity_map(identities, store.open("id_pairs", extra_copies=False))
    idmap = store.write(idmap_expr, "idmap") if idmap_expr is not None else None
    again: list = []
    new_keys = None
    stitching = "identities: stitched with the map of all the files"
    if plan.incremental:
        old_path = plan.base / "idmap.parquet"
        old_idmap = storage.read_parquet(con, old_path) if old_path.exists() else None
        again, stitching = _restitch(con, cfg, store, plan, idmap, old_idmap)
        say(stitching)
    new_rows = 0
    main: list[Path] = []
    extra = None
    if mapped:
        grouped = [distinct_rows(m.table) for m in mapped]
        g = ibis.union(*grouped, distinct=False) if len(grouped) > 1 else grouped[0]
        anon = g[_U].isnull() & g[_A].notnull()  # read with only an anonymous id
        s = stitched_rows(
            g.mutate(**{_SPLIT: ibis.ifelse(anon, ibis.literal("anon"), ibis.literal("id"))}),
            idmap,
            cfg,
        )
        unmapped = s[_U].isnull() & s[_A].notnull()  # ... that the map ties to no one
        s = s.mutate(**{_SPLIT: ibis.ifelse(unmapped, ibis.literal("unmapped"), s[_SPLIT])})
        written: dict = {}
        if store.in_files:
            targets = {
                k: store.path("events") / parts.part_name(n, k) for k in ("id", *STITCHED_KINDS)
            }
            written = storage.write_split(con, s, _SPLIT, targets, work=work)
            main = [p for v in written.values() for p in v]
            new = storage.read_parquet(con, main, table_name="pk_new_events") if main else None
        else:
            new = store.write(s.drop(_SPLIT), "events")
        say("events: rows stored")
        bad = [c for c in g.columns if c.startswith(sources.BAD_PREFIX)]
        counts = value_counts(new, bad) if new is not None else pd.DataFrame()
        sources.raise_deferred(counts, only_new_checks(deferred, base_sources))
        new_rows = int(counts["rows_in"].sum()) if new is not None else 0
        if plan.incremental:
            extra = _fold_repeats(con, store, plan, written)
            if extra is not None:
                say(f"events: new rows repeating stored ones: their copies added ({extra.name})")
    stored = store.open("events")
    if stored is None:  # no event file had a row (a header-only export fails its check above)
        raise ValueError("no event rows were stored")
    counts = _ledger_counts(con, cfg, plan, stored, main, extra, again)
    (store.folder / "event_counts.json").write_text(json.dumps(counts.to_json()))
    if plan.incremental and main:
        t = storage.read_parquet(con, main, table_name="pk_new_main")
        new_keys = t.filter(t.drop_reason.isnull()).select(_U, _DAY)
    say("events: ledger")
    return EventBuild(
        kept=kept_events(store.open("events", extra_copies=False)),
        ledgers=counts.ledgers(order=labels),
        identities=identity_stats(idmap),
        new_keys=new_keys,
        restitched_keys=[
            t.filter(t.drop_reason.isnull()).select(_U, _DAY) for pair in again for t in pair
        ],
        stitching=stitching,
        new_rows=new_rows,
    )


def _ledger_counts(con, cfg, plan, stored, main, extra, again) -> EventCounts:
    """The counts of the event ledger: of every stored row on a full build; on an incremental
    one the last build's counts plus the new rows', plus the copies of the rows that repeat
    stored ones, plus what stitching again changed (the rows after, less the rows before)."""
    before = plan.base / "event_counts.json" if plan.incremental else None
    if before is None or not before.exists():
        return EventCounts.of(stored, cfg)
    counts = EventCounts.from_json(json.loads(before.read_text()))
    if main:
        counts = counts.plus(EventCounts.of(storage.read_parquet(con, main), cfg))
    if extra is not None:
        counts = counts.plus(EventCounts.of(storage.read_parquet(con, extra), cfg, repeats=True))
    for old, new in again:
        counts = counts.plus(EventCounts.of(new, cfg)).plus(EventCounts.of(old, cfg), sign=-1)
    return counts

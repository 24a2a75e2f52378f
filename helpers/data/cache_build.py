"""Build a project's cache folder: full, or extending an earlier cache with the new files' rows.

:func:`helpers.data.pipeline.build_cache` plans the build (:func:`helpers.data.incremental.plan_build`)
and calls :func:`build` in a fresh folder. The steps are the same for both kinds; an
incremental build starts from hard links to its base's files (no copy) and reads less:

1. the small tables (users, identities, assignments, campaigns, any other): read and cleaned in
   full, unless their files are the base's (then its cleaned table is linked and its ledger
   kept);
2. orders: the new files are mapped and kept as a part of ``staged_orders``; the orders are
   cleaned again from all the staged parts (the earliest row of an order id wins, across
   files), which reads Parquet, not the exports;
3. events: :func:`helpers.data.event_build.build_events` (new rows, identity map, stitching
   again what a changed map affects, the ledger);
4. ``user_day``: in full on a full build; on an incremental one only the (user, day) keys
   whose kept events or orders changed are reduced again
   (:func:`helpers.data.userday.update_user_day`), unless the event-name columns changed;
5. the audit (ledger of every source, identity stats, orphans, the span of ``user_day``, event
   names, daily volume) and ``meta.json`` with the manifest and the list of builds.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import shutil
import time
from pathlib import Path

import ibis
import pandas as pd

from helpers import __version__
from helpers.core import schema
from helpers.core.config import Config
from helpers.core.errors import DataError
from helpers.data import activity_checks, cleaning, parts, sources, storage, userday
from helpers.data.audit import SourceAudit, UserDaySpan, quality_score
from helpers.data.event_build import build_events, only_new_checks
from helpers.data.event_cleaning import kept_events
from helpers.data.incremental import INCREMENTAL_TABLES, BuildPlan

__all__ = ["build"]

#: Intermediate tables of a build, removed at its end (the parts, ``idmap`` and the clean
#: tables stay, for the notebooks and the next build).
WORK = (
    "work_purchase_orders",
    "work_old_keys",
    "work_changed_ids",
    "work_touched",
    "work_touched_before",
)


def _link_base(base: Path, tmp: Path) -> None:
    """The base cache's parts in the new folder, as hard links (``anon`` parts are replaced if
    the stitching changes)."""
    for name in ("events", f"events{parts.EXTRA}", "staged_orders", "id_pairs"):
        for p in parts.list_parts(base / f"{name}.parquet"):
            parts.link(p, tmp / f"{name}.parquet" / p.name)


def _small_tables(cfg, con, store, plan, tables, base_audit, say):
    """Read and clean the small tables (all but events and orders); those whose files are the
    base's are linked from it with their ledger. Returns the :class:`~helpers.data.cleaning.Cleaned`
    record, the stored tables and the ledger of their sources."""
    staged = {}
    for table in tables:
        if table in INCREMENTAL_TABLES or table in plan.unchanged:
            continue
        deferred: dict = {}
        t = sources.read_table(con, cfg, table, deferred=deferred)
        staged[table] = (
            None
            if t is None
            else sources.check_deferred(store.write(t, f"staged_{table}"), deferred)
        )
    say("cleaning")
    small = cleaning.clean(staged, cfg)
    stored = {name: store.write(t, name) for name, t in small.tables.items() if t is not None}
    ledgers = dict(small.audit.sources)
    for table in plan.unchanged:  # the same files as the base's: its table and ledger
        parts.link(plan.base / f"{table}.parquet", store.path(table))
        stored[table] = small.tables[table] = store.open(table)
        ledgers.update(
            {k: SourceAudit.from_json(v) for k, v in base_audit.items() if v["table"] == table}
        )
    if plan.unchanged:
        say(f"unchanged since the base, reused: {', '.join(plan.unchanged)}")
    return small, stored, ledgers


def _stage_orders(con, cfg, store, plan, base_sources) -> ibis.Table | None:
    """Map the order files this build reads into a part of ``staged_orders``; all the staged
    order rows (every build's), or None without an orders source."""
    if not any(t == "orders" for t, _, _ in cfg.source_items()):
        return None
    deferred: dict = {}
    labels = [label for t, label, _ in cfg.source_items() if t == "orders"]
    only = (
        {k: plan.new_files[k] for k in labels if k in plan.new_files} if plan.incremental else None
    )
    t = (
        None
        if only == {}
        else sources.read_table(con, cfg, "orders", deferred=deferred, only=only)
    )
    if t is not None:
        if store.in_files:
            path = store.path("staged_orders") / parts.part_name(plan.number, "rows")
            storage.write_parquet(con, t, path)
            staged = storage.read_parquet(con, path)
        else:
            staged = store.write(t, "staged_orders")
        sources.check_deferred(staged, only_new_checks(deferred, base_sources))
    rows = store.open("staged_orders", extra_copies=False)
    bad = [c for c in rows.columns if c.startswith(sources.BAD_PREFIX)]
    return rows.drop(*bad) if bad else rows


def _changed_keys(old: ibis.Table, new: ibis.Table) -> ibis.Table:
    """The (user, day) keys of the rows in one table and not the other, copies counted."""
    cols = list(new.columns)
    both = ibis.union(
        old.select(*cols, _s=ibis.literal(-1)),
        new.select(*cols, _s=ibis.literal(1)),
        distinct=False,
    )
    net = both.group_by(cols).aggregate(_n=both._s.sum())
    return net.filter(net._n != 0).select(schema.USER_ID, schema.DAY)


def _ordered(small: dict, events: dict, orders: dict, tables: tuple[str, ...]) -> dict:
    """The sources in the order :func:`helpers.data.cleaning.clean` gives them: identities
    and users, events, orders, then the other small tables in ``tables`` order."""
    order = ["identities", "users", *(t for t in tables if t not in ("identities", "users"))]
    ranked = sorted(small.items(), key=lambda kv: order.index(kv[1].table))
    first = {k: s for k, s in ranked if s.table in ("identities", "users")}
    rest = {k: s for k, s in ranked if k not in first}
    return {**first, **events, **orders, **rest}


def _ledger_change(now: dict[str, SourceAudit], before: dict) -> dict:
    """Rows in, kept and dropped by reason that this build added to each source's ledger."""
    out = {}
    for k, s in now.items():
        b = before.get(k, {})
        bd = b.get("dropped", {})
        out[k] = {
            "rows_in": s.rows_in - b.get("rows_in", 0),
            "rows_kept": s.rows_kept - b.get("rows_kept", 0),
            "dropped": {r: v - bd.get(r, 0) for r, v in s.dropped.items()},
        }
    return out


def build(
    cfg: Config, con, tmp: Path, plan: BuildPlan, *, tables: tuple[str, ...], say, t0: float
) -> dict:
    """Build the cache of ``cfg`` in the empty folder ``tmp`` as ``plan`` says; returns the
    meta record (also written as ``meta.json``)."""
    store = storage.CacheStore(con, tmp, tmp.name.removesuffix(".building"))
    base_audit = (
        json.loads((plan.base / "audit.json").read_text()).get("sources", {})
        if plan.incremental
        else {}
    )
    if plan.incremental:
        _link_base(plan.base, tmp)
    say(f"reading sources of {cfg.config_path}")
    small, stored, small_ledgers = _small_tables(cfg, con, store, plan, tables, base_audit, say)
    staged_orders = _stage_orders(con, cfg, store, plan, base_audit)
    has_events = any(t == "events" for t, _, _ in cfg.source_items())
    ev = None
    if has_events:
        ev = build_events(
            con,
            cfg,
            store,
            plan,
            identities=stored.get("identities"),
            work=tmp / "work_split",
            base_sources=base_audit,
            say=say,
        )
        say(f"events: {ev.new_rows:,} rows read; {ev.stitching}")
    events = ev.kept if ev is not None else None
    order_ledgers: dict = {}
    orders = None
    if staged_orders is not None:
        keep, order_ledgers = cleaning.clean_orders(staged_orders, cfg)
        orders = store.write(keep, "orders")
    elif cfg.purchase_events and events is not None:
        derived = store.write(cleaning.purchase_orders(events, cfg), "work_purchase_orders")
        # an empty amount is an unknown one, not a reason to lose the purchase
        keep, order_ledgers = cleaning.clean_orders(derived, cfg, amount_required=False)
        orders = store.write(keep, "orders")
    ledgers = _ordered(small_ledgers, ev.ledgers if ev else {}, order_ledgers, tables)
    say("cleaned tables written; building user_day")
    # purchase events became orders: counted once, as orders (the `order` event)
    activity_events = _activity(cfg, events, orders) if events is not None else None
    names = userday.event_name_counts(activity_events)
    columns = list(names[schema.EVENT_NAME][: userday.MAX_EVENT_COLUMNS])
    ud, how = _user_day(con, cfg, store, plan, ev, activity_events, orders, columns)
    udt = store.write(ud, "user_day")
    say(f"user_day: {how}")
    span = (
        udt.aggregate(
            a=udt[schema.DAY].min(),
            b=udt[schema.DAY].max(),
            n=udt.count(),
            users=udt[schema.USER_ID].nunique(),
        )
        .execute()
        .iloc[0]
    )
    if int(span["n"]) == 0:
        raise DataError(
            f"{cfg.config_path}: no rows are left after cleaning; see the audit "
            f"(ledger: {json.dumps({k: v.dropped for k, v in ledgers.items()})})"
        )
    say("daily volume")
    vol = activity_checks.daily_volume(
        activity_events, orders, threshold=cfg.audit.spike_threshold
    )
    vol.to_parquet(tmp / "daily_volume.parquet", index=False)
    audit = dataclasses.replace(
        small.audit,
        sources=ledgers,
        quality=quality_score(ledgers),
        identities=ev.identities if ev is not None else None,
        orphans=activity_checks.orphan_checks(
            udt, stored.get("users"), events=events is not None, orders=orders is not None
        ),
        user_day=UserDaySpan(
            rows=int(span["n"]),
            users=int(span["users"]),
            first_day=str(pd.Timestamp(span["a"]).date()),
            last_day=str(pd.Timestamp(span["b"]).date()),
        ),
        event_names={r[schema.EVENT_NAME]: int(r["rows"]) for _, r in names.iterrows()},
        volume_flags=activity_checks.volume_flags(vol),
    )
    (tmp / "audit.json").write_text(json.dumps(audit.to_json(), indent=1))
    seconds = round(time.perf_counter() - t0, 3)
    record = {
        "number": plan.number,
        "kind": plan.kind,
        "reason": plan.reason,
        "at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "seconds": seconds,
        "base": plan.base.name if plan.base else None,
        "files": {k: [p.name for p in v] for k, v in plan.new_files.items()},
        "stitching": ev.stitching if ev is not None else None,
        "user_day": how,
        "rows": _ledger_change(ledgers, base_audit),
    }
    meta = {
        "data_start": audit.user_day.first_day,
        "data_end": audit.user_day.last_day,
        "event_names": list(names[schema.EVENT_NAME]),
        "event_columns": columns,
        "kit_version": __version__,
        "build_seconds": seconds,
        "tables": _table_list(small.tables, events, orders),
        "build": record,
        "builds": [*plan.base_meta.get("builds", []), record],
    }
    small_staged = [f"staged_{t}" for t in tables if t not in INCREMENTAL_TABLES]
    for name in [*small_staged, *WORK]:
        store.drop(name)
    for p in tmp.glob("raw_*.parquet"):
        storage.remove(p)
    for p in (tmp / "spill", tmp / "work_split"):
        shutil.rmtree(p, ignore_errors=True)
    return meta


def _table_list(tables: dict, events, orders) -> list[str]:
    return [
        k
        for k, v in tables.items()
        if v is not None
        or (k == "events" and events is not None)
        or (k == "orders" and orders is not None)
    ]


def _activity(cfg: Config, events: ibis.Table, orders) -> ibis.Table:
    """The kept events that are activity: purchase events that became orders count once, as
    orders (the ``order`` event)."""
    if not (cfg.purchase_events and orders is not None):
        return events
    return events.filter(
        ~events[schema.EVENT_NAME].isin(list(cfg.purchase_events)).fill_null(False)
    )


def _user_day(con, cfg, store, plan, ev, activity_events, orders, columns):
    """``user_day`` of all the rows, and how it was made (a sentence for the build log).

    On an incremental build only the touched (user, day) keys are reduced again
    (:func:`helpers.data.userday.update_user_day`): the new files' kept rows, the rows of
    earlier builds stitched again, and the changed orders. Rows of earlier builds are read only
    for the touched keys that had rows before, or that stitching gave rows.
    """
    full = userday.build_user_day(
        activity_events, orders, activity=cfg.activity, event_names=columns
    )
    if not plan.incremental:
        return full, "reduced from all the rows"
    old_columns = plan.base_meta.get("event_columns")
    seen_before = set(plan.base_meta.get("event_names", []))  # every name with a kept row
    if (
        old_columns is None
        or not set(old_columns) <= set(columns)
        or any(c in seen_before for c in columns if c not in old_columns)
    ):
        return full, (
            "reduced again from all the stored rows: the event-name columns changed "
            "(a name entered or left the 60 most frequent)"
        )
    keys = [k for k in [ev and ev.new_keys, *(ev.restitched_keys if ev else [])] if k is not None]
    old_orders = plan.base / "orders.parquet"
    if orders is not None and old_orders.exists():
        keys.append(_changed_keys(storage.read_parquet(con, old_orders), orders))
    old = storage.read_parquet(con, plan.base / "user_day.parquet")
    k = [schema.USER_ID, schema.DAY]
    if keys:
        union = ibis.union(*keys, distinct=False) if len(keys) > 1 else keys[0]
        touched = store.write(union.distinct(), "work_touched")
    else:  # nothing changed: the old rows, in the columns' order of now
        touched = store.write(old.select(*k).limit(0), "work_touched")
    events = before = None
    if ev is not None:
        n = plan.number
        new = [p for p in store.parts("events") if p.name.startswith(f"b{n:03d}.")]
        earlier = [p for p in store.parts("events") if p not in new]
        # an earlier row counts for a touched key only if the key had rows, or got them
        had = [touched.semi_join(old.select(*k), k), *ev.restitched_keys]
        before = store.write(
            (ibis.union(*had, distinct=False) if len(had) > 1 else had[0]).distinct(),
            "work_touched_before",
        )
        rows = []
        if earlier:
            kept = _activity(cfg, kept_events(storage.read_parquet(con, earlier)), orders)
            rows.append(kept.semi_join(before, k))
        if new:
            rows.append(_activity(cfg, kept_events(storage.read_parquet(con, new)), orders))
        events = ibis.union(*rows, distinct=False) if len(rows) > 1 else rows[0] if rows else None
    n_keys = int(touched.count().execute())
    ud = userday.update_user_day(
        old,
        touched,
        events,
        orders,
        activity=cfg.activity,
        event_names=columns,
        replaced=before,  # (the touched keys that had rows: the others are not in `old`)
    )
    return ud, f"{n_keys:,} (user, day) keys reduced again, the other rows kept"

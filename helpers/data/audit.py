"""Audit and clean the mapped sources, with a ledger: rows in = rows kept + each drop reason.

The rules and their order are written down in ``docs/internals.md`` ("Cleaning rules"); each
dropped row has exactly one reason. Every count here is an aggregate computed by the engine.

The main entry point is :func:`clean`, called once by :mod:`helpers.data.pipeline` when it builds the
cache; notebooks read the resulting ``audit`` dict (also cached as ``audit.json``).
"""

from __future__ import annotations

import datetime as _dt
import zoneinfo
from dataclasses import dataclass, field

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd

from helpers.core import schema
from helpers.core.config import Config
from helpers.data import engine

DROP_REASONS = {
    "missing_time": "the timestamp is empty",
    "time_out_of_range": "the timestamp is before `audit.valid_from` (launch) or at/after `audit.valid_until` (export)",
    "duplicate": "an exact copy of an earlier row of the same source (every mapped column equal)",
    "null_user_id": "no user id and no anonymous id",
    "unstitched_anonymous": "an anonymous id that no identity maps to a user",
    "duplicate_order_id": "an order id seen before (the earliest row is kept)",
    "missing_amount": "the amount is empty",
    "duplicate_user_row": "a second row for a user id (the earliest signup is kept)",
    "null_key": "a required id (user, experiment or variant) is empty",
}


def _counts_by_source(table: ibis.Table, **aggs) -> pd.DataFrame:
    """One aggregate query grouped by source; sums as Python ints (0 for no rows)."""
    res = table.group_by(schema.SOURCE).aggregate(**aggs).execute().set_index(schema.SOURCE)
    return res.fillna(0)


def utc_bound(day: _dt.date | None, tz: str) -> _dt.datetime | None:
    """Local midnight of ``day`` in ``tz`` as a UTC instant."""
    if day is None:
        return None
    local = _dt.datetime.combine(day, _dt.time(0), tzinfo=zoneinfo.ZoneInfo(tz))
    return local.astimezone(_dt.UTC)


@dataclass
class Cleaned:
    """Cleaned canonical tables (ibis expressions) and the audit record."""

    tables: dict[str, ibis.Table | None]
    audit: dict = field(default_factory=dict)
    event_names: pd.DataFrame | None = None


def _bounds(cfg: Config):
    """``audit.valid_from`` / ``valid_until`` as UTC instant literals (None when not set)."""
    return [
        None if b is None else ibis.literal(b, type=engine.TS_UTC)
        for b in (
            utc_bound(cfg.audit.valid_from, cfg.timezone),
            utc_bound(cfg.audit.valid_until, cfg.timezone),
        )
    ]


def _time_flags(t: ibis.Table, col: str, cfg: Config):
    vf, vu = _bounds(cfg)
    ts = t[col]
    before = ts < vf if vf is not None else ibis.literal(False)
    after = ts >= vu if vu is not None else ibis.literal(False)
    return ts.isnull(), ts.notnull() & before, ts.notnull() & after


def _time_valid(t: ibis.Table, col: str, cfg: Config) -> ibis.BooleanValue:
    """Within the valid time range (not missing): the cheapest predicate, each bound once.

    (DuckDB copies a filter into the projection below it, so every mention of a parsed
    timestamp is one more parse of the text.)
    """
    vf, vu = _bounds(cfg)
    ts = t[col]
    cond = None
    if vf is not None:
        cond = ts >= vf
    if vu is not None:
        cond = ts < vu if cond is None else cond & (ts < vu)
    return ts.notnull() if cond is None else cond


def _ledger_row(rows_in: int, dropped: dict[str, int]) -> dict:
    dropped = {k: int(v) for k, v in dropped.items()}
    kept = int(rows_in) - sum(dropped.values())
    return {"rows_in": int(rows_in), "rows_kept": kept, "dropped": dropped}


def _identity(expr, name):
    return expr


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
    ev, identities: ibis.Table | None, cfg: Config, *, materialize=_identity, check_values=None
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
            ok = _time_valid(t, E, cfg) & t[A].notnull() & t[U].notnull()
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
    missing, before, after = _time_flags(j, E, cfg)
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
    m2, b2, a2 = _time_flags(stored, E, cfg)
    time_dropped = r.isin(["missing_time", "time_out_of_range"]).fill_null(False)
    counts = _counts_by_source(
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

        ledger = _ledger_row(
            c("rows_in"),
            {
                "missing_time": c("missing_time"),
                "time_out_of_range": c("before_launch") + c("in_future"),
                "duplicate": c("duplicate"),
                "null_user_id": c("null_user_id"),
                "unstitched_anonymous": c("unstitched_anonymous"),
            },
        )
        v = variants[variants[schema.SOURCE] == src]
        stitched_rows = c("stitched_via_identities") + c("stitched_via_events")
        anon = c("unstitched_anonymous") + stitched_rows
        per_source[src] = {
            "table": "events",
            **ledger,
            "checks": {
                "time_range": [
                    _iso(counts["min_time"].get(src)),
                    _iso(counts["max_time"].get(src)),
                ],
                "before_launch": c("before_launch"),
                "in_future": c("in_future"),
                "duplicate": c("duplicate"),
                "null_user_id": c("null_user_id"),
                "anonymous_rows": anon,
                "stitched_via_identities": c("stitched_via_identities"),
                "stitched_via_events": c("stitched_via_events"),
                "unstitched_anonymous": c("unstitched_anonymous"),
                "stitching_coverage": (1 - c("unstitched_anonymous") / anon) if anon else None,
                "event_name_variant": int(v["rows"].sum()),
                "event_name_variants": {r.event_name_raw: int(r.rows) for r in v.itertuples()},
            },
        }
    if idmap is not None:
        st = (
            idmap.aggregate(n=idmap.count(), conflicts=(idmap.n_users > 1).sum()).execute().iloc[0]
        )
        ident_stats = {
            "anonymous_ids_mapped": int(st["n"]),
            "conflicting_identities": int(st["conflicts"] or 0),
        }
    else:
        ident_stats = {"anonymous_ids_mapped": 0, "conflicting_identities": 0}
    return kept, per_source, idmap, ident_stats


def clean_orders(o: ibis.Table, cfg: Config):
    """Clean orders: time range, null users, empty amounts, duplicate order ids; flag refunds/free."""
    label = o[schema.SOURCE]
    missing, before, after = _time_flags(o, schema.ORDER_TIME, cfg)
    no_user = o[schema.USER_ID].isnull()
    no_amount = o[schema.AMOUNT].isnull()
    has_order_id = bool(o[schema.ORDER_ID].notnull().any().execute())
    base = o.mutate(_missing=missing, _oor=before | after, _nouser=no_user, _noamt=no_amount)
    reason_free = base.filter(~base._missing & ~base._oor & ~base._nouser & ~base._noamt)
    first = _counts_by_source(
        base,
        rows_in=base.count(),
        missing_time=base._missing.sum(),
        before_launch=before.sum(),
        in_future=after.sum(),
        min_time=o[schema.ORDER_TIME].min(),
        max_time=o[schema.ORDER_TIME].max(),
    )
    step = _counts_by_source(
        base,
        oor=(~base._missing & base._oor).sum(),
        nouser=(~base._missing & ~base._oor & base._nouser).sum(),
        noamt=(~base._missing & ~base._oor & ~base._nouser & base._noamt).sum(),
    )
    keep = reason_free.drop("_missing", "_oor", "_nouser", "_noamt")
    if has_order_id:
        w = ibis.window(
            group_by=[schema.SOURCE, schema.ORDER_ID],
            order_by=[schema.ORDER_TIME, schema.AMOUNT, schema.USER_ID],
        )
        keep = keep.mutate(_rn=ibis.row_number().over(w))
        keep = keep.filter(keep[schema.ORDER_ID].isnull() | (keep._rn == 0)).drop("_rn")
        possible_dups = 0
    else:
        possible_dups = int(keep.count().execute() - keep.distinct().count().execute())
    kept_counts = _counts_by_source(
        keep,
        kept=keep.count(),
        refunds=(keep[schema.AMOUNT] < 0).sum(),
        refund_amount=ibis.ifelse(keep[schema.AMOUNT] < 0, keep[schema.AMOUNT], 0).sum(),
        free_orders=(keep[schema.AMOUNT] == 0).sum(),
        buyers=keep[schema.USER_ID].nunique(where=keep[schema.AMOUNT] >= 0),
    )
    keep = keep.mutate(
        **{
            schema.DAY: engine.local_day(keep[schema.ORDER_TIME], cfg.timezone),
            "is_refund": keep[schema.AMOUNT] < 0,
        }
    )
    per_source = {}
    for src in first.index:

        def g(df, col, _src=src):
            return int(df[col].get(_src, 0)) if col in df else 0

        rows_after_basic = (
            g(first, "rows_in")
            - g(first, "missing_time")
            - g(step, "oor")
            - g(step, "nouser")
            - g(step, "noamt")
        )
        ledger = _ledger_row(
            g(first, "rows_in"),
            {
                "missing_time": g(first, "missing_time"),
                "time_out_of_range": g(step, "oor"),
                "null_user_id": g(step, "nouser"),
                "missing_amount": g(step, "noamt"),
                "duplicate_order_id": rows_after_basic - g(kept_counts, "kept"),
            },
        )
        per_source[src] = {
            "table": "orders",
            **ledger,
            "checks": {
                "time_range": [_iso(first["min_time"].get(src)), _iso(first["max_time"].get(src))],
                "before_launch": g(first, "before_launch"),
                "in_future": g(first, "in_future"),
                "has_order_id": has_order_id,
                "possible_duplicate_orders": possible_dups,
                "refunds": g(kept_counts, "refunds"),
                "refund_amount": float(kept_counts["refund_amount"].get(src, 0.0)),
                "free_orders": g(kept_counts, "free_orders"),
                "buyers": g(kept_counts, "buyers"),
            },
        }
    _ = label
    return keep, per_source


def clean_users(u: ibis.Table):
    """One row per user id: the earliest signup wins; duplicates and conflicts counted."""
    attrs = [c for c in u.columns if c not in (schema.SOURCE, schema.USER_ID)]
    src = u[schema.SOURCE].min().execute()
    rows_in = int(u.count().execute())
    nonnull = u.filter(u[schema.USER_ID].notnull())
    null_rows = rows_in - int(nonnull.count().execute())
    sig = ibis.literal("")
    for c in [a for a in attrs if a != schema.SIGNUP_TIME]:  # attributes; signup time is not one
        sig = sig.concat("|", nonnull[c].cast("string").fill_null("<NA>"))
    per_user = (
        nonnull.mutate(_sig=sig)
        .group_by(schema.USER_ID)
        .aggregate(n=ibis._.count(), n_sig=ibis._._sig.nunique())
    )
    dup = (
        per_user.filter(per_user.n > 1)
        .aggregate(
            ids=ibis._.count(), extra=(ibis._.n - 1).sum(), conflicting=(ibis._.n_sig > 1).sum()
        )
        .execute()
        .iloc[0]
    )
    order = [nonnull[schema.SIGNUP_TIME].asc(nulls_first=False)] + [
        nonnull[c].asc() for c in attrs if c != schema.SIGNUP_TIME
    ]
    w = ibis.window(group_by=schema.USER_ID, order_by=order)
    kept = nonnull.mutate(_rn=ibis.row_number().over(w)).filter(ibis._._rn == 0).drop("_rn")
    extra = int(dup["extra"] or 0)
    ledger = _ledger_row(rows_in, {"null_key": null_rows, "duplicate_user_row": extra})
    checks = {
        "duplicated_user_ids": int(dup["ids"] or 0),
        "duplicate_user_rows": extra,
        "conflicting_duplicate_users": int(dup["conflicting"] or 0),
        "signup_range": [
            _iso(x)
            for x in kept.aggregate(
                a=kept[schema.SIGNUP_TIME].min(), b=kept[schema.SIGNUP_TIME].max()
            )
            .execute()
            .iloc[0]
        ],
    }
    return kept, {src: {"table": "users", **ledger, "checks": checks}}


def clean_simple(t: ibis.Table, table: str, keys: list[str], time_col: str | None, cfg: Config):
    """Identities and assignments: drop rows with an empty key, drop exact duplicates."""
    src = t[schema.SOURCE].min().execute()
    rows_in = int(t.count().execute())
    ok = t
    for k in keys:
        ok = ok.filter(ok[k].notnull())
    n_ok = int(ok.count().execute())
    dedup = ok.distinct()
    n_dedup = int(dedup.count().execute())
    if time_col is not None:
        dedup = dedup.mutate(
            **{
                f"{time_col.removesuffix('_at')}_day"
                if time_col.endswith("_at")
                else f"{time_col}_day": engine.local_day(dedup[time_col], cfg.timezone)
            }
        )
    ledger = _ledger_row(rows_in, {"null_key": rows_in - n_ok, "duplicate": n_ok - n_dedup})
    return dedup, {src: {"table": table, **ledger, "checks": {}}}


def orphan_checks(
    user_day: ibis.Table, users: ibis.Table | None, *, events: bool = True, orders: bool = True
) -> dict:
    """Activity of ids absent from users, and users with no activity (orphans both ways).

    Counted on ``user_day``, which holds every kept event and order once: a user-day's event
    rows are ``events - orders`` (``events`` includes the purchases) and its order rows
    ``orders + refunds``. ``events`` / ``orders`` say which sources exist (their keys are
    left out otherwise).
    """
    if users is None:
        return {"users_table": False}
    uid = users.select(schema.USER_ID).distinct()
    o = user_day.anti_join(uid, schema.USER_ID)
    ev_rows = o[schema.UD_EVENTS] - o[schema.UD_ORDERS]
    order_rows = o[schema.UD_ORDERS] + o[schema.UD_REFUNDS]
    r = (
        o.aggregate(
            ev=ev_rows.sum(),
            ev_ids=o[schema.USER_ID].nunique(where=ev_rows > 0),
            od=order_rows.sum(),
            od_ids=o[schema.USER_ID].nunique(where=order_rows > 0),
        )
        .execute()
        .iloc[0]
    )
    out = {"users_table": True}
    if events:
        out.update(orphan_events=int(r["ev"] or 0), orphan_events_users=int(r["ev_ids"] or 0))
    if orders:
        out.update(orphan_orders=int(r["od"] or 0), orphan_orders_users=int(r["od_ids"] or 0))
    active = user_day.select(schema.USER_ID).distinct()
    out["users_without_activity"] = int(users.anti_join(active, schema.USER_ID).count().execute())
    # canonical names used by truth.json
    out["orphan_users"] = out.get("orphan_events_users", 0)
    return out


SETTLING_DAYS = 3  # half the centred 7-day window of daily_volume: days before it are not flagged


def daily_volume(
    events: ibis.Table | None,
    orders: ibis.Table | None,
    *,
    threshold: float = 3.5,
    min_change: float = 0.3,
) -> pd.DataFrame:
    """Rows per source per business day with spikes, drops and gaps flagged.

    ``expected`` is the centred 7-day rolling median. A day is a spike or a drop when its log
    ratio to ``expected`` is more than ``threshold`` local robust standard deviations away
    (1.4826 x the rolling 29-day median absolute deviation of those log ratios) AND differs
    from ``expected`` by more than ``min_change`` (30%): small sources are noisy, and a flag
    should be worth a look. A gap is a day with no rows where at least 5 were expected. The
    first ``SETTLING_DAYS`` (3) days of a source are never flagged: their centred window
    reaches before the first day, so a launch ramp would read as drops. (The last days are
    flagged: a short last day of an export is worth a look.)
    """
    parts = []
    for t in (events, orders):
        if t is not None:
            parts.append(
                t.group_by([schema.SOURCE, schema.DAY]).aggregate(rows=ibis._.count()).execute()
            )
    if not parts:
        return pd.DataFrame(
            columns=[schema.SOURCE, schema.DAY, "rows", "expected", "robust_z", "flag"]
        )
    vol = pd.concat(parts, ignore_index=True)
    vol[schema.DAY] = pd.to_datetime(vol[schema.DAY])
    out = []
    for src, g in vol.groupby(schema.SOURCE):
        full = pd.date_range(g[schema.DAY].min(), g[schema.DAY].max(), freq="D")
        s = g.set_index(schema.DAY)["rows"].reindex(full, fill_value=0).astype(float)
        expected = s.rolling(7, center=True, min_periods=3).median()
        resid = np.log1p(s) - np.log1p(expected)
        spread = (resid - resid.rolling(29, center=True, min_periods=7).median()).abs()
        scale = spread.rolling(29, center=True, min_periods=7).median() * 1.4826
        z = (resid / scale.where(scale > 0)).fillna(0.0)
        change = (s / expected.where(expected > 0) - 1).abs().fillna(0.0)
        settled = (
            np.arange(len(s)) >= SETTLING_DAYS
        )  # the centred window no longer starts before day 0
        material = (change > min_change) & settled
        flag = np.where(
            (s == 0) & (expected >= 5) & settled,
            "gap",
            np.where(
                (z > threshold) & material,
                "spike",
                np.where((z < -threshold) & material, "drop", ""),
            ),
        )
        out.append(
            pd.DataFrame(
                {
                    schema.SOURCE: src,
                    schema.DAY: full.date,
                    "rows": s.astype(int).values,
                    "expected": expected.round(1).values,
                    "robust_z": np.round(z.values, 2),
                    "flag": flag,
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def quality_score(sources: dict) -> dict:
    """Data-quality score, 0-100, with its formula.

    Per source: ``100 x (1 - (dropped + repaired) / rows_in)`` where repaired rows are kept rows
    that needed a fix (event-name variants). Overall: the row-weighted mean of the sources.
    """
    per = {}
    total_rows = 0
    weighted = 0.0
    for name, s in sources.items():
        rows_in = s["rows_in"]
        dropped = sum(s["dropped"].values())
        repaired = s.get("checks", {}).get("event_name_variant", 0)
        score = 100.0 * (1 - (dropped + repaired) / rows_in) if rows_in else 100.0
        per[name] = round(score, 2)
        total_rows += rows_in
        weighted += rows_in * score
    overall = weighted / total_rows if total_rows else 100.0
    return {
        "formula": "per source: 100 x (1 - (rows dropped + rows repaired) / rows in); "
        "overall: row-weighted mean over sources",
        "per_source": per,
        "overall": round(overall, 2),
    }


def _iso(x) -> str | None:
    if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NaT:
        return None
    try:
        return pd.Timestamp(x).isoformat()
    except Exception:  # noqa: BLE001
        return str(x)


def clean(
    staged: dict[str, ibis.Table | None], cfg: Config, *, materialize=_identity, check_events=None
) -> Cleaned:
    """Clean every staged (mapped) table and assemble the audit record.

    Parameters
    ----------
    staged : dict
        Canonical tables as read by :func:`helpers.data.sources.read_table` (already staged).
    cfg : Config

    Returns
    -------
    Cleaned
        ``tables`` (ibis expressions of the cleaned tables) and ``audit`` (JSON-able dict with
        ``sources`` (ledger + checks per source), ``identities``, ``quality``; the pipeline adds
        ``orphans`` (:func:`orphan_checks`) once ``user_day`` is built).
    """
    audit: dict = {
        "sources": {},
        "drop_reasons": DROP_REASONS,
        "timezone": cfg.timezone,
        "valid_from": str(cfg.audit.valid_from) if cfg.audit.valid_from else None,
        "valid_until": str(cfg.audit.valid_until) if cfg.audit.valid_until else None,
    }
    tables: dict[str, ibis.Table | None] = {
        k: None for k in ("events", "orders", "users", "identities", "assignments")
    }
    identities = None
    if staged.get("identities") is not None:
        identities, a = clean_simple(
            staged["identities"], "identities", [schema.ANONYMOUS_ID, schema.USER_ID], None, cfg
        )
        audit["sources"].update(a)
        tables["identities"] = identities
    if staged.get("users") is not None:
        tables["users"], a = clean_users(staged["users"])
        audit["sources"].update(a)
    if staged.get("events") is not None:
        kept, per, idmap, ident = clean_events(
            staged["events"], identities, cfg, materialize=materialize, check_values=check_events
        )
        tables["events"] = kept
        audit["sources"].update(per)
        audit["identities"] = ident
    if staged.get("orders") is not None:
        tables["orders"], per = clean_orders(staged["orders"], cfg)
        audit["sources"].update(per)
    if staged.get("assignments") is not None:
        tables["assignments"], a = clean_simple(
            staged["assignments"],
            "assignments",
            [schema.USER_ID, schema.EXPERIMENT, schema.VARIANT],
            schema.ASSIGNED_AT,
            cfg,
        )
        audit["sources"].update(a)
    for s in audit["sources"].values():
        s["balanced"] = s["rows_in"] == s["rows_kept"] + sum(s["dropped"].values())
    audit["quality"] = quality_score(audit["sources"])
    return Cleaned(tables=tables, audit=audit)


_ = dt  # datatypes are part of this module's vocabulary for callers that extend checks


def totals(audit: dict) -> tuple[int, int]:
    """Rows read and rows kept over all sources of an audit record.

    >>> totals({"sources": {"a": {"rows_in": 5, "rows_kept": 3}, "b": {"rows_in": 2, "rows_kept": 2}}})
    (7, 5)
    """
    src = audit["sources"].values()
    return sum(s["rows_in"] for s in src), sum(s["rows_kept"] for s in src)


def audit_summary_text(project) -> str:
    """A short terminal summary of the audit: per source rows in/kept and drops by reason.

    Examples
    --------
    >>> print(audit_summary_text(load_project("persona.yaml")))   # doctest: +SKIP
    Sample shop: 5 sources, 1,234,567 rows read, 1,220,000 kept (98.8%), quality 98.6/100
    """
    a = project.audit
    total_in, total_kept = totals(a)
    lines = [
        f"{project.config.name}: {len(a['sources'])} sources, {total_in:,} rows read, {total_kept:,} kept "
        f"({100 * total_kept / max(total_in, 1):.1f}%), quality {a['quality']['overall']:.1f}/100",
        f"data window {project.data_start} .. {project.data_end} ({project.config.timezone}); "
        f"latest complete month {project.latest_complete_month()}",
    ]
    width = max(len(n) for n in a["sources"])
    for name, s in a["sources"].items():
        drops = ", ".join(f"{k} {v:,}" for k, v in s["dropped"].items() if v) or "nothing dropped"
        flag = "" if s["balanced"] else "  LEDGER DOES NOT BALANCE"
        lines.append(
            f"  {name:<{width}}  {s['table']:<11} in {s['rows_in']:>12,}  kept {s['rows_kept']:>12,}  ({drops}){flag}"
        )
    o = a.get("orphans", {})
    if o.get("users_table"):
        lines.append(
            f"  orphans: {o.get('orphan_events', 0):,} events of {o.get('orphan_events_users', 0):,} ids absent "
            f"from users; {o.get('users_without_activity', 0):,} users without activity"
        )
    flags = a.get("volume_flags", [])
    if flags:
        lines.append(f"  daily volume: {len(flags)} source-days flagged (spikes, drops, gaps)")
    return "\n".join(lines)

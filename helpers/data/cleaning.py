"""Clean the mapped sources, with a ledger: rows in = rows kept + each drop reason.

The rules and their order are written down in ``docs/internals.md`` ("Cleaning rules"); each
dropped row has exactly one reason. Every count here is an aggregate computed by the engine.

The main entry point is :func:`clean`, called once by :mod:`helpers.data.pipeline` when it builds
the cache; it returns the cleaned tables and the :class:`helpers.data.audit.Audit` record of what
was read, kept and dropped. Events are cleaned by :mod:`helpers.data.event_cleaning`; orders,
users, identities, assignments and campaigns here; feedback in
:mod:`helpers.data.feedback_cleaning`.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis

from helpers.core import schema
from helpers.core.config import Config
from helpers.data import engine
from helpers.data.audit import (
    PURCHASE_EVENTS_SOURCE,
    Audit,
    OrderChecks,
    SourceAudit,
    UserChecks,
    quality_score,
)
from helpers.data.cleaning_rules import (
    counts_by_source,
    effective_bounds,
    iso_time,
    ledger,
    no_materialize,
    time_flags,
)
from helpers.data.event_cleaning import clean_events
from helpers.data.feedback_cleaning import clean_feedback

__all__ = ["Cleaned", "clean", "clean_orders", "clean_users", "clean_simple"]


@dataclass
class Cleaned:
    """Cleaned canonical tables (ibis expressions) and the audit record."""

    tables: dict[str, ibis.Table | None]
    audit: Audit


def purchase_orders(events: ibis.Table, cfg: Config) -> ibis.Table:
    """Orders made of the cleaned events named in ``purchase_events`` (a clickstream without an
    orders source): the event's time and user, its ``revenue`` as the amount when the event
    source has one (else the amount is unknown, null), and the source ``purchase_events``."""
    bought = events.filter(events[schema.EVENT_NAME].isin(list(cfg.purchase_events)))
    amount = (
        bought[schema.REVENUE].cast("float64")
        if schema.REVENUE in bought.columns
        else ibis.null().cast("float64")
    )
    return bought.select(
        **{
            schema.SOURCE: ibis.literal(PURCHASE_EVENTS_SOURCE),
            schema.USER_ID: bought[schema.USER_ID],
            schema.ORDER_TIME: bought[schema.EVENT_TIME],
            schema.AMOUNT: amount,
            schema.ORDER_ID: ibis.null().cast("string"),
        }
    )


def clean_orders(o: ibis.Table, cfg: Config, *, amount_required: bool = True):
    """Clean orders: time range, null users, empty or non-finite amounts, duplicate order ids;
    flag refunds and free orders.

    With ``amount_required=False`` (orders made of purchase events without a revenue column)
    an empty amount is kept as unknown: the order counts as a purchase with no revenue, and
    ``unknown_amount`` counts them."""
    missing, before, after = time_flags(o, schema.ORDER_TIME, cfg)
    no_user = o[schema.USER_ID].isnull()
    amount = o[schema.AMOUNT]
    # NaN, inf and -inf ("NaN", "inf" in a CSV, or floats in Parquet) parse as numbers but
    # would turn every sum they enter into NaN or inf. Spelled so that every engine agrees:
    # ibis on Spark counts NaN as null, and compiles isinf() to FALSE
    nan = amount.isnan().fill_null(False)
    no_amount = (amount.isnull() & ~nan) if amount_required else ibis.literal(False)
    bad_amount = nan | (amount.abs() == float("inf")).fill_null(False)
    has_order_id = bool(o[schema.ORDER_ID].notnull().any().execute())
    base = o.mutate(
        _missing=missing,
        _oor=before | after,
        _nouser=no_user,
        _noamt=no_amount,
        _badamt=bad_amount,
    )
    clear = ~base._missing & ~base._oor & ~base._nouser
    reason_free = base.filter(clear & ~base._noamt & ~base._badamt)
    first = counts_by_source(
        base,
        rows_in=base.count(),
        missing_time=base._missing.sum(),
        before_launch=before.sum(),
        in_future=after.sum(),
        min_time=o[schema.ORDER_TIME].min(),
        max_time=o[schema.ORDER_TIME].max(),
    )
    step = counts_by_source(
        base,
        oor=(~base._missing & base._oor).sum(),
        nouser=(~base._missing & ~base._oor & base._nouser).sum(),
        noamt=(clear & base._noamt).sum(),
        badamt=(clear & ~base._noamt & base._badamt).sum(),
    )
    keep = reason_free.drop("_missing", "_oor", "_nouser", "_noamt", "_badamt")
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
    kept_counts = counts_by_source(
        keep,
        kept=keep.count(),
        refunds=(keep[schema.AMOUNT] < 0).sum(),
        refund_amount=ibis.ifelse(keep[schema.AMOUNT] < 0, keep[schema.AMOUNT], 0).sum(),
        free_orders=(keep[schema.AMOUNT] == 0).sum(),
        buyers=keep[schema.USER_ID].nunique(
            where=(keep[schema.AMOUNT] >= 0).fill_null(not amount_required)
        ),
        unknown=keep[schema.AMOUNT].isnull().sum(),
    )
    keep = keep.mutate(
        **{
            schema.DAY: engine.local_day(keep[schema.ORDER_TIME], cfg.timezone),
            "is_refund": (keep[schema.AMOUNT] < 0).fill_null(False),
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
            - g(step, "badamt")
        )
        checks = OrderChecks(
            time_range=(
                iso_time(first["min_time"].get(src)),
                iso_time(first["max_time"].get(src)),
            ),
            before_launch=g(first, "before_launch"),
            in_future=g(first, "in_future"),
            has_order_id=has_order_id,
            possible_duplicate_orders=possible_dups,
            refunds=g(kept_counts, "refunds"),
            refund_amount=float(kept_counts["refund_amount"].get(src, 0.0)),
            free_orders=g(kept_counts, "free_orders"),
            buyers=g(kept_counts, "buyers"),
            unknown_amount=g(kept_counts, "unknown"),
        )
        per_source[src] = ledger(
            "orders",
            g(first, "rows_in"),
            {
                "missing_time": g(first, "missing_time"),
                "time_out_of_range": g(step, "oor"),
                "null_user_id": g(step, "nouser"),
                "missing_amount": g(step, "noamt"),
                "invalid_amount": g(step, "badamt"),
                "duplicate_order_id": rows_after_basic - g(kept_counts, "kept"),
            },
            checks,
        )
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
    span = (
        kept.aggregate(a=kept[schema.SIGNUP_TIME].min(), b=kept[schema.SIGNUP_TIME].max())
        .execute()
        .iloc[0]
    )
    checks = UserChecks(
        duplicated_user_ids=int(dup["ids"] or 0),
        duplicate_user_rows=extra,
        conflicting_duplicate_users=int(dup["conflicting"] or 0),
        signup_range=(iso_time(span["a"]), iso_time(span["b"])),
    )
    dropped = {"null_key": null_rows, "duplicate_user_row": extra}
    return kept, {src: ledger("users", rows_in, dropped, checks)}


def clean_simple(t: ibis.Table, table: str, keys: list[str], time_col: str | None, cfg: Config):
    """Identities, assignments and campaigns: drop rows with an empty key, drop exact duplicates."""
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
    dropped = {"null_key": rows_in - n_ok, "duplicate": n_ok - n_dedup}
    return dedup, {src: ledger(table, rows_in, dropped)}


def clean(
    staged: dict[str, ibis.Table | None],
    cfg: Config,
    *,
    materialize=no_materialize,
    check_events=None,
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
        ``tables`` (ibis expressions of the cleaned tables) and ``audit``
        (:class:`helpers.data.audit.Audit` with the ledger and checks per source, the identity
        stitching and the quality score; the pipeline adds orphans, the span of ``user_day``
        and the volume flags once ``user_day`` is built).
    """
    sources: dict[str, SourceAudit] = {}
    ident = None
    tables: dict[str, ibis.Table | None] = dict.fromkeys(schema.TABLES)
    identities = None
    if staged.get("identities") is not None:
        identities, a = clean_simple(
            staged["identities"], "identities", [schema.ANONYMOUS_ID, schema.USER_ID], None, cfg
        )
        sources.update(a)
        tables["identities"] = identities
    if staged.get("users") is not None:
        tables["users"], a = clean_users(staged["users"])
        sources.update(a)
    if staged.get("events") is not None:
        kept, per, _idmap, ident = clean_events(
            staged["events"], identities, cfg, materialize=materialize, check_values=check_events
        )
        tables["events"] = kept
        sources.update(per)
    if staged.get("orders") is not None:
        tables["orders"], per = clean_orders(staged["orders"], cfg)
        sources.update(per)
    elif cfg.purchase_events and tables["events"] is not None:
        derived = materialize(purchase_orders(tables["events"], cfg), "purchase_orders")
        # an empty amount is an unknown one, not a reason to lose the purchase
        tables["orders"], per = clean_orders(derived, cfg, amount_required=False)
        sources.update(per)
    if staged.get("assignments") is not None:
        tables["assignments"], a = clean_simple(
            staged["assignments"],
            "assignments",
            [schema.USER_ID, schema.EXPERIMENT, schema.VARIANT],
            schema.ASSIGNED_AT,
            cfg,
        )
        sources.update(a)
    if staged.get("campaigns") is not None:
        tables["campaigns"], a = clean_simple(
            staged["campaigns"],
            "campaigns",
            # a held-out contact is never sent anything: its sent_at may be empty
            [schema.USER_ID, schema.CAMPAIGN],
            schema.SENT_AT,
            cfg,
        )
        sources.update(a)
    if staged.get("feedback") is not None:
        tables["feedback"], a = clean_feedback(staged["feedback"], cfg)
        sources.update(a)
    bounds = effective_bounds(cfg)
    audit = Audit(
        sources=sources,
        quality=quality_score(sources),
        timezone=cfg.timezone,
        valid_from=str(bounds[0]),
        valid_until=str(bounds[1]),
        identities=ident,
    )
    return Cleaned(tables=tables, audit=audit)

"""The cleaning ledger of one month: per dated source, the rows whose time falls in the month
(business timezone), the rows kept, dropped by reason and repaired, and the month's data-quality
score with the formula of the whole window (:func:`helpers.data.audit.quality_score`).

Events and orders have a time; users, identities and assignments do not (a signup or an
assignment time is not when the row was logged), so they are judged over the whole window only
and listed in ``window_only``. A row without a time belongs to no month: it is counted once per
source as ``no_time`` (the window's ``missing_time`` drops).

* Events: the cache stores every distinct event row once with its ``copies``, its
  ``drop_reason`` (null when kept), ``stitched_via`` and ``event_name_raw``
  (:func:`helpers.data.event_cleaning.kept_events`); the month's ledger is one aggregate of the
  stored rows whose business ``day`` falls in the month. All copies of a row share its day, so
  a duplicate is in the month of the row it copies.
* Orders: the mapped source is read again and :func:`helpers.data.cleaning.clean_orders` runs on
  the rows up to the month's last day and on the rows before its first day; the month's ledger
  is the difference. (Cleaning the month's rows alone would keep an order whose id was already
  seen in an earlier month, which the window's cleaning drops as a duplicate: the earliest row
  of an order id is kept, so the rows up to a day are cleaned exactly as the whole window
  cleans them.)

Summed over every month, plus the rows without a time, the month ledgers give the window's
ledger of ``audit.json`` (a test proves it on the sample).

Examples
--------
>>> from helpers.data.pipeline import load_project
>>> ledger = month_ledger(load_project("data/sample/persona.yaml"), month="2026-10")  # doctest: +SKIP
>>> ledger.quality.overall, ledger.sources["app_events"].dropped["duplicate"]  # doctest: +SKIP
(98.23, 743)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ibis

from helpers.core import schema
from helpers.core.config import Config
from helpers.core.errors import DataError
from helpers.core.io import read_artifact_json
from helpers.core.time import month_bounds, parse_month
from helpers.data import engine, sources, storage
from helpers.data.audit import (
    DROP_REASONS,
    PURCHASE_EVENTS_SOURCE,
    QUALITY_FORMULA,
    LedgerCounts,
    Quality,
    ledger_score,
)
from helpers.data.cleaning import clean_orders, purchase_orders
from helpers.data.cleaning_rules import counts_by_source

__all__ = [
    "WINDOW_ONLY_TABLES",
    "AUDIT_JSON_KEY",
    "REPAIRED",
    "MonthSource",
    "MonthLedger",
    "LostRows",
    "month_ledger",
    "event_month_ledger",
    "order_month_ledger",
    "month_score",
    "ledger_months",
    "read_month_ledger",
]

#: Tables without a time of their own: judged over the whole data window only.
WINDOW_ONLY_TABLES = ("users", "identities", "assignments", "campaigns", "feedback")

#: The key of the month ledger in ``artifacts/audit.json``.
AUDIT_JSON_KEY = "month"

#: What a repaired row is called beside the drop reasons (a kept row whose event name was fixed).
REPAIRED = "event_name_variant"

_TIME_REASONS = ("missing_time", "time_out_of_range")
#: The drop reasons of an order source's ledger (:func:`helpers.data.cleaning.clean_orders`).
_ORDER_REASONS = (
    "missing_time",
    "time_out_of_range",
    "null_user_id",
    "missing_amount",
    "invalid_amount",
    "duplicate_order_id",
)


@dataclass(frozen=True)
class MonthSource(LedgerCounts):
    """The ledger of one dated source in one month.

    Attributes
    ----------
    table : str
        ``events`` or ``orders``.
    rows_in, rows_kept : int
        Rows whose time falls in the month, and those of them kept.
    dropped : dict of str to int
        Rows dropped by reason (the reasons of the window's ledger; ``missing_time`` is 0, as
        such rows belong to no month).
    repaired : int
        Kept rows that needed a fix (event-name variants).
    no_time : int
        Rows of the source without a time, in the whole window (in no month).
    stitching_coverage : float or None
        Share of the month's anonymous event rows tied to a user (None without any).

    Examples
    --------
    >>> s = MonthSource("events", 200, 190, {"duplicate": 6, "null_user_id": 4}, repaired=2)
    >>> s.balanced, s.rows_dropped, s.score, s.lost_share
    (True, 10, 94.0, 0.06)
    """

    table: str
    rows_in: int
    rows_kept: int
    dropped: dict[str, int]
    repaired: int = 0
    no_time: int = 0
    stitching_coverage: float | None = None

    @property
    def lost_share(self) -> float | None:
        """Share of the month's rows dropped or repaired (None without rows)."""
        if not self.rows_in:
            return None
        return (self.rows_dropped + self.repaired) / self.rows_in

    @property
    def score(self) -> float | None:
        """``100 x (1 - (dropped + repaired) / rows in)``, 2 decimals; None without rows."""
        if not self.rows_in:
            return None
        return round(ledger_score(self.rows_in, self.rows_dropped + self.repaired), 2)

    def to_json(self) -> dict:
        return {
            "table": self.table,
            "rows_in": self.rows_in,
            "rows_kept": self.rows_kept,
            "dropped": dict(self.dropped),
            "repaired": self.repaired,
            "no_time": self.no_time,
            "stitching_coverage": self.stitching_coverage,
            "balanced": self.balanced,
        }

    @classmethod
    def from_json(cls, data: dict) -> MonthSource:
        return cls(
            table=data["table"],
            rows_in=int(data["rows_in"]),
            rows_kept=int(data["rows_kept"]),
            dropped={k: int(v) for k, v in (data.get("dropped") or {}).items()},
            repaired=int(data.get("repaired") or 0),
            no_time=int(data.get("no_time") or 0),
            stitching_coverage=data.get("stitching_coverage"),
        )


@dataclass(frozen=True)
class LostRows:
    """What a source lost in a month: the share of its rows dropped or repaired, and that share
    split by reason (drop reasons, and ``event_name_variant`` for repaired rows), largest first."""

    source: str
    table: str
    rows_in: int
    share: float
    parts: tuple[tuple[str, float], ...]


def month_score(ledgers: dict[str, MonthSource]) -> Quality:
    """The month's data-quality score per source and overall, by the window's formula.

    Per source ``100 x (1 - (dropped + repaired) / rows in)``; overall the row-weighted mean.
    A source without rows in the month has no score (left out); without any row the overall
    score is None.

    Examples
    --------
    >>> q = month_score({"a": MonthSource("events", 100, 90, {"duplicate": 10}),
    ...                  "b": MonthSource("orders", 300, 300, {}),
    ...                  "c": MonthSource("orders", 0, 0, {})})
    >>> q.per_source, q.overall
    ({'a': 90.0, 'b': 100.0}, 97.5)
    """
    per = {}
    rows = 0
    lost = 0
    for name, s in ledgers.items():
        if s.rows_in:
            per[name] = s.score
            rows += s.rows_in
            lost += s.rows_dropped + s.repaired
    overall = round(ledger_score(rows, lost), 2) if rows else None
    return Quality(per_source=per, overall=overall, formula=QUALITY_FORMULA)


@dataclass(frozen=True)
class MonthLedger:
    """The cleaning ledger of one month (:func:`month_ledger`).

    Attributes
    ----------
    month : str
        ``YYYY-MM``.
    timezone : str
        The business timezone the month is cut in.
    sources : dict of str to MonthSource
        The dated sources (events and orders), by name.
    window_only : tuple of str
        Sources without a time (users, identities, assignments): judged over the window only.
    """

    month: str
    timezone: str
    sources: dict[str, MonthSource]
    window_only: tuple[str, ...] = ()

    @property
    def quality(self) -> Quality:
        """The month's score per source and overall (:func:`month_score`)."""
        return month_score(self.sources)

    @property
    def first_day(self) -> str:
        return month_bounds(self.month)[0].isoformat()

    @property
    def last_day(self) -> str:
        return month_bounds(self.month)[1].isoformat()

    @property
    def score(self) -> float | None:
        """The month's overall score (None without any row in the month)."""
        return self.quality.overall

    def totals(self) -> tuple[int, int]:
        """Rows in and rows kept in the month over the dated sources (orders made of purchase
        events are rows of their event source, so they are not counted again)."""
        read = [s for k, s in self.sources.items() if k != PURCHASE_EVENTS_SOURCE]
        return sum(s.rows_in for s in read), sum(s.rows_kept for s in read)

    @property
    def no_time(self) -> int:
        """Rows without a time over the dated sources (in no month)."""
        return sum(s.no_time for k, s in self.sources.items() if k != PURCHASE_EVENTS_SOURCE)

    @property
    def unbalanced(self) -> tuple[str, ...]:
        return tuple(k for k, s in self.sources.items() if not s.balanced)

    def lost(self) -> list[LostRows]:
        """The sources that lost rows in the month, the largest share first (ties: more rows).

        Examples
        --------
        >>> m = MonthLedger("2026-10", "UTC", {
        ...     "app": MonthSource("events", 1000, 959, {"duplicate": 32, "null_user_id": 9}),
        ...     "orders": MonthSource("orders", 50, 50, {"duplicate_order_id": 0})})
        >>> w = m.lost()[0]
        >>> w.source, round(w.share, 3), [(k, round(v, 3)) for k, v in w.parts]
        ('app', 0.041, [('duplicate', 0.032), ('null_user_id', 0.009)])
        """
        out = []
        for name, s in self.sources.items():
            share = s.lost_share
            if not share:
                continue
            counts = {k: v for k, v in s.dropped.items() if v}
            if s.repaired:
                counts[REPAIRED] = s.repaired
            order = [*DROP_REASONS, REPAIRED]
            parts = sorted(
                ((k, v / s.rows_in) for k, v in counts.items()),
                key=lambda kv: (-kv[1], order.index(kv[0]) if kv[0] in order else len(order)),
            )
            out.append(LostRows(name, s.table, s.rows_in, share, tuple(parts)))
        return sorted(out, key=lambda w: (-w.share, -w.rows_in, w.source))

    def worst(self) -> LostRows | None:
        """The source with the largest share of its month's rows lost (None when none lost any)."""
        lost = self.lost()
        return lost[0] if lost else None

    def to_json(self) -> dict:
        """The ledger as ``audit.json`` holds it under ``month``."""
        return {
            "month": self.month,
            "timezone": self.timezone,
            "first_day": self.first_day,
            "last_day": self.last_day,
            "sources": {k: s.to_json() for k, s in self.sources.items()},
            "window_only": list(self.window_only),
            "quality": self.quality.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict) -> MonthLedger:
        """The ledger from its stored form (``to_json``).

        Examples
        --------
        >>> m = MonthLedger("2026-10", "UTC", {"o": MonthSource("orders", 3, 2, {"null_user_id": 1})},
        ...                 window_only=("users",))
        >>> MonthLedger.from_json(m.to_json()) == m
        True
        """
        try:
            srcs = {k: MonthSource.from_json(v) for k, v in (data.get("sources") or {}).items()}
            return cls(
                month=parse_month(data["month"]),
                timezone=data.get("timezone", ""),
                sources=srcs,
                window_only=tuple(data.get("window_only") or ()),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(
                f"The month ledger of audit.json (key `{AUDIT_JSON_KEY}`) does not have the "
                f"expected fields ({exc!r} is wrong or missing); re-run 01_data_audit to write "
                "it again."
            ) from None


# --- computing it (aggregates executed by the engine) --------------------------------------------
def _date(d):
    return ibis.literal(d, type="date")


def event_month_ledger(stored: ibis.Table, *, month: str) -> dict[str, MonthSource]:
    """The month's ledger of every event source, from the stored event rows.

    ``stored`` is the cache's events table: each distinct row once with ``copies``,
    ``drop_reason``, ``stitched_via``, ``event_name_raw`` and the business ``day``. Counts follow
    the window's ledger (:func:`helpers.data.event_cleaning.clean_events`): a row dropped for its
    time counts all its copies there; any other row's extra copies are duplicates; a row
    dropped for its user id, or repaired, counts once.
    """
    first, last = month_bounds(month)
    n, r, day = stored.copies, stored.drop_reason, stored[schema.DAY]
    time_drop = r.isin(list(_TIME_REASONS)).fill_null(False)
    in_month = (day >= _date(first)) & (day <= _date(last))
    kept = r.isnull()
    counts = counts_by_source(
        stored,
        rows_in=ibis.ifelse(in_month, n, 0).sum(),
        rows_kept=(in_month & kept).sum(),
        time_out_of_range=ibis.ifelse(in_month & (r == "time_out_of_range"), n, 0).sum(),
        duplicate=ibis.ifelse(in_month & ~time_drop, n - 1, 0).sum(),
        null_user_id=(in_month & (r == "null_user_id").fill_null(False)).sum(),
        unstitched_anonymous=(in_month & (r == "unstitched_anonymous").fill_null(False)).sum(),
        stitched=(in_month & kept & stored.stitched_via.notnull()).sum(),
        repaired=(in_month & kept & stored.event_name_raw.notnull()).sum(),
        no_time=ibis.ifelse(day.isnull(), n, 0).sum(),
    )
    out = {}
    for src, row in counts.iterrows():
        anon = int(row["unstitched_anonymous"]) + int(row["stitched"])
        out[str(src)] = MonthSource(
            table="events",
            rows_in=int(row["rows_in"]),
            rows_kept=int(row["rows_kept"]),
            dropped={
                "missing_time": 0,
                "time_out_of_range": int(row["time_out_of_range"]),
                "duplicate": int(row["duplicate"]),
                "null_user_id": int(row["null_user_id"]),
                "unstitched_anonymous": int(row["unstitched_anonymous"]),
            },
            repaired=int(row["repaired"]),
            no_time=int(row["no_time"]),
            stitching_coverage=(1 - int(row["unstitched_anonymous"]) / anon) if anon else None,
        )
    return out


def order_month_ledger(
    orders: ibis.Table, cfg: Config, *, month: str, amount_required: bool = True
) -> dict[str, MonthSource]:
    """The month's ledger of every order source, from the mapped (uncleaned) order rows.

    :func:`helpers.data.cleaning.clean_orders` cleans the rows up to the month's last day and
    those before its first day; the month's counts are the difference (see the module docs for
    why the month's rows are not cleaned alone).
    """
    first, last = month_bounds(month)
    day = engine.local_day(orders[schema.ORDER_TIME], cfg.timezone)
    _, upto = clean_orders(orders.filter(day <= _date(last)), cfg, amount_required=amount_required)
    _, before = clean_orders(
        orders.filter(day < _date(first)), cfg, amount_required=amount_required
    )
    no_time = counts_by_source(orders, n=orders[schema.ORDER_TIME].isnull().sum())["n"]
    out = {}
    for src in no_time.index:
        a, b = upto.get(src), before.get(src)

        def less(get, _a=a, _b=b):  # (a source may have no row up to / before the month)
            return (get(_a) if _a else 0) - (get(_b) if _b else 0)

        out[str(src)] = MonthSource(
            table="orders",
            rows_in=less(lambda s: s.rows_in),
            rows_kept=less(lambda s: s.rows_kept),
            dropped={k: less(lambda s, _k=k: s.dropped.get(_k, 0)) for k in _ORDER_REASONS},
            no_time=int(no_time[src]),
        )
    return out


def _stored_events(project) -> ibis.Table | None:
    stored = storage.CacheStore(project.con, project.cache_path, project.fingerprint).open(
        "events"
    )
    if stored is None or "drop_reason" not in stored.columns:
        return None
    return stored


def _mapped_orders(project) -> tuple[ibis.Table | None, bool]:
    """The project's order rows before cleaning, and whether an amount is required: the mapped
    order sources read again, or the orders made of purchase events (as the cache build made
    them)."""
    cfg = project.config
    deferred: dict = {}  # the build already checked every value: no check pass here
    orders = sources.read_table(project.con, cfg, "orders", deferred=deferred)
    if orders is not None:
        bad = [c for c in orders.columns if c.startswith(sources.BAD_PREFIX)]
        return (orders.drop(*bad) if bad else orders), True
    events = project.tables.get("events")
    if cfg.purchase_events and events is not None:
        return purchase_orders(events, cfg), False
    return None, True


def month_ledger(project, month: str) -> MonthLedger:
    """The cleaning ledger of ``month`` for a project's dated sources.

    Parameters
    ----------
    project : helpers.data.pipeline.Project
    month : str
        ``YYYY-MM``, cut in the project's timezone.

    Returns
    -------
    MonthLedger
        Per event and order source: the month's rows in, kept, dropped by reason and repaired,
        the rows without a time, and the month's score; users, identities and assignments in
        ``window_only``.

    Examples
    --------
    >>> month_ledger(project, "2026-10").totals()  # doctest: +SKIP
    (397031, 391559)
    """
    month = parse_month(month)
    ledgers: dict[str, MonthSource] = {}
    stored = _stored_events(project)
    if stored is not None:
        ledgers.update(event_month_ledger(stored, month=month))
    orders, amount_required = _mapped_orders(project)
    if orders is not None:
        ledgers.update(
            order_month_ledger(
                orders, project.config, month=month, amount_required=amount_required
            )
        )
    audit = project.audit
    order = [k for k in audit.sources if k in ledgers] + [
        k for k in ledgers if k not in audit.sources
    ]
    return MonthLedger(
        month=month,
        timezone=project.config.timezone,
        sources={k: ledgers[k] for k in order},
        window_only=tuple(k for k, s in audit.sources.items() if s.table in WINDOW_ONLY_TABLES),
    )


def ledger_months(project) -> list[str]:
    """Every month holding a row of a dated source (out-of-range times included), in order."""
    months: set[str] = set()
    stored = _stored_events(project)
    parts = []
    if stored is not None:
        parts.append(stored[schema.DAY])
    orders, _ = _mapped_orders(project)
    if orders is not None:
        parts.append(engine.local_day(orders[schema.ORDER_TIME], project.config.timezone))
    for day in parts:
        t = day.name("d").as_table()
        ym = t.filter(t.d.notnull()).select(y=t.d.year(), m=t.d.month()).distinct().execute()
        months |= {f"{int(y):04d}-{int(m):02d}" for y, m in zip(ym["y"], ym["m"])}
    return sorted(months)


def read_month_ledger(artifacts: str | Path) -> MonthLedger | None:
    """The month ledger ``01_data_audit`` wrote into ``artifacts/audit.json`` (key ``month``);
    None when there is no audit or it was written before the key existed."""
    data = read_artifact_json(artifacts, "audit.json")
    if not isinstance(data, dict) or not data.get(AUDIT_JSON_KEY):
        return None
    return MonthLedger.from_json(data[AUDIT_JSON_KEY])

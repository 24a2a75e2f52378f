"""The audit record of a project's data: what was read, what was kept and why, as typed records.

:func:`helpers.data.cleaning.clean` fills an :class:`Audit` while it cleans the sources (one
:class:`SourceAudit` per source: rows in = rows kept + the rows dropped for each reason, and the
checks of its table), and :mod:`helpers.data.pipeline` completes it once ``user_day`` is built
(orphan ids, the span of ``user_day``, event names, days of unusual volume). The record is cached
beside the clean tables and written by ``01_data_audit`` as ``artifacts/audit.json``;
:meth:`Audit.to_json` gives that file's content and :meth:`Audit.from_json` reads it back.

Every count here was computed by the engine when the cache was built.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from helpers.core.errors import DataError

__all__ = [
    "LedgerCounts",
    "ledger_score",
    "DROP_REASONS",
    "QUALITY_FORMULA",
    "EventChecks",
    "OrderChecks",
    "UserChecks",
    "SourceAudit",
    "IdentityStats",
    "Orphans",
    "Quality",
    "UserDaySpan",
    "VolumeFlag",
    "Audit",
    "quality_score",
    "totals",
    "audit_summary_text",
]

#: Drop reason -> what it means, in the order the cleaning applies them (written to audit.json).
DROP_REASONS = {
    "missing_time": "the timestamp is empty",
    "time_out_of_range": "the timestamp is before `audit.valid_from` (launch) or at/after `audit.valid_until` (export)",
    "duplicate": "an exact copy of an earlier row of the same source (every mapped column equal)",
    "null_user_id": "no user id and no anonymous id",
    "unstitched_anonymous": "an anonymous id that no identity maps to a user",
    "duplicate_order_id": "an order id seen before (the earliest row is kept)",
    "missing_amount": "the amount is empty",
    "invalid_amount": "the amount is not a finite number (NaN, inf or -inf)",
    "duplicate_user_row": "a second row for a user id (the earliest signup is kept)",
    "null_key": "a required id (user, experiment or variant) is empty",
    "invalid_score": "a feedback rating outside 1-5 or an NPS answer outside 0-10",
    "empty_feedback": "a feedback row with no rating, NPS answer, category or text",
}

#: How :func:`quality_score` scores, as written to audit.json.
QUALITY_FORMULA = (
    "per source: 100 x (1 - (rows dropped + rows repaired) / rows in); "
    "overall: row-weighted mean over sources"
)


def _plain(value):
    """A record's value as JSON: tuples become lists, records their ``to_json``."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_PAIRS = ("time_range", "signup_range")  # stored as two-item lists, held as tuples


class _Record:
    """``to_json`` / ``from_json`` of a record whose fields are stored under their names."""

    def to_json(self) -> dict:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_json(cls, data: dict):
        """The record from its stored fields; a DataError names what is missing or unknown."""
        data = {k: tuple(v) if k in _PAIRS and v is not None else v for k, v in data.items()}
        unknown = sorted(set(data) - {f.name for f in dataclasses.fields(cls)})
        try:
            if unknown:
                raise TypeError(f"unknown keys {unknown}")
            return cls(**data)
        except TypeError as exc:
            raise DataError(
                f"The audit record does not have the fields of {cls.__name__} ({exc}); it was "
                "written by another version of persona-kit: re-run 01_data_audit (or rebuild "
                "the cache) to write it again."
            ) from None


# --- per source ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class EventChecks(_Record):
    """What the checks of an event source found (rows of the source, before cleaning resolved
    them). ``time_range`` holds the first and last timestamp read (ISO text, UTC);
    ``stitching_coverage`` is the share of anonymous rows tied to a user (None without any);
    ``event_name_variants`` maps each exported name that differed from its standard form to
    its rows."""

    time_range: tuple[str | None, str | None]
    before_launch: int
    in_future: int
    duplicate: int
    null_user_id: int
    anonymous_rows: int
    stitched_via_identities: int
    stitched_via_events: int
    unstitched_anonymous: int
    stitching_coverage: float | None
    event_name_variant: int
    event_name_variants: dict[str, int] = field(default_factory=dict)


#: The source name of the orders made of purchase events (``purchase_events:`` in the config).
PURCHASE_EVENTS_SOURCE = "purchase_events"


@dataclass(frozen=True)
class OrderChecks(_Record):
    """What the checks of an order source found: refunds (amount < 0, kept but not purchases),
    free orders (amount 0, purchases), duplicates and the buyers among the kept rows."""

    time_range: tuple[str | None, str | None]
    before_launch: int
    in_future: int
    has_order_id: bool
    possible_duplicate_orders: int
    refunds: int
    refund_amount: float
    free_orders: int
    buyers: int
    unknown_amount: int = 0  # orders from purchase events without a revenue column


@dataclass(frozen=True)
class UserChecks(_Record):
    """What the checks of a users source found: ids on several rows (and those whose rows
    disagree on an attribute), and the first and last signup kept (ISO text, UTC)."""

    duplicated_user_ids: int
    duplicate_user_rows: int
    conflicting_duplicate_users: int
    signup_range: tuple[str | None, str | None]


_CHECKS = {"events": EventChecks, "orders": OrderChecks, "users": UserChecks}


class LedgerCounts:
    """Rows in = rows kept + the rows dropped for each reason: what a source's ledger over the
    window (:class:`SourceAudit`) and over one month (``month_ledger.MonthSource``) share. The
    class using it has ``rows_in``, ``rows_kept`` and ``dropped`` (reason -> rows)."""

    @property
    def rows_dropped(self) -> int:
        return sum(self.dropped.values())

    @property
    def balanced(self) -> bool:
        """Whether rows in = rows kept + the rows dropped for each reason."""
        return self.rows_in == self.rows_kept + self.rows_dropped


def ledger_score(rows_in: int, lost: int) -> float:
    """The data-quality score of rows: ``100 x (1 - lost / rows_in)``, lost = dropped + repaired.

    >>> ledger_score(200, 5)
    97.5
    """
    return 100.0 * (1 - lost / rows_in)


@dataclass(frozen=True)
class SourceAudit(LedgerCounts):
    """The cleaning ledger of one source: rows in, rows kept, rows dropped by reason, and the
    checks of its table (None for identities and assignments, which have none).

    Examples
    --------
    >>> s = SourceAudit("identities", rows_in=10, rows_kept=8, dropped={"null_key": 2})
    >>> s.balanced, s.rows_dropped, s.to_json()["checks"]
    (True, 2, {})
    """

    table: str
    rows_in: int
    rows_kept: int
    dropped: dict[str, int]
    checks: EventChecks | OrderChecks | UserChecks | None = None

    @property
    def time_range(self) -> tuple[str | None, str | None]:
        """First and last timestamp read (signups for a users table); (None, None) without."""
        c = self.checks
        if isinstance(c, (EventChecks, OrderChecks)):
            return c.time_range
        if isinstance(c, UserChecks):
            return c.signup_range
        return None, None

    def to_json(self) -> dict:
        return {
            "table": self.table,
            "rows_in": self.rows_in,
            "rows_kept": self.rows_kept,
            "dropped": dict(self.dropped),
            "checks": self.checks.to_json() if self.checks is not None else {},
            "balanced": self.balanced,
        }

    @classmethod
    def from_json(cls, data: dict) -> SourceAudit:
        checks = data.get("checks") or {}
        kind = _CHECKS.get(data.get("table"))
        return cls(
            table=data["table"],
            rows_in=data["rows_in"],
            rows_kept=data["rows_kept"],
            dropped=dict(data.get("dropped") or {}),
            checks=kind.from_json(checks) if kind is not None and checks else None,
        )


# --- whole project -------------------------------------------------------------------------------
@dataclass(frozen=True)
class IdentityStats(_Record):
    """Anonymous ids mapped to a user, and those mapped to several users (the smallest kept)."""

    anonymous_ids_mapped: int
    conflicting_identities: int


@dataclass(frozen=True)
class Orphans(_Record):
    """Activity of user ids absent from the users table, and users without activity.

    Without a users table only ``users_table`` (False) is set; the event or order counts are
    None when the project has no event or order source. ``orphan_users`` is the number of ids
    with orphan events (the name the sample's truth file uses).
    """

    users_table: bool
    orphan_events: int | None = None
    orphan_events_users: int | None = None
    orphan_orders: int | None = None
    orphan_orders_users: int | None = None
    users_without_activity: int | None = None
    orphan_users: int | None = None
    # orphan ids equal to a users id once leading zeros are dropped (007 against 7)
    orphan_ids_zero_padded: int | None = None

    def to_json(self) -> dict:
        return {k: v for k, v in super().to_json().items() if v is not None}


@dataclass(frozen=True)
class Quality(_Record):
    """The data-quality score, 0-100, per source and overall (:func:`quality_score`)."""

    per_source: dict[str, float]
    overall: float
    formula: str = QUALITY_FORMULA

    def to_json(self) -> dict:
        return {
            "formula": self.formula,
            "per_source": dict(self.per_source),
            "overall": self.overall,
        }


@dataclass(frozen=True)
class UserDaySpan(_Record):
    """Size and span of ``user_day``: rows, users, first and last business day (ISO dates)."""

    rows: int
    users: int
    first_day: str
    last_day: str


@dataclass(frozen=True)
class VolumeFlag(_Record):
    """A source-day whose row count departs from its neighbours (``flag``: spike, drop, gap);
    see :func:`helpers.data.activity_checks.daily_volume`."""

    source: str
    day: str
    rows: int
    expected: float | None
    robust_z: float
    flag: str


@dataclass(frozen=True)
class Audit:
    """The audit of a project's sources: a ledger and checks per source, and the checks of the
    whole (identity stitching, orphan ids, daily volume, the quality score).

    Attributes
    ----------
    sources : dict of str to SourceAudit
        By source name, in the order they were cleaned.
    quality : Quality
    timezone : str
        The business timezone days are cut in.
    valid_from, valid_until : str or None
        The configured valid time range (local dates).
    identities : IdentityStats or None
        None without an event source.
    orphans, user_day, event_names, volume_flags
        Filled by the pipeline once ``user_day`` is built (None before): orphan ids, the span of
        ``user_day``, kept rows per event name, and the flagged source-days.
    drop_reasons : dict
        Every drop reason and its meaning (:data:`DROP_REASONS`).
    """

    sources: dict[str, SourceAudit]
    quality: Quality
    timezone: str
    valid_from: str | None = None
    valid_until: str | None = None
    identities: IdentityStats | None = None
    orphans: Orphans | None = None
    user_day: UserDaySpan | None = None
    event_names: dict[str, int] | None = None
    volume_flags: tuple[VolumeFlag, ...] | None = None
    drop_reasons: dict[str, str] = field(default_factory=lambda: dict(DROP_REASONS))

    def totals(self) -> tuple[int, int]:
        """Rows read and rows kept over all sources (orders made of purchase events are rows
        of their event source, so they are not counted again)."""
        read = [s for k, s in self.sources.items() if k != PURCHASE_EVENTS_SOURCE]
        return sum(s.rows_in for s in read), sum(s.rows_kept for s in read)

    def of_table(self, table: str) -> dict[str, SourceAudit]:
        """The sources of one canonical table (``events``, ``orders``...), by name."""
        return {k: s for k, s in self.sources.items() if s.table == table}

    def to_json(self) -> dict:
        """The record as ``audit.json`` holds it."""
        out: dict[str, Any] = {
            "sources": {k: s.to_json() for k, s in self.sources.items()},
            "drop_reasons": dict(self.drop_reasons),
            "timezone": self.timezone,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
        }
        if self.identities is not None:
            out["identities"] = self.identities.to_json()
        out["quality"] = self.quality.to_json()
        if self.orphans is not None:
            out["orphans"] = self.orphans.to_json()
        if self.user_day is not None:
            out["user_day"] = self.user_day.to_json()
        if self.event_names is not None:
            out["event_names"] = dict(self.event_names)
        if self.volume_flags is not None:
            out["volume_flags"] = [f.to_json() for f in self.volume_flags]
        return out

    @classmethod
    def from_json(cls, data: dict) -> Audit:
        """The record from the content of an ``audit.json``.

        Examples
        --------
        >>> a = Audit({"x": SourceAudit("identities", 3, 3, {"null_key": 0})},
        ...           quality_score({"x": SourceAudit("identities", 3, 3, {"null_key": 0})}),
        ...           timezone="UTC")
        >>> Audit.from_json(a.to_json()) == a
        True
        """

        def opt(key, kind):
            return kind.from_json(data[key]) if data.get(key) is not None else None

        flags = data.get("volume_flags")
        return cls(
            sources={k: SourceAudit.from_json(v) for k, v in (data.get("sources") or {}).items()},
            quality=Quality.from_json(data["quality"]),
            timezone=data.get("timezone", ""),
            valid_from=data.get("valid_from"),
            valid_until=data.get("valid_until"),
            identities=opt("identities", IdentityStats),
            orphans=opt("orphans", Orphans),
            user_day=opt("user_day", UserDaySpan),
            event_names=dict(data["event_names"]) if data.get("event_names") is not None else None,
            volume_flags=None if flags is None else tuple(VolumeFlag.from_json(f) for f in flags),
            drop_reasons=dict(data.get("drop_reasons") or DROP_REASONS),
        )


def quality_score(sources: dict[str, SourceAudit]) -> Quality:
    """Data-quality score, 0-100, per source and overall.

    Per source: ``100 x (1 - (dropped + repaired) / rows_in)`` where repaired rows are kept rows
    that needed a fix (event-name variants). Overall: the row-weighted mean of the sources.

    Examples
    --------
    >>> q = quality_score({"a": SourceAudit("identities", 100, 90, {"null_key": 10}),
    ...                    "b": SourceAudit("identities", 300, 300, {"null_key": 0})})
    >>> q.per_source, q.overall
    ({'a': 90.0, 'b': 100.0}, 97.5)
    """
    per = {}
    total_rows = 0
    weighted = 0.0
    for name, s in sources.items():
        repaired = s.checks.event_name_variant if isinstance(s.checks, EventChecks) else 0
        score = ledger_score(s.rows_in, s.rows_dropped + repaired) if s.rows_in else 100.0
        per[name] = round(score, 2)
        total_rows += s.rows_in
        weighted += s.rows_in * score
    overall = weighted / total_rows if total_rows else 100.0
    return Quality(per_source=per, overall=round(overall, 2))


def totals(audit: Audit) -> tuple[int, int]:
    """Rows read and rows kept over all sources of an audit record.

    >>> totals(Audit({"a": SourceAudit("users", 5, 3, {"null_key": 2}),
    ...               "b": SourceAudit("identities", 2, 2, {})}, Quality({}, 100.0), "UTC"))
    (7, 5)
    """
    return audit.totals()


# --- the terminal summary ------------------------------------------------------------------------
def audit_summary_text(project) -> str:
    """A short terminal summary of the audit: per source rows in/kept and drops by reason.

    Examples
    --------
    >>> print(audit_summary_text(load_project("persona.yaml")))   # doctest: +SKIP
    Sample shop: 5 sources, 1,234,567 rows read, 1,220,000 kept (98.8%), quality 98.6/100
    """
    a: Audit = project.audit
    total_in, total_kept = a.totals()
    lines = [
        f"{project.config.name}: {len(a.sources)} sources, {total_in:,} rows read, {total_kept:,} kept "
        f"({100 * total_kept / max(total_in, 1):.1f}%), quality {a.quality.overall:.1f}/100",
        f"data window {project.data_start} .. {project.data_end} ({project.config.timezone}); "
        f"latest complete month {project.latest_complete_month()}",
    ]
    width = max(len(n) for n in a.sources)
    for name, s in a.sources.items():
        drops = ", ".join(f"{k} {v:,}" for k, v in s.dropped.items() if v) or "nothing dropped"
        flag = "" if s.balanced else "  LEDGER DOES NOT BALANCE"
        lines.append(
            f"  {name:<{width}}  {s.table:<11} in {s.rows_in:>12,}  kept {s.rows_kept:>12,}  ({drops}){flag}"
        )
    o = a.orphans
    if o is not None and o.users_table:
        lines.append(
            f"  orphans: {o.orphan_events or 0:,} events of {o.orphan_events_users or 0:,} ids absent "
            f"from users; {o.orphan_orders or 0:,} orders of {o.orphan_orders_users or 0:,} ids "
            f"absent from users; {o.users_without_activity or 0:,} users without activity"
        )
        if o.orphan_ids_zero_padded:
            lines.append(
                f"  {o.orphan_ids_zero_padded:,} of the orphan ids match a users id once leading "
                "zeros are dropped (007 against 7): the sources spell ids differently; export "
                "them as text with the same padding"
            )
    for name, s in a.of_table("orders").items():
        if getattr(s.checks, "unknown_amount", 0):
            lines.append(
                f"  {name}: {s.checks.unknown_amount:,} orders without an amount (the purchase "
                "events have no `revenue` column): they count as purchases with no revenue"
            )
    if a.volume_flags:
        lines.append(
            f"  daily volume: {len(a.volume_flags)} source-days flagged (spikes, drops, gaps)"
        )
    return "\n".join(lines)

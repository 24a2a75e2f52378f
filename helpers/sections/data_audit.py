"""What the ``01_data_audit`` notebook shows: a project's audit (``project.audit``) as tables and
sentences.

The numbers come from :mod:`helpers.data.audit` (computed once when the cache was built) and
:mod:`helpers.data.profile`; :class:`AuditView` only arranges them into
:class:`~helpers.display.table.Table` objects and notes through the display layer.

Examples
--------
>>> from helpers.data.pipeline import load_project
>>> view = AuditView.from_project(load_project("data/sample/persona.yaml"))   # doctest: +SKIP
>>> view.ledger()                                                              # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.core import schema
from helpers.data.audit import DROP_REASONS, Audit, EventChecks, OrderChecks, UserChecks
from helpers.data.month_ledger import AUDIT_JSON_KEY, REPAIRED, MonthLedger, month_ledger
from helpers.data.month_quality import (
    GOOD_SCORE,
    MIN_STITCHING,
    POOR_SCORE,
    MonthQuality,
    month_quality,
)
from helpers.data.profile import column_profile, dropped_examples
from helpers.display.blocks import Callout, Note, Paragraph, Stack
from helpers.display.format import fmt
from helpers.display.table import Table
from helpers.display.text import join_clauses, join_words, t, tn

__all__ = ["AuditView", "PER_REASON"]

#: Dropped event rows shown per source and reason.
PER_REASON = 3


def _time(text: str | None):
    """An ISO timestamp of the audit as a UTC instant (None stays None)."""
    return None if not text else pd.Timestamp(text).tz_convert("UTC")


def _table_name(code: str) -> str:
    return t(f"audit.table.{code}")


#: The columns of the month's table (:meth:`AuditView.month_verdict`).
MONTH_COLUMNS = (
    "source",
    "source_table",
    "month_rows_in",
    "month_rows_kept",
    "month_lost",
    "month_score",
    "window_score",
)
_TONE = {"good": "good", "caution": "warning", "poor": "bad"}


def _reason(code: str) -> str:
    """A drop reason (or ``event_name_variant``, a repair) as words inside a sentence."""
    return t(f"audit.month.reason.{code}")


def _checks(rows: list[tuple[str, dict]], sources: list[str]) -> pd.DataFrame:
    """A checks x sources frame (``rows``: label, {source: value}); None where a check does
    not apply to a source. Rows of different kinds hold values already formatted."""
    return pd.DataFrame(
        [{"check": label, **{s: cells.get(s) for s in sources}} for label, cells in rows],
        columns=["check", *sources],
    )


@dataclass
class AuditView:
    """The audit of a project arranged for people: one method per table of the notebook.

    Attributes
    ----------
    audit : Audit
    daily_volume : DataFrame
        :func:`helpers.data.activity_checks.daily_volume` of the project.
    columns : DataFrame or None
        :func:`helpers.data.profile.column_profile`.
    dropped : DataFrame or None
        :func:`helpers.data.profile.dropped_examples`.
    month : MonthLedger or None
        The ledger of the reviewed month (:func:`helpers.data.month_ledger.month_ledger`).
    """

    audit: Audit
    daily_volume: pd.DataFrame
    columns: pd.DataFrame | None = None
    dropped: pd.DataFrame | None = None
    month: MonthLedger | None = None

    @classmethod
    def from_project(cls, project, *, month: str | None = None) -> AuditView:
        """The view of ``project``'s audit, with the ledger of ``month`` (``YYYY-MM``) if given."""
        return cls(
            audit=project.audit,
            daily_volume=project.daily_volume,
            columns=column_profile(project),
            dropped=dropped_examples(project, per_reason=PER_REASON),
            month=month_ledger(project, month) if month else None,
        )

    def to_json(self) -> dict:
        """What ``artifacts/audit.json`` holds: the audit record, and the month's ledger under
        ``month`` (:func:`helpers.data.month_ledger.read_month_ledger` reads it back)."""
        out = self.audit.to_json()
        if self.month is not None:
            out[AUDIT_JSON_KEY] = self.month.to_json()
        return out

    # --- the month under review ------------------------------------------------------------------
    def month_verdict(
        self,
        *,
        good_score: float = GOOD_SCORE,
        poor_score: float = POOR_SCORE,
        min_stitching: float = MIN_STITCHING,
    ) -> Stack | Note:
        """The month's verdict beside the whole window's: a box with the scores and the reasons
        (:func:`helpers.data.month_quality.month_quality`), and per source the month's rows in,
        kept, dropped by reason and both scores."""
        m = self.month
        if m is None:
            return Note(t("audit.month.none"))
        limits = dict(good_score=good_score, poor_score=poor_score, min_stitching=min_stitching)
        q = month_quality(self.audit, month=m.month, ledger=m, **limits)
        ud = self.audit.user_day
        window = (
            t("audit.month.window_span", start=ud.first_day, end=ud.last_day)
            if ud is not None
            else t("audit.month.window")
        )
        said = dict(month=m.month, window=window, window_score=q.window_score)
        lines = [
            t("audit.month.scores", score=q.score, **said)
            if q.scope == "month"
            else t("audit.month.no_rows", **said)
        ]
        if q.worst is not None:
            parts = [
                t("audit.month.part_share", share=v, reason=_reason(k)) for k, v in q.worst.parts
            ]
            w = q.worst
            lines.append(
                t("audit.month.worst", source=w.source, share=w.share, parts=join_words(parts))
            )
        if q.unbalanced:
            lines.append(t("audit.month.unbalanced", sources=join_words(q.unbalanced)))
        days = [
            t("audit.month.flag_day", day=f.day, source=f.source, flag=t(f"audit.flag.{f.flag}"))
            for f in q.flags[:4]
        ]
        lines += [tn("audit.month.volume", len(q.flags), days=join_words(days))] if days else []
        lines += [t("audit.month.stitching", source=n, share=c) for n, c in q.low_stitching]
        lines += [tn("audit.month.no_time", q.no_time)] if q.no_time else []
        box = Callout(
            t("audit.month.title", month=m.month, status=t(f"audit.month.status.{q.status}")),
            lines,
            tone=_TONE[q.status],
        )
        rule = Paragraph(t("audit.month.rule", good=good_score, poor=poor_score))
        return Stack.of(box, self._month_table(q, window), rule)

    def _month_table(self, q: MonthQuality, window: str) -> Table:
        """Per source: the month's rows in, kept, lost by reason, and the month's and window's
        scores; the window-only sources and the overall row under them."""
        m = self.month
        rows = [
            {
                "source": name,
                "source_table": _table_name(s.table),
                "month_rows_in": s.rows_in,
                "month_rows_kept": s.rows_kept,
                "month_lost": join_words(
                    [
                        t("audit.month.part_count", n=n, reason=_reason(k))
                        for k, n in [*s.dropped.items(), (REPAIRED, s.repaired)]
                        if n
                    ]
                )
                or t("audit.month.nothing_lost"),
                "month_score": q.per_source.get(name),
            }
            for name, s in m.sources.items()
        ]
        rows += [
            {
                "source": name,
                "source_table": _table_name(self.audit.sources[name].table),
                "month_lost": t("audit.month.window_only"),
            }
            for name in m.window_only
            if name in self.audit.sources
        ]
        rows_in, rows_kept = m.totals()
        month_score = q.score if q.scope == "month" else None
        overall = {
            "month_rows_in": rows_in,
            "month_rows_kept": rows_kept,
            "month_score": month_score,
        }
        rows.append({"source": t("audit.quality.overall"), **overall})
        df = pd.DataFrame(rows, columns=MONTH_COLUMNS[:-1])
        window_scores = [
            *(q.window_per_source.get(r["source"]) for r in rows[:-1]),
            q.window_score,
        ]
        return Table(
            df.assign(window_score=window_scores),
            caption=t("audit.month.caption", month=m.month, window=window),
            note=t("audit.month.note", month=m.month, timezone=m.timezone),
            max_rows=len(rows),
            digits={"month_score": 1, "window_score": 1},
        )

    # --- overview ------------------------------------------------------------------------------
    def sources(self) -> Table:
        """One row per source: table, rows in and kept, the time span read, the quality score."""
        a = self.audit
        rows = [
            {
                "source": name,
                "source_table": _table_name(s.table),
                "rows_in": s.rows_in,
                "rows_kept": s.rows_kept,
                "kept_share": s.rows_kept / s.rows_in if s.rows_in else None,
                "first_read": _time(s.time_range[0]),
                "last_read": _time(s.time_range[1]),
                "quality_score": a.quality.per_source.get(name),
            }
            for name, s in a.sources.items()
        ]
        rows_in, rows_kept = a.totals()
        note = t("audit.sources.note", timezone=a.timezone)
        if a.valid_from or a.valid_until:
            valid = t(
                "audit.sources.valid_range",
                start=a.valid_from or t("audit.any_time"),
                end=a.valid_until or t("audit.any_time"),
            )
            note = f"{note} {valid}"
        return Table(
            pd.DataFrame(rows),
            caption=t(
                "audit.sources.caption",
                n=len(rows),
                rows_in=rows_in,
                rows_kept=rows_kept,
                share=rows_kept / max(rows_in, 1),
            ),
            note=note,
        )

    def reasons(self) -> Table:
        """The drop reasons and what each means, in the order the cleaning applies them."""
        df = pd.DataFrame(
            [
                {"reason": t(f"audit.reason.{k}"), "reason_meaning": t(f"audit.meaning.{k}")}
                for k in DROP_REASONS
            ]
        )
        return Table(df, max_rows=len(df))

    def ledger(self) -> Table:
        """Rows in = rows kept + each drop reason, per source (every source must balance)."""
        src = self.audit.sources
        names = list(src)
        reasons = sorted(
            {r for s in src.values() for r in s.dropped}, key=list(DROP_REASONS).index
        )
        rows = [(t("audit.ledger.rows_in"), {n: s.rows_in for n, s in src.items()})]
        rows += [
            (
                t("audit.ledger.dropped", reason=t(f"audit.reason.{r}")),
                {n: s.dropped[r] for n, s in src.items() if r in s.dropped},
            )
            for r in reasons
        ]
        rows += [(t("audit.ledger.rows_kept"), {n: s.rows_kept for n, s in src.items()})]
        df = _checks(rows, names).rename(columns={"check": "ledger_item"})
        bad = [n for n, s in src.items() if not s.balanced]
        note = (
            tn("audit.ledger.unbalanced", len(bad), sources=join_words(bad))
            if bad
            else t("audit.ledger.balanced")
        )
        return Table(
            df,
            note=note,
            value_columns=names,
            kinds=dict.fromkeys(names, "count"),
            max_rows=len(df),
        )

    def dropped_rows(self) -> Table | Note:
        """A few dropped event rows per source and reason, as they were read."""
        if self.dropped is None or self.dropped.empty:
            return Note(t("audit.dropped.none"), kind="info")
        df = self.dropped.assign(reason=[t(f"audit.reason.{r}") for r in self.dropped["reason"]])
        return Table(
            df,
            caption=t("audit.dropped.caption", per_reason=PER_REASON),
            note=t("audit.dropped.note", timezone=self.audit.timezone),
            max_rows=30,
        )

    # --- checks --------------------------------------------------------------------------------
    def event_checks(self) -> Table | Note:
        """Per event source, the rows each check found (checks as rows, sources as columns)."""
        src = {
            n: s.checks for n, s in self.audit.of_table("events").items() if s.checks is not None
        }
        if not src:
            return Note(t("audit.events.none"))
        counts = [
            "duplicate",
            "before_launch",
            "in_future",
            "null_user_id",
            "anonymous_rows",
            "stitched_via_identities",
            "stitched_via_events",
            "unstitched_anonymous",
            "event_name_variant",
        ]
        rows = [
            (t(f"audit.check.{c}"), {n: getattr(k, c) for n, k in src.items()}) for c in counts
        ]
        coverage = [
            t("audit.events.coverage_of", source=n, share=k.stitching_coverage)
            for n, k in src.items()
            if k.stitching_coverage is not None
        ]
        note = (
            t("audit.events.coverage", sources=join_clauses(coverage))
            if coverage
            else t("audit.events.no_anonymous")
        )
        return Table(
            _checks(rows, list(src)),
            caption=t("audit.events.caption"),
            note=note,
            value_columns=list(src),
            kinds=dict.fromkeys(src, "count"),
            max_rows=len(rows),
        )

    def identities(self) -> Table | Note:
        """Anonymous ids mapped to users, and those mapped to several."""
        i = self.audit.identities
        if i is None:
            return Note(t("audit.identities.none"), kind="info")
        df = pd.DataFrame(
            {
                "check": [
                    t("audit.check.anonymous_ids_mapped"),
                    t("audit.check.conflicting_identities"),
                ],
                "user_ids": [i.anonymous_ids_mapped, i.conflicting_identities],
            }
        )
        return Table(
            df,
            caption=t("audit.identities.caption"),
            kinds={"user_ids": "count"},
        )

    def name_variants(self) -> Table | Note:
        """Exported event names that differed from their standard form, most rows first."""
        rows = [
            {
                "source": name,
                "name_as_logged": repr(raw),
                "standard_name": raw.strip().lower(),
                "rows": n,
            }
            for name, s in self.audit.sources.items()
            if isinstance(s.checks, EventChecks)
            for raw, n in s.checks.event_name_variants.items()
        ]
        df = pd.DataFrame(rows, columns=["source", "name_as_logged", "standard_name", "rows"])
        df = df.sort_values("rows", ascending=False, kind="stable").reset_index(drop=True)
        return Table(
            df,
            caption=t("audit.variants.caption", rows=int(df["rows"].sum())),
            note=t("audit.variants.note"),
        )

    def users(self) -> Table | Note:
        """Per users source: rows in, users kept, duplicated ids and conflicts."""
        src = self.audit.of_table("users")
        if not src:
            return Note(t("audit.users.none"))
        rows = [
            (t("audit.check.users_rows_in"), {n: s.rows_in for n, s in src.items()}),
            (t("audit.check.users_kept"), {n: s.rows_kept for n, s in src.items()}),
        ]
        for c in ("duplicated_user_ids", "duplicate_user_rows", "conflicting_duplicate_users"):
            rows.append(
                (
                    t(f"audit.check.{c}"),
                    {
                        n: getattr(s.checks, c)
                        for n, s in src.items()
                        if isinstance(s.checks, UserChecks)
                    },
                )
            )
        return Table(
            _checks(rows, list(src)),
            caption=t("audit.users.caption"),
            note=t("audit.users.note"),
            value_columns=list(src),
            kinds=dict.fromkeys(src, "count"),
        )

    def orphans(self) -> Table | Note | Stack:
        """Activity of ids absent from users, and users without activity."""
        o = self.audit.orphans
        if o is None or not o.users_table:
            return Note(t("audit.orphans.none"))
        df = pd.DataFrame(
            [
                {
                    "check": t("audit.orphans.events"),
                    "rows": o.orphan_events,
                    "user_ids": o.orphan_events_users,
                },
                {
                    "check": t("audit.orphans.orders"),
                    "rows": o.orphan_orders,
                    "user_ids": o.orphan_orders_users,
                },
                {
                    "check": t("audit.orphans.inactive"),
                    "rows": None,
                    "user_ids": o.users_without_activity,
                },
            ]
        )
        table = Table(df, caption=t("audit.orphans.caption"), note=t("audit.orphans.note"))
        if not o.orphan_ids_zero_padded:
            return table
        padded = Note(t("audit.orphans.zero_padded", ids=o.orphan_ids_zero_padded), kind="warning")
        return Stack.of(table, padded)

    def orders(self) -> Table | Note:
        """Per order source: orders kept, refunds, free orders, buyers and duplicates."""
        src = {
            n: s
            for n, s in self.audit.of_table("orders").items()
            if isinstance(s.checks, OrderChecks)
        }
        if not src:
            return Note(t("audit.orders.none"))

        def row(key, value):
            return t(f"audit.check.{key}"), {n: value(s) for n, s in src.items()}

        rows = [
            row("orders_kept", lambda s: fmt(s.rows_kept, "count")),
            row("refunds", lambda s: fmt(s.checks.refunds, "count")),
            row("refund_amount", lambda s: fmt(s.checks.refund_amount, "money")),
            row("free_orders", lambda s: fmt(s.checks.free_orders, "count")),
            row("unknown_amount", lambda s: fmt(s.checks.unknown_amount, "count")),
            row("buyers", lambda s: fmt(s.checks.buyers, "count")),
            row("has_order_id", lambda s: fmt(s.checks.has_order_id, "bool")),
            row("duplicate_order_id", lambda s: fmt(s.dropped.get("duplicate_order_id"), "count")),
            row(
                "possible_duplicate_orders",
                lambda s: fmt(s.checks.possible_duplicate_orders, "count"),
            ),
        ]
        df = _checks(rows, list(src))
        return Table(
            df,
            caption=t("audit.orders.caption"),
            note=t("audit.orders.note"),
            value_columns=list(src),
        )

    def schema(self) -> Table | Note:
        """Type and missing values of every canonical column in the kept rows, per source."""
        if self.columns is None or self.columns.empty:
            return Note(t("audit.schema.none"))
        df = self.columns.rename(
            columns={
                "table": "source_table",
                "column": "column_name",
                "type": "column_type",
                "missing": "missing_values",
            }
        )
        df = df.assign(source_table=[_table_name(x) for x in df["source_table"]])
        df = df.sort_values("missing_share", ascending=False, kind="stable")
        return Table(df, caption=t("audit.schema.caption"), note=t("audit.schema.note"))

    # --- volume and score ----------------------------------------------------------------------
    def volume_flags(self) -> Table | Note:
        """The source-days flagged as spikes, drops or gaps, the latest first."""
        v = self.daily_volume
        flagged = v[v["flag"] != ""]
        flagged = flagged.sort_values(schema.DAY, ascending=False, kind="stable")  # latest first
        if flagged.empty:
            return Note(t("audit.volume.none"), kind="info")
        df = pd.DataFrame(
            {
                "source": flagged[schema.SOURCE].to_numpy(),
                "day": pd.to_datetime(flagged[schema.DAY]).dt.date.to_numpy(),
                "rows": flagged["rows"].to_numpy(),
                "expected_rows": flagged["expected"].to_numpy(),
                "robust_z": flagged["robust_z"].to_numpy(),
                "volume_flag": [t(f"audit.flag.{f}") for f in flagged["flag"]],
            }
        )
        return Table(df, caption=tn("audit.volume.caption", len(df)), note=t("audit.volume.note"))

    def quality(self) -> Stack:
        """The data-quality score per source and overall, with its formula."""
        q = self.audit.quality
        df = pd.DataFrame(
            [{"source": k, "quality_score": v} for k, v in q.per_source.items()]
            + [{"source": t("audit.quality.overall"), "quality_score": q.overall}]
        )
        return Stack.of(
            Table(df, caption=t("audit.quality.caption"), max_rows=len(df)),
            Paragraph(t("audit.quality.formula")),
        )

"""Tables that present a project's audit (``project.audit``) to people.

Numbers come from :mod:`helpers.data.audit` (computed once when the cache was built); this module only
reshapes them into tidy DataFrames with a sentence each, for the ``01_data_audit`` notebook.

Examples
--------
>>> from helpers.data.pipeline import load_project
>>> view = AuditView.from_project(load_project("data/sample/persona.yaml"))   # doctest: +SKIP
>>> view.ledger().columns.tolist()[:3]                                         # doctest: +SKIP
['source', 'table', 'rows in']
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from helpers.core import schema
from helpers.data.audit import DROP_REASONS


@dataclass
class Table:
    """A DataFrame with a heading sentence; displays itself in notebooks."""

    frame: pd.DataFrame
    caption: str = ""

    def _repr_html_(self) -> str:
        cap = f"<p>{html.escape(self.caption)}</p>" if self.caption else ""
        return cap + self.frame.to_html(
            index=False, na_rep="–", float_format=lambda x: f"{x:,.2f}", escape=True
        )


def _pct(x: float | None) -> float | None:
    return None if x is None else round(100 * x, 2)


@dataclass
class AuditView:
    audit: dict
    daily_volume: pd.DataFrame
    columns: pd.DataFrame | None = None
    dropped: pd.DataFrame | None = None

    @classmethod
    def from_project(cls, project) -> AuditView:
        return cls(
            audit=project.audit,
            daily_volume=project.daily_volume,
            columns=column_profile(project),
            dropped=dropped_examples(project),
        )

    def dropped_rows(self) -> Table:
        """A few dropped event rows per source and reason, as they were read."""
        if self.dropped is None or self.dropped.empty:
            return Table(pd.DataFrame(), "No event row was dropped.")
        return Table(
            self.dropped,
            "Examples of dropped event rows, up to 3 per source and reason (times in UTC; "
            "`copies`: how many times the row was in the source, or for `duplicate` the "
            "extra copies). `project.dropped_events()` returns all of them.",
        )

    # --- overview ------------------------------------------------------------------------------
    def sources(self) -> Table:
        rows = []
        for name, s in self.audit["sources"].items():
            tr = s["checks"].get("time_range") or s["checks"].get("signup_range") or [None, None]
            rows.append(
                {
                    "source": name,
                    "table": s["table"],
                    "rows in": s["rows_in"],
                    "rows kept": s["rows_kept"],
                    "kept %": round(100 * s["rows_kept"] / s["rows_in"], 2)
                    if s["rows_in"]
                    else None,
                    "first timestamp read": (tr[0] or "")[:19],
                    "last timestamp read": (tr[1] or "")[:19],
                    "quality score": self.audit["quality"]["per_source"].get(name),
                }
            )
        df = pd.DataFrame(rows)
        total_in, total_kept = int(df["rows in"].sum()), int(df["rows kept"].sum())
        return Table(
            df,
            f"{len(df)} sources, {total_in:,} rows read, {total_kept:,} kept "
            f"({100 * total_kept / max(total_in, 1):.2f}%). The first and last timestamps are "
            "those of every row read, dropped rows included (so out-of-range times show here); "
            f"the kept rows lie in the valid range{self._valid_range()}. Timestamps are shown in "
            f"UTC; days are cut in {self.audit['timezone']}.",
        )

    def _valid_range(self) -> str:
        lo, hi = self.audit.get("valid_from"), self.audit.get("valid_until")
        if not lo and not hi:
            return ""
        return f" ({lo or 'any time'} to before {hi or 'any time'}, local dates)"

    def ledger(self) -> Table:
        """Rows in = rows kept + each drop reason, per source (must balance)."""
        reasons = sorted(
            {r for s in self.audit["sources"].values() for r in s["dropped"]},
            key=list(DROP_REASONS).index,
        )
        rows = []
        for name, s in self.audit["sources"].items():
            row = {"source": name, "table": s["table"], "rows in": s["rows_in"]}
            row.update({r: s["dropped"].get(r, 0) for r in reasons})
            row["rows kept"] = s["rows_kept"]
            row["balances"] = (
                "yes" if s["rows_in"] == s["rows_kept"] + sum(s["dropped"].values()) else "NO"
            )
            rows.append(row)
        df = pd.DataFrame(rows)
        bad = df[df["balances"] != "yes"]
        note = (
            "Every source balances: rows in = rows kept + the rows dropped for each reason."
            if bad.empty
            else f"{len(bad)} source(s) do NOT balance: {', '.join(bad['source'])}."
        )
        return Table(df, note)

    def reasons(self) -> Table:
        df = pd.DataFrame([{"reason": k, "meaning": v} for k, v in DROP_REASONS.items()])
        return Table(df, "Each dropped row has exactly one reason, applied in this order.")

    # --- checks --------------------------------------------------------------------------------
    def event_checks(self) -> Table:
        rows = []
        for name, s in self.audit["sources"].items():
            if s["table"] != "events":
                continue
            c = s["checks"]
            rows.append(
                {
                    "source": name,
                    "duplicates": c["duplicate"],
                    "before launch": c["before_launch"],
                    "in the future": c["in_future"],
                    "no user id": c["null_user_id"],
                    "anonymous rows": c["anonymous_rows"],
                    "stitched via identities": c["stitched_via_identities"],
                    "stitched via events": c["stitched_via_events"],
                    "unstitched": c["unstitched_anonymous"],
                    "stitching coverage %": _pct(c["stitching_coverage"]),
                    "name variants (rows)": c["event_name_variant"],
                }
            )
        return Table(
            pd.DataFrame(rows),
            "Event sources: rows found per check (before cleaning resolved them).",
        )

    def name_variants(self) -> Table:
        rows = []
        for name, s in self.audit["sources"].items():
            for raw, n in (s["checks"].get("event_name_variants") or {}).items():
                rows.append(
                    {
                        "source": name,
                        "name as logged": repr(raw),
                        "standard name": raw.strip().lower(),
                        "rows": n,
                    }
                )
        df = pd.DataFrame(rows, columns=["source", "name as logged", "standard name", "rows"])
        return Table(
            df.sort_values("rows", ascending=False).head(30),
            f"{int(df['rows'].sum()) if len(df) else 0:,} rows carried an event name that differs from its "
            "standard form (trimmed, lower-case) only in case or whitespace; they were renamed, not dropped.",
        )

    def orders(self) -> Table:
        rows = []
        for name, s in self.audit["sources"].items():
            if s["table"] != "orders":
                continue
            c = s["checks"]
            rows.append(
                {
                    "source": name,
                    "orders kept": s["rows_kept"],
                    "refunds (amount < 0)": c["refunds"],
                    "refunded amount": round(c["refund_amount"], 2),
                    "free orders (amount = 0)": c["free_orders"],
                    "buyers": c["buyers"],
                    "order id mapped": "yes" if c["has_order_id"] else "no",
                    "duplicate order ids dropped": s["dropped"].get("duplicate_order_id", 0),
                    "possible duplicates (no order id, kept)": c["possible_duplicate_orders"],
                }
            )
        return Table(
            pd.DataFrame(rows),
            "Refunds are kept in the table but excluded from purchases and revenue; "
            "free orders count as purchases (the BTYD convention).",
        )

    def users(self) -> Table:
        rows = []
        for name, s in self.audit["sources"].items():
            if s["table"] != "users":
                continue
            c = s["checks"]
            rows.append(
                {
                    "source": name,
                    "rows in": s["rows_in"],
                    "users kept": s["rows_kept"],
                    "duplicated ids": c["duplicated_user_ids"],
                    "extra rows dropped": c["duplicate_user_rows"],
                    "ids with conflicting attributes": c["conflicting_duplicate_users"],
                }
            )
        return Table(
            pd.DataFrame(rows),
            "A user id that appears twice keeps the row with the earliest signup.",
        )

    def orphans(self) -> Table:
        o = self.audit.get("orphans", {})
        if not o.get("users_table"):
            return Table(
                pd.DataFrame(),
                "No users table is configured, so orphan ids cannot be checked; "
                "add `sources.users` to get attributes and this check.",
            )
        rows = [
            {
                "check": "events of user ids absent from users",
                "rows": o.get("orphan_events", 0),
                "user ids": o.get("orphan_events_users", 0),
            },
            {
                "check": "orders of user ids absent from users",
                "rows": o.get("orphan_orders", 0),
                "user ids": o.get("orphan_orders_users", 0),
            },
            {
                "check": "users with no event or order",
                "rows": None,
                "user ids": o.get("users_without_activity", 0),
            },
        ]
        return Table(
            pd.DataFrame(rows),
            "Orphan ids both ways. Activity of unknown users is kept (it is real "
            "activity) but has no attributes.",
        )

    def identities(self) -> Table:
        i = self.audit.get("identities")
        if not i:
            return Table(pd.DataFrame(), "No anonymous ids to stitch.")
        df = pd.DataFrame(
            [
                {
                    "anonymous ids mapped to a user": i["anonymous_ids_mapped"],
                    "anonymous ids mapped to several users (smallest id kept)": i[
                        "conflicting_identities"
                    ],
                }
            ]
        )
        return Table(
            df,
            "Anonymous ids are stitched through the identities table and through event rows that carry "
            "both ids.",
        )

    def schema(self) -> Table:
        if self.columns is None:
            return Table(pd.DataFrame(), "")
        return Table(
            self.columns,
            "Canonical columns after mapping: type and missing values in the kept rows, "
            "per source.",
        )

    # --- volume and score ----------------------------------------------------------------------
    def volume_flags(self) -> Table:
        v = self.daily_volume
        flagged = v[v["flag"] != ""].copy()
        flagged[schema.DAY] = flagged[schema.DAY].astype(str)
        return Table(
            flagged[[schema.SOURCE, schema.DAY, "rows", "expected", "robust_z", "flag"]],
            f"{len(flagged)} source-days flagged as spikes, drops or gaps (robust z-score against the "
            "centred 7-day median; threshold in `audit.spike_threshold`).",
        )

    def quality(self) -> Table:
        q = self.audit["quality"]
        df = pd.DataFrame(
            [{"source": k, "score": v} for k, v in q["per_source"].items()]
            + [{"source": "overall", "score": q["overall"]}]
        )
        return Table(df, f"Data-quality score (0-100). Formula: {q['formula']}.")


def dropped_examples(project, per_reason: int = 3) -> pd.DataFrame | None:
    """Up to ``per_reason`` dropped event rows per source and reason (one small engine query)."""
    import ibis

    dropped = project.dropped_events() if hasattr(project, "dropped_events") else None
    if dropped is None:
        return None
    w = ibis.window(
        group_by=[schema.SOURCE, "drop_reason"], order_by=[schema.EVENT_TIME, schema.EVENT_NAME]
    )
    cols = [
        c
        for c in (
            schema.SOURCE,
            "drop_reason",
            schema.USER_ID,
            schema.ANONYMOUS_ID,
            schema.EVENT_TIME,
            schema.EVENT_NAME,
            "copies",
        )
        if c in dropped.columns
    ]
    ex = (
        dropped.mutate(_k=ibis.row_number().over(w))
        .filter(ibis._._k < per_reason)
        .select(*cols)
        .order_by([schema.SOURCE, "drop_reason", schema.EVENT_TIME])
        .execute()
    )
    ex[schema.EVENT_TIME] = pd.to_datetime(ex[schema.EVENT_TIME], utc=True).dt.strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    for c in (schema.USER_ID, schema.ANONYMOUS_ID):
        if c in ex:
            ex[c] = ex[c].where(ex[c].notna(), "–")  # an empty id reads as a dash, not "None"
    return ex.rename(columns={"drop_reason": "reason"})


def column_profile(project) -> pd.DataFrame:
    """Type and missing values of each canonical column in the kept rows, per source (engine aggregates)."""
    import ibis

    frames = []
    for name, t in project.tables.items():
        if t is None:
            continue
        cols = [c for c in t.columns if c != schema.SOURCE]
        aggs = {f"m{i}": t[c].isnull().sum() for i, c in enumerate(cols)}
        aggs["n"] = t.count()
        res = t.group_by(schema.SOURCE).aggregate(**aggs).execute()
        sch = t.schema()
        for _, r in res.iterrows():
            for i, c in enumerate(cols):
                frames.append(
                    {
                        "source": r[schema.SOURCE],
                        "table": name,
                        "column": c,
                        "type": str(sch[c]),
                        "missing": int(r[f"m{i}"]),
                        "missing %": round(100 * r[f"m{i}"] / max(r["n"], 1), 2),
                    }
                )
    _ = ibis
    return pd.DataFrame(frames)

"""A look inside a project's cleaned data: examples of the dropped event rows, and the type and
missing values of every canonical column. Small engine queries over the cache, for the data
audit (``01_data_audit``).
"""

from __future__ import annotations

import ibis
import pandas as pd

from helpers.core import schema

__all__ = ["dropped_examples", "column_profile"]


def dropped_examples(project, per_reason: int = 3) -> pd.DataFrame | None:
    """Up to ``per_reason`` dropped event rows per source and reason, as they were read.

    Returns
    -------
    DataFrame or None
        ``source``, ``reason``, ``user_id``, ``anonymous_id`` (when mapped), ``event_time``
        (UTC), ``event_name``, ``copies`` (how many times the row was in the source; for
        ``duplicate`` the extra copies); None without an event source.
    """
    dropped = project.dropped_events()
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
    ex[schema.EVENT_TIME] = pd.to_datetime(ex[schema.EVENT_TIME], utc=True)
    return ex.rename(columns={"drop_reason": "reason"})


def column_profile(project) -> pd.DataFrame:
    """Type and missing values of each canonical column in the kept rows, per source.

    Returns
    -------
    DataFrame
        ``source``, ``table``, ``column``, ``type``, ``missing`` (rows), ``missing_share``.
    """
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
                        "missing_share": float(r[f"m{i}"]) / max(int(r["n"]), 1),
                    }
                )
    return pd.DataFrame(
        frames, columns=["source", "table", "column", "type", "missing", "missing_share"]
    )

"""The columns each canonical table keeps once a source is mapped, in order, with their types.

:mod:`helpers.data.sources` maps every source onto these; the numeric columns are parsed as
numbers (a value that is not one is named in one sentence)."""

from __future__ import annotations

import ibis.expr.datatypes as dt

from helpers.core import schema
from helpers.data import engine

__all__ = ["CANONICAL_TYPES", "NUMERIC"]

# columns each canonical table keeps, in order, with their types after mapping
CANONICAL_TYPES = {
    "events": {
        schema.USER_ID: dt.string,
        schema.ANONYMOUS_ID: dt.string,
        schema.EVENT_TIME: engine.TS_UTC,
        schema.EVENT_NAME: dt.string,
        schema.SESSION_ID: dt.string,
        schema.PLATFORM: dt.string,
        schema.REVENUE: dt.float64,
    },
    "orders": {
        schema.USER_ID: dt.string,
        schema.ORDER_ID: dt.string,
        schema.ORDER_TIME: engine.TS_UTC,
        schema.AMOUNT: dt.float64,
    },
    "identities": {schema.ANONYMOUS_ID: dt.string, schema.USER_ID: dt.string},
    "assignments": {
        schema.USER_ID: dt.string,
        schema.EXPERIMENT: dt.string,
        schema.VARIANT: dt.string,
        schema.ASSIGNED_AT: engine.TS_UTC,
    },
    "users": {schema.USER_ID: dt.string, schema.SIGNUP_TIME: engine.TS_UTC},
    "campaigns": {
        schema.USER_ID: dt.string,
        schema.CAMPAIGN: dt.string,
        schema.SENT_AT: engine.TS_UTC,
        schema.GROUP: dt.string,
    },
    "feedback": {
        schema.USER_ID: dt.string,
        schema.FEEDBACK_TIME: engine.TS_UTC,
        schema.RATING: dt.float64,
        schema.NPS: dt.float64,
        schema.CATEGORY: dt.string,
        schema.TEXT: dt.string,
        schema.CHANNEL: dt.string,
    },
}
NUMERIC = {schema.AMOUNT, schema.REVENUE, schema.RATING, schema.NPS}

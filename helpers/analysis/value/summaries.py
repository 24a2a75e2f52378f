"""BTYD summaries from transactions: calibration and holdout periods, and the time unit.

:func:`calibration_holdout` gives the same numbers as lifetimes'
``calibration_and_holdout_data(..., freq='D')``; :func:`to_time_unit` converts the day-based
fields to the models' unit (weeks by default).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis.value.fitting import row_label
from helpers.core import schema
from helpers.core.errors import DataError, ParameterError

__all__ = [
    "FREQUENCY_HOLDOUT",
    "DURATION_HOLDOUT",
    "MONETARY_VALUE_HOLDOUT",
    "to_time_unit",
    "calibration_holdout",
]

FREQUENCY_HOLDOUT = "frequency_holdout"
DURATION_HOLDOUT = "duration_holdout"
MONETARY_VALUE_HOLDOUT = "monetary_value_holdout"


def to_time_unit(summary_df: pd.DataFrame, unit_days: float = 7) -> pd.DataFrame:
    """Convert a BTYD summary in days to another unit (weeks by default); returns a new frame.

    ``recency``, ``T`` and ``duration_holdout`` are divided by ``unit_days``; counts and money
    are unchanged. Apply once: the frame does not remember its unit.
    """
    if not unit_days > 0:
        raise ParameterError(f"`unit_days` must be positive, got {unit_days!r}.")
    out = summary_df.copy()
    for col in (schema.RECENCY, schema.T, DURATION_HOLDOUT):
        if col in out.columns:
            out[col] = out[col] / unit_days
    return out


def _to_days(values: pd.Series, col: str) -> pd.Series:
    """Dates of a column as midnight timestamps (naive): datetimes, text, or YYYYMMDD integers."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    elif pd.api.types.is_integer_dtype(values):
        parsed = pd.to_datetime(values.astype(str), format="%Y%m%d", errors="coerce")
    else:
        parsed = pd.to_datetime(values, format="ISO8601", errors="coerce")
        if not pd.api.types.is_datetime64_any_dtype(parsed):
            raise DataError(
                f"Column '{col}' mixes time zone offsets (e.g. {values.iloc[0]!r}); "
                "convert it to datetimes in the business time zone first."
            )
    bad = parsed.isna()
    if bad.any():
        raise DataError(
            f"Column '{col}' must hold dates (datetime, ISO 8601 text or YYYYMMDD "
            "integers),"
            f" but {int(bad.sum())} rows do not parse, e.g. {values[bad].iloc[0]!r}."
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)  # keep the local calendar day
    return parsed.dt.normalize()


def _to_day(value, name: str) -> pd.Timestamp:
    try:
        day = pd.Timestamp(str(value) if isinstance(value, (int, np.integer)) else value)
    except (ValueError, TypeError):
        day = pd.NaT
    if pd.isna(day):
        raise ParameterError(f"`{name}` must be a date such as '1997-09-30', got {value!r}.")
    return (day.tz_localize(None) if day.tzinfo else day).normalize()


def calibration_holdout(
    transactions: pd.DataFrame,
    *,
    calibration_end,
    holdout_end,
    customer_col: str,
    date_col: str,
    amount_col: str | None = None,
    unit_days: float = 7,
) -> pd.DataFrame:
    """BTYD calibration summary plus holdout purchase counts, one row per customer.

    The same numbers as lifetimes' ``calibration_and_holdout_data(..., freq='D')`` (purchase
    *days* count; several purchases on one day are one purchase with their amounts summed),
    then converted to the time unit: ``recency``, ``T`` and ``duration_holdout`` divided by
    ``unit_days`` (``unit_days=1`` keeps days).

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase (or per purchase day); refunds already removed.
    calibration_end, holdout_end : date-like
        Last day of the calibration period and of the holdout period (inclusive).
    customer_col, date_col : str
        Customer id and purchase date (datetime, ISO text or YYYYMMDD integers).
    amount_col : str, optional
        Purchase amount; adds ``monetary_value`` (mean amount of the repeat purchase days in
        calibration, 0 without repeats) and ``monetary_value_holdout``.
    unit_days : float, default 7

    Returns
    -------
    DataFrame indexed by customer (customers whose first purchase is on or before
    ``calibration_end``), sorted by id: ``frequency, recency, T, [monetary_value],
    frequency_holdout, [monetary_value_holdout], duration_holdout``.
    """
    for role, col in (
        ("customer_col", customer_col),
        ("date_col", date_col),
        ("amount_col", amount_col),
    ):
        if col is not None and col not in transactions.columns:
            raise DataError(
                f"`{role}` names the column '{col}', which is not in the transactions;"
                f" columns found: {list(transactions.columns)[:12]}."
            )
    cal_end = _to_day(calibration_end, "calibration_end")
    hold_end = _to_day(holdout_end, "holdout_end")
    if hold_end <= cal_end:
        raise ParameterError(
            f"`holdout_end` ({hold_end.date()}) must be after `calibration_end` "
            f"({cal_end.date()})."
        )
    ids = transactions[customer_col]
    if ids.isna().any():
        raise DataError(
            f"Column '{customer_col}' has {int(ids.isna().sum())} empty customer ids,"
            f" e.g. row {row_label(transactions.index[ids.isna().to_numpy()][0])!r}."
        )
    frame = pd.DataFrame(
        {"cid": ids.to_numpy(), "day": _to_days(transactions[date_col], date_col).to_numpy()}
    )
    if amount_col is not None:
        amount = pd.to_numeric(transactions[amount_col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(amount) | (amount < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"Column '{amount_col}' must hold non-negative amounts (remove "
                f"refunds first), but {int(bad.sum())} rows do not, e.g. row "
                f"{row_label(transactions.index[i])!r}: {transactions.iloc[i].to_dict()}."
            )
        frame["amount"] = amount
    else:
        frame["amount"] = 0.0
    frame = frame[frame["day"] <= hold_end]
    per_day = frame.groupby(["cid", "day"], sort=True)["amount"].sum().reset_index()
    in_cal = per_day["day"] <= cal_end
    cal = per_day[in_cal]
    grouped = cal.groupby("cid", sort=True)["day"]
    first, last = grouped.min(), grouped.max()
    out = pd.DataFrame(index=first.index.rename(customer_col))
    out[schema.FREQUENCY] = (grouped.size() - 1).astype(float)
    out[schema.RECENCY] = (last - first).dt.days.astype(float)
    out[schema.T] = (cal_end - first).dt.days.astype(float)
    if amount_col is not None:
        repeat = cal[cal["day"] > cal["cid"].map(first)]
        out[schema.MONETARY_VALUE] = (
            repeat.groupby("cid")["amount"].mean().reindex(out.index).fillna(0.0)
        )
    hold = per_day[~in_cal & per_day["cid"].isin(out.index)].groupby("cid")["amount"]
    out[FREQUENCY_HOLDOUT] = hold.size().reindex(out.index).fillna(0).astype(float)
    if amount_col is not None:
        out[MONETARY_VALUE_HOLDOUT] = hold.mean().reindex(out.index).fillna(0.0)
    out[DURATION_HOLDOUT] = float((hold_end - cal_end).days)
    return to_time_unit(out, unit_days)

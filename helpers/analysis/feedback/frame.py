"""The feedback frame every function of :mod:`helpers.analysis.feedback` reads, and the mapping
of users to segments.

The cleaned feedback table (``sources.feedback`` after the audit) comes to pandas as one row per
response: ``user_id``, ``feedback_time`` (UTC), ``day`` (its local date) and any of ``rating``
(1-5), ``nps`` (0-10), ``category``, ``text`` and ``channel``. Feedback tables are small (one row
per survey answer or ticket), so this package works in pandas.

:func:`prepare` gives every optional column (all-null when absent), numbers as floats and
texts stripped (an empty text is null); :func:`segment_of` names each response's segment from a
``user -> segment`` mapping (personas, or anything else), and :func:`complaint_flags` says which
responses are complaints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from helpers.core import schema as s
from helpers.core.checks import require_columns
from helpers.core.errors import DataError, ParameterError

__all__ = [
    "ALL",
    "OPTIONAL",
    "prepare",
    "segment_of",
    "segment_order",
    "complaint_flags",
    "scored",
    "segmented",
]

#: The segment of every response together (a row of each per-segment table).
ALL = "all"
#: The optional columns of the canonical feedback table.
OPTIONAL = (s.RATING, s.NPS, s.CATEGORY, s.TEXT, s.CHANNEL)


def _text(col: pd.Series) -> pd.Series:
    values = [None if pd.isna(v) else (str(v).strip() or None) for v in col.astype(object)]
    return pd.Series(values, index=col.index, dtype=object)


def prepare(feedback: pd.DataFrame) -> pd.DataFrame:
    """A copy of the cleaned feedback frame with every optional column present.

    ``rating`` and ``nps`` become floats (null when absent), ``category``, ``text`` and
    ``channel`` stripped text (an empty one null), ``user_id`` text. The index is kept: it
    identifies a response in :func:`helpers.analysis.feedback.topics.topic_mentions`, so it must
    be unique.

    Raises
    ------
    DataError
        Without ``user_id``, or with a rating outside 1-5 or an NPS answer outside 0-10 (the
        audit drops those rows, so this is a frame that skipped it).
    ParameterError
        When the index repeats a label.

    Examples
    --------
    >>> fb = prepare(pd.DataFrame({"user_id": [1, 2], "rating": [5, None], "text": [" ok ", ""]}))
    >>> fb["user_id"].tolist(), fb["rating"].tolist()[0], fb["text"].tolist(), bool(fb["nps"].isna().all())
    (['1', '2'], 5.0, ['ok', None], True)
    """
    if not isinstance(feedback, pd.DataFrame):
        raise ParameterError(
            "`feedback` must be the cleaned feedback table as a pandas DataFrame, but a "
            f"{type(feedback).__name__} was passed."
        )
    require_columns(feedback, [s.USER_ID], "The feedback table")
    if not feedback.index.is_unique:
        raise ParameterError(
            "The feedback frame's index must identify each response once, but it repeats "
            f"{feedback.index[feedback.index.duplicated()][:3].tolist()}; pass "
            "`feedback.reset_index(drop=True)`."
        )
    out = feedback.copy()
    out[s.USER_ID] = out[s.USER_ID].astype(str)
    for col, (lo, hi) in ((s.RATING, (1, 5)), (s.NPS, (0, 10))):
        values = (
            pd.to_numeric(out[col], errors="coerce").astype("float64")
            if col in out
            else pd.Series(np.nan, index=out.index)
        )
        bad = values.notna() & ((values < lo) | (values > hi))
        if bad.any():
            raise DataError(
                f"The feedback column `{col}` must lie between {lo} and {hi}, but it has "
                f"{values[bad].iloc[0]:g} (the data audit drops such rows; read the cleaned "
                "table)."
            )
        out[col] = values
    for col in (s.CATEGORY, s.TEXT, s.CHANNEL):
        out[col] = _text(out[col] if col in out else pd.Series([None] * len(out), index=out.index))
    return out


def _as_mapping(segments, column: str) -> pd.Series:
    if isinstance(segments, pd.DataFrame):
        require_columns(segments, [s.USER_ID, column], "The segments table")
        return pd.Series(
            segments[column].to_numpy(), index=segments[s.USER_ID].astype(str).to_numpy()
        )
    if isinstance(segments, pd.Series):
        return pd.Series(segments.to_numpy(), index=segments.index.astype(str))
    if isinstance(segments, Mapping):
        return pd.Series(list(segments.values()), index=[str(k) for k in segments], dtype=object)
    raise ParameterError(
        "`segments` must map users to segments: a Series indexed by user_id, a dict, or a "
        f"DataFrame with user_id and {column!r}, but a {type(segments).__name__} was passed."
    )


def segment_of(feedback: pd.DataFrame, segments, *, column: str = s.PERSONA) -> pd.Series:
    """Each response's segment: its user's segment in ``segments`` (null when the user has none).

    Parameters
    ----------
    feedback : DataFrame
        The feedback rows (``user_id``).
    segments : Series, dict or DataFrame, or None
        ``user_id -> segment`` (a persona number, a platform, ...); a DataFrame gives it with
        the columns ``user_id`` and ``column`` (``personas.csv``). ``None``: every response is
        in :data:`ALL`.
    column : str
        The segment column of a DataFrame.

    Raises
    ------
    DataError
        When a user has two segments.

    Examples
    --------
    >>> fb = pd.DataFrame({"user_id": ["a", "b", "c"]})
    >>> segment_of(fb, {"a": 1, "b": 2}).tolist()
    [1, 2, None]
    """
    if segments is None:
        return pd.Series(ALL, index=feedback.index, dtype=object)
    mapping = _as_mapping(segments, column)
    mapping = mapping[mapping.notna()]
    twice = mapping.index[mapping.index.duplicated()]
    if len(twice):
        clash = mapping.loc[[twice[0]]].drop_duplicates()
        if len(clash) > 1:
            raise DataError(
                f"The segments give user {twice[0]!r} two segments ({clash.tolist()}); each "
                "user must be in one."
            )
        mapping = mapping[~mapping.index.duplicated()]
    if (mapping.astype(str) == ALL).any():
        raise DataError(
            f"A segment may not be called {ALL!r}: that name is the row of all responses."
        )
    values = feedback[s.USER_ID].astype(str).map(mapping)
    return values.astype(object).where(values.notna(), None)


def segment_order(values: Sequence) -> list:
    """The segments in the order tables show them: :data:`ALL` first, then sorted (numbers as
    numbers).

    >>> segment_order([3, "all", 1, 2])
    ['all', 1, 2, 3]
    """
    rest = [v for v in dict.fromkeys(values) if v != ALL and v is not None]
    try:
        rest = sorted(rest)
    except TypeError:
        rest = sorted(rest, key=str)
    return ([ALL] if ALL in set(values) else []) + rest


def complaint_flags(
    feedback: pd.DataFrame,
    *,
    complaint_rating: int = 2,
    complaint_categories: Sequence[str] = ("complaint", "投诉"),
) -> pd.Series:
    """Whether each response is a complaint: a rating at or below ``complaint_rating``, or a
    ``category`` among ``complaint_categories`` (compared case-insensitively).

    A response with neither a rating nor a category cannot say (an NPS answer or a bare comment):
    its flag is null, and complaint rates leave it out of their denominator.

    Examples
    --------
    >>> fb = pd.DataFrame({"rating": [1.0, 4.0, None, None], "category": [None, "Complaint", None, "idea"]})
    >>> complaint_flags(fb).tolist()
    [True, True, <NA>, False]
    """
    rating = (
        pd.to_numeric(feedback[s.RATING], errors="coerce")
        if s.RATING in feedback
        else pd.Series(np.nan, index=feedback.index)
    )
    category = (
        feedback[s.CATEGORY]
        if s.CATEGORY in feedback
        else pd.Series([None] * len(feedback), index=feedback.index, dtype=object)
    )
    markers = {str(c).strip().casefold() for c in complaint_categories}
    has_category = category.notna() & (category.astype(str).str.strip() != "")
    by_category = has_category & category.astype(str).str.strip().str.casefold().isin(markers)
    by_rating = rating.notna() & (rating <= complaint_rating)
    known = rating.notna() | has_category
    out = pd.Series((by_rating | by_category).to_numpy(), index=feedback.index, dtype="boolean")
    return out.where(known, pd.NA)


def scored(feedback: pd.DataFrame, settings) -> pd.DataFrame:
    r""":func:`prepare`\ d rows with ``complaint`` (:func:`complaint_flags` under ``settings``,
    a :class:`~helpers.core.config_pain.FeedbackConfig`)."""
    fb = prepare(feedback)
    fb["complaint"] = complaint_flags(
        fb,
        complaint_rating=settings.complaint_rating,
        complaint_categories=settings.complaint_categories,
    )
    return fb


def segmented(
    feedback: pd.DataFrame, segments, settings, *, column: str = s.PERSONA
) -> pd.DataFrame:
    """:func:`scored` rows with ``segment`` (:func:`segment_of`), responses of users without
    one left out."""
    fb = scored(feedback, settings)
    fb["segment"] = segment_of(fb, segments, column=column)
    return fb[fb["segment"].notna()]

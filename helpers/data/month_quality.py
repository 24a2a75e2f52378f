"""Whether a month's data can be trusted, from the project's audit: a status (good, caution,
poor) and the findings behind it, as codes and numbers (the monthly review words them).

The verdict rests on the month's own ledger (:mod:`helpers.data.month_ledger`: the rows whose
time falls in the month) with the whole window's score kept beside it; given the audit alone it
falls back to the window's score (``scope="window"``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from helpers.core.errors import DataError
from helpers.core.time import month_bounds, parse_month
from helpers.data.audit import Audit, EventChecks, VolumeFlag
from helpers.data.month_ledger import WINDOW_ONLY_TABLES, LostRows, MonthLedger

__all__ = ["GOOD_SCORE", "POOR_SCORE", "MIN_STITCHING", "MonthQuality", "month_quality"]

#: The default thresholds of the verdict: the score for ``good``, the score below which the
#: month is ``poor``, and the least share of anonymous rows stitched to a user.
GOOD_SCORE, POOR_SCORE, MIN_STITCHING = 95.0, 85.0, 0.8


@dataclass(frozen=True)
class MonthQuality:
    """Whether a month's data can be trusted (:func:`month_quality`).

    Attributes
    ----------
    status : str
        ``good``, ``caution`` or ``poor``.
    score : float
        The data-quality score the verdict rests on (0-100; NaN without one): the month's
        (``scope == "month"``) or, without a month ledger, the whole window's.
    score_below : float or None
        The threshold the score fell below (the poor or the good one), else None.
    score_level : str
        ``poor``, ``caution`` or ``good``: what the score alone says.
    unbalanced : tuple of str
        Sources whose rows do not add up (in != kept + dropped).
    flags : tuple of VolumeFlag
        Days of unusual volume inside the month.
    low_stitching : tuple of (str, float)
        Sources whose share of anonymous rows tied to a user is below the minimum (in the
        month with a month ledger, else over the window).
    month : str
        The month judged (``YYYY-MM``).
    scope : str
        ``month`` when ``score`` is the month's own, ``window`` when it is the whole window's
        (no month ledger, or no dated row in the month).
    window_score : float
        The whole window's overall score (NaN without one), shown beside the month's.
    per_source : dict of str to float
        The month's score per dated source (empty with ``scope == "window"``).
    window_per_source : dict of str to float
        The window's score per source.
    worst : LostRows or None
        The month's source with the largest share of rows dropped or repaired, that share by
        reason (None when no source lost a row, or with ``scope == "window"``).
    no_time : int
        Rows without a time (in no month: counted in the window only).
    window_only : tuple of str
        Sources judged over the window only (users, identities, assignments).
    """

    status: str
    score: float
    score_below: float | None = None
    score_level: str = "good"
    unbalanced: tuple[str, ...] = ()
    flags: tuple[VolumeFlag, ...] = ()
    low_stitching: tuple[tuple[str, float], ...] = ()
    month: str = ""
    scope: str = "window"
    window_score: float = float("nan")
    per_source: dict[str, float] = field(default_factory=dict)
    window_per_source: dict[str, float] = field(default_factory=dict)
    worst: LostRows | None = None
    no_time: int = 0
    window_only: tuple[str, ...] = ()


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def month_quality(
    audit: Audit,
    *,
    month: str,
    ledger: MonthLedger | None = None,
    good_score: float = GOOD_SCORE,
    poor_score: float = POOR_SCORE,
    min_stitching: float = MIN_STITCHING,
) -> MonthQuality:
    """The audit in one verdict for ``month``.

    ``poor`` when the score is below ``poor_score`` or a source's ledger does not balance (in
    the window or in the month); ``caution`` when the score is below ``good_score``, a volume
    flag (a day with unusually few or many rows) falls in the month, or the share of anonymous
    rows stitched to a user is below ``min_stitching``; else ``good``.

    The score is the month's own (``ledger``, :func:`helpers.data.month_ledger.month_ledger`),
    with the whole window's kept as ``window_score``. Without a ledger, or when no dated row
    falls in the month, the window's score decides (``scope="window"``).

    Raises
    ------
    DataError
        When ``ledger`` is the ledger of another month.

    Examples
    --------
    >>> from helpers.data.audit import Quality
    >>> from helpers.data.month_ledger import MonthSource
    >>> a = Audit({}, Quality({}, 97.8), "UTC",
    ...           volume_flags=(VolumeFlag("orders", "2026-10-04", 10, 90.0, -5.2, "drop"),))
    >>> month_quality(a, month="2026-10").status, month_quality(a, month="2026-09").status
    ('caution', 'good')
    >>> m = MonthLedger("2026-09", "UTC", {"app": MonthSource("events", 1000, 900, {"duplicate": 100})})
    >>> q = month_quality(a, month="2026-09", ledger=m)
    >>> q.status, q.scope, q.score, q.window_score, q.worst.source
    ('caution', 'month', 90.0, 97.8, 'app')
    """
    month = parse_month(month)
    if ledger is not None and ledger.month != month:
        raise DataError(
            f"The month ledger passed to month_quality is that of {ledger.month}, but the month "
            f"judged is {month}; pass the ledger of {month} (artifacts/audit.json of that month, "
            "written by 01_data_audit)."
        )
    window = float(audit.quality.overall) if _finite(audit.quality.overall) else float("nan")
    own = ledger is not None and _finite(ledger.score)
    score = float(ledger.score) if own else window
    first, last = month_bounds(month)
    level, below = "good", None
    if _finite(score) and score < poor_score:
        level, below = "poor", poor_score
    elif _finite(score) and score < good_score:
        level, below = "caution", good_score
    unbalanced = tuple(name for name, src in audit.sources.items() if not src.balanced)
    if ledger is not None:
        unbalanced += tuple(n for n in ledger.unbalanced if n not in unbalanced)
    flags = tuple(
        f
        for f in audit.volume_flags or ()
        if first.isoformat() <= str(f.day)[:10] <= last.isoformat()
    )
    if own:
        coverage = [(n, s.stitching_coverage) for n, s in ledger.sources.items()]
    else:
        coverage = [
            (name, src.checks.stitching_coverage)
            for name, src in audit.sources.items()
            if isinstance(src.checks, EventChecks)
        ]
    low = tuple((n, c) for n, c in coverage if _finite(c) and c < min_stitching)
    if level == "poor" or unbalanced:
        status = "poor"
    elif level == "caution" or flags or low:
        status = "caution"
    else:
        status = "good"
    return MonthQuality(
        status,
        score,
        below,
        level,
        unbalanced,
        flags,
        low,
        month=month,
        scope="month" if own else "window",
        window_score=window,
        per_source=dict(ledger.quality.per_source) if own else {},
        window_per_source=dict(audit.quality.per_source),
        worst=ledger.worst() if own else None,
        no_time=ledger.no_time if ledger is not None else 0,
        window_only=(
            ledger.window_only
            if ledger is not None
            else tuple(k for k, s in audit.sources.items() if s.table in WINDOW_ONLY_TABLES)
        ),
    )

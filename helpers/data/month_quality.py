"""Whether a month's data can be trusted, from the project's audit: a status (good, caution,
poor) and the findings behind it, as codes and numbers (the monthly review words them)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from helpers.core.time import month_bounds
from helpers.data.audit import Audit, EventChecks, VolumeFlag

__all__ = ["MonthQuality", "month_quality"]


@dataclass(frozen=True)
class MonthQuality:
    """Whether a month's data can be trusted (:func:`month_quality`).

    Attributes
    ----------
    status : str
        ``good``, ``caution`` or ``poor``.
    score : float
        The audit's overall data-quality score (0-100; NaN without one).
    score_below : float or None
        The threshold the score fell below (the poor or the good one), else None.
    score_level : str
        ``poor``, ``caution`` or ``good``: what the score alone says.
    unbalanced : tuple of str
        Sources whose rows do not add up (in != kept + dropped).
    flags : tuple of VolumeFlag
        Days of unusual volume inside the month.
    low_stitching : tuple of (str, float)
        Sources whose share of anonymous rows tied to a user is below the minimum.
    """

    status: str
    score: float
    score_below: float | None = None
    score_level: str = "good"
    unbalanced: tuple[str, ...] = ()
    flags: tuple[VolumeFlag, ...] = ()
    low_stitching: tuple[tuple[str, float], ...] = ()


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def month_quality(
    audit: Audit,
    *,
    month: str,
    good_score: float = 95.0,
    poor_score: float = 85.0,
    min_stitching: float = 0.8,
) -> MonthQuality:
    """The audit in one verdict for ``month``.

    ``poor`` when the overall score is below ``poor_score`` or a source's ledger does not
    balance; ``caution`` when the score is below ``good_score``, a volume flag (a day with
    unusually few or many rows) falls in the month, or the share of anonymous rows stitched to
    a user is below ``min_stitching``; else ``good``.

    Examples
    --------
    >>> from helpers.data.audit import Quality
    >>> a = Audit({}, Quality({}, 97.8), "UTC",
    ...           volume_flags=(VolumeFlag("orders", "2026-10-04", 10, 90.0, -5.2, "drop"),))
    >>> month_quality(a, month="2026-10").status, month_quality(a, month="2026-09").status
    ('caution', 'good')
    """
    score = float(audit.quality.overall) if _finite(audit.quality.overall) else float("nan")
    first, last = month_bounds(month)
    level, below = "good", None
    if _finite(score) and score < poor_score:
        level, below = "poor", poor_score
    elif _finite(score) and score < good_score:
        level, below = "caution", good_score
    unbalanced = tuple(name for name, src in audit.sources.items() if not src.balanced)
    flags = tuple(
        f
        for f in audit.volume_flags or ()
        if first.isoformat() <= str(f.day)[:10] <= last.isoformat()
    )
    low = tuple(
        (name, src.checks.stitching_coverage)
        for name, src in audit.sources.items()
        if isinstance(src.checks, EventChecks)
        and _finite(src.checks.stitching_coverage)
        and src.checks.stitching_coverage < min_stitching
    )
    if level == "poor" or unbalanced:
        status = "poor"
    elif level == "caution" or flags or low:
        status = "caution"
    else:
        status = "good"
    return MonthQuality(status, score, below, level, unbalanced, flags, low)

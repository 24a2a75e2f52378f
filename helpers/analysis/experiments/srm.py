"""Chi-square checks of an assignment: sample ratio mismatch, balance across groups.

:func:`srm_test` compares users per variant with the configured split (gbstats ``check_srm``);
:func:`contingency_p` tests that a share (no later activity, another experiment's variants) is
balanced across this experiment's variants. The health checks
(:mod:`helpers.analysis.experiments.health`) read both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from helpers.core.errors import ParameterError

__all__ = ["srm_test", "contingency_p"]


def srm_test(observed_counts: Sequence[float], weights: Sequence[float] | None = None) -> float:
    """Chi-square goodness-of-fit p-value of the observed users per variant against the split.

    As gbstats ``check_srm``: variants with zero weight or zero users are left out; with fewer
    than two left the p-value is 1.

    Examples
    --------
    >>> round(srm_test([5000, 5200], [0.5, 0.5]), 6)
    0.04767
    """
    users = np.asarray(observed_counts, dtype=float)
    w = np.ones_like(users) if weights is None else np.asarray(weights, dtype=float)
    if users.shape != w.shape:
        raise ParameterError(
            f"`weights` needs one value per variant ({users.size}), but {w.size} were passed."
        )
    keep = (users > 0) & (w > 0)
    users, w = users[keep], w[keep]
    if users.size <= 1:
        return 1.0
    expected = w / w.sum() * users.sum()
    x = float(((users - expected) ** 2 / expected).sum())
    return float(stats.chi2.sf(x, users.size - 1))


def contingency_p(table: pd.DataFrame) -> float:
    """Chi-square independence p-value of a crosstab; 1.0 when the table is degenerate.

    Examples
    --------
    >>> round(contingency_p(pd.DataFrame([[1, 1], [1, 0]])), 4)
    0.3865
    >>> contingency_p(pd.DataFrame([[3, 0], [2, 0]]))
    1.0
    """
    t = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    if t.shape[0] < 2 or t.shape[1] < 2:
        return 1.0
    return float(stats.chi2_contingency(t.to_numpy(), correction=False)[1])

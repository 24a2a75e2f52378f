"""Multiplicity: p-values adjusted for the number of metrics and variants compared."""

from __future__ import annotations

import numpy as np

from helpers.core.errors import ParameterError

__all__ = ["adjust_pvalues"]


def adjust_pvalues(pvalues, method: str = "holm") -> np.ndarray:
    """Multiplicity-adjusted p-values: Holm (family-wise) or Benjamini-Hochberg (FDR).

    Same numbers as ``statsmodels.stats.multitest.multipletests(p, method="holm" | "fdr_bh")``.
    NaN handling (decided here; statsmodels would return all-NaN): NaN p-values are left out of
    the family and stay NaN, so a metric that could not be computed does not inflate the others.
    Ties are handled as statsmodels does (stable sort; equal p-values get equal adjustments).

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03], "holm").round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "bh").round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="mergesort")
    sorted_p = q[order]
    if method == "holm":
        adj = np.maximum.accumulate(sorted_p * (m - np.arange(m)))
    elif method in ("bh", "fdr_bh"):
        adj = np.minimum.accumulate((sorted_p * m / np.arange(1, m + 1))[::-1])[::-1]
    else:
        raise ParameterError(
            f"The value for `method` must be one of ['holm', 'bh'], but {method!r} was passed."
        )
    adj = np.minimum(adj, 1.0)
    res = np.empty(m)
    res[order] = adj
    out[ok] = res
    return out

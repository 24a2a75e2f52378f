"""RFM scoring of buyers: quantile scores fitted on a population, and named segments.

:class:`RFMScorer` learns the distribution of recency, frequency and monetary value on a
population of buyers (``fit``), scores any buyers against it (``transform``: ``r_score``,
``f_score``, ``m_score`` in 1..bins, 5 = best, so recency is reversed) and names a segment.
:meth:`RFMScorer.summarize` returns an :class:`RFMResult` (segment sizes, revenue share, the
recency x frequency grid); ``helpers.sections.personas`` shows it.

Ties
----
Scores are quantile bins of ranks, computed in integers (no float edge effects), for a value
``x`` scored against a fitted population of ``n`` values, with ``less = #values < x`` and
``equal = #values == x``:

- ``tie_rule="min"`` (default): ``score = 1 + floor(bins * less / n)``, i.e. the bin of the tie
  block's lowest rank (pandas ``rank(method="min")``).
- ``tie_rule="average"``: ``score = ceil(bins * rank / n)`` with the mid-rank
  ``rank = less + (equal + 1) / 2`` (pandas ``rank(method="average")``).

Both give equal values the same score whatever the row order (``qcut`` on ``rank(method="first")``
gives two buyers with the same order count different F scores, decided by sort order) and never
break on heavy ties (``qcut`` on raw values fails with duplicate edges when most buyers bought
once). They differ on a tie block holding more than 1/bins of the population: "min" gives the
lowest value score 1 and skips scores above the block; "average" puts the block where its middle
falls and skips scores below it. Purchase counts have exactly such a block at the bottom (on the
bundled sample 46% of buyers have one order): with "average" they all get F = 2, F = 1 is empty
and the grid's "New Customers" (r5f1) and "Promising" (r4f1) can never occur; with "min" one-time
buyers are F = 1. Hence the default. Its cost is at the top, where ties are rare (many buyers
on the very last day), which "min" would keep below R = 5. A value that is not in the fitted
population is placed between its neighbours (``equal = 0``); scores are clipped to 1..bins.

Segment maps
------------
``"rf_grid"`` (the widely used recency x frequency grid; M is ignored), as regular expressions
on the two-character ``"<r><f>"`` string, equivalently as ranges (:data:`RF_GRID`)::

    Hibernating         r[1-2]f[1-2]    ^[1-2][1-2]$
    At Risk             r[1-2]f[3-4]    ^[1-2][3-4]$
    Can't Lose Them     r[1-2]f5        ^[1-2]5$
    About to Sleep      r3f[1-2]        ^3[1-2]$
    Need Attention      r3f3            ^33$
    Loyal Customers     r[3-4]f[4-5]    ^[3-4][4-5]$
    Promising           r4f1            ^41$
    New Customers       r5f1            ^51$
    Potential Loyalists r[4-5]f[2-3]    ^[4-5][2-3]$
    Champions           r5f[4-5]        ^5[4-5]$

The 25 cells are covered exactly once. ``"rfm_package"``: the bounds of the R ``rfm``
package's ``rfm_segment()`` documentation example (:data:`RFM_PACKAGE_MAP`), first match wins,
unmatched = ``"Others"``. A custom map is a list of ``{"segment", "r": [lo, hi], "f": [lo, hi],
"m": [lo, hi]}`` (inclusive, ``m`` optional), first match wins, unmatched = ``"Others"``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from helpers.core import schema as s
from helpers.core.errors import ConfigError, DataError, ModelError, NotEnoughData

__all__ = [
    "RF_GRID",
    "RF_GRID_REGEX",
    "RFM_PACKAGE_MAP",
    "RFMScorer",
    "RFMResult",
    "OTHERS",
    "rf_grid_segment_regex",
]

R_SCORE, F_SCORE, M_SCORE = "r_score", "f_score", "m_score"
RFM_SCORE, RFM_SEGMENT = "rfm_score", "rfm_segment"
OTHERS = "Others"

# (segment, (r_lo, r_hi), (f_lo, f_hi)), inclusive
RF_GRID: list[tuple[str, tuple[int, int], tuple[int, int]]] = [
    ("Champions", (5, 5), (4, 5)),
    ("Loyal Customers", (3, 4), (4, 5)),
    ("Potential Loyalists", (4, 5), (2, 3)),
    ("New Customers", (5, 5), (1, 1)),
    ("Promising", (4, 4), (1, 1)),
    ("Need Attention", (3, 3), (3, 3)),
    ("About to Sleep", (3, 3), (1, 2)),
    ("At Risk", (1, 2), (3, 4)),
    ("Can't Lose Them", (1, 2), (5, 5)),
    ("Hibernating", (1, 2), (1, 2)),
]
RF_GRID_REGEX: dict[str, str] = {
    r"^[1-2][1-2]$": "Hibernating",
    r"^[1-2][3-4]$": "At Risk",
    r"^[1-2]5$": "Can't Lose Them",
    r"^3[1-2]$": "About to Sleep",
    r"^33$": "Need Attention",
    r"^[3-4][4-5]$": "Loyal Customers",
    r"^41$": "Promising",
    r"^51$": "New Customers",
    r"^[4-5][2-3]$": "Potential Loyalists",
    r"^5[4-5]$": "Champions",
}
# R package `rfm`, rfm_segment() documentation example: (segment, r, f, m bounds), first match wins
RFM_PACKAGE_MAP: list[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]]] = [
    ("Champions", (4, 5), (4, 5), (4, 5)),
    ("Loyal Customers", (2, 5), (3, 5), (3, 5)),
    ("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
    ("New Customers", (4, 5), (1, 1), (1, 1)),
    ("Promising", (3, 4), (1, 1), (1, 1)),
    ("Need Attention", (2, 3), (2, 3), (2, 3)),
    ("About To Sleep", (2, 3), (1, 2), (1, 2)),
    ("At Risk", (1, 2), (2, 5), (2, 5)),
    ("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
    ("Lost", (1, 2), (1, 2), (1, 2)),
]
TIE_RULES = ("min", "average")


def _rules(segment_map) -> tuple[str, list[tuple[str, tuple, tuple, tuple | None]]]:
    """Normalise a segment map into (name, [(segment, r, f, m|None), ...])."""
    if isinstance(segment_map, str):
        if segment_map == "rf_grid":
            return "rf_grid", [(seg, r, f, None) for seg, r, f in RF_GRID]
        if segment_map == "rfm_package":
            return "rfm_package", [(seg, r, f, m) for seg, r, f, m in RFM_PACKAGE_MAP]
        raise ConfigError(
            f"The value for `segment_map` must be one of ['rf_grid', 'rfm_package'] or a list of "
            f"{{segment, r, f, m}} rules, but {segment_map!r} was passed."
        )
    rules = []
    for i, item in enumerate(segment_map):
        if (
            not isinstance(item, Mapping)
            or "segment" not in item
            or "r" not in item
            or "f" not in item
        ):
            raise ConfigError(
                f"segment_map[{i}]: expected {{segment: name, r: [lo, hi], f: [lo, hi], m: [lo, hi] (optional)}}, found {item!r}."
            )
        bounds = []
        for key in ("r", "f", "m"):
            b = item.get(key)
            if b is None and key == "m":
                bounds.append(None)
                continue
            if len(b) != 2 or b[0] > b[1]:
                raise ConfigError(
                    f"segment_map[{i}] ({item['segment']!r}): {key} must be [lo, hi] with lo <= hi, found {b!r}."
                )
            bounds.append((int(b[0]), int(b[1])))
        rules.append((str(item["segment"]), *bounds))
    return "custom", rules


class RFMScorer:
    """Quantile RFM scores fitted on a population of buyers, plus named segments.

    Parameters
    ----------
    bins : int
        Number of scores per dimension (5 = quintiles). The built-in segment maps need 5.
    tie_rule : {"min", "average"}
        How tied values are scored (module docs): lowest rank (default) or mid-rank.
    segment_map : "rf_grid", "rfm_package" or list of dict
        Segment names (module docs). The one used is recorded in ``segment_map_name_``.
    recency_col, frequency_col, monetary_col : str
        Columns of the buyers table: days since the last purchase (lower = better), number of
        purchases, money spent. Defaults match :func:`helpers.analysis.features.user_features`.

    Attributes
    ----------
    population_ : dict of numpy arrays
        Sorted fitted values per dimension (recency negated, so larger = better).
    score_ranges_ : DataFrame
        dimension, score, users, min, max of the fitted population per score.
    n_fitted_ : int
    segment_map_name_ : str

    Examples
    --------
    >>> buyers = pd.DataFrame({"recency_days": [1, 10, 40, 90, 200], "orders": [5, 3, 2, 1, 1],
    ...                        "revenue": [500.0, 90, 60, 20, 10]})
    >>> RFMScorer().fit(buyers).transform(buyers)["rfm_score"].tolist()
    ['555', '444', '333', '212', '111']
    """

    def __init__(
        self,
        bins: int = 5,
        *,
        tie_rule: str = "min",
        segment_map: str | Sequence[Mapping[str, Any]] = "rf_grid",
        recency_col: str = s.RECENCY_DAYS,
        frequency_col: str = s.UD_ORDERS,
        monetary_col: str = s.UD_REVENUE,
    ):
        self.bins = bins
        self.tie_rule = tie_rule
        self.segment_map = segment_map
        self.recency_col = recency_col
        self.frequency_col = frequency_col
        self.monetary_col = monetary_col

    # -- helpers -------------------------------------------------------------------------------
    def _dims(self) -> dict[str, tuple[str, str, int]]:
        return {
            R_SCORE: ("recency", self.recency_col, -1),
            F_SCORE: ("frequency", self.frequency_col, 1),
            M_SCORE: ("monetary", self.monetary_col, 1),
        }

    def _values(self, df: pd.DataFrame) -> dict[str, np.ndarray]:
        if not isinstance(df, pd.DataFrame):
            raise DataError(
                f"RFM scoring needs a pandas DataFrame of buyers, but a {type(df).__name__} was passed."
            )
        out = {}
        for score, (_, col, sign) in self._dims().items():
            if col not in df.columns:
                raise DataError(
                    f"buyers table has no column {col!r} (set `{_}_col`); found {list(df.columns)[:12]}."
                )
            v = pd.to_numeric(df[col], errors="coerce")
            bad = v.isna()
            if bad.any():
                example = df.index[bad.to_numpy()][0]
                raise DataError(
                    f"column {col!r} has {int(bad.sum())} missing/non-numeric value(s) (e.g. row {example!r}, "
                    f"value {df[col][bad].iloc[0]!r}); RFM scores buyers only: pass e.g. "
                    f"features[features['orders'] > 0]."
                )
            out[score] = sign * v.to_numpy(dtype="float64")
        return out

    def _score(self, ref: np.ndarray, x: np.ndarray) -> np.ndarray:
        n, b = len(ref), self.bins
        less = np.searchsorted(ref, x, side="left").astype("int64")
        eq = np.searchsorted(ref, x, side="right").astype("int64") - less
        if self.tie_rule == "average":
            num = (2 * less + eq + 1) * b  # ceil(b * rank / n) with rank = less + (eq + 1) / 2
            score = -((-num) // (2 * n))
        else:
            score = (less * b) // n + 1
        return np.clip(score, 1, b).astype("int64")

    # -- estimator API ------------------------------------------------------------------------
    def fit(self, buyers: pd.DataFrame) -> RFMScorer:
        """Learn the score boundaries on a population of buyers (one row per buyer)."""
        if not isinstance(self.bins, (int, np.integer)) or self.bins < 2:
            raise ConfigError(
                f"The value for `bins` must be an integer >= 2, but {self.bins!r} was passed."
            )
        if self.tie_rule not in TIE_RULES:
            raise ConfigError(
                f"The value for `tie_rule` must be one of {list(TIE_RULES)}, but {self.tie_rule!r} was passed."
            )
        name, rules = _rules(self.segment_map)
        if name != "custom" and self.bins != 5:
            raise ConfigError(
                f"segment_map {name!r} is defined on scores 1..5; with bins={self.bins} pass a custom segment_map."
            )
        values = self._values(buyers)
        if len(buyers) == 0:
            raise NotEnoughData(
                "RFM scoring needs at least one buyer to fit on; the buyers table is empty."
            )
        self.population_ = {k: np.sort(v) for k, v in values.items()}
        self.n_fitted_ = len(buyers)
        self.segment_map_name_ = name
        self._rules_ = rules
        rows = []
        for score, (dim, col, sign) in self._dims().items():
            sc = self._score(self.population_[score], values[score])
            raw = sign * values[score]
            for k in range(1, self.bins + 1):
                sel = raw[sc == k]
                rows.append(
                    {
                        "dimension": dim,
                        "column": col,
                        "score": k,
                        "users": int(sel.size),
                        "min": float(sel.min()) if sel.size else np.nan,
                        "max": float(sel.max()) if sel.size else np.nan,
                    }
                )
        self.score_ranges_ = pd.DataFrame(rows)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "population_"):
            raise ModelError("This RFMScorer is not fitted yet: call fit(buyers) first.")

    def segment(self, r: np.ndarray, f: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Segment names for score arrays, per the fitted segment map (first match wins)."""
        self._check_fitted()
        r, f, m = (np.asarray(a) for a in (r, f, m))
        out = np.full(r.shape, OTHERS, dtype=object)
        done = np.zeros(r.shape, dtype=bool)
        for seg, rb, fb, mb in self._rules_:
            hit = ~done & (r >= rb[0]) & (r <= rb[1]) & (f >= fb[0]) & (f <= fb[1])
            if mb is not None:
                hit &= (m >= mb[0]) & (m <= mb[1])
            out[hit] = seg
            done |= hit
        return out

    def transform(self, buyers: pd.DataFrame) -> pd.DataFrame:
        """Scores and segment per buyer, indexed like ``buyers``.

        Returns
        -------
        DataFrame with ``r_score``, ``f_score``, ``m_score`` (int, 1..bins, higher = better),
        ``rfm_score`` (e.g. ``"545"``) and ``rfm_segment``.
        """
        self._check_fitted()
        values = self._values(buyers)
        out = pd.DataFrame(index=buyers.index)
        for score in (R_SCORE, F_SCORE, M_SCORE):
            out[score] = self._score(self.population_[score], values[score])
        out[RFM_SCORE] = (
            out[R_SCORE].astype(str) + out[F_SCORE].astype(str) + out[M_SCORE].astype(str)
        )
        out[RFM_SEGMENT] = self.segment(
            out[R_SCORE].to_numpy(), out[F_SCORE].to_numpy(), out[M_SCORE].to_numpy()
        )
        return out

    def fit_transform(self, buyers: pd.DataFrame) -> pd.DataFrame:
        return self.fit(buyers).transform(buyers)

    def summarize(self, buyers: pd.DataFrame, *, revenue_col: str | None = None) -> RFMResult:
        """Score ``buyers`` and summarise: segment sizes, revenue share, the R x F grid.

        ``revenue_col`` (default ``monetary_col``) is the money whose share each segment holds.
        """
        scores = self.transform(buyers)
        revenue_col = revenue_col or self.monetary_col
        if revenue_col not in buyers.columns:
            raise DataError(f"buyers table has no column {revenue_col!r} for `revenue_col`.")
        data = scores.join(
            buyers[
                [
                    c
                    for c in dict.fromkeys(
                        [self.recency_col, self.frequency_col, self.monetary_col, revenue_col]
                    )
                ]
            ]
        )
        revenue = data[revenue_col].astype("float64")
        total = revenue.sum()
        order = [seg for seg, *_ in self._rules_] + [OTHERS]
        g = data.groupby(RFM_SEGMENT)
        segments = pd.DataFrame(
            {
                "users": g.size(),
                "revenue": g[revenue_col].sum().astype("float64"),
                "mean_recency_days": g[self.recency_col].mean(),
                "mean_frequency": g[self.frequency_col].mean(),
                "mean_monetary": g[self.monetary_col].mean(),
            }
        ).reindex(order)
        segments["users"] = segments["users"].fillna(0).astype("int64")
        segments["revenue"] = segments["revenue"].fillna(0.0)
        if OTHERS not in set(scores[RFM_SEGMENT]):
            segments = segments.drop(index=OTHERS)
        n = len(data)
        segments.insert(1, "share_users", segments["users"] / n if n else np.nan)
        segments.insert(3, "share_revenue", segments["revenue"] / total if total else np.nan)
        segments = segments.rename_axis("segment").reset_index()
        cells = pd.MultiIndex.from_product([range(1, self.bins + 1)] * 2, names=[R_SCORE, F_SCORE])
        gg = data.groupby([R_SCORE, F_SCORE])
        grid = pd.DataFrame(
            {"users": gg.size(), "mean_monetary": gg[self.monetary_col].mean()}
        ).reindex(cells)
        grid["users"] = grid["users"].fillna(0).astype("int64")
        grid = grid.reset_index()
        if self.segment_map_name_ == "rf_grid":  # the only map where a cell has one segment
            grid["segment"] = self.segment(
                grid[R_SCORE].to_numpy(),
                grid[F_SCORE].to_numpy(),
                np.zeros(len(grid), dtype="int64"),
            )
        return RFMResult(
            scores=scores,
            segments=segments,
            grid=grid,
            segment_map_name=self.segment_map_name_,
            bins=self.bins,
            tie_rule=self.tie_rule,
            n_buyers=n,
            score_ranges=self.score_ranges_,
        )


@dataclass
class RFMResult:
    """RFM scores and their summary (returned by :meth:`RFMScorer.summarize`).

    Attributes
    ----------
    scores : DataFrame
        Per buyer: r_score, f_score, m_score, rfm_score, rfm_segment.
    segments : DataFrame
        segment, users, share_users, revenue, share_revenue, mean recency/frequency/monetary,
        in segment-map order (best first); ``Others`` only when some buyer is unmatched.
    grid : DataFrame
        Tidy recency x frequency grid: r_score, f_score, users, mean_monetary (every cell,
        empty cells with 0 users), and, for the rf_grid map, the segment of the cell.
    segment_map_name, bins, tie_rule, n_buyers
        How the scores were made and on how many buyers.
    score_ranges : DataFrame
        The fitted population's range per dimension and score (``RFMScorer.score_ranges_``).
    """

    scores: pd.DataFrame
    segments: pd.DataFrame
    grid: pd.DataFrame
    segment_map_name: str
    bins: int
    tie_rule: str
    n_buyers: int
    score_ranges: pd.DataFrame

    def grid_table(self, value: str = "users") -> pd.DataFrame:
        """The grid as a matrix: recency score rows (best on top) x frequency score columns."""
        return self.grid.pivot(index=R_SCORE, columns=F_SCORE, values=value).sort_index(
            ascending=False
        )

    def __repr__(self) -> str:
        return f"RFMResult({self.n_buyers} buyers, map={self.segment_map_name!r})"


def rf_grid_segment_regex(r: int, f: int) -> str:
    """Segment of a (recency, frequency) cell via :data:`RF_GRID_REGEX` (the documented form)."""
    key = f"{r}{f}"
    hits = [seg for pat, seg in RF_GRID_REGEX.items() if re.match(pat, key)]
    return hits[0] if hits else OTHERS

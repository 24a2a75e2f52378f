"""Where the users of a sample-ratio mismatch are missing: by assignment day and by slice.

When the users per variant do not match the design split, the readout is invalid; what a team
needs next is where the shortfall sits, to find the bug. :func:`srm_diagnosis` compares, in each
slice of each dimension (assignment day, platform, pre-experiment persona...), the observed
users per arm with the design split:

* the **short arm** is the arm with the fewest users for its design share overall;
* in a slice, the short arm's **expected** users are what the other arms imply through the
  split (``users of the others * w_short / w_others``), its **missing** users the expected
  minus the observed, and its **shortfall** ``missing / expected`` (0.2: 20% of the arm is
  missing);
* each slice gets the chi-square p-value of its own split (Holm-adjusted across the slices of
  its dimension); a dimension is **concentrated** when the arm shares differ between its
  slices (chi-square of variant x slice, p < 0.001), and the slices that **carry** the
  shortfall are then those whose own split fails (Holm p < 0.05) in the short arm's direction;
* for the assignment day, a change-point scan finds the day the shortfall starts or stops
  (the split before/after each day, Bonferroni over the days tried, p < 0.01).

Codes and numbers only; the words are :mod:`helpers.sections.ab_diagnosis`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.analysis.experiments.multiplicity import adjust_pvalues
from helpers.analysis.experiments.srm import contingency_p, srm_test
from helpers.core import schema as S
from helpers.core.checks import require_columns
from helpers.core.errors import ParameterError

__all__ = ["DAY", "SrmDiagnosis", "srm_diagnosis", "design_split"]

DAY = "assigned_day"  # the dimension of the assignment day
CONCENTRATED_ALPHA = 0.001  # slices differ (variant x slice chi-square) below this p-value
SLICE_ALPHA = 0.05  # a slice carries the shortfall below this Holm-adjusted p-value
ONSET_ALPHA = 0.01  # a change of the split on a day (Bonferroni over the days tried)
TABLE_COLUMNS = [
    "dimension",
    "slice",
    "users",
    "expected_short",
    "observed_short",
    "missing",
    "shortfall",
    "share_missing",
    "p_value",
    "p_holm",
    "carries",
]


def design_split(variants, split=None) -> dict:
    """The design share of each variant: ``split`` normalized (a ``{variant: weight}`` dict or
    weights in sorted variant order), else equal shares.

    Examples
    --------
    >>> design_split(["control", "treatment"])
    {'control': 0.5, 'treatment': 0.5}
    >>> design_split(["a", "b"], [1, 3])
    {'a': 0.25, 'b': 0.75}
    """
    variants = sorted(variants)
    if split is None or len(split) == 0:
        weights = np.ones(len(variants))
    elif isinstance(split, dict):
        missing = [v for v in variants if v not in split]
        if missing:
            raise ParameterError(
                f"`split` must give a weight for every variant; {missing} are missing from "
                f"{split!r}."
            )
        weights = np.array([split[v] for v in variants], dtype=float)
    else:
        weights = np.asarray(list(split), dtype=float)
        if weights.size != len(variants):
            raise ParameterError(
                f"`split` has {weights.size} weights but the experiment has {len(variants)} "
                f"variants {variants}."
            )
    if (weights < 0).any() or weights.sum() <= 0:
        raise ParameterError(f"`split` must be non-negative weights, but {split!r} was passed.")
    return {v: float(w / weights.sum()) for v, w in zip(variants, weights)}


@dataclass
class SrmDiagnosis:
    """Where a sample-ratio mismatch sits.

    Attributes
    ----------
    short_arm : str
        The arm with the fewest users for its design share.
    expected, observed, missing : int
        The short arm's expected users (from the other arms and the split), observed users and
        the difference.
    shortfall : float
        ``missing / expected``.
    split : dict
        The design share per variant.
    counts : dict
        Users per variant.
    table : DataFrame
        One row per dimension and slice: ``dimension, slice, users, expected_short,
        observed_short, missing, shortfall, share_missing`` (the slice's share of all missing
        users), ``p_value`` (the slice's own split), ``p_holm``, ``carries`` (bool), then
        ``n_<variant>``: the users of each variant in the slice.
    dimensions : DataFrame
        One row per dimension: ``dimension, slices, p_value`` (variant x slice), ``concentrated``
        (bool), ``carriers`` (list of slices carrying the shortfall; empty when spread).
    onset : dict
        For the day dimension: ``kind`` (``from``: the shortfall starts on ``day``; ``until``:
        it stops after ``day``; ``throughout``: no change), ``day`` (date), ``first_day``,
        ``last_day``, ``p_value`` (Bonferroni-adjusted) and the shortfall ``before`` / ``after``.
    """

    short_arm: str
    expected: float
    observed: int
    missing: float
    shortfall: float
    split: dict
    counts: dict
    table: pd.DataFrame
    dimensions: pd.DataFrame
    onset: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """What ``ab_<experiment>.json`` records of the diagnosis."""
        return {
            "short_arm": self.short_arm,
            "expected": self.expected,
            "observed": self.observed,
            "missing": self.missing,
            "shortfall": self.shortfall,
            "dimensions": self.dimensions.to_dict("records"),
            "onset": {
                k: v.isoformat() if isinstance(v, dt.date) else v for k, v in self.onset.items()
            },
            "slices": self.table.to_dict("records"),
        }


def _short(counts: pd.Series, split: dict, short: str) -> tuple[float, float]:
    """(expected, missing) users of the ``short`` arm in one slice's counts."""
    others = [v for v in split if v != short]
    w_others = sum(split[v] for v in others)
    n_others = float(sum(counts.get(v, 0) for v in others))
    expected = n_others * split[short] / w_others if w_others > 0 else np.nan
    return expected, expected - float(counts.get(short, 0))


def _slice_rows(users: pd.DataFrame, col: str, split: dict, short: str, total_missing: float):
    variants = list(split)
    tab = pd.crosstab(users[col], users[S.VARIANT]).reindex(columns=variants, fill_value=0)
    rows = []
    for value, counts in tab.iterrows():
        expected, missing = _short(counts, split, short)
        rows.append(
            {
                **{f"n_{v}": int(counts[v]) for v in variants},
                "dimension": col,
                "slice": value,
                "users": int(counts.sum()),
                "expected_short": expected,
                "observed_short": int(counts[short]),
                "missing": missing,
                "shortfall": missing / expected if expected > 0 else np.nan,
                "share_missing": missing / total_missing if total_missing > 0 else np.nan,
                "p_value": srm_test(counts.to_numpy(float), [split[v] for v in variants]),
            }
        )
    frame = pd.DataFrame(rows, columns=[*TABLE_COLUMNS[:-2], *(f"n_{v}" for v in variants)])
    frame["p_holm"] = adjust_pvalues(frame["p_value"].to_numpy(), "holm")
    return frame, contingency_p(tab)


def _onset(users: pd.DataFrame, split: dict, short: str) -> dict:
    """The day the split changes most (2x2 before/after x short arm or not), if it does."""
    days = pd.to_datetime(users[DAY]).dt.date
    is_short = (users[S.VARIANT] == short).to_numpy()
    order = sorted(days.unique())
    found = {"kind": "throughout", "first_day": order[0], "last_day": order[-1]}
    if len(order) < 2:
        return found
    per_day = pd.crosstab(days, is_short).reindex(index=order, columns=[False, True], fill_value=0)
    before = per_day.cumsum().to_numpy()[:-1]  # users up to and including each day
    total = per_day.sum().to_numpy()
    after = total - before
    best_p, best_i = 1.0, None
    for i in range(len(before)):
        p = contingency_p(pd.DataFrame([before[i], after[i]]))
        if p < best_p:
            best_p, best_i = p, i
    adjusted = min(1.0, best_p * len(before))
    if best_i is None or adjusted >= ONSET_ALPHA:
        return {**found, "p_value": adjusted}

    def shortfall(c):  # c = [other arms, short arm]
        expected = c[0] * split[short] / (1 - split[short])
        return float((expected - c[1]) / expected) if expected > 0 else float("nan")

    b, a = shortfall(before[best_i]), shortfall(after[best_i])
    kind, day = ("from", order[best_i + 1]) if a > b else ("until", order[best_i])
    return {**found, "kind": kind, "day": day, "p_value": adjusted, "before": b, "after": a}


def srm_diagnosis(
    users: pd.DataFrame, *, dimensions, split=None, day_col: str | None = DAY
) -> SrmDiagnosis:
    """Locate the missing users of a sample-ratio mismatch (see the module docstring).

    Parameters
    ----------
    users : DataFrame
        One row per assigned user: ``variant`` and the columns named in ``dimensions`` (and
        ``assigned_day`` for the day dimension).
    dimensions : sequence of str
        The slice columns, e.g. ``["assigned_day", "platform", "persona"]``.
    split : dict or sequence, optional
        The design split (see :func:`design_split`); default equal.
    day_col : str or None
        The assignment-day column that gets the change-point scan (None: no scan).

    Examples
    --------
    >>> u = pd.DataFrame({"variant": ["control"] * 600 + ["treatment"] * 400,
    ...                   "platform": ["ios", "android"] * 300 + ["ios"] * 300 + ["android"] * 100})
    >>> d = srm_diagnosis(u, dimensions=["platform"], day_col=None)
    >>> d.short_arm, d.missing, d.dimensions["carriers"].iloc[0]
    ('treatment', 200.0, ['android'])
    """
    dims = list(dimensions)
    require_columns(users, [S.VARIANT, *dims], "`users`")
    counts = users[S.VARIANT].value_counts().sort_index()
    if len(counts) < 2:
        raise ParameterError(
            f"A sample-ratio diagnosis needs two variants or more, but `users` has "
            f"{list(counts.index)}."
        )
    shares = design_split(counts.index, split)
    ratio = pd.Series({v: counts[v] / shares[v] if shares[v] > 0 else np.inf for v in shares})
    short = str(ratio.idxmin())
    expected, missing = _short(counts, shares, short)
    tables, dim_rows = [], []
    for col in dims:
        frame, p = _slice_rows(users, col, shares, short, missing)
        concentrated = bool(p < CONCENTRATED_ALPHA)
        carries = concentrated & (frame["p_holm"] < SLICE_ALPHA) & (frame["missing"] > 0)
        frame.insert(frame.columns.get_loc("p_holm") + 1, "carries", carries)
        tables.append(frame)
        carriers = frame.loc[frame["carries"], "slice"].tolist()
        dim_rows.append(
            {
                "dimension": col,
                "slices": len(frame),
                "p_value": p,
                "concentrated": concentrated,
                "carriers": carriers,
            }
        )
    onset = _onset(users, shares, short) if day_col in dims else {}
    return SrmDiagnosis(
        short_arm=short,
        expected=float(expected),
        observed=int(counts[short]),
        missing=float(missing),
        shortfall=float(missing / expected) if expected > 0 else float("nan"),
        split=shares,
        counts={str(k): int(v) for k, v in counts.items()},
        table=pd.concat(tables, ignore_index=True)
        if tables
        else pd.DataFrame(columns=TABLE_COLUMNS),
        dimensions=pd.DataFrame(
            dim_rows, columns=["dimension", "slices", "p_value", "concentrated", "carriers"]
        ),
        onset=onset,
    )

"""Who moved between last month's personas and this month's, and how each persona changed.

1. :func:`migration_matrix`: users from each of last month's personas (rows, plus ``new`` for
   users not in any persona last month) to each of this month's (columns, plus ``gone`` for
   users not active this month). Rows sum to last month's persona sizes, columns to this
   month's.
2. :func:`compare_months`: sizes, shares and drift of every persona of either month, with the
   migration matrix, on snapshots (:mod:`helpers.analysis.segments.snapshot`) whose numbers
   were matched (:mod:`helpers.analysis.segments.matching`) so the diagonal means "stayed".

Everything works on per-user rows and per-persona centroids (pandas / NumPy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.analysis.segments.cards import PersonaCard
from helpers.analysis.segments.matching import PersonaMatch, match_personas
from helpers.analysis.segments.naming import Text, fallback_name
from helpers.analysis.segments.snapshot import PersonaSnapshot
from helpers.core import schema as s
from helpers.core.checks import require_columns
from helpers.core.errors import DataError

__all__ = [
    "NEW",
    "GONE",
    "MigrationTotals",
    "Migration",
    "migration_matrix",
    "MonthComparison",
    "compare_months",
]

NEW = "new"  # row of the migration matrix: users in no persona last month
GONE = "gone"  # column: users of last month's personas not active this month


@dataclass(frozen=True)
class MigrationTotals:
    """Users who stayed in their persona, moved to another, are new to the personas, or are
    gone (not active this month)."""

    stayed: int
    moved: int
    new: int
    gone: int


@dataclass
class Migration:
    """Users moving between last month's and this month's personas (:func:`migration_matrix`).

    Attributes
    ----------
    matrix : DataFrame
        Rows: last month's persona numbers, then ``"new"``; columns: this month's, then
        ``"gone"``. Row sums = last month's persona sizes (the ``new`` row: users new to the
        personas); column sums = this month's sizes (the ``gone`` column: users not active now).
    flows : DataFrame
        Long form: ``from``, ``from_name``, ``to``, ``to_name``, ``users``, ``share_of_from``
        (share of the row), ``share_of_to`` (share of the column); zero cells left out. The
        names are None for ``new`` and ``gone`` and for a persona without a name.
    names_prev, names : dict
        persona -> name, last month and this month.
    previous_month, month : str
    """

    matrix: pd.DataFrame
    flows: pd.DataFrame
    names_prev: dict
    names: dict
    previous_month: str = ""
    month: str = ""

    def top_flows(self, n: int = 5, *, between_personas: bool = False) -> pd.DataFrame:
        """The ``n`` largest moves (staying in the same persona number is not a move).

        ``between_personas=True`` leaves out the ``new`` row and the ``gone`` column.
        """
        f = self.flows
        moves = f[f["from"].astype(str) != f["to"].astype(str)]
        if between_personas:
            moves = moves[(moves["from"].astype(str) != NEW) & (moves["to"].astype(str) != GONE)]
        order = moves.assign(_f=moves["from"].astype(str), _t=moves["to"].astype(str))
        return (
            order.sort_values(["users", "_f", "_t"], ascending=[False, True, True])
            .drop(columns=["_f", "_t"])
            .head(n)
            .reset_index(drop=True)
        )

    def totals(self) -> MigrationTotals:
        """Users who stayed in their persona, moved to another, are new, or are gone."""
        m = self.matrix
        inner = m.drop(index=NEW, columns=GONE)
        stayed = int(sum(inner.loc[p, p] for p in inner.index if p in inner.columns))
        return MigrationTotals(
            stayed=stayed,
            moved=int(inner.to_numpy().sum()) - stayed,
            new=int(m.loc[NEW].sum()),
            gone=int(m[GONE].sum()),
        )

    def largest_arrivals_and_losses(self) -> pd.DataFrame:
        """The largest inflow of users new to the personas and the largest loss to inactivity
        (one flow each, when there is one), in the form of :attr:`flows`."""
        f = self.flows
        rows = [
            part.sort_values("users", ascending=False, kind="stable").iloc[[0]]
            for part in (f[f["from"].astype(str) == NEW], f[f["to"].astype(str) == GONE])
            if len(part)
        ]
        return pd.concat(rows, ignore_index=True) if rows else f.iloc[0:0]

    def stay_shares(self) -> pd.Series:
        """Per persona of last month: share of its users in the persona with the same number now."""
        out = {}
        for p in self.matrix.index:
            if p != NEW:
                tot = self.matrix.loc[p].sum()
                out[p] = self.matrix.loc[p, p] / tot if p in self.matrix.columns and tot else 0.0
        return pd.Series(out, name="stay_share", dtype=float)

    def labelled(self) -> pd.DataFrame:
        """The matrix with ``number. name`` labels (for display)."""

        def lab(p, names):
            return p if p in (NEW, GONE) else f"{p}. {names.get(p, p)}"

        m = self.matrix.copy()
        m.index = [lab(p, self.names_prev) for p in m.index]
        m.columns = [lab(p, self.names) for p in m.columns]
        return m

    def __repr__(self) -> str:
        return f"Migration({self.previous_month} -> {self.month}, shape={self.matrix.shape})"


def migration_matrix(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    *,
    names_prev: dict | None = None,
    names: dict | None = None,
    previous_month: str = "",
    month: str = "",
) -> Migration:
    """Users per (last month's persona, this month's persona), with ``new`` and ``gone``.

    Parameters
    ----------
    previous, current : DataFrame
        ``user_id`` and ``persona`` (one row per user): last month's and this month's personas,
        with numbers already matched (:func:`match_personas`) so the diagonal means "stayed".
    names_prev, names : dict, optional
        persona -> name for the labels.

    Returns
    -------
    Migration

    Examples
    --------
    >>> prev = pd.DataFrame({"user_id": list("abc"), "persona": [1, 1, 2]})
    >>> cur = pd.DataFrame({"user_id": list("bcd"), "persona": [1, 1, 2]})
    >>> migration_matrix(prev, cur).matrix.values.tolist()
    [[1, 0, 1], [1, 0, 0], [0, 1, 0]]
    """
    for label, df in (("previous", previous), ("current", current)):
        require_columns(
            df, [s.USER_ID, s.PERSONA], f"The {label} personas table of migration_matrix"
        )
        if df[s.USER_ID].duplicated().any():
            dup = df.loc[df[s.USER_ID].duplicated(), s.USER_ID].iloc[0]
            raise DataError(
                f"migration_matrix: the {label} personas list user {dup!r} more than once; "
                "expected one row per user."
            )
    p = previous[[s.USER_ID, s.PERSONA]].astype({s.USER_ID: str})
    c = current[[s.USER_ID, s.PERSONA]].astype({s.USER_ID: str})
    both = p.merge(c, on=s.USER_ID, how="outer", suffixes=("_prev", "_cur"))
    src = both[s.PERSONA + "_prev"].astype(object).where(both[s.PERSONA + "_prev"].notna(), NEW)
    dst = both[s.PERSONA + "_cur"].astype(object).where(both[s.PERSONA + "_cur"].notna(), GONE)
    src = src.map(lambda x: x if x == NEW else int(x))
    dst = dst.map(lambda x: x if x == GONE else int(x))
    rows = sorted(int(x) for x in p[s.PERSONA].unique()) + [NEW]
    cols = sorted(int(x) for x in c[s.PERSONA].unique()) + [GONE]
    counts = pd.crosstab(src, dst)
    matrix = counts.reindex(index=rows, columns=cols, fill_value=0).astype("int64")
    matrix.index.name, matrix.columns.name = "from", "to"
    names_prev, names = dict(names_prev or {}), dict(names or {})
    long = matrix.stack().rename("users").reset_index()
    long = long[long["users"] > 0].copy()
    row_tot = matrix.sum(axis=1)
    col_tot = matrix.sum(axis=0)
    long["share_of_from"] = long["users"] / long["from"].map(row_tot).where(lambda x: x > 0)
    long["share_of_to"] = long["users"] / long["to"].map(col_tot).where(lambda x: x > 0)
    long["from_name"] = [None if x == NEW else names_prev.get(x) for x in long["from"]]
    long["to_name"] = [None if x == GONE else names.get(x) for x in long["to"]]
    flows = long[
        ["from", "from_name", "to", "to_name", "users", "share_of_from", "share_of_to"]
    ].reset_index(drop=True)
    return Migration(
        matrix=matrix,
        flows=flows,
        names_prev=names_prev,
        names=names,
        previous_month=previous_month,
        month=month,
    )


# --- this month vs last ---------------------------------------------------------------------------
@dataclass
class MonthComparison:
    """Personas this month vs last (:func:`compare_months`).

    Attributes
    ----------
    table : DataFrame
        One row per persona of either month: ``persona``, ``name``, ``status`` (kept, new, gone),
        ``users_prev``, ``users``, ``change``, ``user_share_prev``, ``user_share``,
        ``revenue_share_prev``, ``revenue_share``, ``centroid_shift``, ``kept_share``,
        ``stayed_share``, ``drifted``.
    migration : Migration
    match : PersonaMatch
    aligned : bool
        How the two months' numbers were made comparable: True when this month's personas were
        matched to ``previous_month``'s when they were built (numbers and names as recorded),
        False when they were matched here and renumbered for the comparison.
    """

    table: pd.DataFrame
    migration: Migration
    match: PersonaMatch
    aligned: bool
    previous_month: str = ""
    month: str = ""

    def __repr__(self) -> str:
        return (
            f"MonthComparison({self.previous_month} -> {self.month}, {len(self.table)} personas)"
        )


def _card_shares(cards: list[PersonaCard], mapping: dict | None = None) -> pd.DataFrame:
    rows = [
        {
            s.PERSONA: (mapping or {}).get(c.persona, c.persona),
            "user_share": c.user_share,
            "revenue_share": c.revenue_share,
        }
        for c in cards
    ]
    return pd.DataFrame(rows, columns=[s.PERSONA, "user_share", "revenue_share"]).set_index(
        s.PERSONA
    )


def compare_months(
    previous: PersonaSnapshot, current: PersonaSnapshot, *, text: Text, **match_options
) -> MonthComparison:
    """Sizes, shares, drift and the migration matrix of this month's personas vs last month's.

    When this month's personas were already matched to ``previous`` (``03_personas`` records
    ``alignment.previous_month`` in ``persona_cards.json``), their numbers are used as they are
    and the drift recorded then is reported; otherwise this month's clusters are matched here
    (:func:`~helpers.analysis.segments.matching.match_personas`, ``match_options`` passed on)
    and renumbered for the comparison. ``text`` is the report's message function
    (``helpers.display.text.t``), for the names of personas without one.
    """
    aligned = bool(previous.month) and current.alignment.get("previous_month") == previous.month
    if aligned:
        recorded = pd.DataFrame(current.alignment.get("table") or [])
        cur_nums = sorted(int(x) for x in current.assignments[s.PERSONA].unique())
        mapping = {p: p for p in cur_nums}
        if recorded.empty:
            recorded = pd.DataFrame({"persona": cur_nums, "cluster": cur_nums})
        match = PersonaMatch(
            table=recorded,
            mapping=mapping,
            names=dict(current.names),
            next_number=current.next_number,
            previous_month=previous.month,
            rule=str(current.alignment.get("rule", "")),
        )
    else:
        match = match_personas(previous, current, text=text, **match_options)
        mapping = match.mapping
    cur_assign = current.assignments.assign(
        **{s.PERSONA: current.assignments[s.PERSONA].map(mapping)}
    )
    names = {mapping[k]: v for k, v in current.names.items() if k in mapping}
    names.update(match.names if not aligned else {})
    migration = migration_matrix(
        previous.assignments,
        cur_assign,
        names_prev=previous.names,
        names=names,
        previous_month=previous.month,
        month=current.month,
    )
    sizes_prev = previous.sizes
    sizes = cur_assign[s.PERSONA].value_counts().sort_index()
    shares_prev = _card_shares(previous.cards)
    shares = _card_shares(current.cards, mapping)
    nums = sorted(set(sizes_prev.index.astype(int)) | set(sizes.index.astype(int)))
    t = pd.DataFrame({s.PERSONA: nums})
    t["name"] = [
        names[p] if p in names else previous.names.get(p, fallback_name(p, text=text))
        for p in nums
    ]
    t["status"] = [
        "kept"
        if p in sizes.index and p in sizes_prev.index
        else ("new" if p in sizes.index else "gone")
        for p in nums
    ]
    t["users_prev"] = sizes_prev.reindex(nums, fill_value=0).to_numpy()
    t["users"] = sizes.reindex(nums, fill_value=0).to_numpy()
    t["change"] = t["users"] - t["users_prev"]
    t["user_share_prev"] = (t["users_prev"] / max(int(sizes_prev.sum()), 1)).to_numpy()
    t["user_share"] = (t["users"] / max(int(sizes.sum()), 1)).to_numpy()
    t["revenue_share_prev"] = (
        shares_prev["revenue_share"].reindex(nums).to_numpy() if len(shares_prev) else np.nan
    )
    t["revenue_share"] = (
        shares["revenue_share"].reindex(nums).to_numpy() if len(shares) else np.nan
    )
    drift = match.table
    if {"persona", "centroid_shift", "kept_share", "drifted", "status"} <= set(drift.columns):
        d = drift[drift["status"] == "kept"].set_index("persona")
        t["centroid_shift"] = d["centroid_shift"].reindex(nums).to_numpy()
        t["kept_share"] = d["kept_share"].reindex(nums).to_numpy()
        t["stayed_share"] = (
            d["stayed_share"].reindex(nums).to_numpy() if "stayed_share" in d else np.nan
        )
        t["drifted"] = d["drifted"].reindex(nums).eq(True).to_numpy()
    else:
        t["centroid_shift"], t["kept_share"], t["stayed_share"], t["drifted"] = (
            np.nan,
            np.nan,
            np.nan,
            False,
        )
    return MonthComparison(
        table=t,
        migration=migration,
        match=match,
        aligned=aligned,
        previous_month=previous.month,
        month=current.month,
    )

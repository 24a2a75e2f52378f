"""Personas across months: match this month's clusters to last month's, and who moved where.

A persona keeps its number and name from one month to the next while it drifts:

1. :class:`PersonaSnapshot` is one month's personas: who is in which persona (``personas.csv``),
   the centroids in that month's standardized space and the scaling that defines it
   (``persona_cards.json``, written by :meth:`helpers.analysis.segments.personas.PersonaModel.to_dict`).
2. :func:`match_personas` pairs this month's clusters with last month's by **member overlap**
   (Jaccard index over the users active in both months) with the **centroid distance** as a
   tie-break and as the fallback when few users are in both months. Last month's centroids are
   carried into this month's standardized space through both months' scaling, so the distance
   is in this month's standard deviations. A pair counts as the same persona when the overlap
   reaches ``min_overlap`` or the centroids are within ``max_distance``; a cluster without a
   partner is a new persona (the next unused number), a persona of last month without one is gone.
3. Drift per matched persona: the centroid shift (standardized units, Euclidean over the
   features both months cluster on) and the share of last month's members it kept.
4. :func:`migration_matrix`: users from each of last month's personas (rows, plus ``new`` for
   users not in any persona last month) to each of this month's (columns, plus ``gone`` for
   users not active this month). Rows sum to last month's persona sizes, columns to this month's.

Everything works on per-user rows and per-persona centroids (pandas / NumPy).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from helpers.core import schema as s
from helpers.core.checks import require_columns
from helpers.core.errors import DataError, ParameterError

__all__ = [
    "NEW",
    "GONE",
    "PERSONA_NAME",
    "PersonaSnapshot",
    "read_snapshot",
    "match_personas",
    "PersonaMatch",
    "migration_matrix",
    "Migration",
    "compare_months",
    "MonthComparison",
]

NEW = "new"  # row of the migration matrix: users in no persona last month
GONE = "gone"  # column: users of last month's personas not active this month
PERSONA_NAME = "persona_name"
PERSONAS_FILE = "personas.csv"
CARDS_FILE = "persona_cards.json"


# --- one month's personas ------------------------------------------------------------------------
@dataclass
class PersonaSnapshot:
    """One month's personas, enough to match them with another month's.

    Attributes
    ----------
    assignments : DataFrame
        ``user_id``, ``persona`` (and ``persona_name`` when known): one row per active user.
    centroids : DataFrame
        Persona x feature, in the month's own standardized space (may be empty: then matching
        relies on member overlap alone).
    mean, scale : Series
        Per feature: the month's mean and standard deviation of the (log1p or share) feature,
        i.e. ``z = (raw - mean) / scale``.
    names : dict
        persona number -> name.
    cards : list of dict
        The persona cards (sizes, revenue share, action...), possibly empty.
    month : str
        ``YYYY-MM`` (may be empty).
    next_number : int
        The smallest persona number not used yet (new personas are numbered from here).
    """

    assignments: pd.DataFrame
    centroids: pd.DataFrame = field(default_factory=pd.DataFrame)
    mean: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    scale: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    names: dict = field(default_factory=dict)
    cards: list = field(default_factory=list)
    month: str = ""
    next_number: int = 1
    alignment: dict = field(default_factory=dict)

    @classmethod
    def from_cards(
        cls, cards_json: dict, assignments: pd.DataFrame, *, month: str = ""
    ) -> PersonaSnapshot:
        """A snapshot from ``persona_cards.json`` (as a dict) and ``personas.csv`` (as a frame).

        Examples
        --------
        >>> cards = {"features": ["orders"], "transform": {"mean": [1.0], "scale": [2.0]},
        ...          "cards": [{"persona": 1, "name": "Buyers", "centroid": [0.5]}]}
        >>> snap = PersonaSnapshot.from_cards(cards, pd.DataFrame({"user_id": ["a"], "persona": [1]}))
        >>> float(snap.centroids.loc[1, "orders"]), snap.names, snap.next_number
        (0.5, {1: 'Buyers'}, 2)
        """
        require_columns(
            assignments, [s.USER_ID, s.PERSONA], "The persona assignments (personas.csv)"
        )
        feats = list(cards_json.get("features") or [])
        tr = cards_json.get("transform") or {}
        cards = list(cards_json.get("cards") or [])
        rows = {int(c["persona"]): c.get("centroid") for c in cards}
        if feats and rows and all(v is not None and len(v) == len(feats) for v in rows.values()):
            centroids = pd.DataFrame.from_dict(rows, orient="index", columns=feats).sort_index()
            centroids.index.name = s.PERSONA
        else:
            centroids = pd.DataFrame()
        mean = pd.Series(
            tr.get("mean") or [], index=feats[: len(tr.get("mean") or [])], dtype=float
        )
        scale = pd.Series(
            tr.get("scale") or [], index=feats[: len(tr.get("scale") or [])], dtype=float
        )
        names = {int(c["persona"]): str(c.get("name", c["persona"])) for c in cards}
        a = assignments.copy()
        a[s.USER_ID] = a[s.USER_ID].astype(str)
        a[s.PERSONA] = pd.to_numeric(a[s.PERSONA], errors="raise").astype("int64")
        if not names and PERSONA_NAME in a.columns:
            names = (
                a.drop_duplicates(s.PERSONA)
                .set_index(s.PERSONA)[PERSONA_NAME]
                .astype(str)
                .to_dict()
            )
        used = set(names) | set(a[s.PERSONA].unique().tolist())
        alignment = dict(cards_json.get("alignment") or {})
        next_number = max([int(alignment.get("next_number", 1))] + [int(p) + 1 for p in used])
        return cls(
            assignments=a,
            centroids=centroids,
            mean=mean,
            scale=scale,
            names=names,
            cards=cards,
            month=month or str(cards_json.get("month", "")),
            next_number=next_number,
            alignment=alignment,
        )

    @classmethod
    def from_model(cls, model, features: pd.DataFrame, *, month: str = "") -> PersonaSnapshot:
        """A snapshot of a fitted :class:`helpers.analysis.segments.personas.PersonaModel` (``features`` = its rows)."""
        return cls.from_cards(model.to_dict(), model.assignments(features), month=month)

    @property
    def sizes(self) -> pd.Series:
        """Users per persona (index: persona number)."""
        return self.assignments[s.PERSONA].value_counts().sort_index()

    def centroids_in(self, other: PersonaSnapshot) -> pd.DataFrame:
        """This snapshot's centroids expressed in ``other``'s standardized space.

        ``raw = z * scale + mean`` with this month's scaling, then ``(raw - mean') / scale'`` with
        the other's, over the features both have. Centroids are means of clipped values, so the
        carry-over is exact only for features no user had clipped.

        Examples
        --------
        >>> a = PersonaSnapshot(pd.DataFrame(columns=["user_id", "persona"]),
        ...                     centroids=pd.DataFrame({"x": [1.0]}, index=[1]),
        ...                     mean=pd.Series({"x": 10.0}), scale=pd.Series({"x": 2.0}))
        >>> b = PersonaSnapshot(pd.DataFrame(columns=["user_id", "persona"]),
        ...                     centroids=pd.DataFrame({"x": [0.0]}, index=[1]),
        ...                     mean=pd.Series({"x": 11.0}), scale=pd.Series({"x": 4.0}))
        >>> a.centroids_in(b)["x"].tolist()
        [0.25]
        """
        common = [
            f
            for f in other.centroids.columns
            if f in self.centroids.columns and f in self.mean.index and f in other.mean.index
        ]
        if self.centroids.empty or other.centroids.empty or not common:
            return pd.DataFrame(index=self.centroids.index)
        raw = self.centroids[common] * self.scale[common] + self.mean[common]
        return (raw - other.mean[common]) / other.scale[common]


def read_snapshot(artifacts: str | Path, *, month: str = "") -> PersonaSnapshot | None:
    """The personas of a month from its ``artifacts/`` folder, or None when they were not built.

    Reads ``personas.csv`` and ``persona_cards.json``; None when either is missing.
    """
    artifacts = Path(artifacts)
    cards_path, assign_path = artifacts / CARDS_FILE, artifacts / PERSONAS_FILE
    if not cards_path.exists() or not assign_path.exists():
        return None
    try:
        cards = json.loads(cards_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{cards_path} is not valid JSON ({exc}); re-run 03_personas for that month."
        ) from exc
    assign = pd.read_csv(assign_path, dtype={s.USER_ID: str})
    return PersonaSnapshot.from_cards(cards, assign, month=month or artifacts.parent.name)


# --- matching --------------------------------------------------------------------------------------
@dataclass
class PersonaMatch:
    """This month's clusters paired with last month's personas (returned by :func:`match_personas`).

    Attributes
    ----------
    table : DataFrame
        One row per cluster of this month and per persona of last month that is gone:
        ``cluster`` (this month's label before renumbering; NaN for gone), ``persona`` (the number
        it carries from now on), ``persona_prev`` (matched number last month; NaN for new),
        ``status`` (``kept``, ``new``, ``gone``), ``name`` (kept from last month for a kept
        persona), ``name_generated`` (this month's generated name), ``users``, ``users_prev``,
        ``overlap`` (Jaccard over users in both months), ``kept_share`` (share of last month's
        members in this persona now), ``stayed_share`` (the same among last month's members still
        active), ``centroid_shift`` (standardized units), ``drifted``.
    mapping : dict
        cluster -> persona number.
    names : dict
        persona number -> name.
    next_number : int
        The smallest number not used by this month or any earlier one.
    previous_month : str
    rule : str
        The matching rule in words.
    """

    table: pd.DataFrame
    mapping: dict
    names: dict
    next_number: int
    previous_month: str = ""
    rule: str = ""

    @property
    def drift(self) -> pd.DataFrame:
        """The kept personas that drifted (centroid shift or member loss beyond the thresholds)."""
        t = self.table
        return t[(t["status"] == "kept") & t["drifted"]].reset_index(drop=True)

    def sentences(self) -> list[str]:
        """One sentence per new, gone or drifted persona."""
        out = []
        for r in self.table.itertuples(index=False):
            if r.status == "new":
                out.append(
                    f"New persona {r.persona}. {r.name} ({r.users:,} users) has no counterpart last month."
                )
            elif r.status == "gone":
                out.append(
                    f"Persona {r.persona}. {r.name} ({r.users_prev:,} users last month) has no "
                    "counterpart this month."
                )
            elif r.drifted:
                shift = "n/a" if pd.isna(r.centroid_shift) else f"{r.centroid_shift:.2f}"
                out.append(
                    f"Persona {r.persona}. {r.name} drifted: its centre moved {shift} standard "
                    f"deviations and {r.stayed_share:.0%} of last month's members still active stayed in it"
                    + (
                        f"; this month it would be called '{r.name_generated}'."
                        if r.name_generated and r.name_generated != r.name
                        else "."
                    )
                )
        return out

    def _repr_html_(self) -> str:
        kept = int((self.table["status"] == "kept").sum())
        head = (
            f"<p><b>Personas matched with {html.escape(self.previous_month or 'last month')}</b>: "
            f"{kept} kept their number and name, {int((self.table['status'] == 'new').sum())} new, "
            f"{int((self.table['status'] == 'gone').sum())} gone. {html.escape(self.rule)}</p>"
        )
        items = "".join(f"<li>{html.escape(t)}</li>" for t in self.sentences())
        cols = [
            "persona",
            "status",
            "name",
            "name_generated",
            "users",
            "users_prev",
            "overlap",
            "kept_share",
            "stayed_share",
            "centroid_shift",
            "drifted",
        ]
        t = self.table[cols].round(
            {"overlap": 3, "kept_share": 3, "stayed_share": 3, "centroid_shift": 2}
        )
        return (
            head
            + (
                f"<ul>{items}</ul>"
                if items
                else "<p>No persona drifted beyond the thresholds.</p>"
            )
            + t.to_html(index=False, escape=True, na_rep="")
        )

    def __repr__(self) -> str:
        return f"PersonaMatch(mapping={self.mapping}, previous_month={self.previous_month!r})"


def _contingency(cur: pd.DataFrame, prev: pd.DataFrame, cur_labels, prev_labels) -> pd.DataFrame:
    both = cur[[s.USER_ID, s.PERSONA]].merge(
        prev[[s.USER_ID, s.PERSONA]], on=s.USER_ID, suffixes=("_cur", "_prev")
    )
    c = pd.crosstab(both[s.PERSONA + "_cur"], both[s.PERSONA + "_prev"])
    return c.reindex(index=cur_labels, columns=prev_labels, fill_value=0)


def match_personas(
    previous: PersonaSnapshot,
    current: PersonaSnapshot,
    *,
    min_overlap: float = 0.2,
    max_distance: float = 1.0,
    distance_weight: float = 0.05,
    drift_distance: float = 0.5,
    drift_kept: float = 0.5,
) -> PersonaMatch:
    """Pair this month's clusters with last month's personas; number and name them.

    The pairing minimizes, over one-to-one assignments (Hungarian algorithm), the sum of
    ``(1 - overlap) + distance_weight * distance``, where ``overlap`` is the Jaccard index of
    the two member sets restricted to users active in both months and ``distance`` the
    Euclidean distance of the centroids in this month's standardized space. A pair is accepted
    when ``overlap >= min_overlap`` or ``distance <= max_distance``.

    Parameters
    ----------
    previous, current : PersonaSnapshot
        Last month's personas and this month's clusters (``current``'s labels are the raw
        cluster labels to renumber).
    min_overlap : float, default 0.2
        Jaccard index that makes two clusters the same persona.
    max_distance : float, default 1.0
        Centroid distance (this month's standard deviations) that does, without overlap.
    distance_weight : float, default 0.05
        Weight of the distance in the pairing cost (a tie-break when overlaps are equal).
    drift_distance, drift_kept : float
        A kept persona has drifted when its centroid moved more than ``drift_distance`` or less
        than ``drift_kept`` of last month's members still active stayed in it (users who stopped
        being active are churn, not drift).

    Returns
    -------
    PersonaMatch

    Examples
    --------
    >>> prev = PersonaSnapshot(pd.DataFrame({"user_id": list("abcd"), "persona": [1, 1, 2, 2]}),
    ...                        names={1: "Buyers", 2: "Browsers"})
    >>> cur = PersonaSnapshot(pd.DataFrame({"user_id": list("abcde"), "persona": [2, 2, 1, 1, 3]}),
    ...                       names={1: "Window shoppers", 2: "Frequent buyers", 3: "Newcomers"})
    >>> m = match_personas(prev, cur)
    >>> m.mapping, dict(sorted(m.names.items()))
    ({1: 2, 2: 1, 3: 3}, {1: 'Buyers', 2: 'Browsers', 3: 'Newcomers'})
    """
    for name, val in (
        ("min_overlap", min_overlap),
        ("max_distance", max_distance),
        ("distance_weight", distance_weight),
    ):
        if not (isinstance(val, (int, float)) and val >= 0):
            raise ParameterError(
                f"The value for `{name}` must be a number >= 0, but {val!r} was passed."
            )
    cur_labels = sorted(int(x) for x in current.assignments[s.PERSONA].unique())
    prev_labels = sorted(int(x) for x in previous.assignments[s.PERSONA].unique())
    cur_sizes = current.sizes.reindex(cur_labels, fill_value=0)
    prev_sizes = previous.sizes.reindex(prev_labels, fill_value=0)
    C = _contingency(current.assignments, previous.assignments, cur_labels, prev_labels)
    present = set(current.assignments[s.USER_ID]) & set(previous.assignments[s.USER_ID])
    cur_in = current.assignments[current.assignments[s.USER_ID].isin(present)][
        s.PERSONA
    ].value_counts()
    prev_in = previous.assignments[previous.assignments[s.USER_ID].isin(present)][
        s.PERSONA
    ].value_counts()
    cn = cur_in.reindex(cur_labels, fill_value=0).to_numpy()[:, None]
    pn = prev_in.reindex(prev_labels, fill_value=0).to_numpy()[None, :]
    inter = C.to_numpy().astype(float)
    union = cn + pn - inter
    jac = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)

    prev_c = previous.centroids_in(current)
    common = list(prev_c.columns)
    if common:
        a = current.centroids.reindex(index=cur_labels)[common].to_numpy()
        b = prev_c.reindex(index=prev_labels)[common].to_numpy()
        dist = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    else:
        dist = np.full(inter.shape, np.nan)
    cost = (1 - jac) + distance_weight * np.nan_to_num(dist, nan=0.0)
    rows, cols = (
        linear_sum_assignment(cost) if cost.size else (np.array([], int), np.array([], int))
    )
    pairs = {}
    for i, j in zip(rows, cols):
        close = np.isfinite(dist[i, j]) and dist[i, j] <= max_distance
        if jac[i, j] >= min_overlap or close:
            pairs[cur_labels[i]] = (prev_labels[j], i, j)

    mapping, names = {}, {}
    # a new persona never takes a number of last month's, even if the snapshot's counter lags
    next_number = max([int(previous.next_number)] + [int(p) + 1 for p in prev_labels])
    for lab, (p, _, _) in pairs.items():
        mapping[lab] = p
        names[p] = previous.names.get(p, f"Persona {p}")
    # new clusters: the next unused numbers, largest first; a generated name made unique with
    # this month's cluster position ("(persona 3)") gets its new number instead, on a clash only
    unmatched = sorted(
        (x for x in cur_labels if x not in pairs), key=lambda x: (-int(cur_sizes[x]), x)
    )
    bases = {
        lab: re.sub(r" \(persona \d+\)$", "", current.names.get(lab, "")) for lab in unmatched
    }
    for lab in unmatched:
        mapping[lab] = next_number
        base = bases[lab] or f"Persona {next_number}"
        clash = base in names.values() or list(bases.values()).count(bases[lab]) > 1
        names[next_number] = f"{base} (persona {next_number})" if clash else base
        next_number += 1

    records = []
    for lab in cur_labels:
        num = mapping[lab]
        rec = {
            "cluster": lab,
            "persona": num,
            "persona_prev": np.nan,
            "status": "new",
            "name": names[num],
            "name_generated": current.names.get(lab, ""),
            "users": int(cur_sizes[lab]),
            "users_prev": np.nan,
            "overlap": np.nan,
            "kept_share": np.nan,
            "stayed_share": np.nan,
            "centroid_shift": np.nan,
            "drifted": False,
        }
        if lab in pairs:
            p, i, j = pairs[lab]
            kept = float(inter[i, j] / prev_sizes[p]) if prev_sizes[p] else float("nan")
            still = float(pn[0, j])
            stayed = float(inter[i, j] / still) if still else float("nan")
            shift = float(dist[i, j]) if np.isfinite(dist[i, j]) else float("nan")
            rec.update(
                persona_prev=p,
                status="kept",
                users_prev=int(prev_sizes[p]),
                overlap=float(jac[i, j]),
                kept_share=kept,
                stayed_share=stayed,
                centroid_shift=shift,
                drifted=bool(
                    (np.isfinite(shift) and shift > drift_distance)
                    or (np.isfinite(stayed) and stayed < drift_kept)
                ),
            )
        records.append(rec)
    matched_prev = {p for p, _, _ in pairs.values()}
    for p in prev_labels:
        if p not in matched_prev:
            records.append(
                {
                    "cluster": np.nan,
                    "persona": p,
                    "persona_prev": p,
                    "status": "gone",
                    "name": previous.names.get(p, f"Persona {p}"),
                    "name_generated": "",
                    "users": 0,
                    "users_prev": int(prev_sizes[p]),
                    "overlap": np.nan,
                    "kept_share": np.nan,
                    "stayed_share": np.nan,
                    "centroid_shift": np.nan,
                    "drifted": False,
                }
            )
    table = pd.DataFrame.from_records(records)
    table = table.sort_values(["persona"], kind="stable").reset_index(drop=True)
    rule = (
        f"Clusters are paired one-to-one by member overlap (Jaccard index over the {len(present):,} "
        f"users active in both months), centroid distance breaking ties; a pair is the same persona "
        f"when the overlap is at least {min_overlap:g} or the centres are within {max_distance:g} "
        f"standard deviations. Drifted: centre moved more than {drift_distance:g} standard deviations "
        f"or fewer than {drift_kept:.0%} of last month's members still active stayed in it."
    )
    return PersonaMatch(
        table=table,
        mapping=mapping,
        names=names,
        next_number=next_number,
        previous_month=previous.month,
        rule=rule,
    )


# --- migration matrix -----------------------------------------------------------------------------
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
        (share of the row), ``share_of_to`` (share of the column); zero cells left out.
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

    @staticmethod
    def _sentence(r) -> str:
        if r["from"] == NEW:
            return (
                f"{r['users']:,} users new to the personas joined {r['to']}. {r['to_name']} "
                f"({r['share_of_to']:.0%} of it)."
            )
        if r["to"] == GONE:
            return (
                f"{r['users']:,} users of {r['from']}. {r['from_name']} were not active this month "
                f"({r['share_of_from']:.0%} of it)."
            )
        return (
            f"{r['users']:,} users moved from {r['from']}. {r['from_name']} to {r['to']}. {r['to_name']} "
            f"({r['share_of_from']:.0%} of {r['from']}. {r['from_name']})."
        )

    def totals(self) -> dict:
        """Users who stayed in their persona, moved to another, are new, or are gone."""
        m = self.matrix
        inner = m.drop(index=NEW, columns=GONE)
        stayed = int(sum(inner.loc[p, p] for p in inner.index if p in inner.columns))
        return {
            "stayed": stayed,
            "moved": int(inner.to_numpy().sum()) - stayed,
            "new": int(m.loc[NEW].sum()),
            "gone": int(m[GONE].sum()),
        }

    def flow_sentences(self, n: int = 5) -> list[str]:
        """In words: the totals, the ``n`` largest moves between personas, the largest inflow of
        new users and the largest loss to inactivity."""
        t = self.totals()
        out = [
            f"{t['stayed']:,} users stayed in their persona, {t['moved']:,} moved to another, "
            f"{t['new']:,} are new to the personas and {t['gone']:,} of last month's were not active."
        ]
        out += [self._sentence(r) for _, r in self.top_flows(n, between_personas=True).iterrows()]
        f = self.flows
        for part in (f[f["from"].astype(str) == NEW], f[f["to"].astype(str) == GONE]):
            if len(part):
                out.append(
                    self._sentence(
                        part.sort_values("users", ascending=False, kind="stable").iloc[0]
                    )
                )
        return out

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

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(t)}</li>" for t in self.flow_sentences())
        head = (
            f"<p><b>Migration {html.escape(self.previous_month)} to {html.escape(self.month)}</b>: "
            "users per persona last month (rows, plus new users) and this month (columns, plus "
            "users not active this month). The biggest moves:</p>"
        )
        return head + f"<ul>{items}</ul>" + self.labelled().to_html(escape=True)

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
    long["from_name"] = long["from"].map(
        lambda x: "new users" if x == NEW else names_prev.get(x, f"persona {x}")
    )
    long["to_name"] = long["to"].map(
        lambda x: "not active" if x == GONE else names.get(x, f"persona {x}")
    )
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
    note : str
        How the two months' numbers were made comparable.
    """

    table: pd.DataFrame
    migration: Migration
    match: PersonaMatch
    note: str
    previous_month: str = ""
    month: str = ""

    def _repr_html_(self) -> str:
        t = self.table.round(
            {
                "user_share_prev": 3,
                "user_share": 3,
                "revenue_share_prev": 3,
                "revenue_share": 3,
                "centroid_shift": 2,
                "kept_share": 3,
                "stayed_share": 3,
            }
        )
        return (
            f"<p><b>Personas {html.escape(self.month)} vs {html.escape(self.previous_month)}</b>: "
            f"{html.escape(self.note)}</p>" + t.to_html(index=False, escape=True, na_rep="")
        )

    def __repr__(self) -> str:
        return (
            f"MonthComparison({self.previous_month} -> {self.month}, {len(self.table)} personas)"
        )


def _card_shares(cards: list, mapping: dict | None = None) -> pd.DataFrame:
    rows = []
    for c in cards:
        p = int(c["persona"])
        rows.append(
            {
                s.PERSONA: (mapping or {}).get(p, p),
                "user_share": c.get("user_share"),
                "revenue_share": c.get("revenue_share"),
            }
        )
    return pd.DataFrame(rows, columns=[s.PERSONA, "user_share", "revenue_share"]).set_index(
        s.PERSONA
    )


def compare_months(
    previous: PersonaSnapshot, current: PersonaSnapshot, **match_options
) -> MonthComparison:
    """Sizes, shares, drift and the migration matrix of this month's personas vs last month's.

    When this month's personas were already matched to ``previous`` (``03_personas`` records
    ``alignment.previous_month`` in ``persona_cards.json``), their numbers are used as they are
    and the drift recorded then is reported; otherwise this month's clusters are matched here
    (:func:`match_personas`, ``match_options`` passed on) and renumbered for the comparison.
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
        note = (
            f"this month's personas were matched to {previous.month}'s when they were built, so a "
            "persona keeps its number and name."
        )
    else:
        match = match_personas(previous, current, **match_options)
        mapping = match.mapping
        note = (
            f"this month's clusters are matched to {previous.month or 'last month'}'s here "
            "(they were built without it) and renumbered for this comparison."
        )
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
    t["name"] = [names.get(p, previous.names.get(p, f"Persona {p}")) for p in nums]
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
        note=note,
        previous_month=previous.month,
        month=current.month,
    )

"""This month's clusters paired with last month's personas, so a persona keeps its number and
name while it drifts.

:func:`match_personas` pairs the clusters by **member overlap** (Jaccard index over the users
active in both months) with the **centroid distance** as a tie-break and as the fallback when
few users are in both months. Last month's centroids are carried into this month's
standardized space through both months' scaling
(:meth:`helpers.analysis.segments.snapshot.PersonaSnapshot.centroids_in`), so the distance is in
this month's standard deviations. A pair counts as the same persona when the overlap reaches
``min_overlap`` or the centroids are within ``max_distance``; a cluster without a partner is a
new persona (the next unused number), a persona of last month without one is gone. Drift per
matched persona: the centroid shift (standardized units, Euclidean over the features both
months cluster on) and the share of last month's members it kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from helpers.analysis.segments.naming import Text, fallback_name, numbered_name, strip_number
from helpers.analysis.segments.snapshot import PersonaSnapshot
from helpers.core import schema as s
from helpers.core.errors import ParameterError

__all__ = ["PersonaMatch", "match_personas"]


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
        The matching rule in words, as stored in ``persona_cards.json`` (``alignment.rule``).
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

    @property
    def changes(self) -> pd.DataFrame:
        """The rows worth a sentence: new and gone personas, and kept ones that drifted."""
        t = self.table
        return t[t["status"].isin(["new", "gone"]) | ((t["status"] == "kept") & t["drifted"])]

    def __repr__(self) -> str:
        return f"PersonaMatch(mapping={self.mapping}, previous_month={self.previous_month!r})"


def _contingency(cur: pd.DataFrame, prev: pd.DataFrame, cur_labels, prev_labels) -> pd.DataFrame:
    both = cur[[s.USER_ID, s.PERSONA]].merge(
        prev[[s.USER_ID, s.PERSONA]], on=s.USER_ID, suffixes=("_cur", "_prev")
    )
    c = pd.crosstab(both[s.PERSONA + "_cur"], both[s.PERSONA + "_prev"])
    return c.reindex(index=cur_labels, columns=prev_labels, fill_value=0)


def _name(snapshot: PersonaSnapshot, persona: int, text: Text) -> str:
    if persona in snapshot.names:
        return snapshot.names[persona]
    return fallback_name(persona, text=text)


def match_personas(
    previous: PersonaSnapshot,
    current: PersonaSnapshot,
    *,
    text: Text,
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
    text : callable
        The report's message function (``helpers.display.text.t``): the rule in words and the
        names of personas without one are composed with it.
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
    >>> from helpers.display.text import t
    >>> prev = PersonaSnapshot(pd.DataFrame({"user_id": list("abcd"), "persona": [1, 1, 2, 2]}),
    ...                        names={1: "Buyers", 2: "Browsers"})
    >>> cur = PersonaSnapshot(pd.DataFrame({"user_id": list("abcde"), "persona": [2, 2, 1, 1, 3]}),
    ...                       names={1: "Window shoppers", 2: "Frequent buyers", 3: "Newcomers"})
    >>> m = match_personas(prev, cur, text=t)
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
        names[p] = _name(previous, p, text)
    # new clusters: the next unused numbers, largest first; a generated name made unique with
    # this month's cluster position ("(persona 3)") gets its new number instead, on a clash only
    unmatched = sorted(
        (x for x in cur_labels if x not in pairs), key=lambda x: (-int(cur_sizes[x]), x)
    )
    bases = {lab: strip_number(current.names.get(lab, ""), text=text) for lab in unmatched}
    for lab in unmatched:
        mapping[lab] = next_number
        base = bases[lab] or fallback_name(next_number, text=text)
        clash = base in names.values() or list(bases.values()).count(bases[lab]) > 1
        names[next_number] = numbered_name(base, next_number, text=text) if clash else base
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
                    "name": _name(previous, p, text),
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
    rule = text(
        "personas.match.rule",
        users_in_both=len(present),
        min_overlap=min_overlap,
        max_distance=max_distance,
        drift_distance=drift_distance,
        drift_kept=drift_kept,
    )
    return PersonaMatch(
        table=table,
        mapping=mapping,
        names=names,
        next_number=next_number,
        previous_month=previous.month,
        rule=rule,
    )

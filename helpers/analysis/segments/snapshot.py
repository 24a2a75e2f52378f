"""One month's personas, as the next month needs them: who is in which persona, the centroids
and the scaling that defines them, and the cards.

:class:`PersonaSnapshot` is built from a month's artifacts (``personas.csv`` and
``persona_cards.json``, written by
:meth:`helpers.analysis.segments.personas.PersonaModel.to_dict`; :func:`read_snapshot`) or from
a fitted model (:meth:`PersonaSnapshot.from_model`). :mod:`helpers.analysis.segments.matching`
pairs two snapshots, :mod:`helpers.analysis.segments.migration` counts who moved between them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.analysis.segments.cards import PersonaCard
from helpers.core import schema as s
from helpers.core.checks import require_columns
from helpers.core.errors import DataError

__all__ = ["PERSONA_NAME", "PERSONAS_FILE", "CARDS_FILE", "PersonaSnapshot", "read_snapshot"]

PERSONA_NAME = "persona_name"
PERSONAS_FILE = "personas.csv"
CARDS_FILE = "persona_cards.json"


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
    cards : list of PersonaCard
        The persona cards (sizes, revenue share, action...), possibly empty.
    month : str
        ``YYYY-MM`` (may be empty).
    next_number : int
        The smallest persona number not used yet (new personas are numbered from here).
    alignment : dict
        ``persona_cards.json``'s ``alignment``: the match with the month before, as recorded.
    """

    assignments: pd.DataFrame
    centroids: pd.DataFrame = field(default_factory=pd.DataFrame)
    mean: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    scale: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    names: dict = field(default_factory=dict)
    cards: list[PersonaCard] = field(default_factory=list)
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
        cards = [PersonaCard.from_json(c) for c in cards_json.get("cards") or []]
        rows = {c.persona: c.centroid for c in cards}
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
        names = {c.persona: c.name or str(c.persona) for c in cards}
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
        """A snapshot of a fitted :class:`helpers.analysis.segments.personas.PersonaModel`
        (``features`` = its rows)."""
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

"""Behavioural personas: a k-means persona model, numbered by size, with cards.

:class:`PersonaModel` clusters the users active in the month (on the matrix of
:func:`helpers.analysis.segments.clustering.persona_features`, the number of personas chosen by
:func:`helpers.analysis.segments.clustering.choose_k`), numbers personas by size (persona 1 =
the largest), builds one card per persona (:mod:`helpers.analysis.segments.cards`) and, with
:meth:`PersonaModel.align`, keeps last month's numbers and names
(:mod:`helpers.analysis.segments.matching`). :meth:`PersonaModel.to_dict` is
``persona_cards.json``.

Value per user (P(alive), expected purchases, CLV) comes from
:func:`helpers.analysis.value.per_user.fit_value`. Everything works on per-user rows
(pandas / NumPy): no raw events here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from helpers.analysis.segments.archetypes import override_names
from helpers.analysis.segments.cards import COUPON_EVENT, Drift, PersonaCards, build_cards
from helpers.analysis.segments.clustering import (
    MIN_SHARE,
    MIN_STABILITY,
    KSelection,
    choose_k,
    fit_scaler,
    is_share,
    kmeans,
    selection_reason,
)
from helpers.analysis.segments.matching import match_personas
from helpers.analysis.segments.naming import Text
from helpers.analysis.segments.snapshot import PersonaSnapshot
from helpers.core import schema as s
from helpers.core.errors import ModelError, ParameterError

__all__ = ["PersonaModel", "Projection"]


@dataclass
class Projection:
    """Users on the first two principal components of the clustering matrix
    (:meth:`PersonaModel.projection`).

    Attributes
    ----------
    points : DataFrame
        ``pc1``, ``pc2``, ``persona``: one row per sampled user (indexed like the features).
    explained : list of float
        Share of the variance each component explains.
    names : dict
        persona number -> name.
    """

    points: pd.DataFrame
    explained: list[float]
    names: dict = field(default_factory=dict)


def _number_or_none(x) -> float | None:
    return None if pd.isna(x) else float(x)


class PersonaModel:
    """Behavioural personas: k-means on :func:`persona_features`, numbered by size, with cards.

    Parameters
    ----------
    k : int or None
        Number of personas; None (or 0) chooses it with :func:`choose_k` over ``k_range``.
    k_range : iterable of int
    random_state : int
    columns : list of str, optional
        Clustering columns (default: :func:`default_columns`).
    clip : float or None, default 3.0
        Clip of the standardized features (see :func:`persona_features`).
    n_init : int, default 4
    sample_size, n_seeds, min_stability, min_share, silhouette_size, n_threads
        Passed to :func:`choose_k`.
    n_card_features : int, default 4
        Distinguishing features per card (3..5 reads well).
    text : callable
        The report's message function (``helpers.display.text.t``). What the model stores in
        words (the reason for k, the cards' names, descriptions and actions, the alignment note
        and rule) is composed with it, from message keys; the model itself holds no prose.

    Attributes
    ----------
    k_ : int
    labels_ : ndarray
        Persona number (1..k, 1 = largest) per row of the fitted table.
    k_selection_ : DataFrame or None
        The :class:`KSelection` table (None when ``k`` was given).
    k_reason_ : str
        Why this k, in words (:func:`~helpers.analysis.segments.clustering.selection_reason`).
    selection_ : KSelection
        The evidence for k (an empty table when ``k`` was given).
    centers_ : DataFrame
        Centroids in the standardized feature space (persona x feature).
    profiles_ : DataFrame
        Mean standardized feature per persona (persona x feature).
    silhouette_ : float
        Silhouette of the fitted labels (on a sample of ``silhouette_size`` rows).
    feature_names_, dropped_columns_ : list of str
    cards_ : list of PersonaCard
        One card per persona (see :func:`helpers.analysis.segments.cards.build_cards`).

    Examples
    --------
    >>> from helpers.display.text import t
    >>> rng = np.random.default_rng(0)
    >>> f = pd.DataFrame({"orders": np.r_[rng.poisson(0.2, 80), rng.poisson(8, 40)],
    ...                   "share_search": np.r_[rng.uniform(0.4, 0.6, 80), rng.uniform(0, 0.1, 40)]})
    >>> m = PersonaModel(k_range=range(2, 5), text=t).fit(f)
    >>> m.k_, np.bincount(m.labels_)[1:].tolist()
    (2, [80, 40])
    """

    def __init__(
        self,
        k: int | None = None,
        *,
        k_range=range(2, 9),
        random_state: int = 0,
        columns: Sequence[str] | None = None,
        clip: float | None = 3.0,
        n_init: int = 4,
        sample_size: int = 20000,
        n_seeds: int = 5,
        min_stability: float = MIN_STABILITY,
        min_share: float = MIN_SHARE,
        silhouette_size: int = 5000,
        n_threads: int | None = 1,
        n_card_features: int = 4,
        coupon_event: str | None = None,
        text: Text,
    ):
        self.k = k
        self.k_range = k_range
        self.random_state = random_state
        self.columns = columns
        self.clip = clip
        self.n_init = n_init
        self.sample_size = sample_size
        self.n_seeds = n_seeds
        self.min_stability = min_stability
        self.min_share = min_share
        self.silhouette_size = silhouette_size
        self.n_threads = n_threads
        self.n_card_features = n_card_features
        self.coupon_event = coupon_event or COUPON_EVENT  # None: the config names none
        self.text = text

    def fit(self, features: pd.DataFrame) -> PersonaModel:
        """Cluster the users of ``features`` (one row per user); returns self."""
        if self.k not in (None, 0) and not (isinstance(self.k, (int, np.integer)) and self.k >= 1):
            raise ParameterError(
                f"The value for `k` must be a whole number >= 1 or 0/None (choose), but {self.k!r} was passed."
            )
        n = len(features)
        if n < 3:
            raise ModelError(f"personas need at least 3 users to cluster, got {n}.")
        scaler, dropped = fit_scaler(features, self.columns, self.clip)
        Z = scaler.transform(features)
        X = Z.to_numpy()
        if self.k:
            k = int(self.k)
            if k >= n:
                raise ParameterError(
                    f"The value for `k` must be below the number of users ({n}), but {k} was passed."
                )
            self.k_selection_ = None
            self.selection_ = KSelection(
                table=pd.DataFrame(columns=["k", "silhouette", "stability"]),
                k=k,
                n_users=n,
                n_sample=0,
                chosen_by="parameter",
            )
            with threadpool_limits(limits=self.n_threads):
                raw_labels = kmeans(k, n, self.random_state, self.n_init).fit(X).labels_
        else:
            ks = [kk for kk in self.k_range if kk < n]
            sel = choose_k(
                X,
                k_range=ks,
                random_state=self.random_state,
                sample_size=self.sample_size,
                n_seeds=self.n_seeds,
                n_init=self.n_init,
                min_stability=self.min_stability,
                min_share=self.min_share,
                silhouette_size=self.silhouette_size,
                n_threads=self.n_threads,
            )
            k = sel.k
            self.k_selection_ = sel.table
            self.selection_ = sel
            raw_labels = sel.labels[k]
        self.k_reason_ = selection_reason(self.selection_, text=self.text)
        self.labels_ = _number_by_size(raw_labels, X)
        self.k_ = int(self.labels_.max())
        self.feature_names_ = list(scaler.columns)
        self.dropped_columns_ = dropped
        self._scaler = scaler
        personas = pd.Index(range(1, self.k_ + 1), name=s.PERSONA)
        self.centers_ = pd.DataFrame(
            [X[self.labels_ == p].mean(axis=0) for p in personas],
            index=personas,
            columns=self.feature_names_,
        )
        self.profiles_ = self.centers_.copy()
        rng = np.random.default_rng(self.random_state)
        idx = (
            rng.choice(n, self.silhouette_size, replace=False)
            if n > self.silhouette_size
            else np.arange(n)
        )
        self.silhouette_ = (
            float(silhouette_score(X[idx], self.labels_[idx]))
            if len(np.unique(self.labels_[idx])) > 1
            else float("nan")
        )
        self.n_users_ = n
        self.cards_ = build_cards(
            features,
            self.labels_,
            Z,
            text=self.text,
            n_features=self.n_card_features,
            coupon_event=self.coupon_event,
        )
        return self

    def _check_fitted(self):
        if not hasattr(self, "labels_"):
            raise ModelError("This PersonaModel is not fitted yet: call fit(features) first.")

    def transform(self, features: pd.DataFrame) -> pd.DataFrame:
        """The standardized clustering matrix of ``features`` with the fitted scaling."""
        self._check_fitted()
        return self._scaler.transform(features)

    def predict(self, features: pd.DataFrame) -> pd.Series:
        """Persona number (nearest centroid) per row of ``features``, indexed like it."""
        Z = self.transform(features).to_numpy()
        d = ((Z[:, None, :] - self.centers_.to_numpy()[None, :, :]) ** 2).sum(axis=2)
        return pd.Series(
            self.centers_.index.to_numpy()[d.argmin(axis=1)], index=features.index, name=s.PERSONA
        )

    def assignments(self, features: pd.DataFrame) -> pd.DataFrame:
        """``user_id``, ``persona``, ``persona_name`` for the fitted rows (``personas.csv``)."""
        self._check_fitted()
        names = {c.persona: c.name for c in self.cards_}
        return pd.DataFrame(
            {
                s.USER_ID: features[s.USER_ID].astype(str).to_numpy(),
                s.PERSONA: self.labels_,
                "persona_name": [names[p] for p in self.labels_],
            },
            index=features.index,
        )

    def persona_cards(self) -> PersonaCards:
        """The cards with the clustering's size, reason and silhouette."""
        self._check_fitted()
        return PersonaCards(
            cards=self.cards_,
            n_users=self.n_users_,
            reason=self.k_reason_,
            silhouette=self.silhouette_,
        )

    def to_dict(self) -> dict:
        """Everything needed to match next month's personas: cards, centroids, scaling, features."""
        self._check_fitted()
        return {
            "k": self.k_,
            "k_reason": self.k_reason_,
            "silhouette": self.silhouette_,
            "n_users": self.n_users_,
            "random_state": self.random_state,
            "clip": self.clip,
            "features": self.feature_names_,
            "dropped_columns": self.dropped_columns_,
            "transform": {
                "log1p": [c for c in self.feature_names_ if not is_share(c)],
                "mean": self._scaler.mean.tolist(),
                "scale": self._scaler.scale.tolist(),
            },
            "cards": [
                c.with_centroid(self.centers_.loc[c.persona].round(6).tolist()).to_json()
                for c in self.cards_
            ],
            "alignment": self._alignment_dict(),
        }

    # --- the same personas across months -----------------------------------------------------------
    def align(self, previous, features: pd.DataFrame, **match_options) -> PersonaModel:
        """Renumber and rename the personas so they match last month's; returns self.

        A persona matched to one of last month's
        (:func:`helpers.analysis.segments.matching.match_personas`: member
        overlap, then centroid distance) takes its number and name; a new cluster gets the next
        number never used before and its generated name. Drift per persona (centroid shift in this
        month's standard deviations, share of last month's members kept) is in ``alignment_`` and
        in every card (``drift``). With ``previous`` None (no personas last month), the personas
        keep their numbers by size and ``alignment_`` is None.

        Parameters
        ----------
        previous : helpers.analysis.segments.snapshot.PersonaSnapshot or None
            Last month's personas (:func:`helpers.analysis.segments.snapshot.read_snapshot`).
        features : DataFrame
            The rows the model was fitted on.
        **match_options
            Passed to :func:`helpers.analysis.segments.matching.match_personas`.

        Attributes set
        --------------
        alignment_ : helpers.analysis.segments.matching.PersonaMatch or None
        alignment_note_ : str
            Why the personas are not matched (set when ``previous`` is None).
        """
        self._check_fitted()
        if len(features) != len(self.labels_):
            raise ParameterError(
                f"`features` must be the {len(self.labels_)} rows the model was fitted on, "
                f"but it has {len(features)} rows."
            )
        if previous is None:
            self.alignment_ = None
            self.alignment_note_ = self.text("personas.alignment.no_previous")
            return self
        current = PersonaSnapshot.from_model(self, features)
        match = match_personas(previous, current, text=self.text, **match_options)
        mapping = match.mapping
        self.labels_ = np.array([mapping[int(x)] for x in self.labels_], dtype="int64")
        self.centers_ = self.centers_.rename(index=mapping).sort_index()
        self.centers_.index.name = s.PERSONA
        self.profiles_ = self.profiles_.rename(index=mapping).sort_index()
        self.profiles_.index.name = s.PERSONA
        rows = match.table.set_index("persona")
        cards = []
        for card in self.cards_:
            num = mapping[card.persona]
            r = rows.loc[num]
            drift = Drift(
                status=str(r["status"]),
                persona_prev=None if pd.isna(r["persona_prev"]) else int(r["persona_prev"]),
                centroid_shift=_number_or_none(r["centroid_shift"]),
                kept_share=_number_or_none(r["kept_share"]),
                stayed_share=_number_or_none(r["stayed_share"]),
                drifted=bool(r["drifted"]),
            )
            cards.append(card.renumbered(num, name=match.names[num], drift=drift))
        self.cards_ = sorted(cards, key=lambda c: c.persona)
        self.alignment_ = match
        return self

    def rename(self, names: dict) -> PersonaModel:
        """Names chosen by the team (``personas: {names: {1: ...}}`` in ``persona.yaml``), by
        persona number as matched with last month; the name the kit gave is kept in
        ``name_generated``. A number that is no persona this month is left alone."""
        chosen = override_names(names)
        self.cards_ = [
            replace(c, name=chosen[c.persona], name_generated=c.name_generated or c.name)
            if c.persona in chosen
            else c
            for c in self.cards_
        ]
        return self

    def _alignment_dict(self) -> dict:
        match = getattr(self, "alignment_", None)
        nums = [c.persona for c in self.cards_]
        if match is None:
            note = getattr(self, "alignment_note_", None) or self.text(
                "personas.alignment.not_aligned"
            )
            return {"previous_month": None, "next_number": max(nums) + 1, "note": note}
        return {
            "previous_month": match.previous_month,
            "next_number": int(match.next_number),
            "rule": match.rule,
            "table": match.table.to_dict("records"),
        }

    # --- a flat view ----------------------------------------------------------------------------
    def projection(
        self, features: pd.DataFrame, *, sample_size: int = 3000, random_state: int = 0
    ) -> Projection:
        """A random sample of the fitted users on the first two principal components of the
        clustering matrix (for :func:`helpers.plots.personas.plot_persona_projection`).

        Parameters
        ----------
        features : DataFrame
            The rows the model was fitted on (their persona is ``labels_``).
        sample_size : int
            Users drawn at random (``random_state``), to keep a plot readable.
        """
        self._check_fitted()
        if len(features) != len(self.labels_):
            raise ParameterError(
                f"`features` must be the {len(self.labels_)} rows the model was fitted on, "
                f"but it has {len(features)} rows."
            )
        Z = self.transform(features).to_numpy()
        rng = np.random.default_rng(random_state)
        idx = (
            np.sort(rng.choice(len(Z), sample_size, replace=False))
            if len(Z) > sample_size
            else np.arange(len(Z))
        )
        pca = PCA(n_components=min(2, Z.shape[1]), random_state=random_state).fit(Z[idx])
        P = pca.transform(Z[idx])
        if P.shape[1] == 1:
            P = np.column_stack([P[:, 0], np.zeros(len(P))])
        points = pd.DataFrame(
            {"pc1": P[:, 0], "pc2": P[:, 1], s.PERSONA: self.labels_[idx]},
            index=features.index[idx],
        )
        explained = [float(x) for x in pca.explained_variance_ratio_]
        return Projection(points, explained, {c.persona: c.name for c in self.cards_})


def _number_by_size(labels: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Relabel clusters 1..k by size, largest first; equal sizes by their centroid (lexicographic)."""
    uniq = np.unique(labels)
    keys = []
    for u in uniq:
        sel = labels == u
        keys.append((-int(sel.sum()), tuple(np.round(X[sel].mean(axis=0), 9))))
    order = sorted(range(len(uniq)), key=lambda i: keys[i])
    mapping = {uniq[i]: rank + 1 for rank, i in enumerate(order)}
    return np.array([mapping[x] for x in labels], dtype="int64")

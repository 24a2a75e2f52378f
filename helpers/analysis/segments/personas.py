"""Behavioural personas: a clustering matrix, the choice of k, a k-means persona model, value.

The pipeline, on the feature table of :func:`helpers.analysis.features.user_features`:

1. :func:`active_in_month` keeps the users active in the reviewed month (one persona per active
   user, ``personas.csv``).
2. :func:`persona_features` builds the clustering matrix: ``log1p`` of activity and value counts
   (:data:`DEFAULT_LOG_COLUMNS`), the event-mix shares ``share_<event>`` as they are (already
   0..1), each column standardized (``StandardScaler``) and clipped to +-``clip`` (default 3)
   standard deviations, so a handful of extreme users cannot pull a centroid on their own.
   Columns constant over the clustered users carry no information and are dropped.
3. :func:`choose_k` fits k-means for every k and picks one by silhouette and stability
   (:data:`K_RULE`).
4. :class:`PersonaModel` fits the chosen k, numbers personas by size (persona 1 = the largest)
   and builds one card per persona (:mod:`helpers.analysis.segments.cards`).

Value per user (P(alive), expected purchases, CLV) comes from :func:`fit_value`: BG/NBD and
Gamma-Gamma of :mod:`helpers.analysis.value` on the BTYD fields in weeks.

Everything works on per-user rows (pandas / NumPy): no raw events here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from threadpoolctl import threadpool_limits

from helpers.analysis import value as v
from helpers.analysis.features import EVENTS_PER_ACTIVE_DAY_28, SHARE_PREFIX
from helpers.core import schema as s
from helpers.core.checks import require_columns
from helpers.core.errors import DataError, ModelError, ParameterError

__all__ = [
    "DEFAULT_LOG_COLUMNS",
    "EXCLUDED_SHARES",
    "K_RULE",
    "CLV",
    "P_ALIVE",
    "EXPECTED_PURCHASES",
    "active_in_month",
    "default_columns",
    "persona_features",
    "choose_k",
    "KSelection",
    "PersonaModel",
    "fit_value",
    "ValueFit",
    "value_by_group",
    "GroupValue",
    "tag_rules",
    "rfm_artifact",
    "data_notes",
    "DataNotes",
]

# log1p, then standardized: activity and value counts/money, heavy right tails
DEFAULT_LOG_COLUMNS = [s.ACTIVE_DAYS_28, EVENTS_PER_ACTIVE_DAY_28, s.UD_ORDERS, s.UD_REVENUE]
# share_order repeats `orders` (a purchase is an event), so it would weight buying twice
EXCLUDED_SHARES = [SHARE_PREFIX + s.ORDER_EVENT]
CLV, P_ALIVE, EXPECTED_PURCHASES = v.CLV, v.P_ALIVE, v.EXPECTED_PURCHASES
MINIBATCH_ABOVE = 50_000
MIN_STABILITY = 0.8
MIN_SHARE = 0.02
K_RULE = (
    "k = the highest silhouette among the k whose stability (mean adjusted Rand index between "
    "refits with different seeds) is at least {min_stability} and whose smallest persona holds at "
    "least {min_share} of the users; all k compete when none qualifies; equal silhouettes (to 3 "
    "decimals) go to the smaller k."
)


# --- feature matrix ------------------------------------------------------------------------------
def active_in_month(features: pd.DataFrame, *, month_start) -> pd.DataFrame:
    """Users active in the reviewed month: ``last_active`` on or after ``month_start``.

    ``user_features`` is computed at ``as_of`` (the month's last day), so ``last_active`` never
    lies after the month.

    Examples
    --------
    >>> f = pd.DataFrame({"user_id": ["a", "b", "c"],
    ...                   "last_active": pd.to_datetime(["2024-05-31", "2024-04-30", None])})
    >>> active_in_month(f, month_start="2024-05-01")["user_id"].tolist()
    ['a']
    """
    require_columns(
        features,
        [s.LAST_ACTIVE],
        "The feature table (from helpers.analysis.features.user_features)",
    )
    last = pd.to_datetime(features[s.LAST_ACTIVE])
    return features.loc[last >= pd.Timestamp(month_start)].reset_index(drop=True)


def default_columns(features: pd.DataFrame) -> list[str]:
    """The default clustering columns present in ``features``.

    :data:`DEFAULT_LOG_COLUMNS` (log1p) and every ``share_<event>`` column except
    :data:`EXCLUDED_SHARES`. An orders-only project has no event shares: it is clustered on
    purchase behaviour alone.

    Examples
    --------
    >>> default_columns(pd.DataFrame(columns=["user_id", "orders", "revenue", "share_search", "share_order"]))
    ['orders', 'revenue', 'share_search']
    """
    cols = [c for c in DEFAULT_LOG_COLUMNS if c in features.columns]
    cols += [
        c for c in features.columns if str(c).startswith(SHARE_PREFIX) and c not in EXCLUDED_SHARES
    ]
    return cols


def _is_share(col: str) -> bool:
    return str(col).startswith(SHARE_PREFIX)


def _raw_matrix(features: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """log1p of non-share columns, shares as they are; missing values count as 0."""
    if not isinstance(features, pd.DataFrame):
        raise ParameterError(
            f"`features` must be a pandas DataFrame (the user feature table), "
            f"but a {type(features).__name__} was passed."
        )
    require_columns(features, columns, "The feature table (for `columns`)")
    out = pd.DataFrame(index=features.index)
    for c in columns:
        x = pd.to_numeric(features[c], errors="coerce")
        if x.isna().all() and features[c].notna().any():
            raise DataError(
                f"column {c!r} must be numeric to cluster on, but holds e.g. "
                f"{features[c].dropna().iloc[0]!r}."
            )
        x = x.fillna(0.0).astype("float64")
        if not _is_share(c):
            if (x < 0).any():
                raise DataError(
                    f"column {c!r} must be >= 0 to take log1p, but has "
                    f"{int((x < 0).sum())} negative value(s), e.g. {float(x[x < 0].iloc[0])}."
                )
            x = np.log1p(x)
        out[c] = x
    return out


@dataclass
class _Scaler:
    columns: list
    mean: np.ndarray
    scale: np.ndarray
    clip: float | None

    def transform(self, features: pd.DataFrame) -> pd.DataFrame:
        raw = _raw_matrix(features, self.columns).to_numpy()
        z = (raw - self.mean) / self.scale
        if self.clip:
            z = np.clip(z, -self.clip, self.clip)
        return pd.DataFrame(z, index=features.index, columns=self.columns)


def _fit_scaler(features: pd.DataFrame, columns, clip) -> tuple[_Scaler, list[str]]:
    columns = list(default_columns(features) if columns is None else columns)
    if not columns:
        raise DataError(
            "no clustering columns: the feature table has none of "
            f"{DEFAULT_LOG_COLUMNS} and no share_<event> column; pass `columns`."
        )
    raw = _raw_matrix(features, columns)
    sd = raw.std(ddof=0)
    constant = [c for c in columns if not sd[c] > 0]
    kept = [c for c in columns if c not in constant]
    if not kept:
        raise DataError(
            f"every clustering column is constant over these {len(features)} users "
            f"({columns}); there is nothing to cluster on."
        )
    return _Scaler(kept, raw[kept].mean().to_numpy(), sd[kept].to_numpy(), clip), constant


def persona_features(
    features: pd.DataFrame, *, columns: Sequence[str] | None = None, clip: float | None = 3.0
) -> pd.DataFrame:
    """The clustering matrix: transformed, standardized and clipped features, one row per user.

    Parameters
    ----------
    features : DataFrame
        The user feature table (usually :func:`active_in_month` of it).
    columns : list of str, optional
        Columns to cluster on. Default (:func:`default_columns`): ``log1p`` of ``active_days_28``,
        ``events_per_active_day_28``, ``orders``, ``revenue`` and every ``share_<event>`` except
        ``share_order``. Every column not starting with ``share_`` gets ``log1p`` (it must be >= 0).
        Missing values count as 0.
    clip : float or None, default 3.0
        Standardized values are clipped to ``[-clip, clip]``; None keeps them.

    Returns
    -------
    DataFrame
        Indexed like ``features``; one column per clustering column that is not constant
        (constant columns are dropped), mean 0 and unit variance before clipping.

    Examples
    --------
    >>> f = pd.DataFrame({"orders": [0, 0, 3, 3], "share_search": [0.1, 0.3, 0.1, 0.3], "share_x": [0.5] * 4})
    >>> persona_features(f).round(3).to_dict("list")
    {'orders': [-1.0, -1.0, 1.0, 1.0], 'share_search': [-1.0, 1.0, -1.0, 1.0]}
    """
    scaler, _ = _fit_scaler(features, columns, clip)
    return scaler.transform(features)


# --- choosing k ----------------------------------------------------------------------------------
def _kmeans(k: int, n: int, seed: int, n_init: int):
    if n > MINIBATCH_ABOVE:
        return MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=n_init, batch_size=4096)
    return KMeans(n_clusters=k, random_state=seed, n_init=n_init)


@dataclass
class KSelection:
    """Evidence for the number of personas (returned by :func:`choose_k`).

    Attributes
    ----------
    table : DataFrame
        One row per k: ``k``, ``silhouette`` (on the sample), ``stability`` (mean pairwise
        adjusted Rand index of refits with ``n_seeds`` seeds, on the sample), ``inertia`` (of the
        fit on all rows), ``smallest_share`` (share of the smallest cluster), ``eligible``
        (stability >= min_stability), ``chosen``.
    k : int
        The chosen k.
    reason : str
        One sentence: why this k.
    n_users, n_sample : int
    """

    table: pd.DataFrame
    k: int
    reason: str
    n_users: int
    n_sample: int
    labels: dict = field(default_factory=dict, repr=False)

    def _repr_html_(self) -> str:
        if self.table.empty:
            return f"<p><b>Number of personas</b>: {html.escape(self.reason)}</p>"
        t = self.table.round({"silhouette": 3, "stability": 3, "inertia": 0, "smallest_share": 3})
        return (
            f"<p><b>Number of personas</b>: {html.escape(self.reason)} "
            f"({self.n_users:,} users; silhouette and stability on {self.n_sample:,} of them).</p>"
            + t.to_html(index=False, escape=True)
        )

    def __repr__(self) -> str:
        return f"KSelection(k={self.k}, n_users={self.n_users})"


def choose_k(
    X,
    *,
    k_range=range(2, 9),
    random_state: int = 0,
    sample_size: int = 20000,
    n_seeds: int = 5,
    n_init: int = 4,
    min_stability: float = MIN_STABILITY,
    min_share: float = MIN_SHARE,
    silhouette_size: int = 5000,
    n_threads: int | None = 1,
) -> KSelection:
    """Fit k-means for each k and choose the number of personas.

    Rule (:data:`K_RULE`): the highest silhouette among the k whose stability is at least
    ``min_stability`` and whose smallest cluster holds at least ``min_share`` of the users (a
    persona of a handful of users is not a segment to act on); when no k qualifies, all k
    compete; equal silhouettes (rounded to 3 decimals) go to the smaller k.

    Parameters
    ----------
    X : DataFrame or array
        The clustering matrix (:func:`persona_features`).
    k_range : iterable of int
        Candidate k (each >= 2 and < number of rows).
    random_state : int
        Seed of the main fit (the one :class:`PersonaModel` reproduces) and of the sampling;
        the stability refits use ``random_state + 1 .. random_state + n_seeds - 1``.
    sample_size : int
        Stability refits run on a random sample of this many rows (all rows when fewer).
    n_seeds : int
        Fits per k compared for stability (>= 2).
    n_init : int
        k-means restarts per fit (the best inertia wins).
    min_stability : float
        Stability a k needs to be eligible.
    min_share : float
        Share of users the smallest cluster of an eligible k must hold.
    silhouette_size : int
        Silhouette is computed on a random sample of this many rows (its cost grows with n^2).
    n_threads : int or None
        Threads for the k-means and distance kernels while fitting (restored afterwards); 1 avoids
        OpenMP spin-waiting on a shared machine, None leaves the library default.

    Returns
    -------
    KSelection

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.3, size=(60, 2)) for c in ([0, 0], [5, 0], [0, 5])])
    >>> choose_k(X, k_range=range(2, 6)).k
    3
    """
    Z = np.asarray(X, dtype="float64")
    n = len(Z)
    ks = sorted({int(k) for k in k_range})
    if not ks or ks[0] < 2 or ks[-1] >= n:
        raise ParameterError(
            f"The value for `k_range` must hold integers >= 2 and below the number of "
            f"users ({n}), but {list(k_range)!r} was passed."
        )
    if n_seeds < 2:
        raise ParameterError(
            f"The value for `n_seeds` must be >= 2 (stability compares refits), but {n_seeds!r} was passed."
        )
    if not np.isfinite(Z).all():
        raise DataError(
            "the clustering matrix has missing or infinite values; build it with persona_features()."
        )
    rng = np.random.default_rng(random_state)
    sample = (
        np.sort(rng.choice(n, sample_size, replace=False)) if n > sample_size else np.arange(n)
    )
    sil_idx = (
        np.sort(rng.choice(n, silhouette_size, replace=False))
        if n > silhouette_size
        else np.arange(n)
    )
    rows, labels = [], {}
    with threadpool_limits(limits=n_threads):
        for k in ks:
            main = _kmeans(k, n, random_state, n_init).fit(Z)
            labels[k] = main.labels_
            lab_s = sil_idx
            sil = (
                silhouette_score(Z[lab_s], main.labels_[lab_s])
                if len(np.unique(main.labels_[lab_s])) > 1
                else np.nan
            )
            refits = [
                main.labels_[sample]
                if n <= sample_size
                else _kmeans(k, len(sample), random_state, n_init).fit(Z[sample]).labels_
            ]
            refits += [
                _kmeans(k, len(sample), random_state + i, n_init).fit(Z[sample]).labels_
                for i in range(1, n_seeds)
            ]
            aris = [
                adjusted_rand_score(refits[i], refits[j])
                for i in range(len(refits))
                for j in range(i + 1, len(refits))
            ]
            sizes = np.bincount(main.labels_, minlength=k)
            rows.append(
                {
                    "k": k,
                    "silhouette": float(sil),
                    "stability": float(np.mean(aris)),
                    "inertia": float(main.inertia_),
                    "smallest_share": float(sizes.min() / n),
                }
            )
    table = pd.DataFrame(rows)
    table["eligible"] = (table["stability"] >= min_stability) & (
        table["smallest_share"] >= min_share
    )
    pool = table[table["eligible"]] if table["eligible"].any() else table
    pool = pool.assign(_s=pool["silhouette"].round(3).fillna(-np.inf))
    best = pool.sort_values(["_s", "k"], ascending=[False, True]).iloc[0]
    k = int(best["k"])
    table["chosen"] = table["k"] == k
    others = pool[pool["k"] != k].sort_values(["_s", "k"], ascending=[False, True])
    runner = (
        f"; next best k = {int(others.iloc[0]['k'])} (silhouette {others.iloc[0]['silhouette']:.3f})"
        if len(others)
        else ""
    )
    if table["eligible"].any():
        why = (
            f"k = {k}: the highest silhouette ({best['silhouette']:.3f}) among the k whose stability is "
            f"at least {min_stability} (this one: {best['stability']:.3f}) and whose smallest persona holds "
            f"at least {min_share:.0%} of the users{runner}."
        )
    else:
        why = (
            f"k = {k}: the highest silhouette ({best['silhouette']:.3f}); no k reached stability "
            f"{min_stability} with a smallest persona of {min_share:.0%}, so the personas may shift "
            f"between runs{runner}."
        )
    return KSelection(table=table, k=k, reason=why, n_users=n, n_sample=len(sample), labels=labels)


# --- the persona model ---------------------------------------------------------------------------
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

    Attributes
    ----------
    k_ : int
    labels_ : ndarray
        Persona number (1..k, 1 = largest) per row of the fitted table.
    k_selection_ : DataFrame or None
        The :class:`KSelection` table (None when ``k`` was given).
    k_reason_ : str
    selection_ : KSelection
        The evidence for k as a display object (an empty table when ``k`` was given).
    centers_ : DataFrame
        Centroids in the standardized feature space (persona x feature).
    profiles_ : DataFrame
        Mean standardized feature per persona (persona x feature).
    silhouette_ : float
        Silhouette of the fitted labels (on a sample of ``silhouette_size`` rows).
    feature_names_, dropped_columns_ : list of str
    cards_ : list of dict
        One card per persona (see :func:`helpers.analysis.segments.cards.build_cards`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = pd.DataFrame({"orders": np.r_[rng.poisson(0.2, 80), rng.poisson(8, 40)],
    ...                   "share_search": np.r_[rng.uniform(0.4, 0.6, 80), rng.uniform(0, 0.1, 40)]})
    >>> m = PersonaModel(k_range=range(2, 5)).fit(f)
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

    def fit(self, features: pd.DataFrame) -> PersonaModel:
        """Cluster the users of ``features`` (one row per user); returns self."""
        from helpers.analysis.segments.cards import build_cards

        if self.k not in (None, 0) and not (isinstance(self.k, (int, np.integer)) and self.k >= 1):
            raise ParameterError(
                f"The value for `k` must be a whole number >= 1 or 0/None (choose), but {self.k!r} was passed."
            )
        n = len(features)
        if n < 3:
            raise ModelError(f"personas need at least 3 users to cluster, got {n}.")
        scaler, dropped = _fit_scaler(features, self.columns, self.clip)
        Z = scaler.transform(features)
        X = Z.to_numpy()
        if self.k:
            k = int(self.k)
            if k >= n:
                raise ParameterError(
                    f"The value for `k` must be below the number of users ({n}), but {k} was passed."
                )
            self.k_selection_, self.k_reason_ = None, f"k = {k} was set by the `k` parameter."
            self.selection_ = KSelection(
                table=pd.DataFrame(columns=["k", "silhouette", "stability"]),
                k=k,
                reason=self.k_reason_,
                n_users=n,
                n_sample=0,
            )
            with threadpool_limits(limits=self.n_threads):
                raw_labels = _kmeans(k, n, self.random_state, self.n_init).fit(X).labels_
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
            self.k_selection_, self.k_reason_ = sel.table, sel.reason
            self.selection_ = sel
            raw_labels = sel.labels[k]
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
        self.cards_ = build_cards(features, self.labels_, Z, n_features=self.n_card_features)
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
        names = {c["persona"]: c["name"] for c in self.cards_}
        return pd.DataFrame(
            {
                s.USER_ID: features[s.USER_ID].astype(str).to_numpy(),
                s.PERSONA: self.labels_,
                "persona_name": [names[p] for p in self.labels_],
            },
            index=features.index,
        )

    def persona_cards(self):
        """The cards as a display object (:class:`helpers.analysis.segments.cards.PersonaCards`)."""
        from helpers.analysis.segments.cards import PersonaCards

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
                "log1p": [c for c in self.feature_names_ if not _is_share(c)],
                "mean": self._scaler.mean.tolist(),
                "scale": self._scaler.scale.tolist(),
            },
            "cards": [
                dict(c, centroid=self.centers_.loc[c["persona"]].round(6).tolist())
                for c in self.cards_
            ],
            "alignment": self._alignment_dict(),
        }

    # --- the same personas across months -----------------------------------------------------------
    def align(self, previous, features: pd.DataFrame, **match_options) -> PersonaModel:
        """Renumber and rename the personas so they match last month's; returns self.

        A persona matched to one of last month's (:func:`helpers.analysis.segments.migration.match_personas`: member
        overlap, then centroid distance) takes its number and name; a new cluster gets the next
        number never used before and its generated name. Drift per persona (centroid shift in this
        month's standard deviations, share of last month's members kept) is in ``alignment_`` and
        in every card (``drift``). With ``previous`` None (no personas last month), the personas
        keep their numbers by size and ``alignment_`` is None.

        Parameters
        ----------
        previous : helpers.analysis.segments.migration.PersonaSnapshot or None
            Last month's personas (:func:`helpers.analysis.segments.migration.read_snapshot`).
        features : DataFrame
            The rows the model was fitted on.
        **match_options
            Passed to :func:`helpers.analysis.segments.migration.match_personas`.

        Attributes set
        --------------
        alignment_ : helpers.analysis.segments.migration.PersonaMatch or None
        alignment_note_ : str
        """
        from helpers.analysis.segments.migration import PersonaSnapshot, match_personas

        self._check_fitted()
        if len(features) != len(self.labels_):
            raise ParameterError(
                f"`features` must be the {len(self.labels_)} rows the model was fitted on, "
                f"but it has {len(features)} rows."
            )
        if previous is None:
            self.alignment_ = None
            self.alignment_note_ = (
                "No personas of the previous month were found: personas are numbered "
                "by size (1 = the largest) and cannot be compared with last month."
            )
            return self
        current = PersonaSnapshot.from_model(self, features)
        match = match_personas(previous, current, **match_options)
        mapping = match.mapping
        self.labels_ = np.array([mapping[int(x)] for x in self.labels_], dtype="int64")
        self.centers_ = self.centers_.rename(index=mapping).sort_index()
        self.centers_.index.name = s.PERSONA
        self.profiles_ = self.profiles_.rename(index=mapping).sort_index()
        self.profiles_.index.name = s.PERSONA
        rows = match.table.set_index("persona")
        cards = []
        for card in self.cards_:
            num = mapping[int(card["persona"])]
            r = rows.loc[num]
            drift = {
                "status": r["status"],
                "persona_prev": None if pd.isna(r["persona_prev"]) else int(r["persona_prev"]),
                "centroid_shift": None
                if pd.isna(r["centroid_shift"])
                else float(r["centroid_shift"]),
                "kept_share": None if pd.isna(r["kept_share"]) else float(r["kept_share"]),
                "stayed_share": None if pd.isna(r["stayed_share"]) else float(r["stayed_share"]),
                "drifted": bool(r["drifted"]),
            }
            cards.append(
                dict(
                    card,
                    persona=num,
                    name=match.names[num],
                    name_generated=card["name"],
                    drift=drift,
                )
            )
        self.cards_ = sorted(cards, key=lambda c: c["persona"])
        self.alignment_ = match
        self.alignment_note_ = (
            f"Matched with the personas of {previous.month or 'the previous month'}: "
            f"{len(match.sentences())} change(s) to note."
        )
        return self

    def _alignment_dict(self) -> dict:
        match = getattr(self, "alignment_", None)
        nums = [int(c["persona"]) for c in self.cards_]
        if match is None:
            return {
                "previous_month": None,
                "next_number": max(nums) + 1,
                "note": getattr(self, "alignment_note_", "not aligned with a previous month"),
            }
        return {
            "previous_month": match.previous_month,
            "next_number": int(match.next_number),
            "rule": match.rule,
            "table": match.table.to_dict("records"),
        }

    def alignment_report(self):
        """What the alignment did, for display: the match, or a note when there was nothing to match."""
        from helpers.sections.active_users import Note

        self._check_fitted()
        match = getattr(self, "alignment_", None)
        if match is None:
            return Note(
                getattr(
                    self,
                    "alignment_note_",
                    "The personas were not aligned with a previous month "
                    "(call align()): they are numbered by size.",
                )
            )
        return match


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


# --- value: P(alive), expected purchases, CLV ------------------------------------------------------
@dataclass
class ValueFit:
    """BG/NBD + Gamma-Gamma fitted on the buyers of the feature table (weeks), per-user value.

    Attributes
    ----------
    per_user : DataFrame
        Indexed like the feature table: ``p_alive``, ``expected_purchases`` (over the horizon),
        ``expected_spend``, ``clv``; NaN for non-buyers (no purchase, no BTYD history) and for
        everyone when the models could not be fitted. ``p_alive`` is also NaN for buyers without
        a repeat purchase (BG/NBD gives them 1 by construction).
    bg, gg : fitted models or None
    note : str
        What was fitted, or why not.
    """

    per_user: pd.DataFrame
    bg: object
    gg: object
    note: str
    horizon_months: int
    discount_rate_monthly: float

    def _repr_html_(self) -> str:
        out = f"<p><b>Customer value</b>: {html.escape(self.note)}</p>"
        for model in (self.bg, self.gg):
            if model is not None:
                out += model._repr_html_()
        return out

    def __repr__(self) -> str:
        return f"ValueFit({self.note!r})"


def fit_value(
    features: pd.DataFrame,
    *,
    horizon_months: int = 12,
    discount_rate_monthly: float = 0.01,
    penalizer: float = 0.001,
) -> ValueFit:
    """Fit BG/NBD and Gamma-Gamma on the buyers (BTYD fields in weeks) and value every buyer.

    Degrades instead of failing: when a model cannot be fitted (too few buyers, no repeat
    buyers), the value columns are NaN and ``note`` says why.

    Parameters
    ----------
    features : DataFrame
        The user feature table (all users known at as_of, so the models see every buyer).
    horizon_months, discount_rate_monthly : CLV horizon and monthly discount rate.
    penalizer : float
        L2 penalizer of both models (a small value keeps parameters from running away).

    Returns
    -------
    ValueFit
    """
    cols = [s.FREQUENCY, s.RECENCY, s.T, s.MONETARY_VALUE]
    require_columns(features, cols, "The feature table (BTYD fields)")
    per_user = pd.DataFrame(
        np.nan, index=features.index, columns=[P_ALIVE, EXPECTED_PURCHASES, v.EXPECTED_SPEND, CLV]
    )
    buyers = features.loc[features[s.FREQUENCY].notna(), cols]
    weeks = v.to_time_unit(buyers, unit_days=7)
    try:
        bg = v.BetaGeoModel(penalizer=penalizer).fit(weeks)
        gg = v.GammaGammaModel(penalizer=penalizer).fit(weeks)
        clv = v.customer_lifetime_value(
            bg,
            gg,
            weeks,
            horizon_months=horizon_months,
            discount_rate_monthly=discount_rate_monthly,
            unit_days=7,
        )
    except ModelError as exc:
        return ValueFit(
            per_user,
            None,
            None,
            f"value models not fitted on {len(buyers):,} buyers: {exc}",
            horizon_months,
            discount_rate_monthly,
        )
    alive = np.asarray(
        bg.probability_alive(weeks[s.FREQUENCY], weeks[s.RECENCY], weeks[s.T]), dtype=float
    )
    # BG/NBD lets a customer drop out only right after a repeat purchase, so every buyer without
    # one gets P(alive) = 1 however long ago the purchase was: no information, left empty
    per_user.loc[weeks.index, P_ALIVE] = np.where(weeks[s.FREQUENCY].to_numpy() > 0, alive, np.nan)
    per_user.loc[weeks.index, [EXPECTED_PURCHASES, v.EXPECTED_SPEND, CLV]] = clv[
        [EXPECTED_PURCHASES, v.EXPECTED_SPEND, CLV]
    ].to_numpy()
    note = (
        f"BG/NBD and Gamma-Gamma fitted on {len(buyers):,} buyers (recency and T in weeks, "
        f"penalizer {penalizer}); CLV over {horizon_months} months discounted at "
        f"{discount_rate_monthly:.1%} a month. Non-buyers have no value estimate. P(alive) is left "
        f"empty for the {int((weeks[s.FREQUENCY] == 0).sum()):,} buyers without a repeat purchase: "
        "BG/NBD gives them 1 by construction (it lets customers drop out only after a repeat "
        "purchase), so means of P(alive) are over repeat buyers."
    )
    return ValueFit(per_user, bg, gg, note, horizon_months, discount_rate_monthly)


@dataclass
class GroupValue:
    """Customer value per group (returned by :func:`value_by_group`); ``table`` is tidy."""

    table: pd.DataFrame
    group: str

    def _repr_html_(self) -> str:
        t = self.table.round(
            {"mean_p_alive": 3, "mean_expected_purchases": 2, "clv_per_user": 1, "share_clv": 3}
        )
        t["clv_total"] = t["clv_total"].round(0).astype("Int64")  # whole currency units
        return (
            f"<p><b>Value by {html.escape(self.group)}</b>: users, buyers, mean P(alive) (repeat "
            "buyers) and expected purchases over the horizon (buyers), CLV per user (non-buyers count as 0), total CLV "
            "and share of it.</p>" + t.to_html(index=False, escape=True)
        )


def value_by_group(data: pd.DataFrame, group: str) -> GroupValue:
    """Users, buyers, mean P(alive) and expected purchases (buyers), CLV per user and total, per group.

    Examples
    --------
    >>> d = pd.DataFrame({"g": [1, 1, 2], "p_alive": [0.5, np.nan, 1.0],
    ...                   "expected_purchases": [2.0, np.nan, 4.0], "clv": [10.0, np.nan, 30.0]})
    >>> value_by_group(d, "g").table[["users", "buyers", "clv_per_user", "clv_total"]].values.tolist()
    [[2.0, 1.0, 5.0, 10.0], [1.0, 1.0, 30.0, 30.0]]
    """
    require_columns(data, [group, P_ALIVE, EXPECTED_PURCHASES, CLV], "value_by_group's `data`")
    g = data.groupby(group, sort=True)
    out = pd.DataFrame(
        {
            "users": g.size().astype("int64"),
            "buyers": g[CLV].count().astype("int64"),
            "mean_p_alive": g[P_ALIVE].mean(),
            "mean_expected_purchases": g[EXPECTED_PURCHASES].mean(),
            "clv_per_user": g[CLV].sum() / g.size(),
            "clv_total": g[CLV].sum(),
        }
    )
    total = out["clv_total"].sum()
    out["share_clv"] = out["clv_total"] / total if total > 0 else np.nan
    return GroupValue(out.reset_index(), group)


# --- report support: tag rules, RFM artifact, what the data lacks ---------------------------------
def tag_rules(config) -> tuple[list[dict], str]:
    """The tag rules of ``config.tags``, or :data:`helpers.analysis.segments.tags.DEFAULT_TAGS` when it has none.

    Returns the rules and a sentence saying which were used.
    """
    from helpers.analysis.segments.tags import DEFAULT_TAGS

    declared = [
        t.model_dump() if hasattr(t, "model_dump") else dict(t)
        for t in (getattr(config, "tags", None) or [])
    ]
    if declared:
        return declared, f"{len(declared)} tags declared in the config (tags:)."
    return [dict(t) for t in DEFAULT_TAGS], (
        f"The config declares no tags: the {len(DEFAULT_TAGS)} default tags "
        "(helpers.analysis.segments.tags.DEFAULT_TAGS) are used."
    )


def rfm_artifact(buyers: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """``rfm.csv``: user_id, r_score, f_score, m_score, rfm_segment (``scores`` indexed like ``buyers``)."""
    cols = ["r_score", "f_score", "m_score", "rfm_segment"]
    require_columns(buyers, [s.USER_ID], "rfm_artifact's `buyers`")
    require_columns(scores, cols, "rfm_artifact's `scores`")
    return pd.concat([buyers[[s.USER_ID]], scores[cols]], axis=1).reset_index(drop=True)


@dataclass
class DataNotes:
    """What the project's data lacks for this review, and what it would add (displayed as a list)."""

    notes: list

    def _repr_html_(self) -> str:
        if not self.notes:
            return (
                "<p>All inputs for this review are present: events, orders and a users table.</p>"
            )
        items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return f"<p><b>Missing inputs</b> (the review runs on what is there):</p><ul>{items}</ul>"

    def __repr__(self) -> str:
        return f"DataNotes({self.notes})"


def data_notes(project, features: pd.DataFrame) -> DataNotes:
    """Sentences about absent optional inputs: no events, no orders, no users table (attributes)."""
    has = getattr(project, "has", lambda t: True)
    notes = []
    if not has("events"):
        notes.append(
            "No event source: personas use purchase behaviour only (no event mix); "
            "an event log would add what users do between purchases."
        )
    if not has("orders"):
        notes.append("No orders source: no RFM, revenue or customer value; orders would add them.")
    if not has("users"):
        notes.append(
            "No users table: cards show no attribute mix (age, city, channel, platform); "
            "a users export would add it."
        )
    if s.FREQUENCY in features.columns and features[s.FREQUENCY].notna().sum() == 0:
        notes.append("No buyers up to as_of: RFM and value sections are empty.")
    return DataNotes(notes)

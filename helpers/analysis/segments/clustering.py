"""The clustering behind the personas: who is clustered, on what, and into how many groups.

On the feature table of :func:`helpers.analysis.features.user_features`:

1. :func:`active_in_month` keeps the users active in the reviewed month (one persona per active
   user, ``personas.csv``).
2. :func:`persona_features` builds the clustering matrix: ``log1p`` of activity and value counts
   (:data:`DEFAULT_LOG_COLUMNS`), the event-mix shares ``share_<event>`` as they are (already
   0..1), each column standardized (``StandardScaler``) and clipped to +-``clip`` (default 3)
   standard deviations, so a handful of extreme users cannot pull a centroid on their own.
   Columns constant over the clustered users carry no information and are dropped.
3. :func:`choose_k` fits k-means for every k and picks one by silhouette and stability: the
   highest silhouette among the k whose stability (mean adjusted Rand index between refits with
   different seeds) is at least ``min_stability`` and whose smallest persona holds at least
   ``min_share`` of the users; all k compete when none qualifies; equal silhouettes (to 3
   decimals) go to the smaller k. :func:`selection_reason` says so in a sentence.

:class:`helpers.analysis.segments.personas.PersonaModel` puts these together. Everything works
on per-user rows (pandas / NumPy): no raw events here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from threadpoolctl import threadpool_limits

from helpers.analysis.features import EVENTS_PER_ACTIVE_DAY_28, SHARE_PREFIX
from helpers.analysis.segments.naming import Text
from helpers.core import schema as s
from helpers.core.checks import require_columns
from helpers.core.errors import DataError, ParameterError

__all__ = [
    "DEFAULT_LOG_COLUMNS",
    "EXCLUDED_SHARES",
    "MIN_STABILITY",
    "MIN_SHARE",
    "active_in_month",
    "default_columns",
    "persona_features",
    "Scaler",
    "fit_scaler",
    "is_share",
    "kmeans",
    "KSelection",
    "choose_k",
    "selection_reason",
]

# log1p, then standardized: activity and value counts/money, heavy right tails
DEFAULT_LOG_COLUMNS = [s.ACTIVE_DAYS_28, EVENTS_PER_ACTIVE_DAY_28, s.UD_ORDERS, s.UD_REVENUE]
# share_order repeats `orders` (a purchase is an event), so it would weight buying twice
EXCLUDED_SHARES = [SHARE_PREFIX + s.ORDER_EVENT]
MINIBATCH_ABOVE = 50_000
MIN_STABILITY = 0.8
MIN_SHARE = 0.02


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


def default_columns(features: pd.DataFrame, *, exclude_events: Sequence[str] = ()) -> list[str]:
    """The default clustering columns present in ``features``.

    :data:`DEFAULT_LOG_COLUMNS` (log1p) and every ``share_<event>`` column except
    :data:`EXCLUDED_SHARES` and the shares of ``exclude_events``: pass the events that are new
    at the review date (:func:`helpers.analysis.features.new_events`), whose share says who
    tried a new feature rather than a lasting habit (the ``early_adopter`` tag covers them), so
    a feature launch does not split a persona. An orders-only project has no event shares: it
    is clustered on purchase behaviour alone.

    Examples
    --------
    >>> default_columns(pd.DataFrame(columns=["user_id", "orders", "revenue", "share_search", "share_order"]))
    ['orders', 'revenue', 'share_search']
    >>> default_columns(pd.DataFrame(columns=["orders", "share_search", "share_live"]), exclude_events=["live"])
    ['orders', 'share_search']
    """
    skip = set(EXCLUDED_SHARES) | {SHARE_PREFIX + str(e) for e in exclude_events}
    cols = [c for c in DEFAULT_LOG_COLUMNS if c in features.columns]
    cols += [c for c in features.columns if str(c).startswith(SHARE_PREFIX) and c not in skip]
    return cols


def is_share(col: str) -> bool:
    """Whether ``col`` is an event share (taken as it is, no log1p)."""
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
        if not is_share(c):
            if (x < 0).any():
                raise DataError(
                    f"column {c!r} must be >= 0 to take log1p, but has "
                    f"{int((x < 0).sum())} negative value(s), e.g. {float(x[x < 0].iloc[0])}."
                )
            x = np.log1p(x)
        out[c] = x
    return out


@dataclass
class Scaler:
    """The fitted scaling of the clustering matrix: ``z = clip((raw - mean) / scale)``."""

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


def fit_scaler(features: pd.DataFrame, columns, clip) -> tuple[Scaler, list[str]]:
    """The scaling of ``columns`` over ``features`` and the constant columns it left out."""
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
    return Scaler(kept, raw[kept].mean().to_numpy(), sd[kept].to_numpy(), clip), constant


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
    scaler, _ = fit_scaler(features, columns, clip)
    return scaler.transform(features)


# --- choosing k ----------------------------------------------------------------------------------
def kmeans(k: int, n: int, seed: int, n_init: int):
    """k-means for ``n`` rows: mini-batch above :data:`MINIBATCH_ABOVE` rows."""
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
        (stability >= min_stability and smallest share >= min_share), ``chosen``. Empty when
        ``k`` was set by parameter.
    k : int
        The chosen k.
    n_users, n_sample : int
        Rows clustered; rows the stability was computed on.
    n_silhouette : int
        Rows the silhouette was computed on (a sample: its cost grows with n^2).
    min_stability, min_share : float
        The thresholds a k had to meet to be eligible.
    chosen_by : {"selection", "parameter"}
        Whether k was chosen by the rule or set by the ``k`` parameter.
    labels : dict
        k -> cluster labels of the main fit (kept for the persona model).
    """

    table: pd.DataFrame
    k: int
    n_users: int
    n_sample: int
    n_silhouette: int = 0
    min_stability: float = MIN_STABILITY
    min_share: float = MIN_SHARE
    chosen_by: str = "selection"
    labels: dict = field(default_factory=dict, repr=False)

    @property
    def runner_up(self) -> pd.Series | None:
        """The row of the next best k by the same rule (None when no other k competed)."""
        if self.table.empty:
            return None
        t = self.table
        pool = t[t["eligible"]] if t["eligible"].any() else t
        pool = pool.assign(_s=pool["silhouette"].round(3).fillna(-np.inf))
        others = pool[pool["k"] != self.k].sort_values(["_s", "k"], ascending=[False, True])
        return others.drop(columns="_s").iloc[0] if len(others) else None

    def __repr__(self) -> str:
        return f"KSelection(k={self.k}, n_users={self.n_users})"


def selection_reason(selection: KSelection, *, text: Text) -> str:
    """Why this k, in one sentence of the report language (``text``: the message function).

    The sentence is stored with the personas (``k_reason`` in ``persona_cards.json``).

    Examples
    --------
    >>> from helpers.display.text import t
    >>> sel = KSelection(pd.DataFrame(), k=4, n_users=100, n_sample=0, chosen_by="parameter")
    >>> selection_reason(sel, text=t)
    'k = 4 was set by the `k` parameter.'
    """
    if selection.chosen_by == "parameter":
        return text("personas.k.reason.parameter", k=selection.k)
    t = selection.table
    best = t[t["k"] == selection.k].iloc[0]
    runner = selection.runner_up
    runner_text = (
        text("personas.k.reason.runner_up", k=int(runner["k"]), silhouette=runner["silhouette"])
        if runner is not None
        else ""
    )
    return text(
        "personas.k.reason.eligible" if t["eligible"].any() else "personas.k.reason.unstable",
        k=selection.k,
        silhouette=best["silhouette"],
        stability=best["stability"],
        min_stability=selection.min_stability,
        min_share=selection.min_share,
        runner_up=runner_text,
    )


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

    Rule: the highest silhouette among the k whose stability is at least
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
            main = kmeans(k, n, random_state, n_init).fit(Z)
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
                else kmeans(k, len(sample), random_state, n_init).fit(Z[sample]).labels_
            ]
            refits += [
                kmeans(k, len(sample), random_state + i, n_init).fit(Z[sample]).labels_
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
    return KSelection(
        table=table,
        k=k,
        n_users=n,
        n_sample=len(sample),
        n_silhouette=len(sil_idx),
        min_stability=min_stability,
        min_share=min_share,
        labels=labels,
    )

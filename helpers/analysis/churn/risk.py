"""Churn risk for the users active at ``as_of``: a model validated by a back-test.

Label (observable, no look-ahead beyond the data): at a scoring date ``s``, among users *active
at s* (an active day in ``(s - inactive_days, s]``, i.e. not churned at ``s`` by the kit's rule),
``churned = 1`` when the user has no active day in ``(s, s + horizon_days]``. With
``horizon_days == inactive_days`` this is exactly "has churned by ``s + horizon_days``" under the
survival definition of :mod:`helpers.analysis.churn.lives`.

Dates: train at ``s_train = as_of - 2 * horizon`` (labels complete by ``as_of - horizon``), score
at ``s_test = as_of - horizon`` and compare with who actually churned by ``as_of`` (the
back-test); then refit at ``s_test`` (labels complete by ``as_of``) and score everyone active at
``as_of``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from helpers.analysis.features import to_frame
from helpers.core import schema as S
from helpers.core.checks import as_date, positive_int, require_columns
from helpers.core.errors import NotEnoughData, ParameterError

LABEL = "churned"
FEATURES = [
    "days_since_active",
    "active_days_7",
    "active_days_28",
    "active_days_90",
    "trend_14",
    "events_per_active_day",
    "tenure_days",
    "orders",
    "revenue",
]
FEATURE_DOCS = {
    "days_since_active": "days from the last active day to s",
    "active_days_7": "active days in (s-7, s]",
    "active_days_28": "active days in (s-28, s]",
    "active_days_90": "active days in (s-90, s]",
    "trend_14": "active days in (s-14, s] minus active days in (s-28, s-14]",
    "events_per_active_day": "active events per active day in (s-90, s]",
    "tenure_days": "days from the first active day to s",
    "orders": "purchases up to s",
    "revenue": "purchase revenue up to s",
}
DEFAULT_BANDS = (0.25, 0.5, 0.75)
BAND_NAMES = ("low", "medium", "high", "critical")
#: The bands that put a user on the at-risk list.
HIGH_RISK_BANDS = ("high", "critical")
#: Directions of a driver: the user's value is on the risky high or low side of the feature.
DRIVER_DIRECTIONS = ("high", "low")

__all__ = [
    "risk_features",
    "Backtest",
    "ChurnRiskModel",
    "split_drivers",
    "FEATURES",
    "FEATURE_DOCS",
    "BAND_NAMES",
    "HIGH_RISK_BANDS",
]


def risk_features(
    user_day: ibis.Table, *, at, inactive_days: int = 30, horizon_days: int | None = None
) -> pd.DataFrame:
    """Per user active at ``at``: the risk features, and the label when ``horizon_days`` is given.

    One engine aggregation over ``user_day`` rows up to ``at`` (plus ``at + horizon_days`` for
    the label); only one row per user comes back. Features are listed in ``FEATURE_DOCS``.

    Parameters
    ----------
    user_day : ibis.Table
    at : date or str
        The scoring date ``s``.
    inactive_days : int
        Users with an active day in ``(s - inactive_days, s]`` are scored.
    horizon_days : int, optional
        Adds ``churned`` = 1 when there is no active day in ``(s, s + horizon_days]``.
    """
    s = as_date(at, "at")
    k = positive_int(inactive_days, "inactive_days", unit="days")
    require_columns(
        user_day, [S.USER_ID, S.DAY, S.UD_ACTIVE_EVENTS, S.UD_ORDERS, S.UD_REVENUE], "user_day"
    )
    t = user_day
    end = s + _dt.timedelta(days=horizon_days) if horizon_days else s
    t = t.filter(t[S.DAY] <= ibis.literal(end))
    ago = ibis.literal(s).delta(t[S.DAY].cast("date"), unit="day")  # 0 = s, negative = future
    active = t[S.UD_ACTIVE_EVENTS] > 0
    past = ago >= 0

    def n_days(lo, hi):  # active days with lo <= ago < hi
        return ibis.ifelse(active & (ago >= lo) & (ago < hi), 1, 0).sum()

    aggs = dict(
        _last=t[S.DAY].max(where=active & past),
        _first=t[S.DAY].min(where=active & past),
        active_days_7=n_days(0, 7),
        active_days_28=n_days(0, 28),
        active_days_90=n_days(0, 90),
        _last14=n_days(0, 14),
        _prev14=n_days(14, 28),
        _events_90=t[S.UD_ACTIVE_EVENTS].sum(where=past & (ago < 90)),
        orders=t[S.UD_ORDERS].sum(where=past),
        revenue=t[S.UD_REVENUE].sum(where=past),
    )
    if horizon_days:
        aggs["_future"] = ibis.ifelse(active & (ago < 0), 1, 0).sum()
    g = t.group_by(t[S.USER_ID].cast("string").name(S.USER_ID)).aggregate(**aggs)
    g = g.filter(g._last.notnull())
    g = g.mutate(
        days_since_active=ibis.literal(s).delta(g._last.cast("date"), unit="day"),
        tenure_days=ibis.literal(s).delta(g._first.cast("date"), unit="day"),
    )
    g = g.filter(g.days_since_active < k)
    df = to_frame(g)
    out = pd.DataFrame({S.USER_ID: df[S.USER_ID].astype(str)})
    for c in ("days_since_active", "active_days_7", "active_days_28", "active_days_90"):
        out[c] = df[c].fillna(0).astype(float)
    out["trend_14"] = (df["_last14"].fillna(0) - df["_prev14"].fillna(0)).astype(float)
    out["events_per_active_day"] = (
        (df["_events_90"].fillna(0) / df["active_days_90"].where(df["active_days_90"] > 0))
        .fillna(0)
        .astype(float)
    )
    out["tenure_days"] = df["tenure_days"].astype(float)
    out["orders"] = df["orders"].fillna(0).astype(float)
    out["revenue"] = df["revenue"].fillna(0).astype(float)
    if horizon_days:
        out[LABEL] = (df["_future"].fillna(0) == 0).astype(int)
    return out.sort_values(S.USER_ID, kind="stable").reset_index(drop=True)


def _encode_extra(extra: pd.DataFrame | None) -> pd.DataFrame | None:
    """Numeric columns pass through; others become 0/1 columns (one per level)."""
    if extra is None:
        return None
    require_columns(extra, [S.USER_ID], "The `extra` per-user table")
    e = extra.drop_duplicates(S.USER_ID).copy()
    e[S.USER_ID] = e[S.USER_ID].astype(str)
    cat = [
        c
        for c in e.columns
        if c != S.USER_ID
        and not (pd.api.types.is_numeric_dtype(e[c]) or pd.api.types.is_bool_dtype(e[c]))
    ]
    e = pd.get_dummies(e, columns=cat, dtype=float)
    for c in e.columns:
        if c != S.USER_ID:
            e[c] = e[c].astype(float)
    return e


@dataclass(frozen=True)
class Backtest:
    """How well the risk model, trained at an earlier date, ranked who then churned.

    Attributes
    ----------
    s_train, s_test : datetime.date
        Training date (``as_of - 2 * horizon``) and back-test scoring date (``as_of - horizon``).
    n_train : int
        Users active at ``s_train`` (the training rows).
    n_fit : int
        Rows the model was fitted on (``n_train``, or the sample of ``max_train_rows``).
    n_test : int
        Users active at ``s_test`` (scored and compared with who churned by ``as_of``).
    base_rate : float
        Share of them who churned.
    auc : float
        ROC AUC of the scores (NaN when everyone or no one churned).
    precision_top_decile : float
        Share who churned among the riskiest tenth.
    lift_top_decile : float
        ``precision_top_decile / base_rate``.
    baseline_auc, baseline_precision_top_decile : float
        The same two scores of the recency baseline on the same users: days since the last
        active day as the risk (the longer ago, the riskier). A model that does not beat it
        adds nothing a sort by recency would not give.
    """

    s_train: _dt.date
    s_test: _dt.date
    n_train: int
    n_fit: int
    n_test: int
    base_rate: float
    auc: float
    precision_top_decile: float
    lift_top_decile: float
    baseline_auc: float = float("nan")
    baseline_precision_top_decile: float = float("nan")

    @property
    def beats_baseline(self) -> bool:
        """Whether the model ranks better than recency alone: a higher AUC by at least
        :data:`BASELINE_MARGIN`, or more churners among the riskiest tenth by at least
        :data:`BASELINE_PRECISION_MARGIN` (the users a save campaign reaches first). NaN scores
        compare as not better."""
        return bool(
            self.auc >= self.baseline_auc + BASELINE_MARGIN
            or self.precision_top_decile
            >= self.baseline_precision_top_decile + BASELINE_PRECISION_MARGIN
        )


#: AUC points a model must gain over the recency baseline to count as better than it.
BASELINE_MARGIN = 0.01
#: Or top-decile precision it must gain (2 percentage points).
BASELINE_PRECISION_MARGIN = 0.02


def _ranked(y: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """ROC AUC and top-decile precision of ``score`` (higher = riskier) against ``y``.

    >>> _ranked(np.array([0, 0, 1, 1]), np.array([1.0, 2.0, 3.0, 4.0]))
    (1.0, 1.0)
    """
    from sklearn.metrics import roc_auc_score

    auc = float(roc_auc_score(y, score)) if len(np.unique(y)) > 1 else np.nan
    top = np.argsort(-score, kind="stable")[: max(1, int(np.ceil(len(score) / 10)))]
    return auc, float(y[top].mean())


class ChurnRiskModel:
    """Probability that a currently active user churns within ``horizon_days``, back-tested.

    Parameters
    ----------
    horizon_days : int, default 30
    inactive_days : int, default 30
        The churn rule; defines who is "active at s".
    model : {"hgb", "logistic"}, default "hgb"
        ``HistGradientBoostingClassifier`` or a standardized ``LogisticRegression``.
    max_train_rows : int, default 200_000
        Above this many training users, a sample stratified by the label (same churn share, so
        probabilities stay calibrated) is used for the fit; everyone is scored.
    bands : tuple of float, default (0.25, 0.5, 0.75)
        Probability cut-offs of the risk bands low < 0.25 <= medium < 0.5 <= high < 0.75 <=
        critical.
    n_drivers : int, default 3
    n_threads : int or None, default 1
        OpenMP threads while fitting and scoring (limited only inside those calls, with
        threadpoolctl). One thread avoids the heavy oversubscription slowdown of gradient boosting
        on small, shared machines; None keeps the library default.
    random_state : int, default 0

    Attributes
    ----------
    backtest_ : Backtest
        Training and scoring dates, users, base rate, ROC AUC, top-decile precision and lift.
    calibration_ : DataFrame
        Per decile of predicted risk (10 = riskiest): users, mean_predicted, observed_rate.
    risk_ : DataFrame
        Per user active at ``as_of``: ``user_id``, ``churn_risk_<h>d``, ``risk_band``,
        ``drivers`` and the features.
    band_summary_ : DataFrame
        Users and mean risk per band: ``risk_band``, ``users``, ``mean_risk``.
    high_risk_share_ : float
        Share of the users scored at ``as_of`` in the high or critical band.
    as_of_ : datetime.date
    feature_names_ : list of str

    Notes
    -----
    Drivers. Logistic regression: the features with the largest positive ``coefficient x
    standardized value``. Gradient boosting: each feature's direction is the sign of its Spearman
    correlation with the predicted risk among the scored users; a user's score on it is how far
    their percentile rank lies on the risky side of the median (0 to 0.5); the drivers are the
    ``n_drivers`` features with the highest score above 0.25 (the user is in the riskiest
    quarter on it), shown as ``feature (high)`` or ``feature (low)``.

    Examples
    --------
    >>> m = ChurnRiskModel().fit(p.user_day, as_of="2024-06-30")       # doctest: +SKIP
    >>> m.risk_.head()                                                 # doctest: +SKIP
    """

    def __init__(
        self,
        horizon_days: int = 30,
        inactive_days: int = 30,
        *,
        model: str = "hgb",
        max_train_rows: int = 200_000,
        bands: Sequence[float] = DEFAULT_BANDS,
        n_drivers: int = 3,
        n_threads: int | None = 1,
        random_state: int = 0,
    ):
        self.horizon_days = horizon_days
        self.inactive_days = inactive_days
        self.model = model
        self.max_train_rows = max_train_rows
        self.bands = bands
        self.n_drivers = n_drivers
        self.n_threads = n_threads
        self.random_state = random_state

    @property
    def risk_col(self) -> str:
        return S.CHURN_RISK_30D if self.horizon_days == 30 else f"churn_risk_{self.horizon_days}d"

    def _estimator(self):
        if self.model == "hgb":
            from sklearn.ensemble import HistGradientBoostingClassifier

            # small, regularized trees: the features are few and monotone-ish, and big trees
            # overfit the few thousand users of a small product into overconfident risks
            return HistGradientBoostingClassifier(
                max_iter=100,
                learning_rate=0.1,
                max_leaf_nodes=15,
                min_samples_leaf=40,
                l2_regularization=1.0,
                random_state=self.random_state,
            )
        if self.model == "logistic":
            from sklearn.impute import SimpleImputer
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            return make_pipeline(
                SimpleImputer(strategy="median"),
                StandardScaler(),
                LogisticRegression(max_iter=2000),
            )
        raise ParameterError(
            "The value for `model` must be one of ['hgb', 'logistic'], but "
            f"{self.model!r} was passed."
        )

    def _frame(self, user_day, at, extra, label: bool) -> pd.DataFrame:
        df = risk_features(
            user_day,
            at=at,
            inactive_days=self.inactive_days,
            horizon_days=self.horizon_days if label else None,
        )
        if extra is not None:
            df = df.merge(extra, on=S.USER_ID, how="left")
        return df

    def _fit_at(self, df: pd.DataFrame):
        from sklearn.model_selection import train_test_split

        y = df[LABEL].to_numpy()
        if len(np.unique(y)) < 2:
            raise NotEnoughData(
                f"Cannot fit churn risk: at the training date every one of the "
                f"{len(y):,} active users has churned = {y[0] if len(y) else '-'}; "
                "widen the data or change `horizon_days`."
            )
        X = df[self.feature_names_]
        if len(df) > self.max_train_rows:
            X, _, y, _ = train_test_split(
                X, y, train_size=self.max_train_rows, stratify=y, random_state=self.random_state
            )
        est = self._estimator()
        with self._threads():
            est.fit(X, y)
        return est, len(y)

    def _threads(self):
        if self.n_threads is None:
            return contextlib.nullcontext()
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=int(self.n_threads))

    def fit(
        self, user_day: ibis.Table, *, as_of, extra: pd.DataFrame | None = None
    ) -> ChurnRiskModel:
        h = positive_int(self.horizon_days, "horizon_days", unit="days")
        positive_int(self.inactive_days, "inactive_days", unit="days")
        as_of = as_date(as_of)
        s_test = as_of - _dt.timedelta(days=h)
        s_train = as_of - _dt.timedelta(days=2 * h)
        ex = _encode_extra(extra)
        self.feature_names_ = FEATURES + (
            [c for c in ex.columns if c != S.USER_ID] if ex is not None else []
        )
        # in id order: ties of the recency baseline break the same way on every run and engine
        train = self._frame(user_day, s_train, ex, label=True)
        test = self._frame(user_day, s_test, ex, label=True).sort_values(S.USER_ID, kind="stable")
        test = test.reset_index(drop=True)
        if len(train) == 0 or len(test) == 0:
            raise NotEnoughData(
                f"No active users at {s_train} or {s_test}: the data must cover at "
                f"least 2 x horizon_days ({2 * h}) days before as_of {as_of}."
            )
        est, n_fit = self._fit_at(train)
        with self._threads():
            p = est.predict_proba(test[self.feature_names_])[:, 1]
        y = test[LABEL].to_numpy()
        auc, precision = _ranked(y, p)
        recency = test["days_since_active"].to_numpy(dtype=float)
        baseline_auc, baseline_precision = _ranked(y, recency)
        base = float(y.mean())
        self.backtest_ = Backtest(
            s_train=s_train,
            s_test=s_test,
            n_train=len(train),
            n_fit=n_fit,
            n_test=len(test),
            base_rate=base,
            auc=auc,
            precision_top_decile=precision,
            lift_top_decile=precision / base if base > 0 else np.nan,
            baseline_auc=baseline_auc,
            baseline_precision_top_decile=baseline_precision,
        )
        dec = (
            pd.Series(p).rank(method="first").pipe(lambda r: np.ceil(r * 10 / len(r))).astype(int)
        )
        cal = (
            pd.DataFrame({"decile": dec, "p": p, "y": y})
            .groupby("decile")
            .agg(users=("p", "size"), mean_predicted=("p", "mean"), observed_rate=("y", "mean"))
        )
        self.calibration_ = cal.reset_index()

        self.estimator_, self.n_fit_ = self._fit_at(test)
        self.risk_ = self._predict(user_day, as_of, ex)
        self.band_summary_ = (
            self.risk_.groupby(S.RISK_BAND, observed=False)
            .agg(users=(self.risk_col, "size"), mean_risk=(self.risk_col, "mean"))
            .reset_index()
        )
        self.high_risk_share_ = float(self.risk_[S.RISK_BAND].isin(HIGH_RISK_BANDS).mean())
        self.as_of_ = as_of
        return self

    def predict(
        self, user_day: ibis.Table, *, at, extra: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Risk, band and drivers for every user active at ``at``, with the fitted model."""
        return self._predict(user_day, as_date(at, "at"), _encode_extra(extra))

    def _predict(self, user_day, at: _dt.date, ex: pd.DataFrame | None) -> pd.DataFrame:
        df = self._frame(user_day, at, ex, label=False)
        for c in self.feature_names_:
            if c not in df.columns:
                df[c] = 0.0
        X = df[self.feature_names_]
        with self._threads():
            p = self.estimator_.predict_proba(X)[:, 1] if len(df) else np.array([])
        out = pd.DataFrame({S.USER_ID: df[S.USER_ID], self.risk_col: p})
        edges = [-np.inf, *self.bands, np.inf]
        out[S.RISK_BAND] = pd.cut(out[self.risk_col], edges, labels=list(BAND_NAMES), right=False)
        out["drivers"] = self._drivers(X, p) if len(df) else []
        return pd.concat([out, df[self.feature_names_]], axis=1)

    def _drivers(self, X: pd.DataFrame, p: np.ndarray) -> list[str]:
        names = np.array(self.feature_names_)
        Xf = X.astype(float)
        if self.model == "logistic":
            imp, scaler, lr = (self.estimator_[i] for i in range(3))
            z = scaler.transform(imp.transform(Xf))
            score = z * lr.coef_[0]
            labels = np.where(z > 0, " (high)", " (low)")
            threshold = 0.0
        else:
            pct = Xf.rank(pct=True).fillna(0.5).to_numpy()
            sign = np.array(
                [
                    np.sign(pd.Series(Xf[c]).corr(pd.Series(p, index=Xf.index), method="spearman"))
                    if Xf[c].nunique() > 1
                    else 0.0
                    for c in Xf.columns
                ]
            )
            sign = np.nan_to_num(sign)
            score = (pct - 0.5) * sign
            labels = np.where(sign > 0, " (high)", " (low)")[None, :].repeat(len(Xf), 0)
            threshold = 0.25
        idx = np.argsort(-score, axis=1, kind="stable")[:, : self.n_drivers]
        out = []
        for i, row in enumerate(idx):
            out.append(", ".join(names[j] + labels[i, j] for j in row if score[i, j] > threshold))
        return out


def split_drivers(drivers) -> list[tuple[str, str]]:
    """The ``(feature, direction)`` pairs of a ``drivers`` text of :class:`ChurnRiskModel`.

    Examples
    --------
    >>> split_drivers("days_since_active (high), active_days_7 (low)")
    [('days_since_active', 'high'), ('active_days_7', 'low')]
    >>> split_drivers(""), split_drivers(float("nan"))
    ([], [])
    """
    if not isinstance(drivers, str):
        return []
    out = []
    for part in drivers.split(", "):
        name, _, direction = part.strip().rpartition(" (")
        direction = direction.rstrip(")")
        if name and direction in DRIVER_DIRECTIONS:
            out.append((name, direction))
    return out

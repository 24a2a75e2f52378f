"""Cox proportional-hazards model of churn: hazard ratios, a proportional-hazards check and a
held-out concordance.

:class:`CoxModel` is the estimator (``fit`` returns ``self``, results end in ``_``);
:func:`fit_cox` is the kit's model of churn on the landmark table of
:func:`helpers.analysis.churn.covariates.early_life_covariates`, and returns a
:class:`CoxReadout` with what it was fitted on.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.analysis.churn.common import DURATION_DAYS, ENTRY_DAYS, EVENT, usable_lives
from helpers.analysis.churn.covariates import (
    NPS_COVARIATES,
    EarlyLife,
    covariate_values,
    cox_covariates,
    cox_strata,
    level_of,
    protected,
)
from helpers.core import schema as S
from helpers.core.errors import DataError, ModelError, NotEnoughData

__all__ = ["CoxModel", "concordance_within", "schoenfeld_test", "CoxReadout", "fit_cox"]


class CoxModel:
    """Cox proportional-hazards model of churn with a PH check and held-out concordance.

    ``fit`` (1) splits users into train/test (``test_size``, stratified by event,
    ``random_state``), (2) fits ``lifelines.CoxPHFitter`` on the train part and tests proportional
    hazards per covariate (``proportional_hazard_test``, rank time transform, Schoenfeld
    residuals), (3) stratifies on covariates that fail at ``ph_alpha`` (binary/categorical ones as
    they are, others by quartile) except those in ``protect``, refits, and measures the
    concordance of the train fit on the test part, (4) refits on all rows for the reported hazard
    ratios.

    With ``entry_col`` (and ``id_col``) the rows are periods of lives in counting-process form:
    a row is at risk in ``(entry, duration]``, a life may have several rows (e.g. one per
    stratum it passed through, see ``covariates.with_landmark_persona``) and its event is on
    its last row. Lives, not rows, are then split into train and test; the L2 penalty is
    scaled by lives / rows, so splitting a life into periods leaves the fit nearly as it is
    (lifelines weighs the penalty by rows; it also standardizes the covariates over rows, so
    long lives, with more rows, move the fit by a fraction of a percent); the PH test is :func:`schoenfeld_test` (lifelines has
    no residuals with delayed entry), and the concordance is taken over the held-out lives'
    last rows.

    Parameters
    ----------
    penalizer : float, default 0.01
        L2 penalty (lifelines ``penalizer``).
    strata : list of str, optional
        Covariates to stratify on from the start.
    ph_alpha : float, default 0.01
        PH test level below which a covariate is stratified.
    stratify_failing : bool, default True
        Set False to only report PH failures.
    protect : sequence of str
        Covariates whose hazard ratio is the point of the analysis: never stratified away
        (their PH test result is still reported).
    test_size : float, default 0.25
    random_state : int, default 0
    alpha : float, default 0.05
        1 - confidence level of the hazard-ratio intervals.
    ph_max_rows : int or None, default 50_000
        The PH test reads at most this many train rows: beyond it, a random subsample drawn
        with ``random_state`` (None: all), on which the model is fitted again and tested.
        lifelines computes the Schoenfeld residuals in a Python loop over rows (17 s for 200k
        lives); on tens of thousands of lives the test already detects any departure that
        matters, and the hazard ratios still come from every row.
        Samples with fewer train rows (the bundled 20k-user sample has about 6k) are tested on
        all of them.

    Attributes
    ----------
    hazard_ratios_ : DataFrame
        covariate, hr, hr_lower, hr_upper, p.
    ph_test_ : DataFrame
        covariate, test_statistic, p, fails.
    ph_rows_, n_train_ : int
        Train rows the PH test read, and train rows in all.
    stratified_on_ : list of str
        Covariates moved into strata because they failed the PH test (plus ``strata``).
    concordance_ : float
        Harrell's C of the train fit on the held-out users, over pairs within a stratum when the
        model is stratified (:func:`concordance_within`).
    model_ : lifelines.CoxPHFitter
        The fit on all rows.
    """

    def __init__(
        self,
        penalizer: float = 0.01,
        strata: Sequence[str] | None = None,
        *,
        ph_alpha: float = 0.01,
        stratify_failing: bool = True,
        protect: Sequence[str] = (),
        test_size: float = 0.25,
        random_state: int = 0,
        alpha: float = 0.05,
        ph_max_rows: int | None = 50_000,
    ):
        self.penalizer = penalizer
        self.strata = strata
        self.ph_alpha = ph_alpha
        self.stratify_failing = stratify_failing
        self.protect = protect
        self.test_size = test_size
        self.random_state = random_state
        self.alpha = alpha
        self.ph_max_rows = ph_max_rows

    def _fit_cph(self, df, duration_col, event_col, covariates, strata):
        from lifelines import CoxPHFitter

        entry, ids = self._entry_col, self._id_col
        scale = df[ids].nunique() / len(df) if entry else 1.0
        cph = CoxPHFitter(penalizer=self.penalizer * scale, alpha=self.alpha)
        cols = [duration_col, event_col, *covariates, *strata, *([entry] if entry else [])]
        try:
            cph.fit(
                df[cols],
                duration_col,
                event_col,
                strata=list(strata) or None,
                entry_col=entry,
            )
        except Exception as e:  # lifelines raises ConvergenceError and numpy errors alike
            raise ModelError(
                f"The Cox model did not converge on covariates {list(covariates)} "
                f"({type(e).__name__}: {str(e)[:200]}); drop near-constant or "
                "collinear covariates or raise `penalizer`."
            ) from None
        return cph

    def fit(
        self,
        df: pd.DataFrame,
        duration_col: str = DURATION_DAYS,
        event_col: str = EVENT,
        covariates: Sequence[str] | None = None,
        *,
        entry_col: str | None = None,
        id_col: str = S.USER_ID,
    ) -> CoxModel:
        # heavy libraries, imported when a model is fitted (not by every notebook)
        from lifelines.statistics import proportional_hazard_test
        from sklearn.model_selection import train_test_split

        strata0 = list(self.strata or [])
        self._entry_col, self._id_col = entry_col, id_col
        spell = [entry_col, id_col] if entry_col else []
        if covariates is None:
            covariates = [
                c
                for c in df.columns
                if c not in (duration_col, event_col, S.USER_ID, *strata0, *spell)
                and pd.api.types.is_numeric_dtype(df[c])
            ]
        covariates = [c for c in covariates if c not in strata0]
        data, self.n_dropped_ = usable_lives(
            df, duration_col, event_col, [*covariates, *strata0, *spell]
        )
        if entry_col:
            data = data[data[duration_col] > data[entry_col]]
        data = data[[duration_col, event_col, *covariates, *strata0, *spell]].copy()
        for c in covariates:
            data[c] = covariate_values(data[c])
        bad = [c for c in covariates if not pd.api.types.is_numeric_dtype(data[c])]
        if bad:
            raise DataError(
                f"Cox covariates must be numeric (one-hot categories first, e.g. with "
                f"early_life_covariates); {bad} are not (example value "
                f"{data[bad[0]].iloc[0]!r})."
            )
        data[covariates] = data[covariates].astype(float)
        const = [c for c in covariates if data[c].nunique() < 2]
        covariates = [c for c in covariates if c not in const]
        self.dropped_constant_ = const
        if data[event_col].sum() < 2 or not covariates:
            raise NotEnoughData(
                f"Too little to fit a Cox model: {int(data[event_col].sum())} "
                f"churned lives and covariates {covariates}."
            )
        if entry_col:  # lives, not rows, go to train or test
            lives = data.groupby(id_col, sort=True)[event_col].max()
            train_ids, _ = train_test_split(
                lives.index.to_numpy(),
                test_size=self.test_size,
                random_state=self.random_state,
                stratify=lives.to_numpy(),
            )
            in_train = data[id_col].isin(set(train_ids))
            train, test = data[in_train], data[~in_train]
        else:
            train, test = train_test_split(
                data,
                test_size=self.test_size,
                random_state=self.random_state,
                stratify=data[event_col],
            )
        cph = self._fit_cph(train, duration_col, event_col, covariates, strata0)
        tested, tested_fit = train, cph
        if self.ph_max_rows is not None and len(train) > self.ph_max_rows:
            # the test reads the rows the model was fitted on: fit the subsample itself
            if entry_col:
                ids = train[id_col].drop_duplicates()
                keep = int(len(ids) * self.ph_max_rows / len(train))
                chosen = set(ids.sample(n=keep, random_state=self.random_state))
                tested = train[train[id_col].isin(chosen)]
            else:
                tested = train.sample(n=self.ph_max_rows, random_state=self.random_state)
            tested_fit = self._fit_cph(tested, duration_col, event_col, covariates, strata0)
        if entry_col:  # lives, as the report counts them
            self.ph_rows_, self.n_train_ = tested[id_col].nunique(), train[id_col].nunique()
        else:
            self.ph_rows_, self.n_train_ = len(tested), len(train)
        if entry_col:
            ph = schoenfeld_test(
                tested_fit, tested, duration_col, event_col, covariates, strata0, entry_col
            )
        else:
            ph = proportional_hazard_test(
                tested_fit,
                tested[[duration_col, event_col, *covariates, *strata0]],
                time_transform="rank",
            ).summary
            ph = ph.reset_index().rename(columns={"index": "covariate"})
            ph = pd.DataFrame(
                {
                    "covariate": ph.iloc[:, 0].astype(str),
                    "test_statistic": ph["test_statistic"].astype(float),
                    "p": ph["p"].astype(float),
                }
            )
        ph["fails"] = ph["p"] < self.ph_alpha
        self.ph_test_ = ph
        failing = [c for c in ph.loc[ph["fails"], "covariate"] if c not in self.protect]
        self.stratified_on_ = list(strata0)
        if self.stratify_failing and failing:
            for c in failing:
                if data[c].nunique() > 5:
                    q = pd.qcut(data[c], 4, labels=False, duplicates="drop")
                    data[f"{c}__q4"] = q
                    self.stratified_on_.append(f"{c}__q4")
                else:
                    self.stratified_on_.append(c)
            covariates = [c for c in covariates if c not in failing]
            train, test = data.loc[train.index], data.loc[test.index]
            if covariates:
                cph = self._fit_cph(
                    train, duration_col, event_col, covariates, self.stratified_on_
                )
        self.covariates_ = covariates
        if not covariates:
            raise ModelError(
                "Every covariate failed the proportional-hazards test and was "
                "stratified; pass the ones to keep in `protect`."
            )
        if entry_col:  # each held-out life once: its last row (its end, its last stratum)
            test = test.sort_values([id_col, duration_col], kind="stable")
            test = test.drop_duplicates(id_col, keep="last")
        risk = cph.predict_partial_hazard(test[[*covariates, *self.stratified_on_]])
        # a stratified model ranks users only within a stratum (each has its own baseline hazard)
        self.concordance_ = concordance_within(
            test[duration_col],
            -np.asarray(risk),
            test[event_col],
            test[self.stratified_on_] if self.stratified_on_ else None,
        )
        try:  # over rows: with delayed entry, not a ranking of lives
            self.concordance_train_ = float("nan") if entry_col else float(cph.concordance_index_)
        except ZeroDivisionError:  # lifelines, when no pair of train lives can be ordered
            self.concordance_train_ = float("nan")
        self.model_ = self._fit_cph(data, duration_col, event_col, covariates, self.stratified_on_)
        s = self.model_.summary
        lo, hi = (
            [c for c in s.columns if c.startswith("exp(coef) lower")][0],
            [c for c in s.columns if c.startswith("exp(coef) upper")][0],
        )
        self.hazard_ratios_ = pd.DataFrame(
            {
                "covariate": s.index.astype(str),
                "hr": s["exp(coef)"].to_numpy(),
                "hr_lower": s[lo].to_numpy(),
                "hr_upper": s[hi].to_numpy(),
                "p": s["p"].to_numpy(),
            }
        ).reset_index(drop=True)
        self.n_users_ = int(data[id_col].nunique()) if entry_col else len(data)
        self.n_events_ = int(data[event_col].sum())
        return self


def schoenfeld_test(
    fit,
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    covariates: Sequence[str],
    strata: Sequence[str] = (),
    entry_col: str | None = None,
) -> pd.DataFrame:
    """Grambsch-Therneau test of proportional hazards per covariate, with delayed entry.

    The scaled Schoenfeld residuals of a fitted ``lifelines.CoxPHFitter`` (Breslow risk sets:
    a row is at risk at an event time ``t`` when ``entry < t <= duration``, within its
    stratum) against the rank of the event times: ``T_j = (sum_i (g_i - mean g) r*_ij)^2 /
    (d * var_j * sum_i (g_i - mean g)^2)``, chi-squared with 1 degree of freedom, as lifelines'
    ``proportional_hazard_test(time_transform="rank")``, which has no residuals for models with
    delayed entry. Without ties and strata the two agree (tested); with ties, lifelines uses
    Efron's residuals, and with strata it numbers the event times across strata in turn, where
    this test ranks them all together. A life split into periods of one stratum gives the same
    statistic as the whole life (tested).

    Returns
    -------
    pandas.DataFrame
        ``covariate, test_statistic, p``.
    """
    from scipy.stats import chi2, rankdata

    cov = list(covariates)
    beta = fit.params_.loc[cov].to_numpy(float)
    var = fit.variance_matrix_.loc[cov, cov].to_numpy(float)
    x = data[cov].to_numpy(float)
    stop = data[duration_col].to_numpy(float)
    entry = data[entry_col].to_numpy(float) if entry_col else np.full(len(data), -np.inf)
    died = data[event_col].to_numpy().astype(bool)
    eta = x @ beta
    w = np.exp(eta - eta.max())  # the ratios are the same, and none overflows
    groups = (
        data.groupby(list(strata), sort=False).ngroup().to_numpy()
        if strata
        else np.zeros(len(data), dtype=int)
    )
    resid, times = [], []
    for g in np.unique(groups):
        at = np.flatnonzero(groups == g)
        t_ev = stop[at][died[at]]
        if not len(t_ev):
            continue
        wx = np.column_stack([w[at], w[at, None] * x[at]])

        def tail_sums(key, wx=wx, t_ev=t_ev):  # sums of w, w*x over rows with key >= each t
            order = np.argsort(key, kind="stable")
            tail = np.vstack([np.cumsum(wx[order][::-1], axis=0)[::-1], np.zeros(wx.shape[1])])
            return tail[np.searchsorted(key[order], t_ev, side="left")]

        risk = tail_sums(stop[at]) - tail_sums(entry[at])
        resid.append(x[at][died[at]] - risk[:, 1:] / risk[:, :1])
        times.append(t_ev)
    r = np.vstack(resid)
    d = len(r)
    scaled = d * r @ var
    g_t = rankdata(np.concatenate(times))
    g_t = g_t - g_t.mean()
    stat = (g_t @ scaled) ** 2 / (d * np.diag(var) * (g_t @ g_t))
    if not np.isfinite(stat).all():
        bad = [c for c, v in zip(cov, stat, strict=True) if not np.isfinite(v)]
        raise ModelError(
            f"The proportional-hazards test could not be computed for {bad}: rescale or drop "
            "these covariates."
        )
    return pd.DataFrame({"covariate": cov, "test_statistic": stat, "p": chi2.sf(stat, 1)})


def concordance_within(durations, scores, events, strata: pd.DataFrame | None = None) -> float:
    """Harrell's concordance over the pairs of users in the same stratum (all pairs without
    strata).

    A stratified Cox model has one baseline hazard per stratum, so its scores order users only
    within a stratum; pooling pairs across strata compares scores that do not share a baseline.
    Each stratum's concordant, tied and comparable pairs are summed (lifelines' counting).

    >>> concordance_within([1, 2, 10, 20], [1, 2, 10, 20], [1, 1, 1, 1])
    1.0
    >>> strata = pd.DataFrame({"s": ["a", "a", "b", "b"]})  # scores right within each stratum only
    >>> concordance_within([1, 2, 10, 20], [11, 12, 1, 2], [1, 1, 1, 1], strata)
    1.0
    """
    from lifelines.utils.concordance import _concordance_summary_statistics

    d = pd.DataFrame(
        {
            "t": np.asarray(durations, float),
            "s": np.asarray(scores, float),
            "e": np.asarray(events, bool),
        }
    )
    keys = (
        [np.zeros(len(d), int)]
        if strata is None or strata.shape[1] == 0
        else [np.asarray(strata[c]) for c in strata.columns]
    )
    correct = tied = pairs = 0
    for _, g in d.groupby(
        keys, sort=False, dropna=False
    ):  # a missing stratum value is a stratum too
        if len(g) < 2:
            continue
        c, t, n = _concordance_summary_statistics(
            g["t"].to_numpy(), g["s"].to_numpy(), g["e"].to_numpy()
        )
        correct, tied, pairs = correct + c, tied + t, pairs + n
    return float((correct + 0.5 * tied) / pairs) if pairs else float("nan")


@dataclass(frozen=True)
class CoxReadout:
    """The kit's Cox model of churn and what it was fitted on (see :func:`fit_cox`).

    Attributes
    ----------
    model : CoxModel
        The fitted model (hazard ratios, PH test, concordance).
    landmark_days : int
        Lives are followed from this day of the life on (the early window).
    dropped_short_lives : int
        Lives not longer than the window (left out).
    without_persona : int
        Lives left out because the model is stratified by persona and theirs is unknown.
    reference_levels : dict
        Attribute -> reference level of the one-hot attributes (see ``EarlyLife``).
    persona_from_day : int or None
        The strata are the persona each life had at each month end from this day of the life
        on (``with_landmark_persona``); None: one persona per life, as given.
    unlabelled_churned : int
        Of ``without_persona``, the lives that churned (``with_landmark_persona``).
    sampled_from : int or None
        Lives there were before the model read a random ``max_lives`` of them (None: it read
        every one).
    """

    model: CoxModel
    landmark_days: int
    dropped_short_lives: int
    without_persona: int
    reference_levels: dict[str, str]
    persona_from_day: int | None = None
    unlabelled_churned: int = 0
    sampled_from: int | None = None

    def level_of(self, covariate: str) -> tuple[str, str] | None:
        """``(attribute, level)`` of a one-hot covariate, or None."""
        return level_of(covariate, self.reference_levels)


#: The kit's Cox model reads at most this many lives (a random sample beyond): at 365,000
#: lives (1M users) the hazard ratios' intervals are already about 1% wide, and the fit took
#: 52 s and most of the churn report's memory.
MAX_LIVES = 200_000


def fit_cox(
    early: EarlyLife,
    users: pd.DataFrame | None = None,
    *,
    random_state: int = 0,
    max_lives: int | None = MAX_LIVES,
) -> CoxReadout:
    """The kit's Cox model of churn: :func:`~helpers.analysis.churn.covariates.cox_covariates`
    on the landmark table, stratified by persona when the table has one (lives without a persona
    are then left out), binary user attributes protected from stratification so their hazard
    ratios are reported. A table with ``entry_days`` (from ``with_landmark_persona``: each life
    in the persona it had at each month end) is fitted in counting-process form.

    Parameters
    ----------
    early : EarlyLife
        From ``early_life_covariates``, with ``with_landmark_persona`` (the kit's strata) or
        ``with_persona`` (one fixed persona per life, e.g. a planted one).
    users : pandas.DataFrame, optional
        The users table, to find the binary attributes to protect.
    random_state : int
        Seed of the train/test split and of the sample of lives.
    max_lives : int or None
        Beyond this many lives, the model reads a random sample of them (None: all).
    """
    table = early.table
    if table.empty and early.unlabelled_lives:
        raise NotEnoughData(
            f"No life had a persona at a month end on or after day {early.persona_from_day} "
            f"of it ({early.unlabelled_lives} lives without one): the Cox model needs lives "
            "that reach their first month end past that day."
        )
    cols = cox_covariates(early)
    strata = cox_strata(table)
    data = table.dropna(subset=[S.PERSONA]) if strata else table
    entry = ENTRY_DAYS if ENTRY_DAYS in data.columns else None
    lives = data[S.USER_ID].drop_duplicates()
    sampled_from = None
    if max_lives is not None and len(lives) > max_lives:
        sampled_from = len(lives)
        chosen = set(lives.sample(n=max_lives, random_state=random_state))
        data = data[data[S.USER_ID].isin(chosen)]
    with warnings.catch_warnings():  # lifelines' low-variance notes are about rare levels
        warnings.simplefilter("ignore")
        model = CoxModel(
            strata=strata,
            protect=protected(cols, users) + [c for c in NPS_COVARIATES if c in cols],
            random_state=random_state,
        ).fit(data, DURATION_DAYS, EVENT, cols, entry_col=entry)
    return CoxReadout(
        model=model,
        landmark_days=early.landmark_days,
        dropped_short_lives=early.dropped_short_lives,
        without_persona=early.unlabelled_lives
        + table[S.USER_ID].nunique()
        - (sampled_from or data[S.USER_ID].nunique()),
        reference_levels=dict(early.reference_levels),
        persona_from_day=early.persona_from_day if strata else None,
        unlabelled_churned=early.unlabelled_churned,
        sampled_from=sampled_from,
    )

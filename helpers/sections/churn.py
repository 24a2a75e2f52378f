"""What the ``04_churn`` notebook shows: lives and resurrections, survival by group, the Cox model,
the back-tested churn risk, the revenue at stake, the at-risk list and P(alive).

The numbers come from :mod:`helpers.analysis.churn`; this module joins the inputs of earlier
reports (personas, RFM segments, the users table), degrades with a :class:`Note` when one is
missing, so the notebook stays linear, and says how each churn result shows (``@renders``):
tables through :class:`~helpers.display.table.Table`, sentences through
:func:`~helpers.display.text.t` with their text in :mod:`helpers.display.catalog.churn`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from helpers.analysis.churn.covariates import level_of
from helpers.analysis.churn.cox import CoxModel, CoxReadout
from helpers.analysis.churn.lives import LivesOverview, ResurrectionSummary
from helpers.analysis.churn.palive import P_ALIVE_BANDS, PAliveCheck
from helpers.analysis.churn.risk import HIGH_RISK_BANDS, ChurnRiskModel, split_drivers
from helpers.analysis.churn.stake import (
    LAPSED,
    RECOVERABLE,
    RevenueAtStake,
)
from helpers.core import schema
from helpers.display.blocks import Facts, Note, Paragraph, Stack
from helpers.display.format import fmt
from helpers.display.messages import has
from helpers.display.registry import renders
from helpers.display.table import Table
from helpers.display.text import join_sentences, t, tn
from helpers.plots.churn import covariate_label, group_name
from helpers.sections.churn_artifacts import drivers_artifact, risk_artifact
from helpers.sections.churn_survival import km_by

__all__ = [
    "drivers_artifact",
    "risk_artifact",
    "life_start",
    "definition_note",
    "groups_frame",
    "km_by",
    "risk_list",
]


# --- inputs --------------------------------------------------------------------------------------
def life_start(start: str, users: pd.DataFrame | None) -> str:
    """Where lives start: ``start`` when a users table gives signups, else first activity.

    >>> life_start("signup", None), life_start("signup", pd.DataFrame({"user_id": ["a"]}))
    ('first_activity', 'signup')
    """
    return start if users is not None else "first_activity"


def groups_frame(
    surv: pd.DataFrame,
    *,
    personas: pd.DataFrame | None,
    rfm: pd.DataFrame | None,
    users: pd.DataFrame | None,
) -> pd.DataFrame:
    """Survival rows with every grouping the data offers (persona, RFM segment, channel,
    platform, plan)."""
    out = surv.copy()
    if personas is not None:
        cols = [c for c in (schema.USER_ID, "persona", "persona_name") if c in personas.columns]
        out = out.merge(personas[cols], on=schema.USER_ID, how="left")
    if rfm is not None and "rfm_segment" in rfm.columns:
        out = out.merge(rfm[[schema.USER_ID, "rfm_segment"]], on=schema.USER_ID, how="left")
    if users is not None:
        cols = [c for c in ("channel", "platform", "plan") if c in users.columns]
        out = out.merge(users[[schema.USER_ID, *cols]], on=schema.USER_ID, how="left")
    out.attrs.update(surv.attrs)  # where lives start, the churn rule: the charts say it
    return out


# --- lives and resurrection ----------------------------------------------------------------------
def definition_note(inactive_days: int, as_of: dt.date) -> Note:
    """The churn rule of this report in numbers.

    >>> definition_note(30, dt.date(2026, 10, 31)).text[:66]
    'Churn here: a life ends at its last active day when 30 days withou'
    """
    censor_day = as_of - dt.timedelta(days=inactive_days)
    return Note(
        t("churn.definition", days=inactive_days, censor_day=censor_day, as_of=as_of),
        kind="info",
    )


@renders(ResurrectionSummary)
def resurrection(r: ResurrectionSummary) -> Stack:
    """Who came back after churning: a sentence and the users per range of days to return."""
    if r.churned_users == 0:
        return Stack.of(Paragraph(t("churn.resurrection.no_churn")))
    if r.resurrected_users == 0:
        return Stack.of(Paragraph(t("churn.resurrection.none", churned=r.churned_users)))
    headline = t(
        "churn.resurrection.headline",
        share=r.resurrected_share,
        churned=r.churned_users,
        median=r.median_days_to_return,
        p25=r.p25_days_to_return,
        p75=r.p75_days_to_return,
    )
    gaps = r.gaps.assign(
        days_to_return=[
            t("churn.resurrection.range", lo=lo, hi=hi)
            if np.isfinite(hi)
            else t("churn.resurrection.range_open", lo=lo)
            for lo, hi in zip(r.gaps["days_from"], r.gaps["days_to"])
        ]
    )[["days_to_return", "users", "share"]]
    return Stack.of(
        Paragraph(headline),
        Table(gaps, caption=t("churn.resurrection.caption")),
        Paragraph(t("churn.resurrection.lower_bound")),
    )


@renders(LivesOverview)
def lives(o: LivesOverview) -> Stack:
    """The churn rule, where lives start, how they ended, and who came back."""
    rule = (
        definition_note(o.inactive_days, o.as_of)
        if o.as_of is not None and o.inactive_days is not None
        else None
    )
    how = [
        t(f"churn.lives.start.{o.start}") if o.start else None,
        t(f"churn.lives.life.{o.life}") if o.life else None,
    ]
    summary = t(
        "churn.lives.summary",
        users=o.users,
        churned=o.churned,
        share=o.churned_share,
        censored=o.censored,
        too_recent=o.too_recent,
    )
    return Stack.of(rule, Paragraph(" ".join([*(h for h in how if h), summary]))).extend(
        resurrection(o.resurrection).parts
    )


# --- the Cox model -------------------------------------------------------------------------------
def _names(columns, reference_levels, binary=()) -> str:
    return t("churn.list_separator").join(
        covariate_label(c, reference_levels, binary) for c in columns
    )


def _cox(
    model: CoxModel,
    reference_levels: dict,
    landmark_days: int | None,
    persona_from_day: int | None = None,
) -> list:
    headline = (
        t(
            "churn.cox.headline_persona",
            lives=model.n_users_,
            churned=model.n_events_,
            days=persona_from_day,
        )
        if persona_from_day
        else t(
            "churn.cox.headline",
            lives=model.n_users_,
            churned=model.n_events_,
            days=landmark_days,
        )
        if landmark_days
        else t("churn.cox.headline_plain", lives=model.n_users_, churned=model.n_events_)
    )
    concordance = t(
        "churn.cox.concordance_within" if model.stratified_on_ else "churn.cox.concordance",
        c=model.concordance_,
    )
    given = list(model.strata or [])
    failing = [c for c in model.stratified_on_ if c not in given]
    lines = [
        headline,
        concordance,
        (
            t("churn.cox.persona_strata", days=persona_from_day)
            if persona_from_day and given == [schema.PERSONA]
            else t("churn.cox.strata", names=_names(given, reference_levels))
        )
        if given
        else None,
        t("churn.cox.stratified_failing", names=_names(failing, reference_levels))
        if failing
        else None,
        t("churn.cox.constant", names=_names(model.dropped_constant_, reference_levels))
        if model.dropped_constant_
        else None,
    ]
    hr = model.hazard_ratios_
    ratios = pd.DataFrame(
        {
            "cox_covariate": [
                covariate_label(c, reference_levels, model.protect) for c in hr["covariate"]
            ],
            "hazard_ratio": hr["hr"],
            "hr_low": hr["hr_lower"],
            "hr_high": hr["hr_upper"],
            "p_value": hr["p"],
        }
    )
    ph = model.ph_test_
    ph_table = pd.DataFrame(
        {
            "cox_covariate": [
                covariate_label(c, reference_levels, model.protect) for c in ph["covariate"]
            ],
            "ph_statistic": ph["test_statistic"],
            "p_value": ph["p"],
            "ph_fails": ph["fails"].astype(bool),
        }
    )
    used = {a for a, _ in filter(None, (level_of(c, reference_levels) for c in hr["covariate"]))}
    refs = t("churn.list_separator").join(
        t("churn.covariate.level", attribute=group_name(a), level=lvl)
        for a, lvl in sorted(reference_levels.items())
        if a in used
    )
    return [
        Paragraph(" ".join(x for x in lines if x)),
        Table(
            ratios,
            caption=t("churn.cox.hr_caption"),
            note=t("churn.cox.reference", refs=refs) if refs else None,
            max_rows=40,
        ),
        Table(
            ph_table,
            caption=t("churn.cox.ph_caption"),
            note=join_sentences(
                [
                    t("churn.cox.ph_note"),
                    t("churn.cox.ph_sample", rows=model.ph_rows_, train=model.n_train_)
                    if model.ph_rows_ < model.n_train_
                    else "",
                ]
            ),
            max_rows=40,
        ),
    ]


@renders(CoxModel)
def cox_model(model: CoxModel) -> Stack:
    """Hazard ratios, the proportional-hazards test and the held-out concordance."""
    return Stack(_cox(model, {}, None))


@renders(CoxReadout)
def cox_readout(r: CoxReadout) -> Stack:
    """The kit's Cox model of churn, with its attribute levels named and what was left out."""
    parts = _cox(r.model, r.reference_levels, r.landmark_days, r.persona_from_day)
    left_out = [
        tn("churn.cox.short_lives", r.dropped_short_lives, days=r.landmark_days)
        if r.dropped_short_lives
        else None,
        (
            tn(
                "churn.cox.without_persona_by",
                r.without_persona,
                days=r.persona_from_day,
                churned=r.unlabelled_churned,
                running=r.without_persona - r.unlabelled_churned,
            )
            if r.persona_from_day
            else tn("churn.cox.without_persona", r.without_persona)
        )
        if r.without_persona
        else None,
        t("churn.cox.sampled", n=r.model.n_users_, total=r.sampled_from)
        if r.sampled_from
        else None,
    ]
    note = " ".join(x for x in left_out if x)
    return Stack([*parts, Note(note, kind="info") if note else None])


# --- churn risk ----------------------------------------------------------------------------------
def _band(code) -> str:
    return t(f"churn.band.{code}") if has(f"churn.band.{code}") else str(code)


def _band_range(lo: float, hi: float) -> str:
    if not np.isfinite(lo):
        return t("churn.band.range_below", hi=hi)
    if not np.isfinite(hi):
        return t("churn.band.range_above", lo=lo)
    return t("churn.band.range", lo=lo, hi=hi)


@renders(ChurnRiskModel)
def risk_model(m: ChurnRiskModel) -> Stack:
    """Who is at risk now, how well the model did in its back-test, calibration and bands."""
    b = m.backtest_
    risk = m.risk_
    high = int(risk[schema.RISK_BAND].isin(HIGH_RISK_BANDS).sum())
    headline = t(
        "churn.risk.headline",
        horizon=m.horizon_days,
        users=len(risk),
        as_of=m.as_of_,
        high=high,
        share=m.high_risk_share_,
    )
    backtest = t(
        "churn.risk.backtest",
        n_train=b.n_train,
        s_train=b.s_train,
        n_test=b.n_test,
        s_test=b.s_test,
        as_of=m.as_of_,
    )
    facts = Facts(
        [
            (t("churn.risk.fact.auc"), fmt(b.auc, "score")),
            (t("churn.risk.fact.precision"), fmt(b.precision_top_decile, "share")),
            (t("churn.risk.fact.base_rate"), fmt(b.base_rate, "share")),
            (t("churn.risk.fact.lift"), t("churn.risk.lift", lift=b.lift_top_decile)),
            (t("churn.risk.fact.baseline_auc"), fmt(b.baseline_auc, "score")),
            (
                t("churn.risk.fact.baseline_precision"),
                fmt(b.baseline_precision_top_decile, "share"),
            ),
        ]
    )
    baseline = Note(
        t(
            "churn.risk.baseline.beaten" if b.beats_baseline else "churn.risk.baseline.not_beaten",
            auc=b.auc,
            baseline=b.baseline_auc,
            precision=b.precision_top_decile,
            baseline_precision=b.baseline_precision_top_decile,
        ),
        kind="info" if b.beats_baseline else "warning",
    )
    if not (np.isfinite(b.baseline_auc) and np.isfinite(b.auc)):
        baseline = None  # no back-test outcome to rank (everyone or no one churned)
    cal = m.calibration_.rename(columns={"decile": "risk_decile"})
    edges = [-np.inf, *m.bands, np.inf]
    bands = m.band_summary_
    band_table = pd.DataFrame(
        {
            "risk_band": [_band(c) for c in bands[schema.RISK_BAND].astype(str)],
            "risk_range": [_band_range(lo, hi) for lo, hi in zip(edges[:-1], edges[1:])][
                : len(bands)
            ],
            "users": bands["users"],
            "mean_risk": bands["mean_risk"],
        }
    )
    return Stack.of(
        Paragraph(headline),
        Paragraph(backtest),
        facts,
        baseline,
        Table(cal, caption=t("churn.risk.calibration_caption")),
        Table(band_table, caption=t("churn.risk.bands_caption", as_of=m.as_of_)),
    )


def _drivers_text(drivers) -> str:
    parts = []
    for feature, direction in split_drivers(drivers):
        key = f"churn.feature.{feature}"
        name = t(key) if has(key) else feature
        parts.append(t(f"churn.driver.{direction}", feature=name))
    return t("churn.list_separator").join(parts)


def risk_list(table: pd.DataFrame, *, max_rows: int = 15, recoverable_days: int = 7) -> Stack:
    """Who can still be saved: the high-risk users active within ``recoverable_days``, riskiest
    first, after a sentence counting them and the high-risk users who have already lapsed.

    ``table`` is :func:`helpers.analysis.churn.stake.churn_risk_table`; the whole list, with
    each user's ``status``, is ``artifacts/churn_risk.csv``.
    """
    if len(table) == 0:
        return Stack.of(Note(t("churn.list.empty")))
    split = None
    if "status" in table.columns:
        status = table["status"].astype(str)
        split = Paragraph(
            t(
                "churn.list.split",
                high=int(status.isin([RECOVERABLE, LAPSED]).sum()),
                recoverable=int((status == RECOVERABLE).sum()),
                lapsed=int((status == LAPSED).sum()),
                days=recoverable_days,
            )
        )
        table = table[status == RECOVERABLE]
        if len(table) == 0:
            return Stack.of(split, Note(t("churn.list.none_recoverable", days=recoverable_days)))
    shown = table.assign(risk_band=[_band(c) for c in table[schema.RISK_BAND].astype(str)])
    if "drivers" in table.columns:
        shown["risk_drivers"] = [_drivers_text(d) for d in table["drivers"]]
    order = (
        schema.USER_ID,
        "persona_name",
        schema.CHURN_RISK_30D,
        schema.RISK_BAND,
        "days_since_active",
        "risk_drivers",
        "nps_detractor",
        "revenue_90d",
        "revenue_at_stake_30d",
    )
    shown = shown[[c for c in order if c in shown.columns]]
    if "nps_detractor" in table.columns and int(table["nps_detractor"].sum()):
        n = int(table["nps_detractor"].sum())
        split = Stack.of(split, Paragraph(tn("churn.list.detractors", n, total=len(table))))
    return Stack.of(
        split,
        Table(
            shown,
            caption=t("churn.list.caption_recoverable" if split else "churn.list.caption"),
            note=t("churn.list.note"),
            max_rows=max_rows,
            artifact="churn_risk.csv",
        ),
    )


@renders(RevenueAtStake)
def revenue_at_stake(r: RevenueAtStake) -> Stack:
    """The revenue at stake over the risk horizon (recoverable users), the lapsed users' revenue
    apart, per persona, with the assumption stated."""
    tab = r.table
    headline = t(
        "churn.stake.headline",
        recoverable=int(tab["recoverable_users"].sum()),
        days=r.recoverable_days,
        horizon=r.horizon_days,
        expected=float(tab["expected_revenue_30d"].sum()),
        stake=r.at_stake,
        lapsed=int(tab["lapsed_users"].sum()),
        lost=float(tab["lapsed_revenue_30d"].sum()),
    )
    money = ("expected_revenue_30d", "revenue_at_stake_30d", "lapsed_revenue_30d")
    return Stack.of(
        Paragraph(headline),
        Table(
            tab,
            caption=t("churn.stake.caption", horizon=r.horizon_days),
            note=t("churn.stake.note", horizon=r.horizon_days, window=r.window_days),
            digits=dict.fromkeys(money, 0),
            max_rows=40,
        ),
    )


# --- P(alive) ------------------------------------------------------------------------------------
@renders(PAliveCheck)
def palive(c: PAliveCheck) -> Stack:
    """Where BG/NBD's P(alive) and the churn risk disagree, and the crossing of their bands."""
    if c.status != "ok" or c.table is None:
        return Stack.of(Note(t("churn.palive.too_few")))
    note = t(
        "churn.palive.summary",
        users=c.repeat_buyers,
        disagree=c.disagree,
        share=c.disagree_share,
    )
    headers = {b: t(f"churn.palive.band.{b}") for b in P_ALIVE_BANDS}
    cross = c.table.reindex(columns=list(P_ALIVE_BANDS), fill_value=0).rename(columns=headers)
    cross.columns = list(cross.columns)
    cross = cross.reset_index()
    cross[schema.RISK_BAND] = [_band(b) for b in cross[schema.RISK_BAND].astype(str)]
    return Stack.of(
        Paragraph(note),
        Table(
            cross,
            kinds=dict.fromkeys(headers.values(), "count"),
            value_columns=list(headers.values()),
            caption=t("churn.palive.caption"),
        ),
    )

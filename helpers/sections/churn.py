"""Glue for the ``04_churn`` notebook: groups from earlier reports, covariate choice, the
BG/NBD view beside the survival view, and the at-risk list artifact.

Survival, Cox and the risk model live in :mod:`helpers.analysis.churn.survival` and :mod:`helpers.analysis.churn.risk`; value models in
:mod:`helpers.analysis.value`. This module joins their inputs and degrades with a :class:`Note` when an
input (personas, users table, buyers) is missing, so the notebook stays linear.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.analysis.churn import survival
from helpers.analysis.features import btyd_summary
from helpers.analysis.value import BetaGeoModel, to_time_unit
from helpers.core import schema
from helpers.sections.active_users import Note, typed_users

GROUP_COLUMNS = ("persona_name", "rfm_segment", "channel", "platform")
EARLY = ("active_days_first_7d", "events_first_7d", "orders_first_7d", "revenue_first_7d")
COVARIATE_PREFIXES = ("channel_", "platform_", "plan_")


def read_artifact(artifacts: Path, name: str) -> pd.DataFrame | None:
    """An earlier report's CSV artifact of this month, or None when it was not produced."""
    path = Path(artifacts) / name
    return pd.read_csv(path, dtype={schema.USER_ID: str}) if path.exists() else None


def definition_note(inactive_days: int, as_of: dt.date) -> Note:
    """The churn rule of this report in numbers.

    >>> definition_note(30, dt.date(2026, 10, 31)).text[:66]
    'Churn here: a life ends at its last active day when 30 days withou'
    """
    last = as_of - dt.timedelta(days=inactive_days)
    return Note(
        f"Churn here: a life ends at its last active day when {inactive_days} days without activity "
        f"follow it (`churn.inactive_days` in persona.yaml). A life still running on {last} (as of "
        f"{as_of} minus {inactive_days} days, the last day whose churn can be seen) is censored."
    )


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
    """Survival rows with every grouping the data offers (persona, RFM segment, channel, platform)."""
    out = surv.copy()
    if personas is not None:
        cols = [c for c in (schema.USER_ID, "persona", "persona_name") if c in personas.columns]
        out = out.merge(personas[cols], on=schema.USER_ID, how="left")
    if rfm is not None and "rfm_segment" in rfm.columns:
        out = out.merge(rfm[[schema.USER_ID, "rfm_segment"]], on=schema.USER_ID, how="left")
    if users is not None:
        cols = [c for c in ("channel", "platform", "plan") if c in users.columns]
        out = out.merge(users[[schema.USER_ID, *cols]], on=schema.USER_ID, how="left")
    return out


def km_by(surv_g: pd.DataFrame, column: str, *, times=(30, 90, 180)):
    """Kaplan-Meier by ``column``, or a Note naming the source that would provide it."""
    if column not in surv_g.columns or surv_g[column].notna().sum() == 0:
        where = {
            "persona_name": "the 03_personas report (personas.csv)",
            "persona": "the 03_personas report",
            "rfm_segment": "the 03_personas report (rfm.csv)",
        }.get(column, f"a `{column}` column in the users table")
        return Note(
            f"No survival by {column}: it needs {where}, which is not available for this month."
        )
    return survival.KaplanMeierByGroup(times=times).fit(surv_g, column)


def cox_covariates(cov: pd.DataFrame) -> list[str]:
    """Early-life behaviour, channel/platform/plan dummies and binary attributes (e.g.
    ``joined_community``); event-mix shares and cities are left out (many, collinear, and
    behaviour is already summarized by the first-week counts)."""
    keep = [c for c in EARLY if c in cov.columns]
    keep += [
        c
        for c in cov.columns
        if c.startswith(COVARIATE_PREFIXES) and not c.endswith("_missing") and cov[c].nunique() > 1
    ]
    for c in cov.columns:
        if (
            c in keep
            or c in ("user_id", "duration_days", "event", "persona", "persona_name")
            or c.startswith(("mix_", "city_"))
        ):
            continue
        vals = set(pd.to_numeric(cov[c], errors="coerce").dropna().unique())
        if vals and vals <= {0, 1} and not c.endswith("_missing"):
            keep.append(c)
    return keep


def protected(cov_cols: list[str], users: pd.DataFrame | None) -> list[str]:
    """Binary user attributes whose hazard ratio is reported, never stratified away."""
    if users is None:
        return []
    t = typed_users(users)
    return [
        c
        for c in cov_cols
        if c in t.columns and set(pd.to_numeric(t[c], errors="coerce").dropna().unique()) <= {0, 1}
    ]


def with_persona(cov: pd.DataFrame, personas: pd.DataFrame | None) -> pd.DataFrame:
    if personas is None:
        return cov
    return cov.merge(personas[[schema.USER_ID, "persona"]], on=schema.USER_ID, how="left")


def cox_strata(cov: pd.DataFrame) -> list[str] | None:
    """Stratify on persona when personas are known (their baseline hazards differ by design)."""
    return ["persona"] if "persona" in cov.columns and cov["persona"].notna().any() else None


def fit_cox(cov: pd.DataFrame, users: pd.DataFrame | None, *, random_state: int = 0):
    """Cox model on :func:`cox_covariates`, stratified by persona when known; binary user
    attributes are protected from stratification so their hazard ratios are reported."""
    import warnings

    cols = cox_covariates(cov)
    data = cov.dropna(subset=["persona"]) if cox_strata(cov) else cov
    with (
        warnings.catch_warnings()
    ):  # lifelines' low-variance notes are about dummies of rare levels
        warnings.simplefilter("ignore")
        return survival.CoxModel(
            strata=cox_strata(cov), protect=protected(cols, users), random_state=random_state
        ).fit(data, "duration_days", "event", cols)


def value_at_stake(
    risk: pd.DataFrame,
    user_day,
    *,
    as_of: dt.date,
    personas: pd.DataFrame | None,
    window_days: int = 90,
) -> pd.DataFrame:
    """Risk rows with revenue over the last ``window_days`` (the value at stake) and persona."""
    ud = user_day
    lo = as_of - dt.timedelta(days=window_days - 1)
    recent = ud.filter((ud[schema.DAY] >= lo) & (ud[schema.DAY] <= as_of))
    rev = (
        recent.group_by(schema.USER_ID)
        .aggregate(revenue_90d=recent[schema.UD_REVENUE].sum())
        .execute()
    )
    out = risk.merge(rev, on=schema.USER_ID, how="left").fillna({"revenue_90d": 0.0})
    if personas is not None:
        cols = [c for c in ("persona", "persona_name") if c in personas.columns]
        out = out.merge(personas[[schema.USER_ID, *cols]], on=schema.USER_ID, how="left")
    else:
        out["persona_name"] = "all users"
    out["persona_name"] = out.get("persona_name", pd.Series(index=out.index, dtype=object)).fillna(
        "(no persona)"
    )
    return out


def stake_table(stake: pd.DataFrame) -> pd.DataFrame:
    """Users, mean risk and 90-day revenue per persona and risk band (revenue at stake)."""
    g = stake.groupby(["persona_name", schema.RISK_BAND], observed=True)
    out = g.agg(
        users=(schema.USER_ID, "size"),
        mean_risk=(schema.CHURN_RISK_30D, "mean"),
        revenue_90d=("revenue_90d", "sum"),
    ).reset_index()
    out["expected_revenue_lost"] = g.apply(
        lambda d: (d[schema.CHURN_RISK_30D] * d["revenue_90d"]).sum(), include_groups=False
    ).values
    return out.round({"mean_risk": 3, "revenue_90d": 2, "expected_revenue_lost": 2})


def churn_risk_table(stake: pd.DataFrame) -> pd.DataFrame:
    """``artifacts/churn_risk.csv``: user_id, persona, churn_risk_30d, risk_band, drivers."""
    cols = [
        schema.USER_ID,
        "persona",
        "persona_name",
        schema.CHURN_RISK_30D,
        schema.RISK_BAND,
        "drivers",
        "revenue_90d",
    ]
    out = stake[[c for c in cols if c in stake.columns]].copy()
    if "persona" not in out.columns:
        out.insert(1, "persona", np.nan)
    return out.sort_values(schema.CHURN_RISK_30D, ascending=False).reset_index(drop=True)


@dataclass
class PAliveView:
    """BG/NBD P(alive) of active buyers crossed with the survival-based churn risk."""

    model: BetaGeoModel | None
    users: pd.DataFrame | None
    table: pd.DataFrame | None
    note: Note

    def _repr_html_(self) -> str:
        body = "" if self.table is None else self.table.to_html()
        return self.note._repr_html_() + body


def palive_view(user_day, risk: pd.DataFrame, *, as_of: dt.date, unit_days: int = 7) -> PAliveView:
    """P(alive) from BG/NBD (weeks) for currently active repeat buyers, beside the 30-day churn risk.

    The table crosses risk bands (rows) with P(alive) bands (columns). Disagreement: risk >= 0.5
    while P(alive) >= 0.8. With too few repeat buyers the view is a note only.
    """
    summary = btyd_summary(user_day, as_of=as_of)
    if len(summary) < 50 or (summary["frequency"] > 0).sum() < 20:
        return PAliveView(
            None,
            None,
            None,
            Note("Too few repeat buyers to fit the BG/NBD model, so P(alive) is not shown."),
        )
    weeks = to_time_unit(summary, unit_days=unit_days)
    model = BetaGeoModel(penalizer=0.001).fit(weeks)  # every buyer informs the model
    # shown for repeat buyers only: BG/NBD gives every buyer without one P(alive) = 1
    rep = weeks[weeks["frequency"] > 0]
    pa = pd.DataFrame(
        {
            schema.USER_ID: rep.index,
            "p_alive": np.asarray(
                model.probability_alive(rep["frequency"], rep["recency"], rep["T"])
            ),
        }
    )
    merged = risk[[schema.USER_ID, schema.CHURN_RISK_30D, schema.RISK_BAND]].merge(
        pa, on=schema.USER_ID, how="inner"
    )
    merged["p_alive_band"] = pd.cut(
        merged["p_alive"],
        [0, 0.5, 0.8, 0.95, 1.0001],
        labels=["< 0.5", "0.5-0.8", "0.8-0.95", ">= 0.95"],
        include_lowest=True,
    )
    merged["disagree"] = (merged[schema.CHURN_RISK_30D] >= 0.5) & (merged["p_alive"] >= 0.8)
    table = pd.crosstab(merged[schema.RISK_BAND], merged["p_alive_band"], dropna=False)
    n = int(merged["disagree"].sum())
    note = Note(
        f"{len(merged):,} currently active users are repeat buyers (BG/NBD gives one-time "
        f"buyers P(alive) = 1 by construction, so they are left out). {n:,} of them ({n / max(len(merged), 1):.1%}) "
        "have a 30-day churn risk of 50% or more while BG/NBD still gives P(alive) of 0.8 or more: their "
        "purchase rhythm is slow, so BG/NBD expects the gap, but their activity has dropped. Rows: risk "
        "band; columns: P(alive) band; cells: users."
    )
    return PAliveView(model, merged, table, note)

"""The tables ``04_churn`` writes to ``artifacts/``: ``churn_risk.csv`` and ``churn_drivers.csv``.

Each keeps its columns when the history cannot support its model, so the monthly review and the
next month still read the file (re-exported by :mod:`helpers.sections.churn`).
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis.churn import covariates as covariates_mod
from helpers.analysis.churn.stake import CHURN_RISK_COLUMNS

__all__ = ["DRIVER_COLUMNS", "drivers_artifact", "risk_artifact"]

#: The columns of ``artifacts/churn_drivers.csv``.
DRIVER_COLUMNS = ("covariate", "kind", "hr", "hr_lower", "hr_upper", "p")


def drivers_artifact(cox_readout, users: pd.DataFrame | None) -> pd.DataFrame:
    """``churn_drivers.csv``: the Cox hazard ratios with each covariate's ``kind``: ``attribute``
    (a 0/1 user attribute, a program a team can invite users to), ``behaviour`` (early-life
    activity), ``feedback`` (the NPS category: ``nps_detractor``, ``nps_other_responder``) or
    ``other``. Without a Cox model (too short a history) the file has no row."""
    model = getattr(cox_readout, "model", None)
    hr = getattr(model, "hazard_ratios_", None)
    if not isinstance(hr, pd.DataFrame):
        return pd.DataFrame(columns=list(DRIVER_COLUMNS))
    attributes = set(covariates_mod.protected(list(hr["covariate"]), users))
    kind = [
        "attribute"
        if c in attributes
        else "behaviour"
        if covariates_mod.early_feature(c)
        else "feedback"
        if c in covariates_mod.NPS_COVARIATES
        else "other"
        for c in hr["covariate"]
    ]
    return hr.assign(kind=kind)[list(DRIVER_COLUMNS)]


def risk_artifact(risk_table) -> pd.DataFrame:
    """``churn_risk.csv``: the risk table, or its columns with no row when the churn-risk model
    could not be fitted (too short a history), so next month's review still reads the file."""
    if isinstance(risk_table, pd.DataFrame):
        return risk_table
    return pd.DataFrame(columns=list(CHURN_RISK_COLUMNS))

"""Churn: survival-based lifetimes and drivers, and a back-tested churn-risk list.

One import point for the notebook; the work lives in two modules split along their seam:

* :mod:`helpers.churn_survival`: the churn definition (read its module docstring), the survival
  table with honest censoring, resurrections, Kaplan-Meier by group with log-rank tests, the Cox
  model with a proportional-hazards check, early-life covariates.
* :mod:`helpers.churn_risk`: the churn-risk model for users active at ``as_of`` (features in the
  engine, back-test, bands, drivers) and revenue at stake.
"""

from .churn_risk import (FEATURE_DOCS, FEATURES, ChurnRiskModel, revenue_at_stake,
                         risk_features)
from .churn_survival import (DURATION_DAYS, END_DAY, EVENT, GAP_DAYS_TO_RETURN, N_LIVES,
                             RESURRECTED, START_DAY, CoxModel, KaplanMeierByGroup,
                             ResurrectionSummary, early_life_covariates, resurrection_summary,
                             signup_days, survival_table)

__all__ = ["survival_table", "resurrection_summary", "ResurrectionSummary", "signup_days",
           "KaplanMeierByGroup", "CoxModel", "early_life_covariates", "ChurnRiskModel",
           "risk_features", "revenue_at_stake", "FEATURES", "FEATURE_DOCS", "START_DAY",
           "END_DAY", "DURATION_DAYS", "EVENT", "N_LIVES", "RESURRECTED", "GAP_DAYS_TO_RETURN"]

"""Survival-based churn: lives and resurrections (``lives``), Kaplan-Meier by group
(``kaplan_meier``), early-life covariates and the Cox model (``covariates``, ``cox``), the
back-tested churn risk of active users (``risk``), the value at stake (``stake``) and BG/NBD
P(alive) beside it (``palive``). Shared columns live in ``common``.
"""

"""Survival-based churn: lives and resurrections (``lives``), Kaplan-Meier by group with delayed
entry (``kaplan_meier``), group labels known while a life was running (``landmarks``: this
month's personas and RFM segments at each user's first month end), early-life covariates and the
Cox model (``covariates``, ``cox``), the back-tested churn risk of active users (``risk``), the
revenue at stake over the risk's horizon (``stake``) and BG/NBD P(alive) beside it (``palive``).
Shared columns live in ``common``.
"""

"""Labels of the headline numbers the reports record for the month index (English)."""

MESSAGES = {
    # 01_data_audit
    "metric.rows_in": "rows read",
    "metric.rows_kept": "rows kept",
    "metric.quality_score": "data-quality score",
    # 02_active_users
    "metric.dau_avg": "DAU (month average)",
    "metric.wau": "WAU on {as_of:date}",
    "metric.mau": "MAU ({days} days to {as_of:date})",
    "metric.mau_calendar": "users active in the month",
    "metric.mau_change_pct": "month-over-month change",
    "metric.stickiness": "stickiness DAU/MAU",
    "metric.quick_ratio": "quick ratio (month)",
    # 03_personas
    "metric.personas": "personas",
    "metric.active_users_clustered": "active users clustered",
    "metric.largest_persona_share": "largest persona share",
    "metric.silhouette": "silhouette of the personas",
    "metric.tag_health_warnings": "tag-health warnings",
    "metric.pain_points": "pain points found",
    # 04_churn
    "metric.backtest_auc": "churn-risk back-test AUC",
    "metric.high_risk_share": "active users at high or critical risk",
    "metric.churn_rate_censored": "lives ended in churn",
    # 06_ab_readout
    "metric.decision": "{experiment}: decision",
    "metric.primary_lift": "{experiment}: relative lift of {metric}",
    "metric.srm_p_value": "{experiment}: sample-ratio p-value",
}

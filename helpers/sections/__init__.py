"""What each report notebook shows: one module per notebook, turning analysis results into tables,
sentences and notes through the display layer (:mod:`helpers.display`).

Each module registers how its result types display (``helpers.display.registry.renders``);
:data:`SECTIONS` imports them all, so that ``helpers.report.context.start`` can install every
display in the running notebook.
"""

from helpers.sections import (
    ab_diagnosis,
    ab_evidence,
    ab_readout,
    ab_segments,
    active_users,
    briefs,
    churn,
    churn_survival,
    data_audit,
    feedback,
    feedback_pain,
    pain_funnels,
    pain_paths,
    pain_points,
    persona_review,
    personas,
    review_brief,
    review_campaigns,
    review_kpis,
    review_pain,
    review_personas,
    tag_health,
)

#: Every section module, in the order of the review's notebooks.
SECTIONS = (
    data_audit,
    active_users,
    personas,
    tag_health,
    churn,
    churn_survival,
    pain_funnels,
    pain_paths,
    feedback,
    feedback_pain,
    pain_points,
    ab_readout,
    ab_segments,
    ab_diagnosis,
    ab_evidence,
    persona_review,
    review_kpis,
    review_personas,
    review_campaigns,
    review_pain,
    review_brief,
    briefs,
)

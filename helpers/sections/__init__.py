"""What each report notebook shows: one module per notebook, turning analysis results into tables,
sentences and notes through the display layer (:mod:`helpers.display`).

Each module registers how its result types display (``helpers.display.registry.renders``);
:data:`SECTIONS` imports them all, so that ``helpers.report.context.start`` can install every
display in the running notebook.
"""

from helpers.sections import (
    ab_readout,
    active_users,
    churn,
    data_audit,
    persona_review,
    personas,
    review_personas,
)

#: Every section module, in the order of the review's notebooks.
SECTIONS = (data_audit, active_users, personas, churn, ab_readout, persona_review, review_personas)

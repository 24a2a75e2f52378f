"""The decision of a readout (ship, do not ship, keep running, invalid) and the reasons for it.

The decision and each reason are codes with the numbers behind them; the words a report shows
are composed by :mod:`helpers.sections.ab_readout`. The rule is documented on
:func:`helpers.analysis.experiments.readout.analyze_experiment`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.analysis.experiments.health import INVALID, HealthReport

__all__ = [
    "SHIP",
    "DO_NOT_SHIP",
    "KEEP_RUNNING",
    "DECISIONS",
    "Reason",
    "Decision",
    "decide",
]

SHIP, DO_NOT_SHIP, KEEP_RUNNING = "ship", "do not ship", "keep running"
DECISIONS = (SHIP, DO_NOT_SHIP, KEEP_RUNNING, INVALID)

# reason codes
NO_HEALTH_CHECKS = "no_health_checks"  # no health report was passed
HEALTH_FAILED = "health_failed"  # a blocking check failed (``check`` names it)
INVALID_RERUN = "invalid_rerun"  # what to do about an invalid readout
NO_PRIMARY = "no_primary"  # no primary metric was declared
GUARDRAIL_WORSE = "guardrail_worse"  # a guardrail moved the wrong way (``p_value`` unadjusted)
PRIMARY_WORSE = "primary_worse"  # a primary metric moved the wrong way (``p_value`` Holm)
PRIMARY_IMPROVED = "primary_improved"  # every primary metric improved (Holm p < ``alpha``)
BELOW_MIN_SAMPLE = "below_min_sample"  # would ship, but a variant is below the minimum sample
INCONCLUSIVE = "inconclusive"  # the primary metrics are not conclusive
REASONS = (
    NO_HEALTH_CHECKS,
    HEALTH_FAILED,
    INVALID_RERUN,
    NO_PRIMARY,
    GUARDRAIL_WORSE,
    PRIMARY_WORSE,
    PRIMARY_IMPROVED,
    BELOW_MIN_SAMPLE,
    INCONCLUSIVE,
)


@dataclass(frozen=True)
class Reason:
    """One reason behind a decision: a code (see ``REASONS``) and the numbers it rests on.

    ``p_values`` holds ``(metric, Holm p-value)`` of every primary metric for the codes
    ``below_min_sample`` and ``inconclusive``.
    """

    code: str
    variant: str | None = None
    metric: str | None = None
    p_value: float = math.nan
    alpha: float = math.nan
    check: str | None = None
    p_values: tuple = ()


@dataclass(frozen=True)
class Decision:
    """The decision of a readout.

    Attributes
    ----------
    code : str
        One of ``DECISIONS``: ``ship``, ``do not ship``, ``keep running``, ``invalid``.
    variant : str or None
        The variant to ship (``code == "ship"``).
    reasons : tuple of Reason
    per_variant : dict
        The decision code of each treatment variant (empty when the readout is invalid).
    """

    code: str
    variant: str | None = None
    reasons: tuple = ()
    per_variant: dict = field(default_factory=dict)

    @property
    def value(self) -> str:
        """The decision as ``ab_<experiment>.json`` records it: ``"ship <variant>"`` or the code.

        Examples
        --------
        >>> Decision(SHIP, "treatment").value, Decision(KEEP_RUNNING).value
        ('ship treatment', 'keep running')
        """
        return f"{SHIP} {self.variant}" if self.code == SHIP else self.code


def decide(
    res: pd.DataFrame,
    *,
    treatments: list,
    primary: list,
    guardrails: list,
    lower: set,
    health: HealthReport | None,
    alpha: float,
    relative: bool,
) -> Decision:
    """Apply the decision rule to a readout's results.

    ``res`` is the results table of ``analyze_experiment`` with two working columns: ``_p`` (the
    decision p-value) and ``_p_primary`` (Holm over the primary metrics x treatments).
    """
    reasons = []
    lift_col = "lift_rel" if relative else "lift_abs"
    if health is None:
        reasons.append(Reason(NO_HEALTH_CHECKS))
        blocking, small = [], False
    else:
        blocking = health.blocking["check"].tolist()
        small = bool((health.failed["check"] == "min_sample").any())
    if blocking:
        failed = [Reason(HEALTH_FAILED, check=c) for c in blocking]
        return Decision(INVALID, reasons=(*failed, Reason(INVALID_RERUN)))
    if not primary:
        return Decision(KEEP_RUNNING, reasons=(*reasons, Reason(NO_PRIMARY)))
    per_variant = {}
    for v in treatments:
        r = res[res["variant"] == v].set_index("metric")

        def good(m, r=r):
            s = np.sign(r.at[m, lift_col])
            return -s if m in lower else s

        harm = [m for m in guardrails if good(m) < 0 and r.at[m, "_p"] < alpha]
        loss = [m for m in primary if good(m) < 0 and r.at[m, "_p_primary"] < alpha]
        win = all(good(m) > 0 and r.at[m, "_p_primary"] < alpha for m in primary)
        if harm or loss:
            per_variant[v] = DO_NOT_SHIP
            reasons += [Reason(GUARDRAIL_WORSE, v, m, float(r.at[m, "_p"])) for m in harm]
            reasons += [Reason(PRIMARY_WORSE, v, m, float(r.at[m, "_p_primary"])) for m in loss]
        elif win and not small:
            per_variant[v] = SHIP
            reasons.append(Reason(PRIMARY_IMPROVED, v, alpha=alpha))
        else:
            per_variant[v] = KEEP_RUNNING
            holm = tuple((m, float(r.at[m, "_p_primary"])) for m in primary)
            code = BELOW_MIN_SAMPLE if win and small else INCONCLUSIVE
            reasons.append(Reason(code, v, p_values=holm))
    ships = [v for v, d in per_variant.items() if d == SHIP]
    if ships:
        first = res[(res["metric"] == primary[0]) & res["variant"].isin(ships)]
        best = first.sort_values(lift_col, ascending=primary[0] in lower)["variant"].iloc[0]
        return Decision(SHIP, best, tuple(reasons), per_variant)
    if per_variant and all(d == DO_NOT_SHIP for d in per_variant.values()):
        return Decision(DO_NOT_SHIP, None, tuple(reasons), per_variant)
    return Decision(KEEP_RUNNING, None, tuple(reasons), per_variant)

"""The decision rule (helpers.analysis.experiments.decision) on planted toys: a guardrail that
got worse, a null effect, a failed health check, a minimum sample and no primary metric."""

import pandas as pd

from helpers.analysis.experiments import readout as ex
from helpers.analysis.experiments.decision import Decision
from helpers.analysis.experiments.health import health_checks
from tests.analysis.experiments.toys import per_user, srm_assignments


def test_guardrail_null_and_invalid_decisions():
    guard = ex.analyze_experiment(
        per_user(guard_shift=1.0),
        metrics=["converted"],
        primary=["converted"],
        guardrails=["active_days"],
    )
    assert guard.decision.code == "do not ship" and guard.decision.value == "do not ship"
    assert guard.decision.per_variant == {"treatment": "do not ship"}
    worse = [r for r in guard.decision.reasons if r.code == "guardrail_worse"]
    assert [(r.variant, r.metric) for r in worse] == [("treatment", "active_days")]
    assert worse[0].p_value < 0.05
    null = ex.analyze_experiment(
        per_user(conv_t=205), metrics=["converted"], primary=["converted"]
    )
    assert null.decision.code == "keep running"
    assert [r.code for r in null.decision.reasons] == ["no_health_checks", "inconclusive"]
    bad_health = health_checks(srm_assignments(), experiment="exp")
    srm = ex.analyze_experiment(
        per_user(), metrics=["converted"], primary=["converted"], health=bad_health
    )
    assert srm.decision.code == "invalid" and srm.decision.variant is None
    assert [(r.code, r.check) for r in srm.decision.reasons] == [
        ("health_failed", "srm"),
        ("invalid_rerun", None),
    ]
    assert srm.decision.per_variant == {}
    assert srm.primary_lift is None  # no headline lift from a broken assignment
    assert srm.srm_p_value < 0.001


def test_minimum_sample_keeps_running_and_no_primary():
    small = health_checks(srm_assignments(2000, 2000), experiment="exp", min_per_variant=3000)
    r = ex.analyze_experiment(
        per_user(), metrics=["converted"], primary=["converted"], health=small
    )
    assert r.decision.code == "keep running"
    assert [x.code for x in r.decision.reasons] == ["below_min_sample"]
    none = ex.analyze_experiment(per_user(), metrics=["converted"])
    assert none.decision.code == "keep running"
    assert [x.code for x in none.decision.reasons] == ["no_health_checks", "no_primary"]


def test_ship_the_variant_with_the_largest_lift():
    df = per_user()
    df.loc[df["variant"] == "treatment", "variant"] = "b"
    extra = per_user(conv_t=400)
    extra = extra[extra["variant"] == "treatment"].assign(variant="c")
    both = pd.concat([df, extra], ignore_index=True)
    r = ex.analyze_experiment(both, metrics=["converted"], primary=["converted"])
    assert r.decision == Decision("ship", "c", r.decision.reasons, {"b": "ship", "c": "ship"})
    assert r.decision.value == "ship c"

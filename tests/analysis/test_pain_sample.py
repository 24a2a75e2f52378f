"""The planted truths of issue 16 recovered on the generated sample (2,500 users): the android
checkout drop, the deal hunters' coupon pain point, the per-persona NPS of the review month and
the detractors' churn hazard ratio, through the kit's own functions and section sentences."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers.analysis.churn import covariates, cox
from helpers.analysis.feedback.pain import event_usage
from helpers.analysis.feedback.review import review_feedback
from helpers.core.time import month_bounds
from helpers.data.pipeline import load_project
from helpers.sections import pain_funnels as pf
from helpers.sections.pain_points import feedback_frame
from tests.planted import sample_survival


@pytest.fixture(scope="module")
def setup(small_sample):
    project = load_project(small_sample / "persona.yaml")
    truth = json.loads((small_sample / "truth.json").read_text())
    month = truth["latest_complete_month"]
    start, as_of = month_bounds(month)
    personas = pd.read_csv(small_sample / "truth_users.csv.gz", dtype={"user_id": str})[
        ["user_id", "persona"]
    ]
    return project, truth, month, start, as_of, personas


def test_the_android_checkout_drop_is_its_largest_and_named(setup):
    project, truth, month, start, as_of, _ = setup
    platforms = pf.user_platforms(project.tables["events"], month_start=start, month_end=as_of)
    review = pf.funnel_review(
        project,
        project.config,
        month=month,
        month_start=start,
        as_of=as_of,
        segments=pf.segments_frame(None, platforms),
    )
    f = review.funnels[0]
    tab = f.table.set_index(["segment_kind", "segment", "step"])["users"]
    for device in ("android", "ios"):  # the kit's counts are the planted ones, step by step
        assert [int(tab[("platform", device, k)]) for k in (1, 2, 3, 4)] == truth["funnel"][
            "users"
        ][device]
    drop = f.drops.set_index(["segment_kind", "segment"]).loc[("platform", "android")]
    planted = truth["funnel"]["largest_drop"]["android"]
    assert (drop["from_event"], drop["to_event"]) == (planted["from"], planted["to"])
    assert drop["conversion"] == pytest.approx(planted["conversion"], abs=1e-6)
    # the report's sentence names it as android's largest drop, against the other platforms
    named = [s for s in pf.funnel_sentences(f, review.owner) if s.startswith("On android")]
    assert len(named) == 1 and "the largest drop-off is checkout start → order" in named[0]


def test_deal_hunters_name_coupons_as_their_first_pain_point(setup):
    project, truth, month, start, as_of, personas = setup
    cfg = project.config
    events = sorted({e for topic in cfg.feedback.topics.values() for e in topic.events})
    usage = event_usage(project.user_day, personas, events, start, as_of)
    review = review_feedback(
        feedback_frame(project),
        month=month,
        as_of=as_of,
        segments=personas,
        settings=cfg.feedback,
        usage=usage,
    )
    top = review.top_pain_points.set_index("segment")["topic"]
    planted = truth["feedback"]["pain_point"]
    assert top[planted["persona"]] == planted["topic"]
    ranked = review.pain[review.pain["segment"] == planted["persona"]].sort_values("rank")
    assert ranked["topic"].iloc[0] == planted["topic"]


def test_the_nps_of_each_persona_is_the_planted_one(setup):
    project, truth, month, start, as_of, personas = setup
    review = review_feedback(
        feedback_frame(project),
        month=month,
        as_of=as_of,
        segments=personas,
        settings=project.config.feedback,
    )
    rows = review.by_segment.set_index("segment")
    planted = truth["feedback"]["review_month"]["by_persona"]
    for persona, p in planted.items():
        row = rows.loc[persona]
        # every active responder answers once in the month: the estimate is the population's
        assert row["nps"] == pytest.approx(p["nps_points"], abs=1e-3), persona
        assert row["nps_ci_low"] <= p["nps_points"] <= row["nps_ci_high"], persona


def test_the_detractor_hazard_ratio_covers_the_planted_one(setup):
    project, truth, _, _, _, personas = setup
    users = project.users_frame()
    surv = sample_survival(project, truth)
    early = covariates.with_persona(  # the planted personas as fixed strata
        covariates.early_life_covariates(project.user_day, surv, days=7, users=users), personas
    )
    early = covariates.with_nps(early, surv, feedback_frame(project))
    hr = cox.fit_cox(early, users).model.hazard_ratios_.set_index("covariate")
    planted = truth["feedback"]["detractor_churn"]["hazard_ratio"]
    row = hr.loc["nps_detractor"]
    assert row["hr_lower"] <= planted <= row["hr_upper"], row.to_dict()
    community = hr.loc["joined_community"]
    assert community["hr_lower"] <= truth["churn"]["hazard_ratio"] <= community["hr_upper"]


def test_the_churn_report_recovers_both_planted_hazard_ratios(en_review):
    """The 04 report's own model: strata are the kit's personas at each month end (not the
    planted ones), and its churn_drivers.csv covers the planted detractor and community ratios."""
    sample, out, _ = en_review
    truth = json.loads((sample / "truth.json").read_text())
    drivers = pd.read_csv(
        out / truth["latest_complete_month"] / "artifacts" / "churn_drivers.csv"
    ).set_index("covariate")
    for covariate, planted in (
        ("nps_detractor", truth["feedback"]["detractor_churn"]["hazard_ratio"]),
        (truth["churn"]["covariate"], truth["churn"]["hazard_ratio"]),
    ):
        row = drivers.loc[covariate]
        assert row["hr_lower"] <= planted <= row["hr_upper"], (covariate, row.to_dict())

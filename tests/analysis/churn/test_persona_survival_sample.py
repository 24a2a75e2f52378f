"""Persona survival on a generated sample against the planted lifetimes (issue #20, part 8).

This month's personas, applied at each user's first month end with delayed entry
(:mod:`helpers.analysis.churn.landmarks`), give median lifetimes within 30% of the planted ones
(``truth.json``: ``personas.median_lifetime_days``, first lives of exponential length with the
community hazard ratio, :func:`helpers.sample.personas.population_median_lifetime`). The curves
of this month's personas alone, every life from its start, miss them: the bias the landmarks
remove. Kit personas are matched to planted ones by their members' majority, as the review test
does.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from helpers.analysis.churn import landmarks
from helpers.analysis.churn.kaplan_meier import KaplanMeierByGroup
from helpers.analysis.features import user_features
from helpers.analysis.segments import clustering
from helpers.analysis.segments.personas import PersonaModel
from helpers.data.pipeline import load_project
from helpers.display.text import t
from tests.planted import sample_survival


@pytest.fixture(scope="module")
def persona_lives(tmp_path_factory):
    """An 8,000-user sample (seed 42), its personas of the last month (k = 5, as 03_personas
    finds on the sample), and the survival table of first lives from signup."""
    from helpers.sample.generator import generate_sample

    folder = tmp_path_factory.mktemp("persona_survival") / "sample"
    generate_sample(folder, users=8000, months=12, seed=42)
    project = load_project(folder / "persona.yaml")
    truth = json.loads((folder / "truth.json").read_text())
    as_of = dt.date.fromisoformat(truth["end"])
    users = project.users_frame()
    features = user_features(
        project.user_day,
        as_of=as_of,
        users=users,
        passive_events=truth["passive_events"],
        timezone=project.config.timezone,
    )
    active = clustering.active_in_month(features, month_start=as_of.replace(day=1))
    model = PersonaModel(k=5, random_state=0, text=t).fit(active)
    surv = sample_survival(project, truth)
    planted = pd.read_csv(folder / "truth_users.csv.gz", dtype={"user_id": str})
    return project, truth, as_of, model, active, surv, planted[["user_id", "persona"]]


def _medians(km: KaplanMeierByGroup, members: pd.DataFrame, planted: pd.DataFrame) -> dict:
    """Median lifetime per planted persona, each kit persona named by its members' majority."""
    majority = (
        members.merge(planted, on="user_id")
        .groupby("persona_name")["persona"]
        .agg(lambda x: x.value_counts().index[0])
    )
    assert majority.is_unique, majority  # five kit personas, five planted ones
    s = km.summary_.set_index("group")["median_days"]
    return {majority[g]: float(s[g]) for g in s.index}


def test_persona_medians_with_delayed_entry_match_the_planted_lifetimes(persona_lives):
    project, truth, as_of, model, _, surv, planted = persona_lives
    labels = landmarks.labels_at_landmarks(
        project.user_day,
        surv,
        as_of=as_of,
        inactive_days=truth["churn"]["inactive_days"],
        cards=model.to_dict(),
    )
    entered = landmarks.delayed_entry(surv, labels, "persona_name")
    km = KaplanMeierByGroup().fit(entered, "persona_name")
    medians = _medians(km, entered, planted)
    planted_medians = truth["personas"]["median_lifetime_days"]
    assert set(medians) == set(planted_medians)
    off = {p: medians[p] / planted_medians[p] - 1 for p in medians}
    assert all(abs(x) <= 0.30 for x in off.values()), (medians, planted_medians)
    # most users are counted, each from a day of the first month of their life
    assert len(entered) > 0.6 * len(surv) and entered["entry_days"].between(1, 31).all()


def test_this_months_personas_alone_overstate_lifetimes(persona_lives):
    """The curves the report drew before: this month's personas, every life from its start."""
    _, truth, _, model, active, surv, planted = persona_lives
    members = model.assignments(active)[["user_id", "persona_name"]]
    km = KaplanMeierByGroup().fit(surv.merge(members, on="user_id"), "persona_name")
    medians = _medians(km, members, planted)
    planted_medians = truth["personas"]["median_lifetime_days"]
    # the short-lived personas look several times longer-lived than they are
    assert medians["casual_browser"] > 2 * planted_medians["casual_browser"], medians
    assert medians["trialist"] > 1.5 * planted_medians["trialist"], medians

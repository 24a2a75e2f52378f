"""helpers.analysis.churn.covariates: the landmark table and the choice of Cox covariates."""

import pandas as pd
import pytest

from helpers.analysis.churn import covariates, lives
from tests.analysis.churn.hand_cases import AS_OF, K


def test_early_life_covariates_landmark_and_one_hot(hand_user_day):
    s = lives.survival_table(hand_user_day, as_of=AS_OF, inactive_days=K)
    users = pd.DataFrame(
        {
            "user_id": ["B", "C", "D"],
            "plan": ["x", "y", "x"],
            "age": [20.0, None, 40.0],
            "joined_community": ["1", "0", "1"],
        }
    )
    early = covariates.early_life_covariates(hand_user_day, s, days=2, users=users)
    cov = early.table
    # lives longer than 2 days: B (6), C (6), D (4); durations measured from the landmark
    assert cov["user_id"].tolist() == ["B", "C", "D"]
    assert cov["duration_days"].tolist() == [4, 4, 2]
    assert cov["event"].tolist() == [1, 1, 0]
    assert early.dropped_short_lives == 5
    assert early.landmark_days == 2
    assert cov["active_days_first_2d"].tolist() == [1.0, 1.0, 1.0]
    assert cov["mix_view"].tolist() == [1.0, 1.0, 1.0]
    assert early.reference_levels == {"plan": "x"}
    assert cov["plan_y"].tolist() == [0.0, 1.0, 0.0]
    assert early.level_of("plan_y") == ("plan", "y")
    assert cov["age"].tolist() == [20.0, 30.0, 40.0]  # missing -> median
    # text "0"/"1" from a CSV passes through as a number, not as one-hot levels
    assert cov["joined_community"].tolist() == [1.0, 0.0, 1.0]


def _early(table, days=7, refs=None):
    return covariates.EarlyLife(table, days, 0, refs or {})


def test_cox_covariates_follow_the_landmark_window():
    table = pd.DataFrame(
        {
            "user_id": ["a", "b", "c"],
            "duration_days": [3, 4, 5],
            "event": [1, 0, 1],
            "active_days_first_14d": [1.0, 3.0, 2.0],
            "orders_first_14d": [0.0, 1.0, 0.0],
            "mix_view": [0.2, 0.5, 1.0],
            "city_rome": [1.0, 0.0, 0.0],
            "channel_social": [1.0, 0.0, 1.0],
            "channel_missing": [0.0, 1.0, 0.0],
            "platform_web": [1.0, 1.0, 1.0],  # does not vary: kept as binary, the model drops it
            "age": [20.0, 30.0, 40.0],  # not binary
            "gender_male": [1.0, 0.0, 0.0],
            "persona": [1, 2, 1],
        }
    )
    got = covariates.cox_covariates(_early(table, days=14, refs={"channel": "organic"}))
    assert got == [
        "active_days_first_14d",
        "orders_first_14d",
        "channel_social",
        "platform_web",
        "gender_male",
    ]
    # the same columns with a 7-day window name are not the 14-day window's counts
    assert "active_days_first_14d" not in covariates.cox_covariates(_early(table, days=7))


def test_protected_and_strata():
    users = pd.DataFrame(
        {"user_id": ["1", "2"], "joined_community": ["1", "0"], "vip": [True, False]}
    )
    assert covariates.protected(["joined_community", "vip", "orders_first_7d"], users) == [
        "joined_community",
        "vip",
    ]
    assert covariates.protected(["joined_community"], None) == []
    assert covariates.cox_strata(pd.DataFrame({"persona": [None, 2]})) == ["persona"]
    assert covariates.cox_strata(pd.DataFrame({"persona": [None, None]})) is None
    assert covariates.cox_strata(pd.DataFrame({"x": [1]})) is None


def test_with_persona_adds_the_stratum():
    early = _early(pd.DataFrame({"user_id": ["a", "b"], "duration_days": [1, 2], "event": [1, 1]}))
    personas = pd.DataFrame({"user_id": ["a"], "persona": [3], "persona_name": ["P"]})
    out = covariates.with_persona(early, personas)
    assert out.table["persona"].tolist()[0] == 3 and pd.isna(out.table["persona"].iloc[1])
    assert "persona_name" not in out.table.columns
    assert covariates.with_persona(early, None) is early


def test_with_landmark_persona_splits_each_life_at_its_month_end_labels():
    """Lives in counting-process form, by hand. Early window 7 days; a label counts once the
    life is 28 days old. a: starts Mar 1, 100 days (landmark duration 93), churned; labels
    Mar 31 (life day 31 -> from 24), Apr 30 (61 -> 54), May 31 (92 -> 85), Jun 30 (day 122,
    after its end: no row). b: starts Mar 20, labels Mar 31 (day 12: too young, unused) and
    Apr 30 (day 42 -> from 35); censored at 50. c: never labelled: left out, and counted."""
    import datetime as dt

    early = _early(
        pd.DataFrame(
            {
                "user_id": ["a", "b", "c"],
                "duration_days": [93, 50, 20],
                "event": [1, 0, 1],
                "orders_first_7d": [2.0, 0.0, 1.0],
            }
        )
    )
    surv = pd.DataFrame(
        {
            "user_id": ["a", "b", "c"],
            "start_day": [dt.date(2026, 3, 1), dt.date(2026, 3, 20), dt.date(2026, 4, 2)],
        }
    )
    days = [dt.date(2026, 3, 31), dt.date(2026, 4, 30), dt.date(2026, 5, 31), dt.date(2026, 6, 30)]
    labels = pd.DataFrame(
        {
            "user_id": ["a"] * 4 + ["b", "b"],
            "landmark_day": days + days[:2],
            "persona": [1, 1, 2, 2, 3, 1],
        }
    )
    out = covariates.with_landmark_persona(early, surv, labels)
    got = out.table[["user_id", "persona", "entry_days", "duration_days", "event"]]
    assert got.astype(object).where(got.notna(), None).values.tolist() == [
        ["a", 1, 24, 54, 0],
        ["a", 1, 54, 85, 0],
        ["a", 2, 85, 93, 1],
        ["b", 1, 35, 50, 0],
    ]
    assert out.table["orders_first_7d"].tolist() == [2.0, 2.0, 2.0, 0.0]
    assert out.persona_from_day == 28 and out.unlabelled_lives == 1
    # b's label on day 12 counts when the threshold allows it: from day 5, in persona 3
    young = covariates.with_landmark_persona(early, surv, labels, min_life_days=7).table
    assert young.loc[
        young["user_id"] == "b", ["persona", "entry_days", "duration_days"]
    ].values.tolist() == [[3, 5, 35], [1, 35, 50]]
    assert covariates.with_landmark_persona(early, surv, None) is early
    assert covariates.with_landmark_persona(early, surv, labels.assign(persona=None)) is early


def test_with_landmark_persona_edge_cases():
    """A label on the life's last day gives no period (nothing is at risk after it); labels of
    users outside the table and unsorted labels are handled; personas may be text; a table
    with two lives of one user is refused in one sentence."""
    import datetime as dt

    from helpers.core.errors import DataError

    early = _early(
        pd.DataFrame(
            {"user_id": ["a", "b"], "duration_days": [53, 80], "event": [1, 1], "x": [1.0, 0.0]}
        )
    )
    surv = pd.DataFrame({"user_id": ["a", "b"], "start_day": [dt.date(2026, 3, 1)] * 2})
    # a lives 60 days (53 after the 7-day window): Mar 1 to Apr 29, so its Apr 30 label (day 61)
    # gives no period and Mar 31 (day 31 -> from 24) is its only one; b's labels come unsorted,
    # as text, and a user outside the table ("zz") is ignored
    labels = pd.DataFrame(
        {
            "user_id": ["b", "a", "zz", "b", "a"],
            "landmark_day": [
                dt.date(2026, 4, 30),
                dt.date(2026, 3, 31),
                dt.date(2026, 3, 31),
                dt.date(2026, 3, 31),
                dt.date(2026, 4, 30),
            ],
            "persona": ["Q", "P", "P", "P", "Q"],
        }
    )
    out = covariates.with_landmark_persona(early, surv, labels)
    got = out.table[["user_id", "persona", "entry_days", "duration_days", "event"]]
    assert got.values.tolist() == [
        ["a", "P", 24, 53, 1],
        ["b", "P", 24, 54, 0],
        ["b", "Q", 54, 80, 1],
    ]
    # b's life ends on its label day (life day 61 = duration 54 + 7): the label gives no period
    ends_on_label = early.table.assign(duration_days=[53, 54])
    short = covariates.with_landmark_persona(_early(ends_on_label), surv, labels).table
    assert short.loc[short["user_id"] == "b", ["persona", "event"]].values.tolist() == [["P", 1]]
    twice = _early(pd.concat([early.table, early.table.iloc[:1]], ignore_index=True))
    with pytest.raises(DataError, match="one life per user.*e.g. 'a'"):
        covariates.with_landmark_persona(twice, surv, labels)
    gone = covariates.with_landmark_persona(early, surv, labels.assign(user_id="zz"))
    assert gone.table.empty and (gone.unlabelled_lives, gone.unlabelled_churned) == (2, 2)

"""helpers.analysis.churn.lives: the survival table on hand cases, resurrections, the overview."""

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.churn import lives
from helpers.core.errors import DataError, ParameterError
from tests.analysis.churn.hand_cases import AS_OF, BASE, K, day


def test_survival_table_hand_cases(hand_user_day):
    s = lives.survival_table(hand_user_day, as_of=AS_OF, inactive_days=K).set_index("user_id")
    expected = {  # start, last active, end, duration, event, n_lives, gap to return
        "A": (0, 0, 0, 1, 1, 2, 6.0),
        "B": (0, 5, 5, 6, 1, 1, np.nan),
        "C": (50, 55, 55, 6, 1, 1, np.nan),
        "D": (52, 56, 55, 4, 0, 1, np.nan),
        "E": (20, 20, 20, 1, 1, 1, np.nan),
        "F": (30, 30, 30, 1, 1, 1, np.nan),
        "G": (58, 58, 55, 0, 0, 1, np.nan),
        "H": (10, 10, 10, 1, 1, 1, np.nan),
    }
    assert sorted(s.index) == sorted(expected)
    for u, (st, la, en, dur, ev, nl, gap) in expected.items():
        r = s.loc[u]
        assert r["start_day"] == pd.Timestamp(day(st)), u
        assert r["last_active_day"] == pd.Timestamp(day(la)), u
        assert r["end_day"] == pd.Timestamp(day(en)), u
        assert (r["duration_days"], r["event"], r["n_lives"]) == (dur, ev, nl), u
        assert r["resurrected"] == (nl > 1), u
        assert (np.isnan(gap) and np.isnan(r["gap_days_to_return"])) or r[
            "gap_days_to_return"
        ] == gap


def test_survival_table_records_what_it_was_built_with(hand_user_day):
    s = lives.survival_table(hand_user_day, as_of=AS_OF, inactive_days=K, life="last")
    assert s.attrs == {
        "as_of": AS_OF,
        "inactive_days": K,
        "start": "first_activity",
        "life": "last",
    }


def test_survival_table_last_life_and_signup(hand_user_day):
    last = lives.survival_table(hand_user_day, as_of=AS_OF, inactive_days=K, life="last")
    a = last.set_index("user_id").loc["A"]
    # A's second life: days 6-7, then 53 silent days: churned at day 7, lived 2 days
    assert (a["start_day"], a["duration_days"], a["event"]) == (pd.Timestamp(day(6)), 2, 1)
    users = pd.DataFrame(
        {
            "user_id": ["A", "I"],
            "signup_time": [BASE - pd.Timedelta(days=3), BASE + pd.Timedelta(days=10)],
        }
    )
    s = lives.survival_table(
        hand_user_day, as_of=AS_OF, inactive_days=K, start="signup", users=users
    ).set_index("user_id")
    # A signed up 3 days before the first activity (gap 3 <= K): life from day -3 to day 0
    assert (s.loc["A", "start_day"], s.loc["A", "duration_days"]) == (pd.Timestamp(day(-3)), 4)
    # I signed up and was never active: churned on the signup day, 1 day of life
    assert (s.loc["I", "duration_days"], s.loc["I", "event"]) == (1, 1)
    assert s.loc["B", "duration_days"] == 6  # no signup row: starts at first activity
    with pytest.raises(ParameterError, match="users"):
        lives.survival_table(hand_user_day, as_of=AS_OF, start="signup")


def test_survival_table_errors_name_the_parameter_and_column(hand_user_day):
    with pytest.raises(ParameterError, match="inactive_days"):
        lives.survival_table(hand_user_day, as_of=AS_OF, inactive_days=0)
    with pytest.raises(ParameterError, match="as_of"):
        lives.survival_table(hand_user_day, as_of="not a date")
    with pytest.raises(DataError, match="active_events"):
        lives.survival_table(hand_user_day.drop("active_events"), as_of=AS_OF)


def test_resurrection_summary(hand_user_day):
    s = lives.survival_table(hand_user_day, as_of=AS_OF, inactive_days=K)
    r = lives.resurrection_summary(s)
    # churned first lives: A B C E F H (6); only A came back, 6 days after its last active day
    assert (r.churned_users, r.resurrected_users) == (6, 1)
    assert r.resurrected_share == pytest.approx(1 / 6)
    assert r.median_days_to_return == 6
    assert r.inactive_days == K
    # ranges start after K days: 6-60, 61-90, 91-180, 181-365, 366+
    assert r.gaps.iloc[0].tolist() == [6.0, 60.0, 1, 1.0]
    assert r.gaps["days_from"].tolist() == [6, 61, 91, 181, 366]
    assert r.gaps["days_to"].tolist()[-1] == np.inf
    assert r.gaps["users"].tolist() == [1, 0, 0, 0, 0]


def test_lives_overview_counts(hand_user_day):
    s = lives.survival_table(hand_user_day, as_of=AS_OF, inactive_days=K)
    o = lives.lives_overview(s)
    # churned: A B C E F H; censored: D; too recent: G (started after as_of - K)
    assert (o.users, o.churned, o.censored, o.too_recent) == (8, 6, 1, 1)
    assert o.churned_share == s["event"].mean() == pytest.approx(6 / 8)
    assert (o.as_of, o.inactive_days, o.start, o.life) == (AS_OF, K, "first_activity", "first")
    assert o.censor_day == day(55)
    assert o.resurrection.resurrected_users == 1

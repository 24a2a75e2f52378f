"""Fixtures of the churn tests: the hand-made ``user_day`` of :mod:`hand_cases`."""

import pytest

from tests.analysis.churn.hand_cases import hand_user_day_table


@pytest.fixture(scope="module")
def hand_user_day():
    return hand_user_day_table()

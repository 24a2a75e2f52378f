"""helpers.analysis.value.fitting: bad inputs are errors that name the column and show the row."""

import numpy as np
import pytest

from helpers.analysis.value.bgnbd import BetaGeoModel
from helpers.core.errors import DataError, ModelError


def test_bad_inputs_name_the_column(calib_weeks):
    data = calib_weeks.copy()
    data.iloc[5, data.columns.get_loc("recency")] = np.inf
    with pytest.raises(ModelError, match=r"column 'recency'.*1 of 2357 rows.*row 6"):
        BetaGeoModel().fit(data)
    data = calib_weeks.rename(columns={"T": "age"})
    data.iloc[0, data.columns.get_loc("age")] = -1.0
    with pytest.raises(ModelError, match="non-negative numbers in column 'age'"):
        BetaGeoModel().fit(data, T="age")
    with pytest.raises(ModelError, match="at least 10 customers"):
        BetaGeoModel().fit(calib_weeks.head(9))
    with pytest.raises(ModelError, match="'recency' <= 'T'"):
        BetaGeoModel().fit(calib_weeks.assign(recency=calib_weeks["T"] + 1))
    with pytest.raises(DataError, match="'freq'"):
        BetaGeoModel().fit(calib_weeks, frequency="freq")
    with pytest.raises(ModelError, match="not fitted"):
        BetaGeoModel().probability_alive(1, 1, 2)

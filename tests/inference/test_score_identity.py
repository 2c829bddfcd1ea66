"""The replay likelihood is the density of what the simulator generates: its score has mean zero.

At the parameters a dataset was simulated from, the gradient of the exact log-likelihood has
expectation zero over datasets (the first Bartlett identity). A simulated fact read back
differently by replay, or a decision scored with another probability than the one simulation
draws with, biases the mean score of the parameters involved; ``experiments/score_identity.py``
measures it. Here with a modest number of simulated years (a mean score of about half a
year's score spread or more fails), at a parameter set with frequent, quickly delivered US
strike rounds (low threshold, short lag), where the order book is exercised hardest and rounds
two days apart are common (tests/inference/test_likelihood.py checks those exactly).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from escalation.events.schema import COLUMNS
from escalation.model.scenario import Scenario
from experiments.score_identity import (
    FLAG,
    score_identity,
    simulated_years,
    without_posterior,
    z_statistics,
)

pytestmark = pytest.mark.statistical

#: Simulated years: |z| > 4 at a mean score of about half a year's score spread (4 / sqrt(60)).
YEARS = 60
#: baseline_2021's calibrated parameters at their values, except a quick, touchy US.
QUICK_US = {"us_lag_mean": 1.6, "us_response_threshold": 4.0}


def test_mean_score_is_zero_for_every_calibrated_parameter():
    z = score_identity("baseline_2021", QUICK_US, YEARS, seed=2024)
    # A year of 2021: every calibrated parameter but the 2022 record's reporting factor.
    assert set(z.index) == set(Scenario.load("baseline_2021").calibrate) - {"ied_report_2022"}
    worst = z["total"].abs().idxmax()
    assert z["total"].abs().max() < FLAG, f"{worst}: z = {z.loc[worst, 'total']:.2f}\n{z}"


def test_z_statistic_of_known_scores():
    table = pd.DataFrame({"a": [1.0, 2.0, 3.0, 6.0], "b": [0.0] * 4, "c": [-0.5] * 4})
    # a: mean 3, sd sqrt(14/3), n 4, so z = 3 x 2 / sqrt(14/3); b: never depends on the
    # parameter (0); c: the same nonzero score on every dataset, a sure mismatch (-inf).
    expected = 3.0 * 2.0 / np.sqrt(14.0 / 3.0)
    np.testing.assert_allclose(z_statistics(table).to_numpy(), [expected, 0.0, -np.inf])


def test_simulated_years_are_canonical_and_independent():
    spec = without_posterior("baseline_2021")
    years = simulated_years(spec, {}, 3, seed=1)
    assert len(years) == 3
    assert all(list(y.columns) == list(COLUMNS) for y in years)
    assert len({len(y) for y in years}) > 1 or not years[0].equals(years[1])

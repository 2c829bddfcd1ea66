"""The summary of the evidence's spread across seeds, on a table small enough to do by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from experiments.evidence_noise import summary


def test_gains_are_taken_seed_by_seed_with_their_standard_error():
    # Full model -10 and -12 at two seeds; without X -11 and -12.5. Gains 1 and 0.5: mean 0.75,
    # sd 0.3536, standard error 0.25. The full model's spread: sd(-10, -12) = sqrt(2).
    table = pd.DataFrame(
        {
            "model": ["full model", "full model", "without X", "without X"],
            "seed": [1, 1001, 1, 1001],
            "log_evidence": [-10.0, -12.0, -11.0, -12.5],
            "in_run_error": [0.1, 0.3, 0.2, 0.2],
        }
    )
    result = summary(table)
    assert result.loc["full model", "sd_across_seeds"] == pytest.approx(math.sqrt(2))
    assert result.loc["full model", "mean_in_run_error"] == pytest.approx(0.2)
    assert math.isnan(result.loc["full model", "gain"])
    assert result.loc["without X", "gain"] == pytest.approx(0.75)
    assert result.loc["without X", "gain_error"] == pytest.approx(0.25)

"""Monte Carlo standard errors by hand."""

from __future__ import annotations

import math

import pytest

from escalation.montecarlo import QUANTILES, mcse_of_mean, mcse_of_probability


def test_mcse_of_a_mean_by_hand():
    # 1, 2, 3, 4: sd (ddof 1) = sqrt(5/3); over sqrt(4).
    assert mcse_of_mean([1, 2, 3, 4, float("nan")]) == pytest.approx(math.sqrt(5 / 3) / 2)
    assert math.isnan(mcse_of_mean([5.0]))


def test_mcse_of_a_probability_by_hand():
    assert mcse_of_probability(0.25, 300) == pytest.approx(math.sqrt(0.25 * 0.75 / 300))


def test_quantile_levels_are_symmetric_around_the_median():
    assert QUANTILES[2] == 0.5
    assert all(a + b == pytest.approx(1.0) for a, b in zip(QUANTILES, QUANTILES[::-1], strict=True))

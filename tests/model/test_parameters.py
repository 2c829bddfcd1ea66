"""The declared parameters and their priors."""

import pytest

from escalation.model.parameters import PARAMETERS, Prior


def test_truncated_priors_hash_and_compare_by_family_arguments_and_range():
    """A truncated prior can key a dict or sit in a set (ABC-SMC caches by prior)."""
    declared = PARAMETERS["deterrence"]
    a = declared.prior.within(declared.low, declared.high)
    b = declared.prior.within(declared.low, declared.high)
    narrower = declared.prior.within(declared.low, 0.5)
    assert hash(a) == hash(b) and a == b
    assert a != narrower
    assert len({a, b, narrower}) == 2


def test_a_prior_with_no_probability_in_the_range_cannot_be_truncated_to_it():
    with pytest.raises(ValueError, match=r"no probability in \[0, 5\]"):
        Prior("uniform", {"loc": 10, "scale": 5}).within(0.0, 5.0)

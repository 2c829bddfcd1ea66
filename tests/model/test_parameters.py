"""The declared parameters and their priors."""

from escalation.model.parameters import PARAMETERS


def test_truncated_priors_hash_and_compare_by_family_arguments_and_range():
    """A truncated prior can key a dict or sit in a set (ABC-SMC caches by prior)."""
    declared = PARAMETERS["deterrence"]
    a = declared.prior.within(declared.low, declared.high)
    b = declared.prior.within(declared.low, declared.high)
    narrower = declared.prior.within(declared.low, 0.5)
    assert hash(a) == hash(b) and a == b
    assert a != narrower
    assert len({a, b, narrower}) == 2

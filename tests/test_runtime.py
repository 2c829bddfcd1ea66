"""The one seed rule and the one progress rule."""

from __future__ import annotations

import numpy as np
import pytest

from escalation.runtime import progress_bar, seed_sequence, show_progress


def test_every_accepted_seed_gives_the_same_sequence_as_numpy():
    assert seed_sequence(7).entropy == np.random.SeedSequence(7).entropy
    assert seed_sequence([1, 2]).entropy == np.random.SeedSequence([1, 2]).entropy
    same = np.random.SeedSequence(3)
    assert seed_sequence(same) is same
    assert seed_sequence(None).entropy is not None


@pytest.mark.parametrize("bad", [-1, [3, -2], 1.5, "7", True])
def test_a_bad_seed_names_the_argument_and_what_was_expected(bad):
    with pytest.raises((ValueError, TypeError), match=r"^--seed: expected .*non-negative"):
        seed_sequence(bad, name="--seed")


def test_a_generator_is_refused_with_the_reason():
    with pytest.raises(TypeError, match="cannot be recorded"):
        seed_sequence(np.random.default_rng(1))


def test_progress_is_off_under_ci_and_when_asked(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert show_progress(None) is False
    assert show_progress(True) is True
    assert progress_bar(3, "x", "y", progress=False).disable

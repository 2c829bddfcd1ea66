"""The forward algorithm against brute-force enumeration of every hidden-state path."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.special import logsumexp

from escalation.inference.hmm import forward_loglik


def random_model(rng, batch, n_times, n_states, time_varying=False):
    """Random emissions, transition rows and initial distribution (log scale) for a batch."""
    log_emissions = rng.normal(-3.0, 2.0, (batch, n_times, n_states))
    steps = (batch, n_times - 1) if time_varying else (batch,)
    transition = rng.dirichlet(np.ones(n_states), size=(*steps, n_states))
    initial = rng.dirichlet(np.ones(n_states), size=batch)
    return log_emissions, np.log(transition), np.log(initial)


def brute_force(log_emissions, log_transition, log_initial, time_varying=False):
    """Log likelihood and filtered probabilities of one series by summing over all K^T paths."""
    n_times, n_states = log_emissions.shape

    def transition(t, i, j):  # from state i at t - 1 to state j at t
        return log_transition[t - 1, i, j] if time_varying else log_transition[i, j]

    def log_joint(path):
        total = log_initial[path[0]] + log_emissions[0, path[0]]
        for t in range(1, len(path)):
            total += transition(t, path[t - 1], path[t]) + log_emissions[t, path[t]]
        return total

    filtered = np.empty((n_times, n_states))
    for t in range(n_times):
        paths = list(itertools.product(range(n_states), repeat=t + 1))
        joint = np.array([log_joint(p) for p in paths])
        last = np.array([p[-1] for p in paths])
        prefix_total = logsumexp(joint)
        filtered[t] = [np.exp(logsumexp(joint[last == k]) - prefix_total) for k in range(n_states)]
    return prefix_total, filtered


@pytest.mark.parametrize(
    ("n_times", "n_states", "time_varying"), [(8, 2, False), (6, 3, False), (7, 2, True)]
)
def test_forward_equals_enumeration_of_all_paths(n_times, n_states, time_varying):
    rng = np.random.default_rng(n_times * 10 + n_states)
    model = random_model(rng, 3, n_times, n_states, time_varying)
    result = forward_loglik(*model, time_varying=time_varying)
    assert result.loglik.shape == (3,)
    assert result.filtered.shape == (3, n_times, n_states)
    for b in range(3):
        expected_loglik, expected_filtered = brute_force(
            model[0][b], model[1][b], model[2][b], time_varying
        )
        assert result.loglik[b] == pytest.approx(expected_loglik, rel=1e-12)
        np.testing.assert_allclose(result.filtered[b], expected_filtered, rtol=1e-10, atol=1e-14)


def test_unbatched_call_and_shared_transition_broadcast():
    rng = np.random.default_rng(3)
    log_emissions, log_transition, log_initial = random_model(rng, 4, 8, 2)
    batched = forward_loglik(log_emissions, log_transition[0], log_initial[0])
    for b in range(4):
        single = forward_loglik(log_emissions[b], log_transition[0], log_initial[0])
        assert single.loglik.shape == ()
        assert single.loglik == pytest.approx(batched.loglik[b], rel=1e-14)


def test_no_underflow_on_a_long_unlikely_series():
    # 2,000 days at log densities near -50 each: the likelihood itself (about e^-100000) underflows
    # any float, its log does not. With identical emissions in both states the hidden state is
    # irrelevant and the log likelihood is the plain sum.
    rng = np.random.default_rng(4)
    per_day = rng.uniform(-60.0, -40.0, 2000)
    log_emissions = np.column_stack([per_day, per_day])
    log_transition = np.log([[0.9, 0.1], [0.3, 0.7]])
    result = forward_loglik(log_emissions, log_transition, np.log([0.5, 0.5]))
    assert result.loglik == pytest.approx(per_day.sum(), rel=1e-12)
    # The filtered distribution is then the predicted one: the chain's marginal, starting at 1/2.
    assert result.filtered[1] == pytest.approx([0.5 * 0.9 + 0.5 * 0.3, 0.5 * 0.1 + 0.5 * 0.7])


def test_impossible_data_give_minus_infinity_and_no_nan():
    with np.errstate(divide="ignore"):  # day 2 is impossible in both states
        log_emissions = np.log(np.array([[0.5, 0.5], [0.0, 0.0], [0.5, 0.5]]))
        log_transition = np.log(np.array([[1.0, 0.0], [0.0, 1.0]]))
    result = forward_loglik(log_emissions, log_transition, np.log([0.25, 0.75]))
    assert result.loglik == -np.inf
    assert np.all(np.isfinite(result.filtered))
    # A state ruled out by its emission alone is merely filtered away.
    with np.errstate(divide="ignore"):
        one_state = np.log(np.array([[1.0, 0.0], [1.0, 0.0]]))
    result = forward_loglik(one_state, log_transition, np.log([0.25, 0.75]))
    assert result.loglik == pytest.approx(np.log(0.25))
    assert result.filtered[-1] == pytest.approx([1.0, 0.0])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"log_emissions": np.zeros(5)}, "log_emissions must have shape"),
        ({"log_transition": np.log(np.full((3, 3), 1 / 3))}, r"end in shape \(2, 2\)"),
        ({"log_transition": np.log([[0.9, 0.9], [0.1, 0.1]])}, "sum to 1"),
        ({"log_initial": np.log([0.5, 0.3, 0.2])}, r"log_initial must end in shape \(2,\)"),
        ({"log_initial": np.array([np.nan, 0.0])}, "not NaN"),
        ({"time_varying": True}, r"end in shape \(3, 2, 2\)"),
    ],
)
def test_bad_arguments_raise(change, message):
    arguments = {
        "log_emissions": np.zeros((4, 2)),
        "log_transition": np.log([[0.9, 0.1], [0.1, 0.9]]),
        "log_initial": np.log([0.5, 0.5]),
    }
    arguments.update(change)
    with pytest.raises(ValueError, match=message), np.errstate(divide="ignore"):
        forward_loglik(**arguments)

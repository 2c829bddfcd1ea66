"""Exact marginalisation of a small hidden state: the forward algorithm of a hidden Markov model.

Where the record does not show a state the actors act on (a campaign regime, a lull) and the state
takes few values, the likelihood sums it out exactly, day by day, instead of simulating it: the
forward algorithm (Rabiner 1989, "A tutorial on hidden Markov models and selected applications in
speech recognition", Proceedings of the IEEE 77:257). Here it is batched over parameter sets, so
one call scores a whole SMC population.

The recursion is kept in probability space with one log scale per step (Rabiner's scaling), which
is the log-sum-exp trick: each day the emission log densities are shifted by their maximum before
exponentiating, the predicted state distribution is a normalised probability vector, and the log
of each day's normaliser is added to the log likelihood. Nothing underflows however long the
series or however unlikely the data.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["ForwardResult", "forward_loglik"]

#: Rows of a transition matrix and the initial distribution must sum to 1 within this.
_STOCHASTIC_TOLERANCE = 1e-8


class ForwardResult(NamedTuple):
    """What :func:`forward_loglik` returns.

    Attributes
    ----------
    loglik : ndarray, shape batch
        ``log p(y_1, ..., y_T)``, the states summed out; -inf where the data are impossible.
    filtered : ndarray, shape batch + (T, K)
        ``p(state_t = k | y_1, ..., y_t)``. After a day that makes the data impossible, the
        predicted distribution is carried instead (the likelihood is already -inf).
    """

    loglik: np.ndarray
    filtered: np.ndarray


def forward_loglik(
    log_emissions: np.ndarray,
    log_transition: np.ndarray,
    log_initial: np.ndarray,
    *,
    time_varying: bool = False,
) -> ForwardResult:
    """Log likelihood of a hidden Markov model, the hidden states summed out exactly.

    Shapes broadcast over leading batch axes (one per parameter set, say), so a population of
    parameter sets is scored in one call.

    Parameters
    ----------
    log_emissions : ndarray, shape batch + (T, K)
        ``log p(y_t | state_t = k)`` for each time ``t`` and state ``k``; -inf allowed.
    log_transition : ndarray, shape batch + (K, K), or batch + (T - 1, K, K) if ``time_varying``
        ``log p(state_t = j | state_{t-1} = i)`` at ``[..., i, j]``: each row is a distribution.
        With ``time_varying``, entry ``t - 1`` of the time axis leads from ``t - 1`` to ``t``.
    log_initial : ndarray, shape batch + (K,)
        ``log p(state_1 = k)``.
    time_varying : bool
        Whether ``log_transition`` has a time axis (it cannot be told from the shape alone when the
        batch size equals ``T - 1``).

    Returns
    -------
    ForwardResult
        ``loglik`` (shape batch) and ``filtered`` state probabilities (batch + (T, K)).
    """
    log_emissions = np.asarray(log_emissions, dtype=float)
    log_transition = np.asarray(log_transition, dtype=float)
    log_initial = np.asarray(log_initial, dtype=float)
    n_times, n_states = _check_shapes(log_emissions, log_transition, log_initial, time_varying)
    matrix_axes = 3 if time_varying else 2
    batch = np.broadcast_shapes(
        log_emissions.shape[:-2], log_transition.shape[:-matrix_axes], log_initial.shape[:-1]
    )
    # Work with the state axis first and the batch flattened last, so that every sum and maximum
    # over states is an elementwise operation on contiguous rows (fast for few states).
    emissions = _batch_last(log_emissions, batch, 2)  # (T, K, B)
    transition = np.exp(
        _batch_last(log_transition, log_transition.shape[:-matrix_axes], matrix_axes)
    )
    predicted = np.exp(_batch_last(log_initial, batch, 1))  # (K, B)
    loglik = np.zeros(emissions.shape[-1])
    filtered = np.empty_like(emissions)
    for t in range(n_times):
        if t > 0:
            step = transition[t - 1] if time_varying else transition  # (K, K, B or 1)
            predicted = np.sum(filtered[t - 1][:, None, :] * step, axis=0)
        shift = np.max(emissions[t], axis=0)
        shift = np.where(np.isfinite(shift), shift, 0.0)
        joint = predicted * np.exp(emissions[t] - shift)
        total = joint.sum(axis=0)
        possible = total > 0
        filtered[t] = np.where(possible, joint / np.where(possible, total, 1.0), predicted)
        with np.errstate(divide="ignore"):  # log(0) = -inf: the data are impossible
            loglik += np.log(total) + shift
    filtered = np.moveaxis(filtered, -1, 0).reshape(*batch, n_times, n_states)
    return ForwardResult(loglik.reshape(batch), filtered)


def _batch_last(values: np.ndarray, batch: tuple[int, ...], core: int) -> np.ndarray:
    """``values`` of shape ``batch' + core axes`` (``batch'`` broadcasting to ``batch``) as a
    contiguous array of shape ``core axes + (B,)``, ``B`` the flattened batch size (1 if
    ``batch`` is empty)."""
    core_shape = values.shape[values.ndim - core :]
    full = np.broadcast_to(values, (*batch, *core_shape)).reshape(-1, *core_shape)
    return np.ascontiguousarray(np.moveaxis(full, 0, -1))


def _check_shapes(
    log_emissions: np.ndarray,
    log_transition: np.ndarray,
    log_initial: np.ndarray,
    time_varying: bool,
) -> tuple[int, int]:
    """Validate the arguments of :func:`forward_loglik`; return (T, K)."""
    if log_emissions.ndim < 2 or 0 in log_emissions.shape[-2:]:
        raise ValueError(
            f"log_emissions must have shape batch + (T, K) with T, K >= 1, got "
            f"{log_emissions.shape}"
        )
    n_times, n_states = log_emissions.shape[-2:]
    expected = (n_times - 1, n_states, n_states) if time_varying else (n_states, n_states)
    if log_transition.shape[-len(expected) :] != expected or log_transition.ndim < len(expected):
        raise ValueError(
            f"log_transition must end in shape {expected} "
            f"({'T - 1 matrices, ' if time_varying else ''}K = {n_states} states from "
            f"log_emissions), got {log_transition.shape}"
        )
    if log_initial.shape[-1:] != (n_states,):
        raise ValueError(f"log_initial must end in shape ({n_states},), got {log_initial.shape}")
    for name, values in (("log_transition", log_transition), ("log_initial", log_initial)):
        if np.isnan(values).any() or (values == np.inf).any():
            raise ValueError(f"{name} must hold log probabilities (-inf allowed), not NaN or +inf")
        sums = np.exp(values).sum(axis=-1)
        if not np.allclose(sums, 1.0, rtol=0.0, atol=_STOCHASTIC_TOLERANCE):
            worst = float(sums.ravel()[np.argmax(np.abs(sums - 1.0).ravel())])
            raise ValueError(
                f"{name}: probabilities must sum to 1 over the last axis (the next state), "
                f"found a sum of {worst}"
            )
    if np.isnan(log_emissions).any() or (log_emissions == np.inf).any():
        raise ValueError("log_emissions must hold log densities (-inf allowed), not NaN or +inf")
    return n_times, n_states

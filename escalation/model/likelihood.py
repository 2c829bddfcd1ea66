"""The probability of what was observed, day by day, under the agents' own decisions.

Replay forces the observed history into the agents (:mod:`escalation.model.replay`); with
``score=True`` each agent also scores what the record says it did against the probabilities
its policy gives that day. This module holds the pieces they share: Bernoulli and Poisson log
probabilities with a floor, the exact marginalisation of the US's pending strike orders (which
the record never shows), and the log probability of each observed attack's weapon and
casualties. One decision, two uses: the same probabilities are what simulation draws from, so
simulation and inference cannot drift apart (``../shared/GUIDE.md``, section 3).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.stats

#: Smallest probability an observed act may have: an act the model rules out (a strike by a
#: policy that never strikes, a death at a site without Americans) costs log(1e-9) ~ -20.7
#: instead of ruling out every parameter set at once. An assumption ("trembling hand").
MIN_PROBABILITY = 1e-9
#: Longest delay (days) between a US order and its strike round the filter tracks; the
#: Poisson tail beyond it (about 1e-6 at the largest ``us_lag_mean`` of 30) is put on it.
MAX_ORDER_DELAY = 60


def log_bernoulli(probability: np.ndarray, happened: np.ndarray | bool) -> np.ndarray:
    """``log P(happened)`` for a Bernoulli with success ``probability``, floored."""
    p = np.minimum(np.maximum(probability, MIN_PROBABILITY), 1.0 - MIN_PROBABILITY)
    if np.ndim(happened) == 0:  # one outcome for every world: one logarithm, not two
        return np.log(p) if happened else np.log1p(-p)
    return np.where(happened, np.log(p), np.log1p(-p))


def log_poisson(count: int, rate: np.ndarray) -> np.ndarray:
    """``log P(count)`` for a Poisson with mean ``rate``, floored (a zero rate and a count)."""
    rate = np.maximum(np.asarray(rate, dtype=float), 0.0)
    with np.errstate(divide="ignore"):
        value = count * np.log(rate) - rate - math.lgamma(count + 1) if count else -rate
    return np.maximum(value, np.log(MIN_PROBABILITY))


def delay_pmf(lag_mean: np.ndarray) -> np.ndarray:
    """``(n, MAX_ORDER_DELAY)`` chances of a delay of 1, 2, ... days: ``1 + Poisson(lag - 1)``.

    The same law :meth:`escalation.model.policies.Retaliation.respond` draws delays from.
    """
    lam = np.maximum(np.atleast_1d(np.asarray(lag_mean, dtype=float)) - 1.0, 0.0)
    extra = np.arange(MAX_ORDER_DELAY)
    pmf = scipy.stats.poisson.pmf(extra[None, :], lam[:, None])
    pmf[:, -1] += np.maximum(1.0 - pmf.sum(axis=1), 0.0)
    return pmf


class PendingOrders:
    """The US's hidden order book, summed out exactly: a forward filter over days to strike.

    The record shows strike rounds, never the orders behind them: a round on day t may have
    been ordered on any earlier day, and while an order is pending no other is given. The
    state of each world is "idle" or "a round due on day t" for the next MAX_ORDER_DELAY days;
    each day a world that is idle orders with the policy's probability, and the delay follows
    :func:`delay_pmf`. :meth:`observe` advances the belief over these states by one day and
    returns the log probability of what was observed (the forward algorithm of a hidden Markov
    model, Rabiner 1989, "A tutorial on hidden Markov models", Proc. IEEE 77(2)).

    The belief is kept unnormalised, over calendar days in a ring of MAX_ORDER_DELAY + 1 slots,
    with its total alongside: a quiet day then costs an update of the slots and their sum
    instead of a shift and a renormalisation of the whole belief.
    """

    def __init__(self, n: int, lag_mean: np.ndarray | float) -> None:
        #: ``due[t % slots]``: unnormalised chance of a round due on day t; then idle and total.
        self.due = np.zeros((MAX_ORDER_DELAY + 1, n))
        self.idle = np.ones(n)
        self.total = np.ones(n)
        self.day = 0
        self.set_lag(lag_mean)

    def set_lag(self, lag_mean: np.ndarray | float) -> None:
        """Delays of orders given from now on: ``1 + Poisson(lag_mean - 1)`` days."""
        n = len(self.idle)
        delays = delay_pmf(np.broadcast_to(np.asarray(lag_mean, dtype=float), (n,)))
        self.delays = np.ascontiguousarray(delays.T)  # (MAX_ORDER_DELAY, n)

    def observe(self, order_probability: np.ndarray, struck: bool | None) -> np.ndarray:
        """One day: the log probability of a round starting today (``struck``) or not.

        ``struck=None`` marks a day that carries no news on orders (airstrikes the day after
        others, one round running past midnight: :func:`escalation.model.replay.order_rounds`):
        the worlds stay idle and score nothing.
        """
        slots = len(self.due)
        today = self.day % slots
        self.day += 1
        if struck is None:
            self._reset(slice(None))
            return np.zeros(len(self.idle))
        due = self.due[today] / self.total
        if struck:
            logp = np.log(np.maximum(due, MIN_PROBABILITY))
            self._reset(slice(None))
            return logp
        logp = np.log(np.maximum(1.0 - due, MIN_PROBABILITY))
        self.due[today] = 0.0
        order = np.asarray(order_probability, dtype=float)
        ordered = self.idle * order
        self.idle = self.idle * (1.0 - order)
        # An order given today with a delay of d days falls due on day today + d.
        head = slots - 1 - today
        self.due[today + 1 :] += self.delays[:head] * ordered
        self.due[:today] += self.delays[head:] * ordered
        # Summed afresh each day: a running total minus what fell due loses its precision
        # within weeks as the unnormalised mass shrinks.
        self.total = self.idle + self.due.sum(axis=0)
        # A round that was surely due did not come (only possible at the floor): start afresh.
        spent = self.total <= 0.0
        if spent.any():
            self._reset(spent)
        if self.total.min() < 1e-100:  # keep the unnormalised belief clear of underflow
            self.due /= self.total
            self.idle /= self.total
            self.total[:] = 1.0
        return logp

    def _reset(self, worlds: slice | np.ndarray) -> None:
        """Back to idle, with no round pending, in ``worlds``."""
        self.due[:, worlds] = 0.0
        self.idle[worlds] = 1.0
        self.total[worlds] = 1.0


def attack_log_likelihood(
    weapon_probabilities: np.ndarray,
    intercept_rocket: np.ndarray,
    intercept_drone: np.ndarray,
    observed_type: np.ndarray,
) -> np.ndarray:
    """``(n,)`` log probability of one day's observed attack types in each world.

    ``weapon_probabilities`` is ``(n, 4)`` (rocket, drone, IED, other), the chances the
    militias' harassment policy gives each weapon today; ``observed_type`` holds one code per
    attack: 0-3 for an attack of that weapon that was not intercepted, 4 for an attack fully
    intercepted (whose weapon the record does not say: rockets and drones are summed over).
    """
    rocket, drone = weapon_probabilities[:, 0], weapon_probabilities[:, 1]
    per_type = np.stack(
        [
            rocket * (1.0 - intercept_rocket),
            drone * (1.0 - intercept_drone),
            weapon_probabilities[:, 2],
            weapon_probabilities[:, 3],
            rocket * intercept_rocket + drone * intercept_drone,
        ],
        axis=1,
    )
    counts = np.bincount(observed_type, minlength=5)
    return np.log(np.maximum(per_type, MIN_PROBABILITY)) @ counts

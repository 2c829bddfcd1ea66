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
import scipy.special
import scipy.stats

#: Smallest probability an observed act may have: an act the model rules out (a strike by a
#: policy that never strikes, a death at a site without Americans) costs log(1e-9) ~ -20.7
#: instead of ruling out every parameter set at once. An assumption ("trembling hand").
MIN_PROBABILITY = 1e-9
#: Its logarithm, the floor of a log probability.
LOG_MIN_PROBABILITY = np.log(MIN_PROBABILITY)
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
    if not count:
        return np.maximum(-rate, LOG_MIN_PROBABILITY)
    with np.errstate(divide="ignore"):
        value = count * np.log(rate) - rate - math.lgamma(count + 1)
    return np.maximum(value, LOG_MIN_PROBABILITY)


def log_polya_aeppli(count: int, lam: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``log P(count)`` for a Pólya-Aeppli law (compound Poisson, geometric batches), floored.

    ``count`` is the sum of ``N ~ Poisson(lam)`` batches whose sizes are geometric on 1, 2, ...
    with ``P(size = b) = (1 - p) p**(b - 1)`` (mean ``1 / (1 - p)``); the mean count is
    ``lam / (1 - p)``, and ``p = 0`` is the Poisson law. Summing over the number of batches j,
    ``P(k) = exp(-lam) sum_j lam**j / j! C(k - 1, j - 1) p**(k - j) (1 - p)**j`` (Johnson,
    Kemp & Kotz 2005, "Univariate Discrete Distributions", 3rd ed., section 9.7).
    """
    lam = np.maximum(np.asarray(lam, dtype=float), 0.0)
    if count == 0:
        return np.maximum(-lam, LOG_MIN_PROBABILITY)
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    j = np.arange(1, count + 1, dtype=float)
    log_choose = (
        scipy.special.gammaln(count)
        - scipy.special.gammaln(j)
        - scipy.special.gammaln(count - j + 1)
    )
    lam, p = lam[..., None], p[..., None]
    terms = (
        scipy.special.xlogy(j, lam)
        - scipy.special.gammaln(j + 1)
        + log_choose
        + scipy.special.xlogy(count - j, p)  # 0 log 0 = 0: p = 0 leaves the Poisson term j = k
        + scipy.special.xlog1py(j, -p)
    )
    value = scipy.special.logsumexp(terms, axis=-1) - lam[..., 0]
    return np.maximum(value, LOG_MIN_PROBABILITY)


def polya_aeppli_pmf(
    kmax: int, lam: np.ndarray, p: np.ndarray, reach: np.ndarray | None = None
) -> np.ndarray:
    """``(n, kmax + 1)`` Pólya-Aeppli probabilities of 0 .. kmax, by Panjer's recursion.

    The same law as :func:`log_polya_aeppli` (which scores it), here as a table to draw from:
    ``P(0) = exp(-lam)``, ``P(k) = sum_i lam i / k (1 - p) p**(i - 1) P(k - i)`` (Panjer 1981,
    "Recursive evaluation of a family of compound distributions", ASTIN Bulletin 12(1)).
    With ``reach`` (one level per row), the table stops at the first ``k`` where every row's
    cumulative probability exceeds its level: enough to draw by inversion with those
    uniforms, without the columns no draw reads.
    """
    lam = np.atleast_1d(np.maximum(np.asarray(lam, dtype=float), 0.0))
    p = np.broadcast_to(np.clip(np.asarray(p, dtype=float), 0.0, 1.0), lam.shape)
    sizes = np.arange(1, kmax + 1)
    batch = (1.0 - p)[:, None] * p[:, None] ** (sizes - 1)[None, :]  # P(size = i), i = 1..kmax
    pmf = np.zeros((len(lam), kmax + 1))
    pmf[:, 0] = np.exp(-lam)
    cumulative = pmf[:, 0].copy()
    for k in range(1, kmax + 1):
        if reach is not None and np.all(cumulative > reach):
            return pmf[:, :k]
        i = sizes[:k]
        pmf[:, k] = lam / k * np.sum(i * batch[:, :k] * pmf[:, k - i], axis=1)
        cumulative += pmf[:, k]
    return pmf


def reported_count_log_likelihood(
    count: int, other_rate: np.ndarray, batch_rate: np.ndarray, batch_continue: np.ndarray
) -> np.ndarray:
    """``log P(count)`` of a day's total reported attacks: Poisson others plus Pólya-Aeppli IEDs.

    The convolution over how many of the ``count`` were IEDs; with ``batch_continue`` 0 it is the
    Poisson law of the summed rate. This is the law the count baselines (Poisson, negative
    binomial) are compared with, which see counts only.
    """
    splits = [
        log_poisson(count - ieds, other_rate) + log_polya_aeppli(ieds, batch_rate, batch_continue)
        for ieds in range(count + 1)
    ]
    return scipy.special.logsumexp(np.stack(splits), axis=0)


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
        #: Like ``due``, each order's chance times its round's sites, when sizes are given.
        self.sized: np.ndarray | None = None
        self.idle = np.ones(n)
        self.total = np.ones(n)
        self.day = 0
        self.set_lag(lag_mean)

    def set_lag(self, lag_mean: np.ndarray | float) -> None:
        """Delays of orders given from now on: ``1 + Poisson(lag_mean - 1)`` days."""
        n = len(self.idle)
        delays = delay_pmf(np.broadcast_to(np.asarray(lag_mean, dtype=float), (n,)))
        self.delays = np.ascontiguousarray(delays.T)  # (MAX_ORDER_DELAY, n)

    def observe(
        self,
        order_probability: np.ndarray,
        struck: bool | None,
        sites: np.ndarray | None = None,
    ) -> np.ndarray:
        """One day: the log probability of a round starting today (``struck``) or not.

        ``struck=None`` marks a day that carries no news on orders (airstrikes the day after
        others, one round running past midnight: :func:`escalation.model.replay.order_rounds`):
        the worlds stay idle and score nothing. ``sites``, the size of a round ordered today,
        is tracked for :meth:`draw` when given (from the first day on; scoring needs none).
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
        order = np.asarray(order_probability, dtype=float)
        ordered = self.idle * order
        self.idle = self.idle * (1.0 - order)
        self._schedule(self.due, ordered, today)
        if sites is not None:
            if self.sized is None:
                self.sized = np.zeros_like(self.due)
            self._schedule(self.sized, ordered * sites, today)
        # Summed afresh each day: a running total minus what fell due loses its precision
        # within weeks as the unnormalised mass shrinks.
        self.total = self.idle + self.due.sum(axis=0)
        # A round that was surely due did not come (only possible at the floor): start afresh.
        spent = self.total <= 0.0
        if spent.any():
            self._reset(spent)
        if np.min(self.total) < 1e-100:  # keep the unnormalised belief clear of underflow
            self.due /= self.total
            if self.sized is not None:
                self.sized /= self.total
            self.idle /= self.total
            self.total[:] = 1.0
        return logp

    def _schedule(self, ring: np.ndarray, ordered: np.ndarray, today: int) -> None:
        """Clear today's slot of ``ring`` (its round did not come) and spread the mass
        ``ordered`` today over the days it falls due: an order given today with a delay of d
        days falls due on day today + d."""
        ring[today] = 0.0
        head = len(ring) - 1 - today
        ring[today + 1 :] += self.delays[:head] * ordered
        ring[:today] += self.delays[head:] * ordered

    def pending_probability(self) -> np.ndarray:
        """Per world, the chance after the days observed that a round is ordered and not yet
        struck (what :meth:`draw` carries into a forecast)."""
        return 1.0 - self.idle / self.total

    def draw(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(days, sites)`` per world: the days until a pending round falls due (0: today; -1:
        none pending), drawn by inversion with the uniforms ``u`` from the belief after the days
        observed, and that round's sites (0 where none is pending).

        Where a forecast starts the order book the record hides: a round ordered before the
        origin and not yet struck is carried into the simulated days with the chance the record
        leaves it, as the campaign state is. Its size is the mean size of the rounds that may
        fall due that day (each order's size weighted by its chance), rounded: one size when,
        as usual, one day's order explains the round; 1 when :meth:`observe` was given none.
        """
        slots = len(self.due)
        ahead = np.roll(self.due, -(self.day % slots), axis=0)  # row k: due k days from now
        chances = np.vstack((self.idle[None, :], ahead)) / self.total
        cumulative = np.cumsum(chances, axis=0).T
        cumulative[:, -1] = 1.0  # rounding must not leave a draw past the last state
        days = np.minimum((u[:, None] >= cumulative).sum(axis=1), slots) - 1
        pending = np.flatnonzero(days >= 0)
        sites = np.zeros(len(days), dtype=np.int64)
        if self.sized is None:
            sites[pending] = 1
        else:
            slot = (self.day + days[pending]) % slots  # the drawn day's slot in the ring
            mass, sized = self.due[slot, pending], self.sized[slot, pending]
            mean = np.divide(sized, mass, out=np.ones_like(mass), where=mass > 0)
            sites[pending] = np.maximum(np.rint(mean), 1)
        return days, sites

    def _reset(self, worlds: slice | np.ndarray) -> None:
        """Back to idle, with no round pending, in ``worlds``."""
        self.due[:, worlds] = 0.0
        if self.sized is not None:
            self.sized[:, worlds] = 0.0
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


def reported_attack_log_likelihood(
    other_rate: np.ndarray,
    ied_batch_rate: np.ndarray,
    ied_batch_continue: np.ndarray,
    weapon_probabilities: np.ndarray,
    intercept_rocket: np.ndarray,
    intercept_drone: np.ndarray,
    observed_type: np.ndarray,
) -> np.ndarray:
    """``(n,)`` log probability of one day's reported attacks when IED reports are batched.

    Attacks other than IEDs are all reported, a Poisson count with mean ``other_rate``; the
    reported IEDs are a separate Pólya-Aeppli count (``ied_batch_rate`` batches a day, each of
    geometric size with ``ied_batch_continue``, :func:`log_polya_aeppli`). Given the two
    counts, which of the day's ``n`` attacks in the record's order are the IEDs is uniform
    over the ``C(n, n_ied)`` interleavings, and each other attack's weapon follows the mix
    without IEDs (``weapon_probabilities`` renormalised over rocket, drone and other). With a
    Poisson IED count of mean ``rate x IED share`` (``ied_batch_continue`` 0) this equals the
    Poisson count of all attacks times :func:`attack_log_likelihood`, the full-reporting score.
    """
    observed_type = np.asarray(observed_type)
    is_ied = observed_type == 2
    n, n_ied = len(observed_type), int(np.count_nonzero(is_ied))
    ied_share = weapon_probabilities[:, 2]
    logp = log_poisson(n - n_ied, other_rate) + log_polya_aeppli(
        n_ied, ied_batch_rate, ied_batch_continue
    )
    if n == n_ied:
        return logp
    interleavings = math.lgamma(n + 1) - math.lgamma(n_ied + 1) - math.lgamma(n - n_ied + 1)
    weapons = attack_log_likelihood(
        weapon_probabilities, intercept_rocket, intercept_drone, observed_type[~is_ied]
    )
    not_ied = np.log(np.maximum(1.0 - ied_share, MIN_PROBABILITY))
    return logp - interleavings + weapons - (n - n_ied) * not_ied


def country_log_likelihood(
    weapon_probabilities: np.ndarray,
    country_given_weapon: np.ndarray,
    intercept_rocket: np.ndarray,
    intercept_drone: np.ndarray,
    observed_type: np.ndarray,
    observed_country: np.ndarray,
) -> np.ndarray:
    """``(n,)`` log probability of the countries of one day's observed attacks, given their types.

    ``country_given_weapon`` is ``(n, 4, 2)``: the chances of Iraq and Syria for an attack of
    each weapon; ``observed_type`` holds the codes of :func:`attack_log_likelihood` (4: fully
    intercepted, a rocket or a drone whose weapon the record does not give) and
    ``observed_country`` 0 (Iraq) or 1 (Syria). An intercepted attack's country is mixed over
    rockets and drones by their chances of being intercepted. Added to the count and weapon
    terms, it gives the likelihood of independent Poisson counts by weapon and country.
    """
    rocket = weapon_probabilities[:, 0] * intercept_rocket
    drone = weapon_probabilities[:, 1] * intercept_drone
    intercepted = (
        rocket[:, None] * country_given_weapon[:, 0] + drone[:, None] * (country_given_weapon[:, 1])
    )
    intercepted = intercepted / np.maximum(rocket + drone, MIN_PROBABILITY)[:, None]
    per_code = np.concatenate([country_given_weapon, intercepted[:, None, :]], axis=1)
    countries = per_code.shape[2]
    cells = np.asarray(observed_type) * countries + np.asarray(observed_country)
    counts = np.bincount(cells, minlength=per_code.shape[1] * countries)
    logp = np.log(np.maximum(per_code.reshape(len(per_code), -1), MIN_PROBABILITY))
    return logp @ counts

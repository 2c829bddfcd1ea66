"""The militias' campaigns: a hidden calm/campaign state that multiplies their attack rates.

The 2021 record's attacks come in sequences, not at a steady rate: four in January, a run from
15 February to 3 March, ten in the fortnight after the 27 June strikes (Gulf International
Forum, July 2021, "U.S.-Iran Clashes in Syria and Iraq: Exchange of Messages or Serious
Escalation?", lists the 5-8 July sequence). :class:`Campaign` holds, in every world, the chance
that the militias are in a campaign today, under the scenario's ``campaigns`` policy
(:class:`~escalation.model.policies.CampaignRegime`: a two-state Markov chain whose chance of
opening a campaign rises for a week after a strike on the militias, an anniversary the
scenario's timeline marks, or an arrest).

In simulation the state is drawn each day, so the chance is 0 or 1. In replay it is never
drawn: the record shows attacks, not campaigns, so the chance is filtered, day by day, from the
attacks seen (the forward algorithm of a two-state hidden Markov model; Rabiner 1989, "A
tutorial on hidden Markov models", Proc. IEEE 77(2)), and the likelihood of each day's count
is the mixture over the two states. A forecast that follows a replay starts from the filtered
chance on the last observed day.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from escalation.model.ladder import RollingSum
from escalation.model.policies import CAMPAIGN_TRIGGER_DAYS, Campaigns, make_policy

if TYPE_CHECKING:  # the model owns the campaign; this module only reads it
    from escalation.model.model import EscalationModel


class Campaign:
    """Calm or campaign, in every world: drawn in simulation, summed out in replay."""

    def __init__(self, model: EscalationModel) -> None:
        self.model = model
        self.adopt()
        policy = self.policy
        n = model.n_worlds
        self.strikes = RollingSum(n, CAMPAIGN_TRIGGER_DAYS)
        self.arrests = RollingSum(n, CAMPAIGN_TRIGGER_DAYS)
        # Before the first day: the chain's long-run share of campaign days, without triggers.
        onset = policy.onset_probability(np.zeros(n), np.zeros(n), model.p)
        end = policy.end_probability(model.p)
        with np.errstate(invalid="ignore"):
            start = np.where(onset > 0, onset / (onset + end), 0.0)
        #: Chance of a campaign today in each world (0 or 1 once simulation draws it).
        self.probability = np.broadcast_to(start, (n,)).astype(float)

    def adopt(self) -> None:
        """Follow the campaigns policy the model chooses today (its scenario's, or a timeline
        switch's); the chance of a campaign carries over."""
        policy = make_policy("militia", "campaigns", self.model.policy("militia", "campaigns"))
        if not isinstance(policy, Campaigns):
            raise TypeError(f"policy {policy!r} for militia campaigns is not a Campaigns")
        self.policy = policy

    def start_of_day(self, draw: np.ndarray | None) -> None:
        """Move the chain one day; in simulation draw today's state with the uniforms ``draw``."""
        p = self.model.p
        onset = self.policy.onset_probability(self.strikes.total, self.arrests.total, p)
        end = self.policy.end_probability(p)
        self.probability = self.probability * (1.0 - end) + (1.0 - self.probability) * onset
        if draw is not None:
            self.probability = (draw < self.probability).astype(float)

    def multiplier(self) -> np.ndarray | float:
        """Today's multiplier on attack rates: the campaign's intensity where one is drawn.

        In replay the state is not drawn and the multiplier is 1 in every world: :meth:`observe`
        mixes the two.
        """
        if self.model.replaying:
            return 1.0
        intensity = self.policy.intensity(self.model.p)
        return np.where(self.probability > 0.5, intensity, 1.0)

    def observe(self, log_count: Callable[[np.ndarray | float], np.ndarray]) -> np.ndarray:
        """Log probability of today's observed attacks, the state summed out; then filter.

        ``log_count(multiplier)`` is the log probability of the day's observed attacks with
        attack rates multiplied by ``multiplier``.
        """
        calm, campaign = self._joint(log_count)
        if campaign is None:
            return calm
        total = np.logaddexp(calm, campaign)
        self.probability = np.exp(campaign - total)
        return total

    def predictive(self, log_count: Callable[[np.ndarray | float], np.ndarray]) -> np.ndarray:
        """Log probability of today's observation given the past, the state summed out, without
        filtering on it (``log_count`` as for :meth:`observe`)."""
        calm, campaign = self._joint(log_count)
        return calm if campaign is None else np.logaddexp(calm, campaign)

    def _joint(
        self, log_count: Callable[[np.ndarray | float], np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Log probabilities of today's observation together with calm and with a campaign
        (None where no world can be in a campaign: then the first is the observation's alone)."""
        calm = log_count(1.0)
        prior = self.probability
        if not np.any(prior > 0):
            return calm, None
        campaign = log_count(self.policy.intensity(self.model.p))
        with np.errstate(divide="ignore"):
            return np.log1p(-prior) + calm, np.log(prior) + campaign

    def end_of_day(self, struck: np.ndarray, arrested: np.ndarray) -> None:
        """Remember today's triggers: strikes on the militias (or anniversaries), and arrests."""
        self.strikes.push(np.asarray(struck, dtype=float))
        self.arrests.push(np.asarray(arrested, dtype=float))

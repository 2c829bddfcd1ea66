"""Decision rules of the actors, one class per policy, each a function of arrays over worlds.

In the manner of Axelrod's strategies (``axelrod/strategies/titfortat.py``), a policy has a
``name``, a ``classifier`` dict stating what kind of rule it is, declared ``options`` with
their valid values, and one decision method. Policies hold no state: the memory they read
and update lives in arrays of shape ``(n_worlds,)`` owned by the agent (a
:class:`RetaliationMemory` for the retaliating side), so one call decides for every world
at once, and a batch gives the same decisions as the worlds one by one.

Policies are grouped by the *slot* of an actor's behaviour they fill (see :data:`POLICY_SLOTS`): the
US's ``retaliation``; the militias' ``harassment``, ``reprisal`` and ``campaigns``; Israel's
``interdiction``; Baghdad's ``sovereignty`` and ``crackdown``; Iran's ``patronage``. A
:class:`~escalation.model.scenario.Scenario` picks one policy per slot.

Sources, cited by outlet, date and title (files in ``shared/seeds``):

- GIF: Gulf International Forum, July 2021, "U.S.-Iran Clashes in Syria and Iraq:
  Exchange of Messages or Serious Escalation?" (003_5e5976555f88c319.txt)
- WIRE: wire-based report, 28 June 2021, "Mutual bombing between US forces and Iranian
  militias in Syria" (001_7be70c43fb544a5f.txt)
- NETWORK: US network news report, 28 June 2021, US "defensive" airstrikes in Iraq and
  Syria (004_57e00433b4d553e0.txt)
- NEWSWEEK: Newsweek, September 2021, "U.S. Military Denies, Israel Declines to Comment
  on Iraq-Syria Border Strike Reports" (000_1177dc27ebc20598.txt)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.special

from escalation.events.schema import EventType, severity
from escalation.model.parameters import range_problem
from escalation.model.streams import categorical, poisson

#: What crosses a red line, from the lowest bar to the highest (GIF: the 2021 line is
#: "attacks against its personnel, even if they do not result in U.S. casualties"; the
#: Trump administration "drew the 'red line' at the killing of an American").
LINES = ("personnel", "injury", "killed")
#: A parameter as policies receive it: one number for every world, or one per world.
Value = float | np.ndarray

# -- constants of the policies, each with its source or stated as an assumption -----------------
#: Daily persistence of the count of one's own recent strike rounds (the inertia term of
#: :class:`PartialReciprocity`): a half-life of about 23 days, so a round weighs for about a
#: month, like the grievance. An assumption; Goldstein & Freeman 1991 estimate inertia on
#: monthly data, where a month's own actions carry into the next.
RECENT_ROUNDS_PERSISTENCE = 0.97
#: Most sites in one :class:`RedLine` round below the line at "killed". NETWORK: the 27 June round
#: struck "two locations in Syria and one in Iraq", the most of the 2021-22 rounds.
RED_LINE_MAX_SITES = 3
#: Sites of a round that answers an American killed, under a :class:`RedLine` at "killed".
#: Public record of the
#: Trump administration's line at "the killing of an American" (GIF): the 27 December 2019
#: rocket attack on K1 that killed a US contractor was answered on 29 December by strikes on
#: five Kata'ib Hezbollah sites (three in Iraq, two in Syria); the 11 March 2020 attack on
#: Camp Taji that killed two Americans was answered on 12 March by strikes on five Kata'ib
#: Hezbollah weapons-storage sites.
KILLING_ROUND_SITES = 5
#: Days within which a strike round answers a crossing of the line in the militias' eyes: a
#: day with crossings that no strike round follows within this window counts against the line.
#: In the public record the February 2021 round came ten days after the 15 February Erbil
#: attack (eleven in local dates; docs/data.md) and the 2019-20 answers to killings within two
#: days; two weeks covers both, and is otherwise an assumption.
ANSWER_WINDOW_DAYS = 14
#: Most sites in one :class:`DelayedProportional` round (an assumption: the largest rounds a
#: proportional answer would order; :class:`Disproportionate` uses the same number by default).
PROPORTIONAL_MAX_SITES = 5
#: Severity of one site of a US strike round: what a proportional answer weighs provocation
#: against (:data:`escalation.events.schema.EventType.AIRSTRIKE`'s base severity).
SITE_SEVERITY = float(severity(EventType.AIRSTRIKE))
#: How fuzzy a tolerated level is, as a share of the level: Israel's tolerance of militia
#: activity and Baghdad's of pressure to expel US forces (GIF: "a certain level ... above which
#: the U.S. and Israel will not tolerate"; the articles give no sharpness). An assumption: the
#: chance of acting is 27% at 10% below the level, 73% at 10% above; a hard level would make
#: one early or late act impossible, so the record could not inform the level.
TOLERANCE_WIDTH = 0.1
#: Days since the last strike round before any: a value no memory reaches ("never").
NEVER = 10_000
#: Days a crackdown lasts once started. GIF: Washington demands that Baghdad "rein in the
#: militias"; how long Baghdad keeps at it is not reported, and a month is an assumption.
CRACKDOWN_DAYS = 30
#: Days of militia attacks in Iraq Baghdad weighs when deciding a crackdown ("the last month",
#: the unit of ``crackdown_rate``; an assumption like :data:`CRACKDOWN_DAYS`).
CRACKDOWN_MEMORY_DAYS = 30
#: Days of US strike rounds the talks-collapse hazard counts ("the last week": the unit of
#: ``talks_fragility``). GIF: "a dramatic escalation could dissolve the talks"; a week is an
#: assumption.
TALKS_MEMORY_DAYS = 7
#: Days a strike on the militias, an anniversary or an arrest raises the chance of a campaign
#: (WIRE: the answer to the 27 June strikes began the next day; a week is an assumption).
CAMPAIGN_TRIGGER_DAYS = 7


# -- declared options ------------------------------------------------------------------------
@dataclass(frozen=True)
class Option:
    """A policy option: its default and either allowed values, a numeric range or, with
    ``date``, a day (a date, or its ISO text ``"YYYY-MM-DD"``; the policy holds a date)."""

    default: object
    choices: tuple = ()
    low: float = -math.inf
    high: float = math.inf
    meaning: str = ""
    date: bool = False

    def problem(self, name: str, value: object) -> str | None:
        """A message naming ``name`` if ``value`` is not a valid setting of this option."""
        if self.date:
            if _as_date(value) is None:
                return f"option {name!r}: {value!r} is not a YYYY-MM-DD date"
            return None
        if self.choices:
            if value not in self.choices:
                return (
                    f"option {name!r}: {value!r} is not one of {', '.join(map(repr, self.choices))}"
                )
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"option {name!r}: {value!r} is not a number"
        problem = range_problem(value, self.low, self.high)
        return f"option {name!r}: {value} {problem}" if problem else None


def _as_date(value: object) -> dt.date | None:
    """``value`` as a date if it is one (not a date and time) or its ISO text, else None."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def check_options(policy_class, options: dict) -> str | None:
    """A message naming the first bad option of ``policy_class``, or None."""
    for name, value in options.items():
        if name not in policy_class.options:
            allowed = ", ".join(policy_class.options) or "none"
            return f"unknown option {name!r} for policy {policy_class.name!r}; expected: {allowed}"
        problem = policy_class.options[name].problem(name, value)
        if problem:
            return problem
    return None


class Policy:
    """Base of all policies: options validated and stored as attributes."""

    name = "policy"
    classifier: dict = {}
    options: dict = {}

    def __init__(self, **options: object) -> None:
        problem = check_options(type(self), options)
        if problem:
            raise ValueError(problem)
        for key, spec in self.options.items():
            value = options.get(key, spec.default)
            if spec.date and key in options:
                value = _as_date(value)  # given as a date or its ISO text: held as a date
            setattr(self, key, value)

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.options)
        return f"{type(self).__name__}({opts})"


# == United States: retaliation ===============================================================
@dataclass
class RetaliationMemory:
    """What the retaliating side remembers, and what the militias believe of it, per world.

    ``grievance``: decaying sum of the severity of crossings since the last strike round;
    ``answered`` and ``unanswered``: the two counts of the militias' Beta belief that a
    crossing of the line is answered (prior pseudo-counts plus strike rounds seen, and days
    with crossings no round followed within :data:`ANSWER_WINDOW_DAYS`); ``waiting``:
    ``(n_worlds, ANSWER_WINDOW_DAYS)``, column ``k`` true if the crossings of ``k`` days ago
    still await an answer; ``pending``: days until an ordered strike round (-1: none);
    ``pending_sites``: its size; ``grudge``: a crossing has ever happened;
    ``since_strike``: days since the last strike round; ``recent``: decaying count of own
    strike rounds (the inertia term of partial reciprocity); ``today``: severity of
    today's crossings.
    """

    grievance: np.ndarray
    answered: np.ndarray
    unanswered: np.ndarray
    waiting: np.ndarray
    pending: np.ndarray
    pending_sites: np.ndarray
    grudge: np.ndarray
    since_strike: np.ndarray
    recent: np.ndarray
    today: np.ndarray

    @classmethod
    def fresh(
        cls, n: int, prior_answered: float = 0.5, prior_strength: Value = 4.0
    ) -> RetaliationMemory:
        """The memory of ``n`` worlds before any crossing: nothing owed, and the militias'
        prior belief, Beta with mean ``prior_answered`` worth ``prior_strength`` observed days
        (one number, or one per world)."""
        strength = np.broadcast_to(np.asarray(prior_strength, dtype=float), (n,))
        return cls(
            grievance=np.zeros(n),
            answered=strength * prior_answered,
            unanswered=strength * (1.0 - prior_answered),
            waiting=np.zeros((n, ANSWER_WINDOW_DAYS), dtype=bool),
            pending=np.full(n, -1, dtype=np.int64),
            pending_sites=np.zeros(n, dtype=np.int64),
            grudge=np.zeros(n, dtype=bool),
            since_strike=np.full(n, NEVER, dtype=np.int64),
            recent=np.zeros(n),
            today=np.zeros(n),
        )

    @property
    def credibility(self) -> np.ndarray:
        """The line's credibility as the militias believe it: the posterior mean
        ``answered / (answered + unanswered)`` of their Beta belief (0 if both are 0)."""
        total = self.answered + self.unanswered
        return np.divide(self.answered, total, out=np.zeros_like(total), where=total > 0)

    def learn(self, crossed: np.ndarray, answered: np.ndarray) -> None:
        """Update the belief with one day: ``crossed`` (a day with crossings) and ``answered``
        (a strike round landed), both ``(n_worlds,)`` booleans.

        The crossings of :data:`ANSWER_WINDOW_DAYS` days ago that no round has answered add one
        to ``unanswered``; a strike round adds one to ``answered`` and answers every crossing
        still waiting, today's included. Simulation and replay both call this.
        """
        self.unanswered = self.unanswered + self.waiting[:, -1]
        self.waiting[:, 1:] = self.waiting[:, :-1].copy()
        self.waiting[:, 0] = crossed & ~answered
        if answered.any():
            self.waiting[answered] = False
            self.answered = self.answered + answered

    def subset(self, worlds: np.ndarray | list[int]) -> RetaliationMemory:
        """A copy restricted to some worlds (used to check batch == world by world)."""
        return RetaliationMemory(**{k: v[worlds].copy() for k, v in vars(self).items()})


@dataclass
class Provocation:
    """Today's attacks on the US, per world, as the US attributes them to militias."""

    personnel: np.ndarray  # attacks on sites with US personnel (intercepted ones included)
    injured: np.ndarray  # Americans injured
    killed: np.ndarray  # Americans killed
    severity: np.ndarray  # summed severity of the attacks on personnel

    def crossings(self, line: str) -> np.ndarray:
        """Number of crossings of a red line drawn at ``line``."""
        if line == "personnel":
            return self.personnel
        if line == "injury":
            return ((self.injured > 0) | (self.killed > 0)).astype(np.int64)
        return (self.killed > 0).astype(np.int64)

    def crossing_severity(self, line: str) -> np.ndarray:
        """Severity of today's crossings (zero where the line was not crossed)."""
        return np.where(self.crossings(line) > 0, self.severity, 0.0)


@dataclass
class RetaliationContext:
    """The numbers a retaliation decision reads besides its memory (arrays or scalars)."""

    threshold: np.ndarray  # us_response_threshold
    lag_mean: np.ndarray  # us_lag_mean
    grievance_decay: np.ndarray  # daily factor, from grievance_halflife
    restraint: np.ndarray  # talks restraint on the US (0 when no talks)
    threshold_width: Value = 0.0  # us_threshold_width (0: the hard threshold)
    extra_site_prob: Value = 0.0  # us_extra_site_prob (0: every red-line round one site)


def binomial_pmf(trials: int, p: Value) -> np.ndarray:
    """Chances of 0..``trials`` successes, on the last axis (``p`` a number or one per world):
    a few powers, at a fraction of ``scipy.stats.binom.pmf``'s cost on a daily path."""
    p = np.asarray(p, dtype=float)[..., None]
    k = np.arange(trials + 1)
    ways = np.array([math.comb(trials, j) for j in k], dtype=float)
    return ways * p**k * (1.0 - p) ** (trials - k)


def tolerance(level: np.ndarray, tolerated: np.ndarray, width: float) -> np.ndarray:
    """Chance of acting at ``level`` against a ``tolerated`` one: logistic, ``width`` x level wide.

    With a width of zero (or nothing tolerated) it is the hard rule: act once above the level.
    """
    scale = width * tolerated
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        chance = scipy.special.expit((level - tolerated) / scale)
    return np.where(scale > 0, chance, (level > tolerated).astype(float))


def threshold_hazard(grievance: np.ndarray, bar: Value, context: RetaliationContext) -> np.ndarray:
    """Daily chance of ordering a round as provocation nears ``bar``: a logistic curve.

    ``1 / (1 + exp(-(grievance - bar) / (threshold_width x bar)))``, zero without grievance.
    A hard threshold (order exactly when the grievance reaches the bar) is its limit as
    ``us_threshold_width`` goes to 0; a smooth one lets the record inform the threshold,
    since a strike round that came earlier or later than a hard bar allows is not impossible.
    """
    bar = np.asarray(bar, dtype=float)
    width = np.asarray(context.threshold_width, dtype=float) * bar
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        hard = (grievance >= bar).astype(float)
        smooth = scipy.special.expit((grievance - bar) / width)
    hazard = np.where(width > 0, smooth, hard)
    return np.where(grievance > 0, hazard, 0.0)


class Retaliation(Policy):
    """Base of the US retaliation policies.

    :meth:`respond` is the decision method: it ages the memory, orders a strike round with
    the probability :meth:`order_probability` gives where none is pending (of the size
    :meth:`round_sites` gives), schedules it after a delay, and returns the number of sites
    struck today in each world (0 = no strike). One decision, two uses: simulation draws the
    order from that probability; replay scores the observed strike rounds against it
    (:class:`~escalation.model.likelihood.PendingOrders`). Militias see strikes, not orders:
    they hold a Beta belief that a crossing is answered (:class:`RetaliationMemory`), from the
    policy's ``prior_answered`` and the parameter ``belief_prior_strength``; each strike round
    counts for the line, each day of crossings no round follows within
    :data:`ANSWER_WINDOW_DAYS` against it (:meth:`RetaliationMemory.learn`). Delays follow
    ``1 + Poisson(lag_mean - 1)`` days: "necessary, appropriate and deliberate" action
    (WIRE; NETWORK) takes deliberation, and in the public record the February round came
    ten days after the 15 February Erbil attack (eleven in local dates; docs/data.md).
    """

    options = {
        "line": Option("personnel", LINES, meaning="what crosses the line"),
        "prior_answered": Option(
            0.5, low=0.0, high=1.0, meaning="militias' prior mean that a crossing is answered"
        ),
    }
    classifier = {"stochastic": True, "memory_depth": float("inf"), "retaliates": True}
    line: str
    #: The militias' prior mean that a crossing is answered, before they see this policy act.
    #: 0.5, a uniform Beta's mean, is an assumption: a line drawn but not yet tested; policies
    #: and scenarios with a record set their own.
    prior_answered: float

    def deters_attacks(self) -> bool:
        """Whether a credible line lowers the militias' attack rate (``deterrence``).

        Under a line at "personnel" every attack on personnel crosses it, so deterrence lowers
        how often militias attack. Under a higher line ("injury", "killed") an attack crosses
        only if it harms Americans: militias keep attacking and aim to miss instead
        (:meth:`deters_harm`): GIF, "death by ant bites" that dare the US to escalate, against
        the Trump administration's line "at the killing of an American".
        """
        return self.line == "personnel"

    def deters_harm(self) -> bool:
        """Whether a credible line lowers the chance that an attack injures or kills
        (``aim_to_miss``): a line above "personnel" (see :meth:`deters_attacks`)."""
        return self.line != "personnel"

    def respond(
        self,
        memory: RetaliationMemory,
        provocation: Provocation,
        context: RetaliationContext,
        u_order: np.ndarray,
        u_delay: np.ndarray,
    ) -> np.ndarray:
        """Sites struck today per world.

        ``u_order`` (the uniforms a stochastic :meth:`order` reads) and ``u_delay`` (those
        that draw the delay of a round ordered today) are ``(n_worlds,)`` arrays.
        """
        crossings = self._remember(memory, provocation, context)
        idle = memory.pending < 0
        sites = np.where(idle, self.order(memory, crossings, provocation, context, u_order), 0)
        ordered = sites > 0
        if ordered.any():
            who = np.flatnonzero(ordered)
            lag_mean = np.asarray(context.lag_mean, float)
            lag_mean = lag_mean if lag_mean.ndim == 0 else lag_mean[who]
            memory.pending[who] = 1 + poisson(np.maximum(lag_mean - 1.0, 0.0), u_delay[who])
        memory.pending_sites = np.where(ordered, sites, memory.pending_sites)
        due = memory.pending == 0
        memory.learn(crossings > 0, due)
        struck = np.where(due, memory.pending_sites, 0)
        memory.pending = np.where(memory.pending >= 0, memory.pending - 1, memory.pending)
        memory.pending_sites = np.where(due, 0, memory.pending_sites)
        self._struck(memory, due)
        return struck

    def replay(
        self,
        memory: RetaliationMemory,
        provocation: Provocation,
        context: RetaliationContext,
        struck: np.ndarray,
    ) -> np.ndarray:
        """Update the memory with what was observed: crossings and actual strike rounds.

        Used to carry an observed history into the agents: the memory ends as it would have,
        had the policy watched those days. Returns today's probability of ordering a round
        (where none is pending), which replay scores the observed rounds against.
        """
        crossings = self._remember(memory, provocation, context)
        probability = self.order_probability(memory, crossings, provocation, context)
        memory.learn(crossings > 0, struck > 0)
        self._struck(memory, struck > 0)
        return probability

    def _remember(self, memory, provocation, context) -> np.ndarray:
        crossings = provocation.crossings(self.line)
        memory.today = provocation.crossing_severity(self.line)
        memory.grievance *= context.grievance_decay
        memory.grievance += memory.today
        memory.recent *= RECENT_ROUNDS_PERSISTENCE
        memory.since_strike += 1
        memory.grudge |= crossings > 0
        return crossings

    @staticmethod
    def _struck(memory, due) -> None:
        """A strike round resets the grievance (most days none lands, and nothing changes)."""
        if not due.any():
            return
        memory.grievance = np.where(due, 0.0, memory.grievance)
        memory.since_strike = np.where(due, 0, memory.since_strike)
        memory.recent = memory.recent + due

    def order(
        self,
        memory: RetaliationMemory,
        crossings: np.ndarray,
        provocation: Provocation,
        context: RetaliationContext,
        u: np.ndarray,
    ) -> np.ndarray:
        """Sites of a strike round ordered today per world (0: none), drawn with ``u``.

        Where the policy has a :meth:`site_law`, a round's size is drawn from it with ``u /
        probability``: given that ``u`` fell below the chance of ordering, that ratio is itself
        uniform and independent of the decision, so no other draw is needed (or moved).
        """
        probability = self.order_probability(memory, crossings, provocation, context)
        sites = np.zeros(len(probability), dtype=np.int64)
        who = np.flatnonzero(u < probability)
        if not who.size:  # most days no world orders: no round to size
            return sites
        law = self.site_law(context)
        if law is None:
            sites[who] = self.round_sites(memory, crossings, provocation, context)[who]
        else:
            cumulative = np.cumsum(np.broadcast_to(law, (len(sites), law.shape[-1]))[who], 1)
            sites[who] = 1 + categorical(cumulative, u[who] / probability[who])
        return sites

    def order_probability(
        self,
        memory: RetaliationMemory,
        crossings: np.ndarray,
        provocation: Provocation,
        context: RetaliationContext,
    ) -> np.ndarray:
        """Probability of ordering a strike round today, per world, where none is pending."""
        raise NotImplementedError

    def round_sites(
        self,
        memory: RetaliationMemory,
        crossings: np.ndarray,
        provocation: Provocation,
        context: RetaliationContext,
    ) -> np.ndarray:
        """Sites of a round ordered today, per world (one unless a policy says otherwise), for
        a policy without a :meth:`site_law`."""
        return np.ones(len(crossings), dtype=np.int64)

    def site_law(self, context: RetaliationContext) -> np.ndarray | None:
        """Chances of a round of 1, 2, ... sites (last axis), whatever the day's state, or None
        when the size follows the state (:meth:`round_sites`). Simulation draws a round's size
        from it, and replay scores each observed round's size against it."""
        return None

    def expected_sites(
        self,
        memory: RetaliationMemory,
        crossings: np.ndarray,
        provocation: Provocation,
        context: RetaliationContext,
    ) -> np.ndarray:
        """Mean size of a round ordered today, per world (what a forecast carries for an order
        the record may hide: :meth:`escalation.model.likelihood.PendingOrders.draw`)."""
        law = self.site_law(context)
        if law is None:
            return self.round_sites(memory, crossings, provocation, context)
        mean = law @ np.arange(1, law.shape[-1] + 1)
        return np.broadcast_to(mean, crossings.shape)


class NoRetaliation(Retaliation):
    """Never strike: restraint whatever happens (the ``no_retaliation`` scenario).

    The counterfactual to the 2021 policy of answering attacks on personnel (GIF). A line never
    enforced starts with little credit: the militias' prior mean that a crossing is answered is
    0.05 (an assumption: a declared policy of restraint is believed, but not wholly).
    """

    name = "no_retaliation"
    options = {
        **Retaliation.options,
        "prior_answered": Option(
            0.05, low=0.0, high=1.0, meaning="militias' prior mean that a crossing is answered"
        ),
    }
    classifier = {"stochastic": False, "memory_depth": 0, "retaliates": False}

    def order_probability(
        self,
        memory: RetaliationMemory,
        crossings: np.ndarray,
        provocation: Provocation,
        context: RetaliationContext,
    ) -> np.ndarray:
        return np.zeros(len(crossings))


class RedLine(Retaliation):
    """A red line answered by a strike round once provocations add up past a threshold.

    GIF: the 2021 administration "will respond to attacks against its personnel, even if
    they do not result in U.S. casualties", a shift from the Trump administration, "which
    drew the 'red line' at the killing of an American"; and "a tit-for-tat calibration of
    action and reaction" (Lesch). The US answered a series of drone attacks "since April"
    with one round (NETWORK), so the rule sums the severity of crossings (decaying with
    ``grievance_halflife``) and strikes when the sum passes ``us_response_threshold``,
    raised while the Vienna talks are alive (``talks_restraint``: the administration "does
    not want the strikes to disrupt the talks", GIF). An American killed always
    answers, whatever the threshold; under a line at "killed" with a round of
    :data:`KILLING_ROUND_SITES` sites, as that line's answers to killings were in 2019-20 (its
    grievance is made of killings alone, so all its rounds are such answers). ``clarity`` is
    how clearly the line is drawn (communicated "through diplomatic channels", GIF): militias
    read their belief's credibility times clarity. Under a lower line a round strikes 1 +
    Binomial(:data:`RED_LINE_MAX_SITES` - 1, ``us_extra_site_prob``) sites, drawn when it is
    ordered (:meth:`site_law`; NETWORK: "two locations in Syria and one in Iraq" on 27 June,
    one border control point on 25 February). A rule adding a site per multiple of the
    threshold reached, used before, gave both 2021 rounds one site in every replayed world: an
    order comes as the grievance nears the bar, rarely at twice it.
    """

    name = "red_line"
    clarity: float
    options = {
        **Retaliation.options,
        "clarity": Option(1.0, low=0.0, high=1.0, meaning="how clearly the line is drawn"),
    }
    classifier = {
        "stochastic": True,
        "memory_depth": float("inf"),
        "retaliates": True,
        "threshold": True,
    }

    def order_probability(
        self,
        memory: RetaliationMemory,
        crossings: np.ndarray,
        provocation: Provocation,
        context: RetaliationContext,
    ) -> np.ndarray:
        bar = context.threshold * (1.0 + context.restraint)
        hazard = threshold_hazard(memory.grievance, bar, context)
        return np.where(provocation.killed > 0, 1.0, hazard)

    def round_sites(
        self,
        memory: RetaliationMemory,
        crossings: np.ndarray,
        provocation: Provocation,
        context: RetaliationContext,
    ) -> np.ndarray:
        """At "killed" (the lines below have a :meth:`site_law`): its grievance is made of
        killings only, and every round answers them with :data:`KILLING_ROUND_SITES` sites."""
        return np.full(len(crossings), KILLING_ROUND_SITES, dtype=np.int64)

    def site_law(self, context: RetaliationContext) -> np.ndarray | None:
        """Under a line below "killed": 1 + Binomial(:data:`RED_LINE_MAX_SITES` - 1,
        ``us_extra_site_prob``) sites, ``(n, RED_LINE_MAX_SITES)`` or one row for all worlds.
        At "killed" none: its rounds answer killings with :data:`KILLING_ROUND_SITES`."""
        if self.line == "killed":
            return None
        return binomial_pmf(RED_LINE_MAX_SITES - 1, context.extra_site_prob)


class TitForTat(Retaliation):
    """Answer every crossing with one strike round; do nothing otherwise.

    Axelrod 1984, *The Evolution of Cooperation*: cooperate first, then copy the
    opponent's last move. Here "the last move" is a crossing of the red line.
    """

    name = "tit_for_tat"
    # Stochastic only through the delay before each round (see Retaliation).
    classifier = {"stochastic": True, "memory_depth": 1, "retaliates": True}

    def order_probability(
        self,
        memory: RetaliationMemory,
        crossings: np.ndarray,
        provocation: Provocation,
        context: RetaliationContext,
    ) -> np.ndarray:
        return (crossings > 0).astype(float)


class GenerousTitForTat(Retaliation):
    """Tit-for-tat that forgives a crossing with probability ``generosity``.

    Nowak & Sigmund 1992, "Tit for tat in heterogeneous populations" (Nature 355):
    generosity breaks runaway cycles of retaliation caused by noise.
    """

    name = "generous_tit_for_tat"
    generosity: float
    options = {
        **Retaliation.options,
        "generosity": Option(0.3, low=0.0, high=1.0, meaning="probability to forgive"),
    }
    classifier = {"stochastic": True, "memory_depth": 1, "retaliates": True}

    def order_probability(
        self,
        memory: RetaliationMemory,
        crossings: np.ndarray,
        provocation: Provocation,
        context: RetaliationContext,
    ) -> np.ndarray:
        return (crossings > 0) * (1.0 - self.generosity)


class Grudger(Retaliation):
    """After the first crossing, order a round ``interval`` days after the last; never forgive.

    Each round then waits the usual delay, so rounds come every ``interval`` + delay days.

    Axelrod 1984 (Friedman's "grim trigger"): one defection ends cooperation.
    """

    name = "grudger"
    interval: float
    options = {
        **Retaliation.options,
        "interval": Option(14, low=1, high=365, meaning="days between strike rounds"),
    }
    # Stochastic only through the delay before each round (see Retaliation).
    classifier = {"stochastic": True, "memory_depth": float("inf"), "retaliates": True}

    def order_probability(
        self,
        memory: RetaliationMemory,
        crossings: np.ndarray,
        provocation: Provocation,
        context: RetaliationContext,
    ) -> np.ndarray:
        return (memory.grudge & (memory.since_strike >= self.interval)).astype(float)


class PartialReciprocity(Retaliation):
    """Respond in proportion to provocation, with inertia from one's own recent strikes.

    Goldstein & Freeman 1991, "U.S.-Soviet-Chinese relations: routine, reciprocity, or
    rational expectations?" (APSR 85): response = k x provocation + inertia. Here the
    daily probability of a strike round is ``1 - exp(-(k x grievance / threshold +
    inertia x recent own rounds))``.
    """

    name = "partial_reciprocity"
    k: float
    inertia: float
    options = {
        **Retaliation.options,
        "k": Option(0.3, low=0.0, high=10.0, meaning="response per unit of provocation"),
        "inertia": Option(0.1, low=0.0, high=10.0, meaning="response per recent own strike round"),
    }
    classifier = {"stochastic": True, "memory_depth": float("inf"), "retaliates": True}

    def order_probability(
        self,
        memory: RetaliationMemory,
        crossings: np.ndarray,
        provocation: Provocation,
        context: RetaliationContext,
    ) -> np.ndarray:
        hazard = self.k * memory.grievance / context.threshold + self.inertia * memory.recent
        return np.where(memory.grievance > 0, 1.0 - np.exp(-hazard), 0.0)


class DelayedProportional(Retaliation):
    """Answer each crossing after a delay with a round sized to the provocation.

    NETWORK: the June round answered the drone attacks "since April"; in the public record
    the February round came ten days after the 15 February Erbil attack. Sites =
    ceil(``ratio`` x severity / :data:`SITE_SEVERITY`), between 1 and
    :data:`PROPORTIONAL_MAX_SITES`.
    """

    name = "delayed_proportional"
    ratio: float
    options = {
        **Retaliation.options,
        "ratio": Option(1.0, low=0.0, high=10.0, meaning="strike severity per unit of provocation"),
    }
    # Orders read today's crossings only (pending orders are not memory, as for tit-for-tat).
    classifier = {"stochastic": True, "memory_depth": 1, "retaliates": True}

    def order_probability(
        self,
        memory: RetaliationMemory,
        crossings: np.ndarray,
        provocation: Provocation,
        context: RetaliationContext,
    ) -> np.ndarray:
        return (crossings > 0).astype(float)

    def round_sites(
        self,
        memory: RetaliationMemory,
        crossings: np.ndarray,
        provocation: Provocation,
        context: RetaliationContext,
    ) -> np.ndarray:
        severity = provocation.crossing_severity(self.line)
        sites = np.ceil(self.ratio * severity / SITE_SEVERITY)
        return np.clip(sites, 1, PROPORTIONAL_MAX_SITES).astype(np.int64)


class Disproportionate(RedLine):
    """A red line answered at a lower threshold with the largest rounds (5 sites).

    The counterfactual the 2021 administration avoided: its strikes were "designed to
    limit the risk of escalation" (NETWORK). ``scale`` multiplies the threshold.
    """

    name = "disproportionate"
    scale: float
    sites: float
    options = {
        **RedLine.options,
        "scale": Option(0.5, low=0.0, high=1.0, meaning="threshold multiplier"),
        "sites": Option(PROPORTIONAL_MAX_SITES, low=1, high=10, meaning="sites per round"),
    }

    def order_probability(
        self,
        memory: RetaliationMemory,
        crossings: np.ndarray,
        provocation: Provocation,
        context: RetaliationContext,
    ) -> np.ndarray:
        bar = self.scale * context.threshold * (1.0 + context.restraint)
        return threshold_hazard(memory.grievance, bar, context)

    def round_sites(
        self,
        memory: RetaliationMemory,
        crossings: np.ndarray,
        provocation: Provocation,
        context: RetaliationContext,
    ) -> np.ndarray:
        return np.full(len(crossings), int(self.sites), dtype=np.int64)

    def site_law(self, context: RetaliationContext) -> np.ndarray | None:
        return None  # always its ``sites``


# == Militias ==================================================================================
class Harassment(Policy):
    """Base of the militias' harassment policies: how hard and with what to attack."""

    classifier = {"stochastic": True, "memory_depth": 1}

    def rate_factor(self, perceived_credibility: np.ndarray, deterrence: Value) -> np.ndarray:
        """Multiplier on the attack rate given the red line's perceived credibility."""
        raise NotImplementedError

    def type_tilt(self, perceived_credibility: np.ndarray, caution: Value) -> np.ndarray:
        """Log-weight subtracted from the drone option (the type most likely to cross)."""
        raise NotImplementedError

    def harm_factor(self, perceived_credibility: np.ndarray, aim_to_miss: Value) -> np.ndarray:
        """Multiplier on the chance that an attack on personnel injures or kills, given the
        perceived credibility of a line drawn at harm (``injury`` or ``killed``)."""
        raise NotImplementedError


class AntBites(Harassment):
    """Frequent low-level attacks kept below the red line: "death by ant bites".

    GIF (Heras): Iran "is following a 'death by ant bites' strategy, utilizing Iraqi
    militias to hit at U.S. forces and daring the United States to escalate". Militias
    attack less as the red line grows credible (``deterrence``) and shift from drones on
    personnel to rockets and convoy IEDs (``caution``). Under a line drawn at harm they do not
    attack less but aim to miss (``aim_to_miss``), as under the Trump administration's line
    "at the killing of an American" (GIF).
    """

    name = "ant_bites"

    def rate_factor(self, perceived_credibility: np.ndarray, deterrence: Value) -> np.ndarray:
        return 1.0 - deterrence * perceived_credibility

    def type_tilt(self, perceived_credibility: np.ndarray, caution: Value) -> np.ndarray:
        return caution * perceived_credibility

    def harm_factor(self, perceived_credibility: np.ndarray, aim_to_miss: Value) -> np.ndarray:
        return 1.0 - aim_to_miss * perceived_credibility


class Unrestrained(Harassment):
    """Attack at the baseline rate with the baseline mix, ignoring the red line.

    The counterfactual to "ant bites": no calibration to US resolve.
    """

    name = "unrestrained"
    classifier = {"stochastic": True, "memory_depth": 0}

    def rate_factor(self, perceived_credibility: np.ndarray, deterrence: Value) -> np.ndarray:
        return np.ones_like(perceived_credibility)

    def type_tilt(self, perceived_credibility: np.ndarray, caution: Value) -> np.ndarray:
        return np.zeros_like(perceived_credibility)

    def harm_factor(self, perceived_credibility: np.ndarray, aim_to_miss: Value) -> np.ndarray:
        return np.ones_like(perceived_credibility)


@dataclass(frozen=True)
class ReprisalDecay:
    """Daily decay factors of the reprisal stocks, from ``revenge_halflife`` (losses, policy
    ``revenge``) and ``vow_halflife`` (vows, policy ``vows``); a number or one per world."""

    revenge: Value
    vow: Value


class Reprisal(Policy):
    """Base of the militias' answers to their losses: public vows of revenge, and what follows.

    Whether a group vows revenge is one rule for every reprisal policy
    (:meth:`vow_probability`): a vow is a public act the record shows (a militia
    ``political_action`` row, ``docs/data.md``), so every model of the record gives it a
    probability, and the policies differ only in what losses and vows do to attacks
    (:meth:`update`, :meth:`rate_factor`). The stock is an array over worlds the militia agent
    keeps: the losses (``revenge``) or the vows (``vows``), each decaying at its own rate
    (:class:`ReprisalDecay`).
    """

    classifier = {"stochastic": False, "memory_depth": float("inf")}

    @staticmethod
    def vow_probability(losses: np.ndarray, vow_rate: Value) -> np.ndarray:
        """Chance that a group vows revenge for a day's acknowledged losses.

        ``1 - exp(-vow_rate x losses)``: no losses, no vow; each acknowledged fighter killed
        adds the same hazard. The losses are those the group names as its own
        (:func:`escalation.model.replay.acknowledged_losses`): KH named its one dead of 26
        February 2021 and vowed nothing (Anadolu Agency, 2021-02-26, "US airstrike in Syria kills
        Iranian-linked militiaman"); the PMF named four of 28 June and "vowed revenge" (WIRE);
        KH gave 25 dead of 29 December 2019 and vowed revenge (AP via GV Wire, 2019-12-30,
        "Iran-Backed Iraqi Militia Vows Revenge to US Airstrikes"). The exponential form is an
        assumption.
        """
        return -np.expm1(-np.asarray(vow_rate, dtype=float) * np.asarray(losses, dtype=float))

    def update(
        self, stock: np.ndarray, losses: np.ndarray, vowed: np.ndarray, decay: ReprisalDecay
    ) -> np.ndarray:
        """New stock from the old one, the day's acknowledged losses and whether the group vowed."""
        raise NotImplementedError

    def rate_factor(self, stock: np.ndarray, p) -> np.ndarray:
        """Multiplier on the attack rate from the stock (``p``: the model's parameters)."""
        raise NotImplementedError


class Vows(Reprisal):
    """Answer a public vow of revenge with a capped, decaying rise in attacks.

    WIRE: the PMF named four Kata'ib Sayyid al-Shuhada members killed in the 27 June 2021
    strikes and "vowed revenge"; rockets hit al-Omar the same day, and GIF lists attacks on
    5-8 July (attacks ran 4 then 10 in the fortnights around the strikes). After the February
    round, whose one dead KH named without a vow, they ran 3 then 2 (issue 12). A group vows
    with :meth:`Reprisal.vow_probability`; each vow adds one to a stock that decays with
    ``vow_halflife``, and the attack rate is multiplied by ``min(1 + vow_boost x stock,
    vow_cap)``. Bodies alone, without a vow, change nothing.
    """

    name = "vows"

    def update(
        self, stock: np.ndarray, losses: np.ndarray, vowed: np.ndarray, decay: ReprisalDecay
    ) -> np.ndarray:
        return stock * decay.vow + np.asarray(vowed, dtype=float)

    def rate_factor(self, stock: np.ndarray, p) -> np.ndarray:
        return np.minimum(1.0 + p.vow_boost * stock, p.vow_cap)


class RevengeAfterLosses(Reprisal):
    """Answer every fighter killed linearly, vow or no vow (the rule before vows).

    WIRE: the PMF named four Kata'ib Sayyid al-Shuhada members killed in the 27 June
    strikes and "vowed revenge"; rockets hit al-Omar the next day, and GIF lists attacks
    on 5-8 July. The stock rises by the number of fighters killed by strikes the militia
    blames on the US, decays with ``revenge_halflife``, and multiplies the attack rate by
    ``1 + revenge_gain x stock``, without bound.
    """

    name = "revenge"

    def update(
        self, stock: np.ndarray, losses: np.ndarray, vowed: np.ndarray, decay: ReprisalDecay
    ) -> np.ndarray:
        return stock * decay.revenge + losses

    def rate_factor(self, stock: np.ndarray, p) -> np.ndarray:
        return 1.0 + p.revenge_gain * stock


class NoReprisal(Reprisal):
    """Losses and vows do not change the attack rate (a counterfactual)."""

    name = "none"
    classifier = {"stochastic": False, "memory_depth": 0}

    def update(
        self, stock: np.ndarray, losses: np.ndarray, vowed: np.ndarray, decay: ReprisalDecay
    ) -> np.ndarray:
        return np.zeros_like(stock)

    def rate_factor(self, stock: np.ndarray, p) -> np.ndarray:
        return np.ones_like(stock)


class Campaigns(Policy):
    """Base of how the militias' attacks alternate between calm and campaigns.

    The state is hidden: the record shows attacks, never a decision to open a campaign, so
    replay sums it out (:class:`escalation.model.campaign.Campaign`).
    """

    classifier = {"stochastic": True, "memory_depth": 1}
    #: Whether a public vow of revenge counts as a trigger day, as a strike on the militias does.
    vows: bool = False

    def onset_probability(self, strikes: np.ndarray, arrests: np.ndarray, p) -> np.ndarray:
        """Daily chance that a calm militia opens a campaign, given the recent triggers."""
        raise NotImplementedError

    def end_probability(self, p) -> np.ndarray:
        """Daily chance that a campaign ends."""
        raise NotImplementedError

    def intensity(self, p) -> np.ndarray:
        """Multiplier on attack rates during a campaign."""
        raise NotImplementedError


class CampaignRegime(Campaigns):
    """Attack in campaigns that strikes, anniversaries and arrests can set off.

    GIF: "death by ant bites" between sequences like 5-8 July; WIRE: the PMF "vowed revenge"
    for the 27 June strikes and rockets followed the next day. A two-state Markov chain
    (calm, campaign): a calm militia opens a campaign each day with chance
    ``1 - exp(-campaign_onset x exp(campaign_trigger_gain x strikes + arrest_trigger_gain x
    arrests))``, where ``strikes`` and ``arrests`` count the trigger days of the last
    :data:`CAMPAIGN_TRIGGER_DAYS` days; a campaign ends each day with chance
    ``1 / campaign_duration`` and multiplies attack rates by ``campaign_intensity``.

    With ``vows = true`` a public vow of revenge is a trigger day too (issue 12 names vows among
    the triggers): the 2021 record's one vow was made on the day of the 27 June strikes (local
    28 June; WIRE) and, like every vow, is read the day after the losses, so it adds a second
    trigger day to the strike's; the evidence, not the rule, decides whether the record supports
    it (``experiments/mechanisms.py``).
    """

    name = "campaign_regime"
    options = {
        "vows": Option(
            False, (False, True), meaning="whether a public vow of revenge sets off campaigns"
        )
    }

    def onset_probability(self, strikes: np.ndarray, arrests: np.ndarray, p) -> np.ndarray:
        log_gain = p.campaign_trigger_gain * strikes + p.arrest_trigger_gain * arrests
        return -np.expm1(-p.campaign_onset * np.exp(np.minimum(log_gain, 50.0)))

    def end_probability(self, p) -> np.ndarray:
        return 1.0 / np.asarray(p.campaign_duration, dtype=float)

    def intensity(self, p) -> np.ndarray:
        return np.asarray(p.campaign_intensity, dtype=float)


class NoCampaigns(Campaigns):
    """Attacks at one steady intensity: no campaigns (the mechanism switched off)."""

    name = "none"
    classifier = {"stochastic": False, "memory_depth": 0}

    def onset_probability(self, strikes: np.ndarray, arrests: np.ndarray, p) -> np.ndarray:
        return np.zeros(np.shape(strikes))

    def end_probability(self, p) -> np.ndarray:
        return np.ones(())

    def intensity(self, p) -> np.ndarray:
        return np.ones(())


class Reporting(Policy):
    """Base of the observation layer: which militia attacks reach the record, and in what bursts.

    The record is what was reported, not what happened. :meth:`ied_observation` gives the
    law of the day's reported convoy IEDs as a Pólya-Aeppli count (Poisson batches of
    geometric size: ``batch_rate`` batches a day, each continuing with ``batch_continue``);
    attacks on bases, the embassy and the rest are reported when they happen (an assumption:
    the coalition or the press announce them; the AFP tallies of drone attacks in
    ``tallies_2021.csv`` match the dated rows).
    """

    classifier = {"stochastic": True, "memory_depth": 0}
    #: Whether reported IEDs are drawn apart from true ones (False: every attack is reported).
    batched = False

    def ied_observation(
        self, ied_rate: np.ndarray, report_prob: Value, batch_mean: Value
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(batch_rate, batch_continue)`` of the reported IEDs, given the true IED rate."""
        raise NotImplementedError


class FullReporting(Reporting):
    """Every attack is reported on the day it happens: the record is the truth (a counterfactual
    baseline, and the model before the reporting layer)."""

    name = "full_reporting"

    def ied_observation(
        self, ied_rate: np.ndarray, report_prob: Value, batch_mean: Value
    ) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(ied_rate, dtype=float), np.zeros(np.shape(ied_rate))


class BatchedReporting(Reporting):
    """Convoy IEDs are under-reported, and relays post them in batches.

    docs/data.md: reports call convoy attacks "nearly daily" (Shafaq News, spring 2021) while
    the 2021 record dates 38, 28 of them low-confidence relays of one militia-aligned Telegram
    channel (Sabereen News), on 19 days (7 on 24 August). Each true IED is reported with
    ``ied_report_prob``; reports arrive in batches of geometric size with mean
    ``ied_batch_mean``, so the day's reported IEDs are Pólya-Aeppli with mean
    ``rate x IED share x ied_report_prob`` (a batch of mean 1 is plain thinning). Which true
    attacks a batch reports, and from which days, is not modelled (an assumption): unreported
    attacks enter the true counts only, and the other actors answer what is reported.
    """

    name = "batched_reporting"
    batched = True

    def ied_observation(
        self, ied_rate: np.ndarray, report_prob: Value, batch_mean: Value
    ) -> tuple[np.ndarray, np.ndarray]:
        ied_rate = np.asarray(ied_rate, dtype=float)
        mean = np.broadcast_to(np.maximum(np.asarray(batch_mean, dtype=float), 1.0), ied_rate.shape)
        return ied_rate * report_prob / mean, 1.0 - 1.0 / mean


class Geography(Policy):
    """Base of how the militias' attacks divide between Iraq and Syria.

    :meth:`country_factors` gives, per world, a factor on each country's attacks: an attack
    of weapon w in country c has intensity ``rate x P(w) x q[w, c] x factor[c]``, where
    ``P(w)`` is the harassment policy's weapon mix and ``q[w, c]`` the share of weapon w's site
    weights in country c (:data:`escalation.model.sites.SITES`). Sites are drawn within the
    country in proportion to their weights.
    """

    classifier = {"stochastic": False, "memory_depth": 0}

    def country_factors(
        self, mass: np.ndarray, syria_share: Value, iraq_factor: Value, syria_factor: Value
    ) -> np.ndarray:
        """``(n, 2)`` factors on attacks in Iraq and in Syria.

        ``mass`` is ``(n, 2)``: ``sum_w P(w) q[w, c]``, the share of attacks the weapon mix and
        the site weights alone put in each country; ``iraq_factor`` and ``syria_factor`` are the
        local multipliers (Baghdad's crackdown; US forces at the Albu Kamal crossing).
        """
        raise NotImplementedError


class OneTheatre(Geography):
    """One attack rate for Iraq and Syria: the site weights alone decide the country, and every
    local multiplier (a crackdown by Baghdad included) reaches all of a group's attacks, as the
    groups are run from Iraq. The model before the geography (issue 12, item 6), kept to measure
    what the geography adds (``experiments/mechanisms.py``)."""

    name = "one_theatre"

    def country_factors(
        self, mass: np.ndarray, syria_share: Value, iraq_factor: Value, syria_factor: Value
    ) -> np.ndarray:
        both = np.broadcast_to(np.asarray(iraq_factor) * np.asarray(syria_factor), mass.shape[:1])
        return np.stack([both, both], axis=1)


class TwoTheatres(Geography):
    """Syria has its own share of the attacks, and a crackdown in Baghdad reaches Iraq only.

    GIF: "Washington is demanding the Iraqi prime minister to rein in the militias' attacks on
    America's interests in Iraq": Baghdad's arrests and raids are on Iraqi soil, and it has no
    reach in Syria, where the groups' attacks on al-Omar and Conoco are launched from around
    al-Mayadin and Albu Kamal (WIRE). A share ``syria_attack_share`` of the attacks (before local
    multipliers) is in Syria, whatever the weapon mix: the factor rescales each country's mass
    to its share, then applies the country's local multiplier.
    """

    name = "two_theatres"

    def country_factors(
        self, mass: np.ndarray, syria_share: Value, iraq_factor: Value, syria_factor: Value
    ) -> np.ndarray:
        share = np.asarray(syria_share, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            iraq = np.where(mass[:, 0] > 0, (1.0 - share) / mass[:, 0], 0.0)
            syria = np.where(mass[:, 1] > 0, share / mass[:, 1], 0.0)
        return np.stack([iraq * iraq_factor, syria * syria_factor], axis=1)


# == Israel ====================================================================================
class Interdiction(Policy):
    """Base of Israel's policies towards militia activity near the Albu Kamal crossing."""

    classifier = {"stochastic": True, "memory_depth": 1, "claims": False}

    def strike(
        self, activity: np.ndarray, threshold: Value, probability: Value, u: np.ndarray
    ) -> np.ndarray:
        """Whether Israel strikes today in each world, drawn with ``u``."""
        return u < self.strike_probability(activity, threshold, probability)

    def strike_probability(
        self, activity: np.ndarray, threshold: Value, probability: Value
    ) -> np.ndarray:
        """Israel's chance of striking today in each world."""
        raise NotImplementedError


class ThresholdInterdiction(Interdiction):
    """Tolerate militia activity up to a level, strike above it, never comment.

    GIF (Lesch): the strikes "are meant to put Iran on notice that there is a certain level
    of militia activity above which the U.S. and Israel will not tolerate"; for Israel "it
    is also about keeping pro-Iranian groups distance from Israeli border". NEWSWEEK: the
    IDF "declined to comment as a matter of protocol". ``threshold_scale`` multiplies
    ``israel_threshold`` (below 1: a campaign that tolerates less).
    """

    name = "threshold_interdiction"
    threshold_scale: float
    intensity: float
    options = {
        "threshold_scale": Option(1.0, low=0.0, high=10.0, meaning="multiplier on the threshold"),
        "intensity": Option(
            1.0, low=0.0, high=30.0, meaning="multiplier on the strike probability"
        ),
    }

    def strike_probability(
        self, activity: np.ndarray, threshold: Value, probability: Value
    ) -> np.ndarray:
        level = self.threshold_scale * np.asarray(threshold, dtype=float)
        return np.minimum(1.0, self.intensity * np.asarray(probability)) * tolerance(
            activity, level, TOLERANCE_WIDTH
        )


class NoInterdiction(Interdiction):
    """Israel stays out (a counterfactual)."""

    name = "none"
    classifier = {"stochastic": False, "memory_depth": 0, "claims": False}

    def strike_probability(
        self, activity: np.ndarray, threshold: Value, probability: Value
    ) -> np.ndarray:
        return np.zeros(np.shape(activity))


# == United States: ground interdiction at the crossing =========================================
class GroundInterdiction(Policy):
    """Base of the US's options for the al-Qa'im-Albu Kamal crossing with ground forces."""

    classifier = {"stochastic": False, "memory_depth": 0}

    def transfer_factor(self, cut: Value) -> Value:
        """Multiplier on Iran's transfers through the crossing."""
        raise NotImplementedError

    def syria_attack_factor(self, clash: Value) -> Value:
        """Multiplier on the militias' attack intensity in Syria."""
        raise NotImplementedError


class NoGroundInterdiction(GroundInterdiction):
    """US forces stay away from the border, as in 2021 and as the Pentagon said in 2023 ("We
    don't provide border security. That's the role of the Iraqi government")."""

    name = "none"

    def transfer_factor(self, cut: Value) -> Value:
        return 1.0

    def syria_attack_factor(self, clash: Value) -> Value:
        return 1.0


class BorderInterdiction(GroundInterdiction):
    """US and partner ground forces hold the Albu Kamal crossing and stop transfers through it.

    Report of 17-18 August 2023, Pentagon denies a plan to cut the Albu Kamal crossing: Arab
    news reports of a coalition plan "to cut off Iranian-backed forces access to a key border
    crossing between Iraq and Syria", the coalition "amassing their forces along the eastern
    bank of the Euphrates", "high tensions with Iranian-backed forces" and "several attacks
    against U.S.-led coalition bases in eastern and northern Syria"; any such move "could lead to
    a dangerous confrontation that could quickly expand into Iraq". The plan was denied and never
    carried out, so the option's size is assumed: transfers fall by
    ``interdiction_transfer_cut`` and the militias' attacks in Syria rise by
    ``interdiction_clash_factor`` (clashes with, and attacks on, US forces near the crossing).
    Under the ``one_theatre`` geography the clashes raise attacks in Iraq too.
    """

    name = "border_interdiction"

    def transfer_factor(self, cut: Value) -> Value:
        return 1.0 - np.asarray(cut, dtype=float)

    def syria_attack_factor(self, clash: Value) -> Value:
        return np.asarray(clash, dtype=float)


# == Iraqi government ==========================================================================
class Sovereignty(Policy):
    """Base of Baghdad's answers to strikes and attacks on Iraqi soil."""

    classifier = {"stochastic": False, "memory_depth": float("inf")}

    def demands_withdrawal(
        self, pressure: np.ndarray, threshold: Value, u: np.ndarray
    ) -> np.ndarray:
        """Whether Baghdad demands that US forces leave today, drawn with ``u``."""
        return u < self.demand_probability(pressure, threshold)

    def demand_probability(self, pressure: np.ndarray, threshold: Value) -> np.ndarray:
        """Baghdad's chance of demanding withdrawal today, given its pressure."""
        raise NotImplementedError


class SovereigntyPressure(Sovereignty):
    """Condemn strikes on Iraqi soil; demand withdrawal as pressure nears a threshold.

    WIRE: "The Iraqi government denounced the US strikes on its soil and said it was
    considering 'resorting to all available legal options'". GIF: strikes "would only
    increase pressure on Iraqi Prime Minister Mustafa al-Kadhimi's government to expel the
    remaining American troops"; parliament had voted to expel US forces in 2020. The daily
    chance is logistic in the pressure around ``withdrawal_threshold`` (:data:`TOLERANCE_WIDTH`).
    """

    name = "sovereignty_pressure"
    classifier = {"stochastic": True, "memory_depth": float("inf")}

    def demand_probability(self, pressure: np.ndarray, threshold: Value) -> np.ndarray:
        return tolerance(pressure, np.asarray(threshold, dtype=float), TOLERANCE_WIDTH)


class Acquiescence(Sovereignty):
    """Condemn, but never demand withdrawal (a counterfactual)."""

    name = "acquiescence"
    classifier = {"stochastic": False, "memory_depth": 0}

    def demand_probability(self, pressure: np.ndarray, threshold: Value) -> np.ndarray:
        return np.zeros(np.shape(pressure))


class Crackdown(Policy):
    """Rein in the militias with arrests and raids when their attacks mount.

    GIF: "Washington is demanding the Iraqi prime minister to rein in the militias' attacks
    on America's interests in Iraq". The daily chance of a crackdown is ``scale x
    crackdown_rate x`` militia attacks in Iraq over the last :data:`CRACKDOWN_MEMORY_DAYS`
    days; while it lasts (:data:`CRACKDOWN_DAYS` days) militia attack rates fall by
    ``crackdown_effect``.
    """

    name = "crackdown"
    options = {"scale": Option(1.0, low=0.0, high=100.0, meaning="multiplier on crackdown_rate")}
    classifier = {"stochastic": True, "memory_depth": CRACKDOWN_MEMORY_DAYS}
    scale: float

    def starts(self, recent_attacks: np.ndarray, rate: Value, u: np.ndarray) -> np.ndarray:
        """Whether a crackdown starts today in each world, drawn with ``u``."""
        return u < self.start_probability(recent_attacks, rate)

    def start_probability(self, recent_attacks: np.ndarray, rate: Value) -> np.ndarray:
        """Baghdad's chance of starting a crackdown today in each world."""
        return np.minimum(1.0, self.scale * np.asarray(rate) * recent_attacks)


class NoCrackdown(Crackdown):
    """Baghdad never moves against the militias (a counterfactual)."""

    name = "none"
    options = {}
    classifier = {"stochastic": False, "memory_depth": 0}

    def start_probability(self, recent_attacks: np.ndarray, rate: Value) -> np.ndarray:
        return np.zeros(np.shape(recent_attacks))


# == Iran ======================================================================================
class TalksPeriod(NamedTuple):
    """One period of the Vienna talks: its first and last day, and the days each became public."""

    start: dt.date
    end: dt.date
    start_public: dt.date
    end_public: dt.date


#: Periods of the Vienna talks on reviving the JCPOA (GIF: "the talks are continuing"), with
#: the days their start and end became public:
#:
#: - six rounds from 6 April to 20 June 2021. Their start was agreed at the Joint Commission's
#:   virtual meeting of 2 April, to "resume this session of the Joint Commission in Vienna next
#:   week" (IFP News, 2 April 2021, "JCPOA Joint Commission Holds Virtual Meeting, Agrees to Meet
#:   in Person in Vienna", from the EEAS chair's statement). The pause after Iran's presidential
#:   election was not announced ahead: the sixth round adjourned on 20 June with "no indication
#:   when the talks would resume" (Reuters via Devdiscourse, 20 June 2021, "Iran, world powers
#:   adjourn nuclear talks - EU envoy");
#: - the seventh round onward, from 29 November 2021 to 11 March 2022. Iran's chief negotiator
#:   Ali Bagheri Kani announced the 29 November resumption on 3 November, as did the EEAS (VOA,
#:   3 November 2021, "US, Iran to Resume Nuclear Talks November 29"; Xinhua, 3 November 2021,
#:   "Iran says to resume Vienna nuke talks on Nov. 29"); the EU's Josep Borrell announced the
#:   pause on 11 March 2022 itself, on Twitter: "A pause in #ViennaTalks is needed, due to
#:   external factors" (as AFP reported it: junge Welt, March 2022, on the EU's "Pause" in the
#:   Vienna nuclear talks).
VIENNA_TALKS_2021 = (
    TalksPeriod(
        dt.date(2021, 4, 6), dt.date(2021, 6, 20), dt.date(2021, 4, 2), dt.date(2021, 6, 20)
    ),
    TalksPeriod(
        dt.date(2021, 11, 29), dt.date(2022, 3, 11), dt.date(2021, 11, 3), dt.date(2022, 3, 11)
    ),
)


def talks_known_on(day: dt.date | None) -> tuple[tuple[dt.date, dt.date], ...]:
    """The (first, last day) of the periods of :data:`VIENNA_TALKS_2021` as public at the start
    of ``day``; None: the whole schedule, as it turned out.

    A period whose start was not yet public is left out; one whose end was not yet public is
    assumed to run on (its last day ``datetime.date.max``): what a forecaster could assume.
    """
    if day is None:
        return tuple((p.start, p.end) for p in VIENNA_TALKS_2021)
    return tuple(
        (p.start, p.end if p.end_public < day else dt.date.max)
        for p in VIENNA_TALKS_2021
        if p.start_public < day
    )


class Patronage(Policy):
    """Base of Iran's steering of the militias."""

    classifier = {"stochastic": True, "memory_depth": TALKS_MEMORY_DAYS}

    def push(self, talks_alive: np.ndarray, restraint: Value) -> np.ndarray:
        """Multiplier on militia attack rates."""
        raise NotImplementedError


class RestraintWhileTalks(Patronage):
    """Push the militias, but less while the Vienna talks are alive.

    GIF (Gause): "The fact that the talks are continuing is an indication that neither side
    wants to break them off. But they are both testing the limits of the other"; and
    "a dramatic escalation could dissolve the talks". ``talks`` chooses the talks' course:
    ``"2021"`` (the 2021 rounds, :data:`VIENNA_TALKS_2021`, and a collapse hazard
    ``talks_fragility`` per recent US strike round), ``"collapsed"`` (no talks),
    ``"alive"`` (talks throughout). ``known_on`` (a day; default: none) holds the 2021 schedule
    to what was public at the start of that day (:func:`talks_known_on`), so that a forecast
    from it does not know the talks' future course (:meth:`.Scenario.known_on` sets it).
    """

    name = "restraint_while_talks"
    options = {
        "talks": Option("2021", ("2021", "collapsed", "alive"), meaning="course of the talks"),
        "known_on": Option(None, date=True, meaning="day whose knowledge of the schedule is held"),
    }
    talks: str
    known_on: dt.date | None

    def push(self, talks_alive: np.ndarray, restraint: Value) -> np.ndarray:
        return 1.0 - restraint * talks_alive

    def scheduled(self, dates: Sequence[dt.date]) -> np.ndarray:
        """Whether talks are scheduled on each date (before any collapse)."""
        if self.talks == "collapsed":
            return np.zeros(len(dates), dtype=bool)
        if self.talks == "alive":
            return np.ones(len(dates), dtype=bool)
        periods = talks_known_on(self.known_on)
        return np.array([any(a <= d <= b for a, b in periods) for d in dates])


class FullPush(RestraintWhileTalks):
    """Push the militias regardless of the talks (Iran's brinkmanship without restraint)."""

    name = "full_push"
    classifier = {"stochastic": False, "memory_depth": 0}

    def push(self, talks_alive: np.ndarray, restraint: Value) -> np.ndarray:
        return np.ones_like(talks_alive, dtype=float)


# -- registry ---------------------------------------------------------------------------------
def _registry(*classes) -> dict:
    return {c.name: c for c in classes}


#: Actor -> slot -> policy name -> class. Scenario files choose from these.
POLICY_SLOTS = {
    "US": {
        "retaliation": _registry(
            RedLine,
            TitForTat,
            GenerousTitForTat,
            Grudger,
            PartialReciprocity,
            DelayedProportional,
            Disproportionate,
            NoRetaliation,
        ),
        "interdiction": _registry(NoGroundInterdiction, BorderInterdiction),
    },
    "militia": {
        "harassment": _registry(AntBites, Unrestrained),
        "reprisal": _registry(Vows, RevengeAfterLosses, NoReprisal),
        "campaigns": _registry(CampaignRegime, NoCampaigns),
        "reporting": _registry(FullReporting, BatchedReporting),
        "geography": _registry(OneTheatre, TwoTheatres),
    },
    "Israel": {"interdiction": _registry(ThresholdInterdiction, NoInterdiction)},
    "Iraqi government": {
        "sovereignty": _registry(SovereigntyPressure, Acquiescence),
        "crackdown": _registry(Crackdown, NoCrackdown),
    },
    "Iran": {"patronage": _registry(RestraintWhileTalks, FullPush)},
}


#: Slots of mechanisms added after the first release, with the policy that switches each off:
#: a scenario (or a saved posterior's scenario) that does not name one gets the mechanism off,
#: which is the model it was written and calibrated for.
SLOTS_OFF_UNLESS_NAMED = {
    ("militia", "campaigns"): NoCampaigns.name,
    ("militia", "reporting"): FullReporting.name,
    ("militia", "geography"): OneTheatre.name,
    ("US", "interdiction"): NoGroundInterdiction.name,
}


def make_policy(actor: str, slot: str, choice) -> Policy:
    """Instantiate the policy a scenario's :class:`~.scenario.PolicyChoice` names."""
    return POLICY_SLOTS[actor][slot][choice.name](**dict(choice.options))


def halflife_factor(halflife) -> np.ndarray:
    """Daily decay factor of a quantity with the given half-life in days."""
    return np.exp(-math.log(2.0) / np.asarray(halflife, dtype=float))

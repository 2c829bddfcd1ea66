"""The actors, as Mesa agents whose state is one array entry per world.

Each agent is a real ``mesa.Agent``, registered with its model and stepped through
``model.agents`` once a day, in the order the model creates them: Iran sets how hard
the militias push; each militia group attacks; Israel interdicts near Albu Kamal; the
United States answers; the Iraqi government weighs it all. Their state variables are
numpy arrays of shape ``(n_worlds,)`` and their decisions come from the policies in
:mod:`escalation.model.policies`, so one model advances every world in lockstep.

Sources (cited by outlet, date and title; files in ``shared/seeds``) are named in each
class docstring; parameters are documented in :mod:`escalation.model.parameters`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, NamedTuple, TypeVar

import mesa
import numpy as np

from escalation.events.schema import EVENT_TYPES, Actor, EventType, severity
from escalation.model.ladder import RollingSum
from escalation.model.likelihood import (
    MIN_PROBABILITY,
    PendingOrders,
    log_bernoulli,
    polya_aeppli_pmf,
)
from escalation.model.policies import (
    CRACKDOWN_DAYS,
    CRACKDOWN_MEMORY_DAYS,
    Crackdown,
    Geography,
    GroundInterdiction,
    Harassment,
    Interdiction,
    Policy,
    Provocation,
    Reporting,
    Reprisal,
    RestraintWhileTalks,
    Retaliation,
    RetaliationContext,
    RetaliationMemory,
    Sovereignty,
    make_policy,
)
from escalation.model.sites import (
    COUNTRIES,
    DRONE,
    IED,
    OTHER,
    ROCKET,
    SITE_COUNTRY,
    SITE_PERSONNEL,
    SITES,
)
from escalation.model.streams import bernoulli, categorical, poisson

if TYPE_CHECKING:  # replay reads the groups defined here
    from escalation.model.replay import DayRecord

ATTACK_TYPES = (ROCKET, DRONE, IED, OTHER)
_TYPE_CODE = np.array([EVENT_TYPES.index(t) for t in ATTACK_TYPES])
_INTERCEPTED = EVENT_TYPES.index(EventType.INTERCEPTION_ONLY)
#: The cumulative weapon mix of an attack known to be an IED.
_IED_ONLY = np.cumsum(np.eye(len(ATTACK_TYPES))[ATTACK_TYPES.index(IED)])


def _site_table():
    weights = np.array([[s.weights.get(t, 0.0) for s in SITES] for t in ATTACK_TYPES])
    return weights / weights.sum(axis=1, keepdims=True)


_SITE_WEIGHTS = _site_table()  # (4 types, n sites) site probabilities by weapon
#: ``(4 types, 2 countries)``: the share of each weapon's site weights in Iraq and in Syria.
_COUNTRY_MASS = np.stack(
    [_SITE_WEIGHTS[:, SITE_COUNTRY == c].sum(axis=1) for c in range(len(COUNTRIES))], axis=1
)
_SITE_RETURN_FIRE = np.array([s.return_fire for s in SITES])
_SITE_IN_IRAQ = np.array([s.country == "Iraq" for s in SITES])


#: Most attacks one group can mount in a day. Never reached at calibrated rates (2021's
#: busiest day saw a handful), it bounds runaway revenge feedback at extreme parameters.
MAX_DAILY_ATTACKS = 20

# -- constants of the attacks, each with its source or stated as an assumption -------------------
#: Americans injured by an attack that injures: 1 + Poisson(mean 1), two on average. Gulf
#: International Forum, July 2021: 14 rockets on Ain al-Asad on 7 July "resulted in two
#: personnel sustaining minor injuries"; one report, so the mean is an assumption.
EXTRA_INJURED_MEAN = 1.0
#: Rockets per volley: 1 + Poisson(2.5), 3.5 on average. Gulf International Forum, July 2021:
#: three rockets on Ain al-Asad (5 July), 14 (7 July), two on the embassy (8 July); 2.5 is set
#: by hand between the usual small volley and the rare large salvo (an assumption).
EXTRA_ROCKETS_MEAN = 2.5
#: Probability that a drone attack uses two drones rather than one. Newsweek, September 2021:
#: at Erbil on 11 September "1 UAS impacted inside perimeter; 1 UAS impacted outside
#: perimeter"; other 2021 reports name single drones. The value 0.3 is an assumption.
SECOND_DRONE_PROB = 0.3
#: Probability that a US strike site hits the group the US blames most (the rest hit the
#: other group). US network news report, 28 June 2021: facilities of Kata'ib Hezbollah and
#: Kata'ib Sayyid al-Shuhada, the groups behind the drone attacks, were struck together; the
#: value 0.7 is an assumption.
BLAMED_GROUP_PROB = 0.7

# -- constants of Israel's interdiction (assumptions: no source reports daily flows) -------------
#: Weight of today's transfers in the smoothed activity Israel watches (exponential smoothing,
#: a memory of about ten days; an assumption).
ACTIVITY_WEIGHT = 0.1
#: Weight of yesterday's activity (exactly 0.9 in floating point).
ACTIVITY_PERSISTENCE = 1.0 - ACTIVITY_WEIGHT
#: Share of the watched activity left after an Israeli strike (convoys and depots destroyed;
#: Newsweek, September 2021, the al-Bukamal convoy strike; halving is an assumption).
ACTIVITY_AFTER_STRIKE = 0.5

# -- constants of Baghdad -----------------------------------------------------------------------
#: The note of Baghdad's demand that US forces leave, in simulated event logs.
WITHDRAWAL_DEMAND_NOTE = "demands the withdrawal of US forces"
#: US presence once Baghdad demands withdrawal: troops drawn down to half of 2021's 2,500
#: (Gulf International Forum, July 2021: troops already "reduced to 2,500"; halving again is an
#: assumption).
PRESENCE_AFTER_DEMAND = 0.5


class Outlook(NamedTuple):
    """What every militia group reads of the day alike (:meth:`Militia._outlook`).

    ``perceived``: the red line's credibility as the militias read it (belief x clarity);
    ``harm``: the multiplier on the chance that an attack on personnel harms Americans;
    ``deterrence`` and ``drawdown``: the factors on attack rates of the harassment policy and of
    the US presence (``1 - drawdown_calm x (1 - presence)``); ``attack_mix``: ``(n, 4)``
    chances of rocket, drone, IED and other for an attack; ``country_factors``: ``(n, 2)``
    factors on attacks in Iraq and in Syria (:class:`Geography`); ``by_country``: ``(n, 2)``
    shares of a group's rate in Iraq and in Syria, and ``total`` their sum.
    """

    perceived: np.ndarray
    harm: np.ndarray
    deterrence: np.ndarray
    drawdown: np.ndarray
    attack_mix: np.ndarray
    country_factors: np.ndarray
    by_country: np.ndarray
    total: np.ndarray


@dataclass(frozen=True)
class Group:
    """A modelled militia with its share of attacks and the front groups that claim for it."""

    name: str
    share_of_attacks: float
    fronts: tuple


#: Kata'ib Hezbollah and Kata'ib Sayyid al-Shuhada, the two militias the 2021 strikes
#: targeted (US network news report, 28 June 2021; Newsweek, September 2021). The split of
#: attacks between them is not reported; 60/40 is an assumption. Fronts: Saraya Awliya
#: al-Dam claimed the 15 February Erbil attack; Ashab al-Kahf and Qasim al-Jabbarin
#: claimed convoy and base attacks in 2021 (public record; see docs/data.md).
GROUPS = (
    Group("Kata'ib Hezbollah", 0.6, ("Saraya Awliya al-Dam", "Ashab al-Kahf")),
    Group("Kata'ib Sayyid al-Shuhada", 0.4, ("Qasim al-Jabbarin",)),
)


P = TypeVar("P", bound=Policy)

#: Where an agent keeps the policy of each of its decision slots, and the class that policy must
#: be: ``(actor, slot) -> (attribute, base class)``. A timeline switch re-makes it there.
POLICY_ATTRIBUTES: dict[tuple[str, str], tuple[str, type[Policy]]] = {
    ("Iran", "patronage"): ("policy", RestraintWhileTalks),
    ("militia", "harassment"): ("harassment", Harassment),
    ("militia", "reprisal"): ("reprisal", Reprisal),
    ("militia", "reporting"): ("reporting", Reporting),
    ("militia", "geography"): ("geography", Geography),
    ("Israel", "interdiction"): ("policy", Interdiction),
    ("US", "retaliation"): ("policy", Retaliation),
    ("US", "interdiction"): ("interdiction", GroundInterdiction),
    ("Iraqi government", "sovereignty"): ("sovereignty", Sovereignty),
    ("Iraqi government", "crackdown"): ("crackdown", Crackdown),
}


class BatchedAgent(mesa.Agent):
    """Shared plumbing: the model's parameters, buffer and per-world random streams."""

    actor: Actor = Actor.UNKNOWN

    def __init__(self, model):
        super().__init__(model)
        self.n = model.n_worlds

    @property
    def p(self) -> SimpleNamespace:
        """The model's parameters (numbers, or arrays over worlds)."""
        return self.model.p

    def scenario_policy(self, actor: str, slot: str, kind: type[P]) -> P:
        """The policy the model's scenario chose for ``actor``'s ``slot``, a ``kind``."""
        policy = make_policy(actor, slot, self.model.policy(actor, slot))
        if not isinstance(policy, kind):
            raise TypeError(f"policy {policy!r} for {actor} {slot} is not a {kind.__name__}")
        return policy

    def adopt(self, slot: str) -> None:
        """Follow from today the policy the model now chooses for this agent's ``slot``.

        A timeline entry switching a policy calls this; the agent's memories (revenge,
        credibility, pending orders) carry over to the new policy.
        """
        actor = self.actor.value
        attribute, kind = POLICY_ATTRIBUTES[actor, slot]
        setattr(self, attribute, self.scenario_policy(actor, slot, kind))
        self.refresh()

    def refresh(self) -> None:
        """Re-derive what the agent computes once from its policies and parameters.

        Called when the scenario's timeline switches a policy or changes a parameter, so a
        dated change takes effect from its day; most agents derive nothing.
        """


class Iran(BatchedAgent):
    """The militias' patron: sets how hard they push, restrained while the talks live.

    Gulf International Forum, July 2021: the IRGC "is trying to send the signal to the
    United States that it can deploy Iraqi militias to attack and degrade U.S. forces at
    will", using attacks as "a form of geopolitical bargaining"; and "the talks are
    continuing" because "neither side wants to break them off". State: ``talks_alive``
    (1 while the Vienna talks are on), ``push`` (multiplier on militia attack rates).
    """

    actor = Actor.IRAN

    def __init__(self, model):
        super().__init__(model)
        self.policy = self.scenario_policy("Iran", "patronage", RestraintWhileTalks)
        self.refresh()
        self.collapsed = np.zeros(self.n, dtype=bool)
        self.talks_alive = np.zeros(self.n)
        self.push = np.ones(self.n)

    def refresh(self) -> None:
        """The talks' schedule over the scenario's days, as the patronage policy sets it."""
        self.scheduled = self.policy.scheduled(self.model.dates)

    def step(self) -> None:
        m = self.model
        recent_rounds = m.recent_rounds.total
        hazard = np.minimum(1.0, self.p.talks_fragility * recent_rounds)
        at_risk = ~self.collapsed & bool(self.scheduled[m.day]) & (recent_rounds > 0)
        if m.replaying:
            breaking = np.full(self.n, m.observed_today.talks_collapse) & ~self.collapsed
            scored = at_risk | breaking
            if m.scoring and scored.any():  # no world at risk, none scores
                chance = np.where(at_risk, hazard, 0.0)
                m.score("Iran", np.where(scored, log_bernoulli(chance, breaking), 0.0))
        else:
            breaking = bernoulli(hazard, m.draws.iran.talks_collapse) & at_risk
        if breaking.any():
            m.emit(
                np.flatnonzero(breaking),
                Actor.IRAN,
                EventType.CONTEXT,
                target=m.code("target", "US"),
                country=m.code("country", "Austria"),
                location=m.code("location", "Vienna"),
                note=m.code("note", "Iran breaks off the Vienna talks"),
            )
        self.collapsed |= breaking
        self.talks_alive = (self.scheduled[m.day] & ~self.collapsed).astype(float)
        self.push = self.policy.push(self.talks_alive, self.p.talks_restraint)


class Militia(BatchedAgent):
    """One Iran-backed militia: harasses US positions, vows revenge for the losses it names.

    Gulf International Forum, July 2021: "death by ant bites", attacks "daring the
    United States to escalate"; wire-based report, 28 June 2021: the PMF "vowed revenge"
    for four fighters killed, and rockets hit al-Omar the next day. Each day the group
    draws its number of attacks (Poisson), then per attack the weapon, the site, whether
    it is intercepted, and its casualties; a front group claims it or nobody does.
    Each day it first decides whether to vow revenge for yesterday's acknowledged losses
    (:meth:`_vow`). The geography policy divides the attacks between Iraq and Syria
    (:meth:`_outlook`), and a site is drawn within its country. State: ``revenge`` (the
    reprisal policy's stock: vows of revenge under ``vows``, fighters killed by strikes it
    blames on the US under ``revenge``, decaying), ``losses`` (today's acknowledged losses),
    ``rate`` (today's expected attacks), ``attack_mix`` (the weapon of an attack) and
    ``country_given_weapon`` (its country).
    """

    actor = Actor.MILITIA

    def __init__(self, model, group: Group, index: int):
        super().__init__(model)
        self.group = group
        self.index = index
        self.harassment = self.scenario_policy("militia", "harassment", Harassment)
        self.reprisal = self.scenario_policy("militia", "reprisal", Reprisal)
        self.reporting = self.scenario_policy("militia", "reporting", Reporting)
        self.geography = self.scenario_policy("militia", "geography", Geography)
        self.revenge = np.zeros(self.n)
        self.losses = np.zeros(self.n)
        self.rate = np.zeros(self.n)
        #: Today's chances of rocket, drone, IED and other for an attack, ``(n, 4)``.
        self.attack_mix = np.zeros((self.n, len(ATTACK_TYPES)))
        #: Today's expected attacks in Iraq and in Syria, ``(n, 2)`` (their sum is ``rate``).
        self.rate_by_country = np.zeros((self.n, len(COUNTRIES)))
        #: Today's factor on attacks in Iraq and in Syria (:class:`Geography`), ``(n, 2)``.
        self.country_factors = np.ones((self.n, len(COUNTRIES)))
        #: The red line's credibility as the militias read it today (belief x clarity).
        self.perceived = np.zeros(self.n)
        #: Today's multiplier on the chance that an attack on personnel harms Americans.
        self.harm = np.ones(self.n)
        #: Days on which the draw exceeded :data:`MAX_DAILY_ATTACKS` and was cut to it.
        self.truncated = np.zeros(self.n, dtype=np.int64)
        self.group_code = model.code("group", group.name)
        self.front_codes = np.array([model.code("group", f) for f in group.fronts])
        self.refresh()

    def refresh(self) -> None:
        """The weapon mix before the red line's tilt, from today's parameters: ``untilted``
        holds the weights of rocket, drone, IED and other, each ``(n,)``, whose drone entry
        :meth:`weapon_probabilities` tilts day by day, and ``volume`` their sum.

        The shares ``drone_share``, ``ied_share`` and ``other_share`` make weights summing to
        1; ``non_ied_factor`` then scales every weapon but the convoy IED, and the attack rate
        is multiplied by ``volume``, so convoy IEDs keep their rate while the other attacks
        rise or fall (2021 data: after 26 July the rocket attacks all but stopped and the
        convoy IEDs went on). The red line's tilt of drones and the geography's division
        between Iraq and Syria then act on the whole mix, as before. At the factor's default 1
        the weights and volume are unchanged.
        """
        p = self.p
        drone = np.broadcast_to(p.drone_share, (self.n,))
        rest = 1.0 - drone
        ied, other, scale = p.ied_share, p.other_share, p.non_ied_factor
        convoy_ied = rest * ied
        self.untilted = (
            rest * (1 - ied) * (1 - other) * scale,
            drone * scale,
            convoy_ied,
            rest * (1 - ied) * other * scale,
        )
        self.volume = 1.0 + (scale - 1.0) * (1.0 - convoy_ied)

    def step(self) -> None:
        m, p = self.model, self.p
        vowed = self._vow()
        self.revenge = self.reprisal.update(self.revenge, self.losses, vowed, m.reprisal_decay)
        self.losses = np.zeros(self.n)
        # The groups read the line, choose weapons and divide them between the countries alike:
        # the first group works the day's outlook out, the others take it.
        outlook = m.militias[0].outlook if self.index else self._outlook()
        self.outlook = outlook
        self.perceived, self.harm = outlook.perceived, outlook.harm
        self.attack_mix, self.country_factors = outlook.attack_mix, outlook.country_factors
        rate = (
            p.militia_attack_rate
            * self.volume
            * self.group.share_of_attacks
            * m.iran.push
            * m.campaign.multiplier()
            * outlook.deterrence
            * self.reprisal.rate_factor(self.revenge, p)
            * outlook.drawdown
        )
        self.rate_by_country = rate[:, None] * outlook.by_country
        self.rate = rate * outlook.total
        if m.replaying:
            self._replay(m.observed_today.attacks[self.index])
            return
        if self.reporting.batched:
            self._attack_reported()
            return
        counts = self._capped(poisson(self.rate, m.draws.militia[self.index].attacks))
        m.today.true_attacks += counts
        worlds = np.repeat(np.arange(self.n), counts)
        if worlds.size:
            self._attack(worlds, np.cumsum(self.attack_mix[worlds], axis=1))

    def _outlook(self) -> Outlook:
        """Today's outlook of the militias: the red line as they read it, and the intensity of
        attacks by weapon and country before the group's own rate.

        An attack of weapon w in country c has intensity ``rate x P(w) x q[w, c] x factor[c]``:
        the harassment mix ``P(w)`` (:meth:`weapon_probabilities`), the share ``q[w, c]`` of w's
        site weights in c, and the geography policy's factor on c
        (:meth:`~escalation.model.policies.Geography.country_factors`), which carries Baghdad's
        crackdown and US forces at the Albu Kamal crossing. The group's ``rate`` (its rate
        before these local factors) times the outlook's ``total`` and ``by_country`` gives its
        ``rate`` and ``rate_by_country``; the ``attack_mix`` and ``country_factors`` (whence
        :attr:`country_given_weapon`) are what simulation draws from and replay scores against.
        """
        m, p = self.model, self.p
        perceived = m.us.memory.credibility * m.us.clarity
        harm = self.harassment.harm_factor(perceived * m.us.deters_harm, p.aim_to_miss)
        deterred = perceived * m.us.deters_attacks
        weapons = self.weapon_probabilities(perceived)
        mass = weapons @ _COUNTRY_MASS  # (n, 2): sum_w P(w) q[w, c]
        factors = self.geography.country_factors(
            mass,
            p.syria_attack_share,
            1.0 - p.crackdown_effect * m.iraq.crackdown_active,
            m.us.interdiction.syria_attack_factor(p.interdiction_clash_factor),
        )
        by_country = mass * factors
        total = by_country[:, 0] + by_country[:, 1]
        by_weapon = weapons * (factors @ _COUNTRY_MASS.T)  # P(w) sum_c q[w, c] f[c]
        return Outlook(
            perceived=perceived,
            harm=harm,
            deterrence=np.maximum(self.harassment.rate_factor(deterred, p.deterrence), 0.0),
            drawdown=1.0 - p.drawdown_calm * (1.0 - m.presence),
            attack_mix=by_weapon / np.maximum(total, 1e-300)[:, None],
            country_factors=factors,
            by_country=by_country,
            total=total,
        )

    @property
    def country_given_weapon(self) -> np.ndarray:
        """``(n, 4, 2)`` chances of Iraq and Syria for an attack of each weapon today."""
        local = _COUNTRY_MASS * self.country_factors[:, None, :]
        return local / np.maximum(local.sum(axis=2, keepdims=True), 1e-300)

    def _vow(self) -> np.ndarray:
        """Whether the group vows revenge today for yesterday's acknowledged losses, per world.

        The chance is the reprisal policy's (:meth:`~escalation.model.policies.Reprisal.
        vow_probability`); simulation draws the vow, replay takes the record's
        (:func:`~escalation.model.replay.vow_days`) and, scoring, adds its log probability on
        days with losses (a recorded vow that answers no losses is taken but not scored). A
        vow is a public act: it is written to the event log as a political action.
        """
        m = self.model
        if m.replaying:
            vow = bool(m.observed_today.vows[self.index])
            vowed = np.full(self.n, vow)
            lost = self.losses > 0
            if m.scoring and lost.any():  # most days no world has losses, and none scores
                chance = self.reprisal.vow_probability(self.losses, self.p.vow_rate)
                m.score("militia", np.where(lost, log_bernoulli(chance, vow), 0.0))
        else:
            chance = self.reprisal.vow_probability(self.losses, self.p.vow_rate)
            vowed = bernoulli(chance, m.draws.militia[self.index].vow)
        if vowed.any():
            m.today.vowed |= vowed
            m.emit(
                np.flatnonzero(vowed),
                Actor.MILITIA,
                EventType.POLITICAL_ACTION,
                group=self.group_code,
                target=m.code("target", "US forces"),
                country=m.code("country", "Iraq"),
                location=m.code("location", "Baghdad"),
                attributed=True,
                note=m.code("note", "vows revenge for its dead"),
            )
        return vowed

    def _capped(self, drawn: np.ndarray) -> np.ndarray:
        """Drawn attack counts cut to :data:`MAX_DAILY_ATTACKS` (the cuts are counted)."""
        self.truncated += drawn > MAX_DAILY_ATTACKS
        return np.minimum(drawn, MAX_DAILY_ATTACKS)

    def _attack_reported(self) -> None:
        """Under batched reporting: draw the true attacks, then the reported ones, and act those.

        Attacks other than IEDs are all reported (Poisson with the rate times their share); true
        IEDs are only counted; reported IEDs are a Pólya-Aeppli count whose law the reporting
        policy gives (:meth:`~escalation.model.policies.Reporting.ied_observation`), the law
        :func:`~escalation.model.likelihood.reported_attack_log_likelihood` scores.
        """
        m = self.model
        draws = m.draws.militia[self.index]
        everyone = np.arange(self.n)
        weapons = self.attack_mix
        ied_rate, batch_rate, batch_continue = self.reported_ieds(self.rate, weapons)
        others = poisson(self.rate - ied_rate, draws.attacks)
        reported = _draw_polya_aeppli(batch_rate, batch_continue, draws.reported_ieds)
        m.today.true_attacks += others + poisson(ied_rate, draws.true_ieds)
        # The day's reported attacks, all weapons together, are cut to the cap (IEDs cut first).
        total = self._capped(others + reported)
        others = np.minimum(others, total)
        reported = total - others
        worlds = np.repeat(everyone, others + reported)
        if not worlds.size:
            return
        # Each world's rows: its other attacks, then its reported IEDs.
        first = np.repeat(np.cumsum(others + reported) - others - reported, others + reported)
        is_ied = np.arange(len(worlds)) - first >= others[worlds]
        # The mix of the other weapons, in the attacking worlds only (most worlds attack not).
        without_ied = weapons[worlds] * np.array([1.0, 1.0, 0.0, 1.0])
        mix = without_ied / np.maximum(without_ied.sum(axis=1, keepdims=True), 1e-300)
        cum = np.where(is_ied[:, None], _IED_ONLY, np.cumsum(mix, axis=1))
        self._attack(worlds, cum)

    def reported_ieds(
        self, rate: np.ndarray, weapons: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(ied_rate, batch_rate, batch_continue)``: the true IEDs among attacks at ``rate``
        under the weapon mix ``weapons`` (``(n, 4)``), and the law the reporting policy gives
        the reported ones (:meth:`~escalation.model.policies.Reporting.ied_observation`). One
        rule for simulation, which draws from it, and replay, which scores against it."""
        ied_rate = rate * weapons[:, 2]
        p = self.p
        return ied_rate, *self.reporting.ied_observation(
            ied_rate, p.ied_report_prob, p.ied_batch_mean
        )

    def _replay(self, observed: dict):
        """Take the day's observed attacks of this group, in every world."""
        k = len(observed["site"])
        self.model.today.true_attacks += k  # replayed days: the record is all there is
        if k:
            worlds = np.repeat(np.arange(self.n), k)
            tiled = {key: np.tile(value, self.n) for key, value in observed.items()}
            self.model.today.record_attacks(
                worlds,
                self.index,
                tiled["site"],
                tiled["etype"],
                tiled["killed"],
                tiled["injured"],
                tiled["others"],
                self.us_confidence(tiled["claimed"], worlds),
            )

    def weapon_probabilities(self, perceived: np.ndarray) -> np.ndarray:
        """``(n, 4)`` chances of rocket, drone, IED and other under the harassment policy, in
        every world given the red line's ``perceived`` credibility there.

        The weapon mix of ``drone_share``, ``ied_share`` and ``other_share`` (:meth:`refresh`),
        with drones (the weapon most likely to cross the line) tilted down as the line grows
        credible; before the geography's country factors (:meth:`_outlook` makes
        ``attack_mix`` of it).
        """
        rocket, drone, ied, other = self.untilted
        tilted = drone * np.exp(-self.harassment.type_tilt(perceived, self.p.caution))
        # Summed left to right, as ``sum(axis=1)`` sums a row, at a tenth of its cost. No weight
        # at all (no IEDs, the others scaled to 0) means no attacks: the rate is 0 (``volume``).
        total = rocket + tilted + ied + other
        return np.stack((rocket, tilted, ied, other), axis=1) / np.maximum(total, 1e-300)[:, None]

    def exposure(self, site: np.ndarray | int, worlds: np.ndarray) -> np.ndarray:
        """Multiplier on ``injury_prob`` and ``lethality`` for attacks on ``site`` in ``worlds``:
        US personnel there, their presence, and how hard today's attackers try to miss. One
        rule for simulation, which draws casualties from it, and replay, which scores them."""
        return SITE_PERSONNEL[site] * self.model.presence[worlds] * self.harm[worlds]

    def _attack(self, worlds: np.ndarray, cum: np.ndarray) -> None:
        """One attack in each of ``worlds``, its weapon drawn from the cumulative mix ``cum``, its
        site from the weapon's site weights, each times its country's factor (:meth:`_outlook`)."""
        m, p = self.model, self.p
        u = m.event_draws(worlds, "militia_attack")
        kind = categorical(cum, u.weapon)
        site_cum = np.cumsum(_SITE_WEIGHTS[kind] * self.country_factors[worlds][:, SITE_COUNTRY], 1)
        site = (u.site[:, None] * site_cum[:, -1:] >= site_cum).sum(axis=1)
        site = np.minimum(site, len(SITES) - 1)
        p_intercept = np.select(
            [kind == 1, kind == 0],
            [_at(p.interception_drone, worlds), _at(p.interception_rocket, worlds)],
            0.0,
        )
        intercepted = u.intercepted < p_intercept
        hit = ~intercepted
        exposure = self.exposure(site, worlds)
        injured = np.where(
            hit & (u.injures < _at(p.injury_prob, worlds) * exposure),
            1 + poisson(EXTRA_INJURED_MEAN, u.injured_count),
            0,
        )
        killed = (hit & (u.kills < _at(p.lethality, worlds) * exposure)).astype(np.int64)
        others = (hit & (u.others_killed < _at(p.other_casualty_prob, worlds))).astype(np.int64)
        projectiles = np.select(
            [kind == 0, kind == 1],
            [
                1 + poisson(EXTRA_ROCKETS_MEAN, u.projectiles),
                1 + (u.projectiles < SECOND_DRONE_PROB),
            ],
            1,
        )
        claimed = u.claimed < _at(p.claim_share, worlds)
        n_fronts = len(self.front_codes)
        front = self.front_codes[np.minimum((u.front * n_fronts).astype(int), n_fronts - 1)]
        etype = np.where(intercepted, _INTERCEPTED, _TYPE_CODE[kind])
        m.emit(
            worlds,
            Actor.MILITIA,
            etype,
            group=np.where(claimed, front, self.group_code),
            target=m.site_target[site],
            country=m.site_country[site],
            location=m.site_location[site],
            projectiles=projectiles,
            us_killed=killed,
            us_injured=injured,
            others_killed=others,
            attributed=claimed,
            note=m.code("note", "simulated attack"),
        )
        m.today.record_attacks(
            worlds,
            self.index,
            site,
            etype,
            killed,
            injured,
            others,
            self.us_confidence(claimed, worlds),
        )

    def us_confidence(self, claimed: np.ndarray, worlds: np.ndarray) -> np.ndarray:
        """Share of each attack's severity the US counts against the militias: ``1 -
        claim_doubt`` for an attack a front group claimed, 1 otherwise. A claim clouds whom to
        answer (report of 17-18 August 2023: attacks claimed by "a local group linked to the
        IRGC"; docs/data.md, rule 5: "a claim is not proof"). One rule for simulation, which
        claims by ``claim_share``, and replay, which reads the record's claims
        (:func:`~escalation.model.replay.front_claim`)."""
        return np.where(claimed, 1.0 - _at(self.p.claim_doubt, worlds), 1.0)


class Israel(BatchedAgent):
    """Strikes militia convoys and depots near Albu Kamal above a tolerated level; never claims.

    Gulf International Forum, July 2021 (Lesch): "a certain level of militia activity
    above which the U.S. and Israel will not tolerate"; Newsweek, September 2021: the IDF
    "declined to comment as a matter of protocol", pro-militia outlets first reported a US
    strike and blamed Israel only after the US denied it. A strike's dead feed the struck
    group's revenge only if it names them (``unclaimed_dead_named``; no group named the dead of
    the 2021-22 strikes), as far as the militias believe the US did it. State: ``activity``
    (transfers through the al-Qa'im-Albu Kamal crossing, smoothed; fewer while US ground forces
    hold the crossing, :class:`~escalation.model.policies.BorderInterdiction`).
    """

    actor = Actor.ISRAEL

    def __init__(self, model):
        super().__init__(model)
        self.policy = self.scenario_policy("Israel", "interdiction", Interdiction)
        self.activity = np.broadcast_to(np.asarray(self.p.transfer_rate, float), (self.n,)).copy()

    def step(self) -> None:
        m, p = self.model, self.p
        transfers = (
            p.transfer_rate
            * m.iran.push
            * m.us.interdiction.transfer_factor(p.interdiction_transfer_cut)
        )
        self.activity = ACTIVITY_PERSISTENCE * self.activity + ACTIVITY_WEIGHT * transfers
        if m.replaying:
            observed = m.observed_today.israeli_strikes
            if m.scoring:
                chance = self.policy.strike_probability(
                    self.activity, p.israel_threshold, p.israel_strike_prob
                )
                m.score("Israel", log_bernoulli(chance, bool(observed["attributed"].any())))
            k = len(observed["group"])
            if not k:
                return
            worlds = np.repeat(np.arange(self.n), k)
            killed, group = np.tile(observed["killed"], self.n), np.tile(observed["group"], self.n)
            attributed = np.tile(observed["attributed"], self.n)
            losses = np.tile(observed["losses"], self.n)  # only what the group acknowledges
            codes = m.group_code[group]
        else:
            strike = self.policy.strike(
                self.activity, p.israel_threshold, p.israel_strike_prob, m.draws.israel.strike
            )
            worlds = np.flatnonzero(strike)
            u = m.event_draws(worlds, "israeli_strike")
            killed = poisson(_at(p.israel_fighters, worlds), u.fighters_killed)
            group = (u.group >= GROUPS[0].share_of_attacks).astype(int)
            attributed = np.ones(worlds.size, dtype=bool)
            # The group's own fighters, as far as it names them (unclaimed_dead_named). A strike
            # whose dead no group names is logged with no group, as the record logs such strikes,
            # so that a replay of the log reads it as the record is read.
            named = u.named < _at(p.unclaimed_dead_named, worlds)
            losses = np.where(named, killed, 0)
            codes = np.where(named, m.group_code[group], m.code("group", ""))
        if not worlds.size:
            return
        self.activity[worlds] *= ACTIVITY_AFTER_STRIKE
        # A replayed strike by unknown aircraft stays unknown: it is no Israeli strike to count.
        for actor, rows in ((Actor.ISRAEL, attributed), (Actor.UNKNOWN, ~attributed)):
            if rows.any():
                m.emit(
                    worlds[rows],
                    actor,
                    EventType.AIRSTRIKE,
                    group=codes[rows],
                    target=m.code("target", "militia convoy"),
                    country=m.code("country", "Syria"),
                    location=m.code("location", "Albu Kamal"),
                    others_killed=killed[rows],
                    attributed=False,
                    note=m.code("note", "unclaimed strike attributed to Israel"),
                )
        if not m.replaying:  # replay takes the record's denials as they came
            self._us_denial(worlds, u.blamed_us)
        # Militias count an unclaimed strike's dead as far as they believe the US did it: first
        # blamed on the US, and the US denial not believed (Newsweek, September 2021).
        belief = _at(p.blame_us_share, worlds) * (1.0 - _at(p.denial_credibility, worlds))
        for g, militia in enumerate(m.militias):
            hit = group == g
            np.add.at(militia.losses, worlds[hit], (losses * belief)[hit])

    def _us_denial(self, worlds: np.ndarray, draw: np.ndarray) -> None:
        """The US denies a strike it did not conduct, in the worlds where it is first blamed."""
        m = self.model
        denied = draw < _at(self.p.blame_us_share, worlds)
        if denied.any():
            m.emit(
                worlds[denied],
                Actor.US,
                EventType.POLITICAL_ACTION,
                target=m.code("target", "media"),
                country=m.code("country", "United States"),
                location=m.code("location", "Washington"),
                note=m.code("note", "US denies conducting the strike"),
            )


class UnitedStates(BatchedAgent):
    """Answers attacks on its personnel under its red line; returns fire in Syria.

    Gulf International Forum, July 2021: the US "will respond to attacks against its
    personnel, even if they do not result in U.S. casualties"; US network news report,
    28 June 2021: "necessary, appropriate, and deliberate action designed to limit the
    risk of escalation", on weapons-storage and operational facilities "at two locations
    in Syria and one in Iraq"; wire-based report, 28 June 2021: US forces returned fire
    at al-Omar. Strikes on Iraqi soil are costly with Baghdad, so their share falls as
    Baghdad's pressure rises. State: the retaliation ``memory`` (grievance, red-line
    credibility, pending orders).
    """

    actor = Actor.US

    def __init__(self, model):
        super().__init__(model)
        self.policy = self.scenario_policy("US", "retaliation", Retaliation)
        #: US ground forces at the Albu Kamal crossing, or none (a standing posture: no draws).
        self.interdiction = self.scenario_policy("US", "interdiction", GroundInterdiction)
        self.memory = RetaliationMemory.fresh(
            self.n, self.policy.prior_answered, self.p.belief_prior_strength
        )
        #: The hidden order book, filtered over a replayed record: summed out when scoring, drawn
        #: from where a forecast starts.
        self.orders = PendingOrders(self.n, self.p.us_lag_mean)
        self.refresh()
        self.group_grievance = np.zeros((self.n, len(GROUPS)))
        self.strike_sites = np.zeros(self.n, dtype=np.int64)

    def refresh(self) -> None:
        """The policy's clarity and what its line deters, and the order book's delays, from
        today's values."""
        self.clarity = float(getattr(self.policy, "clarity", 1.0))
        # What a credible line deters: attacks (a line at personnel) or harm (a higher line).
        self.deters_attacks = float(self.policy.deters_attacks())
        self.deters_harm = float(self.policy.deters_harm())
        self.orders.set_lag(self.p.us_lag_mean)

    def context(self) -> RetaliationContext:
        m, p = self.model, self.p
        return RetaliationContext(
            threshold=p.us_response_threshold,
            lag_mean=p.us_lag_mean,
            grievance_decay=m.grievance_decay,
            restraint=p.talks_restraint * m.iran.talks_alive,
            threshold_width=p.us_threshold_width,
            extra_site_prob=p.us_extra_site_prob,
        )

    def step(self) -> None:
        m = self.model
        self.group_grievance = (
            self.group_grievance * m.grievance_decay[..., None] + m.today.group_severity
        )
        if m.replaying:
            self._replay(m.observed_today)
            return
        if m.observed is not None and m.day == len(m.observed):
            self._carry_pending_order()
        self._return_fire()
        sites = self.policy.respond(
            self.memory,
            m.today.provocation(),
            self.context(),
            m.draws.us.strike_order,
            m.draws.us.strike_delay,
        )
        self.strike_sites = sites
        worlds = np.flatnonzero(sites)
        if worlds.size:
            self._strike(np.repeat(worlds, sites[worlds]))
            self.group_grievance[worlds] = 0.0

    def _replay(self, record: DayRecord):
        """Remember the day's crossings and the observed strike sites, in every world.

        Scoring, the observed start of a strike round is set against the chance that an order
        given on some earlier day falls due today (:class:`PendingOrders`), its number of sites
        against the policy's :meth:`~escalation.model.policies.Retaliation.site_law` (where the
        size does not follow the day's state), and return fire against its chance on a day with
        attacks in Syria.
        """
        m, p = self.model, self.p
        observed = record.us_strikes
        k = len(observed["group"])
        self.strike_sites = np.full(self.n, k, dtype=np.int64)
        provocation, context = m.today.provocation(), self.context()
        order = self.policy.replay(self.memory, provocation, context, self.strike_sites)
        # Filtered in every replay, scored or not: a forecast starts from its end, and needs
        # the size of each round the record may hide.
        sites = None
        if m.days > len(m.observed):
            crossings = provocation.crossings(self.policy.line)
            sites = self.policy.expected_sites(self.memory, crossings, provocation, context)
        rounds = self.orders.observe(order, record.round_start, sites)
        if m.scoring:
            chance = p.return_fire_prob * (m.today.syria_attacks > 0)
            if record.round_start:
                rounds = rounds + self._log_round_size(k, context)
            m.score("US", rounds + log_bernoulli(chance, record.return_fire > 0))
        if record.return_fire:
            self._fire_back(np.arange(self.n))
        if k:
            worlds = np.repeat(np.arange(self.n), k)
            self._consequences(
                worlds,
                np.tile(observed["group"], self.n),
                np.tile(observed["in_iraq"], self.n),
                np.tile(observed["killed"], self.n),
                np.tile(observed["losses"], self.n),
            )
            self.group_grievance[:] = 0.0

    def _log_round_size(self, sites: int, context) -> np.ndarray | float:
        """Log chance of a round of ``sites`` sites under the policy's site law (0 without one:
        a size that follows the day's state is not scored)."""
        law = self.policy.site_law(context)
        if law is None:
            return 0.0
        chance = law[..., sites - 1] if sites <= law.shape[-1] else np.zeros(law.shape[:-1])
        return np.log(np.maximum(chance, MIN_PROBABILITY))

    def _carry_pending_order(self) -> None:
        """On the first simulated day after a replayed history, draw each world's pending order
        from the order book the record hides (:meth:`PendingOrders.draw`): a round ordered
        before the origin and not yet struck then falls due on its day, at its size, as it
        would have."""
        self.memory.pending, self.memory.pending_sites = self.orders.draw(
            self.model.draws.us.pending_order
        )

    def _return_fire(self):
        m, p = self.model, self.p
        fire = m.today.syria_attacks > 0
        fire &= bernoulli(p.return_fire_prob, m.draws.us.return_fire)
        worlds = np.flatnonzero(fire)
        if worlds.size:
            self._fire_back(worlds)

    def _fire_back(self, worlds: np.ndarray) -> None:
        """US return fire at the launch points, in each of ``worlds``."""
        m = self.model
        m.emit(
            worlds,
            Actor.US,
            EventType.RETURN_FIRE,
            target=m.code("target", "militia launch point"),
            country=m.code("country", "Syria"),
            location=m.code("location", "al-Mayadin"),
            note=m.code("note", "US return fire at launch points"),
        )

    def _strike(self, worlds):
        m, p = self.model, self.p
        u = m.event_draws(worlds, "us_strike")
        room = np.clip(
            1.0 - m.iraq.pressure[worlds] / np.maximum(_at(p.withdrawal_threshold, worlds), 1e-9),
            0,
            1,
        )
        in_iraq = u.in_iraq < _at(p.us_iraq_share, worlds) * room
        blamed = np.argmax(self.group_grievance[worlds], axis=1)
        group = np.where(u.group < BLAMED_GROUP_PROB, blamed, 1 - blamed)
        killed = poisson(_at(p.fighters_per_site, worlds), u.fighters_killed)
        self._consequences(worlds, group, in_iraq, killed, killed)

    def _consequences(self, worlds, group, in_iraq, killed, losses):
        """Record strike sites; militias count their acknowledged losses; Baghdad counts sites
        on its soil. A simulated strike kills the struck group's fighters (``losses`` is
        ``killed``); a replayed one feeds only the dead its group acknowledges (the record's
        ``losses``, :func:`escalation.model.replay.acknowledged_losses`)."""
        m = self.model
        m.emit(
            worlds,
            Actor.US,
            EventType.AIRSTRIKE,
            group=m.group_code[group],
            target=m.code("target", "militia weapons-storage and operational facilities"),
            country=np.where(in_iraq, m.code("country", "Iraq"), m.code("country", "Syria")),
            location=np.where(
                in_iraq, m.code("location", "al-Qa'im"), m.code("location", "Albu Kamal")
            ),
            others_killed=killed,
            note=m.code("note", "US strike round"),
        )
        for g, militia in enumerate(m.militias):
            np.add.at(militia.losses, worlds[group == g], losses[group == g])
        np.add.at(m.today.us_sites_in_iraq, worlds[in_iraq], 1)


class IraqiGovernment(BatchedAgent):
    """Caught between: condemns strikes on its soil, cracks down, may demand withdrawal.

    Wire-based report, 28 June 2021: Baghdad "denounced the US strikes on its soil" and
    considered "all available legal options"; Gulf International Forum, July 2021: strikes
    "would only increase pressure on ... al-Kadhimi's government to expel the remaining
    American troops", while "Washington is demanding the Iraqi prime minister to rein in
    the militias". State: ``pressure`` (to expel US forces), ``demanded`` (withdrawal
    demanded), ``crackdown_active`` (1 during a crackdown).
    """

    actor = Actor.IRAQI_GOVERNMENT

    def __init__(self, model):
        super().__init__(model)
        self.sovereignty = self.scenario_policy("Iraqi government", "sovereignty", Sovereignty)
        self.crackdown = self.scenario_policy("Iraqi government", "crackdown", Crackdown)
        self.pressure = np.zeros(self.n)
        self.demanded = np.zeros(self.n, dtype=bool)
        self.crackdown_days = np.zeros(self.n, dtype=np.int64)
        self.crackdown_active = np.zeros(self.n)
        #: Whether a crackdown started today (a trigger of militia campaigns).
        self.started = np.zeros(self.n, dtype=bool)
        self.recent_attacks = RollingSum(self.n, CRACKDOWN_MEMORY_DAYS)

    def step(self) -> None:
        m, p = self.model, self.p
        t = m.today
        self.pressure = (
            self.pressure * m.pressure_decay
            + p.pressure_per_strike * t.us_sites_in_iraq
            + p.pressure_per_attack * t.iraq_attacks
        )
        condemn = np.flatnonzero(t.us_sites_in_iraq > 0)
        if condemn.size:
            self._act(condemn, "US", "condemns US strikes on Iraqi soil; considers legal options")
        if m.replaying:
            demanded = m.observed_today.withdrawal_demand
            demand = np.full(self.n, demanded) & ~self.demanded
            if m.scoring:  # worlds that demanded before score nothing
                chance = self.sovereignty.demand_probability(self.pressure, p.withdrawal_threshold)
                scored = log_bernoulli(chance, demanded)
                m.score("Iraqi government", np.where(self.demanded, 0.0, scored))
        else:
            demand = (
                self.sovereignty.demands_withdrawal(
                    self.pressure, p.withdrawal_threshold, m.draws.iraq.withdrawal_demand
                )
                & ~self.demanded
            )
        if demand.any():
            self._act(np.flatnonzero(demand), "US", WITHDRAWAL_DEMAND_NOTE)
            self.demanded |= demand
            m.presence = np.where(demand, np.minimum(m.presence, PRESENCE_AFTER_DEMAND), m.presence)
        recent = self.recent_attacks.push(t.iraq_attacks)
        self.crackdown_days = np.maximum(self.crackdown_days - 1, 0)
        if m.replaying:
            started = m.observed_today.crackdown
            start = np.full(self.n, started)
            if m.scoring:
                chance = self.crackdown.start_probability(recent, p.crackdown_rate)
                eligible = self.crackdown_days == 0
                m.score("Iraqi government", np.where(eligible, log_bernoulli(chance, started), 0.0))
        else:
            start = self.crackdown.starts(recent, p.crackdown_rate, m.draws.iraq.crackdown)
        start &= self.crackdown_days == 0
        self.started = start
        if start.any():
            self._act(
                np.flatnonzero(start), "militias", "crackdown: arrests and raids on militia members"
            )
            self.crackdown_days = np.where(start, CRACKDOWN_DAYS, self.crackdown_days)
        self.crackdown_active = (self.crackdown_days > 0).astype(float)

    def _act(self, worlds, target, note):
        m = self.model
        m.emit(
            worlds,
            Actor.IRAQI_GOVERNMENT,
            EventType.POLITICAL_ACTION,
            target=m.code("target", target),
            country=m.code("country", "Iraq"),
            location=m.code("location", "Baghdad"),
            note=m.code("note", note),
        )


class Today:
    """What happened today in each world, gathered for the agents that act later in the day.

    Attack tallies, counts by event type included, live in one ``(n_worlds, k)`` matrix so
    a batch of attacks is folded in with one vectorised sum; the named properties read its
    columns.
    """

    TALLIES = (
        "attacks",
        "personnel",
        "injured",
        "killed",
        "others",
        "severity",
        "iraq_attacks",
        "syria_attacks",
    ) + tuple(f"group_severity_{g}" for g in range(len(GROUPS)))
    _TYPES = len(TALLIES)  # first column of the counts by event type

    def __init__(self, n: int):
        self.n = n
        self.tally = np.zeros((n, len(self.TALLIES) + len(EVENT_TYPES)))
        self.us_sites_in_iraq = np.zeros(n)
        #: Attacks made today, reported or not (replayed days: those in the record).
        self.true_attacks = np.zeros(n, dtype=np.int64)
        #: Whether a militia group vowed revenge today (replayed days: the record's vows).
        self.vowed = np.zeros(n, dtype=bool)

    def reset(self) -> None:
        """Clear the tallies for a new day."""
        self.tally[:] = 0.0
        self.us_sites_in_iraq[:] = 0.0
        self.true_attacks[:] = 0
        self.vowed[:] = False

    def record_attacks(
        self,
        worlds: np.ndarray,
        group: int,
        site: np.ndarray,
        etype: np.ndarray,
        killed: np.ndarray,
        injured: np.ndarray,
        others: np.ndarray,
        confidence: np.ndarray,
    ) -> None:
        """Fold a batch of attacks into today's per-world tallies.

        ``confidence`` is the share of each attack's severity the US lays at the militias' door
        (:meth:`Militia.us_confidence`): the severity it tallies, whole and by group, is the US's
        provocation and what it targets by.
        """
        on_personnel = SITE_PERSONNEL[site]
        sev = severity(etype, killed, injured, others) * on_personnel * confidence
        values = np.zeros((len(worlds), self.tally.shape[1]))
        values[:, 0] = 1.0
        values[:, 1] = on_personnel
        values[:, 2] = injured
        values[:, 3] = killed
        values[:, 4] = others
        values[:, 5] = sev
        values[:, 6] = _SITE_IN_IRAQ[site]
        values[:, 7] = _SITE_RETURN_FIRE[site]
        values[:, 8 + group] = sev
        values[np.arange(len(worlds)), self._TYPES + etype] = 1.0
        _fold(self.tally, worlds, values)

    @property
    def type_counts(self) -> np.ndarray:
        """Attacks today by event type (columns in :data:`~.schema.EVENT_TYPES` order)."""
        return self.tally[:, self._TYPES :]

    def __getattr__(self, name):
        if name in Today.TALLIES:
            return self.tally[:, Today.TALLIES.index(name)]
        raise AttributeError(name)

    @property
    def group_severity(self) -> np.ndarray:
        return self.tally[:, 8 : self._TYPES]

    def provocation(self) -> Provocation:
        return Provocation(self.personnel, self.injured, self.killed, self.severity)


def _draw_polya_aeppli(lam: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Pólya-Aeppli counts (up to :data:`MAX_DAILY_ATTACKS`) drawn by inversion with ``u``.

    Most worlds draw zero on most days (``u`` below ``P(0) = exp(-lam)``); the table of
    probabilities is built only for the others, which gives the same draws as building it for
    all (each world's inversion reads its own row) at a fraction of the cost.
    """
    lam = np.broadcast_to(np.asarray(lam, dtype=float), u.shape)
    p = np.broadcast_to(np.asarray(p, dtype=float), u.shape)
    drawn = np.zeros(u.shape, dtype=np.int64)
    some = u >= np.exp(-np.maximum(lam, 0.0))
    if some.any():
        table = polya_aeppli_pmf(MAX_DAILY_ATTACKS, lam[some], p[some], reach=u[some])
        cdf = np.cumsum(table, axis=1)
        if table.shape[1] == MAX_DAILY_ATTACKS + 1:
            cdf[:, -1] = 1.0  # reports beyond the cap are cut to it
        drawn[some] = categorical(cdf, u[some])
    return drawn


def _fold(target: np.ndarray, worlds: np.ndarray, values: np.ndarray) -> None:
    """``target[worlds] += values``, summing the rows of repeated worlds.

    Attacks arrive sorted by world (``np.repeat`` of the world indices), so the rows of a
    world are contiguous and ``np.add.reduceat`` sums them in one pass; otherwise
    ``np.add.at`` does it row by row.
    """
    if len(worlds) and np.all(worlds[1:] >= worlds[:-1]):
        starts = np.flatnonzero(np.r_[True, worlds[1:] != worlds[:-1]])
        target[worlds[starts]] += np.add.reduceat(values, starts, axis=0)
    else:
        np.add.at(target, worlds, values)


def _at(value, worlds):
    """A parameter (scalar or per-world array) at the given worlds."""
    value = np.asarray(value)
    return value if value.ndim == 0 else value[worlds]

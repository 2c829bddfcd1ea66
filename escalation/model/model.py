"""EscalationModel: the actors of :mod:`.agents` in one Mesa model, many worlds at once.

One step is one day from the scenario's start to its end. Each agent is a real
``mesa.Agent`` stepped through ``model.agents`` in a fixed order (Iran, the militias,
Israel, the United States, the Iraqi government; see ``docs/ODD.md``), but its state
is an array over ``n_worlds`` independent worlds, so the same code runs one world or a
hundred thousand. Randomness comes only from the seed: per-world counter-based streams
(:mod:`escalation.model.streams`) for the dynamics, so world i is the same world whatever
batch it is run in, and Mesa's own ``model.rng`` seeded from the same
``SeedSequence``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from types import SimpleNamespace

import mesa
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from escalation.errors import ScenarioError
from escalation.events.counts import starts_new_round
from escalation.events.schema import EVENT_TYPES, MILITIA_ATTACKS, Actor, EventType, severity
from escalation.model.agents import (
    GROUPS,
    PRESENCE_AFTER_DEMAND,
    Iran,
    IraqiGovernment,
    Israel,
    Militia,
    Today,
    UnitedStates,
)
from escalation.model.campaign import Campaign
from escalation.model.eventlog import EventBuffer
from escalation.model.ladder import Ladder, RollingSum
from escalation.model.likelihood import (
    attack_log_likelihood,
    country_log_likelihood,
    log_bernoulli,
    log_poisson,
    reported_attack_log_likelihood,
    reported_count_log_likelihood,
)
from escalation.model.parameters import PARAMETERS, unknown_parameter
from escalation.model.policies import NEVER, TALKS_MEMORY_DAYS, ReprisalDecay, halflife_factor
from escalation.model.replay import DayRecord, ObservedDays
from escalation.model.scenario import (
    DEFAULT_SCENARIO,
    Mark,
    PolicyChoice,
    Scenario,
    TimelineEntry,
)
from escalation.model.sites import SITE_COUNTRY, SITES
from escalation.model.streams import (
    DAILY_SLOTS_READ,
    DailyDraws,
    Draws,
    WorldStreams,
    event_draws,
)
from escalation.runtime import Seed, seed_sequence

try:  # Mesa 3.5 has scenarios of its own; Mesa 3.3 does not.
    from mesa.experimental.scenarios import Scenario as MesaScenario
except ImportError:  # pragma: no cover - depends on the installed Mesa
    MesaScenario = None

#: The actors whose observed acts replay scores (the keys of ``log_likelihood``).
SCORED_ACTORS = ("militia", "US", "Israel", "Iraqi government", "Iran")
#: Code of each event type in :func:`~escalation.model.likelihood.attack_log_likelihood`:
#: rocket, drone, IED and other attacks 0-3, an intercepted attack 4 (others unused).
_INTERCEPTED_CODE = 4
_OBSERVED_TYPE = np.full(len(EVENT_TYPES), -1)
for _code, _type in enumerate(
    (EventType.ROCKET_ATTACK, EventType.DRONE_ATTACK, EventType.IED_ATTACK, EventType.OTHER_ATTACK)
):
    _OBSERVED_TYPE[EVENT_TYPES.index(_type)] = _code
_OBSERVED_TYPE[EVENT_TYPES.index(EventType.INTERCEPTION_ONLY)] = _INTERCEPTED_CODE

#: Daily state variables recorded for every world (see ``docs/ODD.md``).
STATE_VARIABLES = (
    "escalation_index",
    "ladder",
    "iraqi_pressure",
    "militia_resolve",
    "red_line_credibility",
    "campaign",
    "talks_alive",
)
#: Daily counts recorded for every world (forecasts and fan charts read these). All counts are of
#: reported events (the record's analogue) except ``militia_attacks_true``: the attacks made,
#: reported or not (equal to ``militia_attacks`` under full reporting and on replayed days).
COUNT_SERIES = tuple(t.value for t in MILITIA_ATTACKS) + (
    "militia_attacks",
    "militia_attacks_true",
    "us_strike_rounds",
    "us_strike_sites",
    "return_fire",
    "israeli_strikes",
    "us_killed",
    "us_injured",
)
_AIRSTRIKE = EVENT_TYPES.index(EventType.AIRSTRIKE)
_RETURN_FIRE = EVENT_TYPES.index(EventType.RETURN_FIRE)


class EscalationModel(mesa.Model):
    """Attacks and reprisals between US forces, militias, Israel and Baghdad, in many worlds.

    The scenario is kept as ``spec``, not ``scenario``: Mesa 3.5's ``Model.scenario`` is its own
    kind of scenario (see :attr:`scenario`).

    Parameters
    ----------
    scenario : Scenario, str, path or None
        The scenario (a :class:`~escalation.model.scenario.Scenario`, a built-in name or a TOML
        path); None means ``baseline_2021``. A Mesa scenario (``mesa.experimental.scenarios``)
        stands for ``baseline_2021`` with those of its attributes that name parameters set.
    n_worlds : int
        Number of independent worlds advanced together.
    seed : int, sequence of ints or numpy.random.SeedSequence, optional
        The run's seed. None draws fresh entropy (recorded in ``seed_sequence``).
    parameters : mapping, optional
        Parameter values overriding the scenario's, each a number or an array of shape
        ``(n_worlds,)`` (one value per world, as calibration and posterior draws need).
    **kwargs : float or array
        The same, as flat keywords (``militia_attack_rate=0.5``): what Mesa's SolaraViz
        sliders pass when they re-create the model as ``EscalationModel(**model_params)``.
        A name given both here and in ``parameters`` is an error. (The catch-all is called
        ``kwargs`` because Mesa 3.3's SolaraViz accepts one under that name only.)
    first_world : int
        Global index of this batch's first world: world ``first_world + i`` draws the
        same numbers here as in any other batch of the same seed.
    record_daily : bool
        Keep the daily state and counts of every world (``daily_state``, ``daily_counts``).
    history : DataFrame or ObservedDays, optional
        Observed events (canonical schema, or already split by day from the scenario's start by
        :meth:`ObservedDays.from_events`, as repeated replays of one record do) replayed on the
        first ``replay_days`` days:
        there the agents take the observed actions instead of drawing their own and
        update their memories as in simulation (:mod:`escalation.model.replay`); the event log
        holds only the simulated days that follow.
    replay_days : int
        Number of days, from the scenario's start, taken from ``history``.
    score : bool
        While replaying, score what the record says each actor did against the chances its
        policy gives (:mod:`escalation.model.likelihood`): ``log_likelihood[actor]`` holds the
        log probability of each replayed day in each world. This is how
        :func:`escalation.loglik` computes the exact likelihood of a record. Scoring every
        day without ``record_daily`` (and more than one world) keeps no ladder or daily state.
    score_counts : bool
        Scoring, also keep ``count_log_likelihood``: each replayed day's number of militia
        attacks given the record before it, the score count baselines are compared on
        (``escalation.loglik(..., by="counts")``). Off by default: calibration does not read it
        and it costs about a third of a replay.
    """

    def __init__(
        self,
        scenario: Scenario | str | os.PathLike[str] | None = DEFAULT_SCENARIO,
        n_worlds: int = 1,
        seed: Seed = None,
        *,
        parameters: Mapping[str, ArrayLike] | None = None,
        first_world: int = 0,
        record_daily: bool = True,
        history: pd.DataFrame | ObservedDays | None = None,
        replay_days: int = 0,
        score: bool = False,
        score_counts: bool = False,
        **kwargs: ArrayLike,
    ) -> None:
        if isinstance(n_worlds, bool) or not isinstance(n_worlds, int | np.integer) or n_worlds < 1:
            raise ValueError(f"n_worlds must be a positive integer, got {n_worlds!r}")
        self.seed_sequence = seed_sequence(seed)
        super().__init__(rng=np.random.Generator(np.random.PCG64(self.seed_sequence)))
        ours, from_mesa = _split_mesa_scenario(scenario)
        self.spec = Scenario.coerce(ours)
        self.n_worlds = int(n_worlds)
        self.first_world = int(first_world)
        self.days = self.spec.days
        self.dates = [self.spec.start + dt.timedelta(days=d) for d in range(self.days)]
        overrides = _merge_overrides(from_mesa, parameters, kwargs)
        self.p = SimpleNamespace(**_parameter_values(self.spec, overrides, self.n_worlds))
        #: Each actor's current policy choices: the scenario's, as its timeline switches them.
        self._choices = {actor: dict(slots) for actor, slots in self.spec.policies.items()}
        self._timeline = _timeline_by_day(self.spec.timeline, self.dates)
        #: Events the timeline marks today, and the talks opening or pausing (kind, event).
        self.marked_today: tuple[Mark, ...] = ()
        self.streams = WorldStreams(self.seed_sequence, np.arange(self.n_worlds) + self.first_world)
        self.buffer = EventBuffer()
        self.day = 0
        self.observed = _observed_days(history, self.spec.start, min(replay_days, self.days))
        self._derive_rates()
        self._encode_sites()
        self.campaign = Campaign(self)

        n = self.n_worlds
        self.presence = _presence(self.p.us_presence, np.zeros(n, dtype=bool))
        self.today = Today(n)
        self.recent_rounds = RollingSum(n, TALKS_MEMORY_DAYS)
        self.last_strike_day = np.full(n, -NEVER, dtype=np.int64)
        self.ladder = Ladder(n)
        self.day_severity = np.zeros(n)
        self._event_index = np.zeros(n, dtype=np.int64)
        # Agents, in the order they act each day.
        self.iran = Iran(self)
        self.militias = [Militia(self, group, i) for i, group in enumerate(GROUPS)]
        self.israel = Israel(self)
        self.us = UnitedStates(self)
        self.iraq = IraqiGovernment(self)
        # Mesa 3.3 numbers agents in a class-level dict keyed by model, which keeps every model
        # (and its arrays) alive for the life of the process; no agent is created after this.
        getattr(mesa.Agent, "_ids", {}).pop(self, None)

        self.scoring = bool(score)
        #: Log probability of each replayed day's observed acts, by actor: ``(days, n_worlds)``.
        self.log_likelihood: dict[str, np.ndarray] = (
            {actor: _zeroed((len(self.observed or ()), n)) for actor in SCORED_ACTORS}
            if self.scoring
            else {}
        )
        #: Log probability of each replayed day's number of militia attacks given the record
        #: before it (counts only, as the count baselines see them): ``(days, n_worlds)``.
        self.count_log_likelihood = (
            _zeroed((len(self.observed or ()), n))
            if self.scoring and score_counts
            else np.zeros((0, n))
        )
        self.record_daily = record_daily
        if record_daily:
            self.daily_state: dict[str, np.ndarray] = {
                v: _zeroed((self.days, n), np.float32) for v in STATE_VARIABLES
            }
            self.daily_counts: dict[str, np.ndarray] = {
                c: _zeroed((self.days, n), np.int16) for c in COUNT_SERIES
            }
        self.datacollector = (
            mesa.DataCollector(model_reporters={v: _world_zero(v) for v in STATE_VARIABLES})
            if n == 1
            else None
        )
        self.state = {v: np.zeros(n) for v in STATE_VARIABLES}
        #: Every day is replayed and scored, and no daily output is asked for: the ladder and
        #: the daily state are then not kept (``state`` stays at zero).
        self._scores_only = (
            self.scoring
            and not record_daily
            and self.datacollector is None
            and len(self.observed or ()) >= self.days
        )

    @property
    def scenario(self) -> None:
        """Mesa's scenario slot, left empty: this model's scenario is :attr:`spec`.

        Mesa 3.5's ``Model`` sets ``self.scenario`` to a Mesa scenario of its own, and
        SolaraViz, when it finds one, passes a fresh one back as ``scenario=`` on reset,
        replacing the escalation scenario the user chose. Reading None here, SolaraViz
        re-creates the model from its keyword parameters alone, scenario included.
        """
        return None

    @scenario.setter
    def scenario(self, value: object) -> None:
        self._mesa_scenario = value

    # -- set-up ---------------------------------------------------------------------------------
    def _derive_rates(self):
        p = self.p
        self.reprisal_decay = ReprisalDecay(
            halflife_factor(p.revenge_halflife), halflife_factor(p.vow_halflife)
        )
        self.grievance_decay = halflife_factor(p.grievance_halflife)
        self.pressure_decay = halflife_factor(p.pressure_halflife)

    def _encode_sites(self):
        self.site_target = np.array([self.code("target", s.target) for s in SITES])
        self.site_country = np.array([self.code("country", s.country) for s in SITES])
        self.site_location = np.array([self.code("location", s.name) for s in SITES])
        self.group_code = np.array([self.code("group", g.name) for g in GROUPS])

    def code(self, kind: str, value: str) -> int:
        """The code of a text value of ``kind`` (group, target, country, location or note)."""
        table = {
            "group": self.buffer.groups,
            "target": self.buffer.targets,
            "country": self.buffer.countries,
            "location": self.buffer.locations,
            "note": self.buffer.notes,
        }[kind]
        return table.code(value)

    def policy(self, actor: str, slot: str) -> PolicyChoice:
        """The policy choice for an actor's slot today: the scenario's, or its timeline's."""
        return self._choices[actor][slot]

    # -- the timeline ---------------------------------------------------------------------------
    def _apply_timeline(self) -> None:
        """Apply the scenario's timeline entries due today (see ``TimelineEntry``).

        Runs before the agents act, in simulation and replay alike, so scoring sees the same
        time-varying parameters. On the first day, changes dated before the start apply too.
        """
        due = self._timeline.get(self.day, ())
        today = self.dates[self.day]
        marks = tuple(e.mark for e in due if e.mark is not None and e.date == today)
        self.marked_today = marks + self._talks_mark()
        changes = [e for e in due if e.changes_model]
        for entry in changes:
            self._apply_entry(entry)
        if changes:
            self._derive_rates()
            for agent in self.agents:
                agent.refresh()

    def _apply_entry(self, entry: TimelineEntry) -> None:
        """Set and multiply parameters, and switch a policy, as one timeline entry says.

        A product outside the parameter's range is clipped to it: with per-world values
        (calibration, posterior draws) a large value times a large multiplier can leave it, and
        the scenario's own values were checked at load (``Scenario`` timeline check).
        """
        p = self.p
        for name, value in entry.assign.items():
            setattr(p, name, np.float64(value))
        for name, factor in entry.multiply.items():
            by = getattr(p, factor) if isinstance(factor, str) else factor
            declared = PARAMETERS[name]
            setattr(p, name, np.clip(getattr(p, name) * by, declared.low, declared.high))
        if "us_presence" in entry.assign or "us_presence" in entry.multiply:
            self.presence = _presence(p.us_presence, self.iraq.demanded)
        switch = entry.policy
        if switch is not None:
            self._choices[switch.actor][switch.slot] = switch.choice
            if (switch.actor, switch.slot) == ("militia", "campaigns"):
                self.campaign.adopt()  # a model component, not an agent
                return
            for agent in self.agents:
                if agent.actor.value == switch.actor:
                    agent.adopt(switch.slot)

    def _talks_mark(self) -> tuple[Mark, ...]:
        """A mark on the days the talks open or pause on Iran's schedule (its patronage policy,
        e.g. the 2021 Vienna rounds), so the schedule is written once."""
        scheduled, d = self.iran.scheduled, self.day
        if d == 0 or scheduled[d] == scheduled[d - 1]:
            return ()
        return (Mark("talks", "Vienna talks in session" if scheduled[d] else "Vienna talks pause"),)

    # -- the day --------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance every world by one day."""
        if self.day >= self.days:
            self.running = False
            return
        self._apply_timeline()
        if not self.replaying:  # replayed days take the record's acts: nothing is drawn
            self.draws = DailyDraws.of(self.streams.core(self.day, DAILY_SLOTS_READ))
        self.today.reset()
        self.day_severity[:] = 0.0
        self._event_index[:] = 0
        self._strikes_today = np.zeros(self.n_worlds, dtype=np.int64)
        self._return_fire_today = np.zeros(self.n_worlds, dtype=np.int64)
        self._israeli_today = np.zeros(self.n_worlds, dtype=np.int64)
        self.campaign.start_of_day(None if self.replaying else self.draws.iran.campaign)
        self.agents.do("step")
        if self.replaying:
            self._observe_attacks()
        # Triggers of campaigns: a strike on the militias, or a marked anniversary (the
        # timeline's, e.g. of the 3 January 2020 Baghdad airport strike), a public vow where
        # the campaigns policy counts vows, and arrests.
        anniversary = any(mark.kind == "anniversary" for mark in self.marked_today)
        struck = (self.us.strike_sites > 0) | (self._israeli_today > 0) | anniversary
        if self.campaign.policy.vows:
            struck = struck | self.today.vowed
        self.campaign.end_of_day(struck, self.iraq.started)
        self._record()
        self.day += 1
        if self.day >= self.days:
            self.running = False

    def run(self) -> EscalationModel:
        """Run to the scenario's end; returns the model."""
        while self.running:
            self.step()
        return self

    def emit(
        self,
        worlds: ArrayLike,
        actor: Actor,
        event_type: EventType | ArrayLike,
        **fields: ArrayLike,
    ) -> None:
        """Record one event in each of ``worlds`` today (see :meth:`EventBuffer.add`)."""
        worlds = np.asarray(worlds, dtype=np.int64)
        if not self.replaying:
            self.buffer.add(worlds, self.day, actor, event_type, **fields)
        code = EVENT_TYPES.index(event_type) if isinstance(event_type, EventType) else event_type
        sev = severity(
            code,
            fields.get("us_killed", 0),
            fields.get("us_injured", 0),
            fields.get("others_killed", 0),
        )
        np.add.at(self.day_severity, worlds, sev)
        if actor is Actor.US and np.ndim(code) == 0:
            if code == _AIRSTRIKE:
                np.add.at(self._strikes_today, worlds, 1)
            elif code == _RETURN_FIRE:
                np.add.at(self._return_fire_today, worlds, 1)
        elif actor is Actor.ISRAEL:  # one strike a day, however many sites (statistics.summarize)
            self._israeli_today[worlds] = 1

    def score(self, actor: str, log_probability: np.ndarray) -> None:
        """Add today's log probability of ``actor``'s observed acts, per world (when scoring)."""
        self.log_likelihood[actor][self.day] += log_probability

    def _observe_attacks(self) -> None:
        """Filter the campaign state from the day's observed attacks; score them when scoring.

        The number is Poisson with the groups' summed rates (the record seldom says which group
        attacked, so the split is summed over); each attack's weapon is scored against the
        day's mix (an intercepted attack, whose weapon the record does not give, against rockets
        and drones together), and its country (its site's) against the geography's chance of
        that country for the weapon (:func:`~escalation.model.likelihood.country_log_likelihood`):
        together, independent Poisson counts by weapon and country. Under batched reporting the
        IEDs are counted apart, by the reporting policy's law
        (:func:`~escalation.model.likelihood.reported_attack_log_likelihood`). Both are mixed
        over calm and campaign (:meth:`~escalation.model.campaign.Campaign.observe`); the country
        term does not depend on the campaign. Scoring, each attack that landed with known
        casualties scores whether it killed or injured Americans (at sites with personnel) and
        killed others. Sites within a country have no free parameter and are not scored.
        """
        p = self.p
        attacks = self.observed_today.all_attacks
        rate = np.sum([militia.rate for militia in self.militias], axis=0)
        everyone = np.arange(self.n_worlds)
        observed = _OBSERVED_TYPE[attacks["etype"]]
        first = self.militias[0]  # the groups share one weapon mix, geography and reporting
        weapons = first.attack_mix
        interception = (p.interception_rocket, p.interception_drone)

        def reported(multiplier: np.ndarray | float) -> np.ndarray:
            """The day's reported attacks and weapons, with every rate times ``multiplier``."""
            scaled = rate * multiplier
            if first.reporting.batched:
                ied_rate, batch_rate, batch_continue = first.reported_ieds(scaled, weapons)
                return reported_attack_log_likelihood(
                    scaled - ied_rate, batch_rate, batch_continue, weapons, *interception, observed
                )
            logp = log_poisson(len(observed), scaled)
            if len(observed):
                logp = logp + attack_log_likelihood(weapons, *interception, observed)
            return logp

        if self.day < len(self.count_log_likelihood):  # kept only when asked (score_counts)
            self.count_log_likelihood[self.day] = self.campaign.predictive(
                lambda multiplier: self._count_law(len(observed), rate * multiplier, weapons)
            )
        logp = self.campaign.observe(reported)
        if not self.scoring:
            return
        if len(observed):
            logp = logp + country_log_likelihood(
                weapons,
                first.country_given_weapon,
                *interception,
                observed,
                SITE_COUNTRY[attacks["site"]],
            )
            landed = attacks["known"] & (observed < _INTERCEPTED_CODE)
            for j in np.flatnonzero(landed):
                exposure = first.exposure(attacks["site"][j], everyone)
                logp = (
                    logp
                    + log_bernoulli(p.lethality * exposure, attacks["killed"][j] > 0)
                    + log_bernoulli(p.injury_prob * exposure, attacks["injured"][j] > 0)
                    + log_bernoulli(p.other_casualty_prob, attacks["others"][j] > 0)
                )
        self.score("militia", logp)

    def _count_law(self, count: int, rate: np.ndarray, weapons: np.ndarray) -> np.ndarray:
        """``log P(count)`` of the day's total reported attacks at ``rate`` (weapons unseen)."""
        first = self.militias[0]  # the groups share one reporting policy
        if not first.reporting.batched:
            return log_poisson(count, rate)
        ied_rate, batch_rate, batch_continue = first.reported_ieds(rate, weapons)
        return reported_count_log_likelihood(count, rate - ied_rate, batch_rate, batch_continue)

    @property
    def replaying(self) -> bool:
        """Whether today is an observed day being replayed (see ``history``)."""
        return self.observed is not None and self.day < len(self.observed)

    @property
    def observed_today(self) -> DayRecord:
        """Today's observed actions while replaying."""
        if self.observed is None:
            raise RuntimeError("no observed history is being replayed")
        return self.observed[self.day]

    def event_draws(self, worlds: np.ndarray, kind: str) -> Draws:
        """Named draws of one new event of ``kind`` in each of ``worlds`` today (fresh for each).

        ``kind`` is a key of :data:`~escalation.model.streams.EVENT_DRAWS_BY_KIND`.
        """
        worlds = np.asarray(worlds, dtype=np.int64)
        order = np.argsort(worlds, kind="stable")
        ranked = worlds[order]
        rank = np.empty(len(worlds), dtype=np.int64)
        rank[order] = np.arange(len(worlds)) - np.searchsorted(ranked, ranked, side="left")
        index = self._event_index[worlds] + rank
        np.add.at(self._event_index, worlds, 1)
        return event_draws(self.streams.events(self.day, worlds, index), kind)

    def _record(self):
        t = self.today
        rounds = self._new_strike_rounds().astype(float)
        self.recent_rounds.push(rounds)
        if self._scores_only:
            return  # scoring needs the agents' memories, not the ladder or the daily outputs
        rung, index = self.ladder.advance(
            t.attacks,
            t.injured + t.killed + t.others,
            rounds + self._return_fire_today,
            rounds,
            t.killed,
            self.day_severity,
        )
        base = np.maximum(np.asarray(self.p.militia_attack_rate, float), 1e-12)
        resolve = sum(m.rate for m in self.militias) / base
        self.state = {
            "escalation_index": index,
            "ladder": rung,
            "iraqi_pressure": self.iraq.pressure,
            "militia_resolve": resolve,
            "red_line_credibility": self.us.memory.credibility,
            "campaign": self.campaign.probability,
            "talks_alive": self.iran.talks_alive,
        }
        if self.record_daily:
            d = self.day
            for name, value in self.state.items():
                self.daily_state[name][d] = value
            c = self.daily_counts
            for code, name in ((EVENT_TYPES.index(t_), t_.value) for t_ in MILITIA_ATTACKS):
                c[name][d] = t.type_counts[:, code]
            c["militia_attacks"][d] = t.attacks
            c["militia_attacks_true"][d] = t.true_attacks
            c["us_strike_rounds"][d] = rounds
            c["us_strike_sites"][d] = self._strikes_today
            c["return_fire"][d] = self._return_fire_today
            c["israeli_strikes"][d] = self._israeli_today
            c["us_killed"][d] = t.killed
            c["us_injured"][d] = t.injured
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def _new_strike_rounds(self) -> np.ndarray:
        """Per world: whether today's US airstrikes start a strike round (the rule of
        :func:`escalation.events.counts.starts_new_round`, as for observed logs)."""
        struck = self.us.strike_sites > 0
        new = struck & starts_new_round(self.day - self.last_strike_day)
        self.last_strike_day = np.where(struck, self.day, self.last_strike_day)
        return new

    # -- output ---------------------------------------------------------------------------------
    def event_log(self) -> pd.DataFrame:
        """Events so far: the canonical schema plus ``world`` (global index) and ``day``."""
        return self.buffer.frame(
            self.spec.start, self.first_world, source=f"simulated: {self.spec.name}"
        )

    def daily_frame(self) -> pd.DataFrame:
        """Daily state and counts of every world as a long table (date, world, variables...)."""
        if not self.record_daily:
            raise ValueError("this model was run with record_daily=False")
        days = self.day
        frame = pd.DataFrame(
            {
                "date": np.repeat(pd.to_datetime(self.dates[:days]), self.n_worlds),
                "world": np.tile(np.arange(self.n_worlds) + self.first_world, days),
            }
        )
        for name, values in {**self.daily_state, **self.daily_counts}.items():
            frame[name] = values[:days].ravel()
        return frame

    @property
    def truncated_attack_days(self) -> np.ndarray:
        """Per world: group-days on which the drawn number of attacks exceeded
        :data:`~escalation.model.agents.MAX_DAILY_ATTACKS` and was cut to it."""
        return sum((m.truncated for m in self.militias), np.zeros(self.n_worlds, dtype=np.int64))

    @property
    def withdrawal_demanded(self) -> np.ndarray:
        """Per world: whether Baghdad has demanded that US forces leave."""
        return self.iraq.demanded


def _zeroed(shape: tuple[int, int], dtype=np.float64) -> np.ndarray:
    """A zero-filled array like ``np.zeros``, but allocated so numpy can back it with huge pages.

    ``np.zeros`` takes its memory from ``calloc``, which numpy does not advise for huge pages, so
    the day-by-day writes into a run's daily arrays fault it in 4 KiB at a time; an empty array
    filled with zeros is advised, and the first touch costs a sixth as much
    (``benchmarks/bench_ensemble.py`` measures the ensemble).
    """
    out = np.empty(shape, dtype=dtype)
    out.fill(0)
    return out


def _observed_days(
    history: pd.DataFrame | ObservedDays | None, start: dt.date, days: int
) -> ObservedDays | None:
    """The first ``days`` observed days of ``history`` from ``start``, or None (no replay)."""
    if history is None or days <= 0:
        return None
    if isinstance(history, ObservedDays):
        if history.start != start or len(history) < days:
            raise ValueError(
                f"history: observed days split from {history.start} ({len(history)} days), "
                f"but the scenario replays {days} days from {start}"
            )
        return ObservedDays(history.records[:days], start)
    return ObservedDays.from_events(history, start, days)


def _world_zero(name):
    def report(model):
        return float(model.state[name][0])

    return report


def _presence(us_presence: ArrayLike, demanded: np.ndarray) -> np.ndarray:
    """US presence per world: ``us_presence``, capped where Baghdad has demanded withdrawal."""
    value = np.broadcast_to(np.asarray(us_presence, float), demanded.shape)
    return np.where(demanded, np.minimum(value, PRESENCE_AFTER_DEMAND), value)


def _timeline_by_day(
    timeline: tuple[TimelineEntry, ...], dates: list[dt.date]
) -> dict[int, list[TimelineEntry]]:
    """Timeline entries by the day they apply: those dated before the start on the first day,
    those after the end nowhere."""
    by_day: dict[int, list[TimelineEntry]] = {}
    for entry in timeline:
        if entry.date <= dates[-1]:
            by_day.setdefault(max((entry.date - dates[0]).days, 0), []).append(entry)
    return by_day


def _split_mesa_scenario(
    scenario: Scenario | str | os.PathLike[str] | None,
) -> tuple[Scenario | str | os.PathLike[str] | None, dict[str, object]]:
    """A Mesa scenario stands for the default scenario with its parameter attributes set."""
    if MesaScenario is None or not isinstance(scenario, MesaScenario):
        return scenario, {}
    return None, {k: v for k, v in vars(scenario).items() if k in PARAMETERS}


def _merge_overrides(*sources: Mapping[str, object] | None) -> dict[str, object]:
    """Parameter overrides from several arguments; a name given twice is an error."""
    merged: dict[str, object] = {}
    for source in sources:
        for name, value in (source or {}).items():
            if name in merged:
                raise ScenarioError(f"parameters: {name!r} is given twice; give it once")
            merged[name] = value
    return merged


def _parameter_values(
    scenario: Scenario, overrides: Mapping[str, object], n_worlds: int
) -> dict[str, np.float64 | np.ndarray]:
    """Scenario values with overrides, each checked by :meth:`.Parameter.check`, per-world
    arrays also for their length."""
    values: dict[str, np.float64 | np.ndarray] = {
        k: np.float64(v) for k, v in scenario.parameters.items()
    }
    for name, value in overrides.items():
        if name not in PARAMETERS:
            raise ScenarioError(f"parameters: {unknown_parameter(name)}")
        checked = PARAMETERS[name].check(value, f"parameters: {name!r}")
        if np.shape(checked) not in ((), (n_worlds,)):
            raise ScenarioError(
                f"parameters: {name!r} has shape {np.shape(checked)}; expected a number or "
                f"({n_worlds},)"
            )
        values[name] = checked
    return values

"""Tests of the actors' policies, in the manner of Axelrod's ``TestPlayer``.

:class:`PolicyTest` gives every policy, for free: reproducibility from the per-world streams,
independence from the uniforms when the classifier says it is deterministic, batch == world
by world (memory included), a classifier that matches what the policy does, and validation
of its options. Each family (retaliation, harassment, ...) says how to feed its decision
method; each policy then adds short scripted cases computed by hand.
"""

import dataclasses
import datetime as dt
import math
from types import SimpleNamespace

import numpy as np
import pytest

from escalation.model.model import EscalationModel
from escalation.model.policies import (
    ANSWER_WINDOW_DAYS,
    KILLING_ROUND_SITES,
    LINES,
    POLICY_SLOTS,
    VIENNA_TALKS_2021,
    Acquiescence,
    AntBites,
    BatchedReporting,
    BorderInterdiction,
    CampaignRegime,
    Crackdown,
    DelayedProportional,
    Disproportionate,
    FullPush,
    FullReporting,
    GenerousTitForTat,
    Grudger,
    NoCampaigns,
    NoCrackdown,
    NoGroundInterdiction,
    NoInterdiction,
    NoReprisal,
    NoRetaliation,
    OneTheatre,
    PartialReciprocity,
    Provocation,
    RedLine,
    Reprisal,
    ReprisalDecay,
    RestraintWhileTalks,
    RetaliationContext,
    RetaliationMemory,
    RevengeAfterLosses,
    SovereigntyPressure,
    ThresholdInterdiction,
    TitForTat,
    TwoTheatres,
    Unrestrained,
    Vows,
    halflife_factor,
    make_policy,
)
from escalation.model.scenario import PolicyChoice, Scenario
from escalation.model.streams import WorldStreams
from tests.helpers import canonical

INF = float("inf")
START = dt.date(2021, 1, 1)


def replayed(rows, days, **parameters):
    """A one-world model that replays ``days`` days from 1 January 2021 in which only ``rows``
    (day, actor, event type, location, country) happened; returns it after each day's step."""
    frame = canonical([(START + dt.timedelta(days=d), a, t) for d, a, t, _, _ in rows])
    frame["location"] = [r[3] for r in rows]
    frame["country"] = [r[4] for r in rows]
    frame["group"] = "Kata'ib Hezbollah"
    scenario = Scenario.load("baseline_2021").with_parameters(**parameters)
    model = EscalationModel(scenario, seed=0, history=frame, replay_days=days)
    for _ in range(days):
        model.step()
        yield model


# == the shared checks ===========================================================================
class PolicyTest:
    """Checks every policy gets; subclasses name the policy and say how to call it.

    A family subclass defines ``inputs`` (one day's random inputs for ``n`` worlds),
    ``fresh_state``/``random_state`` (the memory the policy carries, None if it carries
    none) and ``step`` (one decision: returns the new state and a tuple of outputs).
    ``memory_inputs`` names the inputs that are memory (perturbed to check that a
    ``memory_depth`` 0 policy ignores them).
    """

    policy_class = None
    actor = ""
    slot = ""
    expected_classifier: dict = {}
    options: dict = {}  # options the generic checks construct the policy with
    n_uniforms = 1
    uses_uniforms = True  # whether the decision method reads uniforms at all
    memory_inputs: tuple = ()
    n_worlds = 6
    n_days = 60

    # -- family hooks ---------------------------------------------------------------------------
    def inputs(self, rng, n):
        raise NotImplementedError

    def fresh_state(self, n):
        return None

    def random_state(self, rng, n):
        return None

    def subset_state(self, state, worlds):
        return None if state is None else state[worlds].copy()

    def assert_state_equal(self, a, b):
        if a is not None:
            np.testing.assert_array_equal(a, b)

    def step(self, policy, state, x, u):
        raise NotImplementedError

    # -- helpers --------------------------------------------------------------------------------
    def policy(self):
        return self.policy_class(**self.options)

    def script(self, seed=0, n=None):
        rng = np.random.default_rng(seed)
        n = self.n_worlds if n is None else n
        return [self.inputs(rng, n) for _ in range(self.n_days)]

    def run(self, script, streams, state):
        policy = self.policy()
        outputs = []
        for day, x in enumerate(script):
            u = streams.core(day, self.n_uniforms)
            state, out = self.step(policy, state, x, u)
            outputs.append(out)
        return outputs, state

    @staticmethod
    def assert_outputs_equal(a, b):
        assert len(a) == len(b)
        for day_a, day_b in zip(a, b, strict=True):
            for out_a, out_b in zip(day_a, day_b, strict=True):
                np.testing.assert_array_equal(out_a, out_b)

    @staticmethod
    def outputs_differ(a, b):
        return any(
            not np.array_equal(out_a, out_b)
            for day_a, day_b in zip(a, b, strict=True)
            for out_a, out_b in zip(day_a, day_b, strict=True)
        )

    def worlds(self, n=None):
        return np.arange(self.n_worlds if n is None else n)

    # -- the checks -----------------------------------------------------------------------------
    def test_registered_under_its_actor_and_slot(self):
        assert POLICY_SLOTS[self.actor][self.slot][self.policy_class.name] is self.policy_class
        made = make_policy(self.actor, self.slot, PolicyChoice(self.policy_class.name))
        assert type(made) is self.policy_class

    def test_classifier(self):
        assert self.policy_class.classifier == self.expected_classifier

    def test_same_seed_same_decisions(self):
        script = self.script()
        n = self.n_worlds
        first, state1 = self.run(script, WorldStreams(11, self.worlds()), self.fresh_state(n))
        again, state2 = self.run(script, WorldStreams(11, self.worlds()), self.fresh_state(n))
        self.assert_outputs_equal(first, again)
        self.assert_state_equal(state1, state2)

    def test_uniforms_matter_only_if_stochastic(self):
        """Deterministic: the same decisions under other uniforms. Stochastic (and reading
        uniforms): some decision changes."""
        script = self.script()
        n = self.n_worlds
        one, _ = self.run(script, WorldStreams(1, self.worlds()), self.fresh_state(n))
        two, _ = self.run(script, WorldStreams(2, self.worlds()), self.fresh_state(n))
        if not self.expected_classifier["stochastic"]:
            self.assert_outputs_equal(one, two)
        elif self.uses_uniforms:
            assert self.outputs_differ(one, two)
        else:
            pytest.skip("stochastic through its agent: the decision method reads no uniforms")

    def test_memory_depth(self):
        """The classifier's memory depth, checked: 0 ignores memory, 1 decides from the day
        alone, any other depth by the policy's own scripted sequence (:meth:`check_memory`)."""
        depth = self.expected_classifier["memory_depth"]
        if depth == 0:
            self.check_no_memory()
        elif depth == 1:
            self.check_memory_of_one_day()
        else:
            self.check_memory(depth)

    def check_memory(self, depth):
        raise NotImplementedError(f"{self.policy_class.__name__}: script a memory of {depth}")

    def check_memory_of_one_day(self):
        """Each day's outputs equal those of that day decided alone, with the same uniforms."""
        script = self.script()
        streams = WorldStreams(4, self.worlds())
        whole, _ = self.run(script, streams, self.fresh_state(self.n_worlds))
        policy = self.policy()
        for day, x in enumerate(script):
            u = streams.core(day, self.n_uniforms)
            _, alone = self.step(policy, self.fresh_state(self.n_worlds), x, u)
            for a, b in zip(whole[day], alone, strict=True):
                np.testing.assert_array_equal(a, b)

    def check_no_memory(self):
        rng = np.random.default_rng(5)
        n = self.n_worlds
        script = self.script()
        other = [
            {k: (self.inputs(rng, n)[k] if k in self.memory_inputs else v) for k, v in x.items()}
            for x in script
        ]
        plain, _ = self.run(script, WorldStreams(3, self.worlds()), self.fresh_state(n))
        perturbed, _ = self.run(other, WorldStreams(3, self.worlds()), self.random_state(rng, n))
        self.assert_outputs_equal(plain, perturbed)

    def test_batch_equals_world_by_world(self):
        """Deciding for N worlds at once equals deciding for each alone, day after day."""
        n = self.n_worlds
        rng = np.random.default_rng(8)
        script = self.script(seed=9)
        policy = self.policy()
        batch_state = self.random_state(rng, n)
        single_states = [self.subset_state(batch_state, [i]) for i in range(n)]
        batch_streams = WorldStreams(21, self.worlds())
        single_streams = [WorldStreams(21, [i]) for i in range(n)]
        for day, x in enumerate(script):
            batch_state, batch_out = self.step(
                policy, batch_state, x, batch_streams.core(day, self.n_uniforms)
            )
            for i in range(n):
                xi = {k: _at(v, [i]) for k, v in x.items()}
                ui = single_streams[i].core(day, self.n_uniforms)
                single_states[i], out = self.step(policy, single_states[i], xi, ui)
                for whole, alone in zip(batch_out, out, strict=True):
                    np.testing.assert_array_equal(np.asarray(whole)[[i]], alone)
                self.assert_state_equal(self.subset_state(batch_state, [i]), single_states[i])

    def test_defaults(self):
        policy = self.policy_class()
        for name, spec in self.policy_class.options.items():
            assert getattr(policy, name) == spec.default

    def test_unknown_option_raises(self):
        with pytest.raises(ValueError, match="unknown option 'bogus'"):
            self.policy_class(bogus=1)

    def test_bad_option_values_raise_naming_the_option(self):
        for name, spec in self.policy_class.options.items():
            if spec.date:
                for bad in ("2021-13-01", "May 2021", 20210501, dt.datetime(2021, 5, 1)):
                    with pytest.raises(ValueError, match=f"option '{name}'.*not a YYYY-MM-DD date"):
                        self.policy_class(**{name: bad})
                for good in ("2021-05-01", dt.date(2021, 5, 1)):
                    assert getattr(self.policy_class(**{name: good}), name) == dt.date(2021, 5, 1)
                continue
            if spec.choices:
                with pytest.raises(ValueError, match=f"option '{name}'.*not one of"):
                    self.policy_class(**{name: "nonsense"})
                continue
            for bad in (spec.low - 1, spec.high + 1):
                with pytest.raises(ValueError, match=f"option '{name}'.*valid range"):
                    self.policy_class(**{name: bad})
            for bad in ("high", True):
                with pytest.raises(ValueError, match=f"option '{name}'.*not a number"):
                    self.policy_class(**{name: bad})
            ok = self.policy_class(**{name: spec.high})
            assert getattr(ok, name) == spec.high


def _at(value, worlds):
    """An input at some worlds (arrays, and the namespaces and dataclasses that hold them)."""
    if isinstance(value, SimpleNamespace):
        return SimpleNamespace(**{k: _at(v, worlds) for k, v in vars(value).items()})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _at(getattr(value, f.name), worlds) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **fields)
    value = np.asarray(value)
    return value if value.ndim == 0 else value[worlds]


# == United States: retaliation ==================================================================
def provocation(personnel=0, injured=0, killed=0, severity=None):
    """One world's provocation; severity defaults to rocket attacks (3 each) plus casualties."""
    if severity is None:
        severity = 3.0 * personnel + 2.0 * injured + 10.0 * killed
    return Provocation(
        np.array([personnel]), np.array([injured]), np.array([killed]), np.array([float(severity)])
    )


def context(threshold=12.0, lag_mean=1.0, decay=1.0, restraint=0.0):
    """A one-world context; lag_mean 1 makes every delay exactly one day."""
    return RetaliationContext(
        np.array([threshold]), np.array([lag_mean]), np.array([decay]), np.array([restraint])
    )


QUIET = dict(personnel=0)
U = np.array([[0.5, 0.5]])  # uniforms for scripted days (lag is fixed when lag_mean is 1)


def play(policy, days, ctx=None, memory=None, u=U):
    """Run a one-world script; returns (sites struck each day, memory, credibility each day).

    The memory starts with the default belief, Beta(2, 2): credibility 0.5."""
    ctx = context() if ctx is None else ctx
    memory = RetaliationMemory.fresh(1) if memory is None else memory
    struck, credibility = [], []
    for day in days:
        uu = u(len(struck)) if callable(u) else u
        struck.append(int(policy.respond(memory, provocation(**day), ctx, uu[:, 0], uu[:, 1])[0]))
        credibility.append(float(memory.credibility[0]))
    return struck, memory, credibility


class RetaliationTest(PolicyTest):
    actor = "US"
    slot = "retaliation"
    n_uniforms = 2

    def inputs(self, rng, n):
        personnel = rng.poisson(0.4, n)
        injured = rng.binomial(1, 0.1, n) * (personnel > 0) * rng.integers(1, 4, n)
        killed = rng.binomial(1, 0.03, n) * (personnel > 0)
        return {
            "personnel": personnel,
            "injured": injured,
            "killed": killed,
            "severity": 3.0 * personnel + 2.0 * injured + 10.0 * killed + rng.random(n),
            "threshold": rng.uniform(2.0, 15.0, n),
            "lag_mean": rng.uniform(1.0, 8.0, n),
            "grievance_decay": halflife_factor(rng.uniform(5.0, 60.0, n)),
            "restraint": rng.uniform(0.0, 0.3, n) * rng.integers(0, 2, n),
        }

    def fresh_state(self, n):
        return RetaliationMemory.fresh(n)

    def random_state(self, rng, n):
        """A memory with beliefs set at random (no strike pending: orders are not beliefs)."""
        memory = RetaliationMemory.fresh(n)
        memory.grievance = rng.uniform(0.0, 40.0, n)
        memory.answered = rng.uniform(0.0, 5.0, n)
        memory.unanswered = rng.uniform(0.0, 5.0, n)
        memory.waiting = rng.random((n, ANSWER_WINDOW_DAYS)) < 0.2
        memory.grudge = rng.random(n) < 0.5
        memory.since_strike = rng.integers(0, 60, n)
        memory.recent = rng.uniform(0.0, 3.0, n)
        return memory

    def subset_state(self, state, worlds):
        return state.subset(worlds)

    def assert_state_equal(self, a, b):
        for key, value in vars(a).items():
            np.testing.assert_array_equal(value, getattr(b, key), err_msg=key)

    @staticmethod
    def provocation_context(x):
        prov = Provocation(x["personnel"], x["injured"], x["killed"], x["severity"])
        ctx = RetaliationContext(
            x["threshold"],
            x["lag_mean"],
            x["grievance_decay"],
            x["restraint"],
        )
        return prov, ctx

    def step(self, policy, state, x, u):
        prov, ctx = self.provocation_context(x)
        return state, (policy.respond(state, prov, ctx, u[:, 0], u[:, 1]),)

    def test_retaliates_as_classified(self):
        outputs, _ = self.run(self.script(), WorldStreams(4, self.worlds()), self.fresh_state(6))
        struck = np.array([out[0] for out in outputs])
        assert struck.min() >= 0
        assert bool(struck.any()) == self.expected_classifier["retaliates"]

    def test_replay_updates_memory_as_if_watching(self):
        """Replaying the crossings and the rounds the policy struck leaves the grievance,
        grudge, days since the last round, recent rounds and the militias' belief the policy
        itself left: militias learn from strikes landing, which replay sees as simulation does."""
        n = self.n_worlds
        policy = self.policy()
        acting, watching = RetaliationMemory.fresh(n), RetaliationMemory.fresh(n)
        streams = WorldStreams(6, self.worlds())
        for day, x in enumerate(self.script(seed=3)):
            _, (struck,) = self.step(policy, acting, x, streams.core(day, 2))
            prov, ctx = self.provocation_context(x)
            policy.replay(watching, prov, ctx, struck)
            for key in ("grievance", "grudge", "since_strike", "recent", "answered", "unanswered"):
                np.testing.assert_allclose(getattr(acting, key), getattr(watching, key))
            np.testing.assert_array_equal(acting.waiting, watching.waiting)
            assert np.all(watching.credibility <= 1.0) and np.all(watching.credibility >= 0.0)


def answer(policy, history, today, ctx=None, u=U):
    """Sites struck the day after ``today``, once ``history`` and three quiet days (which
    clear any pending order) have passed: what the policy makes of ``today`` given its past."""
    struck, _, _ = play(policy, history + [QUIET] * 3 + [today, QUIET], ctx, u=u)
    return struck[-1]


#: Thirty days of random crossings, injuries and killings (seed 0).
RANDOM_HISTORY = [
    dict(personnel=int(p), injured=int(i), killed=int(k))
    for p, i, k in zip(
        *np.random.default_rng(0).poisson([1.0, 0.2, 0.03], size=(30, 3)).T, strict=True
    )
]


class OneDayRetaliationTest(RetaliationTest):
    """Retaliation whose orders read today's crossings only (memory depth 1)."""

    def check_memory_of_one_day(self):
        """Whatever happened before, today's crossing is answered as if it were the first, and
        a quiet day is left alone (pending orders cleared: orders are not memory)."""
        policy = self.policy()
        for today in (dict(personnel=1), dict(personnel=2, injured=1), QUIET):
            alone = answer(policy, [], today)
            assert answer(policy, RANDOM_HISTORY, today) == alone
            assert answer(policy, [dict(personnel=5, killed=1)] * 30, today) == alone


class GrievanceRetaliationTest(RetaliationTest):
    """Retaliation whose grievance never forgets (memory depth infinite): provocation 60 days
    back, undecayed, tips today's decision."""

    long_ago = dict(personnel=1)
    u = U

    def check_memory(self, depth):
        assert depth == INF
        policy, ctx = self.policy(), context(decay=1.0)
        past = [self.long_ago] + [QUIET] * 60
        today = dict(personnel=1)
        assert answer(policy, past, today, ctx, self.u) > 0
        assert answer(policy, [QUIET] * 61, today, ctx, self.u) == 0


class TestNoRetaliation(RetaliationTest):
    policy_class = NoRetaliation
    expected_classifier = {"stochastic": False, "memory_depth": 0, "retaliates": False}

    def test_never_strikes_even_after_killings(self):
        """Thirty days of crossings: those of days 0-15 have waited 14 days by day 29, so the
        Beta(2, 2) belief is Beta(2, 18), credibility 2 / 20."""
        struck, memory, _ = play(NoRetaliation(), [dict(personnel=3, killed=2)] * 30)
        assert struck == [0] * 30
        assert (memory.answered[0], memory.unanswered[0]) == (2.0, 18.0)
        assert memory.credibility[0] == pytest.approx(0.1)

    def test_a_line_never_enforced_starts_low(self):
        """The militias' prior mean for no_retaliation is 0.05, for a drawn line 0.5."""
        assert NoRetaliation().prior_answered == 0.05
        assert RedLine().prior_answered == 0.5
        memory = RetaliationMemory.fresh(3, NoRetaliation().prior_answered, 4.0)
        np.testing.assert_allclose(memory.credibility, 0.05)
        np.testing.assert_allclose(memory.answered + memory.unanswered, 4.0)


class TestRedLine(GrievanceRetaliationTest):
    """Bar 12: three rockets long ago (9) plus one today (3) reach it; one today alone does
    not."""

    policy_class = RedLine
    long_ago = dict(personnel=3)
    expected_classifier = {
        "stochastic": True,
        "memory_depth": INF,
        "retaliates": True,
        "threshold": True,
    }

    def test_killed_line_ignores_injuries_and_answers_a_killing(self):
        policy = RedLine(line="killed")
        ctx = context(threshold=0.5)
        struck, memory, _ = play(policy, [dict(personnel=2, injured=3)] * 5, ctx)
        assert struck == [0] * 5
        assert memory.grievance[0] == 0.0 and memory.pending[0] == -1
        struck, memory, _ = play(policy, [dict(personnel=1, killed=1), QUIET, QUIET], ctx, memory)
        assert struck == [0, KILLING_ROUND_SITES, 0]  # a killing: a five-site round

    def test_killing_is_answered_whatever_the_threshold(self):
        """On a line at killing with five sites, as the 2019-20 killings were
        (KILLING_ROUND_SITES); on the lower lines with the usual one site below the bar."""
        for line, sites in (("killed", 5), ("injury", 1), ("personnel", 1)):
            struck, _, _ = play(
                RedLine(line=line), [dict(personnel=1, killed=1), QUIET], context(100.0)
            )
            assert struck == [0, sites]

    def test_personnel_line_answers_harmless_attacks_once_past_threshold(self):
        """Four rockets that hurt nobody (3 points each) reach the threshold of 12 on day 3;
        the round comes one day later and answers the four crossings, all within the window:
        Beta(2, 2) becomes Beta(3, 2) on day 4 (militias see strikes, not the order of day 3)."""
        days = [dict(personnel=1)] * 4 + [QUIET] * 3
        struck, memory, credibility = play(RedLine(line="personnel"), days)
        assert struck == [0, 0, 0, 0, 1, 0, 0]
        assert credibility == pytest.approx([0.5] * 4 + [0.6] * 3)
        assert memory.grievance[0] == 0.0

    def test_personnel_line_does_not_strike_below_threshold(self):
        struck, memory, _ = play(RedLine(), [dict(personnel=1)] * 3 + [QUIET] * 10)
        assert struck == [0] * 13
        assert memory.grievance[0] == 9.0

    def test_injury_line_sits_between(self):
        """A harmless attack crosses only the personnel line; an injury crosses personnel and
        injury lines; only a killing crosses all three."""
        harmless = dict(personnel=1, severity=7.0)
        hurt = dict(personnel=1, injured=1, severity=7.0)
        ctx = context(threshold=6.0)
        results = {}
        for line in LINES:
            results[line] = (
                play(RedLine(line=line), [harmless, QUIET], ctx)[0],
                play(RedLine(line=line), [hurt, QUIET], ctx)[0],
            )
        assert results["personnel"] == ([0, 1], [0, 1])
        assert results["injury"] == ([0, 0], [0, 1])
        assert results["killed"] == ([0, 0], [0, 0])

    def test_talks_raise_the_bar(self):
        """Threshold 12 with restraint 0.5 -> bar 18: four attacks (12 points) are not enough."""
        days = [dict(personnel=1)] * 4 + [QUIET]
        assert play(RedLine(), days, context(restraint=0.5))[0] == [0] * 5
        assert play(RedLine(), days, context(restraint=0.0))[0] == [0, 0, 0, 0, 1]

    def test_round_sizes_are_drawn_from_the_site_law_whatever_the_provocation(self):
        """p = 0.5: 1, 2, 3 sites with chances 1/4, 1/2, 1/4 (cumulative 0.25, 0.75, 1). A sure
        order reads the size from its uniform itself; whatever the severity past the bar."""
        ctx = dataclasses.replace(context(), extra_site_prob=0.5)
        for u, sites in ((0.1, 1), (0.3, 2), (0.74, 2), (0.8, 3)):
            for severity in (12.0, 100.0):
                uu = np.array([[u, 0.5]])
                days = [dict(personnel=1, severity=severity), QUIET]
                assert play(RedLine(), days, ctx, u=uu)[0] == [0, sites]
        # The default context's p = 0: always one site.
        assert play(RedLine(), [dict(personnel=1, severity=100.0), QUIET])[0] == [0, 1]

    def test_an_unsure_order_draws_its_size_from_the_uniform_below_its_chance(self):
        """Ordered with chance 0.4: u = 0.05, 0.2, 0.36 are ordered, with u / 0.4 = 0.125 (1
        site), 0.5 (2), 0.9 (3) under p = 0.5; u = 0.5 orders nothing."""

        class Even(RedLine):
            def order_probability(self, memory, crossings, provocation, context):
                return np.full(len(crossings), 0.4)

        ctx = dataclasses.replace(context(), extra_site_prob=0.5)
        memory = RetaliationMemory.fresh(4)
        crossing = Provocation(np.ones(4), np.zeros(4), np.zeros(4), np.full(4, 3.0))
        u = np.array([0.05, 0.2, 0.36, 0.5])
        sites = Even().order(memory, np.ones(4), crossing, ctx, u)
        assert sites.tolist() == [1, 2, 3, 0]

    def test_the_site_law_is_binomial_and_absent_at_the_killed_line(self):
        for p, law in ((0.0, [1, 0, 0]), (0.5, [0.25, 0.5, 0.25]), (1.0, [0, 0, 1])):
            ctx = dataclasses.replace(context(), extra_site_prob=p)
            np.testing.assert_allclose(RedLine().site_law(ctx), law)
        per_world = dataclasses.replace(context(), extra_site_prob=np.array([0.2, 0.6]))
        np.testing.assert_allclose(
            RedLine(line="injury").site_law(per_world),
            [[0.64, 0.32, 0.04], [0.16, 0.48, 0.36]],
        )
        assert RedLine(line="killed").site_law(context()) is None
        assert Disproportionate().site_law(context()) is None

    def test_grievance_decays_with_its_halflife(self):
        decay = halflife_factor(30.0)
        _, memory, _ = play(RedLine(), [dict(personnel=1)] + [QUIET] * 30, context(decay=decay))
        assert memory.grievance[0] == pytest.approx(1.5)

    def test_lag_is_one_plus_poisson(self):
        """lag_mean 5: lag = 1 + Poisson(4); u = 0.5 gives Poisson(4) = 4, so 5 days."""
        days = [dict(personnel=1, severity=12.0)] + [QUIET] * 7
        struck, _, _ = play(RedLine(), days, context(lag_mean=5.0), u=np.array([[0.5, 0.5]]))
        assert struck == [0, 0, 0, 0, 0, 1, 0, 0]

    def test_crossings_while_a_round_is_pending_are_answered_when_it_lands(self):
        """No second order while one is pending; the round of day 5 lands within the window of
        the four crossings, so the belief goes from Beta(2, 2) to Beta(3, 2) that day."""
        days = [dict(personnel=1, severity=12.0)] + [dict(personnel=1)] * 3 + [QUIET] * 3
        struck, memory, credibility = play(RedLine(), days, context(lag_mean=5.0))
        assert sum(struck) == 1 and struck[5] == 1
        assert credibility == pytest.approx([0.5] * 5 + [0.6] * 2)
        assert not memory.waiting.any()

    def test_a_smooth_threshold_gives_the_logistic_chance(self):
        """Width 0.25 of a bar of 12: grievance 9 gives 1 / (1 + exp(3 / 3)) = 0.269."""
        memory = RetaliationMemory.fresh(1)
        memory.grievance[:] = 9.0
        ctx = dataclasses.replace(context(), threshold_width=0.25)
        provocation = Provocation(*(np.zeros(1) for _ in range(4)))
        chance = RedLine().order_probability(memory, np.zeros(1), provocation, ctx)
        assert chance[0] == pytest.approx(1 / (1 + math.exp(1.0)))


class TestTitForTat(OneDayRetaliationTest):
    policy_class = TitForTat
    # Stochastic through the delay before each round only (see test below).
    expected_classifier = {"stochastic": True, "memory_depth": 1, "retaliates": True}

    def test_deterministic_when_the_delay_is_fixed(self):
        """With lag_mean 1 the delay draws nothing, and tit-for-tat ignores the uniforms."""
        days = [dict(personnel=1), QUIET, QUIET, dict(personnel=2)] + [QUIET] * 3
        rng = np.random.default_rng(0)
        runs = {tuple(play(TitForTat(), days, u=lambda d: rng.random((1, 2)))[0]) for _ in range(5)}
        assert len(runs) == 1

    def test_answers_every_crossing_and_nothing_else(self):
        days = [QUIET, dict(personnel=1), QUIET, QUIET, dict(personnel=3), QUIET]
        days += [QUIET] * 5 + [dict(personnel=1, injured=1), QUIET, QUIET]
        struck, _, credibility = play(TitForTat(), days)
        expected = [0] * len(days)
        for crossing in (1, 4, 11):
            expected[crossing + 1] = 1
        assert struck == expected
        # Each round answers the crossing of the day before: Beta(2, 2) -> (3, 2), (4, 2), (5, 2).
        assert credibility == pytest.approx([0.5, 0.5] + [3 / 5] * 3 + [4 / 6] * 7 + [5 / 7] * 2)

    def test_line_decides_what_is_a_crossing(self):
        days = [dict(personnel=1), QUIET, dict(personnel=1, killed=1), QUIET]
        assert play(TitForTat(line="killed"), days)[0] == [0, 0, 0, 1]


class TestGenerousTitForTat(OneDayRetaliationTest):
    policy_class = GenerousTitForTat
    expected_classifier = {"stochastic": True, "memory_depth": 1, "retaliates": True}

    def test_forgives_with_probability_generosity(self):
        """Answered when u < 1 - generosity. Day 0: u = 0.8 >= 0.7, forgiven; day 3: u = 0.5,
        answered the next day, and that round answers both crossings (within the window)."""
        days = [dict(personnel=1), QUIET, QUIET, dict(personnel=1), QUIET]
        draws = {0: 0.8, 3: 0.5}

        def u(day):
            return np.array([[draws.get(day, 0.9), 0.5]])

        struck, _, credibility = play(GenerousTitForTat(generosity=0.3), days, u=u)
        assert struck == [0, 0, 0, 0, 1]
        assert credibility == pytest.approx([0.5, 0.5, 0.5, 0.5, 0.6])

    def test_generosity_bounds(self):
        days = [dict(personnel=1), QUIET]
        assert play(GenerousTitForTat(generosity=0.0), days, u=np.array([[0.0, 0.5]]))[0] == [0, 1]
        never = GenerousTitForTat(generosity=1.0)
        assert play(never, days, u=np.array([[0.999, 0.5]]))[0] == [0, 0]


class TestGrudger(RetaliationTest):
    policy_class = Grudger
    expected_classifier = {"stochastic": True, "memory_depth": INF, "retaliates": True}

    def check_memory(self, depth):
        """One crossing a year back still orders rounds; without it, none."""
        assert depth == INF
        days = [dict(personnel=1)] + [QUIET] * 400
        struck, _, _ = play(Grudger(interval=14), days)
        assert any(struck[365:])
        assert not any(play(Grudger(interval=14), [QUIET] * 401)[0])

    def test_never_forgives(self):
        """One crossing on day 0, then nothing: a round the next day, then a new order
        ``interval`` days after each round, struck one day (the lag) later, for ever."""
        interval = 14
        struck, memory, _ = play(Grudger(interval=interval), [dict(personnel=1)] + [QUIET] * 90)
        strike_days = [d for d, s in enumerate(struck) if s]
        assert strike_days[0] == 1
        assert np.all(np.diff(strike_days) == interval + 1)
        assert len(strike_days) == 1 + (90 - 1) // (interval + 1)
        assert memory.grudge[0]

    def test_never_strikes_without_a_crossing(self):
        assert play(Grudger(interval=1), [QUIET] * 40)[0] == [0] * 40


class TestPartialReciprocity(GrievanceRetaliationTest):
    """k 0.3, threshold 12: grievance 6 (3 long ago, 3 today) fires with u 0.1 < 0.139; 3
    alone (0.072) does not, nor did the first 3 on its own day."""

    policy_class = PartialReciprocity
    u = np.array([[0.1, 0.5]])
    expected_classifier = {"stochastic": True, "memory_depth": INF, "retaliates": True}

    @staticmethod
    def fires(policy, u0, recent=0.0, severity=6.0):
        memory = RetaliationMemory.fresh(1)
        memory.recent[:] = recent
        struck, _, _ = play(
            policy,
            [dict(personnel=1, severity=severity), QUIET],
            memory=memory,
            u=np.array([[u0, 0.5]]),
        )
        return struck == [0, 1]

    def test_hazard_from_grievance(self):
        """k = 0.3, grievance 6, threshold 12: hazard 0.15, p = 1 - exp(-0.15) = 0.13929."""
        p = 1 - math.exp(-0.3 * 6.0 / 12.0)
        policy = PartialReciprocity(k=0.3, inertia=0.1)
        assert self.fires(policy, p - 1e-9)
        assert not self.fires(policy, p + 1e-9)

    def test_hazard_adds_inertia_of_recent_rounds(self):
        """recent 2 ages to 1.94 before the decision: hazard 0.15 + 0.1 x 1.94 = 0.344."""
        p = 1 - math.exp(-(0.3 * 6.0 / 12.0 + 0.1 * 2.0 * 0.97))
        policy = PartialReciprocity(k=0.3, inertia=0.1)
        assert self.fires(policy, p - 1e-9, recent=2.0)
        assert not self.fires(policy, p + 1e-9, recent=2.0)

    def test_no_grievance_no_strike(self):
        memory = RetaliationMemory.fresh(1)
        memory.recent[:] = 50.0
        struck, _, _ = play(
            PartialReciprocity(inertia=10.0), [QUIET] * 5, memory=memory, u=np.array([[0.0, 0.5]])
        )
        assert struck == [0] * 5


class TestDelayedProportional(OneDayRetaliationTest):
    policy_class = DelayedProportional
    expected_classifier = {"stochastic": True, "memory_depth": 1, "retaliates": True}

    def test_sizes_rounds_by_severity(self):
        """Sites = ceil(ratio x severity / 6), between 1 and 5."""
        for ratio, severity, sites in (
            (1.0, 3.0, 1),
            (1.0, 13.0, 3),
            (2.0, 7.0, 3),
            (1.0, 40.0, 5),
        ):
            struck, _, _ = play(
                DelayedProportional(ratio=ratio), [dict(personnel=1, severity=severity), QUIET]
            )
            assert struck == [0, sites]

    def test_strikes_only_after_the_lag(self):
        """lag_mean 5 and u = 0.5: lag 1 + 4 = 5 days; each crossing answered once."""
        days = [dict(personnel=1, severity=8.0)] + [QUIET] * 6
        struck, _, _ = play(DelayedProportional(), days, context(lag_mean=5.0))
        assert struck == [0, 0, 0, 0, 0, 2, 0]

    def test_ignores_the_threshold(self):
        struck, _, _ = play(DelayedProportional(), [dict(personnel=1), QUIET], context(100.0))
        assert struck == [0, 1]


class TestDisproportionate(GrievanceRetaliationTest):
    """Bar 6: a rocket long ago (3) plus one today (3) reach it; one today alone does not."""

    policy_class = Disproportionate
    expected_classifier = TestRedLine.expected_classifier

    def test_lower_bar_bigger_rounds(self):
        """scale 0.5: bar 6, reached by two rockets; every round hits ``sites`` sites."""
        days = [dict(personnel=1)] * 2 + [QUIET]
        assert play(Disproportionate(), days)[0] == [0, 0, 5]
        assert play(Disproportionate(scale=1.0, sites=2), days)[0] == [0, 0, 0]
        assert play(Disproportionate(sites=2), days)[0] == [0, 0, 2]


# == militias =====================================================================================
class HarassmentTest(PolicyTest):
    actor = "militia"
    slot = "harassment"
    uses_uniforms = False
    memory_inputs = ("perceived",)
    n_days = 5

    def inputs(self, rng, n):
        return {
            "perceived": rng.random(n),
            "deterrence": rng.uniform(0.0, 0.95, n),
            "caution": rng.uniform(0.0, 5.0, n),
        }

    def step(self, policy, state, x, u):
        return state, (
            policy.rate_factor(x["perceived"], x["deterrence"]),
            policy.type_tilt(x["perceived"], x["caution"]),
        )


class TestAntBites(HarassmentTest):
    policy_class = AntBites
    expected_classifier = {"stochastic": True, "memory_depth": 1}

    def test_rate_falls_and_drones_give_way_as_the_line_grows_credible(self):
        perceived = np.array([0.0, 0.5, 1.0])
        np.testing.assert_allclose(AntBites().rate_factor(perceived, 0.3), [1.0, 0.85, 0.7])
        np.testing.assert_allclose(AntBites().type_tilt(perceived, 2.0), [0.0, 1.0, 2.0])


class TestUnrestrained(HarassmentTest):
    policy_class = Unrestrained
    expected_classifier = {"stochastic": True, "memory_depth": 0}

    def test_ignores_the_red_line(self):
        perceived = np.array([0.0, 0.5, 1.0])
        np.testing.assert_array_equal(Unrestrained().rate_factor(perceived, 0.9), [1, 1, 1])
        np.testing.assert_array_equal(Unrestrained().type_tilt(perceived, 5.0), [0, 0, 0])


class ReprisalTest(PolicyTest):
    actor = "militia"
    slot = "reprisal"
    uses_uniforms = False  # the militia draws the vow; the policy gives its chance and effect
    n_days = 20

    def inputs(self, rng, n):
        return {
            "losses": rng.poisson(0.5, n).astype(float),
            "vowed": rng.uniform(size=n) < 0.2,
            "decay": ReprisalDecay(
                halflife_factor(rng.uniform(0.5, 60.0, n)),
                halflife_factor(rng.uniform(0.5, 60.0, n)),
            ),
            "p": SimpleNamespace(
                revenge_gain=rng.uniform(0.0, 5.0, n),
                vow_boost=rng.uniform(0.0, 10.0, n),
                vow_cap=rng.uniform(1.0, 20.0, n),
            ),
        }

    def fresh_state(self, n):
        return np.zeros(n)

    def random_state(self, rng, n):
        return rng.uniform(0.0, 20.0, n)

    def step(self, policy, state, x, u):
        stock = policy.update(state, x["losses"], x["vowed"], x["decay"])
        return stock, (stock, policy.rate_factor(stock, x["p"]))


def _decay(halflife: float) -> ReprisalDecay:
    """The same daily decay for both stocks."""
    return ReprisalDecay(halflife_factor(halflife), halflife_factor(halflife))


def _p(**values: float) -> SimpleNamespace:
    return SimpleNamespace(**{"revenge_gain": 0.25, "vow_boost": 1.5, "vow_cap": 3.0, **values})


NO_VOW = np.zeros(1, dtype=bool)
VOW = np.ones(1, dtype=bool)


class TestVows(ReprisalTest):
    policy_class = Vows
    expected_classifier = {"stochastic": False, "memory_depth": INF}

    def check_memory(self, depth):
        """A vow a year ago still raises the rate (half-life 60 days: 0.5 ** (365 / 60) =
        0.0146 left, boost 1.5); no vow leaves it at one."""
        assert depth == INF
        policy, decay = Vows(), _decay(60.0)
        stock = policy.update(np.zeros(1), np.zeros(1), VOW, decay)
        for _ in range(365):
            stock = policy.update(stock, np.zeros(1), NO_VOW, decay)
        assert stock[0] == pytest.approx(0.5 ** (365 / 60))
        assert policy.rate_factor(stock, _p())[0] == pytest.approx(1 + 1.5 * stock[0])
        assert policy.rate_factor(np.zeros(1), _p())[0] == 1.0

    def test_a_vow_boosts_and_decays_by_its_half_life(self):
        """Half-life 7 (d = 0.5 ** (1/7)), boost 1.5, cap 3: vow, then 7 quiet days: stock 1,
        then d, ..., d^7 = 0.5; factors 2.5, then 1 + 1.5 x 0.5 = 1.75 a week later."""
        policy, decay = Vows(), _decay(7.0)
        stock = policy.update(np.zeros(1), np.array([4.0]), VOW, decay)
        assert policy.rate_factor(stock, _p())[0] == pytest.approx(2.5)
        for _ in range(7):
            stock = policy.update(stock, np.zeros(1), NO_VOW, decay)
        assert stock[0] == pytest.approx(0.5)
        assert policy.rate_factor(stock, _p())[0] == pytest.approx(1.75)

    def test_losses_without_a_vow_change_nothing(self):
        """Bodies alone do not raise attacks under vows: the February 2021 case."""
        stock = Vows().update(np.zeros(1), np.array([22.0]), NO_VOW, _decay(7.0))
        assert stock[0] == 0.0
        assert Vows().rate_factor(stock, _p())[0] == 1.0

    def test_the_cap_holds(self):
        """Three vows in three days, boost 1.5: uncapped 1 + 1.5 x (d^2 + d + 1) ~ 5.2; the
        cap of 3 holds, and so does any cap, over many vows and any boost."""
        policy, decay = Vows(), _decay(7.0)
        stock = np.zeros(1)
        for _ in range(3):
            stock = policy.update(stock, np.zeros(1), VOW, decay)
        d = 0.5 ** (1 / 7)
        assert stock[0] == pytest.approx(d * d + d + 1)
        assert policy.rate_factor(stock, _p())[0] == 3.0
        rng = np.random.default_rng(0)
        stocks, caps = rng.uniform(0, 100, 1000), rng.uniform(1, 20, 1000)
        factors = policy.rate_factor(stocks, _p(vow_boost=rng.uniform(0, 10, 1000), vow_cap=caps))
        assert np.all(factors <= caps) and np.all(factors >= 1.0)


class TestVowProbability:
    """The chance of a vow, one rule for every reprisal policy (Reprisal.vow_probability)."""

    def test_hand_computed(self):
        """vow_rate 0.4: no losses 0; one dead 1 - e^-0.4 = 0.3297; four 1 - e^-1.6 = 0.7981;
        a belief-weighted 0.15 of ten 1 - e^-0.6 = 0.4512."""
        got = Reprisal.vow_probability(np.array([0.0, 1.0, 4.0, 1.5]), 0.4)
        np.testing.assert_allclose(got, [0.0, 0.329680, 0.798103, 0.451188], atol=1e-6)

    def test_rises_with_losses_and_is_a_probability(self):
        losses = np.arange(0.0, 50.0)
        chance = Reprisal.vow_probability(losses, 0.4)
        assert np.all(np.diff(chance) > 0) and chance[0] == 0.0 and chance[-1] < 1.0
        assert Reprisal.vow_probability(losses, 0.0).max() == 0.0

    def test_the_same_for_every_reprisal_policy(self):
        losses = np.array([0.0, 1.0, 4.0])
        for policy in (Vows(), RevengeAfterLosses(), NoReprisal()):
            np.testing.assert_array_equal(
                policy.vow_probability(losses, 0.4), Reprisal.vow_probability(losses, 0.4)
            )


class TestRevengeAfterLosses(ReprisalTest):
    policy_class = RevengeAfterLosses
    expected_classifier = {"stochastic": False, "memory_depth": INF}

    def check_memory(self, depth):
        """Four fighters lost a year ago still raise the rate (half-life 60 days: 4 x
        0.5 ** (365 / 60) = 0.0584 left, gain 0.25); no losses leave it at one."""
        assert depth == INF
        policy, decay = RevengeAfterLosses(), _decay(60.0)
        stock = policy.update(np.zeros(1), np.array([4.0]), NO_VOW, decay)
        for _ in range(365):
            stock = policy.update(stock, np.zeros(1), NO_VOW, decay)
        assert stock[0] == pytest.approx(4 * 0.5 ** (365 / 60))
        assert policy.rate_factor(stock, _p())[0] == pytest.approx(1 + 0.25 * stock[0])
        assert policy.rate_factor(stock, _p())[0] > 1.0 == policy.rate_factor(np.zeros(1), _p())

    def test_stock_rises_with_losses_and_decays(self):
        """Half-life 7 (d = 0.5 ** (1/7)); 4 killed, then none, then 1: 4, 4d, 4d^2 + 1; a vow
        adds nothing."""
        d = 0.5 ** (1 / 7)
        decay = _decay(7.0)
        policy = RevengeAfterLosses()
        stock = np.zeros(1)
        got = []
        for losses in (4.0, 0.0, 1.0):
            stock = policy.update(stock, np.array([losses]), VOW, decay)
            got.append(float(stock[0]))
        assert got == pytest.approx([4.0, 4 * d, 4 * d * d + 1])
        assert policy.rate_factor(stock, _p())[0] == pytest.approx(1 + 0.25 * (4 * d * d + 1))


class TestNoReprisal(ReprisalTest):
    policy_class = NoReprisal
    expected_classifier = {"stochastic": False, "memory_depth": 0}

    def test_losses_change_nothing(self):
        stock = NoReprisal().update(np.array([3.0]), np.array([10.0]), VOW, _decay(7.0))
        assert stock[0] == 0.0
        assert NoReprisal().rate_factor(np.array([7.0]), _p(revenge_gain=5.0))[0] == 1.0


class CampaignsTest(PolicyTest):
    actor = "militia"
    slot = "campaigns"
    uses_uniforms = False  # the campaign component draws the state; the policy gives its odds
    memory_inputs = ("strikes", "arrests")
    n_days = 20

    def inputs(self, rng, n):
        return {
            "strikes": rng.integers(0, 4, n).astype(float),
            "arrests": rng.integers(0, 2, n).astype(float),
            "campaign_onset": rng.uniform(0.0, 0.1, n),
            "campaign_duration": rng.uniform(1.0, 60.0, n),
            "campaign_intensity": rng.uniform(1.0, 8.0, n),
            "campaign_trigger_gain": rng.normal(1.0, 1.0, n),
            "arrest_trigger_gain": rng.normal(0.0, 1.5, n),
        }

    def step(self, policy, state, x, u):
        p = SimpleNamespace(**x)
        n = len(x["strikes"])
        onset = policy.onset_probability(x["strikes"], x["arrests"], p)
        end = np.broadcast_to(policy.end_probability(p), (n,))
        return None, (onset, end, np.broadcast_to(policy.intensity(p), (n,)))


class TestCampaignRegime(CampaignsTest):
    policy_class = CampaignRegime
    expected_classifier = {"stochastic": True, "memory_depth": 1}

    def test_odds_by_hand(self):
        p = SimpleNamespace(
            campaign_onset=0.02,
            campaign_duration=8.0,
            campaign_intensity=3.0,
            campaign_trigger_gain=1.2,
            arrest_trigger_gain=-0.5,
        )
        onset = CampaignRegime().onset_probability(np.array([0.0, 2.0]), np.array([1.0, 0.0]), p)
        expected = [1 - math.exp(-0.02 * math.exp(-0.5)), 1 - math.exp(-0.02 * math.exp(2.4))]
        np.testing.assert_allclose(onset, expected, rtol=1e-12)
        assert CampaignRegime().end_probability(p) == pytest.approx(1 / 8)
        assert CampaignRegime().intensity(p) == pytest.approx(3.0)


class TestNoCampaigns(CampaignsTest):
    policy_class = NoCampaigns
    expected_classifier = {"stochastic": False, "memory_depth": 0}

    def test_never_opens_a_campaign(self):
        rng = np.random.default_rng(2)
        _, (onset, _, intensity) = self.step(NoCampaigns(), None, self.inputs(rng, 5), None)
        assert not onset.any()
        assert (intensity == 1.0).all()


class ReportingTest(PolicyTest):
    actor = "militia"
    slot = "reporting"
    expected_classifier = {"stochastic": True, "memory_depth": 0}
    uses_uniforms = False
    n_days = 10

    def inputs(self, rng, n):
        return {
            "ied_rate": rng.uniform(0.0, 2.0, n),
            "report_prob": rng.uniform(0.0, 1.0, n),
            "batch_mean": rng.uniform(1.0, 10.0, n),
        }

    def step(self, policy, state, x, u):
        return state, policy.ied_observation(x["ied_rate"], x["report_prob"], x["batch_mean"])


class TestFullReporting(ReportingTest):
    policy_class = FullReporting

    def test_reported_ieds_are_the_true_poisson_count(self):
        rate, cont = FullReporting().ied_observation(np.array([0.3, 1.2]), 0.2, 5.0)
        np.testing.assert_array_equal(rate, [0.3, 1.2])
        np.testing.assert_array_equal(cont, [0.0, 0.0])


class TestBatchedReporting(ReportingTest):
    policy_class = BatchedReporting

    def test_batches_of_mean_four_keep_the_reported_mean(self):
        """Rate 1, reported with 0.5, batches of mean 4: 0.125 batches a day of continuation
        0.75, so 0.125 / (1 - 0.75) = 0.5 reported IEDs a day."""
        rate, cont = BatchedReporting().ied_observation(np.array([1.0]), 0.5, 4.0)
        assert rate[0] == pytest.approx(0.125) and cont[0] == pytest.approx(0.75)


class GeographyTest(PolicyTest):
    actor = "militia"
    slot = "geography"
    expected_classifier = {"stochastic": False, "memory_depth": 0}
    n_days = 10

    def inputs(self, rng, n):
        iraq = rng.uniform(0.5, 1.0, n)
        return {
            "mass": np.stack([iraq, 1.0 - iraq], axis=1),
            "syria_share": rng.uniform(0.0, 1.0, n),
            "iraq_factor": rng.uniform(0.0, 1.0, n),
            "syria_factor": rng.uniform(1.0, 3.0, n),
        }

    def step(self, policy, state, x, u):
        factors = policy.country_factors(
            x["mass"], x["syria_share"], x["iraq_factor"], x["syria_factor"]
        )
        return state, (factors,)


class TestOneTheatre(GeographyTest):
    policy_class = OneTheatre

    def test_every_local_factor_reaches_both_countries(self):
        """A crackdown (0.6) and clashes (2) multiply attacks in Iraq and Syria alike."""
        factors = OneTheatre().country_factors(np.array([[0.9, 0.1]]), 0.5, 0.6, 2.0)
        np.testing.assert_allclose(factors, [[1.2, 1.2]])


class TestTwoTheatres(GeographyTest):
    policy_class = TwoTheatres

    def test_factors_rescale_each_country_to_its_share(self):
        """Mass 0.6 in Iraq and 0.2 in Syria, share 0.1: Iraq 0.9 / 0.6 x crackdown 0.5 = 0.75,
        Syria 0.1 / 0.2 x clashes 2 = 1."""
        factors = TwoTheatres().country_factors(np.array([[0.6, 0.2]]), 0.1, 0.5, 2.0)
        np.testing.assert_allclose(factors, [[0.75, 1.0]])

    def test_without_local_factors_syria_gets_its_share(self):
        mass = np.array([[0.8, 0.2], [0.95, 0.05]])
        factors = TwoTheatres().country_factors(mass, np.array([0.3, 0.02]), 1.0, 1.0)
        shares = mass * factors
        np.testing.assert_allclose(shares.sum(axis=1), [1.0, 1.0])
        np.testing.assert_allclose(shares[:, 1], [0.3, 0.02])

    def test_a_country_no_weapon_reaches_gets_no_attacks(self):
        factors = TwoTheatres().country_factors(np.array([[1.0, 0.0]]), 0.2, 1.0, 1.0)
        np.testing.assert_allclose(factors, [[0.8, 0.0]])


# == United States: ground interdiction at the Albu Kamal crossing ================================
class GroundInterdictionTest(PolicyTest):
    actor = "US"
    slot = "interdiction"
    expected_classifier = {"stochastic": False, "memory_depth": 0}
    n_days = 10

    def inputs(self, rng, n):
        return {"cut": rng.uniform(0.0, 1.0, n), "clash": rng.uniform(1.0, 10.0, n)}

    def step(self, policy, state, x, u):
        shape = np.shape(x["cut"])
        return state, (
            np.broadcast_to(policy.transfer_factor(x["cut"]), shape),
            np.broadcast_to(policy.syria_attack_factor(x["clash"]), shape),
        )


class TestNoGroundInterdiction(GroundInterdictionTest):
    policy_class = NoGroundInterdiction

    def test_changes_nothing(self):
        assert NoGroundInterdiction().transfer_factor(0.7) == 1.0
        assert NoGroundInterdiction().syria_attack_factor(3.0) == 1.0


class TestBorderInterdiction(GroundInterdictionTest):
    policy_class = BorderInterdiction

    def test_cuts_transfers_and_raises_attacks_in_syria(self):
        assert BorderInterdiction().transfer_factor(0.7) == pytest.approx(0.3)
        assert BorderInterdiction().syria_attack_factor(3.0) == 3.0


# == Israel =======================================================================================
class InterdictionTest(PolicyTest):
    actor = "Israel"
    slot = "interdiction"
    memory_inputs = ("activity",)

    def inputs(self, rng, n):
        return {
            "activity": rng.uniform(0.0, 2.0, n),
            "threshold": rng.uniform(0.0, 1.5, n),
            "probability": rng.uniform(0.0, 1.0, n),
        }

    def step(self, policy, state, x, u):
        return state, (policy.strike(x["activity"], x["threshold"], x["probability"], u[:, 0]),)


class TestThresholdInterdiction(InterdictionTest):
    policy_class = ThresholdInterdiction
    expected_classifier = {"stochastic": True, "memory_depth": 1, "claims": False}

    def test_the_chance_is_logistic_around_the_scaled_threshold(self):
        """Level 0.8, width 10% of it: half the probability at the level, 1/(1+e) below by
        0.08, e/(1+e) above; twice the level with threshold_scale 2."""
        activity = np.array([0.72, 0.8, 0.88, 1.6])
        chance = ThresholdInterdiction().strike_probability(activity, 0.8, 0.5)
        e = math.e
        np.testing.assert_allclose(chance[:3], 0.5 * np.array([1 / (1 + e), 0.5, e / (1 + e)]))
        assert chance[3] > 0.4999
        doubled = ThresholdInterdiction(threshold_scale=2.0).strike_probability(activity, 0.8, 0.5)
        assert doubled[1] == pytest.approx(0.5 / (1 + e**5)) and doubled[3] == pytest.approx(0.25)

    def test_probability_times_intensity_capped_at_one(self):
        above = np.full(3, 50.0)
        u = np.array([0.029, 0.031, 0.999])
        np.testing.assert_array_equal(
            ThresholdInterdiction().strike(above, 0.8, 0.03, u), [True, False, False]
        )
        np.testing.assert_array_equal(
            ThresholdInterdiction(intensity=30.0).strike(above, 0.8, 0.05, u), [True, True, True]
        )


class TestNoInterdiction(InterdictionTest):
    policy_class = NoInterdiction
    expected_classifier = {"stochastic": False, "memory_depth": 0, "claims": False}

    def test_never_strikes(self):
        assert not NoInterdiction().strike(np.full(4, 100.0), 0.0, 1.0, np.zeros(4)).any()


# == Iraqi government =============================================================================
class SovereigntyTest(PolicyTest):
    actor = "Iraqi government"
    slot = "sovereignty"
    memory_inputs = ("pressure",)
    n_days = 5

    def inputs(self, rng, n):
        return {"pressure": rng.uniform(0.0, 10.0, n), "threshold": rng.uniform(0.0, 10.0, n)}

    def step(self, policy, state, x, u):
        return state, (policy.demands_withdrawal(x["pressure"], x["threshold"], u[:, 0]),)


class TestSovereigntyPressure(SovereigntyTest):
    policy_class = SovereigntyPressure
    expected_classifier = {"stochastic": True, "memory_depth": INF}

    def check_memory(self, depth):
        """Baghdad's pressure forgets slowly but never: a US strike site in Iraq 300 days back
        (half-life 365: 0.566 left) and one today (1) pass a threshold of 1.5; today's alone
        does not."""
        assert depth == INF
        strike = (300, "US", "airstrike", "al-Qa'im", "Iraq")
        params = dict(pressure_halflife=365.0, pressure_per_strike=1.0, withdrawal_threshold=1.5)
        for rows, above in (([(0, *strike[1:]), strike], True), ([strike], False)):
            *_, model = replayed(rows, 301, **params)
            chance = SovereigntyPressure().demand_probability(model.iraq.pressure, 1.5)[0]
            assert bool(chance > 0.5) is above

    def test_the_chance_is_logistic_around_the_threshold(self):
        """Threshold 6, width 0.6: a half at 6, 1/(1+e) at 5.4, e/(1+e) at 6.6."""
        chance = SovereigntyPressure().demand_probability(np.array([5.4, 6.0, 6.6]), 6.0)
        np.testing.assert_allclose(chance, [1 / (1 + math.e), 0.5, math.e / (1 + math.e)])
        u = np.array([0.2, 0.4, 0.8])
        np.testing.assert_array_equal(
            SovereigntyPressure().demands_withdrawal(np.array([5.4, 6.0, 6.6]), 6.0, u),
            [True, True, False],
        )


class TestAcquiescence(SovereigntyTest):
    policy_class = Acquiescence
    uses_uniforms = False
    expected_classifier = {"stochastic": False, "memory_depth": 0}

    def test_never_demands(self):
        u = np.zeros(3)
        assert not Acquiescence().demands_withdrawal(np.array([0.0, 6.0, 100.0]), 6.0, u).any()


class CrackdownTest(PolicyTest):
    actor = "Iraqi government"
    slot = "crackdown"
    memory_inputs = ("recent",)

    def inputs(self, rng, n):
        return {"recent": rng.poisson(20.0, n).astype(float), "rate": rng.uniform(0.0, 0.05, n)}

    def step(self, policy, state, x, u):
        return state, (policy.starts(x["recent"], x["rate"], u[:, 0]),)


class TestCrackdown(CrackdownTest):
    policy_class = Crackdown
    expected_classifier = {"stochastic": True, "memory_depth": 30}

    def check_memory(self, depth):
        """A militia attack in Iraq on day 0 counts towards a crackdown on days 0 to 29 (the
        30 days the agent shows the policy) and not after."""
        attack = (0, "militia", "rocket_attack", "Ain al-Asad air base", "Iraq")
        seen = [m.iraq.recent_attacks.total[0] for m in replayed([attack], depth + 10)]
        assert seen == [1.0] * depth + [0.0] * 10

    def test_probability_is_scale_rate_attacks(self):
        """0.004 x 50 attacks = 0.2 a day; scale 10 makes it certain; no attacks, no crackdown."""
        u = np.array([0.19, 0.21, 0.999])
        np.testing.assert_array_equal(
            Crackdown().starts(np.full(3, 50.0), 0.004, u), [True, False, False]
        )
        np.testing.assert_array_equal(
            Crackdown(scale=10.0).starts(np.full(3, 50.0), 0.004, u), [True, True, True]
        )
        assert not Crackdown().starts(np.zeros(3), 0.004, np.zeros(3)).any()


class TestNoCrackdown(CrackdownTest):
    policy_class = NoCrackdown
    expected_classifier = {"stochastic": False, "memory_depth": 0}

    def test_never_cracks_down(self):
        assert not NoCrackdown().starts(np.full(3, 1e3), 1.0, np.zeros(3)).any()


# == Iran =========================================================================================
class PatronageTest(PolicyTest):
    actor = "Iran"
    slot = "patronage"
    uses_uniforms = False
    memory_inputs = ("talks_alive",)
    n_days = 5

    def inputs(self, rng, n):
        return {"talks_alive": rng.integers(0, 2, n).astype(float), "restraint": rng.random(n)}

    def step(self, policy, state, x, u):
        return state, (policy.push(x["talks_alive"], x["restraint"]),)


class TestRestraintWhileTalks(PatronageTest):
    policy_class = RestraintWhileTalks
    expected_classifier = {"stochastic": True, "memory_depth": 7}

    def check_memory(self, depth):
        """A US strike round on day 0 weighs on the talks (the hazard Iran reads the next day)
        for 7 days and not after."""
        strike = (0, "US", "airstrike", "Albu Kamal", "Syria")
        seen = [m.recent_rounds.total[0] for m in replayed([strike], depth + 5)]
        assert seen == [1.0] * depth + [0.0] * 5

    def test_push_is_one_minus_restraint_while_talks_live(self):
        np.testing.assert_allclose(
            RestraintWhileTalks().push(np.array([0.0, 1.0]), 0.3), [1.0, 0.7]
        )

    def test_2021_schedule(self):
        dates = [dt.date(2021, 5, 1), dt.date(2021, 8, 1), dt.date(2021, 12, 1)]
        np.testing.assert_array_equal(RestraintWhileTalks().scheduled(dates), [True, False, True])

    def test_2021_schedule_edges(self):
        first, second = VIENNA_TALKS_2021
        a, b, c = first.start, first.end, second.start
        one = dt.timedelta(days=1)
        dates = [a - one, a, b, b + one, c - one, c]
        np.testing.assert_array_equal(
            RestraintWhileTalks(talks="2021").scheduled(dates),
            [False, True, True, False, False, True],
        )

    #: Around each start and end of the 2021 talks: 5-6 April, 20-21 June, 28-29 November 2021,
    #: 11-12 March 2022.
    EDGES = [
        dt.date(2021, 4, 5),
        dt.date(2021, 4, 6),
        dt.date(2021, 6, 20),
        dt.date(2021, 6, 21),
        dt.date(2021, 11, 28),
        dt.date(2021, 11, 29),
        dt.date(2022, 3, 11),
        dt.date(2022, 3, 12),
    ]

    @pytest.mark.parametrize(
        ("known_on", "expected"),
        [
            # The whole schedule, as it turned out.
            (None, [0, 1, 1, 0, 0, 1, 1, 0]),
            # The talks were announced on 2 April: not yet known at the start of that day.
            ("2021-04-02", [0, 0, 0, 0, 0, 0, 0, 0]),
            # Talks on, their end not public: assumed to run on; the resumption unknown.
            ("2021-05-01", [0, 1, 1, 1, 1, 1, 1, 1]),
            # The pause was public only from 20 June itself.
            ("2021-06-20", [0, 1, 1, 1, 1, 1, 1, 1]),
            # Paused since 20 June, no resumption known.
            ("2021-07-01", [0, 1, 1, 0, 0, 0, 0, 0]),
            ("2021-11-03", [0, 1, 1, 0, 0, 0, 0, 0]),
            # The 29 November resumption announced on 3 November; its end (11 March 2022) not.
            ("2021-11-04", [0, 1, 1, 0, 0, 1, 1, 1]),
            ("2021-11-10", [0, 1, 1, 0, 0, 1, 1, 1]),
            # Borrell announced the pause of 11 March 2022 that day.
            ("2022-03-12", [0, 1, 1, 0, 0, 1, 1, 0]),
        ],
    )
    def test_2021_schedule_as_known_on_a_day(self, known_on, expected):
        options = {} if known_on is None else {"known_on": known_on}
        policy = RestraintWhileTalks(talks="2021", **options)
        np.testing.assert_array_equal(policy.scheduled(self.EDGES), np.array(expected, bool))

    def test_other_courses_of_the_talks(self):
        dates = [dt.date(2021, 1, 1), dt.date(2021, 5, 1)]
        assert not RestraintWhileTalks(talks="collapsed").scheduled(dates).any()
        assert RestraintWhileTalks(talks="alive").scheduled(dates).all()


class TestFullPush(PatronageTest):
    policy_class = FullPush
    expected_classifier = {"stochastic": False, "memory_depth": 0}

    def test_pushes_regardless_of_talks(self):
        np.testing.assert_array_equal(FullPush().push(np.array([0.0, 1.0]), 0.9), [1.0, 1.0])


# == the registry =================================================================================
def test_every_registered_policy_has_a_test_class():
    tested = {
        cls.policy_class
        for cls in globals().values()
        if isinstance(cls, type) and cls.__name__.startswith("Test") and issubclass(cls, PolicyTest)
    }
    registered = {
        c for slots in POLICY_SLOTS.values() for reg in slots.values() for c in reg.values()
    }
    assert registered == tested


def test_halflife_factor():
    assert halflife_factor(7.0) ** 7 == pytest.approx(0.5)
    np.testing.assert_allclose(halflife_factor(np.array([1.0, 2.0])), [0.5, math.sqrt(0.5)])


def test_a_line_at_personnel_deters_attacks_a_higher_line_deters_harm():
    """Every attack on personnel crosses a line at personnel: a credible one lowers the attack
    rate. A line at injury or killing is crossed only by harm: militias aim to miss instead."""
    assert RedLine(line="personnel").deters_attacks() and not RedLine().deters_harm()
    for line in ("injury", "killed"):
        for policy in (RedLine(line=line), TitForTat(line=line)):
            assert policy.deters_harm() and not policy.deters_attacks()


class TestLearnedBelief:
    """The militias' Beta belief that a crossing is answered (RetaliationMemory.learn)."""

    @staticmethod
    def days(memory, script):
        """Feed ``(crossed, answered)`` days to one world; the credibility after each."""
        out = []
        for crossed, answered in script:
            memory.learn(np.array([crossed]), np.array([answered]))
            out.append(float(memory.credibility[0]))
        return out

    def test_a_crossing_counts_against_the_line_once_the_window_passes_unanswered(self):
        """Beta(1, 3) (mean 0.25, strength 4): a crossing on day 0 waits through day 13 and
        counts on day 14: Beta(1, 4), 0.2; a round on day 15 adds to a: Beta(2, 4), 1/3."""
        memory = RetaliationMemory.fresh(1, 0.25, 4.0)
        script = [(True, False)] + [(False, False)] * (ANSWER_WINDOW_DAYS - 1)
        script += [(False, False), (False, True)]
        credibility = self.days(memory, script)
        assert credibility[:ANSWER_WINDOW_DAYS] == pytest.approx([0.25] * ANSWER_WINDOW_DAYS)
        assert credibility[ANSWER_WINDOW_DAYS:] == pytest.approx([0.2, 1 / 3])

    def test_a_round_within_the_window_answers_every_waiting_crossing(self):
        """Crossings on days 0, 3 and 13, a round on day 13: all answered; a + 1 only (one
        round), b unchanged: Beta(2, 2) -> Beta(3, 2); then nothing expires on day 14 or 27."""
        memory = RetaliationMemory.fresh(1, 0.5, 4.0)
        script = [(d in (0, 3, 13), d == 13) for d in range(28)]
        credibility = self.days(memory, script)
        assert credibility == pytest.approx([0.5] * 13 + [0.6] * 15)
        assert (memory.answered[0], memory.unanswered[0]) == (3.0, 2.0)

    def test_a_sequence_of_crossings_and_answers(self):
        """Prior mean 0.75, strength 2: Beta(1.5, 0.5). Crossing days 0-2 unanswered (they
        count on days 14-16), a round on day 20, a crossing on day 21 answered on day 25:
        Beta(1.5, 1.5), (1.5, 2.5), (1.5, 3.5) on days 14-16 -> 0.5, 0.375, 0.3; Beta(2.5, 3.5)
        on day 20 -> 5/12; Beta(3.5, 3.5) on day 25 -> 0.5."""
        memory = RetaliationMemory.fresh(1, 0.75, 2.0)
        script = [(d in (0, 1, 2, 21), d in (20, 25)) for d in range(26)]
        credibility = self.days(memory, script)
        assert credibility[13] == pytest.approx(0.75)
        assert credibility[14:17] == pytest.approx([0.5, 0.375, 0.3])
        assert credibility[20] == pytest.approx(2.5 / 6)
        assert credibility[25] == pytest.approx(0.5)

    def test_worlds_learn_apart_with_their_own_prior_strength(self):
        """Two worlds, strengths 1 and 10 at prior mean 0.5: one unanswered crossing moves the
        first to 0.5 / 2 = 0.25, the second to 5 / 11."""
        memory = RetaliationMemory.fresh(2, 0.5, np.array([1.0, 10.0]))
        for day in range(ANSWER_WINDOW_DAYS + 1):
            memory.learn(np.array([day == 0, day == 0]), np.zeros(2, dtype=bool))
        np.testing.assert_allclose(memory.credibility, [0.25, 5 / 11])

    def test_replay_and_simulation_learn_the_same_from_a_hand_made_history(self):
        """Tit-for-tat with one-day delays acts on crossings of days 0, 5 and 30; replay is fed
        the rounds it struck. Both end at Beta(2 + 3, 2) with nothing waiting."""
        days = [dict(personnel=1) if d in (0, 5, 30) else QUIET for d in range(40)]
        policy = TitForTat()
        acting, watching = RetaliationMemory.fresh(1), RetaliationMemory.fresh(1)
        for day in days:
            struck = policy.respond(acting, provocation(**day), context(), U[:, 0], U[:, 1])
            policy.replay(watching, provocation(**day), context(), struck)
        for memory in (acting, watching):
            assert (memory.answered[0], memory.unanswered[0]) == (5.0, 2.0)
            assert not memory.waiting.any()

"""Tests of scenario timelines: dated parameter changes, policy switches and marked events.

Parsing and every error a timeline entry can make; inheritance and the TOML round trip; and in
the model, that an entry acts from its day exactly, in simulation and in replay scoring alike.
"""

import dataclasses
import datetime as dt
from types import MappingProxyType

import numpy as np
import pytest
import scipy.stats

from escalation.errors import ScenarioError
from escalation.events.io import load_events
from escalation.model.agents import PRESENCE_AFTER_DEMAND
from escalation.model.likelihood import MIN_PROBABILITY
from escalation.model.model import EscalationModel
from escalation.model.parameters import PARAMETERS
from escalation.model.policies import VIENNA_TALKS_2021, NoRetaliation, halflife_factor
from escalation.model.scenario import Mark, Scenario, TimelineEntry
from tests.helpers import POLICY_TABLES

#: A one-quarter scenario with no timeline: tests add their entries after its tables.
HEAD = """\
name = "head"
start = 2021-01-01
end = 2021-03-31
"""
POLICIES = "\n" + POLICY_TABLES + "\n"


def scenario_with(tmp_path, entries: str, head: str = HEAD, name: str = "s.toml") -> Scenario:
    """The scenario of ``head`` (top-level keys), the 2021 policies and ``entries``."""
    path = tmp_path / name
    path.write_text(head + POLICIES + entries, encoding="utf-8")
    return Scenario.load(path)


def timeline_of(entries: str) -> tuple[TimelineEntry, ...]:
    """The timeline ``entries`` (TOML) parse into."""
    return Scenario.from_toml(HEAD + POLICIES + entries).timeline


def with_timeline(scenario: Scenario, *entries: TimelineEntry, **fields) -> Scenario:
    return dataclasses.replace(scenario, timeline=tuple(entries), posterior=None, **fields)


def run_days(model: EscalationModel, days: int) -> EscalationModel:
    for _ in range(days):
        model.step()
    return model


# -- parsing -------------------------------------------------------------------------------------
def test_baseline_marks_the_dated_events_of_2021_with_sources():
    base = Scenario.load("baseline_2021")
    marks = {e.date: e.mark.kind for e in base.timeline if e.mark is not None}
    assert marks == {
        dt.date(2021, 1, 3): "anniversary",
        dt.date(2021, 6, 18): "election",
        dt.date(2021, 7, 26): "agreement",
        dt.date(2021, 10, 10): "election",
        dt.date(2022, 1, 1): "other",  # the 2022 record's own IED reporting
        dt.date(2022, 1, 3): "anniversary",  # met by runs that extend into 2022
    }
    assert all(e.source for e in base.timeline)
    (agreement,) = [e for e in base.timeline if e.date == dt.date(2021, 7, 26)]
    assert dict(agreement.multiply) == {
        "militia_attack_rate": "post_agreement_rate",
        "non_ied_factor": "post_agreement_non_ied",
    }


def test_a_run_into_2022_meets_the_second_anniversary_and_its_campaigns():
    """Forecasts from late 2021 run into 2022: the baseline marks 3 January 2022 as it marks
    3 January 2021, and (common random numbers) the trigger adds campaign days after it."""
    base = dataclasses.replace(
        Scenario.load("baseline_2021"),
        start=dt.date(2021, 12, 20),
        end=dt.date(2022, 1, 31),
        posterior=None,
    )
    without = with_timeline(base, *[e for e in base.timeline if e.date.year < 2022])
    runs = {}
    for name, scenario in (("with", base), ("without", without)):
        model = EscalationModel(scenario, n_worlds=400, seed=3, record_daily=True)
        marks = {}
        while model.running:
            model.step()
            marks[model.dates[model.day - 1]] = [m.kind for m in model.marked_today]
        runs[name] = (marks, model.daily_state["campaign"])
    assert runs["with"][0][dt.date(2022, 1, 3)] == ["anniversary"]
    assert runs["without"][0][dt.date(2022, 1, 3)] == []
    anniversary = (dt.date(2022, 1, 3) - dt.date(2021, 12, 20)).days
    with_, without_ = runs["with"][1], runs["without"][1]
    np.testing.assert_array_equal(with_[: anniversary + 1], without_[: anniversary + 1])
    assert with_[anniversary + 1 :].sum() > without_[anniversary + 1 :].sum()


def at_default_and_at_zero(base: Scenario, factor: str, entry: dt.date) -> tuple[dict, dict, int]:
    """Daily counts of ``base`` (300 worlds, seed 5) with the timeline factor ``factor`` at its
    default 1 and at 0, and the index of the day its ``entry`` acts from; with common random
    numbers every world must be the same in both before that day (checked here)."""
    default, zero = (
        EscalationModel(base, n_worlds=300, seed=5, parameters={factor: value}).run().daily_counts
        for value in (1.0, 0.0)
    )
    day = (entry - base.start).days
    for key, values in default.items():
        np.testing.assert_array_equal(values[:day], zero[key][:day], err_msg=key)
    return default, zero, day


def test_the_2022_record_reports_convoy_ieds_at_its_own_chance():
    """From 1 January 2022 a convoy IED reaches the record at ied_report_prob x ied_report_2022:
    at 0 none is reported after the date, while (common random numbers) every world is the same
    as at the default 1 before it, and the militias' true attacks the same on the day itself
    (later the other actors answer what is reported, so worlds part)."""
    base = dataclasses.replace(
        Scenario.load("baseline_2021"),
        start=dt.date(2021, 12, 1),
        end=dt.date(2022, 2, 28),
        posterior=None,
    )
    as_2021, unreported, new_year = at_default_and_at_zero(
        base, "ied_report_2022", dt.date(2022, 1, 1)
    )
    true = "militia_attacks_true"
    np.testing.assert_array_equal(as_2021[true][new_year], unreported[true][new_year])
    assert unreported["ied_attack"][new_year:].sum() == 0
    assert as_2021["ied_attack"][new_year:].sum() > 0


def test_after_the_agreement_only_convoy_ieds_go_on_when_the_other_attacks_stop():
    """From 26 July 2021 non_ied_factor is multiplied by post_agreement_non_ied: at 0 no attack
    other than a convoy IED is reported after the date (every true attack is an IED, and
    reporting is full), while (common random numbers) every world is the same as at the default
    1 before it."""
    base = dataclasses.replace(
        Scenario.load("baseline_2021"),
        start=dt.date(2021, 7, 1),
        end=dt.date(2021, 9, 30),
        posterior=None,
    ).with_policy("militia", "reporting", "full_reporting")
    unchanged, stopped, agreement = at_default_and_at_zero(
        base, "post_agreement_non_ied", dt.date(2021, 7, 26)
    )
    after = {key: values[agreement:].sum() for key, values in stopped.items()}
    assert after["militia_attacks"] == after["ied_attack"] > 0
    assert after["militia_attacks_true"] == after["ied_attack"]
    as_before = {key: values[agreement:].sum() for key, values in unchanged.items()}
    assert as_before["militia_attacks"] > as_before["ied_attack"]


@pytest.mark.parametrize("name", [n for n, p in PARAMETERS.items() if p.timeline_only])
def test_a_timeline_only_parameter_changes_nothing_without_its_entries(name):
    """What lets a calibration leave such a factor out of a window its entries do not reach
    (Scenario.calibrated_until): no policy reads it, so with no timeline entry naming it, any
    value gives the same run, world for world."""
    base = with_timeline(Scenario.load("baseline_2021"), end=dt.date(2021, 3, 31))
    runs = [
        EscalationModel(base, n_worlds=100, seed=9, parameters={name: value}).run()
        for value in (PARAMETERS[name].default, 0.5 * PARAMETERS[name].high)
    ]
    for key, values in runs[0].daily_counts.items():
        np.testing.assert_array_equal(values, runs[1].daily_counts[key], err_msg=key)


def test_us_withdrawal_draws_down_from_the_agreement_not_all_year():
    withdrawal = Scenario.load("us_withdrawal")
    assert withdrawal.parameters["us_presence"] == 1.0
    assert "us_presence" not in withdrawal.pinned
    (own,) = [e for e in withdrawal.timeline if "us_presence" in e.assign]
    assert (own.date, own.assign["us_presence"]) == (dt.date(2021, 7, 26), 0.2)
    assert "From 26 July 2021" in withdrawal.description
    # The parent's entries come along, in date order.
    base = Scenario.load("baseline_2021")
    assert all(entry in withdrawal.timeline for entry in base.timeline)
    assert len(withdrawal.timeline) == len(base.timeline) + 1
    assert [e.date for e in withdrawal.timeline] == sorted(e.date for e in withdrawal.timeline)


def test_entries_parse_into_their_parts(tmp_path):
    scenario = scenario_with(
        tmp_path,
        """
[[timeline]]
date = 2021-02-01
set = { us_presence = 0.5 }
multiply = { militia_attack_rate = 0.5, drone_share = "post_agreement_rate" }
policy = { actor = "US", slot = "retaliation", choice = { name = "red_line", line = "killed" } }
event = "a dated change"
kind = "other"
source = "a test"
""",
    )
    (entry,) = scenario.timeline
    assert entry.date == dt.date(2021, 2, 1)
    assert dict(entry.assign) == {"us_presence": 0.5}
    assert dict(entry.multiply) == {
        "militia_attack_rate": 0.5,
        "drone_share": "post_agreement_rate",
    }
    assert (entry.policy.actor, entry.policy.slot) == ("US", "retaliation")
    assert entry.policy.choice.as_dict() == {"name": "red_line", "line": "killed"}
    assert entry.mark == Mark("other", "a dated change")
    assert entry.where.endswith("s.toml: timeline[0]")


@pytest.mark.parametrize(
    "entry, fragments",
    [
        ('date = 2021-02-01\nevent = "x"\ncolour = 1', ["unknown key 'colour'"]),
        ('event = "x"', ["missing key 'date'"]),
        ('date = "first of May"\nevent = "x"', ["key 'date'", "YYYY-MM-DD"]),
        ("date = 2021-02-01\nset = { bogus = 1 }", ["'set.bogus'", "unknown parameter"]),
        ("date = 2021-02-01\nset = { us_presence = 2 }", ["'set.us_presence'", "[0, 1]"]),
        ("date = 2021-02-01\nset = 3", ["key 'set'", "expected a table"]),
        ("date = 2021-02-01\nmultiply = { bogus = 2 }", ["'multiply.bogus'", "unknown parameter"]),
        (
            "date = 2021-02-01\nmultiply = { militia_attack_rate = -1 }",
            ["'multiply.militia_attack_rate'", "non-negative number or a parameter name"],
        ),
        (
            'date = 2021-02-01\nmultiply = { militia_attack_rate = "nope" }',
            ["'multiply.militia_attack_rate'", "'nope' is not a parameter"],
        ),
        (
            'date = 2021-02-01\npolicy = { actor = "NATO", slot = "x", choice = "y" }',
            ["key 'policy'.actor", "unknown actor 'NATO'"],
        ),
        (
            'date = 2021-02-01\npolicy = { actor = "US", slot = "x", choice = "y" }',
            ["key 'policy'.slot", "unknown slot 'x'"],
        ),
        (
            'date = 2021-02-01\npolicy = { actor = "US", slot = "retaliation", choice = "y" }',
            ["key 'policy'.choice", "unknown policy 'y'"],
        ),
        (
            'date = 2021-02-01\npolicy = { actor = "US", slot = "retaliation", '
            'choice = { name = "red_line", line = "anything" } }',
            ["key 'policy'.choice", "line"],
        ),
        ('date = 2021-02-01\npolicy = { actor = "US" }', ["key 'policy'", "actor = ..."]),
        (
            'date = 2021-02-01\npolicy = { actor = "US", slot = "retaliation", '
            'choice = "red_line", line = "killed" }',
            ["key 'policy'", "'line'", "options in choice = { name = ..., option = ... }"],
        ),
        ('date = 2021-02-01\nevent = "x"\nkind = "party"', ["key 'kind'", "unknown kind"]),
        ('date = 2021-02-01\nkind = "election"', ["key 'kind'", "without 'event'"]),
        ("date = 2021-02-01\nevent = 3", ["key 'event'", "expected a string"]),
        ('date = 2021-02-01\nsource = "x"', ["does nothing"]),
        (
            'date = 2021-02-01\nannounced = 2021-03-01\nevent = "x"',
            ["key 'announced'", "after the entry's date 2021-02-01"],
        ),
        ('date = 2021-02-01\nannounced = "soon"\nevent = "x"', ["key 'announced'", "YYYY-MM-DD"]),
    ],
)
def test_bad_entries_name_the_file_the_entry_and_the_field(tmp_path, entry, fragments):
    good = '[[timeline]]\ndate = 2021-01-05\nevent = "fine"\n\n'
    with pytest.raises(ScenarioError) as info:
        scenario_with(tmp_path, good + "[[timeline]]\n" + entry + "\n", name="bad.toml")
    message = str(info.value)
    assert "bad.toml: timeline[1]" in message
    for fragment in fragments:
        assert fragment in message


def test_a_timeline_that_is_not_tables_is_an_error(tmp_path):
    head = HEAD + "timeline = 3\n"
    with pytest.raises(ScenarioError, match=r"bad.toml: key 'timeline': expected \[\[timeline\]\]"):
        scenario_with(tmp_path, "", head=head, name="bad.toml")


# -- inheritance and round trip ------------------------------------------------------------------
def test_children_append_to_the_parents_timeline_or_clear_it(tmp_path):
    parent = scenario_with(
        tmp_path,
        "[[timeline]]\ndate = 2021-03-01\nset = { us_presence = 0.5 }\n"
        '\n[[timeline]]\ndate = 2021-01-10\nevent = "early"\n',
        name="parent.toml",
    )
    assert [e.date.isoformat() for e in parent.timeline] == ["2021-01-10", "2021-03-01"]
    child = scenario_with(
        tmp_path,
        "[[timeline]]\ndate = 2021-03-01\nset = { us_presence = 0.3 }\n",
        head='name = "child"\nextends = "parent.toml"\n',
        name="child.toml",
    )
    assert [e.date.isoformat() for e in child.timeline] == ["2021-01-10", "2021-03-01"] + [
        "2021-03-01"
    ]
    assert child.timeline[-1].where.endswith("child.toml: timeline[0]")
    assert child.timeline[1].where.endswith("parent.toml: timeline[0]")
    # On the shared date the child's entry applies last, so its value holds.
    model = run_days(EscalationModel(child, n_worlds=2, seed=1), 60)
    assert model.p.us_presence == 0.3
    assert model.presence.tolist() == [0.3, 0.3]
    silent = scenario_with(
        tmp_path, "", head='name = "silent"\nextends = "child.toml"\n', name="silent.toml"
    )
    assert silent.timeline == child.timeline
    cleared = scenario_with(
        tmp_path,
        "",
        head='name = "cleared"\nextends = "child.toml"\ntimeline = []\n',
        name="cleared.toml",
    )
    assert cleared.timeline == ()


def test_replace_timeline_puts_the_childs_entries_in_place_of_the_parents(tmp_path):
    scenario_with(
        tmp_path, "[[timeline]]\ndate = 2021-03-01\nset = { us_presence = 0.5 }\n", name="p.toml"
    )
    head = 'name = "child"\nextends = "p.toml"\nreplace_timeline = true\n'
    child = scenario_with(
        tmp_path, '[[timeline]]\ndate = 2021-02-01\nevent = "own"\n', head=head, name="c.toml"
    )
    assert [e.event for e in child.timeline] == ["own"]
    assert scenario_with(tmp_path, "", head=head, name="empty.toml").timeline == ()
    # The key is the child's own: its children append to the timeline it replaced.
    grandchild = scenario_with(
        tmp_path,
        '[[timeline]]\ndate = 2021-03-05\nevent = "late"\n',
        head='name = "grandchild"\nextends = "c.toml"\n',
        name="g.toml",
    )
    assert [e.event for e in grandchild.timeline] == ["own", "late"]


@pytest.mark.parametrize(
    "head, fragments",
    [
        (
            "timeline = []\n",
            ["not valid TOML", "timeline = [...]", "write replace_timeline = true"],
        ),
        ('replace_timeline = "yes"\n', ["key 'replace_timeline'", "expected true or false"]),
    ],
    ids=["empty-then-tables", "not-a-boolean"],
)
def test_replacing_the_timeline_wrongly_says_how(tmp_path, head, fragments):
    with pytest.raises(ScenarioError) as info:
        scenario_with(
            tmp_path,
            '[[timeline]]\ndate = 2021-02-01\nevent = "own"\n',
            head='name = "child"\nextends = "baseline_2021"\n' + head,
            name="bad.toml",
        )
    message = str(info.value)
    assert "bad.toml" in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


@pytest.mark.parametrize("name", ["baseline_2021", "us_withdrawal"])
def test_timelines_survive_the_toml_round_trip(name):
    original = Scenario.load(name)
    loaded = Scenario.from_toml(original.to_toml())
    assert loaded.timeline == original.timeline
    assert loaded.to_toml() == original.to_toml()


def test_a_policy_switch_survives_the_toml_round_trip(tmp_path):
    original = scenario_with(
        tmp_path,
        "[[timeline]]\ndate = 2021-02-01\nmultiply = { deterrence = 0.5 }\n"
        'policy = { actor = "Iran", slot = "patronage", '
        'choice = { name = "restraint_while_talks", talks = "collapsed" } }\n',
    )
    loaded = Scenario.from_toml(original.to_toml())
    assert loaded.timeline == original.timeline
    assert loaded.sha256() == original.sha256()


# -- in the model --------------------------------------------------------------------------------
def test_an_entry_acts_from_its_day_in_simulation_exactly():
    """Common random numbers: with a set dated day 40, the run equals the plain one through
    day 39 in every world, differs afterwards, and the parameter holds from day 40."""
    base = with_timeline(Scenario.load("baseline_2021"), end=dt.date(2021, 4, 30))
    date = base.start + dt.timedelta(days=40)
    changed = with_timeline(
        base, TimelineEntry(date, assign=MappingProxyType({"militia_attack_rate": 3.0}))
    )
    plain = EscalationModel(base, n_worlds=50, seed=7).run()
    model = EscalationModel(changed, n_worlds=50, seed=7)
    run_days(model, 40)
    assert model.p.militia_attack_rate == base.parameters["militia_attack_rate"]
    model.step()
    assert model.p.militia_attack_rate == 3.0
    model.run()
    attacks, before = model.daily_counts["militia_attacks"], plain.daily_counts["militia_attacks"]
    np.testing.assert_array_equal(attacks[:40], before[:40])
    assert attacks[40:].sum() > 2 * before[40:].sum()


def test_same_seed_same_results_with_a_timeline():
    first = EscalationModel("us_withdrawal", n_worlds=20, seed=11).run()
    second = EscalationModel("us_withdrawal", n_worlds=20, seed=11).run()
    for name, values in {**first.daily_state, **first.daily_counts}.items():
        np.testing.assert_array_equal(
            values, second.daily_state.get(name, second.daily_counts.get(name))
        )
    assert first.event_log().equals(second.event_log())


def test_withdrawal_presence_follows_the_date_and_baghdads_demand():
    model = EscalationModel("us_withdrawal", n_worlds=200, seed=3)
    agreement = (dt.date(2021, 7, 26) - model.spec.start).days
    run_days(model, agreement)
    before = model.presence.copy()
    assert set(before.tolist()) <= {1.0, PRESENCE_AFTER_DEMAND}
    demanded = model.iraq.demanded.copy()
    model.step()
    np.testing.assert_array_equal(model.presence[~demanded], 0.2)


def test_a_policy_switch_takes_effect_on_its_day():
    """A US that answers attacks with a busy window, switched to no retaliation on day 30:
    strikes happen before, none after, and the agent holds the new policy."""
    busy = Scenario.load("baseline_2021").with_parameters(
        militia_attack_rate=2.0, us_response_threshold=2.0, drone_share=0.5
    )
    switch_day = 30
    switch = TimelineEntry(
        busy.start + dt.timedelta(days=switch_day),
        policy=timeline_of(
            '[[timeline]]\ndate = 2021-01-31\npolicy = { actor = "US", slot = "retaliation", '
            'choice = "no_retaliation" }\n'
        )[0].policy,
    )
    scenario = with_timeline(busy, switch, end=dt.date(2021, 3, 31))
    model = EscalationModel(scenario, n_worlds=100, seed=5)
    run_days(model, switch_day)
    assert not isinstance(model.us.policy, NoRetaliation)
    model.run()
    assert isinstance(model.us.policy, NoRetaliation)
    assert model.policy("US", "retaliation").name == "no_retaliation"
    rounds = model.daily_counts["us_strike_rounds"]
    assert rounds[:switch_day].sum() > 0
    # Orders given before the switch may still land a few days after it; none later.
    assert rounds[switch_day + 31 :].sum() == 0


def test_switching_the_talks_off_updates_the_schedule():
    start = Scenario.load("baseline_2021")
    date = dt.date(2021, 5, 1)
    off = timeline_of(
        '[[timeline]]\ndate = 2021-05-01\npolicy = { actor = "Iran", slot = "patronage", '
        'choice = { name = "restraint_while_talks", talks = "collapsed" } }\n'
    )
    scenario = with_timeline(start, *off)
    model = EscalationModel(scenario, n_worlds=4, seed=1).run()
    talks = model.daily_state["talks_alive"]
    day = (date - start.start).days
    assert talks[day - 1].max() == 1.0
    assert talks[day:].max() == 0.0


def test_halflife_changes_rederive_the_decay():
    base = Scenario.load("baseline_2021")
    entry = TimelineEntry(
        base.start + dt.timedelta(days=3), assign=MappingProxyType({"revenge_halflife": 2.0})
    )
    model = EscalationModel(with_timeline(base, entry), n_worlds=1, seed=1)
    run_days(model, 3)
    assert model.reprisal_decay.revenge == pytest.approx(
        halflife_factor(base.parameters["revenge_halflife"])
    )
    model.step()
    assert model.reprisal_decay.revenge == pytest.approx(0.5**0.5)


def test_changes_dated_before_the_start_hold_from_the_first_day():
    late = dataclasses.replace(
        Scenario.load("baseline_2021"), start=dt.date(2021, 8, 1), posterior=None
    )
    model = EscalationModel(late, n_worlds=3, seed=1, parameters={"post_agreement_rate": 0.25})
    model.step()
    expected = 0.25 * late.parameters["militia_attack_rate"]
    assert model.p.militia_attack_rate == pytest.approx(expected)
    assert model.marked_today == ()  # the agreement is marked on its own day only


@pytest.mark.parametrize(
    "multiply, words",
    [
        ("drone_share = 4", "factor 4 times 0.3 gives 1.2"),
        (
            'drone_share = "post_agreement_rate"',
            "factor 'post_agreement_rate' (5) times 0.3 gives 1.5",
        ),
    ],
    ids=["number", "parameter"],
)
def test_a_product_out_of_range_is_an_error_at_load(tmp_path, multiply, words):
    """The message gives the factor the file wrote, the value it multiplies and the product."""
    with pytest.raises(ScenarioError) as info:
        scenario_with(
            tmp_path,
            "[[timeline]]\ndate = 2021-02-01\n"
            "set = { drone_share = 0.3, post_agreement_rate = 5 }\n"
            f"\n[[timeline]]\ndate = 2021-03-01\nmultiply = {{ {multiply} }}\n",
            name="bad.toml",
        )
    assert (
        f"bad.toml: timeline[1]: key 'multiply.drone_share': {words}, which is outside the valid "
        "range [0, 1]"
    ) in str(info.value)


def test_a_product_that_per_world_values_push_out_of_range_is_clipped():
    """Calibration draws per-world values the load-time check never saw: the model clips the
    product to the parameter's range rather than stopping mid-run."""
    base = Scenario.load("baseline_2021")
    entry = TimelineEntry(base.start, multiply=MappingProxyType({"drone_share": "deterrence"}))
    model = EscalationModel(
        with_timeline(base, entry),
        n_worlds=2,
        seed=1,
        parameters={"drone_share": [0.5, 0.9], "deterrence": [0.5, 0.95]},
    )
    model.step()
    np.testing.assert_allclose(model.p.drone_share, [0.25, 0.855])
    big = TimelineEntry(base.start, multiply=MappingProxyType({"militia_attack_rate": 4.0}))
    model = EscalationModel(
        with_timeline(base, big), n_worlds=2, seed=1, parameters={"militia_attack_rate": [1, 2]}
    )
    model.step()
    np.testing.assert_array_equal(model.p.militia_attack_rate, [4.0, 5.0])


def test_the_baseline_marks_its_events_and_the_talks_on_their_days():
    model = EscalationModel("baseline_2021", n_worlds=2, seed=1)
    marks = {}
    while model.running:
        model.step()
        if model.marked_today:
            marks[model.dates[model.day - 1]] = [m.kind for m in model.marked_today]
    first, second = VIENNA_TALKS_2021
    open_, pause, resume = first.start, first.end, second.start
    assert marks == {
        dt.date(2021, 1, 3): ["anniversary"],
        open_: ["talks"],
        dt.date(2021, 6, 18): ["election"],
        pause + dt.timedelta(days=1): ["talks"],
        dt.date(2021, 7, 26): ["agreement"],
        dt.date(2021, 10, 10): ["election"],
        resume: ["talks"],
    }
    talks = model.daily_state["talks_alive"]
    scheduled = model.iran.scheduled
    # Alive only when scheduled; a collapse can only turn it off.
    assert not talks[~scheduled].any()
    assert set(np.unique(talks).tolist()) <= {0.0, 1.0}


def test_replay_scoring_changes_only_the_militia_term_after_the_date_by_the_poisson_ratio():
    """With the militia rate multiplied by f from 26 July, the replayed state is the record's,
    so every day's expected attacks lambda are f times the unmultiplied ones, and the militia
    log-likelihood of a day with k attacks changes by k log f - (f - 1) lambda; nothing else
    changes, and nothing before the date."""
    f = 0.4
    events = load_events("2021")
    # Campaigns and batched reporting off: with them the count's law is not one Poisson.
    base = (
        Scenario.load("baseline_2021")
        .with_policy("militia", "campaigns", "none")
        .with_policy("militia", "reporting", "full_reporting")
    )
    model = EscalationModel(
        dataclasses.replace(base, posterior=None),
        n_worlds=2,
        seed=1,
        parameters={"post_agreement_rate": np.array([1.0, f])},
        history=events,
        replay_days=base.days,
        score=True,
    )
    rates, counts = [], []
    while model.running:
        attacks = model.observed[model.day].attacks
        counts.append(sum(len(group["site"]) for group in attacks.values()))
        model.step()
        rates.append(sum(m.rate for m in model.militias))
    rates, counts = np.array(rates), np.array(counts)
    day = (dt.date(2021, 7, 26) - base.start).days
    np.testing.assert_allclose(rates[day:, 1], f * rates[day:, 0], rtol=1e-12)
    militia = model.log_likelihood["militia"]
    difference = militia[:, 1] - militia[:, 0]
    expected = counts * np.log(f) - (f - 1.0) * rates[:, 0]
    # A day whose count is less likely than MIN_PROBABILITY scores the floor instead (24 August,
    # seven convoy IEDs, at the lower rate): there the change is the floor's.
    floor = np.log(MIN_PROBABILITY)
    lower = scipy.stats.poisson.logpmf(counts, f * rates[:, 0])
    upper = scipy.stats.poisson.logpmf(counts, rates[:, 0])
    floored = lower < floor
    assert not (upper < floor)[day:].any()
    expected[floored] = floor - upper[floored]
    np.testing.assert_array_equal(difference[:day], 0.0)
    np.testing.assert_allclose(difference[day:], expected[day:], rtol=1e-9, atol=1e-12)
    assert counts[day:].sum() > 0 and floored.sum() < 3
    for actor, values in model.log_likelihood.items():
        if actor != "militia":
            np.testing.assert_array_equal(values[:, 1], values[:, 0], err_msg=actor)


@pytest.mark.parametrize("slot, choice", [("campaigns", "none"), ("reporting", "full_reporting")])
def test_the_militia_mechanisms_switch_off_on_their_day(slot, choice):
    """Campaigns and batched reporting, switched off on day 30 by the timeline: afterwards no
    world is in a campaign (one running on the day ends at once), or every attack is reported."""
    switch_day = 30
    entry = timeline_of(
        f'[[timeline]]\ndate = 2021-01-31\npolicy = {{ actor = "militia", slot = "{slot}", '
        f'choice = "{choice}" }}\n'
    )[0]
    base = Scenario.load("baseline_2021").with_parameters(campaign_onset=0.1)
    scenario = with_timeline(base, entry, end=dt.date(2021, 3, 31))
    model = EscalationModel(scenario, n_worlds=500, seed=3).run()
    assert model.policy("militia", slot).name == choice
    if slot == "campaigns":
        campaign = model.daily_state["campaign"]
        assert campaign[:switch_day].mean() > 0.1
        assert not campaign[switch_day + 1 :].any()
    else:
        reported, true = (
            model.daily_counts["militia_attacks"],
            model.daily_counts["militia_attacks_true"],
        )
        assert (reported[:switch_day] < true[:switch_day]).any()
        np.testing.assert_array_equal(reported[switch_day:], true[switch_day:])


def test_regime_starts_are_the_entries_that_change_the_model(tmp_path):
    """Marks alone start no regime; set, multiply and policy switches do, each date once."""
    scenario = scenario_with(
        tmp_path,
        """
[[timeline]]
date = 2021-01-03
event = "an anniversary"
kind = "anniversary"

[[timeline]]
date = 2021-03-01
multiply = { militia_attack_rate = 0.5 }

[[timeline]]
date = 2021-02-01
set = { deterrence = 0.1 }

[[timeline]]
date = 2021-03-01
policy = { actor = "US", slot = "retaliation", choice = "no_retaliation" }
""",
    )
    assert scenario.regime_starts == (dt.date(2021, 2, 1), dt.date(2021, 3, 1))
    # The 2021 baseline: the 26 July agreement to end the combat mission, and (for runs into
    # 2022) the 2022 record's own chance of reporting a convoy IED.
    assert Scenario.load("baseline_2021").regime_starts == (
        dt.date(2021, 7, 26),
        dt.date(2022, 1, 1),
    )


def test_a_forecaster_knows_past_entries_and_announced_ones_only(tmp_path):
    """known_on keeps what had happened or been announced before the origin, in order."""
    scenario = scenario_with(
        tmp_path,
        """
[[timeline]]
date = 2021-01-10
event = "happened before the origin"

[[timeline]]
date = 2021-02-20
announced = 2021-01-05
event = "scheduled, announced before the origin"
kind = "election"

[[timeline]]
date = 2021-02-20
multiply = { militia_attack_rate = 0.5 }
event = "a surprise"

[[timeline]]
date = 2021-03-10
announced = 2021-02-01
event = "announced on the origin: not yet known at its start"
""",
    )
    known = scenario.known_on("2021-02-01")
    assert [e.event for e in known.timeline] == [
        "happened before the origin",
        "scheduled, announced before the origin",
    ]
    assert [e.event for e in scenario.unknown_on(dt.date(2021, 2, 1))] == [
        "a surprise",
        "announced on the origin: not yet known at its start",
    ]
    assert known.regime_starts == ()  # the surprise's regime is not known
    # Every entry has happened, and the talks' whole schedule (to 11 March 2022) was public.
    assert scenario.known_on("2022-03-12") is scenario
    assert Scenario.from_toml(scenario.to_toml()).timeline[1].announced == dt.date(2021, 1, 5)


def test_a_forecaster_knows_the_talks_schedule_public_on_the_origin(tmp_path):
    """known_on sets Iran's patronage option known_on, in the policies and in a kept switch, to
    the origin; an earlier one stays; TOML keeps it; policies without the 2021 schedule and an
    origin after the whole schedule was public are left alone."""
    base = Scenario.load("baseline_2021")
    may = base.known_on("2021-05-01")
    assert may.policy("Iran", "patronage").as_dict() == {
        "name": "restraint_while_talks",
        "talks": "2021",
        "known_on": dt.date(2021, 5, 1),
    }
    assert {a: s for a, s in may.policies.items() if a != "Iran"} == {
        a: s for a, s in base.policies.items() if a != "Iran"
    }
    assert Scenario.from_toml(may.to_toml()).policies == may.policies
    assert may.known_on("2021-07-01") is may  # held to 1 May already: it knows less
    assert may.known_on("2021-04-10") is may  # nothing announced between: the same schedule
    # Before the 2 April announcement, even the first round is unknown.
    assert may.known_on("2021-04-01").policy("Iran", "patronage").options["known_on"] == (
        dt.date(2021, 4, 1)
    )
    assert base.left_out_on("2021-11-10", until=dt.date(2021, 12, 31)) == (
        "Vienna talks after 2021-11-10: schedule not yet public",
    )
    assert base.left_out_on("2021-11-10")[0].startswith("2022-01-01: the record changes")
    assert base.left_out_on("2022-03-12") == ()
    collapsed = Scenario.load("talks_collapse")
    assert collapsed.known_on("2021-05-01").policies == collapsed.policies
    switched = scenario_with(
        tmp_path,
        """
[[timeline]]
date = 2021-02-01
policy = { actor = "Iran", slot = "patronage", choice = { name = "full_push", talks = "2021" } }
""",
    )
    (entry,) = switched.known_on("2021-03-01").timeline
    assert entry.policy is not None
    assert dict(entry.policy.choice.options) == {"talks": "2021", "known_on": dt.date(2021, 3, 1)}
    assert switched.left_out_on("2021-03-01") == (
        "Vienna talks after 2021-03-01: schedule not yet public",
    )


def test_the_baseline_knows_its_elections_ahead_but_not_the_agreement():
    base = Scenario.load("baseline_2021")
    unknown = base.unknown_on("2021-07-01")
    # The agreement, and the change of record in 2022 (known only once it happened).
    assert [e.date for e in unknown] == [dt.date(2021, 7, 26), dt.date(2022, 1, 1)]
    by_date = {e.date: e for e in base.timeline}
    # Iran's election date was set on 24 August 2020, Iraq's on 19 January 2021.
    assert by_date[dt.date(2021, 6, 18)].announced == dt.date(2020, 8, 24)
    assert by_date[dt.date(2021, 10, 10)].announced == dt.date(2021, 1, 19)

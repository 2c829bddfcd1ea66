"""Tests of scenarios: the built-ins, copies, TOML round trips and every error a file can make."""

import dataclasses
import datetime as dt
import re

import pytest

from escalation.errors import ScenarioError
from escalation.model.parameters import PARAMETERS, defaults
from escalation.model.scenario import Scenario, describe_scenarios, list_scenarios
from tests.helpers import POLICY_TABLES

#: A complete scenario with no ``extends``: the error cases below each break one thing.
FULL = (
    """\
name = "full"
description = "every slot given"
start = 2021-01-01
end = 2021-03-31

[parameters]
militia_attack_rate = 0.4

"""
    + POLICY_TABLES
)


def write(tmp_path, text, name="scenario.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path) -> str:
    with pytest.raises(ScenarioError) as info:
        Scenario.load(path)
    return str(info.value)


# -- built-ins -------------------------------------------------------------------------------------
def test_builtins_are_listed_and_described():
    names = list_scenarios()
    assert {"baseline_2021", "trump_red_line"} <= set(names)
    assert names == sorted(names)
    described = describe_scenarios()
    assert set(described) == set(names)
    assert all(described.values())


def test_baseline_2021():
    base = Scenario.load("baseline_2021")
    assert base.name == "baseline_2021"
    assert (base.start, base.end, base.days) == (dt.date(2021, 1, 1), dt.date(2021, 12, 31), 365)
    assert dict(base.parameters) == defaults()
    assert base.pinned == frozenset()
    assert base.policy("US", "retaliation").as_dict() == {"name": "red_line", "line": "personnel"}
    assert base.policy("Iran", "patronage").as_dict() == {
        "name": "restraint_while_talks",
        "talks": "2021",
    }
    assert set(base.calibrate) <= set(PARAMETERS)
    for name in base.calibrate:
        assert base.prior(name) is PARAMETERS[name].prior


def test_trump_red_line_changes_only_the_us_line():
    """The line at killing, and the militias' prior that comes with its 2019-20 record."""
    base = Scenario.load("baseline_2021")
    trump = Scenario.load("trump_red_line")
    assert trump.name == "trump_red_line"
    assert (trump.start, trump.end) == (base.start, base.end)
    assert trump.parameters == base.parameters
    assert trump.calibrate == base.calibrate
    assert trump.posterior == base.posterior
    assert trump.policy("US", "retaliation").as_dict() == {
        "name": "red_line",
        "line": "killed",
        "prior_answered": 0.75,
    }
    for actor, slots in base.policies.items():
        for slot, choice in slots.items():
            if (actor, slot) != ("US", "retaliation"):
                assert trump.policy(actor, slot) == choice


def test_load_by_path_equals_load_by_name(tmp_path):
    by_name = Scenario.load("baseline_2021")
    path = write(tmp_path, Scenario.load("baseline_2021").to_toml())
    by_path = Scenario.load(path)
    assert by_path.parameters == by_name.parameters
    assert by_path.policies == by_name.policies


# -- copies ---------------------------------------------------------------------------------------
def test_with_parameters_returns_a_pinned_copy():
    base = Scenario.load("baseline_2021")
    changed = base.with_parameters(militia_attack_rate=0.5, deterrence=0)
    assert changed is not base
    assert changed.parameters["militia_attack_rate"] == 0.5
    assert changed.parameters["deterrence"] == 0.0
    assert changed.pinned == {"militia_attack_rate", "deterrence"}
    assert base.parameters["militia_attack_rate"] == PARAMETERS["militia_attack_rate"].default
    assert base.pinned == frozenset()
    for key in set(PARAMETERS) - changed.pinned:
        assert changed.parameters[key] == base.parameters[key]


def test_with_parameters_validates():
    base = Scenario.load("baseline_2021")
    with pytest.raises(ScenarioError, match="with_parameters.militia_attack_rate.*0, 5"):
        base.with_parameters(militia_attack_rate=6.0)
    with pytest.raises(ScenarioError, match="with_parameters.bogus.*unknown parameter"):
        base.with_parameters(bogus=1.0)


def test_with_policy():
    base = Scenario.load("baseline_2021")
    tft = base.with_policy("US", "retaliation", "generous_tit_for_tat", generosity=0.5)
    assert tft.policy("US", "retaliation").as_dict() == {
        "name": "generous_tit_for_tat",
        "generosity": 0.5,
    }
    assert base.policy("US", "retaliation").name == "red_line"
    with pytest.raises(ScenarioError, match="generosity.*valid range"):
        base.with_policy("US", "retaliation", "generous_tit_for_tat", generosity=2.0)


# -- TOML round trip ------------------------------------------------------------------------------
def test_save_load_round_trip(tmp_path):
    original = (
        Scenario.load("trump_red_line")
        .with_parameters(militia_attack_rate=0.45, us_lag_mean=3)
        .with_policy("Israel", "interdiction", "threshold_interdiction", threshold_scale=0.5)
    )
    original = dataclasses.replace(
        original, description='a "quoted"\nline', end=dt.date(2021, 6, 30)
    )
    loaded = Scenario.load(original.save(tmp_path / "copy.toml"))
    assert loaded.name == original.name
    assert loaded.description == original.description
    assert (loaded.start, loaded.end) == (original.start, original.end)
    assert loaded.parameters == original.parameters
    assert loaded.pinned == original.pinned
    assert loaded.policies == original.policies
    assert loaded.calibrate == original.calibrate
    assert loaded.to_toml() == original.to_toml()
    assert loaded.sha256() == original.sha256()


def test_sha256_changes_with_content():
    base = Scenario.load("baseline_2021")
    assert base.sha256() == Scenario.load("baseline_2021").sha256()
    assert base.with_parameters(deterrence=0.5).sha256() != base.sha256()


def test_from_toml_extends_a_builtin():
    short = Scenario.from_toml(
        'name = "short"\nextends = "baseline_2021"\nend = 2021-01-31\n'
        "[parameters]\nlethality = 0.02\n"
    )
    assert short.days == 31
    assert short.parameters["lethality"] == 0.02
    assert short.pinned == {"lethality"}
    assert short.policies == Scenario.load("baseline_2021").policies


def test_extends_a_file_relative_to_the_child(tmp_path):
    write(tmp_path, FULL, "parent.toml")
    child = write(
        tmp_path,
        'name = "child"\nextends = "parent.toml"\n[parameters]\ndeterrence = 0.5\n'
        '[policies.US]\nretaliation = "tit_for_tat"\n',
        "child.toml",
    )
    scenario = Scenario.load(child)
    assert scenario.parameters["militia_attack_rate"] == 0.4  # from the parent
    assert scenario.parameters["deterrence"] == 0.5
    assert scenario.pinned == {"militia_attack_rate", "deterrence"}
    assert scenario.policy("US", "retaliation").name == "tit_for_tat"
    assert scenario.policy("Israel", "interdiction").name == "threshold_interdiction"


def test_extends_a_chain_of_three_levels(tmp_path):
    """grandchild -> child -> parent: each level's values win over those above it, options of a
    policy are replaced as a whole, and every level's explicit values stay pinned."""
    write(
        tmp_path, FULL.replace("[parameters]\n", "[parameters]\ndeterrence = 0.2\n"), "parent.toml"
    )
    write(
        tmp_path,
        'name = "child"\nextends = "parent.toml"\nend = 2021-02-28\n'
        "[parameters]\ndeterrence = 0.5\nlethality = 0.02\n"
        '[policies.US]\nretaliation = { name = "red_line", line = "injury", clarity = 0.5 }\n',
        "child.toml",
    )
    grandchild = write(
        tmp_path,
        'name = "grandchild"\nextends = "child.toml"\n[parameters]\nlethality = 0.03\n'
        '[policies.Iran]\npatronage = "full_push"\n',
        "grandchild.toml",
    )
    scenario = Scenario.load(grandchild)
    assert scenario.name == "grandchild"
    assert scenario.end == dt.date(2021, 2, 28)  # from the child
    assert scenario.start == dt.date(2021, 1, 1)  # from the parent
    assert scenario.parameters["militia_attack_rate"] == 0.4  # parent
    assert scenario.parameters["deterrence"] == 0.5  # child over parent
    assert scenario.parameters["lethality"] == 0.03  # grandchild over child
    assert scenario.pinned == {"militia_attack_rate", "deterrence", "lethality"}
    us = scenario.policy("US", "retaliation")
    assert (us.name, dict(us.options)) == ("red_line", {"line": "injury", "clarity": 0.5})
    assert scenario.policy("Iran", "patronage").name == "full_push"
    assert scenario.policy("militia", "harassment").name == "ant_bites"  # parent


def test_a_file_without_a_name_is_named_after_the_file_not_its_parent(tmp_path):
    """A child that sets no ``name`` does not take its parent's (under which it would be written
    to the parent's results folder and dropped from a comparison as the baseline)."""
    child = write(tmp_path, 'extends = "baseline_2021"\nend = 2021-01-31\n', "spring.toml")
    assert Scenario.load(child).name == "spring"
    grandchild = write(tmp_path, 'extends = "spring.toml"\n', "late_spring.toml")
    assert Scenario.load(grandchild).name == "late_spring"
    with pytest.raises(ScenarioError, match="<text>: missing key 'name'"):
        Scenario.from_toml('extends = "baseline_2021"\n', origin="<text>")


def test_text_without_a_name_takes_the_default_name_given_and_a_set_name_wins():
    text = 'extends = "baseline_2021"\nend = 2021-01-31\n'
    assert Scenario.from_toml(text, origin="spring.toml", default_name="spring").name == "spring"
    named = Scenario.from_toml('name = "early"\n' + text, default_name="spring")
    assert named.name == "early"


def test_a_file_name_that_cannot_name_a_results_folder_needs_a_name(tmp_path):
    path = write(tmp_path, FULL.replace('name = "full"\n', ""), "..toml")  # its stem is "."
    message = load_error(path)
    assert str(path) in message and "key 'name'" in message and "'.'" in message
    assert Scenario.load(write(tmp_path, FULL, "..toml")).name == "full"


def test_a_copy_cannot_take_a_name_that_leaves_results():
    with pytest.raises(ScenarioError, match=r"key 'name': '\.\./x'"):
        dataclasses.replace(Scenario.load("trump_red_line"), name="../x")


def test_coerce_accepts_a_scenario_a_name_a_path_or_none(tmp_path):
    base = Scenario.load("baseline_2021")
    assert Scenario.coerce(base) is base
    assert Scenario.coerce(None) == base == Scenario.coerce("baseline_2021")
    path = write(tmp_path, FULL, "full.toml")
    assert Scenario.coerce(path).name == "full"
    with pytest.raises(ScenarioError, match="expected a Scenario, a built-in scenario name"):
        Scenario.coerce(7)


# -- errors ---------------------------------------------------------------------------------------
def broken(replace: str, by: str) -> str:
    assert replace in FULL
    return FULL.replace(replace, by)


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param(
            "colour = 1\n" + FULL, ["unknown key 'colour'", "expected one of"], id="top-key"
        ),
        pytest.param(
            broken("militia_attack_rate = 0.4", "bogus = 1"),
            ["'parameters.bogus'", "unknown parameter"],
            id="unknown-parameter",
        ),
        pytest.param(
            broken("militia_attack_rate = 0.4", "credibility_decay = 0.1"),
            ["'parameters.credibility_decay'", "was removed", "belief_prior_strength"],
            id="removed-parameter",
        ),
        pytest.param(
            broken("militia_attack_rate = 0.4", "militia_attack_rate = 7"),
            ["'parameters.militia_attack_rate'", "7", "outside the valid range [0, 5]"],
            id="out-of-range",
        ),
        pytest.param(
            broken("militia_attack_rate = 0.4", "lethality = -0.1"),
            ["'parameters.lethality'", "[0, 0.5]"],
            id="below-range",
        ),
        pytest.param(
            broken("militia_attack_rate = 0.4", 'militia_attack_rate = "high"'),
            ["'parameters.militia_attack_rate'", "'high' is not a number"],
            id="not-a-number",
        ),
        pytest.param(
            broken("militia_attack_rate = 0.4", "militia_attack_rate = true"),
            ["'parameters.militia_attack_rate'", "not a number"],
            id="boolean",
        ),
        pytest.param(
            broken('{ name = "red_line", line = "personnel" }', '"nuke"'),
            ["'policies.US.retaliation'", "unknown policy 'nuke'", "red_line"],
            id="unknown-policy",
        ),
        pytest.param(
            broken('line = "personnel"', 'line = "personnel", bogus = 1'),
            ["'policies.US.retaliation'", "unknown option 'bogus'", "line"],
            id="unknown-option",
        ),
        pytest.param(
            broken('line = "personnel"', 'line = "personnel", clarity = 2.0'),
            ["'policies.US.retaliation'", "option 'clarity'", "valid range [0, 1]"],
            id="option-out-of-range",
        ),
        pytest.param(
            broken('line = "personnel"', 'line = "everything"'),
            ["'policies.US.retaliation'", "option 'line'", "'personnel'"],
            id="option-not-a-choice",
        ),
        pytest.param(
            broken('talks = "2021" }', 'talks = "2021", known_on = "1 May 2021" }'),
            ["'policies.Iran.patronage'", "option 'known_on'", "'1 May 2021' is not a YYYY-MM-DD"],
            id="option-not-a-date",
        ),
        pytest.param(
            FULL + '\n[policies.Russia]\nretaliation = "red_line"\n',
            ["'policies.Russia'", "unknown actor"],
            id="unknown-actor",
        ),
        pytest.param(
            broken('interdiction = "threshold_interdiction"', ""),
            ["'policies.Israel.interdiction'", "missing", "threshold_interdiction"],
            id="missing-slot",
        ),
        pytest.param(
            broken('harassment = "ant_bites"', 'harassment = "ant_bites"\nlooting = "none"'),
            ["'policies.militia.looting'", "unknown slot"],
            id="unknown-slot",
        ),
        pytest.param(
            broken("start = 2021-01-01", 'start = "January"'),
            ["'start'", "'January' is not a date"],
            id="bad-date",
        ),
        pytest.param(
            broken("end = 2021-03-31", "end = 2020-12-31"),
            ["'end'", "before start"],
            id="end-before-start",
        ),
        pytest.param(FULL + "[parameters\n", ["not valid TOML"], id="bad-toml"),
        pytest.param(broken('name = "full"', 'name = ""'), ["key 'name'", "''"], id="empty-name"),
        pytest.param(
            broken('name = "full"', 'name = "../../x"'),
            ["key 'name'", "'../../x'", "folder under results/", "without '/'"],
            id="name-escapes-results",
        ),
        pytest.param(broken('name = "full"', 'name = "a/b"'), ["key 'name'"], id="name-with-slash"),
        pytest.param(
            broken('name = "full"', 'name = "a\\\\b"'),
            ["key 'name'", "'a\\\\b'"],
            id="name-with-backslash",
        ),
        pytest.param(broken('name = "full"', 'name = "."'), ["key 'name'", "'.'"], id="name-dot"),
        pytest.param(
            broken('name = "full"', "name = 3"), ["key 'name'", "string"], id="name-number"
        ),
        pytest.param(
            broken('name = "full"', 'name = "full"\nparameters = 3'),
            ["not valid TOML"],
            id="parameters-twice",
        ),
    ],
)
def test_errors_name_file_and_key(tmp_path, text, expected):
    path = write(tmp_path, text)
    message = load_error(path)
    assert str(path) in message
    for fragment in expected:
        assert fragment in message, (fragment, message)


@pytest.mark.parametrize(
    "table, fragments",
    [
        ('dist = "lognormal"', ["'lognormal'", "not a scipy.stats distribution"]),
        ('dist = "norm"\nwidth = 1', ["'width'", "not a scipy.stats distribution"]),
        (
            'dist = "norm"\nloc = 0.3\nscale = "wide"',
            ["'priors.militia_attack_rate.scale'", "number"],
        ),
        ('dist = "gamma"\na = [1, 2]', ["'priors.militia_attack_rate.a'", "not a number"]),
        (
            'dist = "norm"\nloc = 0.3\nscale = -1',
            ["scipy.stats.norm is not defined for", "'scale': -1"],
        ),
        ('dist = "beta"\na = -1\nb = 2', ["scipy.stats.beta is not defined for", "'a': -1"]),
        ('dist = "norm"\nloc = nan', ["scipy.stats.norm is not defined for"]),
        (
            'dist = "uniform"\nloc = 10\nscale = 5',
            ["no probability in [0, 5]", "militia_attack_rate", "expected a prior"],
        ),
    ],
    ids=["unknown", "bad-keyword", "string", "array", "norm-scale", "beta-shape", "nan", "no-mass"],
)
def test_a_prior_must_be_a_distribution_with_probability_in_the_range(tmp_path, table, fragments):
    """Priors that calibration could not sample (it ended in OverflowError or a math domain
    error) are refused when the file is read."""
    path = write(tmp_path, FULL + f"\n[priors.militia_attack_rate]\n{table}\n")
    message = load_error(path)
    assert f"{path}: key 'priors.militia_attack_rate" in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_a_valid_prior_is_kept(tmp_path):
    path = write(tmp_path, FULL + '\n[priors.militia_attack_rate]\ndist = "cauchy"\nloc = 0.3\n')
    assert Scenario.load(path).prior("militia_attack_rate").args == {"loc": 0.3}


def test_parameters_must_be_a_table(tmp_path):
    path = write(tmp_path, 'name = "x"\nparameters = 3\n')
    message = load_error(path)
    assert str(path) in message and "'parameters'" in message and "table" in message


def test_error_in_a_parent_names_the_parent(tmp_path):
    parent = write(
        tmp_path, broken("militia_attack_rate = 0.4", "militia_attack_rate = 9"), "p.toml"
    )
    child = write(tmp_path, 'name = "child"\nextends = "p.toml"\n', "c.toml")
    message = load_error(child)
    assert str(parent) in message and "'parameters.militia_attack_rate'" in message


def test_a_file_that_is_not_utf8_is_an_error_naming_it(tmp_path):
    """Directly or as a parent, a file of other bytes is named, not a UnicodeDecodeError."""
    bad = tmp_path / "b.toml"
    bad.write_bytes(b"\xff\xfe garbage")
    child = write(tmp_path, 'extends = "b.toml"\n', "c.toml")
    for path in (bad, child):
        message = load_error(path)
        assert f"{bad}: not UTF-8 text" in message, message


def test_circular_extends(tmp_path):
    a = write(tmp_path, 'name = "a"\nextends = "b.toml"\n', "a.toml")
    b = write(tmp_path, 'name = "b"\nextends = "a.toml"\n', "b.toml")
    message = load_error(a)
    assert "'extends'" in message and "circular" in message
    assert str(a) in message and str(b) in message


def test_extends_itself(tmp_path):
    a = write(tmp_path, 'name = "a"\nextends = "a.toml"\n', "a.toml")
    message = load_error(a)
    assert "circular" in message and str(a) in message


def test_circular_extends_through_a_longer_path(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    a = write(folder, 'name = "a"\nextends = "../sub/a.toml"\n', "a.toml")
    assert "circular" in load_error(a)


def test_extends_unknown_parent(tmp_path):
    path = write(tmp_path, 'name = "x"\nextends = "no_such_parent"\n')
    message = load_error(path)
    assert str(path) in message and "'extends'" in message and "no_such_parent" in message


def test_unknown_scenario_name():
    with pytest.raises(ScenarioError, match=re.escape("unknown scenario 'no_such_scenario'")):
        Scenario.load("no_such_scenario")
    with pytest.raises(ScenarioError, match="baseline_2021"):
        Scenario.load("no_such_scenario")


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="no such scenario file"):
        Scenario.load(tmp_path / "absent.toml")


def test_errors_are_value_errors():
    assert issubclass(ScenarioError, ValueError)


def test_a_posterior_beside_the_scenario_file_is_found_from_any_directory(tmp_path, monkeypatch):
    """``posterior = "mine"`` names a folder next to the scenario file, as ``extends`` names a
    file next to it; a shipped name stays a name."""
    from escalation.ensemble import run_ensemble
    from escalation.inference.posterior import Posterior
    from escalation.model.scenario import posterior_path

    folder = tmp_path / "study"
    Posterior.load(posterior_path("posterior_2021")).save(folder / "mine")
    toml = folder / "spring.toml"
    toml.write_text(
        'name = "spring"\nextends = "baseline_2021"\nend = 2021-01-31\nposterior = "mine"\n',
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    scenario = Scenario.load(toml)
    assert scenario.posterior == str((folder / "mine").resolve())
    assert run_ensemble(scenario, 3, seed=1, progress=False).n_worlds == 3
    assert Scenario.load("baseline_2021").posterior == "posterior_2021"

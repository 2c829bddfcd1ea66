"""The built-in scenarios: each loads, cites its article, and does what its TOML says.

Each scenario is set against ``baseline_2021`` under common random numbers: the same seed
gives world i the same random streams and the same posterior draw in both runs, so the
difference world by world isolates the scenario's change. What each scenario must do is
read from its TOML in ``escalation/data/scenarios/``.
"""

import functools

import numpy as np
import pytest

from escalation.ensemble import EnsembleResult, run_ensemble
from escalation.events.schema import Actor, EventType
from escalation.model.model import EscalationModel
from escalation.model.scenario import Scenario, list_scenarios
from escalation.plotting import attacks_on_personnel
from tests.helpers import BUILT_IN

#: Outlets of the seed articles, as the project cites them (README, "Sources").
OUTLETS = (
    "Gulf International Forum",
    "Newsweek",
    "wire-based report",
    "US network news report",
    "report of 17-18 August 2023",
)
#: Worlds per scenario. The paired differences below exceed 10 standard errors at this size
#: (measured with 1,000 worlds: 16 to 120), so 4 standard errors leaves a wide margin.
WORLDS = 300
SEED = 2021


@functools.cache
def run(name: str) -> EnsembleResult:
    """A year of ``name`` in WORLDS worlds, events kept; shared by the tests of this module."""
    return run_ensemble(name, WORLDS, seed=SEED, progress=False)


def per_world(result: EnsembleResult, mask) -> np.ndarray:
    """Number of events selected by ``mask`` in each world."""
    worlds = result.events.loc[mask, "world"].to_numpy()
    return np.bincount(worlds, minlength=result.n_worlds)


def column(name: str):
    return lambda result: result.worlds.sort_values("world")[name].to_numpy()


def attacks_on_us_personnel(result: EnsembleResult) -> np.ndarray:
    return per_world(result, attacks_on_personnel(result.events))


def americans_hit(result: EnsembleResult) -> np.ndarray:
    """Americans killed or injured in each world."""
    return column("us_killed")(result) + column("us_injured")(result)


def militia_attacks_in_syria(result: EnsembleResult) -> np.ndarray:
    ev = result.events
    return per_world(result, (ev["actor"] == Actor.MILITIA.value) & (ev["country"] == "Syria"))


def crackdowns(result: EnsembleResult) -> np.ndarray:
    ev = result.events
    notes = ev["notes"].astype(str)
    return per_world(
        result, (ev["actor"] == Actor.IRAQI_GOVERNMENT.value) & notes.str.startswith("crackdown")
    )


def rounds_before_an_american_is_killed(result: EnsembleResult) -> np.ndarray:
    """Strike rounds on days before the world's first American death (or in worlds without)."""
    rounds = result.daily_worlds["us_strike_rounds"]
    unbloodied = np.cumsum(result.daily_worlds["us_killed"], axis=0) == 0
    return (rounds * unbloodied).sum(axis=0)


#: Each scenario's defining contrast: what is compared, the sign of the shift, and the run
#: it is compared with (the 2021 baseline, except for the baseline itself).
CONTRASTS = {
    # The 2021 line is drawn at personnel: the US answers before any American dies.
    "baseline_2021": (rounds_before_an_american_is_killed, +1, "trump_red_line"),
    # Nothing deters: militias no longer steer from drones. (With the learned belief the 2021
    # line's credibility falls with its many unanswered crossings, and the paired difference in
    # attacks made, +0.9 +- 1.2 in these worlds, is too small to define the scenario.)
    "no_retaliation": (column("drone_attack"), +1, "baseline_2021"),
    "us_withdrawal": (attacks_on_us_personnel, -1, "baseline_2021"),
    "israel_campaign": (column("israeli_strikes"), +1, "baseline_2021"),
    "talks_collapse": (column("militia_attacks"), +1, "baseline_2021"),  # Iran unrestrained
    "baghdad_crackdown": (crackdowns, +1, "baseline_2021"),
    "disproportionate_response": (column("us_strike_sites"), +1, "baseline_2021"),
    "trump_red_line": (column("us_strike_rounds"), -1, "baseline_2021"),
    "border_closure_2023": (column("militia_attacks"), +1, "baseline_2021"),  # full push
    # Claims counted at half: the same attacks build less grievance (claim_doubt).
    "front_claims": (column("us_strike_rounds"), -1, "baseline_2021"),
}
#: Scenarios of an observed period other than 2021: checked against their own record (the pooled
#: calibration's tests), not by a contrast with a 2021 run over another window.
PERIOD_SCENARIOS = ("period_2019_20",)
#: Further effects the TOMLs state, compared the same way.
SIDE_EFFECTS = [
    # Fewer troops, fewer Americans hit. (Deaths alone are too rare to show it in these worlds
    # once the attacks on bases all but stop after 26 July: -0.05 +- 0.015 a year.)
    ("us_withdrawal", americans_hit, -1),
    ("baghdad_crackdown", column("militia_attacks"), -1),  # arrests curb attacks
    ("talks_collapse", column("us_strike_rounds"), +1),  # no talks to restrain the US
    ("border_closure_2023", column("us_strike_rounds"), +1),
    # US ground forces at the Albu Kamal crossing: clashes (interdiction_clash_factor).
    ("border_closure_2023", militia_attacks_in_syria, +1),
    ("border_closure_2023", column("return_fire"), +1),  # return_fire_prob 0.8
]


def test_the_built_ins_are_all_there():
    assert tuple(list_scenarios()) == BUILT_IN
    assert set(CONTRASTS) | set(PERIOD_SCENARIOS) == set(BUILT_IN)


@pytest.mark.parametrize("name", BUILT_IN)
def test_description_cites_an_article_with_a_quote(name):
    description = Scenario.load(name).description
    assert any(outlet in description for outlet in OUTLETS), description
    assert "2021" in description or "2023" in description
    assert description.count('"') >= 2


def assert_paired_shift(scenario: str, measure, sign: int, reference: str) -> None:
    """The mean paired difference has the stated sign and exceeds 4 standard errors."""
    diff = measure(run(scenario)).astype(float) - measure(run(reference)).astype(float)
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    assert sign * diff.mean() > 4 * se, (scenario, diff.mean(), se)


@pytest.mark.statistical
@pytest.mark.parametrize("name", CONTRASTS)
def test_each_scenario_shifts_its_defining_quantity(name):
    assert_paired_shift(name, *CONTRASTS[name])


@pytest.mark.statistical
@pytest.mark.parametrize(("name", "measure", "sign"), SIDE_EFFECTS)
def test_scenario_side_effects_go_the_stated_way(name, measure, sign):
    assert_paired_shift(name, measure, sign, "baseline_2021")


# ----- rules that hold in every world --------------------------------------------------------


def test_no_retaliation_never_strikes_or_returns_fire():
    result = run("no_retaliation")
    ev = result.events
    us_kinetic = (ev["actor"] == Actor.US.value) & ev["event_type"].isin(
        [EventType.AIRSTRIKE.value, EventType.RETURN_FIRE.value]
    )
    assert not us_kinetic.any()
    assert (result.worlds[["us_strike_rounds", "us_strike_sites", "return_fire"]] == 0).all().all()
    # The same worlds under the 2021 policy do strike and return fire.
    assert run("baseline_2021").worlds["us_strike_rounds"].sum() > 0
    assert run("baseline_2021").worlds["return_fire"].sum() > 0


@pytest.mark.parametrize(("name", "sites"), [("disproportionate_response", 5),
                                             ("border_closure_2023", 3)])  # fmt: skip
def test_disproportionate_rounds_hit_the_stated_number_of_sites(name, sites):
    daily = run(name).daily_worlds
    assert daily["us_strike_rounds"].sum() > 0
    # Every order strikes the stated number of sites; strike days at most ROUND_GAP_DAYS apart
    # are one round (escalation.events.counts.starts_new_round), so a round may hold several.
    struck = daily["us_strike_sites"]
    np.testing.assert_array_equal(struck % sites, 0)
    assert np.all(struck.sum(axis=0) >= sites * daily["us_strike_rounds"].sum(axis=0))
    # The 2021 red line strikes one to three sites a round.
    base = run("baseline_2021").daily_worlds
    per_round = base["us_strike_sites"][base["us_strike_rounds"] > 0]
    assert per_round.min() >= 1 and per_round.max() <= 3


def test_trump_red_line_strikes_only_after_an_american_is_killed():
    result = run("trump_red_line")
    assert result.worlds["us_strike_rounds"].sum() > 0
    np.testing.assert_array_equal(rounds_before_an_american_is_killed(result), 0)
    # Under the 2021 line, many of the same worlds strike with no American dead.
    assert rounds_before_an_american_is_killed(run("baseline_2021")).sum() > 0


def test_talks_never_alive_when_collapsed():
    collapsed = EscalationModel("talks_collapse", n_worlds=50, seed=SEED)
    baseline = EscalationModel("baseline_2021", n_worlds=50, seed=SEED)
    alive_days = 0
    while collapsed.running:
        collapsed.step()
        baseline.step()
        assert not collapsed.iran.talks_alive.any()
        alive_days += bool(baseline.iran.talks_alive.any())
    assert alive_days > 60  # the 2021 rounds did run in the baseline

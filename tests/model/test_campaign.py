"""Campaign regimes: the replay filter is the forward algorithm, simulation draws the same chain."""

from __future__ import annotations

from types import MappingProxyType, SimpleNamespace

import numpy as np
import pytest
from scipy import stats

import escalation
from escalation.events.io import load_events
from escalation.inference.hmm import forward_loglik
from escalation.model.campaign import Campaign
from escalation.model.model import EscalationModel
from escalation.model.policies import CAMPAIGN_TRIGGER_DAYS
from escalation.model.scenario import PolicyChoice, Scenario

ONSET, DURATION, INTENSITY, STRIKE_GAIN, ARREST_GAIN = 0.02, 10.0, 4.0, 1.5, -0.7


def _stub(n: int, replaying: bool) -> SimpleNamespace:
    """The little of a model a campaign reads: its parameters, its policy, whether it replays."""
    p = SimpleNamespace(
        campaign_onset=ONSET,
        campaign_duration=DURATION,
        campaign_intensity=INTENSITY,
        campaign_trigger_gain=STRIKE_GAIN,
        arrest_trigger_gain=ARREST_GAIN,
    )
    choice = PolicyChoice("campaign_regime", MappingProxyType({}))
    return SimpleNamespace(n_worlds=n, p=p, replaying=replaying, policy=lambda actor, slot: choice)


def test_replay_filter_equals_the_forward_algorithm_with_triggers_by_hand():
    rng = np.random.default_rng(3)
    days, rate = 40, 0.3
    counts = rng.poisson(rate * np.where(np.arange(days) % 17 < 6, INTENSITY, 1.0))
    struck = np.zeros(days, bool)
    struck[[4, 5, 22]] = True
    arrested = np.zeros(days, bool)
    arrested[12] = True

    campaign = Campaign(_stub(1, replaying=True))
    total = 0.0
    for t in range(days):
        campaign.start_of_day(None)
        total += campaign.observe(lambda m, k=counts[t]: stats.poisson.logpmf(k, rate * m))[0]
        campaign.end_of_day(struck[t : t + 1], arrested[t : t + 1])

    # By hand: the chance of opening a campaign on day t counts the trigger days among the
    # CAMPAIGN_TRIGGER_DAYS days before t; a campaign ends with chance 1 / DURATION.
    end = 1.0 / DURATION
    transitions = []
    for t in range(1, days):
        window = slice(max(0, t - CAMPAIGN_TRIGGER_DAYS), t)
        gain = STRIKE_GAIN * struck[window].sum() + ARREST_GAIN * arrested[window].sum()
        onset = 1.0 - np.exp(-ONSET * np.exp(gain))
        transitions.append([[1 - onset, onset], [end, 1 - end]])
    calm_onset = 1.0 - np.exp(-ONSET)
    share = calm_onset / (calm_onset + end)
    emissions = np.stack(
        [stats.poisson.logpmf(counts, rate), stats.poisson.logpmf(counts, rate * INTENSITY)], 1
    )
    expected = forward_loglik(
        emissions,
        np.log(np.array(transitions)),
        np.log([1 - share, share]),
        time_varying=True,
    )
    assert total == pytest.approx(float(expected.loglik), rel=1e-12)
    assert campaign.probability[0] == pytest.approx(expected.filtered[-1, 1], rel=1e-10)


def test_simulated_chain_spends_its_stationary_share_in_campaigns_of_the_mean_length():
    n, days = 20_000, 60
    campaign = Campaign(_stub(n, replaying=False))
    rng = np.random.default_rng(8)
    states = np.empty((days, n))
    no_trigger = np.zeros(n, bool)
    for t in range(days):
        campaign.start_of_day(rng.uniform(size=n))
        states[t] = campaign.probability
        campaign.end_of_day(no_trigger, no_trigger)
    onset, end = 1.0 - np.exp(-ONSET), 1.0 / DURATION
    share = onset / (onset + end)
    assert set(np.unique(states)) <= {0.0, 1.0}
    # Days of one world are correlated over about a campaign's length: 2 x DURATION days per
    # independent draw is a conservative effective sample size.
    error = np.sqrt(share * (1 - share) * 2 * DURATION / (n * days))
    assert states.mean() == pytest.approx(share, abs=4 * error)
    # A campaign that runs today ends tomorrow with chance 1 / DURATION.
    running = states[:-1] == 1
    assert 1 - states[1:][running].mean() == pytest.approx(end, abs=0.01)
    assert campaign.multiplier()[states[-1] == 1] == pytest.approx(INTENSITY)


def test_campaigns_of_intensity_one_score_the_record_as_no_campaigns():
    # Mixing two identical emission laws leaves each day's probability unchanged, whatever the
    # filtered state: an exact identity between the mechanism at 1 and the mechanism off.
    observed = load_events()
    base = Scenario.coerce("baseline_2021")
    sets = {"campaign_intensity": np.array([1.0, 1.0]), "campaign_onset": np.array([0.01, 0.2])}
    with_campaigns = escalation.loglik(sets, observed, scenario=base, by="actor")
    off = base.with_policy("militia", "campaigns", "none")
    without = escalation.loglik(sets, observed, scenario=off, by="actor")
    np.testing.assert_allclose(with_campaigns.to_numpy(), without.to_numpy(), rtol=1e-12)
    stronger = escalation.loglik({"campaign_intensity": np.array([4.0])}, observed, scenario=base)
    assert stronger[0] != pytest.approx(with_campaigns.sum(axis=1)[0], abs=1e-6)


def test_a_scenario_that_names_no_campaigns_slot_has_them_off():
    toml = Scenario.coerce("baseline_2021").to_toml()
    lines = [line for line in toml.splitlines() if not line.startswith("campaigns =")]
    older = Scenario.from_toml("\n".join(lines), origin="an older scenario file")
    assert older.policy("militia", "campaigns").name == "none"


def test_simulated_attacks_run_at_the_campaign_intensity_on_campaign_days():
    intensity = 5.0
    model = EscalationModel(
        "baseline_2021",
        n_worlds=3000,
        seed=4,
        parameters={"campaign_intensity": intensity, "campaign_onset": 0.05, "revenge_gain": 0.0},
    ).run()
    campaign = model.daily_state["campaign"] == 1
    attacks = model.daily_counts["militia_attacks"]
    ratio = attacks[campaign].mean() / attacks[~campaign].mean()
    assert ratio == pytest.approx(intensity, rel=0.1)


def test_a_public_vow_sets_off_campaigns_only_where_the_policy_counts_vows():
    # The record's one vow, the PMF's for the four KSS dead of the 28 June 2021 strikes, is read
    # on 29 June (the day after the losses, as simulated vows are: replay.vow_days); under
    # vows = true it is a trigger day that raises the chance of a campaign from 30 June, so
    # every day before scores the same either way.
    observed = load_events()
    base = Scenario.coerce("baseline_2021")
    sets = {"campaign_trigger_gain": np.array([2.0])}
    counted = base.with_policy("militia", "campaigns", "campaign_regime", vows=True)
    ignored = base.with_policy("militia", "campaigns", "campaign_regime", vows=False)
    with_vows = escalation.loglik(sets, observed, scenario=counted, by="day")[0]
    without = escalation.loglik(sets, observed, scenario=ignored, by="day")[0]
    np.testing.assert_array_equal(with_vows[:"2021-06-29"], without[:"2021-06-29"])
    assert with_vows["2021-06-30"] != pytest.approx(without["2021-06-30"], abs=1e-9)


def test_simulated_vows_raise_the_chance_of_a_campaign_where_they_count():
    # Each world's trigger count includes its own vows: with a large trigger gain, a world that
    # vowed opens a campaign within the week far more often than under vows = false.
    parameters = {"campaign_trigger_gain": 5.0, "campaign_onset": 0.001, "vow_rate": 1.0}
    runs = {}
    for vows in (True, False):
        scenario = Scenario.coerce("baseline_2021").with_policy(
            "militia", "campaigns", "campaign_regime", vows=vows
        )
        model = EscalationModel(scenario, n_worlds=400, seed=6, parameters=parameters).run()
        runs[vows] = model.daily_state["campaign"].mean()
    assert runs[True] > runs[False]

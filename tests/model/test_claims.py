"""Front-group claims and the US's confidence in whom to answer (``claim_doubt``).

Issue 12: "Front-group claims lower the US's confidence in whom to strike". A claimed attack on
personnel adds ``1 - claim_doubt`` of its severity to the US's grievance; at 0, claims change
nothing.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from escalation.events.io import load_events
from escalation.events.schema import EVENT_TYPES, EventType
from escalation.inference.likelihood import loglik
from escalation.model.agents import SITES, Today
from escalation.model.likelihood import MAX_ORDER_DELAY
from escalation.model.model import EscalationModel
from escalation.model.replay import ObservedDays, front_claim
from escalation.model.scenario import Scenario
from escalation.model.sites import SITE_PERSONNEL
from tests.helpers import shortened

BASELINE = Scenario.load("baseline_2021")
AIN_AL_ASAD = next(i for i, site in enumerate(SITES) if site.name == "Ain al-Asad air base")
ROCKET, IED = (EVENT_TYPES.index(t) for t in (EventType.ROCKET_ATTACK, EventType.IED_ATTACK))


@pytest.mark.parametrize(
    ("group", "claimed"),
    [
        ("", False),  # nobody claimed it (docs/data.md, rule 5)
        ("Kata'ib Hezbollah", False),  # the group itself, as the Pentagon named it
        ("Kata'ib Sayyid al-Shuhada; Popular Mobilization Forces", False),
        ("Kataib Sayyid al Shuhada", False),  # spelling varies
        ("Popular Mobilization Forces", False),  # the umbrella, named in a report
        ("Asa'ib Ahl al-Haq", False),  # a group, not a front
        ("Saraya Awliya al-Dam", True),  # a listed front of Kata'ib Hezbollah
        ("Qasim al-Jabbarin (one claim)", True),
        ("Revenge of al-Muhandis Brigades", True),  # fronts the groups do not list
        ("Liwa al-Tha'irin (claim)", True),
        ("International Resistance", True),
    ],
)
def test_a_front_groups_claim_is_told_from_an_attack_nobody_claimed_or_the_group_itself(
    group, claimed
):
    assert front_claim(group) is claimed


def test_the_2021_record_replays_three_claimed_attacks_on_personnel():
    """Thirteen modelled attacks of 2021 name a front, ten of them convoy IEDs; the three on
    personnel are the 15 February Erbil rockets (Saraya Awliya al-Dam), the 7 July Ain al-Asad
    rockets (Revenge of al-Muhandis Brigades) and the 23 July Erbil drone (Liwa al-Tha'irin)."""
    observed = ObservedDays.from_events(load_events(), "2021-01-01", 365)
    claimed = [
        (day, site, etype)
        for day, record in enumerate(observed.records)
        for site, etype, is_claimed in zip(
            record.all_attacks["site"],
            record.all_attacks["etype"],
            record.all_attacks["claimed"],
            strict=True,
        )
        if is_claimed
    ]
    assert len(claimed) == 13
    assert sum(etype == IED for _, _, etype in claimed) == 10
    on_personnel = [
        (dt.date(2021, 1, 1) + dt.timedelta(days=day)).isoformat()
        for day, site, _ in claimed
        if SITE_PERSONNEL[site]
    ]
    assert on_personnel == ["2021-02-15", "2021-07-07", "2021-07-23"]


def test_a_claimed_attack_adds_its_severity_times_the_us_confidence():
    """One rocket on Ain al-Asad injuring two Americans, tallied at confidence 1 and 0.25: the
    severity, whole and the group's, is a quarter; the attack, its casualties and the crossing
    (an attack on personnel) are not doubted."""
    tallies = []
    for confidence in (1.0, 0.25):
        today = Today(1)
        today.record_attacks(
            np.array([0]),
            1,
            np.array([AIN_AL_ASAD]),
            np.array([ROCKET]),
            np.array([0]),
            np.array([2]),
            np.array([0]),
            np.array([confidence]),
        )
        tallies.append(today)
    whole, doubted = tallies
    assert whole.severity[0] > 0
    assert doubted.severity[0] == pytest.approx(0.25 * whole.severity[0])
    np.testing.assert_allclose(doubted.group_severity, [[0.0, 0.25 * whole.severity[0]]])
    for name in ("attacks", "personnel", "injured", "killed"):
        assert getattr(doubted, name)[0] == getattr(whole, name)[0]


def _year(days=365, **parameters) -> EscalationModel:
    scenario = shortened(days, BASELINE.with_parameters(**parameters))
    return EscalationModel(scenario, n_worlds=200, seed=11).run()


def test_fully_doubted_claims_build_no_grievance_and_the_us_never_strikes():
    """Every attack claimed, no American killed: at full doubt no grievance builds and the US
    never strikes; at none (the same worlds) it does."""
    common = {"claim_share": 1.0, "lethality": 0.0}
    doubted = _year(claim_doubt=1.0, **common)
    believed = _year(claim_doubt=0.0, **common)
    assert doubted.daily_counts["us_strike_rounds"].sum() == 0
    assert believed.daily_counts["us_strike_rounds"].sum() > 20
    assert doubted.daily_counts["militia_attacks"].sum() > 0


def test_a_claimed_killing_is_answered_however_doubted():
    """Under the red line a killing orders a round whatever the claim: with every attack claimed
    and fully doubted, every world where an American was killed strikes within the order's
    longest delay, and no other world strikes at all."""
    model = _year(claim_doubt=1.0, claim_share=1.0, lethality=0.3)
    killed = model.daily_counts["us_killed"].sum(axis=0) > 0
    struck = model.daily_counts["us_strike_rounds"].sum(axis=0) > 0
    assert killed.sum() > 50
    np.testing.assert_array_equal(struck[~killed], False)
    first_kill = np.argmax(model.daily_counts["us_killed"] > 0, axis=0)
    before_end = killed & (first_kill < 365 - MAX_ORDER_DELAY - 1)
    assert struck[before_end].all()


@pytest.mark.parametrize(
    "parameters",
    [
        {"claim_doubt": 0.0, "claim_share": 1.0},  # claims, none doubted
        {"claim_doubt": 1.0, "claim_share": 0.0},  # doubt, nothing claimed
    ],
)
def test_without_claims_or_without_doubt_the_worlds_are_the_baselines(parameters):
    """Claims only name the attacker unless doubted, and doubt acts only on claims: either way
    every daily series equals the baseline's (claim_doubt 0, claim_share 0.5), world by world."""
    base, other = _year(120), _year(120, **parameters)
    for name, series in base.daily_counts.items():
        np.testing.assert_array_equal(other.daily_counts[name], series, err_msg=name)


def test_replayed_claims_enter_the_us_term_of_the_likelihood_only():
    """Scoring 2021 at doubt 0 and 1: the militias', Israel's, Baghdad's and Iran's terms are the
    same to the last bit (claims change no one else's decision), the US's is not."""
    events = load_events()
    sets = pd.DataFrame({"claim_doubt": [0.0, 1.0]})
    by_actor = loglik(sets, events, "2021-01-01", "2021-12-31", by="actor")
    others = by_actor.drop(columns="US")
    pd.testing.assert_series_equal(others.iloc[0], others.iloc[1], check_names=False)
    assert by_actor["US"].iloc[0] != by_actor["US"].iloc[1]

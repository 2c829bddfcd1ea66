"""Geography (issue 12, mechanism 6): Syria's own share of the attacks, Baghdad's reach, and US
ground interdiction at the Albu Kamal crossing.

Expectations come from outside the code under test: the likelihood of a two-day record from the
Poisson formula with the intensities worked out by hand from the site weights of
``escalation/model/sites.py``; a crackdown's effect on each country's rate from
``crackdown_effect``; the interdiction's effects from its two parameters, under common random
numbers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from escalation.model.model import EscalationModel
from escalation.model.scenario import Scenario
from tests.helpers import canonical

START = dt.date(2021, 1, 1)
#: Rates and shares of the hand computation (the drawdown and Iran's push are 1).
PARAMETERS = {
    "militia_attack_rate": 0.5,
    "drone_share": 0.2,
    "ied_share": 0.4,
    "other_share": 0.1,
    "syria_attack_share": 0.2,
    "interception_rocket": 0.1,
    "interception_drone": 0.3,
    "crackdown_effect": 0.4,
}


def plain(geography: str = "two_theatres", days: int = 2) -> Scenario:
    """baseline_2021 without feedback (no revenge, deterrence, campaigns or talks), fully
    reported, over ``days`` days, so each day's rates are the parameters' alone."""
    scenario = (
        Scenario.coerce("baseline_2021")
        .with_policy("militia", "reporting", "full_reporting")
        .with_policy("militia", "reprisal", "none")
        .with_policy("militia", "harassment", "unrestrained")
        .with_policy("militia", "campaigns", "none")
        .with_policy("Iran", "patronage", "full_push")
        .with_policy("militia", "geography", geography)
    )
    end = START + dt.timedelta(days=days - 1)
    return dataclasses.replace(scenario, end=end, posterior=None)


def record(rows) -> pd.DataFrame:
    """A canonical record from (day, actor, event type, location, country, notes) rows."""
    frame = canonical([(START + dt.timedelta(days=r[0]), r[1], r[2]) for r in rows])
    frame["location"] = [r[3] for r in rows]
    frame["country"] = [r[4] for r in rows]
    frame["notes"] = [r[5] for r in rows]
    frame["group"] = "Kata'ib Hezbollah"
    return frame


def test_likelihood_of_attacks_in_both_countries_is_the_poisson_formula():
    """Intensity of weapon w in country c: R P(w) q[w, c] f[c], with f rescaling each country to
    its share; a day scores Poisson(N; R) x the product of each attack's cell / R, rockets and
    drones that landed times (1 - interception), an intercepted attack the sum over them."""
    events = record(
        [
            (0, "militia", "rocket_attack", "Ain al-Asad air base", "Iraq", ""),
            (0, "militia", "other_attack", "al-Omar oil field", "Syria", ""),
            (1, "militia", "ied_attack", "logistics convoy", "Iraq", ""),
            (1, "militia", "interception_only", "Conoco gas field", "Syria", ""),
        ]
    )
    model = EscalationModel(
        plain(), seed=0, history=events, replay_days=2, score=True, parameters=PARAMETERS
    ).run()
    # Weapon mix: drone 0.2; of the rest 0.8, IEDs 0.4; of what remains, other 0.1.
    p = {"rocket": 0.8 * 0.6 * 0.9, "drone": 0.2, "ied": 0.8 * 0.4, "other": 0.8 * 0.6 * 0.1}
    # Share of each weapon's site weights in Iraq and Syria (sites.py): rockets 0.85 / 0.15
    # (al-Omar 0.10 and Conoco 0.05 in Syria), drones 0.85 / 0.15 (al-Omar 0.08, al-Tanf 0.07),
    # IEDs all on Iraq's convoys, other 0.6 / 0.4 (al-Omar 0.30, Conoco 0.10).
    q = {"rocket": (0.85, 0.15), "drone": (0.85, 0.15), "ied": (1.0, 0.0), "other": (0.6, 0.4)}
    mass = [sum(p[w] * q[w][c] for w in p) for c in (0, 1)]
    f = (0.8 / mass[0], 0.2 / mass[1])
    rate = 0.5

    def cell(w, c):
        return rate * p[w] * q[w][c] * f[c]

    poisson_two = math.log(rate**2 * math.exp(-rate) / 2)
    landed_rocket_iraq = cell("rocket", 0) * 0.9
    day0 = poisson_two + math.log(landed_rocket_iraq / rate) + math.log(cell("other", 1) / rate)
    intercepted_syria = cell("rocket", 1) * 0.1 + cell("drone", 1) * 0.3
    day1 = poisson_two + math.log(cell("ied", 0) / rate) + math.log(intercepted_syria / rate)
    np.testing.assert_allclose(model.log_likelihood["militia"][:, 0], [day0, day1], rtol=1e-12)


def test_an_ied_in_syria_is_ruled_out():
    """Convoy IEDs are Iraq's: one reported in Syria costs the probability floor."""
    iraq, syria = (
        EscalationModel(
            plain(days=1),
            seed=0,
            history=record([(0, "militia", "ied_attack", "convoy", country, "")]),
            replay_days=1,
            score=True,
            parameters=PARAMETERS,
        )
        .run()
        .log_likelihood["militia"][0, 0]
        for country in ("Iraq", "Syria")
    )
    # The Syrian "convoy" is read as the convoy site (its alias), so both are in Iraq.
    assert iraq == syria
    syria_ied = EscalationModel(
        plain(days=1),
        seed=0,
        history=record([(0, "militia", "ied_attack", "al-Omar oil field", "Syria", "")]),
        replay_days=1,
        score=True,
        parameters=PARAMETERS,
    ).run()
    assert syria_ied.log_likelihood["militia"][0, 0] < iraq + math.log(1e-8)


def rates_after(geography: str, crackdown: bool) -> np.ndarray:
    """Each group's expected attacks in Iraq and Syria on the day after a replayed day with or
    without a crackdown by Baghdad: ``(groups, 2)``."""
    rows = [(0, "Iraqi government", "political_action", "Baghdad", "Iraq", "arrest of members")]
    model = EscalationModel(
        plain(geography),
        seed=0,
        history=record(rows if crackdown else rows[:0]),
        replay_days=1,
        parameters=PARAMETERS,
    )
    model.step()
    model.step()
    return np.array([militia.rate_by_country[0] for militia in model.militias])


def test_a_crackdown_lowers_attacks_in_iraq_but_not_in_syria():
    ratio = rates_after("two_theatres", True) / rates_after("two_theatres", False)
    np.testing.assert_allclose(ratio[:, 0], 1 - PARAMETERS["crackdown_effect"], rtol=1e-12)
    np.testing.assert_allclose(ratio[:, 1], 1.0, rtol=1e-12)


def test_with_one_theatre_a_crackdown_lowers_attacks_in_both_countries():
    """The model before the geography, kept as its switch-off."""
    ratio = rates_after("one_theatre", True) / rates_after("one_theatre", False)
    np.testing.assert_allclose(ratio, 1 - PARAMETERS["crackdown_effect"], rtol=1e-12)


def test_two_theatres_give_syria_its_share_and_one_theatre_the_site_weights():
    """Without local factors, Syria's expected share of the attacks is syria_attack_share under
    two theatres, and the site weights' sum_w P(w) q[w, Syria] under one (0.0888 here); the
    total rate is militia_attack_rate under both."""
    p = {"rocket": 0.432, "drone": 0.2, "ied": 0.32, "other": 0.048}
    weights_share = p["rocket"] * 0.15 + p["drone"] * 0.15 + p["other"] * 0.4
    for geography, syria in (("two_theatres", 0.2), ("one_theatre", weights_share)):
        rates = rates_after(geography, False).sum(axis=0)
        assert rates.sum() == pytest.approx(0.5, rel=1e-12)
        assert rates[1] / rates.sum() == pytest.approx(syria, rel=1e-12)


def test_simulated_attacks_fall_in_each_country_at_its_share_and_at_its_sites():
    model = EscalationModel(
        plain(days=60), n_worlds=400, seed=5, parameters=PARAMETERS | {"syria_attack_share": 0.3}
    ).run()
    attacks = model.event_log()
    attacks = attacks[attacks["actor"] == "militia"]
    in_syria = (attacks["country"] == "Syria").to_numpy()
    n = len(attacks)
    assert in_syria.mean() == pytest.approx(0.3, abs=5 * math.sqrt(0.3 * 0.7 / n))
    syrian_sites = {"al-Omar oil field", "Conoco gas field", "al-Tanf garrison"}
    assert set(attacks.loc[in_syria, "location"]) <= syrian_sites
    assert not set(attacks.loc[~in_syria, "location"]) & syrian_sites
    assert (attacks.loc[attacks["event_type"] == "ied_attack", "country"] == "Iraq").all()


# -- US ground interdiction at the Albu Kamal crossing --------------------------------------------
def interdiction(scenario: Scenario, option: str) -> Scenario:
    return scenario.with_policy("US", "interdiction", option)


def test_border_interdiction_cuts_transfers_and_raises_attacks_in_syria_only():
    """One day, common random numbers: Iraq's rate is unchanged, Syria's times
    interdiction_clash_factor, and the activity Israel watches (0.9 x yesterday's + 0.1 x
    transfers) lower by 0.1 x transfer_rate x interdiction_transfer_cut."""
    base = plain(days=1).with_policy("Israel", "interdiction", "none")
    params = PARAMETERS | {"interdiction_clash_factor": 2.5, "interdiction_transfer_cut": 0.4}
    models = {
        option: EscalationModel(interdiction(base, option), n_worlds=3, seed=1, parameters=params)
        for option in ("none", "border_interdiction")
    }
    for model in models.values():
        model.step()
    off, on = models["none"], models["border_interdiction"]
    for militia_off, militia_on in zip(off.militias, on.militias, strict=True):
        ratio = militia_on.rate_by_country / militia_off.rate_by_country
        np.testing.assert_allclose(ratio, [[1.0, 2.5]] * 3, rtol=1e-12)
    np.testing.assert_allclose(off.israel.activity - on.israel.activity, 0.1 * 1.0 * 0.4)


@pytest.mark.statistical
def test_border_closure_brings_clashes_in_syria_and_fewer_israeli_strikes():
    """border_closure_2023 with and without its US ground interdiction, same seed (common random
    numbers), a year in 300 worlds: more attacks in Syria, and fewer Israeli strikes as less
    passes the crossing; paired differences beyond 4 standard errors."""
    closure = dataclasses.replace(Scenario.coerce("border_closure_2023"), posterior=None)
    assert closure.policy("US", "interdiction").name == "border_interdiction"
    runs = {
        option: EscalationModel(interdiction(closure, option), n_worlds=300, seed=3).run()
        for option in ("none", "border_interdiction")
    }

    def syria_attacks(model):
        ev = model.event_log()
        mask = (ev["actor"] == "militia") & (ev["country"] == "Syria")
        return np.bincount(ev.loc[mask, "world"], minlength=model.n_worlds)

    def israeli_strikes(model):
        return model.daily_counts["israeli_strikes"].sum(axis=0).astype(float)

    for measure, sign in ((syria_attacks, +1), (israeli_strikes, -1)):
        diff = measure(runs["border_interdiction"]) - measure(runs["none"])
        se = diff.std(ddof=1) / math.sqrt(len(diff))
        assert sign * diff.mean() > 4 * se, (measure.__name__, diff.mean(), se)


# -- old scenario files --------------------------------------------------------------------------
def test_scenarios_without_the_new_slots_keep_one_theatre_and_no_interdiction(tmp_path):
    """A scenario file written before the slots existed keeps its meaning: one attack rate for
    both countries, a crackdown that reaches all attacks, no US forces at the crossing."""
    text = Scenario.coerce("baseline_2021").to_toml()
    old = "\n".join(line for line in text.splitlines() if not line.startswith("geography ="))
    assert old != text and 'interdiction = "border' not in old
    path = tmp_path / "old.toml"
    path.write_text(old, encoding="utf-8")
    scenario = Scenario.coerce(path)
    assert scenario.policy("militia", "geography").name == "one_theatre"
    assert scenario.policy("US", "interdiction").name == "none"
    assert Scenario.coerce("baseline_2021").policy("militia", "geography").name == "two_theatres"


def test_a_timeline_can_send_us_forces_to_the_crossing_on_a_date():
    """The US interdiction slot switches like any other: from 4 January, Syria's rate is times
    interdiction_clash_factor and Iraq's unchanged, against the same worlds without the switch."""
    text = Scenario.coerce("baseline_2021").to_toml()
    switch = (
        "\n[[timeline]]\ndate = 2021-01-04\n"
        'policy = { actor = "US", slot = "interdiction", choice = "border_interdiction" }\n'
    )
    (entry,) = (e for e in Scenario.from_toml(text + switch).timeline if e.policy is not None)
    base = plain(days=5)
    switched = dataclasses.replace(base, timeline=(*base.timeline, entry))
    models = [
        EscalationModel(s, n_worlds=2, seed=4, parameters=PARAMETERS) for s in (base, switched)
    ]
    ratios = []
    for _ in range(5):
        for model in models:
            model.step()
        ratios.append(models[1].militias[0].rate_by_country / models[0].militias[0].rate_by_country)
    np.testing.assert_allclose(ratios[:3], 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.array(ratios[3:])[..., 1], 2.0, rtol=1e-12)
    np.testing.assert_allclose(np.array(ratios[3:])[..., 0], 1.0, rtol=1e-12)

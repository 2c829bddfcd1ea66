"""calibrate_pooled(): several periods, behaviour shared, base rates per period."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

import escalation
from escalation.errors import ScenarioError
from escalation.events.io import load_events
from escalation.events.schema import COLUMNS
from escalation.inference.calibration import TemperedSettings, calibrate, priors
from escalation.inference.pooled import (
    PooledLikelihood,
    PooledScenario,
    calibrate_pooled,
    period_posterior,
    pooled_scenario,
)
from escalation.inference.posterior import Posterior, prior_sd
from escalation.model.model import EscalationModel
from escalation.model.parameters import Prior
from escalation.model.scenario import Scenario

WINTER = Scenario.load("period_2019_20")
#: The first quarter of 2021 under baseline_2021, without its posterior.
SPRING = dataclasses.replace(
    Scenario.load("baseline_2021"), end=dt.date(2021, 3, 31), posterior=None
)


def _real_periods() -> dict:
    return {"2019_2020": ("2019_2020", WINTER), "2021": (load_events("2021"), SPRING)}


def test_period_2019_20_is_the_winter_record_under_the_earlier_line():
    assert (WINTER.start, WINTER.end) == (dt.date(2019, 12, 27), dt.date(2020, 3, 31))
    assert WINTER.policy("US", "retaliation").options["line"] == "killed"
    assert WINTER.posterior is None
    marks = {e.date: e.mark for e in WINTER.timeline if WINTER.start <= e.date <= WINTER.end}
    assert "Soleimani" in marks[dt.date(2020, 1, 3)].event
    assert "talks_restraint" not in WINTER.calibrate
    # trump_red_line stays what users ran before: 2021 with the line at "killed".
    trump = Scenario.load("trump_red_line")
    assert (trump.start, trump.end) == (dt.date(2021, 1, 1), dt.date(2021, 12, 31))


def test_pooled_loglik_is_the_sum_of_each_periods_loglik():
    """At three parameter sets, the pooled log-likelihood equals escalation.loglik of each
    record at its period's values (shared ones, and its own copy under the plain name)."""
    pooled = pooled_scenario(_real_periods(), per_period=("militia_attack_rate",))
    theta = {
        "militia_attack_rate[2019_2020]": np.array([0.1, 0.3, 0.6]),
        "militia_attack_rate[2021]": np.array([0.5, 0.2, 0.4]),
        "deterrence": np.array([0.1, 0.5, 0.9]),
        "us_lag_mean": np.array([2.0, 5.0, 9.0]),
    }
    events = {"2019_2020": load_events("2019_2020"), "2021": load_events("2021")}
    total = PooledLikelihood(pooled, events)(theta)
    expected = np.zeros(3)
    for period, scenario in (("2019_2020", WINTER), ("2021", SPRING)):
        values = {
            "militia_attack_rate": theta[f"militia_attack_rate[{period}]"],
            "deterrence": theta["deterrence"],
            "us_lag_mean": theta["us_lag_mean"],
        }
        expected += escalation.loglik(values, events[period], scenario=scenario)
    np.testing.assert_allclose(total, expected, rtol=1e-12)
    assert np.all(np.isfinite(total)) and len(set(total.round(6))) == 3


def test_names_split_shared_values_and_each_periods_copies():
    pooled = pooled_scenario(_real_periods())
    assert "deterrence" in pooled.shared and "militia_attack_rate" not in pooled.shared
    assert "militia_attack_rate[2019_2020]" in pooled.calibrate
    # talks_restraint is calibrated by 2021 only: shared, but set in 2021's scenario alone.
    routes = pooled.split({"talks_restraint": 0.2, "militia_attack_rate[2021]": 0.4})
    assert routes == {"2019_2020": {}, "2021": {"talks_restraint": 0.2, "militia_attack_rate": 0.4}}
    # Priors: a copy has its parameter's prior, truncated to its range.
    prior = priors(pooled)["militia_attack_rate[2019_2020]"]
    assert prior == priors(SPRING)["militia_attack_rate"]


def test_bad_periods_are_refused_with_the_reason():
    with pytest.raises(ValueError, match=r"periods\['2021'\].*no scenario"):
        pooled_scenario({"2021": load_events("2021")})
    with pytest.raises(ValueError, match=r"periods\['2021'\].*no scenario"):
        pooled_scenario({"2021": (load_events("2021"), None)})
    with pytest.raises(ValueError, match=r"overlap: \['militia_attack_rate'\]"):
        pooled_scenario(_real_periods(), shared=["militia_attack_rate", "deterrence"])
    with pytest.raises(ValueError, match="overlap; expected disjoint windows"):
        pooled_scenario({"a": ("2021", SPRING), "b": ("2021", "baseline_2021")})
    with pytest.raises(ValueError, match="period name 'a\\[1\\]'"):
        pooled_scenario({"a[1]": ("2021", SPRING)})
    with pytest.raises(ValueError, match=r"per_period: unknown parameters \['attack_rate'\]"):
        pooled_scenario(_real_periods(), per_period=["attack_rate"])
    narrow = dict(WINTER.priors) | {"deterrence": Prior("beta", {"a": 2, "b": 2})}
    other = dataclasses.replace(WINTER, priors=narrow)
    with pytest.raises(ScenarioError, match="'deterrence' has different priors"):
        pooled_scenario({"2019_2020": ("2019_2020", other), "2021": ("2021", SPRING)})
    # A period whose only calibrated parameter is the factor of an entry after its end.
    only_2022 = dataclasses.replace(SPRING, calibrate=("ied_report_2022",))
    with pytest.raises(ScenarioError, match=r"periods\['a'\].*ied_report_2022 act only through"):
        pooled_scenario({"a": ("2021", only_2022)})


def _synthetic(scenario: Scenario, truth: dict, seed: int) -> pd.DataFrame:
    """One simulated world's events, as an observed canonical log."""
    model = EscalationModel(scenario, 1, seed=seed, parameters=truth).run()
    return model.event_log()[list(COLUMNS)]


def _quarter(start: dt.date, end: dt.date) -> Scenario:
    text = (
        'name = "quarter"\nextends = "baseline_2021"\nposterior = ""\n'
        f"start = {start.isoformat()}\nend = {end.isoformat()}\n"
        'calibrate = ["militia_attack_rate", "drone_share", "ied_share"]\n'
    )
    return Scenario.from_toml(text, origin="<quarter>")


def test_pooling_recovers_known_parameters_and_contracts_more_than_one_period():
    """Two synthetic periods from known parameters: the attack rate differs between them,
        the drone and IED shares are shared. The pooled posterior holds every truth within three
    posterior sds, and
        the shared parameters contract more than when the first period is calibrated alone (twice
        the record informs them)."""
    first = _quarter(dt.date(2021, 1, 1), dt.date(2021, 4, 30))
    second = _quarter(dt.date(2021, 7, 1), dt.date(2021, 10, 31))
    shared = {"drone_share": 0.3, "ied_share": 0.3}
    rates = {"a": 0.5, "b": 0.25}
    records = {
        "a": _synthetic(first, {**shared, "militia_attack_rate": rates["a"]}, seed=11),
        "b": _synthetic(second, {**shared, "militia_attack_rate": rates["b"]}, seed=12),
    }
    settings = TemperedSettings(population_size=150, runs=1, max_moves=6)
    pooled = calibrate_pooled(
        {"a": (records["a"], first), "b": (records["b"], second)},
        per_period=("militia_attack_rate",),
        shared=("drone_share", "ied_share"),
        seed=3,
        progress=False,
        settings=settings,
    )
    alone = calibrate(
        records["a"], first, first.start, first.end, seed=3, progress=False,
        population_size=150, runs=1, max_moves=6,
    )  # fmt: skip
    summary = pooled.summary()
    truth = {**shared, "militia_attack_rate[a]": rates["a"], "militia_attack_rate[b]": rates["b"]}
    for name, value in truth.items():  # within 3 posterior sds (a 90% interval misses 1 in 10)
        assert abs(summary.loc[name, "mean"] - value) < 3 * summary.loc[name, "sd"], name
    single = alone.summary()
    for name in shared:
        assert summary.loc[name, "contraction"] > single.loc[name, "contraction"], name
    assert summary.loc["drone_share", "prior_sd"] == pytest.approx(
        prior_sd(priors(first)["drone_share"])
    )
    assert np.isfinite(pooled.log_evidence)

    # One period's view: plain names over its own scenario, ready to forecast.
    view = period_posterior(pooled, "b")
    assert view.parameter_names == ("drone_share", "ied_share", "militia_attack_rate")
    np.testing.assert_array_equal(
        view.samples["militia_attack_rate"], pooled.samples["militia_attack_rate[b]"]
    )
    assert view.base_scenario.start == second.start


def test_a_pooled_posterior_saves_and_loads(tmp_path):
    pooled = pooled_scenario(_real_periods(), per_period=("militia_attack_rate",))
    names = ["deterrence", "militia_attack_rate[2019_2020]", "militia_attack_rate[2021]"]
    samples = pd.DataFrame({n: [v, v] for n, v in zip(names, (0.2, 0.1, 0.6), strict=True)})
    posterior = Posterior(samples.assign(weight=[0.5, 0.5]), pooled)
    posterior.save(tmp_path / "post")
    again = Posterior.load(tmp_path / "post", PooledScenario.from_toml)
    assert again.base_scenario.to_toml() == pooled.to_toml()
    point = again.scenario()
    winter, spring = point.period("2019_2020"), point.period("2021")
    assert (winter.parameters["militia_attack_rate"], spring.parameters["militia_attack_rate"]) == (
        0.1,
        0.6,
    )
    assert winter.parameters["deterrence"] == spring.parameters["deterrence"] == 0.2

"""Tests of the Posterior: weighted summaries by hand, point scenarios, draws, save and load."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pytest

from escalation.inference.posterior import Posterior
from escalation.inference.smc import ABCResult, StopReason
from escalation.model.scenario import Scenario
from escalation.provenance import verify_manifest


@dataclass(frozen=True)
class StandIn:
    """The interface of escalation.model.scenario.Scenario that Posterior relies on."""

    parameters: dict = field(default_factory=lambda: {"a": 0.0, "b": 0.0, "fixed": 9.0})
    name: str = "base"

    def with_parameters(self, **values):
        unknown = set(values) - set(self.parameters)
        if unknown:
            raise ValueError(f"unknown parameters {sorted(unknown)}")
        return replace(self, parameters={**self.parameters, **values})

    def to_toml(self) -> str:
        lines = [f'name = "{self.name}"', "[parameters]"]
        lines += [f"{key} = {value!r}" for key, value in self.parameters.items()]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_toml(cls, text: str, origin: str = "<string>"):
        data = tomllib.loads(text)
        return cls(parameters=dict(data["parameters"]), name=data["name"])


def two_row_posterior(**kwargs) -> Posterior:
    # Weights 1 and 3 (normalised to 0.25, 0.75) on a = 0, 10 and b = 5, -5.
    samples = pd.DataFrame({"a": [0.0, 10.0], "b": [5.0, -5.0], "weight": [1.0, 3.0]})
    return Posterior(samples, StandIn(), **kwargs)


def test_summary_by_hand():
    summary = two_row_posterior().summary()
    assert list(summary.index) == ["a", "b"]
    assert list(summary.columns) == ["mean", "sd", "median", "q05", "q95", "ess"]
    # a: mean 0.25*0 + 0.75*10 = 7.5; sd sqrt(0.25*7.5^2 + 0.75*2.5^2) = sqrt(18.75).
    # Weighted positions 0.125 (a=0) and 0.625 (a=10): the median lies 3/4 of the way, 7.5.
    assert summary.loc["a", "mean"] == pytest.approx(7.5)
    assert summary.loc["a", "sd"] == pytest.approx(np.sqrt(18.75))
    assert summary.loc["a", "median"] == pytest.approx(7.5)
    assert summary.loc["a", "q05"] == pytest.approx(0.0)
    assert summary.loc["a", "q95"] == pytest.approx(10.0)
    # b: mean 1.25 - 3.75 = -2.5; positions 0.375 (b=-5) and 0.875 (b=5): median -2.5.
    assert summary.loc["b", "mean"] == pytest.approx(-2.5)
    assert summary.loc["b", "median"] == pytest.approx(-2.5)
    # Kish ESS: 1 / (0.25^2 + 0.75^2) = 1.6, the same for every parameter.
    assert summary["ess"].tolist() == pytest.approx([1.6, 1.6])


def test_weights_are_normalised_and_samples_copied():
    posterior = two_row_posterior()
    assert posterior.weights == pytest.approx([0.25, 0.75])
    samples = posterior.samples
    samples["a"] = -1.0
    assert posterior.samples["a"].tolist() == [0.0, 10.0]
    assert posterior.parameter_names == ("a", "b")


def test_scenario_at_a_point_estimate():
    posterior = two_row_posterior()
    median = posterior.scenario()
    assert median.parameters == {"a": 7.5, "b": -2.5, "fixed": 9.0}
    mean = posterior.scenario("mean")
    assert mean.parameters["a"] == pytest.approx(7.5)
    assert mean.parameters["fixed"] == 9.0
    with pytest.raises(ValueError, match=r"'mode'.*'median', 'mean'"):
        posterior.scenario("mode")


def test_sample_parameters_reproducible_and_by_weight():
    samples = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "weight": [0.1, 0.2, 0.7, 0.0]})
    posterior = Posterior(samples, StandIn())
    first = posterior.sample_parameters(20_000, seed=5)
    assert list(first.columns) == ["a"]
    assert first.index.equals(pd.RangeIndex(20_000))
    pd.testing.assert_frame_equal(first, posterior.sample_parameters(20_000, seed=5))
    assert not first.equals(posterior.sample_parameters(20_000, seed=6))
    counts = first["a"].value_counts().reindex([1.0, 2.0, 3.0, 4.0], fill_value=0)
    assert counts[4.0] == 0  # zero weight is never drawn


@pytest.mark.statistical
def test_sample_parameters_frequencies_match_weights():
    samples = pd.DataFrame({"a": [1.0, 2.0, 3.0], "weight": [0.1, 0.2, 0.7]})
    draws = Posterior(samples, StandIn()).sample_parameters(20_000, seed=1)
    shares = draws["a"].value_counts(normalize=True).reindex([1.0, 2.0, 3.0])
    # Four binomial standard errors: at most 4 * sqrt(0.25 / 20000) = 0.014.
    assert shares.to_numpy() == pytest.approx([0.1, 0.2, 0.7], abs=0.014)


def test_save_and_load_round_trip(tmp_path):
    diagnostics = {"epsilons": np.array([np.inf, 2.0, 1.0]), "stop_reason": "budget"}
    manifest = {"seed": 3, "git_commit": None}
    posterior = Posterior(
        pd.DataFrame({"a": [0.1, 1 / 3, 2.0], "b": [1e-300, 5.0, -7.25], "weight": [1, 2, 3]}),
        StandIn(name="round trip"),
        diagnostics,
        manifest,
    )
    directory = posterior.save(tmp_path / "posterior")
    assert sorted(p.name for p in directory.iterdir()) == ["posterior.json", "samples.csv"]
    loaded = Posterior.load(directory, scenario_loader=StandIn.from_toml)
    pd.testing.assert_frame_equal(loaded.samples, posterior.samples, check_exact=True)
    assert loaded.base_scenario == posterior.base_scenario
    # JSON has no infinity: the prior generation's tolerance is stored as null.
    assert loaded.diagnostics == {"epsilons": [None, 2.0, 1.0], "stop_reason": "budget"}
    assert loaded.diagnostics == posterior.diagnostics
    saved_manifest = loaded.manifest
    assert set(saved_manifest.pop("outputs")) == {"samples.csv"}
    assert saved_manifest == manifest
    assert verify_manifest(loaded.manifest, directory) == []


def test_load_rebuilds_a_real_scenario_by_default(tmp_path):
    base = Scenario.load("baseline_2021")
    samples = pd.DataFrame(
        {"militia_attack_rate": [0.2, 0.4], "deterrence": [0.1, 0.3], "weight": [1.0, 1.0]}
    )
    directory = Posterior(samples, base).save(tmp_path / "p")
    loaded = Posterior.load(directory)
    assert isinstance(loaded.base_scenario, Scenario)
    assert loaded.base_scenario.to_toml() == base.to_toml()
    assert loaded.scenario().parameters["militia_attack_rate"] == pytest.approx(0.3)


def test_load_warns_when_samples_changed(tmp_path):
    directory = two_row_posterior().save(tmp_path / "p")
    csv = directory / "samples.csv"
    csv.write_text(csv.read_text().replace("10.0", "11.0"))
    with pytest.warns(UserWarning, match="samples.csv differs"):
        loaded = Posterior.load(directory, scenario_loader=StandIn.from_toml)
    assert verify_manifest(loaded.manifest, directory) == ["samples.csv"]


def test_load_rejects_what_is_not_a_posterior(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a saved posterior"):
        Posterior.load(tmp_path, scenario_loader=StandIn.from_toml)
    (tmp_path / "posterior.json").write_text(json.dumps({"format": "other/1"}))
    with pytest.raises(ValueError, match="format is 'other/1'"):
        Posterior.load(tmp_path, scenario_loader=StandIn.from_toml)


def test_from_abc_keeps_the_final_population_and_history():
    result = ABCResult(
        particles=pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}),
        weights=np.array([0.4, 0.6]),
        distances=np.array([0.1, 0.2]),
        statistics=np.array([[1.0], [2.0]]),
        scales=np.array([0.5]),
        observed=np.array([1.5]),
        epsilons=np.array([np.inf, 0.3]),
        simulations=np.array([2, 5]),
        acceptance_rates=np.array([1.0, 0.4]),
        ess=np.array([2.0, 1.9]),
        simulations_total=7,
        stop_reason=StopReason.BUDGET,
        seed_entropy=42,
    )
    posterior = Posterior.from_abc(result, StandIn(), manifest={"seed": 42})
    assert posterior.samples.to_dict("list") == {
        "a": [1.0, 2.0],
        "b": [3.0, 4.0],
        "weight": [0.4, 0.6],
    }
    diagnostics = posterior.diagnostics
    assert diagnostics["stop_reason"] == "budget"
    assert diagnostics["epsilons"] == [None, 0.3]
    assert diagnostics["simulations"] == [2, 5]
    assert diagnostics["generations"] == 2
    assert json.loads(json.dumps(diagnostics)) == diagnostics


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        (pd.DataFrame({"a": [1.0]}), "no 'weight' column"),
        (pd.DataFrame({"weight": [1.0]}), "at least one parameter"),
        (pd.DataFrame({"a": [1.0, 2.0], "weight": [1.0, -1.0]}), ">= 0"),
        (pd.DataFrame({"a": [1.0, np.nan], "weight": [1.0, 1.0]}), r"\['a'\].*NaN"),
        (pd.DataFrame({"a": ["x", "y"], "weight": [1.0, 1.0]}), "numeric"),
        (pd.DataFrame({"c": [1.0], "weight": [1.0]}), r"\['c'\] are not parameters"),
    ],
)
def test_bad_samples_raise(samples, message):
    with pytest.raises(ValueError, match=message):
        Posterior(samples, StandIn())


def test_base_scenario_needs_the_scenario_interface():
    with pytest.raises(TypeError, match="with_parameters"):
        Posterior(pd.DataFrame({"a": [1.0], "weight": [1.0]}), object())

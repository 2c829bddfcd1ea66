"""Tests of the Posterior: weighted summaries by hand, point scenarios, draws, save and load."""

from __future__ import annotations

import json
import math
import sys
import tomllib
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
from scipy.special import gammaln

from escalation.errors import ScenarioError
from escalation.inference.calibration import priors as calibration_priors
from escalation.inference.posterior import Posterior, between_runs, prior_sd, scenario_priors
from escalation.inference.smc import ABCResult, StopReason, TemperedResult, tempered_smc
from escalation.model.parameters import Prior
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
    assert list(summary.columns) == [
        "mean",
        "sd",
        "median",
        "q05",
        "q95",
        "ess",
        "prior_sd",
        "contraction",
    ]
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
    # The stand-in scenario declares no priors: no prior sd, no contraction.
    assert summary[["prior_sd", "contraction"]].isna().all().all()


def test_prior_sd_and_contraction_by_hand():
    # a ~ Uniform(0, 20): sd 20 / sqrt(12), variance 33.33; the posterior variance of a is 18.75
    # (above), so contraction 1 - 18.75 / 33.33 = 0.4375. b ~ N(0, 5): b's posterior variance
    # 0.25 * 7.5^2 + 0.75 * 2.5^2 = 18.75, contraction 1 - 18.75 / 25 = 0.25.
    priors = {"a": st.uniform(0.0, 20.0), "b": st.norm(0.0, 5.0)}
    summary = two_row_posterior(priors=priors).summary()
    assert summary["prior_sd"].tolist() == pytest.approx([20 / math.sqrt(12), 5.0])
    assert summary["contraction"].tolist() == pytest.approx([0.4375, 0.25])


def test_prior_sd_of_a_truncated_prior_is_exact():
    # A standard normal truncated to [0, inf) is the half-normal: sd sqrt(1 - 2 / pi).
    half_normal = Prior("norm", {"loc": 0.0, "scale": 1.0}).within(0.0, math.inf)
    assert prior_sd(half_normal) == pytest.approx(math.sqrt(1 - 2 / math.pi), rel=1e-8)
    # Uniform(0, 10) truncated to [2, 5] is Uniform(2, 5): sd 3 / sqrt(12).
    narrowed = Prior("uniform", {"loc": 0.0, "scale": 10.0}).within(2.0, 5.0)
    assert prior_sd(narrowed) == pytest.approx(3 / math.sqrt(12), rel=1e-8)


@pytest.mark.statistical
def test_a_real_scenario_supplies_the_calibration_priors():
    base = Scenario.load("baseline_2021")
    names = ("militia_attack_rate", "deterrence")
    derived = scenario_priors(base, names)
    expected = calibration_priors(base)
    for name in names:
        assert derived[name].args == expected[name].args
        # The exact sd against 200,000 draws (relative standard error about 0.2%).
        draws = derived[name].rvs(size=200_000, random_state=1)
        assert prior_sd(derived[name]) == pytest.approx(draws.std(), rel=0.01)
    samples = pd.DataFrame(
        {"militia_attack_rate": [0.2, 0.4], "deterrence": [0.1, 0.3], "weight": [1.0, 1.0]}
    )
    summary = Posterior(samples, base).summary()
    assert summary.loc["deterrence", "prior_sd"] == pytest.approx(prior_sd(expected["deterrence"]))
    # Posterior sd 0.1 against the prior's: contraction 1 - 0.01 / prior variance.
    assert summary.loc["deterrence", "contraction"] == pytest.approx(
        1 - 0.01 / prior_sd(expected["deterrence"]) ** 2
    )


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


def test_a_saved_posterior_naming_a_removed_parameter_is_refused_with_the_reason(tmp_path):
    """credibility_decay gave way to the learned belief: a posterior that sampled it is not
    mapped (its values have no equivalent) but refused, saying what replaced it."""
    base = Scenario.load("baseline_2021")
    samples = pd.DataFrame({"militia_attack_rate": [0.2, 0.4], "weight": [1.0, 1.0]})
    directory = Posterior(samples, base).save(tmp_path / "p")
    csv = directory / "samples.csv"
    csv.write_text(csv.read_text().replace("militia_attack_rate", "credibility_decay"))
    with pytest.warns(UserWarning, match="differs"):
        with pytest.raises(ValueError, match="'credibility_decay' was removed.*belief_prior"):
            Posterior.load(directory)
    metadata = directory / "posterior.json"
    stored = json.loads(metadata.read_text())
    stored["scenario_toml"] = stored["scenario_toml"].replace(
        "calibrate = [", 'calibrate = ["credibility_decay", '
    )
    metadata.write_text(json.dumps(stored))
    with pytest.warns(UserWarning, match="differs"):
        with pytest.raises(ScenarioError, match="calibrate.*'credibility_decay' was removed"):
            Posterior.load(directory)


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


def tempered_result(log_evidence: float, values, seed: int = 1) -> TemperedResult:
    """A small TemperedResult with equal weights on ``values`` of parameter ``a``."""
    n = len(values)
    return TemperedResult(
        particles=pd.DataFrame({"a": np.asarray(values, dtype=float)}),
        weights=np.full(n, 1.0 / n),
        loglik=np.zeros(n),
        log_evidence=log_evidence,
        temperatures=np.array([0.0, 0.4, 1.0]),
        log_evidence_increments=np.array([0.0, log_evidence / 2, log_evidence / 2]),
        ess=np.array([n, n / 2, n / 2]),
        acceptance_rates=np.array([np.nan, 0.3, 0.25]),
        moves=np.array([0, 4, 5]),
        scales=np.array([2.38, 2.0, 1.9]),
        evaluations=np.array([n, 4 * n, 5 * n]),
        seed_entropy=seed,
    )


def test_from_tempered_keeps_the_evidence_and_the_schedule():
    posterior = Posterior.from_tempered(tempered_result(-10.0, [0.0, 2.0]), StandIn())
    diagnostics = posterior.diagnostics
    assert posterior.log_evidence == -10.0
    assert diagnostics["method"] == "tempered-SMC"
    assert diagnostics["temperatures"] == [0.0, 0.4, 1.0]
    assert diagnostics["acceptance_rates"] == [None, 0.3, 0.25]  # JSON has no NaN
    assert diagnostics["moves"] == [0, 4, 5]
    assert diagnostics["evaluations_total"] == 2 + 8 + 10
    assert json.loads(json.dumps(diagnostics)) == diagnostics
    assert two_row_posterior().log_evidence is None


def test_between_runs_by_hand():
    # Run 1: a = 0, 2; run 2: a = 4, 6 (equal weights, ESS 2). Within-run variance 1 * 2 / 1 = 2,
    # between-run variance of the means 1 and 5: 8. R-hat = sqrt((1/2 * 2 + 8) / 2) = sqrt(4.5).
    # Log evidences -10 and -12: sd sqrt(2), pooled log((e^-10 + e^-12) / 2).
    runs = [
        Posterior.from_tempered(tempered_result(-10.0, [0.0, 2.0]), StandIn()),
        Posterior.from_tempered(tempered_result(-12.0, [4.0, 6.0]), StandIn()),
    ]
    agreement = between_runs(runs)
    assert agreement["rhat"]["a"] == pytest.approx(math.sqrt(4.5))
    assert agreement["log_evidence_runs"] == [-10.0, -12.0]
    assert agreement["log_evidence_mc_sd"] == pytest.approx(math.sqrt(2))
    assert agreement["log_evidence_spread"] == pytest.approx(2.0)
    assert agreement["log_evidence"] == pytest.approx(math.log((math.exp(-10) + math.exp(-12)) / 2))
    # ABC runs have no evidence: only R-hat.
    abc = [two_row_posterior(), two_row_posterior()]
    assert set(between_runs(abc)) == {"rhat", "rhat_method"}
    with pytest.raises(ValueError, match="at least two"):
        between_runs(runs[:1])
    other = Posterior(pd.DataFrame({"b": [1.0, 2.0], "weight": [1.0, 1.0]}), StandIn())
    with pytest.raises(ValueError, match=r"runs\[1\] has parameters \['b'\]"):
        between_runs([runs[0], other])


def test_pool_shares_the_weight_and_records_the_runs(tmp_path):
    runs = [
        Posterior.from_tempered(tempered_result(-10.0, [0.0, 2.0, 4.0]), StandIn()),
        Posterior.from_tempered(tempered_result(-10.5, [1.0, 3.0, 5.0], seed=2), StandIn()),
    ]
    pooled = Posterior.pool(runs)
    assert pooled.samples["a"].tolist() == [0.0, 2.0, 4.0, 1.0, 3.0, 5.0]
    assert pooled.weights == pytest.approx(np.full(6, 1 / 6))
    diagnostics = pooled.diagnostics
    assert diagnostics["run_sizes"] == [3, 3]
    assert [run["seed_entropy"] for run in diagnostics["runs"]] == [1, 2]
    assert pooled.log_evidence == pytest.approx(np.logaddexp(-10.0, -10.5) - math.log(2))
    loaded = Posterior.load(pooled.save(tmp_path / "pooled"), scenario_loader=StandIn.from_toml)
    assert loaded.log_evidence == pooled.log_evidence
    assert loaded.diagnostics["rhat"] == diagnostics["rhat"]


@pytest.mark.statistical
def test_two_independent_tempered_runs_agree():
    counts = np.random.default_rng(3).poisson(2.0, 25)

    def loglik(theta):
        rate = theta["a"][:, None]
        return np.sum(counts * np.log(rate) - rate - gammaln(counts + 1), axis=1)

    runs = [
        Posterior.from_tempered(
            tempered_smc(loglik, {"a": st.gamma(2.0)}, population_size=1000, seed=seed),
            StandIn(),
        )
        for seed in (1, 2)
    ]
    agreement = between_runs(runs)
    # Independent runs of one target: R-hat within 1% of 1; the log evidences within 0.2 (their
    # Monte Carlo sd is about 0.04 at this size).
    assert agreement["rhat"]["a"] == pytest.approx(1.0, abs=0.01)
    assert agreement["log_evidence_spread"] < 0.2


def test_to_arviz_has_one_chain_per_pooled_run():
    arviz = pytest.importorskip("arviz")
    runs = [
        Posterior.from_tempered(tempered_result(-10.0, [0.0, 2.0, 4.0]), StandIn()),
        Posterior.from_tempered(tempered_result(-10.5, [1.0, 3.0, 5.0]), StandIn()),
    ]
    data = Posterior.pool(runs).to_arviz()
    assert isinstance(data, arviz.InferenceData)
    values = data.posterior["a"].to_numpy()
    assert values.tolist() == [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]  # equal weights: as they are
    assert data.attrs["log_evidence"] == pytest.approx(np.logaddexp(-10.0, -10.5) - math.log(2))


def test_to_arviz_draws_a_weighted_sample_by_weight():
    pytest.importorskip("arviz")
    samples = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.0, 0.0, 0.0], "weight": [0, 0, 1.0]})
    data = Posterior(samples, StandIn()).to_arviz(seed=4)
    assert data.posterior["a"].shape == (1, 3)
    assert data.posterior["a"].to_numpy().tolist() == [[3.0, 3.0, 3.0]]  # all the weight on 3


def test_to_arviz_without_arviz_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "arviz", None)  # makes "import arviz" raise ImportError
    with pytest.raises(ImportError, match=r'pip install "escalation\[arviz\]"'):
        two_row_posterior().to_arviz()

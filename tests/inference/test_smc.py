"""Tests of the generic ABC-SMC engine: helpers by hand, known posteriors, control of the run."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.stats as st

from escalation.inference.smc import (
    FewParticlesWarning,
    PriorOnlyWarning,
    StopReason,
    abc_smc,
    scale_statistics,
    scaled_distance,
    warn_if_few_particles,
    weighted_quantile,
)

# ---------------------------------------------------------------------------------------------
# A conjugate problem: 30 Poisson counts with rate 3, prior Gamma(shape 2, rate 1), statistic the
# sample mean (sufficient). The exact posterior is Gamma(2 + sum y, rate 1 + 30).
N_COUNTS = 30
COUNTS = np.random.default_rng(20210101).poisson(3.0, N_COUNTS)
POISSON_PRIOR = {"rate": st.gamma(2.0, scale=1.0)}
POISSON_OBSERVED = np.array([COUNTS.mean()])


def poisson_mean(theta, seed):
    """Per world, the mean of 30 Poisson draws at that world's rate."""
    rng = np.random.default_rng(seed)
    rate = theta["rate"]
    return rng.poisson(rate[:, None], (len(rate), N_COUNTS)).mean(axis=1)[:, None]


def run_poisson(**kwargs):
    options = {"population_size": 300, "budget": 6_000, "seed": 11, "progress": False}
    options.update(kwargs)
    return abc_smc(poisson_mean, POISSON_PRIOR, POISSON_OBSERVED, **options)


def weighted_moments(x, w):
    mean = np.sum(w * x)
    return mean, np.sqrt(np.sum(w * (x - mean) ** 2))


# --- helpers, against hand-computed values -----------------------------------------------------


def test_weighted_quantile_by_hand():
    # Equal weights: Hazen positions (i - 1/2) / n, so the median of 1..4 is 2.5.
    assert weighted_quantile([4, 1, 3, 2], [1, 1, 1, 1], 0.5) == pytest.approx(2.5)
    # Weights 1 and 3 on 0 and 10: positions 0.125 and 0.625; q = 0.5 lies 3/4 of the way.
    assert weighted_quantile([0, 10], [1, 3], 0.5) == pytest.approx(7.5)
    # Clamped outside the positions; zero weights ignored.
    assert weighted_quantile([0, 10, 99], [1, 3, 0], [0.0, 1.0]) == pytest.approx([0, 10])
    with pytest.raises(ValueError, match="weights"):
        weighted_quantile([1, 2], [1, -1], 0.5)
    with pytest.raises(ValueError, match="q must lie"):
        weighted_quantile([1, 2], [1, 1], 1.5)


def test_scale_statistics_mad_and_fallbacks():
    stats = np.array(
        [
            [1.0, 0.0, 7.0, np.nan],
            [2.0, 0.0, 7.0, np.nan],
            [3.0, 0.0, 7.0, np.nan],
            [4.0, 0.0, 7.0, np.nan],
            [100.0, 5.0, 7.0, np.nan],
        ]
    )
    # Column 0: median 3, deviations 2,1,0,1,97 -> MAD 1.
    # Column 1: MAD 0 -> mean absolute deviation from the mean 1: (1+1+1+1+4)/5 = 1.6.
    # Column 2: constant -> 1. Column 3: never defined -> 1.
    assert scale_statistics(stats) == pytest.approx([1.0, 1.6, 1.0, 1.0])
    with_nan = np.array([[1.0], [np.nan], [3.0]])
    assert scale_statistics(with_nan) == pytest.approx([1.0])  # median 2, deviations 1, 1
    assert scale_statistics(np.array([[1.0], [3.0]]), "std") == pytest.approx([1.0])
    with pytest.raises(ValueError, match="scale must be one of"):
        scale_statistics(stats, "iqr")


def test_scaled_distance_is_weighted_l1_with_nan_penalty():
    observed = np.array([1.0, 2.0, np.nan, 4.0])
    scales = np.array([2.0, 0.5, 1.0, 1.0])
    stats = np.array(
        [
            [3.0, 2.5, np.nan, 4.0],  # 2/2 + 0.5/0.5 + NaN vs NaN 0 + 0 = 2
            [1.0, 2.0, 5.0, np.nan],  # 0 + 0 + value vs NaN 1 + NaN vs value 1 = 2
            [1.0, 2.0, np.nan, 1.0],  # 3
        ]
    )
    assert scaled_distance(stats, observed, scales) == pytest.approx([2.0, 2.0, 3.0])


# --- known answers -----------------------------------------------------------------------------


@pytest.mark.statistical
def test_poisson_rate_matches_the_conjugate_posterior():
    result = run_poisson(population_size=2000, budget=100_000, seed=1)
    exact = st.gamma(2.0 + COUNTS.sum(), scale=1.0 / (1.0 + N_COUNTS))
    x, w = result.particles["rate"].to_numpy(), result.weights
    mean, sd = weighted_moments(x, w)
    # Tolerances: Monte Carlo error of the mean is about sd / sqrt(ESS) = 0.33 / 40; the rest is
    # the ABC approximation at the final tolerance, which widens the posterior slightly.
    assert mean == pytest.approx(exact.mean(), abs=0.05)
    assert sd == pytest.approx(exact.std(), rel=0.15)
    assert weighted_quantile(x, w, [0.05, 0.95]) == pytest.approx(exact.ppf([0.05, 0.95]), abs=0.1)
    assert result.ess[-1] > 1000


@pytest.mark.statistical
def test_normal_mean_and_log_sd_match_a_quadrature_reference():
    n = 20
    data = np.random.default_rng(7).normal(1.0, 2.0, n)
    observed = [data.mean(), np.log(data.std(ddof=1))]
    priors = {"mu": st.norm(0.0, 5.0), "log_sigma": st.uniform(-2.0, 5.0)}

    def simulate(theta, seed):
        rng = np.random.default_rng(seed)
        mu, sigma = theta["mu"][:, None], np.exp(theta["log_sigma"])[:, None]
        x = rng.normal(mu, sigma, (len(mu), n))
        return np.column_stack([x.mean(axis=1), np.log(x.std(axis=1, ddof=1))])

    result = abc_smc(
        simulate, priors, observed, population_size=1000, budget=100_000, seed=3, progress=False
    )
    # Reference: the exact posterior on a grid (the uniform prior is flat inside its support).
    mu, log_sigma = np.meshgrid(np.linspace(-6, 8, 701), np.linspace(-2, 3, 701), indexing="ij")
    log_post = priors["mu"].logpdf(mu) + st.norm.logpdf(
        data, mu[..., None], np.exp(log_sigma)[..., None]
    ).sum(axis=-1)
    p = np.exp(log_post - log_post.max())
    p /= p.sum()
    for name, grid in (("mu", mu), ("log_sigma", log_sigma)):
        exact_mean = np.sum(p * grid)
        exact_sd = np.sqrt(np.sum(p * (grid - exact_mean) ** 2))
        mean, sd = weighted_moments(result.particles[name].to_numpy(), result.weights)
        # Within a fifth of a posterior sd for the mean, 20% for the sd.
        assert abs(mean - exact_mean) < 0.2 * exact_sd, name
        assert sd == pytest.approx(exact_sd, rel=0.2), name


# --- control of the run ------------------------------------------------------------------------


def test_same_seed_same_result_different_seed_differs():
    a, b, c = run_poisson(seed=5), run_poisson(seed=5), run_poisson(seed=6)
    np.testing.assert_array_equal(a.particles["rate"], b.particles["rate"])
    np.testing.assert_array_equal(a.weights, b.weights)
    np.testing.assert_array_equal(a.epsilons, b.epsilons)
    assert not np.array_equal(a.particles["rate"], c.particles["rate"])


def test_result_shapes_weights_and_history():
    result = run_poisson()
    assert result.parameter_names == ("rate",)
    assert len(result.particles) == len(result.weights) == len(result.distances) == 300
    assert result.statistics.shape == (300, 1)
    assert result.weights.sum() == pytest.approx(1.0)
    assert np.all(result.weights >= 0)
    assert np.all(result.particles["rate"] > 0)  # inside the Gamma prior's support
    # Every accepted particle is within the final tolerance, and tolerances decrease.
    assert np.all(result.distances <= result.epsilons[-1])
    assert result.epsilons[0] == np.inf
    assert np.all(np.diff(result.epsilons[1:]) <= 0)
    history = result.history()
    assert list(history.columns) == ["epsilon", "simulations", "acceptance_rate", "ess"]
    assert len(history) == result.n_generations
    assert history["acceptance_rate"].iloc[0] == 1.0
    assert result.ess[-1] == pytest.approx(1.0 / np.sum(result.weights**2))
    frame = result.to_frame()
    assert list(frame.columns) == ["rate", "weight", "distance"]


def test_budget_is_respected_and_the_last_complete_generation_returned():
    calls = []

    def counting(theta, seed):
        calls.append(len(theta["rate"]))
        return poisson_mean(theta, seed)

    result = abc_smc(
        counting,
        POISSON_PRIOR,
        POISSON_OBSERVED,
        population_size=300,
        budget=4_000,
        seed=2,
        progress=False,
    )
    assert result.stop_reason is StopReason.BUDGET
    assert sum(calls) == result.simulations_total <= 4_000
    # The generation cut short by the budget is discarded but its worlds are counted.
    assert result.simulations.sum() <= result.simulations_total
    assert len(result.particles) == 300
    assert np.all(result.distances <= result.epsilons[-1])


@pytest.mark.parametrize("limits", [{"budget": 450}, {"max_generations": 1}])
def test_a_run_that_returns_generation_0_warns_that_it_is_the_prior(limits):
    # 300 worlds make generation 0; 150 more cannot fill generation 1 (acceptance about 1/2).
    with pytest.warns(PriorOnlyWarning, match="sample of the prior") as caught:
        result = run_poisson(**limits)
    assert result.n_generations == 1
    assert "population_size = 300" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PriorOnlyWarning)
        assert run_poisson(max_generations=2).n_generations == 2


def test_tolerance_floor_stops_the_run():
    result = run_poisson(min_epsilon=0.4, budget=50_000)
    assert result.stop_reason is StopReason.MIN_EPSILON
    assert result.epsilons[-1] == pytest.approx(0.4)
    assert np.all(result.epsilons[1:-1] > 0.4)
    assert result.simulations_total < 50_000


def test_max_generations_counts_the_prior_generation():
    result = run_poisson(max_generations=3)
    assert result.stop_reason is StopReason.MAX_GENERATIONS
    assert result.n_generations == 3


def test_interrupted_run_resumed_equals_uninterrupted(tmp_path):
    options = {"population_size": 200, "budget": 20_000, "seed": 9, "max_generations": 6}
    uninterrupted = run_poisson(**options)
    path = tmp_path / "abc.npz"

    def interrupted(theta, seed):
        if seed.spawn_key[-3] == 3:  # the generation index: interrupt generation 3
            raise KeyboardInterrupt
        return poisson_mean(theta, seed)

    with pytest.raises(KeyboardInterrupt):
        abc_smc(
            interrupted, POISSON_PRIOR, POISSON_OBSERVED, checkpoint=path, progress=False, **options
        )
    # The checkpoint holds generations 0-2: asking for 3 generations returns it unchanged.
    partial = run_poisson(checkpoint=path, **{**options, "max_generations": 3})
    assert partial.n_generations == 3
    resumed = run_poisson(checkpoint=path, **options)
    np.testing.assert_array_equal(resumed.particles["rate"], uninterrupted.particles["rate"])
    np.testing.assert_array_equal(resumed.weights, uninterrupted.weights)
    np.testing.assert_array_equal(resumed.epsilons, uninterrupted.epsilons)
    np.testing.assert_array_equal(resumed.simulations, uninterrupted.simulations)
    assert resumed.simulations_total == uninterrupted.simulations_total


def test_resume_without_seed_uses_the_checkpoint_seed(tmp_path):
    path = tmp_path / "abc.npz"
    first = run_poisson(checkpoint=path, max_generations=2, seed=4)
    resumed = run_poisson(checkpoint=path, max_generations=4, seed=None)
    reference = run_poisson(max_generations=4, seed=4)
    assert resumed.seed_entropy == first.seed_entropy == 4
    np.testing.assert_array_equal(resumed.weights, reference.weights)


def test_finished_budget_run_resumes_without_simulating(tmp_path):
    path = tmp_path / "abc.npz"
    first = run_poisson(checkpoint=path, budget=4_000, seed=2)

    def refuse(theta, seed):
        raise AssertionError("simulate called on a finished run")

    again = abc_smc(
        refuse,
        POISSON_PRIOR,
        POISSON_OBSERVED,
        population_size=300,
        budget=4_000,
        seed=2,
        checkpoint=path,
        progress=False,
    )
    assert again.stop_reason is StopReason.BUDGET
    np.testing.assert_array_equal(again.weights, first.weights)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"population_size": 150}, "population_size"),
        ({"observed": np.array([2.5])}, "observed"),
        ({"priors": {"rate": st.gamma(3.0)}}, "priors"),
        ({"priors": {"lam": st.gamma(2.0)}}, "parameters"),
        ({"quantile": 0.3}, "quantile"),
        ({"seed": 12}, "seed entropy"),
    ],
)
def test_mismatched_checkpoint_raises(tmp_path, change, message):
    path = tmp_path / "abc.npz"
    run_poisson(checkpoint=path, max_generations=2, seed=3, population_size=200)
    arguments = {
        "priors": POISSON_PRIOR,
        "observed": POISSON_OBSERVED,
        "population_size": 200,
        "seed": 3,
        "quantile": 0.5,
    }
    arguments.update(change)
    with pytest.raises(ValueError, match=message):
        abc_smc(poisson_mean, checkpoint=path, budget=6_000, progress=False, **arguments)


def test_foreign_checkpoint_file_raises(tmp_path):
    path = tmp_path / "abc.npz"
    path.write_text("not a checkpoint")
    with pytest.raises(ValueError, match="not an ABC-SMC checkpoint"):
        run_poisson(checkpoint=path)


def test_simulate_gets_a_distinct_seed_per_batch():
    keys = []

    def recording(theta, seed):
        keys.append(seed.spawn_key)
        return poisson_mean(theta, seed)

    abc_smc(
        recording,
        POISSON_PRIOR,
        POISSON_OBSERVED,
        population_size=100,
        budget=3_000,
        seed=1,
        progress=False,
    )
    assert len(keys) == len(set(keys)) > 3
    assert all(key[-1] == 1 for key in keys)


def test_nan_statistics_are_handled():
    # Statistic 1 is undefined (NaN) in worlds with rate < 2, as it is in the data.
    def simulate(theta, seed):
        stats = poisson_mean(theta, seed)
        flag = np.where(theta["rate"] < 2.0, np.nan, 1.0)
        return np.column_stack([stats[:, 0], flag])

    result = abc_smc(
        simulate,
        POISSON_PRIOR,
        [2.0, np.nan],
        population_size=200,
        budget=5_000,
        seed=8,
        progress=False,
    )
    assert np.all(np.isfinite(result.distances))
    # The mean alone (2.0) would put about half the weight on each side of rate 2; worlds that
    # agree the statistic is undefined are favoured, so nearly all goes below.
    assert np.sum(result.weights[result.particles["rate"] < 2.0]) > 0.9


def test_bad_simulate_output_raises():
    with pytest.raises(ValueError, match="shape"):
        abc_smc(
            lambda theta, seed: np.zeros((3, 1)),
            POISSON_PRIOR,
            [1.0],
            population_size=10,
            budget=100,
            progress=False,
        )
    with pytest.raises(ValueError, match="infinite"):
        abc_smc(
            lambda theta, seed: np.full((10, 1), np.inf),
            POISSON_PRIOR,
            [1.0],
            population_size=10,
            budget=100,
            progress=False,
        )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"priors": {"rate": 3.0}}, TypeError, "scipy.stats"),
        ({"priors": {}}, ValueError, "priors is empty"),
        ({"priors": {"weight": st.gamma(2.0)}}, ValueError, "reserved"),
        ({"budget": 50}, ValueError, "budget"),
        ({"quantile": 1.0}, ValueError, "quantile"),
        ({"observed": [[1.0]]}, ValueError, "observed"),
        ({"scale": "iqr"}, ValueError, "scale"),
        ({"seed": np.random.default_rng(1)}, TypeError, "Generator"),
    ],
)
def test_bad_arguments_raise(kwargs, error, message):
    arguments = {
        "priors": POISSON_PRIOR,
        "observed": [3.0],
        "population_size": 100,
        "budget": 1_000,
        "progress": False,
    }
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        abc_smc(poisson_mean, **arguments)


def test_progress_bar_goes_to_stderr_only_when_asked(capsys, monkeypatch):
    run_poisson(progress=True, max_generations=2)
    assert "ABC-SMC" in capsys.readouterr().err
    monkeypatch.setenv("CI", "true")
    run_poisson(progress=None, max_generations=2)
    assert capsys.readouterr().err == ""


def test_a_last_generation_on_few_particles_is_warned_of():
    # Kish ESS 1 / sum w^2: two particles of 0.5 among 100 give 2, below a tenth of 100.
    lopsided = np.zeros(100)
    lopsided[:2] = 0.5
    with pytest.warns(FewParticlesWarning, match=r"effective sample size of 2\.0 of 100"):
        warn_if_few_particles(lopsided, StopReason.BUDGET)
    even = np.full(100, 0.01)  # ESS 100
    fifth = np.r_[np.full(20, 0.05), np.zeros(80)]  # ESS 20: a fifth, above a tenth
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewParticlesWarning)
        warn_if_few_particles(even, StopReason.BUDGET)
        warn_if_few_particles(fifth, StopReason.BUDGET)


def test_a_healthy_run_does_not_warn_of_few_particles():
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewParticlesWarning)
        result = run_poisson(max_generations=3)
    assert result.n_generations == 3

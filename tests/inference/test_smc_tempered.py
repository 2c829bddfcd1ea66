"""Likelihood-tempered SMC: known posteriors and evidences, an HMM against quadrature, control."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from scipy.special import gammaln, logsumexp

from escalation.inference.hmm import forward_loglik
from escalation.inference.smc import (
    _GaussianKernel,
    _Priors,
    _StudentProposal,
    next_temperature,
    resample,
    tempered_smc,
)

# Poisson-gamma: 30 counts with rate 3; prior Gamma(shape 2, rate 1). Posterior Gamma(2 + S, 1 + n).
COUNTS = np.random.default_rng(20210101).poisson(3.0, 30)
SHAPE, RATE = 2.0, 1.0
GAMMA_PRIOR = {"rate": st.gamma(SHAPE, scale=1.0 / RATE)}


def poisson_loglik(theta):
    rate = theta["rate"][:, None]
    return np.sum(COUNTS * np.log(rate) - rate - gammaln(COUNTS + 1), axis=1)


def poisson_gamma_log_evidence():
    """log p(y) = sum -log y_i! + a log b - log G(a) + log G(a + S) - (a + S) log(b + n)."""
    total, n = COUNTS.sum(), len(COUNTS)
    return (
        -gammaln(COUNTS + 1).sum()
        + SHAPE * np.log(RATE)
        - gammaln(SHAPE)
        + gammaln(SHAPE + total)
        - (SHAPE + total) * np.log(RATE + n)
    )


def run_poisson(**kwargs):
    options = {"population_size": 1000, "seed": 11, "progress": False}
    options.update(kwargs)
    return tempered_smc(poisson_loglik, GAMMA_PRIOR, **options)


# --- helpers by hand -----------------------------------------------------------------------------


def test_next_temperature_by_hand():
    # Two particles, log likelihoods 0 and -10. The ESS share of weights (1, w) is
    # (1 + w)^2 / (2 (1 + w^2)); it equals 0.9 at 0.8 w^2 - 2 w + 0.8 = 0, w = 1/2, so the step
    # is log(2) / 10 above the current temperature.
    assert next_temperature(np.array([0.0, -10.0]), 0.0, 0.9) == pytest.approx(np.log(2) / 10)
    assert next_temperature(np.array([0.0, -10.0]), 0.5, 0.9) == pytest.approx(0.5 + np.log(2) / 10)
    # Particles of zero likelihood are left out of the share: the same step.
    with_dead = np.array([0.0, -10.0, -np.inf, -np.inf])
    assert next_temperature(with_dead, 0.0, 0.9) == pytest.approx(np.log(2) / 10)
    # A flat likelihood costs no ESS: straight to 1.
    assert next_temperature(np.array([-3.0, -3.0]), 0.2, 0.9) == 1.0
    with pytest.raises(ValueError, match="every particle"):
        next_temperature(np.array([-np.inf]), 0.0, 0.5)


def test_systematic_resampling_keeps_each_count_within_one_of_its_share():
    weights = np.array([0.05, 0.15, 0.3, 0.5])
    for seed in range(20):
        index = resample(np.random.default_rng(seed), weights, 10, "systematic")
        counts = np.bincount(index, minlength=4)
        assert counts.sum() == 10
        assert np.all(counts >= np.floor(10 * weights)) and np.all(counts <= np.ceil(10 * weights))
    with pytest.raises(ValueError, match="scheme"):
        resample(np.random.default_rng(0), weights, 10, "stratified")


# --- known answers -------------------------------------------------------------------------------


@pytest.mark.statistical
def test_poisson_gamma_posterior_and_evidence():
    result = run_poisson()
    exact = st.gamma(SHAPE + COUNTS.sum(), scale=1.0 / (RATE + len(COUNTS)))
    x = result.particles["rate"].to_numpy()
    # Across 20 seeds (1,000 particles) the Monte Carlo sds were: mean 0.0085, sd 0.0076, log
    # evidence 0.040. Tolerances are about four of them.
    assert x.mean() == pytest.approx(exact.mean(), abs=0.035)
    assert x.std() == pytest.approx(exact.std(), abs=0.03)
    assert np.quantile(x, [0.05, 0.95]) == pytest.approx(exact.ppf([0.05, 0.95]), abs=0.06)
    assert result.log_evidence == pytest.approx(poisson_gamma_log_evidence(), abs=0.16)
    assert result.temperatures[0] == 0.0 and result.temperatures[-1] == 1.0
    assert np.all(np.diff(result.temperatures) > 0)


def test_student_proposal_density_is_scipys_multivariate_t():
    # Metropolis-Hastings needs the proposal's log density up to a constant: differences between
    # points must equal scipy's.
    mean, covariance = np.array([0.5, -1.0]), np.array([[2.0, 0.3], [0.3, 0.5]])
    proposal = _StudentProposal(mean, _GaussianKernel(np.linalg.cholesky(covariance)), df=5.0)
    points = proposal.draw(np.random.default_rng(3), 6)
    exact = st.multivariate_t(mean, covariance, df=5.0).logpdf(points)
    ours = proposal.log_density(points)
    assert ours - ours[0] == pytest.approx(exact - exact[0], abs=1e-12)


def test_student_proposal_draws_have_the_t_distribution():
    mean, covariance = np.array([1.0, 2.0]), np.array([[1.0, -0.4], [-0.4, 3.0]])
    proposal = _StudentProposal(mean, _GaussianKernel(np.linalg.cholesky(covariance)), df=5.0)
    draws = proposal.draw(np.random.default_rng(4), 4000)
    # Each coordinate is a scaled univariate t_5.
    for i in range(2):
        standard = (draws[:, i] - mean[i]) / np.sqrt(covariance[i, i])
        assert st.kstest(standard, st.t(5.0).cdf).pvalue > 0.001


@pytest.mark.statistical
def test_independence_moves_alone_keep_the_posterior():
    # min_jump 0 stops after the first move of each step, which is always an independence move:
    # a wrong Hastings correction would bias the posterior towards the proposal.
    result = run_poisson(min_jump=0.0)
    assert np.all(result.moves[1:] == 1)
    exact = st.gamma(SHAPE + COUNTS.sum(), scale=1.0 / (RATE + len(COUNTS)))
    x = result.particles["rate"].to_numpy()
    assert x.mean() == pytest.approx(exact.mean(), abs=0.035)
    assert x.std() == pytest.approx(exact.std(), abs=0.03)


@pytest.mark.statistical
def test_zero_likelihood_region_truncates_the_posterior():
    # Uniform(0, 10) prior and a likelihood that is 0 above rate 4: the posterior is the
    # Gamma(1 + S, n) density truncated to (0, 4), the evidence (1/10) * int_0^4 L.
    def truncated(theta):
        values = poisson_loglik(theta)
        return np.where(theta["rate"] > 4.0, -np.inf, values)

    total, n = COUNTS.sum(), len(COUNTS)
    shape = 1.0 + total
    kernel = st.gamma(shape, scale=1.0 / n)
    log_evidence = (
        np.log(0.1)
        - gammaln(COUNTS + 1).sum()
        + gammaln(shape)
        - shape * np.log(n)
        + np.log(kernel.cdf(4.0))
    )
    result = tempered_smc(
        truncated, {"rate": st.uniform(0.0, 10.0)}, population_size=1000, seed=5, progress=False
    )
    x = result.particles["rate"].to_numpy()
    assert x.max() <= 4.0
    mean = kernel.expect(lambda v: v, lb=0.0, ub=4.0, conditional=True)
    assert x.mean() == pytest.approx(mean, abs=0.035)
    assert result.log_evidence == pytest.approx(log_evidence, abs=0.16)


@pytest.mark.statistical
def test_bivariate_normal_posterior_and_evidence():
    # y_i ~ N(mu, Sigma), i = 1..n, prior mu ~ N(m0, S0). Posterior N(m, S) with
    # S = (S0^-1 + n Sigma^-1)^-1, m = S (S0^-1 m0 + n Sigma^-1 ybar). The evidence factorises as
    # p(y) = N(ybar; m0, S0 + Sigma / n) * prod N(y_i; ybar, Sigma) / N(ybar; ybar, Sigma / n).
    sigma = np.array([[1.0, 0.6], [0.6, 2.0]])
    m0, s0 = np.array([0.0, 1.0]), np.diag([4.0, 9.0])
    y = np.random.default_rng(8).multivariate_normal([1.5, -1.0], sigma, 15)
    n, ybar = len(y), y.mean(axis=0)
    precision = np.linalg.inv(s0) + n * np.linalg.inv(sigma)
    s = np.linalg.inv(precision)
    m = s @ (np.linalg.solve(s0, m0) + n * np.linalg.solve(sigma, ybar))
    log_evidence = (
        st.multivariate_normal(m0, s0 + sigma / n).logpdf(ybar)
        + st.multivariate_normal(ybar, sigma).logpdf(y).sum()
        - st.multivariate_normal(ybar, sigma / n).logpdf(ybar)
    )

    def loglik(theta):
        mu = np.column_stack([theta["mu1"], theta["mu2"]])
        diff = y[None, :, :] - mu[:, None, :]
        return st.multivariate_normal(np.zeros(2), sigma).logpdf(diff).sum(axis=1)

    priors = {"mu1": st.norm(m0[0], 2.0), "mu2": st.norm(m0[1], 3.0)}
    result = tempered_smc(loglik, priors, population_size=1000, seed=2, progress=False)
    x = result.particles[["mu1", "mu2"]].to_numpy()
    sd = np.sqrt(np.diag(s))
    # Means within 0.15 posterior sd (MC sd about 0.03 sd at an ESS near 1,000), sds within 10%.
    assert np.abs(x.mean(axis=0) - m) == pytest.approx([0, 0], abs=0.15 * sd.min())
    assert x.std(axis=0) == pytest.approx(sd, rel=0.1)
    assert np.corrcoef(x.T)[0, 1] == pytest.approx(s[0, 1] / sd.prod(), abs=0.08)
    assert result.log_evidence == pytest.approx(log_evidence, abs=0.2)


# Two-state hidden Markov Poisson model: quiet and surge days, rates rate_quiet and
# rate_quiet + surge_extra; known transitions. The series is simulated with rates 1 and 5.
HMM_TRANSITION = np.array([[0.9, 0.1], [0.2, 0.8]])
HMM_INITIAL = np.array([2.0, 1.0]) / 3.0  # the chain's stationary distribution
HMM_PRIORS = {"rate_quiet": st.gamma(2.0, scale=1.0), "surge_extra": st.gamma(2.0, scale=2.0)}


def hmm_series(n_days=60, seed=12):
    rng = np.random.default_rng(seed)
    states = [rng.choice(2, p=HMM_INITIAL)]
    for _ in range(n_days - 1):
        states.append(rng.choice(2, p=HMM_TRANSITION[states[-1]]))
    return rng.poisson(np.array([1.0, 5.0])[states])


HMM_COUNTS = hmm_series()


def hmm_loglik(theta):
    rates = np.column_stack([theta["rate_quiet"], theta["rate_quiet"] + theta["surge_extra"]])
    y = HMM_COUNTS[None, :, None]
    log_emissions = y * np.log(rates[:, None, :]) - rates[:, None, :] - gammaln(y + 1)
    return forward_loglik(log_emissions, np.log(HMM_TRANSITION), np.log(HMM_INITIAL)).loglik


@pytest.mark.statistical
def test_hidden_markov_posterior_matches_grid_quadrature():
    # Midpoint rule on a grid fine against the posterior's spread (sds about 0.2 and 0.7).
    quiet = (np.arange(200) + 0.5) * (4.0 / 200)
    extra = (np.arange(200) + 0.5) * (16.0 / 200)
    grid_quiet, grid_extra = np.meshgrid(quiet, extra, indexing="ij")
    theta = {"rate_quiet": grid_quiet.ravel(), "surge_extra": grid_extra.ravel()}
    log_joint = (
        hmm_loglik(theta)
        + HMM_PRIORS["rate_quiet"].logpdf(theta["rate_quiet"])
        + HMM_PRIORS["surge_extra"].logpdf(theta["surge_extra"])
    )
    log_evidence = logsumexp(log_joint) + np.log((4.0 / 200) * (16.0 / 200))
    p = np.exp(log_joint - log_joint.max())
    p /= p.sum()

    result = tempered_smc(hmm_loglik, HMM_PRIORS, population_size=1000, seed=4, progress=False)
    for name in HMM_PRIORS:
        exact_mean = np.sum(p * theta[name])
        exact_sd = np.sqrt(np.sum(p * (theta[name] - exact_mean) ** 2))
        x = result.particles[name].to_numpy()
        assert abs(x.mean() - exact_mean) < 0.15 * exact_sd, name
        assert x.std() == pytest.approx(exact_sd, rel=0.1), name
    assert result.log_evidence == pytest.approx(log_evidence, abs=0.2)


# --- control of the run --------------------------------------------------------------------------


def test_same_seed_same_result_different_seed_differs():
    a, b, c = run_poisson(seed=5), run_poisson(seed=5), run_poisson(seed=6)
    np.testing.assert_array_equal(a.to_frame(), b.to_frame())
    np.testing.assert_array_equal(a.temperatures, b.temperatures)
    assert a.log_evidence == b.log_evidence
    assert not np.array_equal(a.particles["rate"], c.particles["rate"])


def test_result_history_and_invariants():
    result = run_poisson(population_size=400)
    history = result.history()
    assert list(history.columns) == [
        "temperature",
        "log_evidence_increment",
        "ess",
        "acceptance_rate",
        "moves",
        "scale",
        "evaluations",
    ]
    assert len(history) == result.n_steps >= 2
    assert result.log_evidence == pytest.approx(result.log_evidence_increments.sum())
    assert result.weights == pytest.approx(np.full(400, 1 / 400))
    # The likelihood stored per particle is the likelihood of that particle.
    rates = result.particles["rate"].to_numpy()
    np.testing.assert_allclose(result.loglik, poisson_loglik({"rate": rates}))
    # Each step keeps about target_ess = 0.5 of the population before resampling (the last step,
    # stopping at temperature 1, may keep more).
    assert result.ess[1:-1] == pytest.approx(200, rel=0.01)
    assert np.all(result.ess[1:] >= 199)
    assert np.all((result.moves[1:] >= 1) & (result.moves[1:] <= 20))
    assert np.all((result.acceptance_rates[1:] > 0.05) & (result.acceptance_rates[1:] < 0.95))
    assert result.evaluations_total == result.evaluations.sum() > 400
    assert list(result.to_frame().columns) == ["rate", "weight", "loglik"]


def test_loglik_sees_the_whole_population_inside_the_support():
    sizes = []

    def recording(theta):
        sizes.append(len(theta["rate"]))
        assert np.all(theta["rate"] > 0)
        return poisson_loglik(theta)

    result = tempered_smc(
        recording, GAMMA_PRIOR, population_size=300, seed=1, max_moves=3, progress=False
    )
    assert sizes[0] == 300
    assert sum(sizes) == result.evaluations_total
    assert len(sizes) == 1 + result.moves.sum()  # one batched call per move


def test_moves_repeat_until_the_particles_have_jumped_far_enough():
    # min_jump 0 is met by any single move; a larger one needs more moves per step, up to the cap.
    single = run_poisson(population_size=300, min_jump=0.0)
    assert np.all(single.moves[1:] == 1)
    far = run_poisson(population_size=300, min_jump=3.0)
    assert np.all(far.moves[1:] > 1)
    capped = run_poisson(population_size=300, min_jump=1e6, max_moves=4)
    assert np.all(capped.moves[1:] == 4)


def test_interrupted_run_resumed_equals_uninterrupted(tmp_path):
    uninterrupted = run_poisson(population_size=300)
    path = tmp_path / "tempered.npz"
    calls = []

    def interrupted(theta):
        calls.append(1)
        if len(calls) == 10:
            raise KeyboardInterrupt
        return poisson_loglik(theta)

    with pytest.raises(KeyboardInterrupt):
        tempered_smc(
            interrupted, GAMMA_PRIOR, population_size=300, seed=11, checkpoint=path, progress=False
        )
    assert path.exists()
    resumed = run_poisson(population_size=300, checkpoint=path, seed=None)
    np.testing.assert_array_equal(resumed.to_frame(), uninterrupted.to_frame())
    np.testing.assert_array_equal(resumed.history(), uninterrupted.history())
    assert resumed.log_evidence == uninterrupted.log_evidence
    assert resumed.seed_entropy == 11

    def refuse(theta):
        raise AssertionError("loglik called on a finished run")

    again = tempered_smc(refuse, GAMMA_PRIOR, population_size=300, seed=11, checkpoint=path)
    assert again.log_evidence == uninterrupted.log_evidence


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"population_size": 200}, "population_size"),
        ({"priors": {"rate": st.gamma(3.0)}}, "priors"),
        ({"target_ess": 0.7}, "target_ess"),
        ({"seed": 12}, "seed entropy"),
        ({"identity": {"data": "another record"}}, "identity"),
    ],
)
def test_mismatched_checkpoint_raises(tmp_path, change, message):
    path = tmp_path / "tempered.npz"
    run_poisson(population_size=100, checkpoint=path, seed=3)
    arguments = {"priors": GAMMA_PRIOR, "population_size": 100, "seed": 3, "progress": False}
    arguments.update(change)
    with pytest.raises(ValueError, match=message):
        tempered_smc(poisson_loglik, checkpoint=path, **arguments)


def test_abc_checkpoint_is_not_a_tempered_one(tmp_path):
    path = tmp_path / "other.npz"
    path.write_text("not a checkpoint")
    with pytest.raises(ValueError, match="not a tempered-SMC checkpoint"):
        run_poisson(checkpoint=path)


@pytest.mark.parametrize(
    ("loglik", "message"),
    [
        (lambda theta: np.zeros((len(theta["rate"]), 2)), r"shape \(100, 2\)"),
        (lambda theta: np.full(len(theta["rate"]), np.nan), r"returned nan for parameters"),
        (lambda theta: np.full(len(theta["rate"]), -np.inf), "-inf for all 100 prior draws"),
    ],
)
def test_bad_loglik_output_raises(loglik, message):
    with pytest.raises(ValueError, match=message):
        tempered_smc(loglik, GAMMA_PRIOR, population_size=100, seed=1, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"priors": {"rate": 3.0}}, TypeError, "scipy.stats"),
        ({"priors": {}}, ValueError, "priors is empty"),
        ({"priors": {"loglik": st.gamma(2.0)}}, ValueError, "reserved"),
        ({"population_size": 1}, ValueError, "population_size"),
        ({"target_ess": 1.0}, ValueError, "target_ess"),
        ({"target_acceptance": 0.0}, ValueError, "target_acceptance"),
        ({"max_moves": 0}, ValueError, "max_moves"),
        ({"min_jump": -1.0}, ValueError, "min_jump"),
    ],
)
def test_bad_arguments_raise(kwargs, error, message):
    arguments = {"priors": GAMMA_PRIOR, "population_size": 100, "progress": False}
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        tempered_smc(poisson_loglik, **arguments)


def test_too_few_steps_raise_and_progress_goes_to_stderr(capsys):
    with pytest.raises(RuntimeError, match="raise max_steps"):
        run_poisson(population_size=100, max_steps=2, target_ess=0.99)
    run_poisson(population_size=100, progress=True)
    assert "tempered SMC" in capsys.readouterr().err


def test_moves_run_in_unbounded_coordinates_with_the_right_jacobian():
    """Particles map to unbounded coordinates and back, and the log Jacobian the random walk
    adds to the target is log |d theta / d z|, checked here by central differences."""
    space = _Priors(
        {
            "both": st.beta(2, 3, loc=1.0, scale=4.0),  # support (1, 5): logit
            "below": st.gamma(2.0),  # support (0, inf): log
            "none": st.norm(0.0, 1.0),  # unbounded: unchanged
        }
    )
    theta = np.array([[1.5, 0.2, -3.0], [4.9, 30.0, 2.0]])
    free = space.to_free(theta)
    back, log_jacobian = space.from_free(free)
    np.testing.assert_allclose(back, theta, rtol=1e-12)
    h = 1e-6
    numeric = np.zeros(len(theta))
    for j in range(theta.shape[1]):
        step = np.zeros(theta.shape[1])
        step[j] = h
        slope = (space.from_free(free + step)[0] - space.from_free(free - step)[0])[:, j] / (2 * h)
        numeric += np.log(slope)
    np.testing.assert_allclose(log_jacobian, numeric, rtol=1e-6)

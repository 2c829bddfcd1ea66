"""The reporting layer: batched, thinned convoy-IED reports (issue 12, mechanism 1).

Expectations come from outside the code under test: the Pólya-Aeppli law by brute-force
convolution of Poisson batches of geometric size; its likelihood against the Poisson count and
weapon mix of full reporting, which it must equal when batches hold one report and every IED
is reported; the simulated means against rate x share x report probability.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats

import escalation
from escalation.model.likelihood import (
    attack_log_likelihood,
    log_poisson,
    log_polya_aeppli,
    polya_aeppli_pmf,
    reported_attack_log_likelihood,
)
from escalation.model.model import EscalationModel
from escalation.model.policies import BatchedReporting, FullReporting
from escalation.model.scenario import Scenario
from escalation.model.streams import categorical

KMAX = 12


def brute_force_pmf(lam: float, p: float, kmax: int) -> np.ndarray:
    """P(K = 0..kmax) for K = sum of Poisson(lam) geometric batches, by explicit convolution."""
    batch = np.zeros(kmax + 1)
    batch[1:] = scipy.stats.geom.pmf(np.arange(1, kmax + 1), 1.0 - p)  # sizes 1, 2, ...
    total = np.zeros(kmax + 1)
    convolved = np.eye(kmax + 1)[0]  # zero batches: K = 0
    for j in range(kmax + 1):  # at most kmax batches reach kmax
        total += scipy.stats.poisson.pmf(j, lam) * convolved
        convolved = np.convolve(convolved, batch)[: kmax + 1]
    return total


@pytest.mark.parametrize(("lam", "p"), [(0.3, 0.0), (0.3, 0.5), (1.7, 0.2), (0.05, 0.8)])
def test_polya_aeppli_matches_brute_force(lam, p):
    expected = brute_force_pmf(lam, p, KMAX)
    table = polya_aeppli_pmf(KMAX, np.array([lam]), np.array([p]))[0]
    np.testing.assert_allclose(table, expected, rtol=1e-10, atol=1e-300)
    closed = np.array([log_polya_aeppli(k, np.array([lam]), np.array([p]))[0] for k in range(8)])
    np.testing.assert_allclose(closed, np.log(expected[:8]), rtol=1e-10)


def test_polya_aeppli_mean_is_rate_times_batch_mean():
    lam, p = 0.4, 0.6
    pmf = polya_aeppli_pmf(200, np.array([lam]), np.array([p]))[0]
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    assert pmf @ np.arange(201) == pytest.approx(lam / (1 - p), rel=1e-10)


def test_full_reporting_law_is_the_poisson_ied_count():
    batch_rate, batch_continue = FullReporting().ied_observation(np.array([0.2]), 0.3, 4.0)
    assert batch_rate[0] == 0.2 and batch_continue[0] == 0.0


def test_batched_reporting_keeps_the_reported_mean():
    batch_rate, batch_continue = BatchedReporting().ied_observation(np.array([0.2]), 0.35, 2.5)
    assert batch_rate[0] / (1 - batch_continue[0]) == pytest.approx(0.2 * 0.35, rel=1e-12)


@pytest.mark.parametrize(
    "observed", [[], [2, 2], [0, 2, 1, 4], [3, 0, 0], [2, 0, 2, 2, 1]], ids=str
)
def test_split_likelihood_equals_full_reporting_with_single_reports(observed):
    """Poisson(others) x Poisson(IEDs) x interleavings x mix without IEDs = Poisson(all) x mix."""
    observed = np.array(observed, dtype=int)
    weapons = np.array([[0.5, 0.1, 0.35, 0.05], [0.2, 0.3, 0.45, 0.05]])
    rate = np.array([0.4, 1.1])
    ir, idr = np.array([0.1, 0.2]), np.array([0.3, 0.0])
    full = log_poisson(len(observed), rate) + attack_log_likelihood(weapons, ir, idr, observed)
    ied = rate * weapons[:, 2]
    split = reported_attack_log_likelihood(rate - ied, ied, np.zeros(2), weapons, ir, idr, observed)
    np.testing.assert_allclose(split, full, rtol=0, atol=1e-10)


def _january(policy: str) -> Scenario:
    base = Scenario.coerce("baseline_2021").with_policy("militia", "reporting", policy)
    return dataclasses.replace(base, end=pd.Timestamp("2021-02-28").date(), posterior=None)


def test_replayed_likelihood_unchanged_with_every_ied_reported_one_by_one():
    """On January-February 2021 (no day near the probability floor) the batched layer with
    report probability 1 and batches of 1 scores the record exactly as full reporting."""
    events = escalation.load_events()
    full = escalation.loglik(_january("full_reporting"), events, by="actor")
    single = escalation.loglik(
        {"ied_report_prob": [1.0], "ied_batch_mean": [1.0]},
        events,
        by="actor",
        scenario=_january("batched_reporting"),
    )
    assert single["militia"].iloc[0] == pytest.approx(full["militia"].iloc[0], abs=1e-10)
    batched = escalation.loglik(_january("batched_reporting"), events, by="actor")
    assert batched["militia"].iloc[0] != pytest.approx(full["militia"].iloc[0], abs=1e-3)


def test_simulated_reports_have_the_stated_means():
    """Without feedback (no reprisal, unrestrained harassment, no talks), reported IEDs average
    rate x IED share x report probability a day and true attacks the rate; others all reported."""
    scenario = (
        _january("batched_reporting")
        .with_policy("militia", "reprisal", "none")
        .with_policy("militia", "harassment", "unrestrained")
        .with_policy("Iran", "patronage", "full_push")
        .with_policy("Iraqi government", "crackdown", "none")
        .with_policy("militia", "campaigns", "none")
        # One theatre: the IED share of all attacks is then ied_share x (1 - drone_share).
        .with_policy("militia", "geography", "one_theatre")
    )
    params = {"militia_attack_rate": 0.8, "drone_share": 0.2, "ied_share": 0.5}
    params |= {"ied_report_prob": 0.4, "ied_batch_mean": 3.0, "drawdown_calm": 0.0}
    model = EscalationModel(scenario, n_worlds=4000, seed=7, parameters=params).run()
    days = model.days
    counts = {k: v[:days].astype(float) for k, v in model.daily_counts.items()}
    ied_rate = 0.8 * 0.8 * 0.5
    worlds_days = days * model.n_worlds
    true_mean = counts["militia_attacks_true"].sum() / worlds_days
    ied_mean = counts["ied_attack"].sum() / worlds_days
    sd = math.sqrt(0.8 / worlds_days)
    assert true_mean == pytest.approx(0.8, abs=5 * sd)
    assert ied_mean == pytest.approx(ied_rate * 0.4, abs=5 * math.sqrt(0.128 * 5 / worlds_days))
    reported_others = counts["militia_attacks"].sum() / worlds_days - ied_mean
    assert reported_others == pytest.approx(0.8 - ied_rate, abs=5 * sd)
    # Batches: the share of IED-days with two or more is far above a Poisson's at this mean.
    ied_days = counts["ied_attack"]
    several = (ied_days >= 2).sum() / max((ied_days >= 1).sum(), 1)
    poisson_several = 1 - scipy.stats.poisson.pmf(1, ied_rate * 0.4) / (
        1 - scipy.stats.poisson.pmf(0, ied_rate * 0.4)
    )
    assert several > 3 * poisson_several


def test_full_reporting_counts_every_attack_as_true():
    model = EscalationModel(_january("full_reporting"), n_worlds=50, seed=3).run()
    np.testing.assert_array_equal(
        model.daily_counts["militia_attacks_true"], model.daily_counts["militia_attacks"]
    )


def test_scenarios_without_a_reporting_slot_get_full_reporting(tmp_path):
    """A scenario file written before the slot existed keeps its meaning."""
    text = Scenario.coerce("baseline_2021").to_toml()
    old = "\n".join(line for line in text.splitlines() if not line.startswith("reporting ="))
    assert old != text
    path = tmp_path / "old.toml"
    path.write_text(old, encoding="utf-8")
    assert Scenario.coerce(path).policy("militia", "reporting").name == "full_reporting"


def test_a_table_cut_at_the_uniforms_draws_what_the_full_table_draws():
    """Simulation builds the Pólya-Aeppli table only as far as its uniforms reach: same draws."""
    rng = np.random.default_rng(3)
    lam, p, u = rng.uniform(0, 0.4, 4000), rng.uniform(0, 0.6, 4000), rng.uniform(size=4000)
    full = np.cumsum(polya_aeppli_pmf(20, lam, p), axis=1)
    full[:, -1] = 1.0
    cut = polya_aeppli_pmf(20, lam, p, reach=u)
    assert cut.shape[1] < full.shape[1]  # small rates: the cut table is shorter
    np.testing.assert_array_equal(cut, polya_aeppli_pmf(20, lam, p)[:, : cut.shape[1]])
    np.testing.assert_array_equal(categorical(np.cumsum(cut, axis=1), u), categorical(full, u))

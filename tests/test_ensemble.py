"""run_ensemble: identical worlds whatever the chunking and executor; summaries; save and load."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation import ensemble
from escalation.ensemble import (
    _HISTOGRAM,
    QUANTILES,
    EnsembleResult,
    count_quantiles,
    run_ensemble,
    simulate_statistics,
    sorted_quantiles,
)
from escalation.events.io import validate_events
from escalation.model.model import STATE_VARIABLES
from escalation.model.scenario import Scenario
from escalation.provenance import file_sha256

N = 24


@pytest.fixture(scope="module")
def short():
    """baseline_2021 over 90 days: enough for strikes and casualties, fast to run."""
    return dataclasses.replace(
        Scenario.load("baseline_2021"), end=dt.date(2021, 3, 31), posterior=None
    )


@pytest.fixture(scope="module")
def serial(short):
    return run_ensemble(short, N, seed=11, progress=False)


def _same(a: EnsembleResult, b: EnsembleResult):
    pd.testing.assert_frame_equal(a.worlds, b.worlds)
    pd.testing.assert_frame_equal(a.events.reset_index(drop=True), b.events.reset_index(drop=True))
    pd.testing.assert_frame_equal(a.daily, b.daily)
    for name in a.daily_worlds:
        np.testing.assert_array_equal(a.daily_worlds[name], b.daily_worlds[name])


@pytest.mark.slow
def test_chunking_does_not_change_any_world(short, serial):
    # The serial fixture is one chunk of N; here one world a chunk, and uneven chunks.
    for chunk in (1, 7):
        _same(serial, run_ensemble(short, N, seed=11, chunk_size=chunk, progress=False))


@pytest.mark.slow
def test_process_pool_gives_the_same_worlds(short, serial):
    with ProcessPoolExecutor(2) as pool:
        _same(serial, run_ensemble(short, N, seed=11, chunk_size=10, executor=pool, progress=False))


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_worlds(short, serial, dask_cluster):
    assert len(dask_cluster.scheduler_info()["workers"]) == 2
    _same(
        serial, run_ensemble(short, N, seed=11, chunk_size=6, executor=dask_cluster, progress=False)
    )


def test_different_seeds_differ(short, serial):
    other = run_ensemble(short, N, seed=12, progress=False)
    assert not serial.worlds.equals(other.worlds)


def test_a_world_is_the_same_in_a_smaller_ensemble(short, serial):
    small = run_ensemble(short, 5, seed=11, progress=False)
    pd.testing.assert_frame_equal(small.worlds, serial.worlds.iloc[:5])


def test_keep_events_false_keeps_the_same_summaries(short, serial):
    """Without events: the same worlds, exact means, and quantiles within one histogram bin.

    A histogram quantile is the lower edge of the bin holding the smallest value whose
    cumulative count reaches the level, so it is the exact ``inverted_cdf`` quantile of
    the per-world values, rounded down to its bin: ``exact - width < histogram <= exact``
    (values above the regular range fall in the last bin).
    """
    lean = run_ensemble(short, N, seed=11, chunk_size=7, keep_events=False, progress=False)
    assert lean.events is None and lean.daily_worlds is None
    pd.testing.assert_frame_equal(lean.worlds, serial.worlds)
    assert set(lean.daily["variable"]) == set(STATE_VARIABLES)
    for name in STATE_VARIABLES:
        values = serial.daily_worlds[name].astype(np.float64)  # (days, worlds)
        table = lean.daily[lean.daily["variable"] == name]
        np.testing.assert_allclose(table["mean"], values.mean(axis=1), rtol=0, atol=1e-6)
        top, bins = _HISTOGRAM[name]
        width = top / bins
        for level in QUANTILES:
            exact = np.minimum(np.quantile(values, level, axis=1, method="inverted_cdf"),
                               top - width)  # fmt: skip
            found = table[f"q{round(level * 100):02d}"].to_numpy()
            assert np.all(found <= exact + 1e-9), (name, level)
            assert np.all(found > exact - width - 1e-9), (name, level)
    # The ladder's bins are its rungs: its quantiles are exact.
    ladder = serial.daily_worlds["ladder"].astype(np.float64)
    lean_ladder = lean.daily[lean.daily["variable"] == "ladder"]
    np.testing.assert_array_equal(
        lean_ladder["q50"], np.quantile(ladder, 0.5, axis=1, method="inverted_cdf")
    )


class Interrupted(Exception):
    """Stands for a user's Ctrl-C in the middle of an ensemble."""


def _counting_chunks(monkeypatch, stop_at=None):
    """Make run_chunk record the first world of each chunk it runs, and stop at ``stop_at``."""
    ran = []
    real = ensemble.run_chunk

    def run_chunk(*task):
        if task[3] == stop_at:
            raise Interrupted
        ran.append(task[3])
        return real(*task)

    monkeypatch.setattr(ensemble, "run_chunk", run_chunk)
    return ran


@pytest.mark.parametrize("keep_events", [True, False])
def test_an_interrupted_ensemble_resumes_to_the_uninterrupted_result(
    short, serial, tmp_path, monkeypatch, keep_events
):
    whole = serial if keep_events else run_ensemble(short, N, seed=11, keep_events=False,
                                                    progress=False)  # fmt: skip
    with monkeypatch.context() as patch:
        ran = _counting_chunks(patch, stop_at=14)
        with pytest.raises(Interrupted):
            run_ensemble(short, N, seed=11, chunk_size=7, keep_events=keep_events,
                         progress=False, checkpoint=tmp_path)  # fmt: skip
        assert ran == [0, 7]
    # Resumed without the seed (the directory's is taken) and with another chunk size (the
    # directory's chunks are kept): only the chunks of worlds 14-20 and 21-23 run.
    with monkeypatch.context() as patch:
        ran = _counting_chunks(patch)
        resumed = run_ensemble(short, N, keep_events=keep_events, progress=False,
                               checkpoint=tmp_path)  # fmt: skip
        assert ran == [14, 21]
    if keep_events:
        _same(whole, resumed)
    else:
        pd.testing.assert_frame_equal(resumed.worlds, whole.worlds)
        pd.testing.assert_frame_equal(resumed.daily, whole.daily)
    assert resumed.manifest["seed"] == whole.manifest["seed"] and resumed.manifest["seeded"]
    with pytest.raises(ValueError, match="n_worlds"):
        run_ensemble(short, N + 1, seed=11, progress=False, checkpoint=tmp_path)
    # Another scenario is refused with the lines of its TOML that changed.
    changed = short.with_parameters(militia_attack_rate=0.5)
    with pytest.raises(
        ValueError, match=r"scenario_toml: lines differ .*\+militia_attack_rate = 0\.5"
    ):
        run_ensemble(changed, N, seed=11, keep_events=keep_events, progress=False,
                     checkpoint=tmp_path)  # fmt: skip
    with pytest.raises(ValueError, match="seed"):
        run_ensemble(short, N, seed=12, keep_events=keep_events, progress=False,
                     checkpoint=tmp_path)  # fmt: skip


def test_events_carry_global_world_ids_and_canonical_values(serial):
    ev = serial.events
    assert set(ev["world"]) <= set(range(N))
    assert validate_events(ev, origin="ensemble").shape[0] == len(ev)
    # Every militia row but a vow of revenge (a political act) is an attack.
    militia = ev[(ev["actor"] == "militia") & (ev["event_type"] != "political_action")]
    counts = militia.groupby("world").size().reindex(range(N), fill_value=0)
    np.testing.assert_array_equal(counts.to_numpy(), serial.worlds["militia_attacks"].to_numpy())


def test_summary_matches_hand_computation(serial):
    table = serial.summary().set_index("quantity")
    w = serial.worlds
    x = w["militia_attacks"].to_numpy(dtype=float)
    row = table.loc["militia_attacks"]
    assert row["estimate"] == pytest.approx(x.mean())
    assert row["mcse"] == pytest.approx(x.std(ddof=1) / math.sqrt(N))
    killed = (w["us_killed"] > 0).mean()
    row = table.loc["P(at least one American killed)"]
    assert row["estimate"] == pytest.approx(killed)
    assert row["mcse"] == pytest.approx(math.sqrt(killed * (1 - killed) / N))
    first = w["first_us_death_day"].dropna()
    row = table.loc["days to first American death (worlds with one)"]
    assert row["n"] == len(first)
    rung3 = (w["max_rung"] >= 3).mean()
    assert table.loc["P(reach rung 3: reprisal)", "estimate"] == pytest.approx(rung3)
    # A world whose first American death is on day d has a US death counted that day.
    daily_killed = serial.daily_worlds["us_killed"]
    for world, day in first.items():
        assert daily_killed[int(day), world] > 0
        assert daily_killed[: int(day), world].sum() == 0


def test_daily_quantiles_match_numpy(serial):
    index = serial.daily_worlds["escalation_index"].astype(float)
    day = serial.daily[serial.daily["variable"] == "escalation_index"]
    np.testing.assert_allclose(day["q50"], np.quantile(index, 0.5, axis=1))
    np.testing.assert_allclose(day["mean"], index.mean(axis=1))


def test_save_load_round_trip_with_manifest(serial, tmp_path):
    serial.save(tmp_path / "run")
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    for name, digest in manifest["outputs"].items():
        assert file_sha256(tmp_path / "run" / name) == digest
    assert manifest["n_worlds"] == N and manifest["seed"] == 11
    assert manifest["scenario_sha256"] == serial.scenario.sha256()
    for key in ("escalation_version", "git_commit", "created_utc", "versions"):
        assert key in manifest
    loaded = EnsembleResult.load(tmp_path / "run")
    pd.testing.assert_frame_equal(loaded.worlds, serial.worlds, check_dtype=False)
    pd.testing.assert_frame_equal(loaded.daily, serial.daily, check_dtype=False)
    pd.testing.assert_frame_equal(
        loaded.events.reset_index(drop=True),
        validate_events(serial.events).reset_index(drop=True),
    )
    for name in serial.daily_worlds:
        np.testing.assert_array_equal(loaded.daily_worlds[name], serial.daily_worlds[name])


def test_load_reads_only_the_files_its_manifest_lists(serial, short, tmp_path):
    """A result without events saved where one with events was: the old run's events.csv and
    arrays.npz stay in the folder, and are not this result's."""
    serial.save(tmp_path / "run")
    without = run_ensemble(short, N, seed=12, progress=False, keep_events=False)
    without.save(tmp_path / "run")
    assert (tmp_path / "run" / "events.csv").exists()
    loaded = EnsembleResult.load(tmp_path / "run")
    assert loaded.events is None and loaded.daily_worlds is None
    pd.testing.assert_frame_equal(loaded.worlds, without.worlds, check_dtype=False)


def test_load_refuses_a_changed_file(serial, tmp_path):
    serial.save(tmp_path / "run")
    worlds = tmp_path / "run" / "worlds.csv"
    worlds.write_text(worlds.read_text().replace("\n1,", "\n1,9", 1))
    with pytest.raises(ValueError, match="worlds.csv"):
        EnsembleResult.load(tmp_path / "run")


def test_per_world_parameters_reach_their_worlds(short):
    rate = np.zeros(6)
    rate[3] = 2.0
    result = run_ensemble(
        short, 6, seed=1, chunk_size=4, parameters={"militia_attack_rate": rate}, progress=False
    )
    attacks = result.worlds["militia_attacks"].to_numpy()
    assert attacks[3] > 50 and attacks[[0, 1, 2, 4, 5]].sum() == 0


def test_simulated_statistics_carry_the_regime_rates():
    """Batched worlds report the attack rate in each regime of the scenario's timeline."""
    scenario = Scenario.load("baseline_2021")
    table = simulate_statistics(scenario, {"militia_attack_rate": np.array([0.2, 0.3])}, seed=3)
    before = table["attacks_daily_rate_from_2021-01-01"]
    after = table["attacks_daily_rate_from_2021-07-26"]
    days_before = (dt.date(2021, 7, 26) - dt.date(2021, 1, 1)).days
    total = before * days_before + after * (365 - days_before)
    np.testing.assert_allclose(total, table["attacks_total"])


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 40),
    st.integers(0, 30),
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6),
    st.integers(0, 2**32 - 1),
)
def test_count_quantiles_equal_numpy_quantiles(rows, n, top, levels, seed):
    """Quantiles from histograms equal numpy's (linear interpolation), ties and all."""
    counts = np.random.default_rng(seed).integers(0, top + 1, size=(rows, n))
    np.testing.assert_array_equal(
        count_quantiles(counts, levels), np.quantile(counts.astype(float), levels, axis=1)
    )
    with pytest.raises(ValueError, match="non-negative"):
        count_quantiles(counts - top - 1, levels)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 40),
    st.sampled_from([3, 1000]),
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_sorted_quantiles_equal_numpy_quantiles(rows, n, distinct, levels, with_nan, seed):
    """Quantiles of float32 rows sorted as float32 equal numpy's of the widened rows, to the
    bit: ties (few distinct values), negative values and NaN rows included."""
    rng = np.random.default_rng(seed)
    values = (rng.integers(-distinct, distinct, size=(rows, n)) / 7.0).astype(np.float32)
    if with_nan:
        values[rng.integers(rows), rng.integers(n)] = np.nan
    np.testing.assert_array_equal(
        sorted_quantiles(values, levels),
        np.quantile(values.astype(np.float64), levels, axis=1),
    )

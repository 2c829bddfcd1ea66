"""The one seed rule, the one progress rule and checkpointed tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from escalation.ensemble import run_ensemble
from escalation.errors import CheckpointError
from escalation.forecasting import forecast
from escalation.runtime import (
    Checkpoint,
    checkpoint_seed,
    frame_arrays,
    frame_from_arrays,
    progress_bar,
    seed_sequence,
    show_progress,
)


def test_every_accepted_seed_gives_the_same_sequence_as_numpy():
    assert seed_sequence(7).entropy == np.random.SeedSequence(7).entropy
    assert seed_sequence([1, 2]).entropy == np.random.SeedSequence([1, 2]).entropy
    same = np.random.SeedSequence(3)
    assert seed_sequence(same) is same
    assert seed_sequence(None).entropy is not None


@pytest.mark.parametrize("bad", [-1, [3, -2], 1.5, "7", True])
def test_a_bad_seed_names_the_argument_and_what_was_expected(bad):
    with pytest.raises((ValueError, TypeError), match=r"^--seed: expected .*non-negative"):
        seed_sequence(bad, name="--seed")


def test_a_generator_is_refused_with_the_reason():
    with pytest.raises(TypeError, match="cannot be recorded"):
        seed_sequence(np.random.default_rng(1))


def test_progress_is_off_under_ci_and_when_asked(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert show_progress(None) is False
    assert show_progress(True) is True
    assert progress_bar(3, "x", "y", progress=False).disable


def test_a_result_says_whether_its_call_was_seeded():
    """Unseeded calls draw fresh entropy; their results say so (and record the entropy)."""
    short = dict(progress=False)
    assert run_ensemble("baseline_2021", 2, seed=1, **short).manifest["seeded"] is True
    unseeded = run_ensemble("baseline_2021", 2, **short)
    assert unseeded.manifest["seeded"] is False and unseeded.manifest["seed"] is not None
    assert forecast("baseline_2021", None, "2021-03-01", 7, n_worlds=2).extra["seeded"] is False
    assert forecast("baseline_2021", None, "2021-03-01", 7, n_worlds=2, seed=3).extra["seeded"]


def test_tables_round_trip_through_plain_arrays_and_odd_columns_are_refused():
    frame = pd.DataFrame(
        {
            "count": np.array([1, 2, 3]),
            "rate": [0.1, np.nan, 1e-300],
            "covered": [True, False, True],
            "date": pd.to_datetime(["2021-01-01", "2021-06-28", "2022-12-31"]),
            "method": ["Poisson", "Escalation model", ""],
            "actor": pd.Categorical(["militia", "US", "militia"], categories=["US", "militia"]),
        }
    )
    description, arrays = frame_arrays(frame, "t")
    assert all(array.dtype != object for array in arrays.values())  # no pickle needed
    pd.testing.assert_frame_equal(frame_from_arrays(description, arrays, "t"), frame)
    with pytest.raises(TypeError, match="'note'"):
        frame_arrays(pd.DataFrame({"note": ["a", None]}), "t")
    with pytest.raises(TypeError, match="'flag'"):  # a nullable column with a gap: no pickle
        frame_arrays(pd.DataFrame({"flag": pd.array([True, None], dtype="boolean")}), "t")
    with pytest.raises(TypeError, match="unique"):
        frame_arrays(pd.DataFrame([[1, 2]], columns=["a", "a"]), "t")


def written_checkpoint(tmp_path, config=None) -> Checkpoint:
    store = Checkpoint(tmp_path / "run.npz", "test-1", "a test", config or {"n": 3})
    store.save(np.random.SeedSequence(11, spawn_key=(4,)), {"step": 2}, {"x": np.arange(5)})
    return store


def test_a_checkpoint_round_trips_with_its_seed(tmp_path):
    store = written_checkpoint(tmp_path)
    header, arrays, root = store.load(None, None, seed_sequence(None))
    assert header["step"] == 2 and arrays["x"].tolist() == [0, 1, 2, 3, 4]
    assert (root.entropy, root.spawn_key) == (11, (4,))
    stored = checkpoint_seed(store.path)
    assert (stored.entropy, stored.spawn_key) == (11, (4,))
    assert checkpoint_seed(tmp_path / "absent.npz") is None


@pytest.mark.parametrize("damage", ["truncated", "emptied"])
def test_a_damaged_checkpoint_is_named_not_a_traceback(tmp_path, damage):
    store = written_checkpoint(tmp_path)
    content = store.path.read_bytes()
    store.path.write_bytes(content[: len(content) // 2] if damage == "truncated" else b"")
    with pytest.raises(CheckpointError, match=r"run\.npz is damaged or cut short.*delete it"):
        store.load(None, None, seed_sequence(None))
    assert checkpoint_seed(store.path) is None


def test_a_file_of_python_objects_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "run.npz"
    np.savez(path, header=np.array([{"a": 1}], dtype=object))
    store = Checkpoint(path, "test-1", "a test", {"n": 3})
    with pytest.raises(CheckpointError, match=r"not a test checkpoint \(it holds Python objects\)"):
        store.load(None, None, seed_sequence(None))


def test_a_changed_text_is_quoted_by_the_lines_that_differ(tmp_path):
    # A scenario's TOML: the refusal names the changed line, not two SHA-256s.
    before = 'name = "x"\n[parameters]\nmilitia_attack_rate = 0.3\ndeterrence = 0.3\n'
    written_checkpoint(tmp_path, {"scenario_toml": before})
    after = before.replace("militia_attack_rate = 0.3", "militia_attack_rate = 0.4")
    store = Checkpoint(tmp_path / "run.npz", "test-1", "a test", {"scenario_toml": after})
    with pytest.raises(CheckpointError) as info:
        store.load(None, None, seed_sequence(None))
    assert str(info.value).endswith(
        "scenario_toml: lines differ (-checkpoint, +this call): -militia_attack_rate = 0.3 | "
        "+militia_attack_rate = 0.4"
    )
    many = "\n".join(f"line {i}" for i in range(10))
    written_checkpoint(tmp_path, {"scenario_toml": many})
    store = Checkpoint(tmp_path / "run.npz", "test-1", "a test", {"scenario_toml": many + "!"})
    store_all = Checkpoint(tmp_path / "run.npz", "test-1", "a test", {"scenario_toml": "a\nb"})
    with pytest.raises(CheckpointError, match=r"-line 9 \| \+line 9!$"):
        store.load(None, None, seed_sequence(None))
    with pytest.raises(CheckpointError, match=r"-line 5 \| and 6 more$"):  # 10 - and 2 +
        store_all.load(None, None, seed_sequence(None))


def test_a_changed_setting_is_named_inside_nested_configurations(tmp_path):
    written_checkpoint(tmp_path, {"identity": {"window": ["2021-01-01", "2021-06-30"], "n": 3}})
    store = Checkpoint(
        tmp_path / "run.npz",
        "test-1",
        "a test",
        {"identity": {"window": ["2021-01-01", "2021-07-31"], "n": 3}},
    )
    with pytest.raises(CheckpointError) as info:
        store.load(None, None, seed_sequence(None))
    message = str(info.value)
    assert "identity.window: checkpoint has ['2021-01-01', '2021-06-30']" in message
    assert "identity.n" not in message
    # A setting the checkpoint has and this call lacks is a difference too.
    lacking = Checkpoint(
        tmp_path / "run.npz",
        "test-1",
        "a test",
        {"identity": {"window": ["2021-01-01", "2021-06-30"]}},
    )
    with pytest.raises(CheckpointError, match=r"identity\.n: checkpoint has 3, this call has None"):
        lacking.load(None, None, seed_sequence(None))

"""Tests of provenance manifests: hashes, git commit, seeds, and verification of saved files."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pytest

import escalation
from escalation import provenance
from escalation.provenance import (
    file_sha256,
    git_commit,
    git_dirty,
    manifest,
    verify_manifest,
    with_outputs,
)


@dataclass(frozen=True)
class StandIn:
    text: str = 'name = "base"\n[parameters]\nrate = 0.5\n'

    def to_toml(self) -> str:
        return self.text


def test_file_sha256_matches_hashlib(tmp_path):
    small = tmp_path / "small.csv"
    small.write_bytes(b"date,actor\n2021-02-15,militia\n")
    assert file_sha256(small) == hashlib.sha256(small.read_bytes()).hexdigest()
    large = tmp_path / "large.bin"  # more than one 1 MiB chunk
    large.write_bytes(np.random.default_rng(0).bytes(3 * (1 << 20) + 17))
    assert file_sha256(large) == hashlib.sha256(large.read_bytes()).hexdigest()


def test_manifest_records_scenario_seed_data_and_versions(tmp_path):
    data = tmp_path / "events.csv"
    data.write_text("a,b\n1,2\n")
    record = manifest(StandIn(), seed=7, n_worlds=100, data_files=[data], note="test run")
    assert record["escalation_version"] == escalation.__version__
    assert record["scenario_toml"] == StandIn().text
    assert record["scenario_sha256"] == hashlib.sha256(StandIn().text.encode()).hexdigest()
    assert (record["seed"], record["seed_spawn_key"]) == (7, [])
    assert record["n_worlds"] == 100
    assert record["data_files"] == {"events.csv": hashlib.sha256(b"a,b\n1,2\n").hexdigest()}
    assert record["note"] == "test run"
    assert record["versions"]["numpy"] == importlib.metadata.version("numpy")
    assert record["versions"]["mesa"] == importlib.metadata.version("mesa")
    created = datetime.fromisoformat(record["created_utc"])
    assert created.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - created).total_seconds()) < 60
    assert json.loads(json.dumps(record)) == record


def test_manifest_without_a_scenario_or_seed():
    record = manifest()
    assert record["scenario_toml"] is None and record["scenario_sha256"] is None
    assert record["seed"] is None and record["n_worlds"] is None
    assert record["data_files"] == {}


def test_seed_sequence_is_recorded_by_entropy_and_spawn_key():
    child = np.random.SeedSequence(123).spawn(2)[1]
    record = manifest(seed=child)
    assert record["seed"] == 123
    assert record["seed_spawn_key"] == [1]
    rebuilt = np.random.SeedSequence(record["seed"], spawn_key=record["seed_spawn_key"])
    assert rebuilt.generate_state(4).tolist() == child.generate_state(4).tolist()
    with pytest.raises(TypeError, match="Generator"):
        manifest(seed=np.random.default_rng(1))


def test_bad_manifest_arguments_raise(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder / "events.csv").write_text(folder)
    with pytest.raises(ValueError, match="two files named 'events.csv'"):
        manifest(data_files=[tmp_path / "a" / "events.csv", tmp_path / "b" / "events.csv"])
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        manifest(data_files=[tmp_path / "missing.csv"])
    with pytest.raises(ValueError, match=r"\['git_commit'\] would overwrite"):
        manifest(git_commit="abc")


def test_missing_git_gives_no_commit(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no git executable
    assert git_commit() is None
    record = manifest()
    assert record["git_commit"] is None and record["git_dirty"] is None


def test_hanging_git_gives_no_commit(monkeypatch):
    def hang(*args, **kwargs):
        raise subprocess.TimeoutExpired(cmd="git", timeout=kwargs["timeout"])

    monkeypatch.setattr(provenance.subprocess, "run", hang)
    assert git_commit() is None


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_commit_of_a_repository(tmp_path):
    def git(*args):
        return subprocess.run(
            ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    git("init", "-q")
    assert git_commit(tmp_path) is None  # no commit yet
    assert git_dirty(tmp_path) is None
    (tmp_path / "file.txt").write_text("x")
    git("add", "file.txt")
    git("commit", "-q", "-m", "first")
    assert git_commit(tmp_path) == git("rev-parse", "HEAD")
    assert len(git_commit(tmp_path)) == 40
    assert git_dirty(tmp_path) is False
    (tmp_path / "file.txt").write_text("changed")
    assert git_dirty(tmp_path) is True


def test_verify_manifest_detects_changed_and_missing_files(tmp_path):
    for name in ("samples.csv", "events.csv"):
        (tmp_path / name).write_text(f"{name}\n1\n")
    record = with_outputs(manifest(), tmp_path, ["samples.csv", "events.csv"])
    assert set(record["outputs"]) == {"samples.csv", "events.csv"}
    assert verify_manifest(record, tmp_path) == []
    (tmp_path / "samples.csv").write_text("samples.csv\n2\n")
    assert verify_manifest(record, tmp_path) == ["samples.csv"]
    (tmp_path / "events.csv").unlink()
    assert verify_manifest(record, tmp_path) == ["samples.csv", "events.csv"]


def test_verify_manifest_checks_input_data_files(tmp_path):
    data = tmp_path / "events_2021.csv"
    data.write_text("date\n2021-06-27\n")
    record = manifest(data_files=[data])
    assert verify_manifest(record, tmp_path, section="data_files") == []
    data.write_text("date\n2021-06-28\n")
    assert verify_manifest(record, tmp_path, section="data_files") == ["events_2021.csv"]
    with pytest.raises(ValueError, match="section must be one of"):
        verify_manifest(record, tmp_path, section="inputs")

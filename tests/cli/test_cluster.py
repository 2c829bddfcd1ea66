"""A Dask cluster reached by address: a scheduler and a worker as separate processes.

The cluster runs on 127.0.0.1 only. Worlds computed on it must equal a serial run's bit for
bit, through :func:`run_ensemble`, :func:`calibrate` and ``escalation run --scheduler``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from escalation.cli import scripts
from escalation.cli.main import main
from escalation.ensemble import run_ensemble
from escalation.events.io import load_events
from escalation.inference.calibration import calibrate

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30
ABC = {"method": "abc", "budget": 800, "population_size": 100}
LIKELIHOOD = {"method": "likelihood", "runs": 2, "population_size": 40, "max_moves": 2}


def _start(arguments: list[str], log: Path) -> subprocess.Popen[bytes]:
    """A Dask command as its own process, importing this checkout's ``escalation``."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    env.pop(scripts.SCHEDULER_VARIABLE, None)
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", *arguments], stdout=out, stderr=subprocess.STDOUT, env=env
        )


def _wait_for(condition, what: str, processes: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not condition():
        if any(p.poll() is not None for p in processes):
            raise RuntimeError(f"a Dask process exited while waiting for {what}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {STARTUP_SECONDS} s")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a scheduler with one registered single-threaded worker."""
    folder = tmp_path_factory.mktemp("dask")
    file = folder / "scheduler.json"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(
            _start(
                [
                    "distributed.cli.dask_scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    str(file),
                ],
                folder / "scheduler.log",
            )
        )
        _wait_for(file.exists, "scheduler file", processes)
        _wait_for(lambda: "address" in file.read_text() or False, "scheduler address", processes)
        scheduler = json.loads(file.read_text())["address"]
        assert scheduler.startswith("tcp://127.0.0.1:")
        processes.append(
            _start(
                [
                    "distributed.cli.dask_worker",
                    scheduler,
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                ],
                folder / "worker.log",
            )
        )
        with distributed.Client(scheduler, timeout=STARTUP_SECONDS) as client:
            _wait_for(lambda: len(client.scheduler_info()["workers"]) == 1, "worker", processes)
        yield scheduler
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _same_result(a, b) -> None:
    pd.testing.assert_frame_equal(a.worlds, b.worlds, check_exact=True)
    pd.testing.assert_frame_equal(a.daily, b.daily, check_exact=True)
    pd.testing.assert_frame_equal(
        a.events.reset_index(drop=True), b.events.reset_index(drop=True), check_exact=True
    )
    assert a.daily_worlds.keys() == b.daily_worlds.keys()
    for name in a.daily_worlds:
        np.testing.assert_array_equal(a.daily_worlds[name], b.daily_worlds[name])


def test_run_ensemble_on_a_remote_cluster_equals_a_serial_run(address: str) -> None:
    serial = run_ensemble("baseline_2021", 300, seed=5, progress=False)
    with distributed.Client(address) as client:
        remote = run_ensemble("baseline_2021", 300, seed=5, executor=client, progress=False)
        # the work really ran on the worker process, not in this one
        ran_there = client.run(lambda: "escalation.ensemble" in sys.modules)
        assert list(ran_there.values()) == [True]
    _same_result(serial, remote)


def _summary(out: Path, *extra: str) -> pd.DataFrame:
    argv = ["run", "baseline_2021", "--worlds", "200", "--seed", "5", "--keep", "statistics"]
    assert main([*argv, "--out", str(out), *extra]) == 0
    return pd.read_csv(out / "summary.csv")


def test_run_with_scheduler_writes_the_serial_summary(
    address: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv(scripts.SCHEDULER_VARIABLE, raising=False)
    serial = _summary(tmp_path / "serial")
    by_option = _summary(tmp_path / "option", "--scheduler", address)
    monkeypatch.setenv(scripts.SCHEDULER_VARIABLE, address)
    capsys.readouterr()
    by_variable = _summary(tmp_path / "variable")
    assert f"Dask scheduler at {address}" in capsys.readouterr().err
    pd.testing.assert_frame_equal(serial, by_option, check_exact=True)
    pd.testing.assert_frame_equal(serial, by_variable, check_exact=True)


def test_the_remote_cluster_outlives_the_command(address: str, tmp_path: Path) -> None:
    _summary(tmp_path / "first", "--scheduler", address)
    with distributed.Client(address, timeout=5) as client:
        assert len(client.scheduler_info()["workers"]) == 1


def test_calibrate_on_a_remote_cluster_equals_a_serial_run(address: str) -> None:
    """ABC ships batches of worlds; the likelihood method ships whole tempered runs."""
    observed = load_events()
    observed = observed[observed["date"] < "2021-03-01"]
    window = {"start": "2021-01-01", "end": "2021-02-28", "seed": 5, "progress": False}
    for method in (ABC, LIKELIHOOD):
        serial = calibrate(observed, **window, **method)
        with distributed.Client(address) as client:
            remote = calibrate(observed, **window, **method, executor=client)
        pd.testing.assert_frame_equal(serial.samples, remote.samples, check_exact=True)


def _run(*extra: str) -> int:
    return main(["run", "baseline_2021", "--worlds", "20", "--keep", "statistics", *extra])


def test_scheduler_with_another_executor_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _run("--scheduler", "tcp://127.0.0.1:1", "--executor", "processes") == 2
    err = capsys.readouterr().err.strip()
    assert "--scheduler" in err and "--executor processes" in err
    assert len(err.splitlines()) == 1


def test_an_unreachable_scheduler_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path / "out")) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("escalation: error: --scheduler:") and "tcp://127.0.0.1:1" in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_an_explicit_serial_executor_ignores_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(scripts.SCHEDULER_VARIABLE, "tcp://127.0.0.1:1")  # nothing listens there
    assert _run("--executor", "serial", "--out", str(tmp_path / "out")) == 0
    assert scripts.SCHEDULER_VARIABLE not in capsys.readouterr().err
    assert (tmp_path / "out" / "summary.csv").exists()


def test_without_distributed_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now fails
    assert _run("--scheduler", "tcp://127.0.0.1:1") == 2
    err = capsys.readouterr().err.strip()
    assert 'pip install "escalation[dask]"' in err and len(err.splitlines()) == 1

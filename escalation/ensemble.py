"""Monte Carlo ensembles: many worlds in seeded chunks, on this process, a pool or a Dask cluster.

``run_ensemble`` splits the worlds into chunks; each chunk is one batched
:class:`~escalation.model.EscalationModel` seeded from the run's
``numpy.random.SeedSequence`` and told the global index of its first world. Every
world's draws are a function of the seed and its global index only
(:mod:`escalation.model.streams`), and parameters drawn from a posterior are drawn the same
way, so the result is identical, bit for bit after sorting, for any ``chunk_size`` and
any executor.

With ``keep_events=False`` a chunk returns only its per-world summaries and the daily
histograms of the state variables, so memory is bounded by the chunk size, not by the
number of worlds.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from escalation.errors import CheckpointError
from escalation.events.io import validate_events
from escalation.events.statistics import EPISODE_STATISTICS, summary_statistics
from escalation.inference.posterior import Posterior
from escalation.model.ladder import Rung
from escalation.model.model import COUNT_SERIES, STATE_VARIABLES, EscalationModel
from escalation.model.scenario import Scenario, posterior_path
from escalation.model.streams import WorldStreams
from escalation.montecarlo import QUANTILES, mcse_of_mean, mcse_of_probability
from escalation.provenance import file_sha256, manifest, verify_manifest, with_outputs
from escalation.runtime import (
    Checkpoint,
    ExecutorLike,
    Seed,
    frame_arrays,
    frame_from_arrays,
    frame_sha256,
    progress_bar,
    seed_sequence,
)

DEFAULT_CHUNK = 10_000
#: Histogram bins used to summarise a state variable across worlds when the per-world
#: values are not kept: (upper edge of the regular range, bins); values above go in the
#: last bin. The ladder and the talks (0 or 1) are exact (one bin per value).
_HISTOGRAM = {
    "escalation_index": (400.0, 4000),
    "ladder": (7.0, 7),
    "iraqi_pressure": (50.0, 5000),
    "militia_resolve": (20.0, 4000),
    "red_line_credibility": (1.0, 1000),
    "campaign": (1.0, 1000),
    "talks_alive": (2.0, 2),
}
#: Fixed-point scale for exact, order-independent sums of state variables across worlds.
_FIXED = 2.0**24
_POSTERIOR_DRAW_DAY = 2**40  # a day no simulation reaches: the stream slot for posterior draws


# == running ====================================================================================
def run_ensemble(
    scenario: Scenario | str | Path,
    n_worlds: int,
    seed: Seed = None,
    chunk_size: int | None = None,
    executor: ExecutorLike = None,
    progress: bool | None = None,
    keep_events: bool = True,
    parameters: Mapping[str, ArrayLike] | None = None,
    history: pd.DataFrame | None = None,
    replay_days: int = 0,
    worlds_per_draw: int = 1,
    checkpoint: str | os.PathLike | None = None,
) -> EnsembleResult:
    """Run ``n_worlds`` worlds of ``scenario`` and collect their events, daily states and summaries.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, a built-in name or a TOML path. If it names a posterior, each world
        draws its calibrated parameters from it (parameters the scenario pins stay fixed).
    n_worlds : int
    seed : int or SeedSequence, optional
        None draws fresh entropy, recorded in the result's manifest.
    chunk_size : int, optional
        Worlds per batched model (default 10,000, or fewer to give every worker work).
    executor : None, concurrent.futures.Executor or dask.distributed.Client
        Where chunks run: this process, a process pool, or a Dask cluster.
    progress : bool, optional
        A progress bar over chunks; default on when stderr is a terminal and CI is unset.
    keep_events : bool
        Keep every world's event log and daily values; False keeps per-world summaries and
        daily quantiles only.
    parameters : mapping, optional
        Per-world parameter arrays of length ``n_worlds`` (or numbers), overriding the
        scenario and any posterior draw.
    worlds_per_draw : int
        Consecutive worlds sharing one posterior draw (world i takes draw i // k): with more
        than one, the spread across draws separates posterior from Monte Carlo uncertainty.
    history, replay_days : DataFrame and int, optional
        Observed events replayed on the first ``replay_days`` days of the window (see
        :class:`~escalation.model.EscalationModel`); used by forecasts.
    checkpoint : path, optional
        A directory each chunk is written to (atomically) as it finishes. Called again with
        the same directory and arguments, the run computes only the chunks not there and
        returns what an uninterrupted run returns; with ``seed=None`` it takes the directory's
        seed, and it keeps the directory's chunks whatever ``chunk_size`` or ``executor`` (the
        worlds do not depend on them). Other arguments raise ValueError naming what differs.
    """
    scenario = Scenario.coerce(scenario)
    if n_worlds < 1:
        raise ValueError(f"n_worlds must be at least 1, got {n_worlds}")
    root = seed_sequence(seed)
    if worlds_per_draw < 1:
        raise ValueError(f"worlds_per_draw must be at least 1, got {worlds_per_draw}")
    chunk_size = _chunk_size(chunk_size, n_worlds, executor)
    bounds = [(a, min(a + chunk_size, n_worlds)) for a in range(0, n_worlds, chunk_size)]
    toml = scenario.to_toml()
    store, seeded = None, seed is not None
    if checkpoint is not None:
        config = _checkpoint_config(
            scenario, n_worlds, keep_events, parameters, history, replay_days, worlds_per_draw
        )
        store = _EnsembleCheckpoint(Path(checkpoint), config)
        root, bounds, seeded = store.open(seed, root, bounds)
    world_parameters = _world_parameters(scenario, n_worlds, root, parameters, worlds_per_draw)
    tasks = [
        (
            toml,
            scenario.origin,
            root,
            a,
            b - a,
            {k: _slice(v, a, b) for k, v in world_parameters.items()},
            keep_events,
            history,
            replay_days,
        )
        for a, b in bounds
    ]
    chunks = (
        _execute(tasks, executor, _progress(progress, len(tasks)))
        if store is None
        else store.chunks(tasks, executor, progress, root)
    )
    result = EnsembleResult.combine(scenario, root, n_worlds, chunks, keep_events, world_parameters)
    # Unseeded runs drew fresh entropy (recorded in ``seed``): say so where users look.
    result.manifest["seeded"] = seeded
    return result


def run_chunk(
    toml: str,
    origin: str,
    root,
    first_world: int,
    n: int,
    parameters: dict,
    keep_events,
    history=None,
    replay_days: int = 0,
) -> dict:
    """Run one chunk of worlds; a top-level function so process pools and Dask can ship it.

    ``keep_events``: True (events, daily values and summaries), False (summaries and daily
    histograms), or ``"statistics"`` (only :func:`escalation.events.statistics.summary_statistics`
    per world: what calibration needs, without daily records).
    """
    scenario = Scenario.from_toml(toml, origin=origin)
    statistics_only = keep_events == "statistics"
    model = EscalationModel(
        scenario,
        n,
        seed=root,
        parameters=parameters,
        first_world=first_world,
        record_daily=not statistics_only,
        history=history,
        replay_days=replay_days,
    )
    model.run()
    events = model.event_log()
    ids = np.arange(n) + first_world
    stats = summary_statistics(
        events, scenario.start, scenario.end, worlds=ids.tolist(), breaks=scenario.regime_starts
    )
    if statistics_only:
        return {"statistics": stats, "first_world": first_world}
    out = {"worlds": _world_summaries(model, events, stats), "first_world": first_world}
    if keep_events:
        out["events"] = events
        out["daily"] = {**model.daily_state, **model.daily_counts}
    else:
        out["histograms"] = _histograms(model.daily_state)
    # Agents and model refer to each other, so the chunk's arrays wait for the cyclic garbage
    # collector, which counts objects, not bytes: free them now, or chunks pile up in memory.
    del model
    gc.collect()
    return out


def simulate_statistics(scenario, parameters, seed, executor=None, chunk_size=None) -> pd.DataFrame:
    """Summary statistics (one row per world) of worlds with the given per-world parameters.

    The batch calibration simulates: ``parameters`` maps names to arrays of one value per
    world; scenario posteriors are not drawn from.
    """
    n = len(next(iter(parameters.values())))
    chunk_size = _chunk_size(chunk_size, n, executor)
    toml = scenario.to_toml()
    root = seed_sequence(seed)  # once: with seed=None every chunk shares the one fresh entropy
    tasks = [
        (
            toml,
            scenario.origin,
            root,
            a,
            min(a + chunk_size, n) - a,
            {k: _slice(v, a, a + chunk_size) for k, v in parameters.items()},
            "statistics",
        )
        for a in range(0, n, chunk_size)
    ]
    chunks = _execute(tasks, executor, _progress(False, len(tasks)))
    return pd.concat([c["statistics"] for c in chunks])


def _world_summaries(
    model: EscalationModel, events: pd.DataFrame, stats: pd.DataFrame
) -> pd.DataFrame:
    """One row per world: totals, first American death, highest rung, Baghdad's demand, episodes."""
    ids = np.arange(model.n_worlds) + model.first_world
    counts = model.daily_counts
    frame = pd.DataFrame({"world": ids})
    for name in COUNT_SERIES:
        frame[name] = counts[name].astype(np.int64).sum(axis=0)
    killed_days = counts["us_killed"] > 0
    first = np.where(killed_days.any(axis=0), killed_days.argmax(axis=0), -1)
    frame["first_us_death_day"] = np.where(first >= 0, first, np.nan)
    frame["max_rung"] = model.daily_state["ladder"].max(axis=0).astype(np.int64)
    frame["withdrawal_demanded"] = model.withdrawal_demanded
    others = np.zeros(model.n_worlds, dtype=np.int64)
    np.add.at(
        others, events["world"].to_numpy() - model.first_world, events["others_killed"].to_numpy()
    )
    frame["others_killed"] = others
    for column in EPISODE_STATISTICS:
        frame[column] = stats[column].to_numpy()
    return frame


def _histograms(daily_state: dict) -> dict:
    """Per day and state variable: bin counts and an exact fixed-point sum across worlds."""
    out = {}
    for name, values in daily_state.items():
        top, bins = _HISTOGRAM[name]
        index = np.clip((values.astype(np.float64) / top * bins).astype(np.int64), 0, bins - 1)
        days = values.shape[0]
        flat = (index + np.arange(days)[:, None] * bins).ravel()
        counts = np.bincount(flat, minlength=days * bins).reshape(days, bins)
        sums = np.rint(values.astype(np.float64) * _FIXED).astype(np.int64).sum(axis=1)
        out[name] = (counts, sums)
    return out


def _execute(tasks, executor, bar):
    """Chunk results in task order, with a bounded number of chunks in flight.

    Yielding results one by one (rather than returning a list) lets the caller fold each
    chunk in and drop it, so memory is bounded by the chunk size and the number in flight.
    """
    try:
        if executor is None:
            for task in tasks:
                yield run_chunk(*task)
                bar.update(1)
            return
        submit = (
            (lambda task: executor.submit(run_chunk, *task, pure=False))
            if _is_dask_client(executor)
            else (lambda task: executor.submit(run_chunk, *task))
        )
        window = 2 * _worker_count(executor)
        pending = [submit(task) for task in tasks[:window]]
        for index in range(len(tasks)):
            result = pending.pop(0).result()
            if index + window < len(tasks):
                pending.append(submit(tasks[index + window]))
            bar.update(1)
            yield result
    finally:
        bar.close()


_CHECKPOINT_FORMAT = "escalation-ensemble-1"


def _checkpoint_config(
    scenario, n_worlds, keep_events, parameters, history, replay_days, worlds_per_draw
) -> dict:
    """What must match for an ensemble checkpoint to be resumed (the seed is checked apart):
    the scenario, its file and the posterior its worlds draw from among the rest."""
    given = hashlib.sha256()
    for name in sorted(parameters or {}):
        given.update(name.encode())
        given.update(np.ascontiguousarray(parameters[name], dtype=float).tobytes())
    return {
        "scenario_toml": scenario.to_toml(),  # a refusal can quote the lines that changed
        "data_files_sha256": [file_sha256(path) for path in _data_files(scenario)],
        "n_worlds": int(n_worlds),
        "keep_events": bool(keep_events),
        "parameters_sha256": given.hexdigest(),
        "history_sha256": None if history is None else frame_sha256(validate_events(history)),
        "replay_days": int(replay_days),
        "worlds_per_draw": int(worlds_per_draw),
    }


@dataclass(frozen=True)
class _EnsembleCheckpoint:
    """An ensemble's checkpoint directory: ``run.npz`` (its seed and chunks) and one file per
    finished chunk, each a :class:`~escalation.runtime.Checkpoint` of the run's configuration."""

    directory: Path
    config: dict

    def _file(self, name: str) -> Checkpoint:
        return Checkpoint(self.directory / name, _CHECKPOINT_FORMAT, "an ensemble", self.config)

    def open(
        self, seed, root, bounds
    ) -> tuple[np.random.SeedSequence, list[tuple[int, int]], bool]:
        """The run's root seed, chunks and whether it was seeded: the directory's if it holds a
        run, else these."""
        if self.directory.exists() and not self.directory.is_dir():
            raise CheckpointError(
                f"checkpoint {self.directory}: an ensemble's checkpoint is a folder, found a file"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        run = self._file("run.npz")
        loaded = run.load(None, seed, root)
        if loaded is None:
            run.save(root, {"bounds": [list(b) for b in bounds], "seeded": seed is not None}, {})
            return root, bounds, seed is not None
        header, _, root = loaded
        return root, [(int(a), int(b)) for a, b in header["bounds"]], bool(header["seeded"])

    def chunks(self, tasks, executor, progress, root):
        """Chunk results in task order: those on disk read back, the others run and saved."""
        files = [self._file(f"chunk_{task[3]:012d}.npz") for task in tasks]
        done = [file.path is not None and file.path.exists() for file in files]
        missing = [task for task, finished in zip(tasks, done, strict=True) if not finished]
        fresh = _execute(missing, executor, _progress(progress, len(missing))) if missing else None
        for file, finished in zip(files, done, strict=True):
            if finished:
                yield _chunk_from_file(file, root)
            else:
                assert fresh is not None  # a chunk is missing
                chunk = next(fresh)
                _chunk_to_file(file, root, chunk)
                yield chunk


def _chunk_to_file(file: Checkpoint, root, chunk: dict) -> None:
    """Write one chunk's result: tables column by column, daily arrays as they are."""
    header: dict[str, Any] = {"first_world": int(chunk["first_world"])}
    arrays: dict[str, np.ndarray] = {}
    for name in ("worlds", "events"):
        if name in chunk:
            header[name], columns = frame_arrays(chunk[name], name)
            arrays.update(columns)
    if "daily" in chunk:
        header["daily"] = list(chunk["daily"])
        arrays.update({f"daily_{i}": v for i, v in enumerate(chunk["daily"].values())})
    if "histograms" in chunk:
        header["histograms"] = list(chunk["histograms"])
        for i, (counts, sums) in enumerate(chunk["histograms"].values()):
            arrays[f"histogram_{i}_counts"], arrays[f"histogram_{i}_sums"] = counts, sums
    file.save(root, header, arrays)


def _chunk_from_file(file: Checkpoint, root) -> dict:
    """One chunk's result as :func:`run_chunk` returned it."""
    loaded = file.load(None, root, root)
    assert loaded is not None  # the file exists
    header, arrays, _ = loaded
    chunk: dict[str, Any] = {"first_world": header["first_world"]}
    for name in ("worlds", "events"):
        if name in header:
            chunk[name] = frame_from_arrays(header[name], arrays, name)
    if "daily" in header:
        chunk["daily"] = {k: arrays[f"daily_{i}"] for i, k in enumerate(header["daily"])}
    if "histograms" in header:
        chunk["histograms"] = {
            k: (arrays[f"histogram_{i}_counts"], arrays[f"histogram_{i}_sums"])
            for i, k in enumerate(header["histograms"])
        }
    return chunk


def _is_dask_client(executor) -> bool:
    return type(executor).__module__.startswith("distributed")


#: What to install when Dask is missing.
DASK_EXTRA_ADVICE = (
    'running on Dask needs the optional "dask" extra: pip install "escalation[dask]"'
)


def _distributed() -> Any:
    """The ``distributed`` package, or an :class:`ImportError` saying how to install it."""
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(DASK_EXTRA_ADVICE) from exc
    return distributed


def dask_client(n_workers: int = 2, **kwargs: Any) -> Any:
    """A client of a new Dask ``LocalCluster`` on this machine (requires the ``dask`` extra).

    One thread per worker process, as the simulation is single-threaded numpy work.
    """
    distributed = _distributed()
    cluster = distributed.LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None, **kwargs
    )
    return distributed.Client(cluster)


def connect_dask(address: str, timeout: float = 10.0) -> Any:
    """A client of the running Dask cluster whose scheduler listens at ``address``.

    For a cluster on other machines (``tcp://HOST:8786``): pass the client as the
    ``executor`` of :func:`run_ensemble` or :func:`~escalation.inference.calibration.calibrate`
    and the worlds are the same as a serial run's. Closing the client leaves the cluster
    running. Raises :class:`ImportError` (with install advice) without the ``dask`` extra and
    :class:`ConnectionError` naming the address when no scheduler answers within ``timeout``
    seconds.
    """
    distributed = _distributed()
    try:
        _probe(distributed, address, timeout)
        return distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConnectionError(f"cannot reach a Dask scheduler at {address}: {exc}") from None


def _probe(distributed: Any, address: str, timeout: float) -> None:
    """Check a ``tcp://`` scheduler accepts connections before a client is made.

    A refused or malformed address then fails at once, and no half-made client is left to
    time out again when it is garbage-collected.
    """
    scheme, location = distributed.comm.parse_address(address)
    if scheme == "tcp":
        host, port = distributed.comm.parse_host_port(location)
        with socket.create_connection((host, port), timeout=timeout):
            pass


def _chunk_size(chunk_size, n_worlds: int, executor) -> int:
    if chunk_size is not None:
        if int(chunk_size) < 1:
            raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
        return int(chunk_size)
    if executor is None:
        return min(n_worlds, DEFAULT_CHUNK)
    workers = _worker_count(executor)
    return max(1, min(DEFAULT_CHUNK, math.ceil(n_worlds / (2 * workers))))


def _worker_count(executor: Any) -> int:
    """How many workers an executor (a pool or a Dask client) runs on."""
    if _is_dask_client(executor):
        return max(1, len(executor.scheduler_info().get("workers", {})))
    return max(1, getattr(executor, "_max_workers", os.cpu_count() or 1))


def _progress(progress, total):
    return progress_bar(total, desc="worlds", unit="chunk", progress=progress)


def _slice(value, a, b):
    value = np.asarray(value)
    return value if value.ndim == 0 else value[a:b]


# == parameters drawn from a posterior ===========================================================
def _world_parameters(
    scenario: Scenario, n_worlds: int, root, overrides, worlds_per_draw=1
) -> dict:
    """Per-world parameter arrays: posterior draws (unless pinned), then explicit overrides."""
    values = {}
    if scenario.posterior:
        posterior = Posterior.load(posterior_path(scenario.posterior))
        drawn = posterior_draws(posterior, root, np.arange(n_worlds) // worlds_per_draw)
        values.update({k: v for k, v in drawn.items() if k not in scenario.pinned})
    for name, value in (overrides or {}).items():
        array = np.asarray(value, dtype=float)
        if array.ndim == 1 and len(array) != n_worlds:
            raise ValueError(f"parameters[{name!r}] has {len(array)} values for {n_worlds} worlds")
        values[name] = array
    return values


def posterior_draws(posterior, seed, world_ids) -> dict:
    """Each world's parameters, drawn from the weighted posterior sample by its own stream.

    World i's draw depends only on the seed and i, so it is the same whatever the chunking.
    """
    samples = posterior.samples
    weights = samples.pop("weight").to_numpy()
    cum = np.cumsum(weights / weights.sum())
    u = WorldStreams(seed, world_ids).core(_POSTERIOR_DRAW_DAY, 1)[:, 0]
    rows = np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
    return {name: samples[name].to_numpy()[rows] for name in samples.columns}


# == results =====================================================================================
@dataclass
class EnsembleResult:
    """Events, daily quantiles and per-world summaries of an ensemble, with its provenance.

    ``events``: concatenated event logs (canonical schema + ``world``, ``day``), or None
    when not kept; ``daily``: per day and variable the mean and the 5/25/50/75/95%
    quantiles across worlds; ``daily_worlds``: per-world daily values ``(days, n_worlds)``
    by variable, when kept; ``worlds``: one row of summaries per world; ``parameters``:
    the per-world parameter arrays that differed from the scenario (posterior draws).
    """

    scenario: Scenario
    n_worlds: int
    worlds: pd.DataFrame
    daily: pd.DataFrame
    events: pd.DataFrame | None = None
    daily_worlds: dict | None = None
    parameters: dict = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)

    @classmethod
    def combine(
        cls,
        scenario: Scenario,
        root: np.random.SeedSequence,
        n_worlds: int,
        chunks: Iterable[dict[str, Any]],
        keep_events: bool,
        parameters: dict[str, np.ndarray],
    ) -> EnsembleResult:
        """Fold chunk results (an iterable, consumed once) into one result."""
        worlds: list[pd.DataFrame] = []
        event_parts: list[pd.DataFrame] = []
        daily_parts: list[dict] = []
        histograms = None
        for chunk in chunks:
            worlds.append(chunk["worlds"])
            if keep_events:
                event_parts.append(chunk["events"])
                daily_parts.append(chunk["daily"])
            else:
                histograms = _add_histograms(histograms, chunk["histograms"])
        dates = pd.date_range(pd.Timestamp(scenario.start), pd.Timestamp(scenario.end), freq="D")
        if keep_events:
            daily_worlds = {k: _join_worlds([d[k] for d in daily_parts]) for k in daily_parts[0]}
            daily = _daily_from_values(dates, daily_worlds)
            events: pd.DataFrame | None = concat_events(event_parts)
        else:
            events, daily_worlds = None, None
            daily = _daily_from_histograms(dates, histograms, n_worlds)
        record = manifest(
            scenario=scenario,
            seed=root,
            n_worlds=n_worlds,
            data_files=_data_files(scenario),
            keep_events=keep_events,
        )
        return cls(
            scenario,
            n_worlds,
            pd.concat(worlds, ignore_index=True),
            daily,
            events,
            daily_worlds,
            parameters,
            record,
        )

    # -- what users ask -------------------------------------------------------------------------
    def summary(self) -> SummaryTable:
        """Tidy table of the headline quantities with Monte Carlo standard errors.

        Columns: ``quantity``, ``estimate``, ``mcse`` (standard error of the estimate
        across worlds: sd/sqrt(n) for means, sqrt(p(1-p)/n) for probabilities), ``q05``,
        ``q50``, ``q95`` (across worlds, for per-world quantities), ``n`` (worlds the
        estimate rests on; fewer for quantities undefined in some worlds), ``unit``.
        """
        w = self.worlds
        rows = []
        for name in [*COUNT_SERIES, "others_killed"]:
            rows.append(_mean_row(name, w[name], "events per world"))
        killed = (w["us_killed"] > 0).to_numpy()
        rows.append(_probability_row("P(at least one American killed)", killed))
        rows.append(
            _mean_row(
                "days to first American death (worlds with one)", w["first_us_death_day"], "days"
            )
        )
        for rung in list(Rung)[1:]:
            rows.append(
                _probability_row(
                    f"P(reach rung {rung.value}: {rung.label})",
                    (w["max_rung"] >= rung.value).to_numpy(),
                )
            )
        rows.append(
            _probability_row("P(Baghdad demands withdrawal)", w["withdrawal_demanded"].to_numpy())
        )
        for name, unit in (
            ("episodes", "episodes"),
            ("episode_length_mean", "days"),
            ("quiet_mean", "days"),
            ("unanswered_share", "share"),
            ("chain_length_max", "acts"),
            ("chain_length_mean", "acts"),
            ("strike_lag_mean", "days"),
        ):
            rows.append(_mean_row(name, w[name], unit))
        return SummaryTable(
            rows, columns=["quantity", "estimate", "mcse", "q05", "q50", "q95", "n", "unit"]
        )

    def probability(self, event: str) -> float:
        """Share of worlds where ``event`` happened: ``"american_killed"`` (at least one
        American killed), ``"us_strike_round"`` (at least one US strike round) or
        ``"withdrawal_demanded"`` (Baghdad demanded that US forces leave)."""
        w = self.worlds
        masks = {
            "american_killed": w["us_killed"] > 0,
            "us_strike_round": w["us_strike_rounds"] > 0,
            "withdrawal_demanded": w["withdrawal_demanded"],
        }
        if event not in masks:
            raise ValueError(f"unknown event {event!r}; expected one of {', '.join(masks)}")
        return float(np.mean(masks[event]))

    # -- saving ---------------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write CSV tables, per-world daily arrays (npz) and ``manifest.json`` to ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        written = ["worlds.csv", "daily.csv", "scenario.toml"]
        self.worlds.to_csv(directory / "worlds.csv", index=False)
        self.daily.to_csv(directory / "daily.csv", index=False)
        self.scenario.save(directory / "scenario.toml")
        if self.events is not None:
            self.events.to_csv(directory / "events.csv", index=False)
            written.append("events.csv")
        arrays = {f"daily__{k}": v for k, v in (self.daily_worlds or {}).items()}
        arrays |= {f"parameter__{k}": np.asarray(v) for k, v in self.parameters.items()}
        if arrays:
            np.savez_compressed(directory / "arrays.npz", **arrays)
            written.append("arrays.npz")
        record = with_outputs(self.manifest, directory, written)
        (directory / "manifest.json").write_text(
            json.dumps(record, indent=2, default=str), encoding="utf-8"
        )
        return directory

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> EnsembleResult:
        """Read a result written by :meth:`save`; raises if a file's hash does not match.

        Only the files its manifest lists are read: an ``events.csv`` or ``arrays.npz`` left in
        the folder by an earlier run that kept them belongs to that run, not this one.
        """
        directory = Path(directory)
        record = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        changed = verify_manifest(record, directory)
        if changed:
            raise ValueError(
                f"{directory}: files changed since they were saved: {', '.join(changed)}"
            )
        scenario = Scenario.from_toml(
            (directory / "scenario.toml").read_text(encoding="utf-8"),
            origin=str(directory / "scenario.toml"),
        )
        worlds = pd.read_csv(directory / "worlds.csv")
        worlds["withdrawal_demanded"] = worlds["withdrawal_demanded"].astype(bool)
        daily = pd.read_csv(directory / "daily.csv", parse_dates=["date"])
        saved = record.get("outputs", {})
        events = None
        if "events.csv" in saved:
            raw = pd.read_csv(directory / "events.csv", dtype=str, keep_default_na=False)
            events = validate_events(raw, origin=str(directory / "events.csv"))
        daily_worlds, parameters = None, {}
        if "arrays.npz" in saved:
            with np.load(directory / "arrays.npz") as npz:
                daily_worlds = {k[7:]: npz[k] for k in npz.files if k.startswith("daily__")} or None
                parameters = {k[11:]: npz[k] for k in npz.files if k.startswith("parameter__")}
        return cls(
            scenario,
            int(record["n_worlds"]),
            worlds,
            daily,
            events,
            daily_worlds,
            parameters,
            record,
        )


class SummaryTable(pd.DataFrame):
    """A table of estimates that prints whole: every row and column, numbers to 4 digits.

    A plain DataFrame (index it, filter it, write it) whose ``repr``, and so ``print``,
    shows each quantity with its estimate, standard error, quantiles and unit instead of
    pandas' truncated ``quantity ... unit``.
    """

    @property
    def _constructor(self) -> type[SummaryTable]:
        return SummaryTable

    def __repr__(self) -> str:
        """Every row and column; text left-aligned, numbers right-aligned to 4 digits, NaN blank."""
        columns = [[str(c), *map(_cell, self[c])] for c in self.columns]
        widths = [max(map(len, column)) for column in columns]
        right = [pd.api.types.is_numeric_dtype(self[c]) for c in self.columns]
        lines = [
            "  ".join(
                cell.rjust(w) if r else cell.ljust(w)
                for cell, w, r in zip(row, widths, right, strict=True)
            ).rstrip()
            for row in zip(*columns, strict=True)
        ]
        return "\n".join(lines)


def _cell(value) -> str:
    """A table cell: floats to 4 significant digits, missing values blank."""
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else f"{value:.4g}"
    return str(value)


def concat_events(frames) -> pd.DataFrame:
    """Concatenate event logs; text columns become categoricals with sorted categories.

    Each chunk builds its own category codes, so a plain concat would fall back to objects
    for some chunkings and not others; sorting the union makes the result identical.
    """
    columns: dict[str, Any] = {}
    for name in frames[0].columns:
        parts = [f[name] for f in frames]
        if isinstance(parts[0].dtype, pd.CategoricalDtype):
            union = pd.api.types.union_categoricals(parts, sort_categories=True, ignore_order=True)
            categories = pd.Index(list(union.categories), dtype=object)
            columns[name] = pd.Categorical.from_codes(union.codes, categories=categories)
        else:
            columns[name] = np.concatenate([p.to_numpy() for p in parts])
    return pd.DataFrame(columns)


def _mean_row(name, values, unit):
    x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return [name, np.nan, np.nan, np.nan, np.nan, np.nan, 0, unit]
    q05, q50, q95 = np.quantile(x, [0.05, 0.5, 0.95])
    return [name, x.mean(), mcse_of_mean(x), q05, q50, q95, len(x), unit]


def _probability_row(name, mask):
    mask = np.asarray(mask, dtype=bool)
    p = mask.mean()
    return [
        name,
        p,
        mcse_of_probability(p, len(mask)),
        np.nan,
        np.nan,
        np.nan,
        len(mask),
        "probability",
    ]


def _daily_from_values(dates, daily_worlds) -> pd.DataFrame:
    frames = []
    for name in list(STATE_VARIABLES) + list(COUNT_SERIES):
        values = daily_worlds[name]
        if values.dtype.kind in "iu":
            q = count_quantiles(values, QUANTILES)
        else:
            q = sorted_quantiles(values, QUANTILES)
        frames.append(_daily_frame(dates, name, values.mean(axis=1, dtype=np.float64), q))
    return pd.concat(frames, ignore_index=True)


#: Largest count :func:`count_quantiles` takes quantiles of by counting.
MAX_COUNTED_VALUE = 4096


def count_quantiles(counts: np.ndarray, levels) -> np.ndarray:
    """``(len(levels), rows)`` quantiles of each row of non-negative integer ``counts``,
    exactly as ``np.quantile(counts, levels, axis=1)`` (its default linear interpolation)
    computes them, from each row's histogram rather than by partial sorting.

    Daily counts across 10,000 worlds take few values, so counting them is several times
    faster than partitioning each day's worlds (``benchmarks/bench_ensemble.py``).
    """
    rows, n = counts.shape
    top = int(counts.max(initial=0)) + 1
    if counts.size and counts.min() < 0:
        raise ValueError("count_quantiles needs non-negative counts")
    if top > MAX_COUNTED_VALUE:  # a histogram that wide costs more than sorting
        return np.quantile(counts.astype(np.float64), levels, axis=1)
    keys = np.arange(rows)[:, None] * top + counts
    below = np.cumsum(np.bincount(keys.ravel(), minlength=rows * top).reshape(rows, top), axis=1)
    lower, upper, t = _order_statistics(n, levels)

    def order_statistic(k: np.ndarray) -> np.ndarray:
        # The k-th smallest value (from 0) is the number of values v with #(x <= v) <= k.
        return (below[None, :, :] <= k[:, None, None]).sum(axis=2)

    return _interpolate(order_statistic(lower), order_statistic(upper), t)


def sorted_quantiles(values: np.ndarray, levels) -> np.ndarray:
    """``(len(levels), rows)`` quantiles of each row of real ``values``, exactly as
    ``np.quantile(values.astype(np.float64), levels, axis=1)`` computes them.

    Each row is sorted in its own dtype (float32 for the daily states): widening to float64
    keeps the order, so the order statistics are the same, and sorting the narrow values is
    about twice as fast as numpy's partition of the widened ones.
    """
    if np.isnan(values).any():  # numpy's NaN rules, not re-implemented here
        return np.quantile(values.astype(np.float64), levels, axis=1)
    ordered = np.sort(values, axis=1)
    lower, upper, t = _order_statistics(values.shape[1], levels)
    low = ordered[:, lower].T.astype(np.float64)
    high = ordered[:, upper].T.astype(np.float64)
    return _interpolate(low, high, t)


def _order_statistics(n: int, levels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ranks below and above each level among ``n`` values, and the weight of the upper one
    (``(len(levels), 1)``), as numpy's default (linear) quantile method places them."""
    positions = (n - 1) * np.asarray(levels, dtype=float)
    lower = np.floor(positions).astype(np.int64)
    upper = np.minimum(lower + 1, n - 1)
    return lower, upper, (positions - lower)[:, None]


def _interpolate(low: np.ndarray, high: np.ndarray, t: np.ndarray) -> np.ndarray:
    """numpy's linear interpolation between order statistics, term for term, so quantiles
    computed here agree with ``np.quantile`` to the last bit."""
    return np.where(t >= 0.5, high - (high - low) * (1 - t), low + (high - low) * t)


def _join_worlds(parts: list[np.ndarray]) -> np.ndarray:
    """Chunks' ``(days, worlds)`` daily arrays side by side; a single chunk's as it is, not
    copied (tens of megabytes per variable at 10,000 worlds)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)


def _add_histograms(total, chunk):
    """Sum two {variable: (bin counts, fixed-point sums)} records (None is empty)."""
    if total is None:
        return chunk
    return {k: (total[k][0] + chunk[k][0], total[k][1] + chunk[k][1]) for k in total}


def _daily_from_histograms(dates, histograms, n_worlds) -> pd.DataFrame:
    frames = []
    for name in STATE_VARIABLES:
        top, bins = _HISTOGRAM[name]
        counts, sums = histograms[name]
        cum = np.cumsum(counts, axis=1)
        q = np.empty((len(QUANTILES), counts.shape[0]))
        for i, level in enumerate(QUANTILES):
            # Smallest bin whose cumulative count reaches the level; report its lower edge.
            idx = (cum < level * n_worlds).sum(axis=1)
            q[i] = idx * top / bins
        frames.append(_daily_frame(dates, name, sums / _FIXED / n_worlds, q))
    return pd.concat(frames, ignore_index=True)


def _daily_frame(dates, name, mean, q) -> pd.DataFrame:
    frame = pd.DataFrame({"date": dates, "variable": name, "mean": mean})
    for level, row in zip(QUANTILES, q, strict=True):
        frame[f"q{round(level * 100):02d}"] = row
    return frame


def _data_files(scenario) -> list:
    """Files a run depends on: the scenario file (if any) and the posterior's files."""
    files = [Path(scenario.origin)] if Path(scenario.origin).is_file() else []
    if scenario.posterior:
        folder = posterior_path(scenario.posterior)
        files += sorted(p for p in folder.iterdir() if p.is_file())
    return files

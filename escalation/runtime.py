"""How a run is set up: one rule each for seeds, progress bars and checkpoints, used by every
public function.

Seeds follow SPEC 7 of scientific Python in its reproducible form (as SALib's ``handle_seed`` does
for its samplers): every ``seed=`` accepts ``None`` (fresh entropy, recorded in the result's
manifest so the run can be repeated), a non-negative int, a sequence of them, or a
:class:`numpy.random.SeedSequence`. A :class:`numpy.random.Generator` is refused: its state
cannot be recorded in a manifest nor split reproducibly across chunks of worlds.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import json
import os
import sys
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from escalation.errors import CheckpointError

#: What a public ``seed=`` argument accepts.
Seed: TypeAlias = int | Sequence[int] | np.random.SeedSequence | None
#: A calendar day: ``"2021-06-28"``, a :class:`datetime.date` or a :class:`pandas.Timestamp`.
DateLike: TypeAlias = str | datetime.date | pd.Timestamp
#: Where batches of worlds run: None (this process), a :class:`concurrent.futures.Executor`,
#: or a ``dask.distributed.Client`` (typed loosely: Dask is an optional dependency).
ExecutorLike: TypeAlias = Executor | Any | None


def seed_sequence(seed: Seed, name: str = "seed") -> np.random.SeedSequence:
    """Normalise a seed to a :class:`numpy.random.SeedSequence`, or say what was expected.

    ``name`` is the argument's name as the user wrote it (``"seed"``, ``"--seed"``), so the
    error points at it.
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    expected = "None, a non-negative integer, a sequence of them or a numpy.random.SeedSequence"
    if isinstance(seed, np.random.Generator):
        raise TypeError(
            f"{name}: expected {expected}, found a Generator (its state cannot be recorded "
            "or resumed)"
        )
    if isinstance(seed, bool | float | str | bytes):
        raise TypeError(f"{name}: expected {expected}, found {seed!r}")
    values = [] if seed is None else np.atleast_1d(np.asarray(seed, dtype=object)).tolist()
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"{name}: expected {expected}, found {seed!r}")
    return np.random.SeedSequence(seed)


def plain_entropy(root: np.random.SeedSequence) -> int | list[int]:
    """A seed's entropy as plain JSON-ready data (an int, or a list of ints for a sequence),
    however it was given (numpy integers, tuples)."""
    entropy = root.entropy
    if isinstance(entropy, Sequence) or isinstance(entropy, np.ndarray):
        return [int(e) for e in entropy]
    return int(entropy)  # type: ignore[arg-type]


def _plain_key(root: np.random.SeedSequence) -> list[int]:
    return [int(k) for k in root.spawn_key]


def show_progress(progress: bool | None) -> bool:
    """Whether to draw a progress bar: as asked, else when stderr is a terminal and CI is unset."""
    if progress is None:
        return sys.stderr.isatty() and not os.environ.get("CI")
    return bool(progress)


def progress_bar(
    total: int | None, desc: str, unit: str, progress: bool | None = None, initial: int = 0
) -> tqdm:
    """A tqdm bar on stderr following :func:`show_progress` (disabled, not absent, when off)."""
    return tqdm(
        total=total,
        initial=initial,
        desc=desc,
        unit=unit,
        disable=not show_progress(progress),
        file=sys.stderr,
    )


@dataclass(frozen=True)
class Checkpoint:
    """A long run's checkpoint file: a ``.npz`` of arrays plus a JSON header (no pickle).

    The header carries the format, the configuration the run was started with and its seed, so a
    resumed run can check that it continues the same computation. Rewritten atomically after
    each unit of work (an SMC generation or tempering step, a validation origin), so an
    interrupted run resumes from its last complete unit.
    """

    path: Path | None
    format: str
    kind: str
    config: dict

    def save(self, root: np.random.SeedSequence, header: dict, arrays: dict) -> None:
        """Write atomically (a temporary file, then ``os.replace``); nothing if there is no path."""
        if self.path is None:
            return
        full = {
            "format": self.format,
            "config": self.config,
            "seed": {"entropy": plain_entropy(root), "spawn_key": _plain_key(root)},
            **header,
        }
        handle, temporary = tempfile.mkstemp(
            dir=self.path.parent, prefix=self.path.name, suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(file, header=np.array(json.dumps(full)), **arrays)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def load(
        self, names: Sequence[str] | None, seed: Seed, root: np.random.SeedSequence
    ) -> tuple[dict, dict[str, np.ndarray], np.random.SeedSequence] | None:
        """The header, the arrays ``names`` (None: all) and the run's root seed; None if there is
        no file.

        Raises :class:`~escalation.errors.CheckpointError` (a ValueError) when the file is not
        such a checkpoint, was written by another configuration, or (when ``seed`` is given)
        with another seed, and when its folder does not exist (before any work is done).
        """
        if self.path is None:
            return None
        if not self.path.parent.is_dir():
            raise CheckpointError(
                f"checkpoint {self.path}: its folder {self.path.parent} does not exist"
            )
        if not self.path.exists():
            return None
        path = self.path
        header, arrays = _read_checkpoint(path, names, self.kind)
        if header.get("format") != self.format:
            raise CheckpointError(
                f"checkpoint {path} has format {header.get('format')!r}; expected {self.format}"
            )
        differences = _differences(header["config"], self.config)
        if differences:
            raise CheckpointError(
                f"checkpoint {path} was written by a different configuration; delete it or use "
                "another path to start afresh. Differences: " + "; ".join(differences)
            )
        stored = header["seed"]
        if seed is not None and (
            stored["entropy"] != plain_entropy(root) or stored["spawn_key"] != _plain_key(root)
        ):
            raise CheckpointError(
                f"checkpoint {path} was written with seed entropy {stored['entropy']} and spawn "
                f"key {stored['spawn_key']}; this call has {plain_entropy(root)} and "
                f"{_plain_key(root)}"
            )
        return header, arrays, _stored_seed(header)


def _read_checkpoint(
    path: Path, names: Sequence[str] | None, kind: str
) -> tuple[dict, dict[str, np.ndarray]]:
    """A checkpoint file's header and arrays; CheckpointError, saying why, if it cannot be read
    (cut short by a full disk or a copy, emptied, or not a checkpoint at all)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            wanted = [n for n in data.files if n != "header"] if names is None else names
            arrays = {name: data[name] for name in wanted}
    except (EOFError, zipfile.BadZipFile) as error:
        raise CheckpointError(
            f"checkpoint {path} is damaged or cut short ({error}); delete it to start afresh"
        ) from error
    except (OSError, KeyError, ValueError) as error:
        reason = "it holds Python objects" if "allow_pickle" in str(error) else str(error)
        raise CheckpointError(
            f"checkpoint {path} is not {kind} checkpoint ({reason}); delete it or use another "
            "path to start afresh"
        ) from error
    return header, arrays


def _differences(stored: Mapping, current: Mapping, prefix: str = "") -> list[str]:
    """What differs between a checkpoint's configuration and this call's, key by key (into
    nested mappings, so a changed window is named, not the whole identity; a changed text, such
    as a scenario's TOML, by the lines that differ)."""
    found = []
    for key in sorted(stored.keys() | current.keys()):
        old, value = stored.get(key), current.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            found += _differences(old, value, f"{prefix}{key}.")
        elif old == value:
            continue
        elif isinstance(old, str) and isinstance(value, str) and "\n" in old + value:
            found.append(f"{prefix}{key}: " + _changed_lines(old, value))
        else:
            found.append(f"{prefix}{key}: checkpoint has {old!r}, this call has {value!r}")
    return found


#: Changed lines of a text (a scenario's TOML) a checkpoint refusal quotes.
MAX_CHANGED_LINES = 6


def _changed_lines(old: str, new: str) -> str:
    """The lines that differ between two texts, the checkpoint's marked -, this call's +."""
    changed = [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    shown = " | ".join(changed[:MAX_CHANGED_LINES])
    more = len(changed) - MAX_CHANGED_LINES
    return f"lines differ (-checkpoint, +this call): {shown}" + (
        f" | and {more} more" if more > 0 else ""
    )


def checkpoint_seed(path: str | os.PathLike) -> np.random.SeedSequence | None:
    """The seed a checkpoint file was written with, or None (no file, or not readable): what
    an unseeded run, interrupted, resumes from."""
    if not Path(path).exists():
        return None
    try:
        header, _ = _read_checkpoint(Path(path), (), "a")
        return _stored_seed(header)
    except (CheckpointError, KeyError):
        return None


def _stored_seed(header: dict) -> np.random.SeedSequence:
    """The root seed a checkpoint's header records."""
    stored = header["seed"]
    return np.random.SeedSequence(stored["entropy"], spawn_key=tuple(stored["spawn_key"]))


def frame_sha256(frame: pd.DataFrame) -> str:
    """A fingerprint of a table's values (not its index), for checkpoint configurations."""
    values = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(values.tobytes()).hexdigest()


def frame_arrays(frame: pd.DataFrame, prefix: str) -> tuple[dict, dict[str, np.ndarray]]:
    """A table as plain numpy arrays (``{prefix}_{i}``, no pickle) and the description
    :func:`frame_from_arrays` rebuilds it from, dtypes and categories included.

    Numbers, booleans, dates, strings and categoricals of strings are stored exactly; any other
    column (mixed objects, missing strings) raises TypeError naming it, rather than being
    written as something else.
    """
    if frame.columns.has_duplicates:
        raise TypeError(f"columns {list(frame.columns)}: names must be unique to be checkpointed")
    columns = []
    arrays = {}
    for i, (name, column) in enumerate(frame.items()):
        key = f"{prefix}_{i}"
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            categories = dtype.categories
            _check_strings(name, categories)
            arrays[key] = column.cat.codes.to_numpy()
            arrays[key + "_categories"] = categories.to_numpy(dtype=str)
            columns.append([name, "category", str(categories.dtype)])
            continue
        if dtype.kind in "biufmM" and column.to_numpy().dtype != object:
            arrays[key] = column.to_numpy()
        else:
            _check_strings(name, column)
            arrays[key] = column.to_numpy(dtype=str)
        columns.append([name, str(dtype), None])
    return {"columns": columns, "rows": len(frame)}, arrays


def frame_from_arrays(
    description: dict, arrays: Mapping[str, np.ndarray], prefix: str
) -> pd.DataFrame:
    """The table :func:`frame_arrays` described, from its arrays."""
    data: dict[str, Any] = {}
    for i, (name, dtype, categories_dtype) in enumerate(description["columns"]):
        key = f"{prefix}_{i}"
        if dtype == "category":
            categories = pd.Index(arrays[key + "_categories"].tolist(), dtype=categories_dtype)
            data[name] = pd.Categorical.from_codes(arrays[key], categories=categories)
        else:
            data[name] = pd.Series(arrays[key]).astype(dtype)
    return pd.DataFrame(data, index=pd.RangeIndex(description["rows"]))


def _check_strings(name: Any, values: Any) -> None:
    if not all(isinstance(value, str) for value in values):
        raise TypeError(f"column {name!r}: only numbers, dates and strings can be checkpointed")

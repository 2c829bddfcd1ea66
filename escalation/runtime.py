"""How a run is set up: one rule for seeds and one for progress bars, used by every public function.

Seeds follow SPEC 7 of scientific Python in its reproducible form (as SALib's ``handle_seed`` does
for its samplers): every ``seed=`` accepts ``None`` (fresh entropy, recorded in the result's
manifest so the run can be repeated), a non-negative int, a sequence of them, or a
:class:`numpy.random.SeedSequence`. A :class:`numpy.random.Generator` is refused: its state
cannot be recorded in a manifest nor split reproducibly across chunks of worlds.
"""

from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Sequence
from concurrent.futures import Executor
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

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

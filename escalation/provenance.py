"""Provenance manifests: what produced a result, so it can be reproduced and checked.

A manifest is a plain JSON-ready dict recording the package version and git commit, the scenario
(as TOML text and its SHA-256), the seed, the number of worlds, the SHA-256 of every input data
file, the time, and the versions of Python and the numerical libraries. Savers add an ``outputs``
section (:func:`with_outputs`) hashing the files they wrote, which :func:`verify_manifest` checks
later. This follows the "minimum information" practice of recording software, data and seeds for
every computational result (Sandve, Nekrutenko, Taylor & Hovig 2013, "Ten simple rules for
reproducible computational research", PLoS Computational Biology 9:e1003285).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from escalation import __version__

__all__ = ["file_sha256", "git_commit", "git_dirty", "manifest", "verify_manifest", "with_outputs"]

#: Sections of a manifest that map file names to SHA-256 digests.
FILE_SECTIONS = ("data_files", "outputs")
#: Seconds to wait for git before recording the commit as unknown.
_GIT_TIMEOUT = 5.0
_LIBRARIES = ("numpy", "pandas", "scipy", "mesa")


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 digest of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _git(directory: Path, *args: str) -> str | None:
    """Output of ``git args`` run in ``directory``; None if git is missing, fails or hangs."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_commit(directory: str | os.PathLike | None = None) -> str | None:
    """The commit checked out in the git repository containing ``directory``, or None.

    ``directory`` defaults to the installed package's directory. None when it is not inside a git
    checkout, the repository has no commit yet, or git is not installed: never an error.
    """
    directory = Path(__file__).parent if directory is None else Path(directory)
    return _git(directory, "rev-parse", "HEAD")


def git_dirty(directory: str | os.PathLike | None = None) -> bool | None:
    """Whether tracked files differ from the commit :func:`git_commit` reports (None if unknown).

    A commit hash alone misdescribes a run made from a modified working tree.
    """
    directory = Path(__file__).parent if directory is None else Path(directory)
    if git_commit(directory) is None:
        return None
    status = _git(directory, "status", "--porcelain", "--untracked-files=no")
    return None if status is None else bool(status)


def _hash_files(paths: Iterable[str | os.PathLike]) -> dict[str, str]:
    """``{file name: SHA-256}``; two files with the same name are an error."""
    hashes: dict[str, str] = {}
    for path in map(Path, paths):
        if path.name in hashes:
            raise ValueError(f"two files named {path.name!r} given; file names must be unique")
        if not path.is_file():
            raise FileNotFoundError(f"data file {path} does not exist or is not a file")
        hashes[path.name] = file_sha256(path)
    return hashes


def _seed_record(seed) -> tuple[int | Sequence[int] | None, list[int]]:
    """The seed as (entropy, spawn key): reproducible as ``SeedSequence(entropy, spawn_key)``."""
    if seed is None:
        return None, []
    if isinstance(seed, np.random.SeedSequence):
        return seed.entropy, list(seed.spawn_key)
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool):
        return int(seed), []
    raise TypeError(
        f"seed must be None, an int or a numpy.random.SeedSequence, got {type(seed).__name__}"
    )


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def manifest(
    scenario=None,
    seed: int | np.random.SeedSequence | None = None,
    n_worlds: int | None = None,
    data_files: Iterable[str | os.PathLike] = (),
    **extra,
) -> dict:
    """Record what produced a result.

    Parameters
    ----------
    scenario : object with ``to_toml()``, optional
        The scenario run; stored as TOML text with its SHA-256 (of the UTF-8 bytes).
    seed : int, SeedSequence or None
        Stored as ``seed`` (the entropy) and ``seed_spawn_key``.
    n_worlds : int, optional
    data_files : paths
        Input data files, hashed into ``data_files`` as ``{file name: SHA-256}``.
    **extra
        Further JSON-ready entries; they may not reuse a standard key.

    Returns
    -------
    dict
        Keys ``escalation_version``, ``git_commit``, ``git_dirty`` (uncommitted changes to tracked
        files; None when the commit is unknown), ``scenario_toml``, ``scenario_sha256``, ``seed``,
        ``seed_spawn_key``, ``n_worlds``, ``data_files``, ``created_utc`` (ISO 8601),
        ``versions`` (python, numpy, pandas, scipy, mesa), ``platform``, then ``extra``.
    """
    toml = None if scenario is None else scenario.to_toml()
    entropy, spawn_key = _seed_record(seed)
    record = {
        "escalation_version": __version__,
        "git_commit": git_commit(),
        "git_dirty": git_dirty(),
        "scenario_toml": toml,
        "scenario_sha256": None if toml is None else hashlib.sha256(toml.encode()).hexdigest(),
        "seed": entropy,
        "seed_spawn_key": spawn_key,
        "n_worlds": None if n_worlds is None else int(n_worlds),
        "data_files": _hash_files(data_files),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": {"python": platform.python_version()}
        | {name: _version(name) for name in _LIBRARIES},
        "platform": platform.platform(),
    }
    clashes = sorted(set(extra) & set(record))
    if clashes:
        raise ValueError(f"manifest: extra entries {clashes} would overwrite standard keys")
    return record | extra


def with_outputs(
    record: Mapping, directory: str | os.PathLike, names: Iterable[str]
) -> dict[str, object]:
    """A copy of manifest ``record`` whose ``outputs`` section hashes files ``names`` in
    ``directory`` (added to any already recorded), for :func:`verify_manifest` to check later."""
    outputs = dict(record.get("outputs", {}))
    outputs.update(_hash_files(Path(directory) / name for name in names))
    return {**record, "outputs": outputs}


def verify_manifest(
    record: Mapping, directory: str | os.PathLike, section: str = "outputs"
) -> list[str]:
    """Names of the files in ``record[section]`` that are missing from ``directory`` or whose
    SHA-256 no longer matches; an empty list when everything is as recorded.

    ``section="outputs"`` checks the files a saver wrote; ``"data_files"`` checks input data files
    against a directory holding them.
    """
    if section not in FILE_SECTIONS:
        raise ValueError(f"section must be one of {FILE_SECTIONS}, got {section!r}")
    changed = []
    for name, digest in record.get(section, {}).items():
        path = Path(directory) / name
        if not path.is_file() or file_sha256(path) != digest:
            changed.append(name)
    return changed

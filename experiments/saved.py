"""Rows of an experiment saved as they are computed, so an interrupted run resumes where it stopped.

A row is any JSON value (a dict of numbers, a table's columns) saved with the settings that
produced it: a rerun with the same settings reads it back instead of computing it again, and
one with other settings computes and saves it anew. Rows, and any other file an experiment
resumes from, are written whole (:func:`write_whole`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


def saved_row(path: Path, settings: Mapping[str, Any], compute: Callable[[], Any]) -> Any:
    """The row saved at ``path`` if it was computed under ``settings``, else ``compute()``'s.

    A computed row is written whole (:func:`write_whole`) and returned as a rerun reads it back
    (tuples as lists), so the first run and a resumed one print the same. A file that is not a
    saved row (damaged by hand) is named on one line and the row computed again.
    """
    wanted = json.loads(json.dumps(settings))  # as read back from the file
    saved = _read(path)
    if saved is not None and saved["settings"] == wanted:
        return saved["row"]
    text = json.dumps({"settings": wanted, "row": compute()})
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, text)
    return json.loads(text)["row"]


def write_whole(path: Path, text: str) -> None:
    """Write ``text`` to a ``.tmp`` file renamed over ``path`` (and removed if the write fails),
    so an interruption leaves the old file or the new one, never part of one."""
    temporary = path.with_suffix(".tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def slug(name: str) -> str:
    """``name`` as a file name: lower case, each run of other characters one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _read(path: Path) -> dict[str, Any] | None:
    """The settings and row saved at ``path``; None if there is none or the file is damaged."""
    if not path.exists():
        return None
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        saved = None
    if isinstance(saved, dict) and saved.keys() == {"settings", "row"}:
        return saved
    print(f"{path}: not a saved row; computing it again", flush=True)
    return None

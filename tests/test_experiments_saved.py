"""The experiments' saved rows: computed once, read back under the same settings, computed again
under others or when the file is damaged, and always written whole (no ``.tmp`` left)."""

from __future__ import annotations

import json

import pytest

from experiments.saved import saved_row, slug, write_whole

SETTINGS = {"seed": 1, "names": ("a", "b")}


class Counted:
    """A row's computation that counts its calls."""

    def __init__(self, row):
        self.row, self.calls = row, 0

    def __call__(self):
        self.calls += 1
        return self.row


def test_a_row_is_computed_once_and_read_back_under_the_same_settings(tmp_path):
    path = tmp_path / "rows" / "full-model.json"
    compute = Counted({"log_evidence": -12.5, "draws": (1, 2)})
    first = saved_row(path, SETTINGS, compute)
    again = saved_row(path, {"seed": 1, "names": ["a", "b"]}, compute)  # a tuple reads as a list
    assert compute.calls == 1
    assert first == again == {"log_evidence": -12.5, "draws": [1, 2]}
    assert json.loads(path.read_text(encoding="utf-8"))["settings"] == {
        "seed": 1,
        "names": ["a", "b"],
    }
    assert list(tmp_path.rglob("*.tmp")) == []


def test_other_settings_compute_the_row_again_and_replace_it(tmp_path):
    path = tmp_path / "row.json"
    saved_row(path, SETTINGS, Counted(1.0))
    other = Counted(2.0)
    assert saved_row(path, {**SETTINGS, "seed": 2}, other) == 2.0
    assert saved_row(path, {**SETTINGS, "seed": 2}, other) == 2.0
    assert other.calls == 1
    assert list(tmp_path.rglob("*.tmp")) == []


@pytest.mark.parametrize("damage", ['{"settings": {"seed": 1', "[1, 2]", '{"row": 3}'])
def test_a_damaged_file_is_named_and_the_row_computed_again(tmp_path, capsys, damage):
    path = tmp_path / "row.json"
    path.write_text(damage, encoding="utf-8")
    compute = Counted(3.0)
    assert saved_row(path, SETTINGS, compute) == 3.0
    assert compute.calls == 1
    assert capsys.readouterr().out == f"{path}: not a saved row; computing it again\n"
    assert saved_row(path, SETTINGS, compute) == 3.0  # now saved whole
    assert compute.calls == 1
    assert list(tmp_path.rglob("*.tmp")) == []


def test_an_interrupted_computation_leaves_no_file(tmp_path):
    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        saved_row(tmp_path / "rows" / "row.json", SETTINGS, interrupted)
    assert list(tmp_path.rglob("*")) == []


def test_a_failed_write_keeps_the_old_file_and_leaves_no_tmp(tmp_path):
    path = tmp_path / "settings.json"
    write_whole(path, "old")
    with pytest.raises(UnicodeEncodeError):
        write_whole(path, "\ud800")  # a lone surrogate: the .tmp is opened, then the write fails
    assert path.read_text(encoding="utf-8") == "old"
    assert list(tmp_path.rglob("*.tmp")) == []


def test_slug_of_a_row_name():
    assert slug("ied_report_2022 = 0.5") == "ied-report-2022-0-5"
    assert slug("Without vows of revenge (no reprisal instead)") == (
        "without-vows-of-revenge-no-reprisal-instead"
    )

"""load_events by period name: the shipped records, their aliases, paths and unknown names.

Row counts are those docs/data.md gives for each file (computed there from the files).
"""

from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from escalation.events.io import PERIODS, load_events, period_name, validate_events

ROWS = {"2019_2020": 37, "2021": 111, "2022": 35}


def shipped(period):
    return Path(str(resources.files("escalation").joinpath("data", PERIODS[period].file)))


def test_periods_are_the_shipped_files():
    assert set(PERIODS) == set(ROWS)
    assert PERIODS["2019_2020"].file == "events_2019_2020.csv"
    assert str(PERIODS["2019_2020"].start) == "2019-12-27"
    assert str(PERIODS["2019_2020"].end) == "2020-03-31"
    for period in PERIODS.values():
        assert period.start < period.end


@pytest.mark.parametrize("period", sorted(ROWS))
def test_each_period_loads_by_name_within_its_dates(period):
    events = load_events(period)
    assert len(events) == ROWS[period]
    start, end = PERIODS[period].start, PERIODS[period].end
    assert events["date"].min() >= pd.Timestamp(start)
    assert events["date"].max() <= pd.Timestamp(end)
    pd.testing.assert_frame_equal(validate_events(events), events)


@pytest.mark.parametrize("period", sorted(ROWS))
def test_name_and_path_give_the_same_log(period):
    by_path = load_events(shipped(period))
    pd.testing.assert_frame_equal(load_events(period), by_path)
    pd.testing.assert_frame_equal(load_events(str(shipped(period))), by_path)


def test_default_is_the_2021_record():
    pd.testing.assert_frame_equal(load_events(), load_events("2021"))


@pytest.mark.parametrize("alias", ["2019-20", "2019-2020", " 2019_2020 "])
def test_aliases_name_the_winter_period(alias):
    assert period_name(alias) == "2019_2020"
    pd.testing.assert_frame_equal(load_events(alias), load_events("2019_2020"))


def test_unknown_name_lists_the_periods():
    with pytest.raises(FileNotFoundError) as info:
        load_events("2023")
    message = str(info.value)
    assert "'2023'" in message
    for name in ("2019_2020", "2021", "2022"):
        assert name in message


def test_a_path_object_is_never_a_period_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert period_name(Path("2021")) is None
    with pytest.raises(FileNotFoundError, match="no event file '2021'"):
        load_events(Path("2021"))


def test_text_cells_are_stripped_whatever_the_string_dtype():
    events = load_events("2022").head(3)
    padded = events.assign(actor=" " + events["actor"] + " ")
    for dtype in (object, "str"):
        checked = validate_events(padded.astype({"actor": dtype, "location": dtype}))
        assert checked["actor"].tolist() == events["actor"].tolist()

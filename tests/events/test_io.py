"""load_events and validate_events: the canonical CSV and frames, and the shipped records.

Fixture ``data/observed_events.csv`` holds five canonical rows; the first has a note on two
lines, so data rows sit on lines 2-3, 4, 5, 6 and 7. The shipped records are loaded by
period name, alias or path; their row counts are those docs/data.md gives for each file
(computed there from the files).
"""

from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from escalation.errors import EventDataError
from escalation.events.io import (
    PERIODS,
    load_events,
    load_record,
    period_name,
    shipped_through,
    validate_events,
)
from escalation.events.schema import COLUMNS, Actor, EventType
from tests.helpers import DATA, csv_rows, write_rows

EVENTS = DATA / "observed_events.csv"
# File line of each data row of observed_events.csv (row 0 spans lines 2-3).
LINES = [2, 4, 5, 6, 7]
ROWS = {"2019_2020": 39, "2021": 112, "2022": 35}


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


def test_a_record_across_years_joins_the_shipped_files_in_date_order():
    record = load_record(date(2021, 12, 1), date(2022, 1, 31))
    assert len(record) == ROWS["2021"] + ROWS["2022"]  # whole files: the window picks them
    assert record["date"].is_monotonic_increasing
    assert load_record(date(2021, 3, 1), date(2021, 3, 2)).equals(load_events("2021"))


@pytest.mark.parametrize(
    ("start", "end", "uncovered"),
    [
        (date(2020, 3, 1), date(2021, 1, 10), "2020-04-01"),  # the gap after the winter record
        (date(2020, 5, 1), date(2020, 5, 2), "2020-05-01"),
        (date(2022, 12, 1), date(2023, 1, 5), "2023-01-01"),
        (date(2019, 12, 1), date(2019, 12, 30), "2019-12-01"),
    ],
)
def test_a_record_is_refused_at_the_first_day_no_shipped_file_covers(start, end, uncovered):
    with pytest.raises(EventDataError, match=f"no shipped record covers {uncovered}"):
        load_record(start, end)


def test_the_shipped_records_run_unbroken_from_2021_to_the_end_of_2022():
    assert shipped_through(date(2021, 3, 1)) == date(2022, 12, 31)
    assert shipped_through(date(2020, 2, 1)) == date(2020, 3, 31)  # the winter stands alone
    assert shipped_through(date(2020, 6, 1)) is None


def test_a_record_window_must_not_end_before_it_starts():
    with pytest.raises(ValueError, match="ends"):
        load_record(date(2021, 2, 1), date(2021, 1, 1))


@pytest.mark.parametrize("alias", ["2019-20", "2019-2020", " 2019_2020 "])
def test_aliases_name_the_winter_period(alias):
    assert period_name(alias) == "2019_2020"
    pd.testing.assert_frame_equal(load_events(alias), load_events("2019_2020"))


def test_a_year_as_a_number_names_its_period():
    pd.testing.assert_frame_equal(load_events(2022), load_events("2022"))
    assert period_name(2021) == "2021" and period_name(2030) is None
    with pytest.raises(FileNotFoundError, match="no period of that name"):
        load_events(2030)


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


# ----------------------------------------------------------------------------- load_events


def test_load_events_types_order_and_values():
    df = load_events(EVENTS)
    assert list(df.columns) == list(COLUMNS)
    assert df["date"].dtype == "datetime64[ns]"
    for column in ("projectiles", "us_killed", "us_injured", "others_killed"):
        assert df[column].dtype == "Int64"
    # Sorted by date; file order kept within a day (lines 5 then 7; 4 then 6).
    assert list(df["date"].dt.strftime("%m-%d")) == ["02-15", "02-20", "02-20", "02-25", "02-25"]
    assert list(df["event_type"]) == [
        "rocket_attack",
        "rocket_attack",
        "context",
        "airstrike",
        "return_fire",
    ]
    assert all(type(v) is str for v in df["actor"]) and all(type(v) is str for v in df["notes"])
    first = df.iloc[0]
    assert first["notes"] == "A note on two lines:\nthe second line of the same note"
    assert (first["projectiles"], first["us_injured"], first["others_killed"]) == (14, 5, 1)
    # Missing text is the empty string, never NaN.
    assert df.loc[1, "group"] == "" and df.loc[1, "confidence"] == ""
    assert not df[["group", "target", "notes", "confidence"]].isna().any().any()


def test_empty_count_stays_unknown_and_zero_stays_zero():
    df = load_events(EVENTS)
    balad = df[df["location"] == "Balad air base"].iloc[0]
    assert balad["us_killed"] is pd.NA and balad["others_killed"] is pd.NA
    airstrike = df[df["event_type"] == "airstrike"].iloc[0]
    assert airstrike["us_killed"] == 0 and airstrike["projectiles"] is pd.NA
    assert df["us_killed"].isna().sum() == 2  # Balad and Tehran only


def test_round_trip_through_csv(tmp_path):
    df = load_events(EVENTS)
    out = tmp_path / "again.csv"
    df.to_csv(out, index=False, date_format="%Y-%m-%d")
    pd.testing.assert_frame_equal(load_events(out), df)


def test_columns_in_any_order_and_optional_columns_may_be_absent(tmp_path):
    rows = [{"source": "s", "location": "l", "country": "Iraq", "event_type": "ied_attack",
             "actor": "militia", "date": "2021-03-01"}]  # fmt: skip
    df = load_events(write_rows(tmp_path / "short.csv", rows))
    assert list(df.columns) == list(COLUMNS)
    assert df.loc[0, "projectiles"] is pd.NA and df.loc[0, "notes"] == ""


def bad_file(tmp_path, row, column, value, name="bad.csv"):
    rows = csv_rows(EVENTS)
    rows[row][column] = value
    return write_rows(tmp_path / name, rows)


@pytest.mark.parametrize(
    "row, column, value, expected",
    [
        (1, "date", "2021-02-30", "ISO date"),
        (2, "date", "20/02/2021", "ISO date"),
        (2, "date", "2021-2-20", "ISO date"),
        (0, "date", "", "required"),
        (3, "source", "", "required"),
        (4, "location", "", "required"),
        (1, "event_type", "missile_strike", "rocket_attack, drone_attack"),
        (2, "actor", "Hezbollah", "US, militia, Israel"),
        (3, "actor", "", "required"),
        (2, "projectiles", "2.5", "non-negative whole number"),
        (1, "us_killed", "-1", "non-negative whole number"),
        (4, "others_killed", "three", "non-negative whole number"),
        (2, "attribution_confirmed", "maybe", "yes, no, or empty"),
        (3, "confidence", "certain", "high, medium, low, or empty"),
        # A misspelt country would put an attack at another country's default site and a
        # strike in Iraq in Syria: the armed events must be in Iraq or Syria, spelt so.
        (0, "country", "Irak", "Iraq or Syria for an attack, airstrike or return fire"),
        (1, "country", "syria", "Iraq or Syria"),
        (3, "country", "Lebanon", "Iraq or Syria"),
    ],
)
def test_bad_cell_is_reported_with_file_line_column_value(tmp_path, row, column, value, expected):
    path = bad_file(tmp_path, row, column, value)
    with pytest.raises(EventDataError) as info:
        load_events(path)
    message = str(info.value)
    assert "bad.csv" in message
    assert f"line {LINES[row]}," in message
    assert f"column '{column}'" in message
    assert (f"'{value}'" if value else "an empty field") in message
    assert expected in message
    assert "more row" not in message


def test_context_rows_may_be_anywhere(tmp_path):
    # Row 4 is a context row in Tehran; political acts and context name any country.
    events = load_events(bad_file(tmp_path, 4, "country", "Austria"))
    assert events.loc[events["location"] == "Tehran", "country"].tolist() == ["Austria"]


def test_whole_numbers_written_as_floats_are_read_as_whole_numbers(tmp_path):
    # pandas writes a count column with blanks as floats ("5.0"): the same numbers, not errors.
    expected = load_events(EVENTS)
    rows = csv_rows(EVENTS)
    rows[0]["us_injured"], rows[0]["projectiles"] = "5.0", "14.00"
    pd.testing.assert_frame_equal(load_events(write_rows(tmp_path / "floats.csv", rows)), expected)
    roundtrip = tmp_path / "pandas.csv"
    pd.read_csv(EVENTS).to_csv(roundtrip, index=False)
    pd.testing.assert_frame_equal(load_events(roundtrip), expected)


@pytest.mark.parametrize("separator, name", [(";", "semicolons"), ("\t", "tabs")])
def test_a_file_with_another_separator_is_named_as_such(tmp_path, separator, name):
    path = tmp_path / "excel.csv"
    pd.read_csv(EVENTS).to_csv(path, sep=separator, index=False)
    with pytest.raises(EventDataError, match=f"excel.csv, line 1: .*separated by {name}"):
        load_events(path)


def test_first_error_reported_and_others_counted(tmp_path):
    rows = csv_rows(EVENTS)
    rows[4]["actor"] = "nobody"
    rows[1]["us_injured"] = "x"
    rows[1]["confidence"] = "sure"  # same row as the first error: not counted again
    rows[3]["date"] = "2021-13-01"
    with pytest.raises(EventDataError, match=r"line 4, column 'us_injured'.*and 2 more rows"):
        load_events(write_rows(tmp_path / "bad.csv", rows))


def test_file_with_one_bad_row_is_rejected_whole(tmp_path):
    rows = csv_rows(EVENTS)
    rows[-1]["event_type"] = "rocket attack"
    path = write_rows(tmp_path / "last_row_bad.csv", rows)
    with pytest.raises(EventDataError, match="line 7"):
        load_events(path)


def test_missing_required_column_is_named_with_expected_columns(tmp_path):
    rows = csv_rows(EVENTS)
    for row in rows:
        del row["location"]
    with pytest.raises(EventDataError) as info:
        load_events(write_rows(tmp_path / "no_location.csv", rows))
    message = str(info.value)
    assert "no_location.csv" in message and "missing required column 'location'" in message
    assert "date, actor, group, target, event_type" in message


def test_unknown_extra_column_is_rejected(tmp_path):
    rows = csv_rows(EVENTS)
    for row in rows:
        row["casualties"] = "1"
    with pytest.raises(EventDataError, match="extra.csv: unknown column 'casualties'"):
        load_events(write_rows(tmp_path / "extra.csv", rows))


def test_wrong_number_of_fields_names_the_line(tmp_path):
    text = EVENTS.read_text().splitlines()
    text[4] += ",surplus"  # line 5 of the file
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(EventDataError, match="ragged.csv, line 5: found 16 fields, expected 15"):
        load_events(path)


def test_built_in_dataset_validates():
    path = Path(__file__).parents[2] / "escalation" / "data" / "events_2021.csv"
    if not path.exists():
        pytest.skip("escalation/data/events_2021.csv not written yet")
    df = load_events()
    assert len(df) > 0 and list(df.columns) == list(COLUMNS)
    assert (df["date"].dt.year == 2021).all()
    assert df["date"].is_monotonic_increasing
    pd.testing.assert_frame_equal(validate_events(df), df)


# ---------------------------------------------------------------------- validate_events


def test_validate_events_accepts_typed_frames():
    frame = pd.DataFrame(
        {
            "date": [pd.Timestamp("2021-07-08 09:30"), pd.Timestamp("2021-07-05")],
            "actor": [Actor.MILITIA, "militia"],
            "event_type": [EventType.ROCKET_ATTACK, EventType.DRONE_ATTACK],
            "country": ["Iraq", "Iraq"],
            "location": ["Baghdad", "Erbil"],
            "source": ["a", "b"],
            "projectiles": [2.0, np.nan],
            "us_killed": pd.array([0, None], dtype="Int64"),
            "group": [None, np.nan],
        }
    )
    df = validate_events(frame)
    assert list(df["date"]) == [pd.Timestamp("2021-07-05"), pd.Timestamp("2021-07-08")]
    assert list(df["event_type"]) == ["drone_attack", "rocket_attack"]
    assert type(df.loc[1, "actor"]) is str and df.loc[1, "actor"] == "militia"
    assert df.loc[0, "projectiles"] is pd.NA and df.loc[1, "projectiles"] == 2
    assert list(df["group"]) == ["", ""]


def test_validate_events_names_the_row_label():
    frame = load_events(EVENTS).set_axis([10, 11, 12, 13, 14])
    frame.loc[12, "projectiles"] = -3
    with pytest.raises(EventDataError, match=r"<frame>, row 12, column 'projectiles': found '-3'"):
        validate_events(frame)
    frame = load_events(EVENTS).astype({"others_killed": float})
    frame.loc[0, "others_killed"] = 0.5
    with pytest.raises(EventDataError, match="mylog, row 0, column 'others_killed': found '0.5'"):
        validate_events(frame, origin="mylog")


def test_validate_events_keeps_simulation_columns_and_sorts_by_world():
    observed = load_events(EVENTS)
    simulated = pd.concat([observed.assign(world=1), observed.assign(world=0)])
    simulated["day"] = (simulated["date"] - pd.Timestamp("2021-02-01")).dt.days
    df = validate_events(simulated)
    assert list(df.columns) == [*COLUMNS, "world", "day"]
    assert list(df["world"]) == [0] * 5 + [1] * 5
    assert df["day"].dtype == np.int64 and df["day"].iloc[0] == 14
    with pytest.raises(EventDataError, match="column 'world': found '-1'"):
        validate_events(simulated.assign(world=-1))

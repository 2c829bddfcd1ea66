"""Loaders of observed data: canonical CSV and frames, ACLED exports.

Fixtures: ``data/observed_events.csv`` (five canonical rows; the first has a note on two
lines, so data rows sit on lines 2-3, 4, 5, 6 and 7) and ``data/acled_sample.csv`` (ten
rows written from the ACLED codebook, one per mapping branch).
"""

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from escalation.errors import EventDataError
from escalation.events.acled import AcledRowsSetAside, SetAside, load_acled
from escalation.events.io import load_events, validate_events
from escalation.events.schema import COLUMNS, Actor, EventType

DATA = Path(__file__).parent / "data"
EVENTS = DATA / "observed_events.csv"
ACLED = DATA / "acled_sample.csv"
# File line of each data row of observed_events.csv (row 0 spans lines 2-3).
LINES = [2, 4, 5, 6, 7]


def fixture_rows(path=EVENTS):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path, rows, fieldnames=None):
    fieldnames = fieldnames or list(rows[0])
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


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
    rows = fixture_rows()
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


def test_first_error_reported_and_others_counted(tmp_path):
    rows = fixture_rows()
    rows[4]["actor"] = "nobody"
    rows[1]["us_injured"] = "x"
    rows[1]["confidence"] = "sure"  # same row as the first error: not counted again
    rows[3]["date"] = "2021-13-01"
    with pytest.raises(EventDataError, match=r"line 4, column 'us_injured'.*and 2 more rows"):
        load_events(write_rows(tmp_path / "bad.csv", rows))


def test_file_with_one_bad_row_is_rejected_whole(tmp_path):
    rows = fixture_rows()
    rows[-1]["event_type"] = "rocket attack"
    path = write_rows(tmp_path / "last_row_bad.csv", rows)
    with pytest.raises(EventDataError, match="line 7"):
        load_events(path)


def test_missing_required_column_is_named_with_expected_columns(tmp_path):
    rows = fixture_rows()
    for row in rows:
        del row["location"]
    with pytest.raises(EventDataError) as info:
        load_events(write_rows(tmp_path / "no_location.csv", rows))
    message = str(info.value)
    assert "no_location.csv" in message and "missing required column 'location'" in message
    assert "date, actor, group, target, event_type" in message


def test_unknown_extra_column_is_rejected(tmp_path):
    rows = fixture_rows()
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
    path = Path(__file__).parents[1] / "escalation" / "data" / "events_2021.csv"
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


# ---------------------------------------------------------------------------- load_acled

# Expected canonical cells of each ACLED fixture row, in file order.
ACLED_EXPECTED = [
    ("2021-06-27", "US", "", "airstrike", "Iraq", "Al Qaim", 4, "yes"),
    ("2021-06-28", "militia", "", "rocket_attack", "Syria", "Al Omar Oil Field", 0, "no"),
    ("2021-06-28", "US", "", "return_fire", "Syria", "Al Mayadin", 0, "yes"),
    ("2021-07-06", "militia", "Kata'ib Hezbollah", "drone_attack", "Iraq", "Erbil Airport", 0,
     "yes"),
    ("2021-05-30", "militia", "", "ied_attack", "Iraq", "Ad Diwaniyah", 0, "no"),
    ("2021-09-14", "unknown", "", "airstrike", "Syria", "Al Bukamal", 3, "no"),
    ("2021-09-20", "Israel", "", "airstrike", "Syria", "Damascus", 2, "yes"),
    ("2021-04-04", "militia", "Asa'ib Ahl al-Haq", "other_attack", "Iraq", "Baghdad - Al Resafa",
     1, "yes"),
    ("2021-06-29", "none", "Protesters (Iraq)", "political_action", "Iraq", "Baghdad - Al Resafa",
     0, "yes"),
    ("2021-07-26", "Iraqi government", "", "context", "Iraq", "Baghdad - Al Resafa", 0, "yes"),
]  # fmt: skip


@pytest.mark.parametrize("position", range(len(ACLED_EXPECTED)))
def test_load_acled_maps_each_row(position):
    raw = fixture_rows(ACLED)[position]
    df = load_acled(ACLED)
    # Rows come back sorted by date; find this one by its ACLED id in the notes.
    row = df[df["notes"].str.startswith(f"ACLED {raw['event_id_cnty']}: ")].iloc[0]
    date, actor, group, event_type, country, location, killed, confirmed = ACLED_EXPECTED[position]
    assert row["date"] == pd.Timestamp(date)
    assert (row["actor"], row["group"], row["event_type"]) == (actor, group, event_type)
    # A convoy attack's target says so, keeping ACLED's actor2 in brackets.
    target = raw["actor2"] if position != 4 else f"coalition logistics convoy ({raw['actor2']})"
    assert (row["country"], row["location"], row["target"]) == (country, location, target)
    assert row["others_killed"] == killed
    # ACLED does not separate US casualties or count projectiles: unknown, not zero.
    assert row[["us_killed", "us_injured", "projectiles"]].isna().all()
    assert row["attribution_confirmed"] == confirmed and row["confidence"] == "medium"
    assert row["source"] == raw["source"]
    assert row["notes"] == f"ACLED {raw['event_id_cnty']}: {raw['notes']}"


def test_load_acled_returns_a_valid_canonical_log():
    df = load_acled(ACLED)
    assert len(df) == len(ACLED_EXPECTED)
    pd.testing.assert_frame_equal(validate_events(df), df)


def acled_variant(tmp_path, **changes):
    rows = fixture_rows(ACLED)
    rows[1].update(changes)  # line 3 of the file
    return write_rows(tmp_path / "acled_variant.csv", rows)


@pytest.mark.parametrize(
    "changes, actor, group, event_type",
    [
        ({"sub_event_type": "Attack"}, "militia", "", "other_attack"),
        ({"sub_event_type": "Grenade"}, "militia", "", "other_attack"),
        ({"actor1": "Kataib Sayyid al-Shuhada"}, "militia", "Kata'ib Sayyid al-Shuhada",
         "rocket_attack"),
        ({"actor1": "Saraya Awliya al-Dam"}, "militia", "Saraya Awliya al-Dam", "rocket_attack"),
        ({"actor1": "PMF: Popular Mobilization Forces"}, "militia", "Popular Mobilization Forces",
         "rocket_attack"),
        ({"actor1": "Military Forces of Iraq (2020-)", "sub_event_type": "Air/drone strike"},
         "Iraqi government", "", "airstrike"),
        ({"actor1": "Military Forces of Israel (2021-)", "sub_event_type": "Armed clash"},
         "Israel", "", "return_fire"),
        ({"event_type": "Riots", "sub_event_type": "Mob violence", "actor1": "Rioters (Iraq)"},
         "none", "Rioters (Iraq)", "political_action"),
        ({"event_type": "Strategic developments", "sub_event_type": "Arrests",
          "actor1": "Kataib Hezbollah"}, "militia", "Kata'ib Hezbollah", "context"),
    ],
)  # fmt: skip
def test_load_acled_other_branches(tmp_path, changes, actor, group, event_type):
    df = load_acled(acled_variant(tmp_path, **changes))
    row = df[df["notes"].str.startswith("ACLED SYRFIX02: ")].iloc[0]
    assert (row["actor"], row["group"], row["event_type"]) == (actor, group, event_type)


@pytest.mark.parametrize(
    "changes, actor1, reason",
    [
        ({"actor1": "Islamic State (Iraq)"}, "Islamic State (Iraq)", SetAside.ACTOR),
        ({"actor2": "Civilians (Syria)"}, "Unidentified Armed Group (Syria)",
         SetAside.COUNTERPART),
        ({"actor1": "Military Forces of the United States (2021-)",
          "sub_event_type": "Remote explosive/landmine/IED"},
         "Military Forces of the United States (2021-)", SetAside.SUB_EVENT),
        ({"sub_event_type": "Suicide bomb"}, "Unidentified Armed Group (Syria)",
         SetAside.SUB_EVENT),
    ],
)  # fmt: skip
def test_load_acled_row_outside_the_escalation_is_set_aside_and_reported(
    tmp_path, changes, actor1, reason
):
    path = acled_variant(tmp_path, **changes)
    with pytest.warns(AcledRowsSetAside, match="1 of 10 ACLED rows set aside") as caught:
        df = load_acled(path)
    assert len(caught) == 1
    assert len(df) == len(ACLED_EXPECTED) - 1
    assert not df["notes"].str.startswith("ACLED SYRFIX02: ").any()
    report = df.attrs["acled_report"]
    assert (report.rows_read, report.rows_mapped, report.rows_set_aside) == (10, 9, 1)
    assert report.set_aside.to_dict("records") == [
        {"actor1": actor1, "reason": reason.value, "rows": 1, "first_line": 3}
    ]


@pytest.mark.parametrize(
    "changes, column, value",
    [
        ({"event_date": "31 Juin 2021"}, "event_date", "31 Juin 2021"),
        ({"event_date": "30 February 2021"}, "event_date", "30 February 2021"),
        ({"event_type": "Explosions"}, "event_type", "Explosions"),
        ({"actor1": ""}, "actor1", ""),
        ({"fatalities": "-2"}, "fatalities", "-2"),
        ({"fatalities": "a few"}, "fatalities", "a few"),
        ({"source": ""}, "source", ""),
        # Malformed rows reject the file even when they would have been set aside.
        ({"event_date": "2021-13-01", "actor1": "Islamic State (Iraq)"}, "event_date",
         "2021-13-01"),
        ({"fatalities": "many", "actor1": "Protesters (Iraq)"}, "fatalities", "many"),
    ],
)  # fmt: skip
def test_load_acled_malformed_row_raises_with_line_and_value(tmp_path, changes, column, value):
    with pytest.raises(EventDataError) as info:
        load_acled(acled_variant(tmp_path, **changes))
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'acled_variant.csv'}, line 3, column '{column}'")
    assert (f"'{value}'" if value else "an empty field") in message


def test_load_acled_without_set_aside_rows_warns_nothing(recwarn):
    df = load_acled(ACLED)
    assert not [w for w in recwarn if issubclass(w.category, AcledRowsSetAside)]
    report = df.attrs["acled_report"]
    assert (report.rows_read, report.rows_mapped, len(report.set_aside)) == (10, 10, 0)


def test_load_acled_missing_column(tmp_path):
    rows = fixture_rows(ACLED)
    for row in rows:
        del row["sub_event_type"]
    with pytest.raises(EventDataError, match="missing ACLED column 'sub_event_type'"):
        load_acled(write_rows(tmp_path / "acled.csv", rows))

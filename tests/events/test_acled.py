"""load_acled on a full country export: every relevant row mapped, every other row reported.

The export below is written by hand in ACLED's full column layout (ACLED Codebook, 2023)
with the mix a real Iraq export has: protests, Iraqi forces against the Islamic State,
Turkish strikes on the PKK, militia rockets on Ain al-Asad, US strikes, convoy IEDs on
private security contractors, in both date formats. Expectations are written per row.

Fixture ``data/acled_sample.csv`` holds ten rows written from the ACLED codebook, one per
mapping branch, each checked cell by cell and varied one change at a time.
"""

import csv

import pandas as pd
import pytest

from escalation.errors import EventDataError
from escalation.events.acled import AcledReport, AcledRowsSetAside, SetAside, load_acled
from escalation.events.counts import daily_counts, unmodelled_attacks
from escalation.events.io import validate_events
from escalation.events.statistics import summary_statistics
from tests.helpers import DATA, csv_rows, write_rows

ACLED = DATA / "acled_sample.csv"

HEADER = (
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,"
    "actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,"
    "iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,"
    "source,source_scale,notes,fatalities,tags,timestamp"
).split(",")

US = "Military Forces of the United States (2021-)"
IRAQ_ARMY = "Military Forces of Iraq (2020-)"
IRAQ = "Government of Iraq (2020-)"
IS = "Islamic State (Iraq)"
UAG = "Unidentified Armed Group (Iraq)"
PSF = "Private Security Forces (Iraq)"
TURKEY = "Military Forces of Turkey (2016-)"
PKK = "PKK: Kurdistan Workers Party"
PMF = "PMF: Popular Mobilization Forces"
KH = "Kataib Hezbollah"
BLAST = "Explosions/Remote violence"
SHELL = "Shelling/artillery/missile attack"
IED = "Remote explosive/landmine/IED"
AIR = "Air/drone strike"

# id, event_date, event_type, sub_event_type, actor1, assoc_actor_1, actor2, assoc_actor_2,
# country, location, notes, fatalities. File line = position + 2.
EXPORT = [
    ("IRQ1", "2021-01-03", "Protests", "Peaceful protest", "Protesters (Iraq)", "", "", "",
     "Iraq", "Nasiriyah", "Teachers demanded salaries.", "0"),
    ("IRQ2", "4 January 2021", "Protests", "Protest with intervention", "Protesters (Iraq)", "",
     "Police Forces of Iraq (2020-)", "", "Iraq", "Basra", "Police dispersed a sit-in.", "0"),
    ("IRQ3", "2021-01-05", "Protests", "Peaceful protest", "Protesters (Iraq)", PMF, "", "",
     "Iraq", "Baghdad - Al Resafa", "PMF supporters marked the Soleimani anniversary.", "0"),
    ("IRQ4", "6 January 2021", "Protests", "Protest with intervention", "Protesters (Iraq)", "",
     IRAQ_ARMY, "", "Iraq", "Nasiriyah", "Army units dispersed protesters.", "0"),
    ("IRQ5", "7 January 2021", "Battles", "Armed clash", IRAQ_ARMY, PMF, IS, "", "Iraq",
     "Tarmiyah", "Clash with an IS cell.", "3"),
    ("IRQ6", "2021-01-08", BLAST, IED, IS, "", IRAQ_ARMY, "", "Iraq", "Tuz Khurmatu",
     "IED hit an army patrol.", "2"),
    ("IRQ7", "2021-01-09", "Violence against civilians", "Attack", IS, "",
     "Civilians (Iraq)", "", "Iraq", "Diyala", "IS gunmen killed a shepherd.", "1"),
    ("IRQ8", "10 January 2021", BLAST, AIR, TURKEY, "", PKK, "", "Iraq", "Sinjar",
     "Turkish drone struck a vehicle.", "2"),
    ("IRQ9", "2021-01-11", BLAST, SHELL, TURKEY, "", PKK, "", "Iraq", "Amadiya",
     "Turkish artillery shelled a village area.", "0"),
    ("IRQ10", "2021-03-03", BLAST, SHELL, UAG, "", US, IRAQ_ARMY, "Iraq", "Ain al-Asad",
     "Ten rockets hit Ain al-Asad air base.", "1"),
    ("IRQ11", "5 July 2021", BLAST, SHELL, KH, "", US, "", "Iraq", "Ain al-Asad",
     "Rockets fired at the base; KH named.", "0"),
    ("IRQ12", "28 June 2021", BLAST, AIR, US, "", KH, "Kataib Sayyid al-Shuhada", "Iraq",
     "Al Qaim", "US air strikes on facilities at the border.", "4"),
    ("SYR13", "2021-02-14", BLAST, AIR, US, "", "Islamic State (Syria)", "", "Syria",
     "Al Hasakeh", "Coalition strike on an IS hideout.", "2"),
    ("IRQ14", "2021-05-30", BLAST, IED, UAG, "", PSF, "", "Iraq", "Ad Diwaniyah",
     "An IED targeted a convoy transporting logistic supplies for the International "
     "Coalition.", "0"),
    ("IRQ15", "1 June 2021", BLAST, IED, UAG, "", "Civilians (Iraq)", "", "Iraq",
     "Samawah", "IED exploded near trucks carrying supplies to the US-led coalition; two "
     "drivers wounded.", "0"),
    ("IRQ16", "2021-06-02", BLAST, IED, UAG, "", "Civilians (Iraq)", "", "Iraq", "Amarah",
     "IED hit the convoy of a tribal sheikh.", "0"),
    ("IRQ17", "7 November 2021", BLAST, AIR, UAG, "", IRAQ, "", "Iraq",
     "Baghdad - Al Karkh", "Drones struck the Prime Minister's residence.", "0"),
    ("IRQ18", "2021-06-03", "Riots", "Mob violence", "Rioters (Iraq)", "",
     "Civilians (Iraq)", "", "Iraq", "Maysan", "Tribal mob burned a house.", "0"),
    ("IRQ19", "2021-06-04", "Strategic developments", "Arrests", IRAQ, "", IS, "", "Iraq",
     "Kirkuk", "Arrest of IS suspects.", "0"),
    ("IRQ20", "26 May 2021", "Strategic developments", "Arrests", IRAQ, "", KH, "", "Iraq",
     "Baghdad - Al Resafa", "Arrest of a militia commander.", "0"),
    ("SYR21", "2021-09-20", BLAST, AIR, "Military Forces of Israel (2021-)", "",
     "Military Forces of Iran (1989-) Islamic Revolutionary Guard Corps", "", "Syria",
     "Al Bukamal", "Air strikes on an IRGC depot.", "5"),
    ("SYR22", "14 September 2021", BLAST, AIR, "Unidentified Military Forces", "", PMF, "",
     "Syria", "Al Bukamal", "Unidentified aircraft struck a convoy.", "3"),
    ("IRQ23", "2021-07-07", BLAST, "Suicide bomb", UAG, "", US, "", "Iraq", "Erbil",
     "Explosion at a checkpoint near the base.", "0"),
    ("IRQ24", "2021-07-08", "Violence against civilians", "Attack", "Asaib Ahl al-Haq", "",
     "Civilians (Iraq)", "", "Iraq", "Basra", "Gunmen shot an activist.", "1"),
]  # fmt: skip

# Mapped rows: id -> date, actor, group, event_type, target, attribution_confirmed.
MAPPED = {
    "IRQ3": ("2021-01-05", "none", "Protesters (Iraq)", "political_action", "", "yes"),
    "IRQ10": ("2021-03-03", "militia", "", "rocket_attack", US, "no"),
    "IRQ11": ("2021-07-05", "militia", "Kata'ib Hezbollah", "rocket_attack", US, "yes"),
    "IRQ12": ("2021-06-28", "US", "", "airstrike", KH, "yes"),
    "IRQ14": ("2021-05-30", "militia", "", "ied_attack",
              "coalition logistics convoy (Private Security Forces (Iraq))", "no"),
    "IRQ15": ("2021-06-01", "militia", "", "ied_attack",
              "coalition logistics convoy (Civilians (Iraq))", "no"),
    "IRQ20": ("2021-05-26", "Iraqi government", "", "context", KH, "yes"),
    "SYR21": ("2021-09-20", "Israel", "", "airstrike",
              "Military Forces of Iran (1989-) Islamic Revolutionary Guard Corps", "yes"),
    "SYR22": ("2021-09-14", "unknown", "", "airstrike", PMF, "no"),
}  # fmt: skip

# Set-aside rows by actor1 and reason: (rows, first file line).
SET_ASIDE = {
    ("Protesters (Iraq)", SetAside.ACTOR): (3, 2),
    (IRAQ_ARMY, SetAside.COUNTERPART): (1, 6),
    (IS, SetAside.ACTOR): (2, 7),
    (TURKEY, SetAside.ACTOR): (2, 9),
    (US, SetAside.COUNTERPART): (1, 14),
    (UAG, SetAside.COUNTERPART): (2, 17),
    ("Rioters (Iraq)", SetAside.ACTOR): (1, 19),
    (IRAQ, SetAside.COUNTERPART): (1, 20),
    (UAG, SetAside.SUB_EVENT): (1, 24),
    ("Asaib Ahl al-Haq", SetAside.COUNTERPART): (1, 25),
}


def write_export(path, rows):
    names = ("event_id_cnty", "event_date", "event_type", "sub_event_type", "actor1",
             "assoc_actor_1", "actor2", "assoc_actor_2", "country", "location", "notes",
             "fatalities")  # fmt: skip
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            cells = dict.fromkeys(HEADER, "")
            cells.update(zip(names, row, strict=True), source="Test export", year="2021")
            writer.writerow(cells)
    return path


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    path = write_export(tmp_path_factory.mktemp("acled") / "iraq.csv", EXPORT)
    with pytest.warns(AcledRowsSetAside) as caught:
        events = load_acled(path)
    return events, [w for w in caught if issubclass(w.category, AcledRowsSetAside)]


def test_the_export_covers_what_the_test_claims():
    # Both date formats, all six ACLED event types, many actors.
    assert {row[2] for row in EXPORT} == {
        "Protests", "Riots", "Strategic developments", "Battles", BLAST,
        "Violence against civilians",
    }  # fmt: skip
    assert any(row[1][0].isdigit() and " " in row[1] for row in EXPORT)
    assert any(row[1].count("-") == 2 for row in EXPORT)
    counted = sum(rows for rows, _ in SET_ASIDE.values())
    assert counted + len(MAPPED) == len(EXPORT)


@pytest.mark.parametrize("event_id", sorted(MAPPED))
def test_every_relevant_row_is_mapped(loaded, event_id):
    events, _ = loaded
    matches = events[events["notes"].str.startswith(f"ACLED {event_id}: ")]
    assert len(matches) == 1
    row = matches.iloc[0]
    date, actor, group, event_type, target, confirmed = MAPPED[event_id]
    assert row["date"] == pd.Timestamp(date)
    assert (row["actor"], row["group"], row["event_type"]) == (actor, group, event_type)
    assert (row["target"], row["attribution_confirmed"]) == (target, confirmed)


def test_only_relevant_rows_are_kept_and_form_a_valid_log(loaded):
    events, _ = loaded
    ids = events["notes"].str.extract(r"^ACLED (\w+): ")[0]
    assert sorted(ids) == sorted(MAPPED)
    assert events["date"].is_monotonic_increasing
    pd.testing.assert_frame_equal(validate_events(events), events)


def test_every_set_aside_row_is_reported_by_actor_and_reason(loaded):
    events, _ = loaded
    report = events.attrs["acled_report"]
    assert isinstance(report, AcledReport)
    assert (report.rows_read, report.rows_mapped, report.rows_set_aside) == (24, 9, 15)
    found = {
        (r.actor1, SetAside(r.reason)): (r.rows, r.first_line)
        for r in report.set_aside.itertuples()
    }
    assert found == SET_ASIDE
    assert report.set_aside["rows"].is_monotonic_decreasing


def test_exactly_one_warning_says_how_many_and_where_to_look(loaded):
    _, caught = loaded
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "15 of 24 ACLED rows set aside" in message
    assert "Protesters (Iraq) 3" in message
    assert "frame.attrs['acled_report']" in message


def test_report_survives_pandas_operations(loaded):
    events, _ = loaded
    report = events.attrs["acled_report"]
    both = pd.concat([events, events])
    assert len(both) == 2 * len(events)
    assert events.head(3).attrs["acled_report"].rows_read == report.rows_read


def test_convoy_needs_both_the_supply_run_and_its_client(tmp_path):
    base = list(EXPORT[13])  # IRQ14, the convoy IED
    variants = []
    for i, notes in enumerate(
        [
            "An IED targeted a convoy of a tribal sheikh.",  # no client
            "An IED targeted the International Coalition.",  # no supply run
            "An IED hit a logistics convoy of US forces.",  # both
            "IED struck a truck convoy supplying the U.S. embassy.",  # both
        ]
    ):
        variants.append((f"V{i}", *base[1:10], notes, *base[11:]))
    with pytest.warns(AcledRowsSetAside, match="2 of 4"):
        events = load_acled(write_export(tmp_path / "variants.csv", variants))
    ids = sorted(events["notes"].str.extract(r"^ACLED (\w+): ")[0])
    assert ids == ["V2", "V3"]
    assert (events["event_type"] == "ied_attack").all()


# Kata'ib Hezbollah against each kind of counterpart (the review's four cases, then the US).
# By hand (docs/data.md, rule 10): T1, T2 and T7 (its police) hit the Iraqi state, kept outside
# the model; T3
# (another militia) and T4 (Iran) are set aside; T5 (rockets on US forces) and T6 (rockets on
# a base ACLED gives to Iraqi forces with US forces associated) are the only modelled attacks.
IRAN = "Military Forces of Iran (1989-)"
POLICE = "Police Forces of Iraq (2020-)"
MILITIA_TARGETS = [
    ("T1", "2021-11-03", BLAST, AIR, KH, "", IRAQ, "", "Iraq", "Baghdad - Al Karkh",
     "Drones struck a government compound.", "0"),
    ("T2", "2021-11-04", BLAST, SHELL, KH, "", IRAQ_ARMY, "", "Iraq", "Jurf al-Sakhar",
     "Mortars fired at an army position.", "1"),
    ("T3", "2021-11-05", "Battles", "Armed clash", KH, "", "Asaib Ahl al-Haq", "", "Iraq",
     "Baghdad - Al Resafa", "Two PMF factions clashed.", "2"),
    ("T4", "2021-11-06", BLAST, SHELL, KH, "", IRAN, "", "Iraq", "Basra",
     "Shelling of an Iranian border post.", "0"),
    ("T5", "2021-11-07", BLAST, SHELL, KH, "", US, "", "Iraq", "Ain al-Asad",
     "Rockets fired at the US base.", "0"),
    ("T6", "2021-11-08", BLAST, SHELL, KH, "", IRAQ_ARMY, US, "Iraq", "Ain al-Asad",
     "Rockets hit the base hosting US forces.", "0"),
    ("T7", "2021-11-09", BLAST, IED, KH, "", POLICE, "", "Iraq", "Baghdad - Al Karkh",
     "A roadside bomb hit a police patrol.", "0"),
]  # fmt: skip


@pytest.fixture(scope="module")
def militia_targets(tmp_path_factory):
    path = write_export(tmp_path_factory.mktemp("acled") / "targets.csv", MILITIA_TARGETS)
    with pytest.warns(AcledRowsSetAside, match="2 of 7 ACLED rows set aside"):
        return load_acled(path)


def by_id(events):
    return events.set_index(events["notes"].str.extract(r"^ACLED (\w+): ")[0])


def test_militia_violence_on_the_iraqi_state_is_kept_outside_the_model(militia_targets):
    rows = by_id(militia_targets)
    assert sorted(rows.index) == ["T1", "T2", "T5", "T6", "T7"]
    assert rows.loc["T1", "target"] == f"Iraqi government ({IRAQ})"
    assert rows.loc["T2", "target"] == f"Iraqi government ({IRAQ_ARMY})"
    assert rows.loc["T7", "target"] == f"Iraqi government ({POLICE})"
    assert (rows.loc["T5", "target"], rows.loc["T6", "target"]) == (US, IRAQ_ARMY)
    assert (rows["actor"] == "militia").all()
    left_out = rows.index[unmodelled_attacks(rows)]
    assert list(left_out) == ["T1", "T2", "T7"]


def test_militia_violence_on_another_militia_or_iran_is_set_aside_and_reported(militia_targets):
    report = militia_targets.attrs["acled_report"]
    assert (report.rows_read, report.rows_mapped) == (7, 5)
    assert report.set_aside.to_dict("records") == [
        {"actor1": KH, "reason": SetAside.NOT_A_TARGET.value, "rows": 2, "first_line": 4}
    ]


def test_only_militia_attacks_on_us_forces_are_counted(militia_targets):
    stats = summary_statistics(militia_targets, "2021-11-01", "2021-11-30").iloc[0]
    assert (stats["attacks_total"], stats["attacks_outside_model"]) == (2, 3)
    assert (stats["attacks_rocket_attack"], stats["attacks_drone_attack"]) == (2, 0)
    daily = daily_counts(militia_targets, "2021-11-03", 6)
    assert daily["militia_attacks"].tolist() == [0, 0, 0, 0, 1, 1]


# ---------------------------------------------------------------------------- load_acled

# Targets other than ACLED's actor2, by position: the convoy IED is on the coalition's logistics
# (a modelled attack); AAH's clash with Iraqi forces is on the Iraqi state (outside the model).
RENAMED_TARGETS = {4: "coalition logistics convoy ({})", 7: "Iraqi government ({})"}
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
    raw = csv_rows(ACLED)[position]
    df = load_acled(ACLED)
    # Rows come back sorted by date; find this one by its ACLED id in the notes.
    row = df[df["notes"].str.startswith(f"ACLED {raw['event_id_cnty']}: ")].iloc[0]
    date, actor, group, event_type, country, location, killed, confirmed = ACLED_EXPECTED[position]
    assert row["date"] == pd.Timestamp(date)
    assert (row["actor"], row["group"], row["event_type"]) == (actor, group, event_type)
    target = RENAMED_TARGETS.get(position, "{}").format(raw["actor2"])
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


def test_the_fixture_counts_the_attacks_on_us_targets_and_leaves_out_the_clash_with_iraq():
    # Militia rows: rockets on al-Omar, drones on Erbil, the convoy IED (modelled); the AAH
    # clash with Iraqi forces at a Baghdad checkpoint (outside the model, rule 10).
    stats = summary_statistics(load_acled(ACLED), "2021-04-01", "2021-09-30").iloc[0]
    assert (stats["attacks_total"], stats["attacks_outside_model"]) == (3, 1)
    assert stats["attacks_other_attack"] == 0


def acled_variant(tmp_path, **changes):
    rows = csv_rows(ACLED)
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
    rows = csv_rows(ACLED)
    for row in rows:
        del row["sub_event_type"]
    with pytest.raises(EventDataError, match="missing ACLED column 'sub_event_type'"):
        load_acled(write_rows(tmp_path / "acled.csv", rows))

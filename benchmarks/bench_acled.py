"""Wall time of ``load_acled`` on a synthetic full-country ACLED export.

Target (ACLED issue): a 100,000-row export loads in under 5 s. The export is generated
with a fixed seed from row templates shaped like an Iraq country export (ACLED Codebook,
2023, full header): mostly protests, Islamic State and Turkish-PKK violence, with the
escalation's rockets, drones, strikes and convoy IEDs among them, dates in both export
formats. Prints the generation and load times, rows per second and the report.

    python benchmarks/bench_acled.py
    python benchmarks/bench_acled.py --rows 20000 --seed 3
"""

from __future__ import annotations

import argparse
import csv
import platform
import tempfile
import time
import warnings
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from escalation.events.acled import AcledRowsSetAside, load_acled

#: The header of an ACLED export (ACLED Codebook, 2023).
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
PMF = "PMF: Popular Mobilization Forces"
BLAST = "Explosions/Remote violence"
IED = "Remote explosive/landmine/IED"
CONVOY = "IED hit a convoy carrying logistic supplies for the International Coalition."
#: (weight, event_type, sub_event_type, actor1, assoc_actor_1, actor2, assoc_actor_2, notes)
TEMPLATES = (
    (40, "Protests", "Peaceful protest", "Protesters (Iraq)", "", "", "", "Protest over jobs."),
    (
        8,
        "Protests",
        "Protest with intervention",
        "Protesters (Iraq)",
        "",
        "Police Forces of Iraq (2020-)",
        "",
        "Sit-in dispersed.",
    ),
    (
        3,
        "Protests",
        "Peaceful protest",
        "Protesters (Iraq)",
        PMF,
        "",
        "",
        "Against the US strikes.",
    ),
    (
        4,
        "Riots",
        "Mob violence",
        "Rioters (Iraq)",
        "",
        "Civilians (Iraq)",
        "",
        "Mob burned a house.",
    ),
    (15, "Battles", "Armed clash", IRAQ_ARMY, "", IS, "", "Clash with an IS cell."),
    (6, BLAST, IED, IS, "", IRAQ_ARMY, "", "IED on an army patrol."),
    (
        6,
        BLAST,
        "Air/drone strike",
        "Military Forces of Turkey (2016-)",
        "",
        "PKK: Kurdistan Workers Party",
        "",
        "Drone strike.",
    ),
    (5, "Strategic developments", "Arrests", IRAQ, "", IS, "", "Arrest of IS suspects."),
    (4, "Violence against civilians", "Attack", UAG, "", "Civilians (Iraq)", "", "Activist shot."),
    (
        3,
        BLAST,
        "Shelling/artillery/missile attack",
        UAG,
        "",
        US,
        IRAQ_ARMY,
        "Rockets on Ain al-Asad.",
    ),
    (3, BLAST, IED, UAG, "", "Private Security Forces (Iraq)", "", CONVOY),
    (
        1,
        BLAST,
        "Air/drone strike",
        "Kataib Hezbollah",
        "",
        US,
        "",
        "Drone attack on Erbil airport.",
    ),
    (
        1,
        BLAST,
        "Air/drone strike",
        US,
        "",
        "Kataib Sayyid al-Shuhada",
        "",
        "US strikes on KSS sites.",
    ),
    (
        1,
        "Strategic developments",
        "Agreement",
        IRAQ,
        "",
        "Government of the United States (2021-)",
        "",
        "Dialogue.",
    ),
)
LOCATIONS = ("Baghdad - Al Resafa", "Ain al-Asad", "Erbil", "Ad Diwaniyah", "Sinjar", "Kirkuk")


def write_export(path: Path, rows: int, seed: int) -> None:
    """Write a synthetic ACLED export of ``rows`` rows, drawn from TEMPLATES with ``seed``."""
    rng = np.random.default_rng(seed)
    weights = np.array([t[0] for t in TEMPLATES], dtype=float)
    kinds = rng.choice(len(TEMPLATES), size=rows, p=weights / weights.sum())
    days = rng.integers(0, 365, size=rows)
    places = rng.integers(0, len(LOCATIONS), size=rows)
    deaths = rng.poisson(0.4, size=rows)
    spelled = rng.random(rows) < 0.5
    first = date(2021, 1, 1)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            _, etype, sub, a1, assoc1, a2, assoc2, notes = TEMPLATES[kinds[i]]
            day = first + timedelta(days=int(days[i]))
            when = f"{day.day} {day:%B %Y}" if spelled[i] else day.isoformat()
            cells = dict.fromkeys(HEADER, "")
            cells.update(
                event_id_cnty=f"IRQ{i:06d}", event_date=when, year="2021", event_type=etype,
                sub_event_type=sub, actor1=a1, assoc_actor_1=assoc1, actor2=a2,
                assoc_actor_2=assoc2, country="Iraq", location=LOCATIONS[places[i]],
                source="Synthetic benchmark", notes=f"Synthetic row, not an ACLED record. {notes}",
                fatalities=str(deaths[i]),
            )  # fmt: skip
            writer.writerow(cells[name] for name in HEADER)


def main(argv: list[str] | None = None) -> None:
    """Generate the export, time one load and print rows per second and the report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "acled_iraq.csv"
        began = time.perf_counter()
        write_export(path, args.rows, args.seed)
        written = time.perf_counter() - began
        began = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AcledRowsSetAside)
            events = load_acled(path)
        seconds = time.perf_counter() - began
    report = events.attrs["acled_report"]
    print(f"load_acled benchmark on {platform.node()} (Python {platform.python_version()})")
    print(
        f"{args.rows:,} rows (seed {args.seed}, written in {written:.1f} s): loaded in "
        f"{seconds:.2f} s, {args.rows / seconds:,.0f} rows/s (target < 5 s for 100,000); "
        f"{report.rows_mapped:,} mapped, {report.rows_set_aside:,} set aside"
    )
    print(report.set_aside.to_string(index=False))


if __name__ == "__main__":
    main()

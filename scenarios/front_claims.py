"""Would deniability through front groups buy the militias room to attack?

Runs ``front_claims`` (every attack claimed by a front group; the US counts a claimed attack's
severity at half against the militias) against ``baseline_2021`` with common random numbers.
Fewer strike rounds answer the same attacks. Whether the militias then attack more turns on
two things: a line answered less often is believed less (deterrence), and fewer strikes mean
fewer losses to avenge and fewer campaign triggers.

Sources: report of 17-18 August 2023, Pentagon denies a plan to cut the Albu Kamal crossing
(attacks on coalition bases "with a local group linked to the IRGC claiming responsibility");
wire-based report, 28 June 2021, "Mutual bombing between US forces and Iranian militias in
Syria" (factions "which Washington holds responsible"). The size of the doubt is an
assumption: the 2021 record does not inform it (README, mechanism table).

Usage: python scenarios/front_claims.py [--worlds N | --quick] [--seed S]
       [--worlds-per-draw K] [--out DIR]
"""

import sys

from escalation.cli.scripts import scenario_script

if __name__ == "__main__":
    sys.exit(scenario_script("front_claims", doc=__doc__))

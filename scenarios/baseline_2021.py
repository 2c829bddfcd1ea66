"""How closely does the 2021 baseline reproduce what was observed in 2021?

Runs ``baseline_2021`` alone and prints its estimates (with Monte Carlo standard errors and,
when it draws from a posterior, the spread across posterior draws) next to the observed 2021
record: militia attacks, US strike rounds, Israeli strikes, Americans killed, the highest
ladder rung reached. The figures overlay the observed weekly attacks and ladder rung.

Sources: the built-in 2021 event data (docs/data.md); Gulf International Forum, July 2021,
"U.S.-Iran Clashes in Syria and Iraq: Exchange of Messages or Serious Escalation?" (the US
"will respond to attacks against its personnel, even if they do not result in U.S.
casualties").

Usage: python scenarios/baseline_2021.py [--worlds N | --quick] [--seed S]
       [--worlds-per-draw K] [--out DIR]
"""

import sys

from escalation.cli.scripts import scenario_script

if __name__ == "__main__":
    sys.exit(scenario_script("baseline_2021", doc=__doc__))

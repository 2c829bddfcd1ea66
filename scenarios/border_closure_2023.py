"""What if the coalition had moved to cut the Albu Kamal crossing (a counterfactual 2021)?

Runs ``border_closure_2023`` against ``baseline_2021`` with common random numbers. US ground
forces hold the crossing (the US ``border_interdiction`` option: fewer transfers through it,
more clashes with the militias in Syria); the scenario's description says what else changes.
Its window stays 2021.

Source: report of 17-18 August 2023, Pentagon denies a plan to cut the Albu Kamal crossing:
any hostile move along the border "could lead to a dangerous confrontation that could
quickly expand into Iraq".

Usage: python scenarios/border_closure_2023.py [--worlds N | --quick] [--seed S]
       [--worlds-per-draw K] [--out DIR]
"""

import sys

from escalation.cli.scripts import scenario_script

if __name__ == "__main__":
    sys.exit(scenario_script("border_closure_2023", doc=__doc__))

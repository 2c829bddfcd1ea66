"""How much did the Vienna talks restrain both sides in 2021: what if they had collapsed?

Runs ``talks_collapse`` (no talks all year) against ``baseline_2021`` with common random
numbers.

Source: Gulf International Forum, July 2021, "U.S.-Iran Clashes in Syria and Iraq: Exchange
of Messages or Serious Escalation?": "a dramatic escalation could dissolve the talks", and
"neither side wants to break them off".

Usage: python scenarios/talks_collapse.py [--worlds N | --quick] [--seed S]
       [--worlds-per-draw K] [--out DIR]
"""

import sys

from escalation.cli.scripts import scenario_script

if __name__ == "__main__":
    sys.exit(scenario_script("talks_collapse", doc=__doc__))

"""Could Baghdad have reined in the militias, and what would it have done to the exchanges?

Runs ``baghdad_crackdown`` (crackdowns ten times as likely, cutting attack rates by 60%
instead of 40%) against ``baseline_2021`` with common random numbers.

Source: Gulf International Forum, July 2021, "U.S.-Iran Clashes in Syria and Iraq: Exchange
of Messages or Serious Escalation?": "Washington is demanding the Iraqi prime minister to
rein in the militias' attacks on America's interests in Iraq".

Usage: python scenarios/baghdad_crackdown.py [--worlds N | --quick] [--seed S]
       [--worlds-per-draw K] [--out DIR]
"""

import sys

from escalation.cli.scripts import scenario_script

if __name__ == "__main__":
    sys.exit(scenario_script("baghdad_crackdown", doc=__doc__))

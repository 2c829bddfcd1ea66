"""What if the US had kept the Trump-era red line and answered only an American killed?

Runs ``trump_red_line`` against ``baseline_2021`` with common random numbers.

Source: Gulf International Forum, July 2021, "U.S.-Iran Clashes in Syria and Iraq: Exchange
of Messages or Serious Escalation?": the 2021 policy "would mark a shift in U.S. policy from
the Trump administration, which drew the 'red line' at the killing of an American".

Usage: python scenarios/trump_red_line.py [--worlds N | --quick] [--seed S]
       [--worlds-per-draw K] [--out DIR]
"""

import sys

from escalation.cli.scripts import scenario_script

if __name__ == "__main__":
    sys.exit(scenario_script("trump_red_line", doc=__doc__))

"""Would US restraint (no airstrikes, no return fire) have saved American lives in 2021?

Runs ``no_retaliation`` against ``baseline_2021`` with common random numbers: no strike
rounds by construction, but does the red line's lost credibility bring more attacks?

Sources: Gulf International Forum, July 2021, "U.S.-Iran Clashes in Syria and Iraq: Exchange
of Messages or Serious Escalation?" (the US "will respond to attacks against its personnel,
even if they do not result in U.S. casualties"); wire-based report, 28 June 2021, "Mutual
bombing between US forces and Iranian militias in Syria" (return fire at al-Omar).

Usage: python scenarios/no_retaliation.py [--worlds N | --quick] [--seed S]
       [--worlds-per-draw K] [--out DIR]
"""

import sys

from escalation.cli.scripts import scenario_script

if __name__ == "__main__":
    sys.exit(scenario_script("no_retaliation", doc=__doc__))

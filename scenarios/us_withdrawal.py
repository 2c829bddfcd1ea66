"""How much safer are US forces once the combat mission ends and they draw down?

Runs ``us_withdrawal`` (US presence at a fifth of 2021 from the 26 July 2021 agreement to end
the combat mission; 2021 as it was before) against ``baseline_2021`` with common random numbers.

Source: Newsweek, September 2021, "U.S. Military Denies, Israel Declines to Comment on
Iraq-Syria Border Strike Reports": Biden "announced in July that the U.S. would end its
combat mission in the country but retain a training and advisory presence".

Usage: python scenarios/us_withdrawal.py [--worlds N | --quick] [--seed S]
       [--worlds-per-draw K] [--out DIR]
"""

import sys

from escalation.cli.scripts import scenario_script

if __name__ == "__main__":
    sys.exit(scenario_script("us_withdrawal", doc=__doc__))

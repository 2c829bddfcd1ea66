"""Would larger US strike rounds at a lower threshold have deterred the militias?

Runs ``disproportionate_response`` (five-site rounds at half the usual threshold) against
``baseline_2021`` with common random numbers: deterrence, or revenge and escalation?

Source: US network news report, 28 June 2021, US "defensive" airstrikes in Iraq and Syria:
"necessary, appropriate, and deliberate action designed to limit the risk of escalation".

Usage: python scenarios/disproportionate_response.py [--worlds N | --quick] [--seed S]
       [--worlds-per-draw K] [--out DIR]
"""

import sys

from escalation.cli.scripts import scenario_script

if __name__ == "__main__":
    sys.exit(scenario_script("disproportionate_response", doc=__doc__))

"""Does a harder Israeli campaign near Albu Kamal drag the US into more exchanges?

Runs ``israel_campaign`` (Israel tolerates half the militia activity and strikes three
times as often above it) against ``baseline_2021`` with common random numbers. Israeli
strikes the militias blame on the US feed their revenge.

Sources: Newsweek, September 2021, "U.S. Military Denies, Israel Declines to Comment on
Iraq-Syria Border Strike Reports" ("hundreds of strikes against suspected Iran-linked
positions"); Gulf International Forum, July 2021, "U.S.-Iran Clashes in Syria and Iraq:
Exchange of Messages or Serious Escalation?" (Lesch: "a certain level of militia activity
above which the U.S. and Israel will not tolerate").

Usage: python scenarios/israel_campaign.py [--worlds N | --quick] [--seed S]
       [--worlds-per-draw K] [--out DIR]
"""

import sys

from escalation.cli.scripts import scenario_script

if __name__ == "__main__":
    sys.exit(scenario_script("israel_campaign", doc=__doc__))

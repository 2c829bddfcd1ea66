"""How likely is a US strike round to be ordered and not yet struck at each forecast origin?

The record shows strike rounds, never the orders behind them. A forecast carries the order the
record may hide into its simulated days, drawn from the replay's filter
(:meth:`escalation.model.likelihood.PendingOrders.draw`; docs/ODD.md, section 3). This replays
the 2021-2022 record up to each origin of the rolling validation
(``experiments/validate_rolling.py``: the first of every month, April 2021 to November 2022)
with draws of the shipped posterior (``baseline_2021``) and reports the filtered chance that a
round is pending there: the mean over the draws and the largest. It says where carrying the
order over can change a forecast, and by how much at most.

Writes ``docs/pending_orders_at_origins.csv``.

    python experiments/pending_orders.py          # 400 posterior draws, a few seconds
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from escalation.ensemble import posterior_draws
from escalation.events.io import load_events
from escalation.inference.posterior import Posterior
from escalation.model.model import EscalationModel
from escalation.model.scenario import Scenario, posterior_path
from escalation.validation import monthly_origins

SCENARIO = "baseline_2021"
START, END = "2021-01-01", "2022-12-31"


def pending_at(
    origin: pd.Timestamp, record: pd.DataFrame, scenario: Scenario, parameters: dict, seed: int
) -> np.ndarray:
    """Per posterior draw (``parameters``), the filtered chance that a round is pending on
    ``origin``, the record replayed from 1 January 2021 to the day before."""
    window = dataclasses.replace(
        scenario, end=(origin - pd.Timedelta(days=1)).date(), posterior=None
    )
    model = EscalationModel(
        window,
        len(next(iter(parameters.values()))),
        seed=seed,
        parameters=parameters,
        history=record[record["date"] < origin],
        replay_days=int((origin - pd.Timestamp(START)).days),
    )
    model.run()
    return model.us.orders.pending_probability()


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=400, help="posterior draws per origin")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="docs/pending_orders_at_origins.csv")
    args = parser.parse_args(argv)
    record = pd.concat([load_events("2021"), load_events("2022")], ignore_index=True)
    scenario = Scenario.load(SCENARIO)
    posterior = Posterior.load(posterior_path(scenario.posterior))
    parameters = posterior_draws(posterior, args.seed, np.arange(args.draws))  # every origin
    rows = []
    for origin in monthly_origins(START, END):
        chance = pending_at(origin, record, scenario, parameters, args.seed)
        rows.append({"origin": origin.date(), "mean": chance.mean(), "largest": chance.max()})
    table = pd.DataFrame(rows)
    table.to_csv(args.out, index=False, float_format="%.4f")
    print(table.to_string(index=False, float_format="%.3f"))
    print(f"wrote {args.out}")
    return table


if __name__ == "__main__":
    main()

"""Write the golden run: the numbers the layout change must not move.

Run once before a refactor (``python tests/golden/make_golden.py``); ``test_golden.py`` then
checks that the current code reproduces every file bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import escalation
import escalation.ensemble

HERE = Path(__file__).parent


def golden_tables() -> dict[str, pd.DataFrame]:
    """The ensemble, forecast and small-calibration tables the golden run pins down."""
    observed = escalation.load_events()
    result = escalation.run_ensemble("baseline_2021", 200, seed=7, progress=False)
    posterior = escalation.Posterior.load(escalation.ensemble.posterior_path("posterior_2021"))
    history = observed[observed["date"] < "2021-07-01"]
    fc = escalation.forecast(
        posterior, history, "2021-07-01", 28, n_worlds=200, seed=7, progress=False
    )
    calibrated = escalation.calibrate(
        history,
        "baseline_2021",
        budget=1_200,
        population_size=200,
        max_generations=3,
        seed=7,
        method="abc",
        progress=False,
    )
    return {
        "ensemble_summary": result.summary(),
        "ensemble_daily": result.daily,
        "ensemble_worlds": result.worlds,
        "forecast_weekly": fc.to_frame(),
        "abc_samples": calibrated.samples,
    }


if __name__ == "__main__":
    for name, table in golden_tables().items():
        table.to_csv(HERE / f"{name}.csv", index=False, float_format="%.17g")

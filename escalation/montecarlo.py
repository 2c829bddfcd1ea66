"""Monte Carlo summaries shared by ensembles, forecasts, comparisons and plots.

One set of quantile levels for every band (5-95% and 25-75%, around the median) and one
definition of the Monte Carlo standard error: of a mean, the sample sd over the square root of
the number of worlds; of a probability, the binomial ``sqrt(p (1 - p) / n)``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

#: Quantile levels of every band the package reports or draws: 90% and 50% bands and the median.
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def mcse_of_mean(values: ArrayLike) -> float:
    """Monte Carlo standard error of the mean of ``values`` (NaNs dropped; NaN below two)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    return float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else math.nan


def mcse_of_probability(p: float, n: int) -> float:
    """Monte Carlo standard error of a share ``p`` of ``n`` independent worlds."""
    return math.sqrt(p * (1 - p) / n)

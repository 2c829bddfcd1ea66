"""The exact likelihood of an observed record under the model, by replay.

Replay forces the observed history into the agents (:mod:`escalation.model.replay`); on each
day every actor's decision is then a probability given what has happened, and the record says
what the actor did. :func:`loglik` multiplies these probabilities over days and actors for many
parameter sets at once (one world per parameter set, advanced in lockstep), summing out the
one hidden state the record never shows, the US's pending strike orders, exactly
(:class:`~escalation.model.likelihood.PendingOrders`). What each actor's term covers is in
:meth:`escalation.model.model.EscalationModel._observe_attacks` and in the agents' ``_replay``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from escalation.events.io import validate_events
from escalation.model.model import SCORED_ACTORS, EscalationModel
from escalation.model.replay import ObservedDays
from escalation.model.scenario import DEFAULT_SCENARIO, Scenario
from escalation.runtime import DateLike

#: Parameter sets replayed together (bounds memory: a year of 4 actors x 10,000 is 120 MB).
CHUNK = 10_000


def loglik(
    scenario_or_parameters: Scenario | str | Path | pd.DataFrame | Mapping[str, ArrayLike],
    observed: pd.DataFrame,
    start: DateLike | None = None,
    end: DateLike | None = None,
    *,
    by: Literal["actor", "day", "counts"] | None = None,
    scenario: Scenario | str | Path | None = None,
) -> np.ndarray | pd.DataFrame:
    """Log-likelihood of the ``observed`` record under the model, one value per parameter set.

    Parameters
    ----------
    scenario_or_parameters : Scenario, name, path, DataFrame or mapping
        A scenario (its own parameter values: one set), or parameter sets: a DataFrame with one
        row per set and one column per parameter (a ``weight`` column is ignored), or a mapping
        of parameter names to arrays of equal length. Parameters not given take the values of
        ``scenario`` (default ``baseline_2021``), whose policies are used.
    observed : DataFrame
        Events in the canonical schema (``escalation.load_events()``).
    start, end : date-like, optional
        The window replayed and scored; default the scenario's own.
    by : {"actor", "day", "counts"}, optional
        None: an array ``(n_sets,)`` of totals. ``"actor"``: a DataFrame, one row per set and
        one column per actor (militia, US, Israel, Iraqi government, Iran). ``"day"``: a DataFrame
        with one row per day (indexed by date) and one column per set. ``"counts"``: the same
        table for the militia's daily attack counts alone, each day given the record before it
        (what a count baseline such as a Poisson or negative binomial scores).
    """
    if by not in (None, "actor", "day", "counts"):
        raise ValueError(f"by: expected None, 'actor', 'day' or 'counts', found {by!r}")
    base, parameters, n = _sets(scenario_or_parameters, scenario)
    record = ReplayLikelihood(observed, base, start, end)
    dates = pd.date_range(record.scenario.start, record.scenario.end, freq="D", name="date")
    if by == "counts":
        return pd.DataFrame(record.counts(parameters, n), index=dates)
    table = record.table(parameters, n)
    if by is None:
        return table.sum(axis=(0, 1))
    if by == "actor":
        return pd.DataFrame(table.sum(axis=1).T, columns=list(SCORED_ACTORS))
    return pd.DataFrame(table.sum(axis=0), index=dates)  # by == "day"


class ReplayLikelihood:
    """The likelihood of one observed record under one scenario, for parameter sets in batches.

    The record is checked and split by day once (:class:`~escalation.model.replay.ObservedDays`),
    so calibration, which evaluates thousands of parameter sets in batches, pays for that once.
    Calling it with parameter arrays (one value per set) returns one log-likelihood per set.
    """

    def __init__(
        self,
        observed: pd.DataFrame,
        scenario: Scenario | str | Path = DEFAULT_SCENARIO,
        start: DateLike | None = None,
        end: DateLike | None = None,
    ) -> None:
        base = Scenario.coerce(scenario)
        #: The scenario over the window replayed and scored (default its own), no posterior.
        self.scenario = dataclasses.replace(
            base,
            start=pd.Timestamp(start).date() if start is not None else base.start,
            end=pd.Timestamp(end).date() if end is not None else base.end,
            posterior=None,
        )
        events = validate_events(observed, origin="observed")
        self.days = ObservedDays.from_events(events, self.scenario.start, self.scenario.days)

    def __call__(self, parameters: Mapping[str, np.ndarray]) -> np.ndarray:
        """``(n_sets,)`` log-likelihoods of parameter sets given as equal-length arrays."""
        n = len(next(iter(parameters.values())))
        return self.table(parameters, n).sum(axis=(0, 1))

    def table(self, parameters: Mapping[str, ArrayLike], n: int) -> np.ndarray:
        """``(actors, days, n)`` log probabilities of each actor's observed acts, day by day."""
        return np.concatenate(
            [
                np.stack([model.log_likelihood[actor] for actor in SCORED_ACTORS])
                for model in self._replays(parameters, n, counts=False)
            ],
            axis=2,
        )

    def counts(self, parameters: Mapping[str, ArrayLike], n: int) -> np.ndarray:
        """``(days, n)`` log probabilities of each day's number of militia attacks given the
        record before it: the model scored on counts alone, as count baselines are."""
        return np.concatenate(
            [model.count_log_likelihood for model in self._replays(parameters, n, counts=True)],
            axis=1,
        )

    def _replays(
        self, parameters: Mapping[str, ArrayLike], n: int, counts: bool
    ) -> Iterator[EscalationModel]:
        """The record replayed and scored for the ``n`` sets, :data:`CHUNK` sets at a time
        (``counts``: the daily counts alone as well)."""
        for a in range(0, n, CHUNK):
            b = min(a + CHUNK, n)
            chunk = {k: v if np.ndim(v) == 0 else np.asarray(v)[a:b] for k, v in parameters.items()}
            model = EscalationModel(
                self.scenario,
                n_worlds=b - a,
                seed=0,  # replay draws nothing that the likelihood depends on
                parameters=chunk,
                record_daily=False,
                history=self.days,
                replay_days=self.scenario.days,
                score=True,
                score_counts=counts,
            )
            yield model.run()


def _sets_frame(sets: Mapping[str, ArrayLike]) -> pd.DataFrame:
    """Parameter sets given as a mapping: a number is one set, arrays must be of one length."""
    columns = {
        name: np.atleast_1d(np.asarray(values, dtype=float)) for name, values in sets.items()
    }
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} {n}" for name, n in lengths.items())
        raise ValueError(
            f"scenario_or_parameters: every parameter needs one value per set, found {described}"
        )
    return pd.DataFrame(columns)


def _sets(
    source: Scenario | str | Path | pd.DataFrame | Mapping[str, ArrayLike],
    scenario: Scenario | str | Path | None,
) -> tuple[Scenario, dict[str, np.ndarray], int]:
    """The base scenario, the per-set parameter arrays and the number of sets."""
    if isinstance(source, pd.DataFrame | Mapping):
        base = Scenario.coerce(scenario if scenario is not None else DEFAULT_SCENARIO)
        frame = source if isinstance(source, pd.DataFrame) else _sets_frame(source)
        frame = frame.drop(columns=[c for c in ("weight",) if c in frame.columns])
        if len(frame) == 0:
            raise ValueError("scenario_or_parameters: no parameter sets (an empty table)")
        arrays = {name: frame[name].to_numpy(dtype=float) for name in frame.columns}
        return base, arrays, len(frame)
    if scenario is not None:
        raise ValueError("scenario: give it only with parameter sets, not with a scenario")
    return Scenario.coerce(source), {}, 1

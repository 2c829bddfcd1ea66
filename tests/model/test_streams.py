"""Tests of the per-world counter-based random streams and the inversion samplers."""

import numpy as np
import pytest
from scipy import stats

from escalation.events.io import load_events
from escalation.model.model import EscalationModel
from escalation.model.scenario import Scenario
from escalation.model.streams import (
    CORE_SLOTS,
    DAILY_DRAWS,
    DAILY_SLOTS_READ,
    EVENT_DRAWS,
    EVENT_DRAWS_BY_KIND,
    MAX_EVENTS,
    DailyDraws,
    Draws,
    WorldStreams,
    bernoulli,
    categorical,
    poisson,
    seed_sequence,
)


def all_draws_of_day(streams: WorldStreams, day: int) -> np.ndarray:
    """Every uniform a day can hand out, per world: core slots then all event slots."""
    n = len(streams)
    worlds = np.repeat(np.arange(n), MAX_EVENTS)
    index = np.tile(np.arange(MAX_EVENTS), n)
    events = streams.events(day, worlds, index).reshape(n, MAX_EVENTS * EVENT_DRAWS)
    return np.concatenate([streams.core(day, CORE_SLOTS), events], axis=1)


# -- uniforms --------------------------------------------------------------------------------
def test_uniforms_lie_in_unit_interval():
    streams = WorldStreams(7, np.arange(50))
    draws = np.concatenate([all_draws_of_day(streams, d) for d in (0, 1, 364)])
    assert draws.dtype == np.float64
    assert draws.min() >= 0.0 and draws.max() < 1.0


def test_shapes():
    streams = WorldStreams(1, np.arange(4))
    assert len(streams) == 4
    assert streams.core(3, 5).shape == (4, 5)
    assert streams.events(3, np.array([0, 0, 2]), np.array([0, 1, 0])).shape == (3, EVENT_DRAWS)


def test_every_draw_of_two_days_is_distinct():
    """Core and event slots, and consecutive days, never share a counter."""
    streams = WorldStreams(3, np.arange(2))
    draws = np.concatenate([all_draws_of_day(streams, 10), all_draws_of_day(streams, 11)], axis=1)
    for row in draws:
        assert len(np.unique(row)) == row.size


@pytest.mark.statistical
def test_uniform_mean_and_no_correlation_between_slots_worlds_or_days():
    """Mean 1/2 and zero correlation, each within 4 standard errors (seed 2021)."""
    n_worlds, n_days = 400, 30
    streams = WorldStreams(2021, np.arange(n_worlds))
    u = np.stack([streams.core(d, CORE_SLOTS) for d in range(n_days)])  # (days, worlds, slots)
    n = u.size
    assert abs(u.mean() - 0.5) < 4 * np.sqrt(1 / 12 / n)
    assert abs(u.var() - 1 / 12) < 4 * np.sqrt(1 / 180 / n)  # Var of (U - 1/2)^2 is 1/180

    def corr(a, b):
        return np.corrcoef(a.ravel(), b.ravel())[0, 1]

    adjacent_slots = corr(u[:, :, :-1], u[:, :, 1:])
    adjacent_worlds = corr(u[:, :-1, :], u[:, 1:, :])
    adjacent_days = corr(u[:-1], u[1:])
    for r, pairs in (
        (adjacent_slots, n_days * n_worlds * (CORE_SLOTS - 1)),
        (adjacent_worlds, n_days * (n_worlds - 1) * CORE_SLOTS),
        (adjacent_days, (n_days - 1) * n_worlds * CORE_SLOTS),
    ):
        assert abs(r) < 4 / np.sqrt(pairs)


@pytest.mark.statistical
def test_event_draws_are_uniform():
    """Event slots pass a Kolmogorov-Smirnov test against U(0, 1) (seed 5, alpha 0.001)."""
    streams = WorldStreams(5, np.arange(200))
    u = all_draws_of_day(streams, 42)[:, CORE_SLOTS:].ravel()
    assert stats.kstest(u, "uniform").pvalue > 1e-3


def test_world_is_the_same_whatever_the_batch():
    """World ids [5, 6] draw exactly what rows 5 and 6 of worlds 0..9 draw."""
    whole = WorldStreams(99, np.arange(10))
    part = WorldStreams(99, [5, 6])
    for day in (0, 17, 364):
        np.testing.assert_array_equal(part.core(day, CORE_SLOTS), whole.core(day, CORE_SLOTS)[5:7])
        index = np.array([0, 3, MAX_EVENTS - 1])
        np.testing.assert_array_equal(
            part.events(day, np.array([1, 1, 0]), index),
            whole.events(day, np.array([6, 6, 5]), index),
        )


def test_same_seed_same_draws_other_seed_other_draws():
    a = WorldStreams(12, np.arange(3)).core(4, 8)
    b = WorldStreams(np.random.SeedSequence(12), np.arange(3)).core(4, 8)
    c = WorldStreams(13, np.arange(3)).core(4, 8)
    np.testing.assert_array_equal(a, b)
    assert not np.any(a == c)


def test_distinct_worlds_and_days_draw_distinct_numbers():
    streams = WorldStreams(0, np.arange(3))
    day0, day1 = streams.core(0, 4), streams.core(1, 4)
    assert len(np.unique(np.concatenate([day0, day1]))) == 24


def test_seed_sequence_normalisation():
    ss = np.random.SeedSequence(4)
    assert seed_sequence(ss) is ss
    assert seed_sequence(4).entropy == 4
    assert seed_sequence(None).entropy is not None
    with pytest.raises(TypeError, match="SeedSequence"):
        seed_sequence(np.random.default_rng(0))


def test_slot_limits_raise():
    streams = WorldStreams(0, np.arange(2))
    with pytest.raises(ValueError, match=f"at most {CORE_SLOTS}"):
        streams.core(0, CORE_SLOTS + 1)
    with pytest.raises(ValueError, match=f"more than {MAX_EVENTS}"):
        streams.events(0, np.array([0]), np.array([MAX_EVENTS]))


# -- Poisson by inversion -------------------------------------------------------------------
@pytest.mark.parametrize("lam", [0.05, 1.0, 4.0, 25.0])
def test_poisson_is_exact_inversion_of_scipy_cdf(lam):
    """Away from the cdf's jump points, inversion returns exactly scipy's quantile."""
    u = np.random.default_rng(1).random(20_000)
    cdf = stats.poisson.cdf(np.arange(200), lam)
    clear = np.min(np.abs(u[:, None] - cdf[None, :]), axis=1) > 1e-9
    k = poisson(np.full(u.shape, lam), u)
    np.testing.assert_array_equal(k[clear], stats.poisson.ppf(u[clear], lam).astype(int))


@pytest.mark.statistical
def test_poisson_frequencies_match_pmf():
    """Chi-square goodness of fit against scipy.stats.poisson (seed 2, alpha 0.001)."""
    lam, n = 2.5, 50_000
    k = poisson(lam, np.random.default_rng(2).random(n))
    top = 8  # pool k >= 8 (expected count > 200)
    observed = np.bincount(np.minimum(k, top), minlength=top + 1)
    expected = n * np.append(stats.poisson.pmf(np.arange(top), lam), stats.poisson.sf(top - 1, lam))
    assert stats.chisquare(observed, expected).pvalue > 1e-3
    assert abs(k.mean() - lam) < 4 * np.sqrt(lam / n)


def test_poisson_hand_cases():
    # lam = 1: cdf(0) = e^-1 = 0.3679, cdf(1) = 0.7358, cdf(2) = 0.9197
    u = np.array([0.0, 0.36, 0.37, 0.73, 0.74, 0.91, 0.93])
    np.testing.assert_array_equal(poisson(1.0, u), [0, 0, 1, 1, 2, 2, 3])
    # a zero rate never gives an event; per-draw rates broadcast against u
    np.testing.assert_array_equal(poisson(0.0, np.array([0.0, 0.5, 0.999999])), [0, 0, 0])
    np.testing.assert_array_equal(poisson(np.array([0.0, 1.0]), np.array([0.9, 0.9])), [0, 2])


def test_poisson_terminates_for_u_at_the_top_of_double_precision():
    k = poisson(3.0, np.array([1.0 - 2.0**-53]))
    assert 10 < k[0] < 60


# -- categorical and bernoulli --------------------------------------------------------------
def test_categorical_shared_distribution():
    cum = np.array([0.2, 0.5, 1.0])
    u = np.array([0.0, 0.19, 0.2, 0.49, 0.5, 0.999])
    np.testing.assert_array_equal(categorical(cum, u), [0, 0, 1, 1, 2, 2])


def test_categorical_one_distribution_per_draw():
    cum = np.array([[0.5, 1.0, 1.0], [0.0, 0.0, 1.0], [0.1, 0.9, 1.0]])
    u = np.array([0.6, 0.3, 0.05])
    np.testing.assert_array_equal(categorical(cum, u), [1, 2, 0])


def test_categorical_rounding_never_gives_an_index_past_the_end():
    cum = np.array([0.3, 0.6, 0.9999999])  # last entry short of 1 by rounding
    assert categorical(cum, np.array([0.99999995]))[0] == 2
    cum2 = np.array([[0.3, 0.9999999]])
    assert categorical(cum2, np.array([0.99999995]))[0] == 1


def test_bernoulli():
    np.testing.assert_array_equal(
        bernoulli(0.3, np.array([0.0, 0.29, 0.3, 0.9])), [True, True, False, False]
    )
    np.testing.assert_array_equal(
        bernoulli(np.array([0.0, 1.0]), np.array([0.0, 0.999])), [False, True]
    )


# -- named draws -----------------------------------------------------------------------------
def declared_daily_draws() -> dict[str, int]:
    """Every declared daily draw as ``label.name`` -> slot (militias one label per group)."""
    out = {}
    for actor, table in DAILY_DRAWS.items():
        tables = table if isinstance(table, tuple) else (table,)
        for g, names in enumerate(tables):
            label = f"{actor}[{g}]" if isinstance(table, tuple) else actor
            out.update({f"{label}.{name}": slot for name, slot in names.items()})
    return out


def test_no_two_daily_draws_share_a_slot_and_all_fit_the_layout():
    slots = list(declared_daily_draws().values())
    assert len(set(slots)) == len(slots)
    assert max(slots) < DAILY_SLOTS_READ <= CORE_SLOTS


def test_no_two_draws_of_an_event_share_a_column():
    for kind, names in EVENT_DRAWS_BY_KIND.items():
        columns = list(names.values())
        assert len(set(columns)) == len(columns), kind
        assert max(columns) < EVENT_DRAWS, kind


def test_named_draws_read_the_same_uniforms_as_their_slots():
    """Naming changes nothing underneath: draws.us.strike_order is core slot 7, and so on."""
    core = WorldStreams(3, np.arange(4)).core(9, DAILY_SLOTS_READ)
    draws = DailyDraws.of(core)
    for label_name, slot in declared_daily_draws().items():
        label, name = label_name.split(".")
        owner = (
            draws.militia[int(label[len("militia[") : -1])]
            if label.startswith("militia[")
            else getattr(draws, label)
        )
        np.testing.assert_array_equal(getattr(owner, name), core[:, slot])
    assert declared_daily_draws()["us.strike_order"] == 7  # the slot the US always used


def test_an_undeclared_draw_is_an_error_naming_the_declared_ones():
    draws = DailyDraws.of(WorldStreams(0, np.arange(2)).core(0, DAILY_SLOTS_READ))
    with pytest.raises(AttributeError, match="us has no draw named 'strike'.*strike_order"):
        draws.us.strike  # noqa: B018


def test_every_declared_draw_is_read_in_a_year_of_every_policy(monkeypatch):
    """Record each named draw the model reads over 2021, in scenarios that together exercise
    every actor's decisions, one of them a forecast from a replayed January (the order book it
    carries over); a declared draw nobody reads fails."""
    read: set[str] = set()
    original = Draws.__getattr__

    def recording(self, name):
        read.add(f"{self.label}.{name}")
        return original(self, name)

    monkeypatch.setattr(Draws, "__getattr__", recording)
    busy = Scenario.load("baseline_2021").with_parameters(
        talks_fragility=0.5, crackdown_rate=0.05, israel_strike_prob=0.3
    )
    EscalationModel(busy, n_worlds=20, seed=1).run()
    EscalationModel(busy, n_worlds=20, seed=1, history=load_events(), replay_days=31).run()
    expected = set(declared_daily_draws()) | {
        f"{kind}.{name}" for kind, names in EVENT_DRAWS_BY_KIND.items() for name in names
    }
    assert expected - read == set()
    assert read <= expected

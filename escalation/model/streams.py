"""Per-world random streams: world i draws the same numbers however the worlds are batched.

The model advances many worlds in lockstep, so its draws are arrays over worlds. If one
``numpy.random.Generator`` filled those arrays, world i's numbers would depend on how
many worlds share its batch, and an ensemble split into other chunks (or sent to other
processes) would give other results. Instead each draw is a pure function of
``(seed, world, day, slot)``: a counter-based stream in the manner of Salmon et al. 2011
("Parallel random numbers: as easy as 1, 2, 3"), here the SplitMix64 generator
(Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators"), whose
output for counter t under key k is ``mix(k + t * gamma)``. Each world's key is derived
from the run's ``numpy.random.SeedSequence`` and the world's global index, so world i
of a run is the same world in a batch of one, a chunk of a thousand, or a Dask task.

Slots are fixed per day: ``CORE_SLOTS`` for the daily decisions, then ``EVENT_DRAWS``
numbers for each of up to ``MAX_EVENTS`` events of a world on a day. Each 64-bit output is
split into two uniforms of 32 bits (a resolution of 2.3e-10, far below any probability the
model uses), which halves the hashing per draw.

Agents never read a slot by its number. :data:`DAILY_DRAWS` names each daily slot per
actor and :data:`EVENT_DRAWS_BY_KIND` each of an event's draws; the model hands them out as
:class:`Draws` (``model.draws.us.strike_order``, ``draws.site`` for one militia attack), so a
slot's meaning is written once, here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import scipy.special

from escalation.runtime import Seed, seed_sequence

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0**-32

#: Uniforms reserved per world and day for the daily decisions (the hashing layout: changing it
#: changes every draw). :data:`DAILY_DRAWS` names the slots in use.
CORE_SLOTS = 32
EVENT_DRAWS = 10
MAX_EVENTS = 64
#: 64-bit outputs a world draws per day; each gives two 32-bit uniforms.
HASHES_PER_DAY = (CORE_SLOTS + EVENT_DRAWS * MAX_EVENTS) // 2


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's output function (a bijection on 64-bit integers)."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


class WorldStreams:
    """Uniform draws for a set of worlds, addressed by day and slot."""

    def __init__(self, seed: Seed, world_ids: np.ndarray):
        self.seed = seed_sequence(seed)
        self.world_ids = np.asarray(world_ids, dtype=np.uint64)
        base = self.seed.generate_state(1, np.uint64)[0]
        with np.errstate(over="ignore"):
            self.keys = _mix(base ^ _mix((self.world_ids + np.uint64(1)) * _GAMMA))

    def __len__(self) -> int:
        return len(self.keys)

    def core(self, day: int, n_slots: int) -> np.ndarray:
        """``(n_worlds, n_slots)`` uniforms in [0, 1) for the day's core decisions."""
        if n_slots > CORE_SLOTS:
            raise ValueError(f"at most {CORE_SLOTS} core slots a day, asked for {n_slots}")
        hashes = np.uint64(day * HASHES_PER_DAY) + np.arange((n_slots + 1) // 2, dtype=np.uint64)
        return self._uniform(self.keys[:, None], hashes[None, :])[:, :n_slots]

    def events(self, day: int, worlds: np.ndarray, index: np.ndarray) -> np.ndarray:
        """``(len(worlds), EVENT_DRAWS)`` uniforms for event ``index`` of each world on ``day``.

        ``worlds`` are positions in this batch, ``index`` the event's rank among that
        world's events of the day (0, 1, ...).
        """
        if len(index) and int(np.max(index)) >= MAX_EVENTS:
            raise ValueError(f"more than {MAX_EVENTS} events in one world on one day")
        per_event = EVENT_DRAWS // 2
        first = np.uint64(day * HASHES_PER_DAY + CORE_SLOTS // 2) + np.asarray(
            index, np.uint64
        ) * np.uint64(per_event)
        hashes = first[:, None] + np.arange(per_event, dtype=np.uint64)[None, :]
        return self._uniform(self.keys[worlds][:, None], hashes)

    @staticmethod
    def _uniform(keys, hashes) -> np.ndarray:
        """Two uniforms per 64-bit output: its low and high 32 bits, side by side."""
        with np.errstate(over="ignore"):
            z = _mix(keys + (hashes + np.uint64(1)) * _GAMMA)
        # Read as little-endian pairs of 32-bit words, whatever the platform's byte order.
        halves = z.astype("<u8", copy=False).view("<u4")
        out = halves.astype(np.float64)
        out *= _TO_UNIT
        return out


# -- named draws --------------------------------------------------------------------------------
#: The daily draws of each actor: name -> core slot. Militias have one table per group, in the
#: order of :data:`escalation.model.agents.GROUPS`. The reporting layer's draws (read only under
#: ``batched_reporting``) took slots 3, 4 and 5, once left empty, and 12, so that every other
#: slot keeps its number (and every simulated world under full reporting its draws); the vows of
#: revenge took 14 and 15, after the campaign's 13, and the US order pending when a forecast
#: starts (read on its first simulated day only) took 16.
DAILY_DRAWS: Mapping[str, Mapping[str, int] | tuple[Mapping[str, int], ...]] = MappingProxyType(
    {
        "iran": MappingProxyType({"talks_collapse": 0, "campaign": 13}),
        "militia": (
            # Kata'ib Hezbollah: number of attacks today (under batched reporting: of attacks
            # other than IEDs), of true IEDs, and of reported IEDs; whether it vows revenge.
            MappingProxyType({"attacks": 1, "true_ieds": 3, "reported_ieds": 4, "vow": 14}),
            # Kata'ib Sayyid al-Shuhada
            MappingProxyType({"attacks": 2, "true_ieds": 5, "reported_ieds": 12, "vow": 15}),
        ),
        "israel": MappingProxyType({"strike": 6}),
        "us": MappingProxyType(
            {"strike_order": 7, "strike_delay": 8, "return_fire": 9, "pending_order": 16}
        ),
        "iraq": MappingProxyType({"crackdown": 10, "withdrawal_demand": 11}),
    }
)

#: The draws of one event, by kind of event: name -> column of :meth:`WorldStreams.events`.
EVENT_DRAWS_BY_KIND: Mapping[str, Mapping[str, int]] = MappingProxyType(
    {
        "militia_attack": MappingProxyType(
            {
                "weapon": 0,
                "site": 1,
                "intercepted": 2,
                "injures": 3,
                "injured_count": 4,
                "kills": 5,
                "others_killed": 6,
                "projectiles": 7,
                "claimed": 8,
                "front": 9,
            }
        ),
        "us_strike": MappingProxyType({"in_iraq": 0, "group": 1, "fighters_killed": 2}),
        "israeli_strike": MappingProxyType(
            {"fighters_killed": 0, "group": 1, "blamed_us": 2, "named": 3}
        ),
    }
)


def _tables(actor: str) -> tuple[Mapping[str, int], ...]:
    table = DAILY_DRAWS[actor]
    return table if isinstance(table, tuple) else (table,)


#: Core slots the model reads each day: up to the highest declared slot.
DAILY_SLOTS_READ = 1 + max(
    slot for actor in DAILY_DRAWS for table in _tables(actor) for slot in table.values()
)


class Draws:
    """Named uniforms of shape ``(n,)``: the columns of a matrix of draws, read by name.

    Parameters
    ----------
    uniforms : numpy.ndarray
        ``(n, k)`` uniforms in [0, 1).
    names : mapping of str to int
        Each draw's column in ``uniforms``.
    label : str
        Whose draws these are (``"us"``, ``"militia[0]"``, ``"militia_attack"``), for messages.
    """

    __slots__ = ("_label", "_names", "_uniforms")

    def __init__(self, uniforms: np.ndarray, names: Mapping[str, int], label: str) -> None:
        self._uniforms = uniforms
        self._names = names
        self._label = label

    def __getattr__(self, name: str) -> np.ndarray:
        """The draws called ``name``, one per row."""
        if name.startswith("_"):  # copy and pickle probe for these before the slots are set
            raise AttributeError(name)
        try:
            column = self._names[name]
        except KeyError:
            raise AttributeError(
                f"{self._label} has no draw named {name!r}; declared: {', '.join(self._names)}"
            ) from None
        return self._uniforms[:, column]

    @property
    def label(self) -> str:
        """Whose draws these are."""
        return self._label


@dataclass(frozen=True)
class DailyDraws:
    """One day's named draws, per actor: ``iran``, ``militia`` (one per group), ``israel``,
    ``us``, ``iraq`` (see :data:`DAILY_DRAWS`)."""

    iran: Draws
    militia: tuple[Draws, ...]
    israel: Draws
    us: Draws
    iraq: Draws

    @classmethod
    def of(cls, core: np.ndarray) -> DailyDraws:
        """Name the columns of ``(n_worlds, DAILY_SLOTS_READ)`` core uniforms."""
        militia = tuple(
            Draws(core, table, f"militia[{g}]") for g, table in enumerate(_tables("militia"))
        )
        single = {a: Draws(core, _tables(a)[0], a) for a in DAILY_DRAWS if a != "militia"}
        return cls(militia=militia, **single)


def event_draws(uniforms: np.ndarray, kind: str) -> Draws:
    """Name the ``(n_events, EVENT_DRAWS)`` uniforms of events of ``kind``."""
    return Draws(uniforms, EVENT_DRAWS_BY_KIND[kind], kind)


# -- distributions by inversion ----------------------------------------------------------------
def poisson(lam, u: np.ndarray) -> np.ndarray:
    """Poisson(lam) draws from uniforms ``u`` by inversion (exact; fast for small rates)."""
    u = np.asarray(u, dtype=float)
    if np.ndim(lam) == 0:
        return np.searchsorted(_poisson_cdf(float(lam)), u, side="right")
    lam = np.broadcast_to(np.asarray(lam, dtype=float), u.shape)
    k = np.zeros(u.shape, dtype=np.int64)
    cdf0 = np.exp(-lam)
    active = np.flatnonzero(u >= cdf0)
    if not active.size:
        return k
    # Work on the worlds that drew more than zero only, with compact local arrays.
    lam_a, u_a = lam.ravel()[active], u.ravel()[active]
    p = cdf0.ravel()[active]
    cdf = p.copy()
    n = 0
    while active.size:
        n += 1
        k.ravel()[active] = n
        p *= lam_a / n
        cdf += p
        # Stop once the remaining mass is below double precision.
        keep = (u_a >= cdf) & (p > 1e-300)
        active, lam_a, u_a, p, cdf = active[keep], lam_a[keep], u_a[keep], p[keep], cdf[keep]
    return k


@functools.lru_cache(maxsize=64)
def _poisson_cdf(lam: float) -> np.ndarray:
    """CDF of Poisson(lam) at 0, 1, ... until the tail is below double precision."""
    k = np.arange(int(lam + 12 * np.sqrt(lam) + 30))
    cdf = (
        np.cumsum(np.exp(k * np.log(lam) - lam - scipy.special.gammaln(k + 1)))
        if lam > 0
        else np.ones(1)
    )
    return np.minimum(cdf, 1.0)


def categorical(cum_probs: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index drawn from cumulative probabilities (last entry 1) given uniforms ``u``.

    ``cum_probs`` is ``(k,)`` for one distribution shared by all draws, or ``(n, k)``
    for one distribution per draw.
    """
    cum_probs = np.asarray(cum_probs)
    if cum_probs.ndim == 1:
        return np.minimum(np.searchsorted(cum_probs, u, side="right"), len(cum_probs) - 1)
    return np.minimum((u[:, None] >= cum_probs).sum(axis=1), cum_probs.shape[1] - 1)


def bernoulli(p, u: np.ndarray) -> np.ndarray:
    """True with probability ``p``."""
    return u < p

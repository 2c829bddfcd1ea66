"""Observed history, day by day, in the form the agents consume when replaying it.

Before a forecast the model replays what happened: on each observed day the agents do
not draw their actions but take the observed ones, and update their memories through
the same code as in simulation (vows of revenge after losses, red-line credibility after
unanswered crossings, Baghdad's pressure, crackdowns). :class:`ObservedDays` turns a
canonical event log into those daily inputs: militia attacks by group and site, militia vows
of revenge (:func:`vow_days`), US strike sites, Israeli (and unattributed) strikes, Iraqi
crackdowns.

Only the attacks the model simulates are replayed
(:func:`escalation.events.counts.modelled_attacks`: an attack on an Iraqi leader, such as the 7
November 2021 drones on the prime minister's residence, is outside the model and crosses no US
red line). Observed attacks are matched to the model's sites by
:func:`escalation.model.sites.site_index` (a location or target naming a site's alias is
that site; any other place counts as a site with US personnel in its country), and to
groups by name. A group naming Kata'ib Sayyid al-Shuhada or one of its fronts is that group;
everything else is attributed to Kata'ib Hezbollah, the larger of the two.

A strike's dead feed a group's vows (and revenge) only as losses the group acknowledges
(:func:`acknowledged_losses`): its own fighters (the row names the group or a front), killed by
a strike someone is blamed for (the US, or Israel). Strikes by unknown aircraft, and the dead of
a row naming no modelled group (Syrian soldiers, fighters of unnamed Iran-backed groups: the 12
and 13 January 2021 strikes), feed no revenge.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from escalation.events.counts import CASUALTIES, day_offsets, known_counts, modelled_attacks
from escalation.events.schema import EVENT_TYPES
from escalation.model.agents import GROUPS
from escalation.model.sites import sites_of
from escalation.runtime import DateLike

#: Words in the notes or target of a political act by Baghdad that make it a crackdown (the 26
#: May 2021 arrest of Qasim Muslih) or a demand that US forces leave (the 5 January 2020 vote
#: of parliament to expel them, whose row says "end the presence of foreign troops").
CRACKDOWN_WORDS = ("arrest", "crackdown", "raid", "detain")
DEMAND_WORDS = ("expel", "expulsion", "demands the withdrawal", "end the presence of foreign")
#: Words in the notes of a militia political act that make it a public vow of revenge (the PMF's
#: of 28 June 2021: "vowed revenge"; docs/data.md, rule 9).
VOW_WORDS = ("vow", "revenge", "avenge")
#: Days after a group's acknowledged losses within which its vow answers them: the vow of the
#: day of the losses (28 June 2021) or of the next (a statement after midnight).
VOW_WINDOW_DAYS = 1
#: Words in the notes of a context row by Iran that say it broke off the Vienna talks.
TALKS_COLLAPSE_WORDS = ("breaks off the vienna talks",)
_EVENT_CODE = {t.value: code for code, t in enumerate(EVENT_TYPES)}


@dataclass(frozen=True)
class DayRecord:
    """One observed day: what each actor did, in the form its agent takes and scores it.

    ``attacks``: per group, arrays of site, event type, casualties, whether the casualty
    counts are known (an empty cell is unknown, and its term is left out of the likelihood) and
    whether a front group claimed the attack (:func:`front_claim`);
    ``us_strikes``: one entry per site struck (group, in Iraq, people killed, and the
    ``losses`` the group acknowledges, :func:`acknowledged_losses`);
    ``round_start``: True on a day of US airstrikes that starts a strike round as the model
    strikes one (:func:`order_rounds`), None on a day that continues yesterday's round, False
    on a day without US airstrikes; ``israeli_strikes``: strikes by Israel or unknown aircraft
    (group, people killed, attributed to Israel, acknowledged ``losses``); ``return_fire``: US
    return-fire events; ``crackdown``: Baghdad arrested or raided militia members;
    ``withdrawal_demand``: Baghdad (its government or parliament) demanded that US forces
    leave; ``talks_collapse``: Iran broke off the Vienna talks; ``vows``: per modelled group,
    whether it vowed revenge, as the militia reads it today (:func:`vow_days`).
    """

    attacks: dict
    us_strikes: dict
    round_start: bool | None
    israeli_strikes: dict
    return_fire: int
    crackdown: bool
    withdrawal_demand: bool
    talks_collapse: bool
    vows: np.ndarray

    @cached_property
    def all_attacks(self) -> dict:
        """The day's attacks of every group together, in the order of the groups: the arrays of
        ``attacks``, each joined once per record (every replay of the record reads them)."""
        return {
            key: np.concatenate([self.attacks[g][key] for g in range(len(GROUPS))])
            for key in self.attacks[0]
        }


class ObservedDays:
    """Observed events of a window, split by day for replay, from its first day ``start``."""

    def __init__(self, records: list[DayRecord], start: dt.date):
        self.records = records
        self.start = start

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, day: int) -> DayRecord:
        return self.records[day]

    @classmethod
    def from_events(cls, events: pd.DataFrame, start: DateLike, days: int) -> ObservedDays:
        day, inside = day_offsets(events, start, days)
        round_start = order_rounds(
            day,
            events["actor"].astype(str).to_numpy(),
            events["event_type"].astype(str).to_numpy(),
            days,
        )
        ev = events.loc[inside].reset_index(drop=True)
        day = day[inside]
        actor = ev["actor"].astype(str).to_numpy()
        etype = ev["event_type"].astype(str).to_numpy()
        killed, injured, others = (known_counts(ev, c).astype(np.int64) for c in CASUALTIES)
        known = ~ev[list(CASUALTIES)].isna().any(axis=1).to_numpy()
        group = np.array([group_index(g) for g in ev["group"].astype(str)], dtype=np.int64)
        losses = acknowledged_losses(ev)
        site = sites_of(ev)
        code = np.array([_EVENT_CODE[t] for t in etype], dtype=np.int64)
        attack = modelled_attacks(ev)
        strike = etype == "airstrike"
        us_strike = strike & (actor == "US")
        other_strike = strike & np.isin(actor, ["Israel", "unknown"])
        notes = _notes(ev)
        baghdad = (actor == "Iraqi government") & (etype == "political_action")
        crackdown = baghdad & _mentions(notes, CRACKDOWN_WORDS)
        demand = withdrawal_demands(ev)
        return_fire = (actor == "US") & (etype == "return_fire")
        collapse = (actor == "Iran") & (etype == "context") & _mentions(notes, TALKS_COLLAPSE_WORDS)
        vow = (actor == "militia") & (etype == "political_action") & _mentions(notes, VOW_WORDS)
        named = np.array([named_group(g) for g in ev["group"].astype(str)], dtype=np.int64)
        claimed = np.array([front_claim(g) for g in ev["group"].astype(str)], dtype=bool)
        read = vow_days(day, named, vow, losses, days)
        records = []
        for d in range(days):
            today = day == d
            attacks = {}
            for g in range(len(GROUPS)):
                mask = today & attack & (group == g)
                attacks[g] = {
                    "site": site[mask],
                    "etype": code[mask],
                    "killed": killed[mask],
                    "injured": injured[mask],
                    "others": others[mask],
                    "known": known[mask],
                    "claimed": claimed[mask],
                }
            mask = today & us_strike
            us = {
                "group": group[mask],
                "in_iraq": (ev["country"].to_numpy()[mask] == "Iraq"),
                "killed": others[mask],
                "losses": losses[mask],
            }
            mask = today & other_strike
            israeli = {
                "group": group[mask],
                "killed": others[mask],
                "attributed": actor[mask] == "Israel",
                "losses": losses[mask],
            }
            records.append(
                DayRecord(
                    attacks,
                    us,
                    round_start[d],
                    israeli,
                    int((today & return_fire).sum()),
                    bool((today & crackdown).any()),
                    bool((today & demand).any()),
                    bool((today & collapse).any()),
                    read[d],
                )
            )
        return cls(records, pd.Timestamp(start).date())


def vow_days(
    day: np.ndarray, group: np.ndarray, vow: np.ndarray, losses: np.ndarray, days: int
) -> np.ndarray:
    """``(days, groups)``: on which day each group's observed vows are read by its militia agent.

    A militia weighs a day's acknowledged losses on the next day's step (the strikes come after
    it has acted), and decides then whether to vow (:meth:`~escalation.model.policies.Reprisal.
    vow_probability`). An observed vow answers the group's latest losses of the day of the vow or
    of the :data:`VOW_WINDOW_DAYS` before it, and is read the day after those losses: the PMF's
    vow of 28 June 2021, the day of the strikes, is read on 29 June; a vow made the day after the
    losses (a statement after midnight) is read that day. A vow answering no losses is read the
    day after it is made: the group's attacks follow it, but no probability of it is scored.
    ``group`` holds each event's :func:`named_group` (a vow by a group the model does not hold is
    not read), ``losses`` each event's acknowledged losses.
    """
    read = np.zeros((days, len(GROUPS)), dtype=bool)
    for v, g in zip(day[vow], group[vow], strict=True):
        if g == NO_GROUP:
            continue
        mine = group == g
        lost = [d for d in range(v - VOW_WINDOW_DAYS, v + 1) if losses[mine & (day == d)].sum() > 0]
        at = (lost[-1] if lost else v) + 1
        if 0 <= at < days:
            read[at, g] = True
    return read


def order_rounds(day: np.ndarray, actor: np.ndarray, etype: np.ndarray, days: int) -> list:
    """Per day of the window: whether its US airstrikes are a strike round the model orders.

    The model strikes all the sites of a round on one day, and a world that struck orders its
    next round the day after at the earliest, due one day later at the soonest
    (:meth:`escalation.model.policies.Retaliation.respond`): every day of US airstrikes is a
    round of its own (True), two days apart included, although the counts of
    :func:`escalation.events.counts.strike_round_starts` join those into one round. Only a
    day of airstrikes right after another, which the model cannot produce, is read as the
    same round running past midnight (None: no news on orders). False: no US airstrikes.
    ``day`` holds the day offset of every event (those outside the window too, so a round
    begun the day before the window continues into it).
    """
    struck = np.unique(day[(actor == "US") & (etype == "airstrike")])
    continued = np.isin(struck - 1, struck)
    flags: list = [False] * days
    for d, cont in zip(struck, continued, strict=True):
        if 0 <= d < days:
            flags[d] = None if cont else True
    return flags


def withdrawal_demands(events: pd.DataFrame) -> np.ndarray:
    """Whether each row is Baghdad (its government or parliament) demanding that US forces
    leave: a political act of the Iraqi government whose notes or target say so
    (:data:`DEMAND_WORDS`; the 5 January 2020 vote of parliament). Replay reads these, and the
    record's summary counts them as the simulated worlds' ``withdrawal_demanded``."""
    baghdad = (events["actor"].astype(str) == "Iraqi government") & (
        events["event_type"].astype(str) == "political_action"
    )
    return baghdad.to_numpy() & _mentions(_notes(events), DEMAND_WORDS)


def _notes(events: pd.DataFrame) -> np.ndarray:
    """Each row's notes and target, lower case: what the word rules read."""
    text = events["notes"].fillna("").astype(str) + " " + events["target"].fillna("").astype(str)
    return text.str.lower().to_numpy()


def _mentions(notes: np.ndarray, words: tuple[str, ...]) -> np.ndarray:
    return np.array([any(w in n for w in words) for n in notes], dtype=bool)


#: Who an airstrike row's dead may be blamed on, as far as the militias are concerned: the US,
#: and Israel (first blamed on the US: the Israel agent weighs its dead by that belief). Nobody is
#: blamed for a strike by unknown aircraft.
BLAMED_STRIKERS = ("US", "Israel")
#: :func:`named_group` of a name that names no modelled group.
NO_GROUP = -1


def group_index(group: str) -> int:
    """The modelled militia an observed group name belongs to (unnamed: the larger, KH)."""
    named = named_group(group)
    return 0 if named == NO_GROUP else named


def named_group(group: str) -> int:
    """The modelled militia a group name names (the group or a front), else :data:`NO_GROUP`."""
    text = _plain(group)
    kh, kss = GROUPS
    # KSS first: "Kata'ib Hezbollah; Kata'ib Sayyid al-Shuhada" (2021's strike rounds) is KSS.
    if "shuhada" in text or any(_plain(name) in text for name in (kss.name, *kss.fronts)):
        return 1
    if any(_plain(name) in text for name in (kh.name, *kh.fronts)):
        return 0
    return NO_GROUP


#: Front groups that claimed attacks in the records besides the fronts the model lists for its
#: groups (:data:`~escalation.model.agents.GROUPS`): docs/data.md, rule 5 (2021), and the 2022
#: record's claims.
OTHER_FRONTS = ("Revenge of al-Muhandis Brigades", "Liwa al-Tha'irin", "International Resistance")


def front_claim(group: str) -> bool:
    """Whether an attack's ``group`` is a front group's claim: it names a front (docs/data.md,
    rule 5: a front's claim "fills ``group``"), one the model lists for its groups or one of
    :data:`OTHER_FRONTS`. An attack nobody claimed leaves ``group`` empty, and one the Pentagon
    attributed names the group itself (the 27 December 2019 K1 attack: Kata'ib Hezbollah)."""
    text = _plain(group)
    return any(front in text for front in _FRONTS)


def _plain(name: str) -> str:
    """A name lower-cased without apostrophes (Kata'ib, Kataib and Kata’ib alike)."""
    return name.lower().replace("'", "").replace("\u2019", "")


#: Every front's name as :func:`front_claim` matches it.
_FRONTS = tuple(_plain(front) for front in (*(f for g in GROUPS for f in g.fronts), *OTHER_FRONTS))


def acknowledged_losses(events: pd.DataFrame) -> np.ndarray:
    """Fighters killed by each airstrike row that feed revenge: the losses a group acknowledges.

    A row's ``others_killed`` counts when its ``group`` names a modelled militia or a front
    (:func:`named_group`: the dead are that group's fighters; a row naming no group may hold
    Syrian soldiers or other groups' fighters, as the 13 January 2021 Deir ez-Zor row does)
    and its actor is one the militias blame (:data:`BLAMED_STRIKERS`; unknown aircraft are
    nobody's). Every other row counts 0. Issue 12: "Losses a group does not acknowledge (deaths
    it denies, strikes by unknown aircraft, other forces' dead) do not feed" revenge.
    """
    killed = known_counts(events, "others_killed").astype(np.int64)
    groups = events["group"].fillna("").astype(str)
    named = np.array([named_group(g) != NO_GROUP for g in groups], dtype=bool)
    blamed = events["actor"].astype(str).isin(BLAMED_STRIKERS).to_numpy()
    strike = events["event_type"].astype(str).to_numpy() == "airstrike"
    return np.where(strike & blamed & named, killed, 0)

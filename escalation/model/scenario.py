"""Scenarios: parameters, policy choices and a time window, read from and written to TOML.

A scenario file has the keys ``name`` (one folder name, as results go to ``results/<name>``;
by default the file's name without ``.toml``, never the parent's), ``description``, ``extends``
(another scenario's name or path, whose values it starts from), ``start``, ``end``,
``posterior`` (a calibrated posterior whose draws set the calibrated parameters world by
world), ``calibrate`` (the parameters calibration infers), the tables ``[parameters]``,
``[priors.<name>]`` (a scipy.stats distribution, ``dist`` and its arguments, with probability
inside the parameter's range) and ``[policies.<actor>]``, and a dated ``[[timeline]]`` (see
:class:`TimelineEntry`). For example::

    name = "trump_red_line"
    description = "The earlier US red line: only an American killed is answered."
    extends = "baseline_2021"

    [policies.US]
    retaliation = { name = "red_line", line = "killed" }

A timeline entry changes the scenario from its date on: it may ``set`` parameters, ``multiply``
them (by a number, or by another parameter, so that a dated change can be calibrated), switch
one ``policy`` and mark an ``event`` of a ``kind`` (what later mechanisms take as triggers)::

    [[timeline]]
    date = 2021-07-26
    event = "Biden and Kadhimi agree to end the US combat mission by the end of 2021"
    kind = "agreement"
    multiply = { militia_attack_rate = "post_agreement_rate" }
    source = "Reuters via Hurriyet Daily News, 2021-07-27"

A scenario that ``extends`` another appends its entries to the parent's (on the same date the
child's apply after the parent's, so its ``set`` wins); ``replace_timeline = true`` puts its own
entries (none, if it has none) in place of the parent's, as ``timeline = []`` does without
entries.

Every parameter must be declared in :mod:`escalation.model.parameters` and lie in its range;
every policy and option must exist in :mod:`escalation.model.policies`. Anything else raises
:class:`escalation.ScenarioError` naming the file, the key and what was expected.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.resources
import math
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from escalation.errors import ScenarioError
from escalation.model.parameters import (
    PARAMETERS,
    Parameter,
    Prior,
    defaults,
    range_problem,
    unknown_parameter,
)
from escalation.model.policies import (
    POLICY_SLOTS,
    SLOTS_OFF_UNLESS_NAMED,
    RestraintWhileTalks,
    check_options,
    make_policy,
    talks_known_on,
)

#: The scenario used when none is named: the 2021 record and policies.
DEFAULT_SCENARIO = "baseline_2021"

TOP_LEVEL_KEYS = (
    "name",
    "description",
    "extends",
    "start",
    "end",
    "posterior",
    "calibrate",
    "parameters",
    "priors",
    "policies",
    "timeline",
    "replace_timeline",
)
#: Keys of one ``[[timeline]]`` entry.
TIMELINE_KEYS = ("date", "announced", "set", "multiply", "policy", "event", "kind", "source")
#: Kinds of marked events: what later mechanisms (campaign regimes, vows) may take as triggers.
MARK_KINDS = ("agreement", "anniversary", "arrest", "election", "talks", "other")


@dataclass(frozen=True)
class PolicyChoice:
    """The policy an actor follows in one of its decision slots, with its options."""

    name: str
    options: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def as_dict(self) -> dict:
        return {"name": self.name, **dict(self.options)}


@dataclass(frozen=True)
class PolicySwitch:
    """From a timeline entry's date, ``actor`` follows ``choice`` in ``slot``."""

    actor: str
    slot: str
    choice: PolicyChoice

    def as_dict(self) -> dict:
        """The switch as the TOML table it was read from."""
        return {"actor": self.actor, "slot": self.slot, "choice": self.choice.as_dict()}


class Mark(NamedTuple):
    """An event a scenario's timeline marks on its date: its kind and what happened."""

    kind: str
    event: str


@dataclass(frozen=True)
class TimelineEntry:
    """One dated change of a scenario: from ``date`` on, parameters and policies change.

    ``assign`` (the TOML key ``set``) gives parameters new values; ``multiply`` multiplies
    them by a number or by the value of a named parameter (which may be calibrated);
    ``policy`` switches one actor's slot; ``event`` and ``kind`` mark what happened that day
    (:class:`Mark`). ``announced`` is the day the entry became public knowledge (an election
    date, an anniversary): a forecast made before it cannot know it (:meth:`Scenario.known_on`);
    None means it was not known before its own date. ``where`` names the file and entry in error
    messages.
    """

    date: dt.date
    assign: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    multiply: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    policy: PolicySwitch | None = None
    event: str | None = None
    kind: str | None = None
    source: str | None = None
    announced: dt.date | None = None
    where: str = field(default="<timeline>", compare=False)

    @property
    def mark(self) -> Mark | None:
        """The event this entry marks, if any."""
        return Mark(self.kind or "other", self.event) if self.event else None

    @property
    def known_from(self) -> dt.date:
        """The first day the entry was public knowledge: its announcement, else its date."""
        return self.announced if self.announced is not None else self.date

    @property
    def changes_model(self) -> bool:
        """Whether the entry changes parameters or policies (not only marks an event)."""
        return bool(self.assign or self.multiply or self.policy)

    def as_dict(self) -> dict:
        """The entry as the TOML table it was read from."""
        table: dict = {"date": self.date}
        if self.announced is not None:
            table["announced"] = self.announced
        if self.assign:
            table["set"] = dict(self.assign)
        if self.multiply:
            table["multiply"] = dict(self.multiply)
        if self.policy is not None:
            table["policy"] = self.policy.as_dict()
        for key in ("event", "kind", "source"):
            if getattr(self, key) is not None:
                table[key] = getattr(self, key)
        return table


@dataclass(frozen=True)
class Scenario:
    """A frozen description of one question: window, parameters, policies, calibration set-up.

    ``parameters`` holds a value for every declared parameter; ``pinned`` names those a
    scenario file (or :meth:`with_parameters`) set explicitly, which draws from
    ``posterior`` never override.
    """

    name: str
    description: str
    start: dt.date
    end: dt.date
    parameters: MappingProxyType
    policies: MappingProxyType
    calibrate: tuple = ()
    priors: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    posterior: str | None = None
    pinned: frozenset = frozenset()
    origin: str = "<scenario>"
    #: Dated changes, in date order (entries of one date in file order, parents' first).
    timeline: tuple[TimelineEntry, ...] = ()

    def __post_init__(self):
        _check_name(self.name, self.origin)
        if self.end < self.start:
            raise ScenarioError(
                f"{self.origin}: key 'end': {self.end} is before start {self.start}; "
                "expected end >= start"
            )

    # -- derived -------------------------------------------------------------------------------
    @property
    def days(self) -> int:
        """Number of simulated days (both ends included)."""
        return (self.end - self.start).days + 1

    @property
    def regime_starts(self) -> tuple[dt.date, ...]:
        """Dates of the timeline entries that change parameters or policies: where regimes begin.

        Posterior predictive checks compare the attack rate within each regime (for 2021, before
        and after the 26 July agreement), since a rate that fits the year can miss both halves.
        """
        return tuple(sorted({e.date for e in self.timeline if e.changes_model}))

    def known_on(self, origin: dt.date | str) -> Scenario:
        """The scenario as a forecaster knew it at the start of ``origin``: timeline entries not
        yet public by then (:attr:`TimelineEntry.known_from` on or after ``origin``) left out,
        and the Vienna talks schedule held to what was public (the ``known_on`` option of Iran's
        patronage, in the policies and in kept switches; :func:`.policies.talks_known_on`).

        A forecast from 1 July 2021 cannot know that Biden and Kadhimi would agree on 26 July to
        end the US combat mission, nor use that a regime changes that day; it can know the date of
        Iraq's October election, set in January. Entries before ``origin`` have happened and stay.
        Nor can it know that the talks, paused since 20 June, would resume on 29 November
        (announced on 3 November); from 1 May 2021 they are assumed to run on. The scenario itself
        is returned when nothing is left out.
        """
        day = _date(origin, "origin", self.origin)
        kept = tuple(_entry_known_on(e, day) for e in self.timeline if e.known_from < day)
        policies = MappingProxyType(
            {
                actor: MappingProxyType(
                    {slot: _talks_known_on(actor, slot, c, day) for slot, c in slots.items()}
                )
                for actor, slots in self.policies.items()
            }
        )
        if kept == self.timeline and policies == self.policies:
            return self
        return replace(self, timeline=kept, policies=policies)

    def calibrated_until(self, end: dt.date) -> tuple[str, ...]:
        """The parameters of ``calibrate`` that a record ending on ``end`` can inform: all but a
        factor read only through the timeline (:attr:`Parameter.timeline_only`) whose every
        entry is dated after ``end``. The likelihood is flat in such a factor, so its posterior
        would be its prior; left uncalibrated, it keeps the scenario's value (1, no change, for
        baseline_2021's factors from 26 July 2021 and 1 January 2022) until a record reaches its
        date."""
        acting = {
            factor
            for entry in self.timeline
            if entry.date <= end
            for factor in entry.multiply.values()
            if isinstance(factor, str)
        }
        return tuple(
            name for name in self.calibrate if not PARAMETERS[name].timeline_only or name in acting
        )

    def informed_until(self, end: dt.date) -> Scenario:
        """This scenario calibrating only :meth:`calibrated_until` ``end``: what calibrations
        sample. Raises :class:`ScenarioError` when that leaves nothing to calibrate."""
        informed = self.calibrated_until(end)
        if not informed:
            raise ScenarioError(
                f"{self.origin}: key 'calibrate': {', '.join(self.calibrate)} act only through "
                f"timeline entries dated after the window's end ({end}); expected a window that "
                "reaches one of them, or a parameter the record before it can inform"
            )
        return replace(self, calibrate=informed)

    def unknown_on(self, origin: dt.date | str) -> tuple[TimelineEntry, ...]:
        """The timeline entries :meth:`known_on` leaves out for ``origin``."""
        day = _date(origin, "origin", self.origin)
        return tuple(e for e in self.timeline if e.known_from >= day)

    def left_out_on(self, origin: dt.date | str, until: dt.date | None = None) -> tuple[str, ...]:
        """What :meth:`known_on` leaves out for ``origin``, in words: each entry of
        :meth:`unknown_on` dated on or before ``until`` (all, if None; a forecast passes its
        last day, as later entries could not have acted) as ``"date: event"``, then, if it holds
        the talks schedule back, ``"Vienna talks after <origin>: schedule not yet public"``."""
        day = _date(origin, "origin", self.origin)
        unknown = [e for e in self.unknown_on(day) if until is None or e.date <= until]
        words = [f"{e.date}: {e.event or 'unnamed entry'}" for e in unknown]
        known = self.known_on(day)
        switches = [e.policy for e in self.timeline if e.known_from < day]
        if known.policies != self.policies or switches != [e.policy for e in known.timeline]:
            words.append(f"Vienna talks after {day}: schedule not yet public")
        return tuple(words)

    def prior(self, name: str) -> Prior:
        """The prior of a calibrated parameter: the scenario's override or the declared one."""
        if name in self.priors:
            return self.priors[name]
        declared = PARAMETERS[name].prior
        if declared is None:
            raise ScenarioError(
                f"{self.origin}: key 'calibrate': parameter {name!r} has no declared prior; "
                f"give one under [priors.{name}]"
            )
        return declared

    def policy(self, actor: str, slot: str) -> PolicyChoice:
        """The policy choice of ``actor`` in ``slot``."""
        return self.policies[actor][slot]

    # -- construction --------------------------------------------------------------------------
    def with_parameters(self, **values: float) -> Scenario:
        """A copy with some parameters set (validated and pinned)."""
        params = dict(self.parameters)
        for key, value in values.items():
            params[key] = _check_parameter(key, value, self.origin, "with_parameters")
        return replace(
            self,
            parameters=MappingProxyType(params),
            pinned=self.pinned | frozenset(values),
        )

    def with_policy(self, actor: str, slot: str, name: str, **options: object) -> Scenario:
        """A copy in which ``actor`` follows policy ``name`` in ``slot``."""
        raw = _policies_as_dict(self.policies)
        raw.setdefault(actor, {})[slot] = {"name": name, **options}
        return replace(self, policies=_check_policies(raw, self.origin))

    @classmethod
    def coerce(cls, scenario: Scenario | str | os.PathLike[str] | None) -> Scenario:
        """The scenario meant by ``scenario``, normalised in one place for every entry point.

        A :class:`Scenario` is returned as is, a string or path is a built-in name or a TOML
        file (:meth:`load`), and None means :data:`DEFAULT_SCENARIO`.
        """
        if scenario is None:
            return cls.load(DEFAULT_SCENARIO)
        if isinstance(scenario, Scenario):
            return scenario
        if not isinstance(scenario, str | os.PathLike):
            raise ScenarioError(
                f"scenario: expected a Scenario, a built-in scenario name or a TOML path, "
                f"not {type(scenario).__name__}"
            )
        return cls.load(scenario)

    @classmethod
    def load(cls, name_or_path: str | os.PathLike[str]) -> Scenario:
        """A built-in scenario by name, or a scenario TOML file by path; a file that sets no
        ``name`` is named after the file (``spring.toml``: ``spring``), not after its parent."""
        path = _resolve(name_or_path)
        return cls.from_toml(_read(path), str(path), default_name=path.stem)

    @classmethod
    def from_toml(
        cls, text: str, origin: str = "<string>", default_name: str | None = None
    ) -> Scenario:
        """Parse scenario TOML text; ``origin`` names it in error messages. The text must set
        ``name`` unless ``default_name`` gives one (an uploaded file's name without its
        extension): a child never takes its parent's name."""
        raw = _merged(text, origin, seen=())
        return _build(raw if default_name is None else {"name": default_name, **raw}, origin)

    # -- output --------------------------------------------------------------------------------
    def to_toml(self) -> str:
        """The scenario as a self-contained TOML document (no ``extends``)."""
        lines = [
            f"name = {_toml_value(self.name)}",
            f"description = {_toml_value(self.description)}",
            f"start = {self.start.isoformat()}",
            f"end = {self.end.isoformat()}",
        ]
        if self.posterior:
            lines.append(f"posterior = {_toml_value(self.posterior)}")
        if self.calibrate:
            lines.append(f"calibrate = {_toml_value(list(self.calibrate))}")
        lines += ["", "[parameters]"]
        for key, value in self.parameters.items():
            line = f"{key} = {_toml_value(value)}"
            lines.append(line if key in self.pinned else f"# {line}  (default)")
        for name, prior in self.priors.items():
            lines += ["", f"[priors.{name}]", f"dist = {_toml_value(prior.dist)}"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in prior.args.items()]
        for actor, slots in self.policies.items():
            lines += ["", f"[policies.{_toml_key(actor)}]"]
            for slot, choice in slots.items():
                lines.append(f"{slot} = {_toml_value(choice.as_dict())}")
        for entry in self.timeline:
            lines += ["", "[[timeline]]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in entry.as_dict().items()]
        return "\n".join(lines) + "\n"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_toml` to ``path``."""
        path = Path(path)
        path.write_text(self.to_toml(), encoding="utf-8")
        return path

    def sha256(self) -> str:
        """SHA-256 of the scenario's TOML: what provenance manifests record."""
        return hashlib.sha256(self.to_toml().encode()).hexdigest()


def list_scenarios() -> list[str]:
    """Names of the built-in scenarios."""
    folder = importlib.resources.files("escalation") / "data" / "scenarios"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def describe_scenarios() -> dict[str, str]:
    """Built-in scenario names with the first sentence of their descriptions."""
    return {name: Scenario.load(name).description.split(". ")[0] for name in list_scenarios()}


# -- loading -----------------------------------------------------------------------------------
def _resolve(name_or_path) -> Path:
    text = str(name_or_path)
    if text in list_scenarios():
        return Path(
            str(importlib.resources.files("escalation") / "data" / "scenarios" / text)
        ).with_suffix(".toml")
    path = Path(text)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ScenarioError(f"{path}: no such scenario file")
        return path
    raise ScenarioError(
        f"unknown scenario {text!r}: expected a TOML file or one of {', '.join(list_scenarios())}"
    )


def _read(path: Path) -> str:
    """The text of a scenario file, which TOML requires to be UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "expected a TOML file saved as UTF-8"
        ) from None


def _merged(text: str, origin: str, seen: tuple) -> dict:
    """The raw table of a scenario with its ``extends`` chain folded in."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{origin}: not valid TOML: {exc}{_toml_hint(exc)}") from None
    for key in raw:
        if key not in TOP_LEVEL_KEYS:
            raise ScenarioError(
                f"{origin}: unknown key {key!r}; expected one of {', '.join(TOP_LEVEL_KEYS)}"
            )
    raw.setdefault("parameters", {})
    _check_table(raw, "parameters", origin)
    _posterior_beside(raw, origin)
    replace_timeline = _replaces_timeline(raw, origin)
    if replace_timeline:
        raw.setdefault("timeline", [])
    if "timeline" in raw:
        _tag_timeline(raw, origin)
    raw["_pinned"] = set(raw["parameters"])
    raw["_origin"] = {k: origin for k in raw["parameters"]}
    parent_ref = raw.pop("extends", None)
    if parent_ref is None:
        return raw
    parent_path = _resolve_relative(parent_ref, origin)
    if str(parent_path.resolve()) in seen:
        raise ScenarioError(f"{origin}: key 'extends': circular chain through {parent_path}")
    parent = _merged(_read(parent_path), str(parent_path), seen + (str(Path(origin).resolve()),))
    merged = {k: v for k, v in parent.items() if k != "name"}  # a name is not inherited
    for key, value in raw.items():
        if key == "parameters":
            merged["parameters"] = {**parent["parameters"], **value}
        elif key == "priors":
            merged["priors"] = {**parent.get("priors", {}), **value}
        elif key == "policies":
            _check_table(raw, "policies", origin)
            policies = {a: dict(s) for a, s in parent.get("policies", {}).items()}
            for actor, slots in value.items():
                if not isinstance(slots, dict):
                    raise ScenarioError(f"{origin}: key 'policies.{actor}': expected a table")
                policies.setdefault(actor, {}).update(slots)
            merged["policies"] = policies
        elif key == "timeline":
            merged["timeline"] = _inherited_timeline(parent, value, replace_timeline)
        elif key == "_pinned":
            merged["_pinned"] = parent["_pinned"] | value
        elif key == "_origin":
            merged["_origin"] = {**parent["_origin"], **value}
        else:
            merged[key] = value
    return merged


def _toml_hint(exc: tomllib.TOMLDecodeError) -> str:
    """What to write instead, for ``timeline = [...]`` followed by ``[[timeline]]`` tables."""
    if "immutable namespace ('timeline',)" not in str(exc):
        return ""
    return (
        "; timeline = [...] cannot be followed by [[timeline]] tables: to replace the parent's "
        "timeline with your entries, write replace_timeline = true (before any table) instead"
    )


def _replaces_timeline(raw: dict, origin: str) -> bool:
    """Take out ``replace_timeline`` (a file's own, not inherited): whether it is true."""
    value = raw.pop("replace_timeline", False)
    if not isinstance(value, bool):
        raise ScenarioError(f"{origin}: key 'replace_timeline': {value!r}; expected true or false")
    return value


def _posterior_beside(raw: dict, origin: str) -> None:
    """A ``posterior`` folder named relative to the scenario file, as ``extends`` is, becomes its
    full path, so the scenario runs from any working directory (a shipped name stays a name)."""
    ref = raw.get("posterior")
    if not isinstance(ref, str) or not ref or Path(ref).is_absolute():
        return
    beside = Path(origin).parent / ref
    if not _shipped_posterior(ref).is_dir() and beside.is_dir():
        raw["posterior"] = str(beside.resolve())


def _shipped_posterior(ref) -> Path:
    return Path(str(importlib.resources.files("escalation") / "data" / str(ref)))


def posterior_path(ref) -> Path:
    """Folder of a posterior: a name shipped in the package data, or a path."""
    shipped = _shipped_posterior(ref)
    if shipped.is_dir():
        return shipped
    path = Path(ref)
    if not path.is_dir():
        raise FileNotFoundError(
            f"posterior {ref!r}: no shipped posterior of that name and no such folder"
        )
    return path


def _resolve_relative(ref, origin: str) -> Path:
    candidate = Path(origin).parent / str(ref)
    if str(ref).endswith(".toml") and candidate.is_file():
        return candidate
    try:
        return _resolve(ref)
    except ScenarioError as exc:
        raise ScenarioError(f"{origin}: key 'extends': {exc}") from None


def _check_name(name: str, origin: str) -> None:
    """A name is one folder under results/: not empty or ``.``, no path separator, no ``..``."""
    if name in ("", ".") or any(part in name for part in ("/", "\\", "..")):
        raise ScenarioError(
            f"{origin}: key 'name': {name!r} cannot name a folder under results/; expected a "
            "non-empty name other than '.', without '/', '\\' or '..'"
        )


def _check_table(raw: dict, key: str, origin: str) -> None:
    if not isinstance(raw.get(key, {}), dict):
        raise ScenarioError(f"{origin}: key {key!r}: expected a table [{key}]")


def _build(raw: dict, origin: str) -> Scenario:
    for key in ("name", "start", "end", "policies"):
        if key not in raw:
            raise ScenarioError(f"{origin}: missing key {key!r}")
    params = defaults()
    for key, value in raw["parameters"].items():
        params[key] = _check_parameter(key, value, raw["_origin"].get(key, origin), "parameters")
    priors = {}
    for name, spec in raw.get("priors", {}).items():
        priors[name] = _check_prior(name, spec, origin)
    calibrate = raw.get("calibrate", [])
    if not isinstance(calibrate, list) or not all(isinstance(c, str) for c in calibrate):
        raise ScenarioError(f"{origin}: key 'calibrate': expected a list of parameter names")
    for name in calibrate:
        if name not in PARAMETERS:
            raise ScenarioError(f"{origin}: key 'calibrate': {unknown_parameter(name)}")
    posterior = raw.get("posterior") or None
    if posterior is not None and not isinstance(posterior, str):
        raise ScenarioError(f"{origin}: key 'posterior': expected a name or path (string)")
    scenario = Scenario(
        name=_string(raw, "name", origin),
        description=_string(raw, "description", origin, default=""),
        start=_date(raw["start"], "start", origin),
        end=_date(raw["end"], "end", origin),
        parameters=MappingProxyType(params),
        policies=_check_policies(raw["policies"], origin),
        calibrate=tuple(calibrate),
        priors=MappingProxyType(priors),
        posterior=posterior,
        pinned=frozenset(raw["_pinned"]),
        origin=origin,
        timeline=_check_timeline(raw.get("timeline", []), origin),
    )
    for name in scenario.calibrate:
        scenario.prior(name)
    _check_timeline_values(scenario)
    return scenario


def _check_parameter(key: str, value, origin: str, where: str) -> float:
    if key not in PARAMETERS:
        raise ScenarioError(f"{origin}: key '{where}.{key}': {unknown_parameter(key)}")
    place = f"{origin}: key '{where}.{key}'"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"{place}: {value!r} is not a number")
    return float(PARAMETERS[key].check(value, place))


def _tag_timeline(raw: dict, origin: str) -> None:
    """Name each timeline entry after its file and index, for errors found after merging."""
    entries = raw.get("timeline", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ScenarioError(
            f"{origin}: key 'timeline': expected [[timeline]] tables (or timeline = [])"
        )
    raw["timeline"] = [{**e, "_where": f"{origin}: timeline[{i}]"} for i, e in enumerate(entries)]


def _inherited_timeline(parent: dict, entries: list, replace: bool) -> list:
    """A child's timeline: its entries after the parent's, or its entries alone if they
    ``replace`` the parent's or there are none (``timeline = []``)."""
    return entries if replace or not entries else [*parent.get("timeline", []), *entries]


def _check_timeline(entries: list, origin: str) -> tuple[TimelineEntry, ...]:
    """Checked timeline entries, in date order (stable: one date keeps file order)."""
    checked = [_check_entry(dict(e), e.get("_where", origin)) for e in entries]
    return tuple(sorted(checked, key=lambda e: e.date))


def _check_entry(raw: dict, where: str) -> TimelineEntry:
    raw.pop("_where", None)
    for key in raw:
        if key not in TIMELINE_KEYS:
            raise ScenarioError(
                f"{where}: unknown key {key!r}; expected one of {', '.join(TIMELINE_KEYS)}"
            )
    if "date" not in raw:
        raise ScenarioError(f"{where}: missing key 'date' (YYYY-MM-DD)")
    date = _date(raw["date"], "date", where)
    assign = {k: _check_parameter(k, v, where, "set") for k, v in _table(raw, "set", where).items()}
    multiply = {k: _check_factor(k, v, where) for k, v in _table(raw, "multiply", where).items()}
    policy = _check_switch(raw["policy"], where) if "policy" in raw else None
    event = _optional_string(raw, "event", where)
    kind = _optional_string(raw, "kind", where)
    announced = _date(raw["announced"], "announced", where) if "announced" in raw else None
    if announced is not None and announced > date:
        raise ScenarioError(
            f"{where}: key 'announced': {announced} is after the entry's date {date}; expected "
            "the day it became public, on or before the date"
        )
    if kind is not None and kind not in MARK_KINDS:
        raise ScenarioError(
            f"{where}: key 'kind': unknown kind {kind!r}; expected one of {', '.join(MARK_KINDS)}"
        )
    if kind is not None and event is None:
        raise ScenarioError(f"{where}: key 'kind': given without 'event' (what happened)")
    entry = TimelineEntry(
        date=date,
        assign=MappingProxyType(assign),
        multiply=MappingProxyType(multiply),
        policy=policy,
        event=event,
        kind=kind,
        source=_optional_string(raw, "source", where),
        announced=announced,
        where=where,
    )
    if not entry.changes_model and entry.mark is None:
        raise ScenarioError(
            f"{where}: does nothing; expected at least one of 'set', 'multiply', 'policy', 'event'"
        )
    return entry


def _check_timeline_values(scenario: Scenario) -> None:
    """Walk the timeline with the scenario's own values: every product must stay in range.

    (The model clips a product that per-world values push out of range; a scenario whose own
    values leave it is an error in the file.)
    """
    values = dict(scenario.parameters)
    for entry in scenario.timeline:
        values.update(entry.assign)
        for name, factor in entry.multiply.items():
            values[name] = _product(name, factor, values, f"{entry.where}: key 'multiply.{name}'")


def _product(name: str, factor: float | str, values: dict, place: str) -> float:
    """``name``'s value times ``factor`` (a number or a parameter's name), if in its range."""
    by = values[factor] if isinstance(factor, str) else factor
    product = values[name] * by
    parameter = PARAMETERS[name]
    problem = range_problem(product, parameter.low, parameter.high)
    if problem:
        given = f"{factor!r} ({by:g})" if isinstance(factor, str) else f"{factor:g}"
        raise ScenarioError(
            f"{place}: factor {given} times {values[name]:g} gives {product:g}, which {problem} "
            f"({parameter.unit})"
        )
    return product


def _table(raw: dict, key: str, where: str) -> dict:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: key {key!r}: expected a table {{ parameter = value }}")
    return value


def _check_factor(key: str, value, where: str) -> float | str:
    """A multiplier: a non-negative number, or the name of a parameter whose value is used."""
    if key not in PARAMETERS:
        raise ScenarioError(f"{where}: key 'multiply.{key}': {unknown_parameter(key)}")
    if isinstance(value, str):
        if value not in PARAMETERS:
            raise ScenarioError(
                f"{where}: key 'multiply.{key}': {value!r} is not a parameter; expected a "
                "non-negative number or a parameter name"
            )
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ScenarioError(
            f"{where}: key 'multiply.{key}': {value!r}; expected a non-negative number or a "
            "parameter name"
        )
    return float(value)


def _check_switch(raw, where: str) -> PolicySwitch:
    """A policy switch ``{ actor = ..., slot = ..., choice = ... }`` of a timeline entry."""
    place = f"{where}: key 'policy'"
    if not isinstance(raw, dict) or set(raw) != {"actor", "slot", "choice"}:
        found = f"found {', '.join(map(repr, raw))}; " if isinstance(raw, dict) else ""
        raise ScenarioError(
            f"{place}: {found}expected {{ actor = ..., slot = ..., choice = ... }}, with a "
            "policy's options in choice = { name = ..., option = ... }"
        )
    actor, slot = raw["actor"], raw["slot"]
    if actor not in POLICY_SLOTS:
        raise ScenarioError(
            f"{place}.actor: unknown actor {actor!r}; expected one of {', '.join(POLICY_SLOTS)}"
        )
    if slot not in POLICY_SLOTS[actor]:
        raise ScenarioError(
            f"{place}.slot: unknown slot {slot!r} of {actor}; expected one of "
            f"{', '.join(POLICY_SLOTS[actor])}"
        )
    choice = _check_choice(POLICY_SLOTS[actor][slot], raw["choice"], f"{place}.choice")
    return PolicySwitch(actor, slot, choice)


def _check_prior(name: str, spec, origin: str) -> Prior:
    """A ``[priors.<name>]`` table: ``dist`` and its arguments, all numbers."""
    place = f"{origin}: key 'priors.{name}'"
    if name not in PARAMETERS:
        raise ScenarioError(f"{place}: {unknown_parameter(name)}")
    if not isinstance(spec, dict) or "dist" not in spec:
        raise ScenarioError(f"{place}: expected a table with 'dist' and its arguments")
    args = {k: v for k, v in spec.items() if k != "dist"}
    for arg, value in args.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(f"{origin}: key 'priors.{name}.{arg}': {value!r} is not a number")
    prior = Prior(spec["dist"], args)
    problem = _prior_problem(prior, PARAMETERS[name])
    if problem:
        raise ScenarioError(f"{place}: {problem}")
    return prior


def _prior_problem(prior: Prior, parameter: Parameter) -> str | None:
    """Why calibration could not sample ``prior`` within ``parameter``'s range, or None."""
    try:
        support = prior.frozen().support()
    except (AttributeError, TypeError, ValueError) as exc:
        return f"{prior.dist!r} with {prior.args} is not a scipy.stats distribution ({exc})"
    if any(math.isnan(end) for end in support):
        return (
            f"scipy.stats.{prior.dist} is not defined for {prior.args}; expected arguments it "
            "accepts (a positive scale, shapes within their ranges)"
        )
    try:
        prior.within(parameter.low, parameter.high)
    except ValueError:
        return (
            f"{prior.dist} with {prior.args} has no probability in [{parameter.low:g}, "
            f"{parameter.high:g}], the valid range of {parameter.name}; expected a prior with "
            "probability inside it"
        )
    return None


def _check_policies(raw, origin: str) -> MappingProxyType:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{origin}: key 'policies': expected tables [policies.<actor>]")
    checked = {}
    for actor, slots in POLICY_SLOTS.items():
        given = raw.get(actor, {})
        for slot in given:
            if slot not in slots:
                raise ScenarioError(
                    f"{origin}: key 'policies.{actor}.{slot}': unknown slot; expected one of "
                    f"{', '.join(slots)}"
                )
        choices = {}
        for slot, registry in slots.items():
            if slot not in given and (actor, slot) in SLOTS_OFF_UNLESS_NAMED:
                given = {**given, slot: SLOTS_OFF_UNLESS_NAMED[actor, slot]}
            if slot not in given:
                raise ScenarioError(
                    f"{origin}: key 'policies.{actor}.{slot}': missing; expected one of "
                    f"{', '.join(registry)}"
                )
            choices[slot] = _check_choice(
                registry, given[slot], f"{origin}: key 'policies.{actor}.{slot}'"
            )
        checked[actor] = MappingProxyType(choices)
    for actor in raw:
        if actor not in POLICY_SLOTS:
            raise ScenarioError(
                f"{origin}: key 'policies.{actor}': unknown actor; expected one of "
                f"{', '.join(POLICY_SLOTS)}"
            )
    return MappingProxyType(checked)


def _check_choice(registry: dict, spec, place: str) -> PolicyChoice:
    """One policy choice, a name or ``{ name = ..., option = ... }``, from ``registry``."""
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict) or "name" not in spec:
        raise ScenarioError(f"{place}: expected a policy name or {{ name = ..., option = ... }}")
    name = spec["name"]
    if name not in registry:
        raise ScenarioError(
            f"{place}: unknown policy {name!r}; expected one of {', '.join(registry)}"
        )
    options = {k: v for k, v in spec.items() if k != "name"}
    problem = check_options(registry[name], options)
    if problem:
        raise ScenarioError(f"{place}: {problem}")
    return PolicyChoice(name, MappingProxyType(options))


def _talks_known_on(actor: str, slot: str, choice: PolicyChoice, day: dt.date) -> PolicyChoice:
    """``choice`` holding only the Vienna talks schedule public at the start of ``day`` (its
    ``known_on`` option, or an earlier one it already has), if it follows the 2021 schedule and
    that changes the schedule; else ``choice`` itself."""
    policy = make_policy(actor, slot, choice)
    if not isinstance(policy, RestraintWhileTalks) or policy.talks != "2021":
        return choice
    held = day if policy.known_on is None else min(day, policy.known_on)
    if talks_known_on(held) == talks_known_on(policy.known_on):
        return choice
    return replace(choice, options=MappingProxyType({**choice.options, "known_on": held}))


def _entry_known_on(entry: TimelineEntry, day: dt.date) -> TimelineEntry:
    """``entry`` with its policy switch, if any, holding only what was public on ``day``."""
    if entry.policy is None:
        return entry
    switch = entry.policy
    choice = _talks_known_on(switch.actor, switch.slot, switch.choice, day)
    return (
        entry if choice == switch.choice else replace(entry, policy=replace(switch, choice=choice))
    )


def _policies_as_dict(policies) -> dict:
    return {a: {s: c.as_dict() for s, c in slots.items()} for a, slots in policies.items()}


def _string(raw, key, origin, default=None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise ScenarioError(f"{origin}: key {key!r}: expected a string")
    return value


def _optional_string(raw: dict, key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise ScenarioError(f"{where}: key {key!r}: expected a string")
    return value


def _date(value, key: str, origin: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ScenarioError(
            f"{origin}: key {key!r}: {value!r} is not a date (YYYY-MM-DD)"
        ) from None


# -- TOML output ---------------------------------------------------------------------------
def _toml_key(key: str) -> str:
    return key if key.replace("_", "").isalnum() else _toml_value(key)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    raise TypeError(f"cannot write {value!r} to TOML")

"""Every numeric parameter of the model, declared once with its meaning and evidence.

A :class:`Parameter` states what a number means, its unit, the range in which the
model is defined, the prior used when it is calibrated, and where its default comes
from. Scenarios may only set parameters declared here (:mod:`escalation.model.scenario`
validates names and ranges against this table), and :mod:`escalation.inference.calibration`
takes its priors from here unless a scenario overrides them.

Sources are cited by outlet, date and title; "2021 data" means the built-in
``escalation/data/events_2021.csv`` (see ``docs/data.md``). Defaults marked
"by hand" were set from the 2021 data before calibration and are what the shipped
posterior refines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.stats

from escalation.errors import ScenarioError

GIF = (
    'Gulf International Forum, July 2021, "U.S.-Iran Clashes in Syria and Iraq: '
    'Exchange of Messages or Serious Escalation?"'
)
WIRE = (
    'wire-based report, 28 June 2021, "Mutual bombing between US forces and Iranian militias '
    'in Syria"'
)
NETWORK = 'US network news report, 28 June 2021, US "defensive" airstrikes in Iraq and Syria'
NEWSWEEK = (
    'Newsweek, September 2021, "U.S. Military Denies, Israel Declines to Comment on '
    'Iraq-Syria Border Strike Reports"'
)
PENTAGON_2023 = "report of 17-18 August 2023, Pentagon denies a plan to cut the Albu Kamal crossing"


@dataclass(frozen=True)
class Prior:
    """A scipy.stats distribution by name and keyword arguments, e.g. ``gamma(a=2, scale=0.1)``."""

    dist: str
    args: dict = field(default_factory=dict)

    def frozen(self):
        """The frozen ``scipy.stats`` distribution."""
        return getattr(scipy.stats, self.dist)(**self.args)

    def within(self, low: float, high: float) -> TruncatedPrior:
        """This prior truncated to a parameter's valid range ``[low, high]``."""
        return TruncatedPrior(self.frozen(), low, high)


class TruncatedPrior:
    """A frozen scipy.stats distribution restricted to ``[low, high]`` and renormalised.

    Offers what the ABC-SMC engine uses: ``support``, ``rvs`` (by inversion of the CDF),
    ``logpdf``, ``pdf``, ``mean`` and ``ppf``; ``dist`` names the underlying family. Raises
    ValueError if the distribution has no probability in ``[low, high]``.
    """

    def __init__(self, frozen, low: float, high: float):
        self.frozen = frozen
        self.dist = frozen.dist
        lo, hi = frozen.support()
        self.low, self.high = max(low, lo), min(high, hi)
        self._cdf_low, self._cdf_high = frozen.cdf(self.low), frozen.cdf(self.high)
        mass = self._cdf_high - self._cdf_low
        if not mass > 0:
            raise ValueError(
                f"{self.dist.name} {frozen.kwds} has no probability in [{low:g}, {high:g}]"
            )
        self._log_mass = math.log(mass)

    @property
    def args(self):
        return tuple(self.frozen.args) + (self.low, self.high)

    @property
    def kwds(self):
        return dict(self.frozen.kwds)

    def support(self):
        return self.low, self.high

    def rvs(self, size=None, random_state=None):
        rng = np.random.default_rng(random_state)
        u = rng.uniform(self._cdf_low, self._cdf_high, size=size)
        return np.clip(self.frozen.ppf(u), self.low, self.high)

    def ppf(self, q):
        return self.frozen.ppf(self._cdf_low + np.asarray(q) * (self._cdf_high - self._cdf_low))

    def logpdf(self, x):
        x = np.asarray(x, dtype=float)
        inside = (x >= self.low) & (x <= self.high)
        return np.where(inside, self.frozen.logpdf(x) - self._log_mass, -np.inf)

    def pdf(self, x):
        return np.exp(self.logpdf(x))

    def mean(self):
        grid = np.linspace(0.0005, 0.9995, 1000)
        return float(np.mean(self.ppf(grid)))

    def _key(self) -> tuple:
        return (self.dist.name, self.args, tuple(sorted(self.kwds.items())))

    def __hash__(self) -> int:
        """Hash of the family, its arguments and the range (equal priors hash alike)."""
        return hash(self._key())

    def __eq__(self, other: object) -> bool:
        """Same family, arguments and range."""
        if not isinstance(other, TruncatedPrior):
            return NotImplemented
        return self._key() == other._key()


@dataclass(frozen=True)
class Parameter:
    """One model parameter: default, valid range, unit, meaning, prior and source."""

    name: str
    default: float
    low: float
    high: float
    unit: str
    meaning: str
    source: str
    prior: Prior | None = None
    #: Read by no policy, only as the factor of a timeline entry (``multiply = { x = "name" }``):
    #: a calibration window that ends before every such entry cannot inform it.
    timeline_only: bool = False

    def check(self, value: object, where: str) -> np.float64 | np.ndarray:
        """``value`` (a number, or one number per world) as floats, if within the valid range.

        The one range check of the library: scenarios, the model's overrides and anything
        else that sets a parameter call it. Raises :class:`~escalation.errors.ScenarioError`
        starting with ``where`` (the file and key, or the argument) when ``value`` is not a
        number, not a number or one-dimensional array, or outside ``[low, high]`` (NaN
        included).
        """
        if isinstance(value, bool | str | bytes):
            raise ScenarioError(f"{where}: {value!r} is not a number")
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ScenarioError(f"{where}: {value!r} is not a number") from None
        if array.ndim > 1:
            raise ScenarioError(
                f"{where}: has shape {array.shape}; expected a number or one number per world"
            )
        problem = range_problem(array, self.low, self.high)
        if problem:
            raise ScenarioError(f"{where}: {value} {problem} ({self.unit})")
        return array if array.ndim == 1 else np.float64(array)


def range_problem(value: object, low: float, high: float) -> str | None:
    """What is wrong with ``value`` (a number or array) for the range ``[low, high]``, or None.

    Shared by parameters (:meth:`Parameter.check`), the products of a scenario's timeline and
    policy options (:class:`~escalation.model.policies.Option`), so a range means the same
    everywhere.
    """
    array = np.asarray(value, dtype=float)
    if np.any(np.isnan(array)) or np.any((array < low) | (array > high)):
        return f"is outside the valid range [{low:g}, {high:g}]"
    return None


def _p(name, default, low, high, unit, meaning, source, prior=None, timeline_only=False):
    return Parameter(
        name, float(default), float(low), float(high), unit, meaning, source, prior, timeline_only
    )


_DECLARED = [
    # --- militias -----------------------------------------------------------------------------
    _p(
        "militia_attack_rate",
        0.30,
        0.0,
        5.0,
        "attacks/day",
        "Baseline daily rate of militia attacks of all types, summed over groups, before Iran's "
        "push, deterrence, revenge and crackdowns.",
        f'{GIF} ("death by ant bites": frequent low-level attacks); by hand from the 2021 data.',
        Prior("gamma", {"a": 4.0, "scale": 0.08}),
    ),
    _p(
        "syria_attack_share",
        0.05,
        0.0,
        1.0,
        "share",
        "Share of the militias' attacks made in Syria (at US positions east of the Euphrates) "
        "rather than in Iraq, before crackdowns and interdiction, under the ``two_theatres`` "
        "geography. Within a country, weapons and sites follow the harassment mix and the site "
        "weights (escalation.model.sites). Under ``one_theatre`` it has no effect.",
        f"{GIF} and {WIRE} (attacks on al-Omar and Conoco in Syria next to those in Iraq); 2021 "
        "data: 6 of the 76 modelled attacks in events_2021.csv were in Syria (3 rockets, 1 drone, "
        "1 intercepted, 1 other), none of the 38 convoy IEDs, all in Iraq; with IEDs reported at "
        "about ied_report_prob = 0.35 the share of true attacks is nearer 6 / (38 + 38 / 0.35) = "
        "0.04. The default 0.05 is set by hand between the two; the prior Beta(2, 30) (mean 0.06, "
        "95% within 0.008-0.16) is centred there and wide enough for the record to move it.",
        Prior("beta", {"a": 2.0, "b": 30.0}),
    ),
    _p(
        "post_agreement_rate",
        1.0,
        0.0,
        5.0,
        "multiplier",
        "Multiplier on militia_attack_rate from 26 July 2021, when Biden and Kadhimi agreed to end "
        "the US combat mission by the end of 2021 (applied by baseline_2021's timeline). The "
        "default 1 (no change) is an assumption; the prior, centred on no change, lets the record "
        "decide.",
        f'{NEWSWEEK} (Biden "announced in July that the U.S. would end its combat mission"); '
        "Reuters via Hurriyet Daily News, 2021-07-27 (Biden, Kadhimi seal agreement to end US "
        "combat mission in Iraq); 2021 data: attacks other than convoy IEDs ran 34 in the 206 days "
        "before 26 July and 4 in the 159 days after (5 with the 7 November drone attack on the "
        "prime minister's residence), while convoy IEDs ran 18 and 20.",
        Prior("lognorm", {"s": 1.0, "scale": 1.0}),
        timeline_only=True,
    ),
    _p(
        "post_agreement_non_ied",
        1.0,
        0.0,
        5.0,
        "multiplier",
        "Multiplier on non_ied_factor from 26 July 2021 (applied by baseline_2021's timeline, "
        "with post_agreement_rate on all attacks): after the agreement to end the US combat "
        "mission the rocket and drone attacks on bases, the embassy and airports all but stopped "
        "while the IEDs on logistics convoys went on, which one multiplier on the rate cannot "
        "say. The default 1 (no change) is what a forecast uses before the agreement is "
        "observed; the prior, centred on no change, lets the record decide.",
        "Reuters via Hurriyet Daily News, 2021-07-27 (Biden, Kadhimi seal agreement to end US "
        "combat mission in Iraq); 2021 data: before 26 July (206 days) 21 rocket attacks, 4 "
        "interceptions, 8 drone attacks, 1 other and 18 convoy IEDs; after it (159 days) 2, 0, 2, "
        "0 and 20 (and the 7 November drones on the Iraqi prime minister's residence, not on US "
        "forces).",
        Prior("lognorm", {"s": 1.0, "scale": 1.0}),
        timeline_only=True,
    ),
    _p(
        "drone_share",
        0.15,
        0.0,
        1.0,
        "share",
        "Share of militia attacks made with drones (the rest: rockets, IEDs on convoys, other).",
        f'{WIRE} and {NETWORK} ("five drone attacks since April"); by hand from the 2021 data.',
        Prior("beta", {"a": 2.0, "b": 10.0}),
    ),
    _p(
        "ied_share",
        0.45,
        0.0,
        1.0,
        "share",
        "Share of non-drone militia attacks that are IEDs on coalition logistics convoys.",
        "2021 data (38 of 77 dated militia attacks were convoy IEDs, an undercount: reports "
        'called them "nearly daily"; see docs/data.md).',
        Prior("beta", {"a": 2.0, "b": 2.0}),
    ),
    _p(
        "non_ied_factor",
        1.0,
        0.0,
        5.0,
        "multiplier",
        "Multiplier on the militias' attacks other than convoy IEDs (rockets, drones and other "
        "weapons, aimed at bases, the embassy and airports), their convoy IEDs unchanged: the "
        "weapon mix moves toward or away from IEDs and the rate grows or shrinks by the attacks "
        "added or taken away (before the red line's tilt of drones and the geography, which act "
        "on the whole mix). 1 is the mix of drone_share, ied_share and other_share. A scenario "
        "knob, and what baseline_2021's timeline multiplies by post_agreement_non_ied.",
        "2021 data: attacks other than convoy IEDs and convoy IEDs did not move together after "
        "26 July 2021 (34 and 18 in the 206 days before, 4 and 20 in the 159 after; see "
        "post_agreement_non_ied).",
    ),
    _p(
        "other_share",
        0.03,
        0.0,
        1.0,
        "share",
        "Share of the remaining (non-drone, non-IED) attacks made with other weapons (artillery, "
        "small arms) rather than rockets.",
        "wire-based report, 28 June 2021 (artillery shells near al-Omar); 2021 data (1 of 77).",
        Prior("beta", {"a": 1.0, "b": 9.0}),
    ),
    _p(
        "ied_report_prob",
        0.35,
        0.0,
        1.0,
        "share",
        "Chance that a convoy IED reaches the record (read only under the batched_reporting "
        "policy; other attacks are always reported, an assumption). The record alone cannot tell "
        "it from the rate (only rate x IED share x this probability is identified), so it is set "
        "from the tallies, not calibrated.",
        "tallies_2021.csv: Middle East Monitor / Anadolu, 18 March 2021, 'the 32nd attack in 11 "
        "weeks' against 11 dated rows (5 IEDs, 6 others): about 26 convoy attacks for 5 dated "
        "IEDs (0.2); AFP, 5 July 2021, 47 attacks in Iraq against 40 dated rows (15 IEDs, 25 "
        "others): about 22 for 15 (0.7), and AFP itself under-counts convoys (Shafaq News, spring "
        "2021: 'nearly daily'). 0.35 lies between; the prior spans both.",
        Prior("beta", {"a": 2.0, "b": 4.0}),
    ),
    _p(
        "ied_report_2022",
        1.0,
        0.0,
        1.0,
        "multiplier",
        "Multiplier on ied_report_prob from 1 January 2022, where the record is events_2022.csv, "
        "compiled from other sources than 2021's: the chance that a convoy IED reaches that "
        "record relative to 2021's (applied by baseline_2021's timeline). A property of the "
        "record, not of the militias. The default 1 (as in 2021) is what a forecast uses before "
        "any of 2022 is observed; calibrated only on windows that reach 2022. The prior, uniform "
        "on [0, 1], says no more than the compilers' note that 2022's coverage is no better.",
        "docs/data.md (2022, known gaps: convoy IEDs under-counted even more than in 2021; only "
        "the three of 23 January, relayed by a partisan outlet, were found with dates, against 38 "
        "dated in 2021); experiments/end_of_mission.py --parameter ied_report_2022: calibrated on "
        "2021-2022, posterior mean 0.12 and +7.7 log evidence over 2021's reporting "
        "(docs/ied_coverage_2022.csv).",
        Prior("beta", {"a": 1.0, "b": 1.0}),
        timeline_only=True,
    ),
    _p(
        "ied_batch_mean",
        2.0,
        1.0,
        10.0,
        "IED reports per batch",
        "Mean number of convoy IEDs a relay posts at once (geometric batch sizes; 1 means reports "
        "arrive one by one). Read only under the batched_reporting policy.",
        "2021 data: the 38 dated IEDs fall on 19 days (2.0 a day with any), 7 on 24 August and 5 "
        "on 13 June, 28 of them low-confidence relays of the Sabereen News channel (docs/data.md).",
        Prior("gamma", {"a": 1.5, "loc": 1.0, "scale": 1.0}),
    ),
    _p(
        "revenge_gain",
        0.25,
        0.0,
        5.0,
        "relative rate per fighter killed",
        "Rise in a militia's attack rate per fighter it believes the US killed (vows of revenge).",
        f'{WIRE} (the PMF named four fighters killed and "vowed revenge"); {GIF} (28 June - 8 July '
        "attack sequence after the 27 June strikes).",
        Prior("gamma", {"a": 2.0, "scale": 0.15}),
    ),
    _p(
        "revenge_halflife",
        7.0,
        0.5,
        60.0,
        "days",
        "Half-life of the revenge stock (policy revenge): how fast the surge after losses fades.",
        f"{GIF}: the surge ran from 28 June to 8 July, about ten days.",
        Prior("lognorm", {"s": 0.5, "scale": 7.0}),
    ),
    _p(
        "vow_rate",
        0.4,
        0.0,
        5.0,
        "hazard per fighter killed",
        "How readily a group vows revenge: it vows with chance 1 - exp(-vow_rate x L) for a day's "
        "acknowledged losses L (fighters it names as its own, killed by a strike it blames on the "
        "US or Israel). The exponential form is an assumption.",
        f'{WIRE} (the PMF named four fighters killed and "vowed revenge"); Anadolu Agency via '
        "OANA, 2021-02-26 (KH named its one dead of the February strike and vowed nothing); AP "
        "via GV Wire, 2019-12-30 (KH vowed revenge for 25 dead). Default ln(5)/4 = 0.40, the "
        "value at which the 2021 record (no vow for one dead, a vow for four) is most likely; "
        "prior gamma with that mean.",
        Prior("gamma", {"a": 2.0, "scale": 0.2}),
    ),
    _p(
        "vow_halflife",
        7.0,
        0.5,
        60.0,
        "days",
        "Half-life of a vow of revenge (policy vows): how fast the surge after a vow fades.",
        f"{GIF}: the surge after the 28 June 2021 vow ran from 28 June to 8 July, about ten days. "
        "Kept apart from revenge_halflife, which was calibrated for linear revenge.",
        Prior("lognorm", {"s": 0.5, "scale": 7.0}),
    ),
    _p(
        "vow_boost",
        1.5,
        0.0,
        10.0,
        "relative rate per vow",
        "Rise in a group's attack rate per standing vow of revenge (policy vows): the rate is "
        "multiplied by min(1 + vow_boost x vows, vow_cap), the vows decaying with "
        "vow_halflife.",
        f"{GIF} (28 June - 8 July attack sequence after the vow); issue 12 (attacks 4 then 10 in "
        "the fortnights around the June vow: a fortnight's mean factor 1 + 0.54 x vow_boost at a "
        "7-day half-life, so about 2.8 if the vow alone explained it; campaigns share it, so "
        "1.5 by hand, an assumption).",
        Prior("gamma", {"a": 2.0, "scale": 0.75}),
    ),
    _p(
        "vow_cap",
        3.0,
        1.0,
        20.0,
        "multiplier",
        "Most that standing vows can multiply a group's attack rate by (policy vows): vows "
        "after vows do not raise attacks without bound, as linear revenge does.",
        "Assumption: the largest rise the records show after a vow is about 2.5-fold over a "
        "fortnight (4 then 10 attacks around the June 2021 vow, issue 12); 3 leaves room above it. "
        "Not identified by one vow a year, so not calibrated.",
        Prior("lognorm", {"s": 0.5, "scale": 3.0}),
    ),
    _p(
        "deterrence",
        0.30,
        0.0,
        0.95,
        "share",
        "Reduction of militia attack rates when the US red line is fully credible.",
        f'{WIRE} (Blinken: "a clear and unambiguous message of deterrence"); {GIF}.',
        Prior("beta", {"a": 2.0, "b": 4.0}),
    ),
    _p(
        "caution",
        1.0,
        0.0,
        5.0,
        "log-odds per unit credibility",
        "How strongly a credible red line steers militias to attacks below it (IEDs on convoys, "
        'rockets aimed to miss) instead of drones on personnel: "ant bites".',
        f'{GIF} (Heras: "death by ant bites", daring the US to escalate).',
    ),
    _p(
        "claim_share",
        0.5,
        0.0,
        1.0,
        "share",
        "Share of militia attacks claimed by a front group (Saraya Awliya al-Dam, Ashab al-Kahf, "
        "Qasim al-Jabbarin) rather than left unclaimed.",
        f"{PENTAGON_2023} (attacks claimed by an IRGC-linked local group); 2021 data.",
    ),
    # --- outcomes of attacks ------------------------------------------------------------------
    _p(
        "interception_drone",
        0.35,
        0.0,
        1.0,
        "probability",
        "Probability that force protection defeats a drone before impact.",
        f'{NEWSWEEK} ("Force protection counter measures were used to defeat the drones"); {GIF} '
        "(drone shot down over the embassy on 5 July, thwarted at al-Omar on 7 July).",
    ),
    _p(
        "interception_rocket",
        0.10,
        0.0,
        1.0,
        "probability",
        "Probability that a rocket volley is fully intercepted (C-RAM at the embassy) or lands "
        "nowhere near.",
        f"{GIF} (8 July: the embassy's defence deflected one of two rockets).",
    ),
    _p(
        "injury_prob",
        0.06,
        0.0,
        1.0,
        "probability",
        "Probability that an attack on a site with US personnel that gets through injures "
        "Americans.",
        f"{GIF} (7 July: 14 rockets on Ain al-Asad, two minor injuries); {NETWORK} (15 Feb Erbil).",
        Prior("beta", {"a": 1.5, "b": 15.0}),
    ),
    _p(
        "lethality",
        0.012,
        0.0,
        0.5,
        "probability",
        "Probability that an attack on a site with US personnel that gets through kills an "
        "American.",
        f'{GIF} (the old red line, "the killing of an American", was not crossed in 2021); '
        "2021 data.",
        Prior("beta", {"a": 1.0, "b": 60.0}),
    ),
    _p(
        "other_casualty_prob",
        0.05,
        0.0,
        1.0,
        "probability",
        "Probability that an attack that gets through kills someone other than an American "
        "(coalition contractors, Iraqi drivers and guards).",
        f"{NETWORK} (15 Feb Erbil: a Filipino contractor killed).",
    ),
    # --- United States ------------------------------------------------------------------------
    _p(
        "us_response_threshold",
        12.0,
        0.5,
        100.0,
        "severity points",
        "Provocation (severity of red-line crossings, decaying) at which the US orders a strike "
        'round: the "tit-for-tat calibration" answers a series of attacks, not each one.',
        f'{GIF} (Lesch: "a tit-for-tat calibration of action and reaction"); two strike rounds in '
        f"five months ({WIRE}).",
        # Weakly informative: the articles give no number, and the 2021 record puts the
        # threshold well above the 12 points first set by hand (README, "Calibration").
        Prior("lognorm", {"s": 1.0, "scale": 20.0}),
    ),
    _p(
        "grievance_halflife",
        30.0,
        1.0,
        365.0,
        "days",
        "Half-life of US grievance: provocations older than this count half.",
        f"{NETWORK} (the June strikes answered drone attacks since April).",
        Prior("lognorm", {"s": 0.8, "scale": 30.0}),
    ),
    _p(
        "us_threshold_width",
        0.25,
        0.0,
        2.0,
        "share of the threshold",
        "How sharp the US threshold is: the daily chance of ordering a strike round is logistic "
        "in the provocation, rising over about this share of the threshold on each side (0: a "
        "hard threshold).",
        f'{GIF} (Lesch: "a tit-for-tat calibration"; the threshold is a judgement, not a rule); '
        "an assumption that it is smooth, so the two 2021 rounds can inform where it lies.",
        Prior("gamma", {"a": 2.0, "scale": 0.15}),
    ),
    _p(
        "us_extra_site_prob",
        0.5,
        0.0,
        1.0,
        "probability",
        'Chance that a strike round under a line below "killed" strikes each of its two further '
        "sites: a round strikes 1 + Binomial(2, us_extra_site_prob) sites, drawn when it is "
        "ordered, whatever the provocation (the site count of each observed round is scored).",
        f'{NETWORK} (27 June 2021: "two locations in Syria and one in Iraq"); the 25 February 2021 '
        "round struck facilities at one border control point (public record; docs/data.md, rule "
        '3, "one row per strike site"): 2 of the 4 further sites of the two 2021 rounds were '
        "struck.",
        Prior("beta", {"a": 1.0, "b": 1.0}),
    ),
    _p(
        "claim_doubt",
        0.0,
        0.0,
        1.0,
        "share of a claimed attack's severity",
        "How far a front group's claim lowers the US's confidence in whom to answer: a claimed "
        "attack on personnel adds (1 - claim_doubt) of its severity to the US grievance and to "
        "the grievance against its group (0: claims change nothing). Left out of baseline_2021: "
        "the 2021 record does not support it (README, mechanism table).",
        f"{PENTAGON_2023} (attacks claimed by a local group linked to the IRGC); {WIRE} (factions "
        '"which Washington holds responsible"); docs/data.md, rule 5 ("a claim is not proof"). '
        "The 15 February 2021 Erbil attack, claimed by Saraya Awliya al-Dam, was answered by the "
        "round of 26 February, local date (public record; docs/data.md).",
        Prior("beta", {"a": 1.0, "b": 1.0}),
    ),
    _p(
        "us_lag_mean",
        5.0,
        0.0,
        30.0,
        "days",
        "Mean delay between the decision to strike and the strike (deliberation, target "
        "selection).",
        "public record and 2021 data (the 15 February Erbil attack was answered on 25 February, "
        f'US time: ten days, eleven in local dates); {WIRE} ("deliberate").',
        Prior("gamma", {"a": 2.0, "scale": 2.5}),
    ),
    _p(
        "us_iraq_share",
        0.25,
        0.0,
        1.0,
        "share",
        "Share of US strike sites in Iraq rather than Syria when Baghdad's pressure is zero.",
        f"{NETWORK} (27 June: two sites in Syria, one in Iraq); February: Syria only.",
    ),
    _p(
        "return_fire_prob",
        0.5,
        0.0,
        1.0,
        "probability",
        "Probability that US forces return fire at the launch point of an attack on a US position "
        "in Syria the same day.",
        f'{WIRE} and {GIF} (28 June, al-Omar: "pushing the American forces to return fire").',
        Prior("beta", {"a": 2.0, "b": 2.0}),
    ),
    _p(
        "fighters_per_site",
        1.5,
        0.0,
        50.0,
        "fighters killed per site",
        "Mean number of militia fighters killed per site struck.",
        f"{NETWORK} (27 June: four fighters killed across three sites).",
    ),
    _p(
        "belief_prior_strength",
        4.0,
        0.1,
        100.0,
        "observed days",
        "Weight of the militias' prior belief that a crossing of the US red line is answered, "
        "in days of evidence: the Beta prior's a + b (its mean is the retaliation policy's "
        "prior_answered). Each strike round adds one to a, each day of crossings left "
        "unanswered for two weeks one to b; the line's credibility is a / (a + b).",
        f'{GIF} ("it remains to be seen how it will respond to these attacks": militias learn '
        "the line from what the US does). The value is an assumption (a prior worth four "
        "days, overturned by a few weeks of evidence); the prior (lognormal, median 4, 90% "
        "between about 1.2 and 14) is an assumption and the record does not calibrate it.",
        Prior("lognorm", {"s": 0.75, "scale": 4.0}),
    ),
    _p(
        "aim_to_miss",
        0.5,
        0.0,
        1.0,
        "share",
        "Reduction of the chance that a militia attack on personnel injures or kills Americans "
        "when a red line drawn at injury or killing is fully credible: militias keep attacking "
        "but aim to miss (the attack rate is not deterred under such a line).",
        f"{GIF} (the Trump administration \"drew the 'red line' at the killing of an "
        'American"; "death by ant bites" daring the US to escalate); public record of '
        "8 January 2020 (Iran's missiles on Ain al-Asad came after warnings passed through "
        "Baghdad and killed no American). The value and its prior (beta(2, 2)) are "
        "assumptions: 2021's line was at personnel, so its record cannot calibrate it.",
        Prior("beta", {"a": 2.0, "b": 2.0}),
    ),
    # --- Iran and the talks -------------------------------------------------------------------
    _p(
        "talks_restraint",
        0.30,
        0.0,
        1.0,
        "share",
        "Reduction of Iran's push (and of US readiness to strike) while the Vienna talks are "
        "alive.",
        f'{GIF} (talks continue "because neither side wants to break them off").',
        Prior("beta", {"a": 2.0, "b": 4.0}),
    ),
    _p(
        "talks_fragility",
        0.01,
        0.0,
        1.0,
        "daily hazard per strike round in the last week",
        "Daily chance that the talks collapse for each recent US strike round.",
        f'{GIF} ("a dramatic escalation could dissolve the talks").',
    ),
    # --- Israel -------------------------------------------------------------------------------
    _p(
        "israel_threshold",
        0.8,
        0.0,
        20.0,
        "activity units",
        "Militia activity near Albu Kamal above which Israel strikes (the tolerated level).",
        f'{GIF} (Lesch: "a certain level of militia activity above which the U.S. and Israel will '
        'not tolerate").',
    ),
    _p(
        "israel_strike_prob",
        0.03,
        0.0,
        1.0,
        "probability/day",
        "Daily probability that Israel strikes while activity is above its threshold.",
        f'{NEWSWEEK} ("hundreds of strikes against suspected Iran-linked positions").',
        Prior("beta", {"a": 1.5, "b": 40.0}),
    ),
    _p(
        "israel_fighters",
        3.0,
        0.0,
        100.0,
        "fighters killed per strike",
        "Mean number of militia fighters killed by an Israeli strike on a convoy or depot.",
        f"{NEWSWEEK} (14 September 2021: the Syrian Observatory reported three fighters killed).",
    ),
    _p(
        "transfer_rate",
        1.0,
        0.0,
        10.0,
        "activity units/day",
        "Daily inflow of militia transfers through the al-Qa'im-Albu Kamal crossing.",
        f'{GIF} ("a vital passage for Tehran to project its influence").',
    ),
    _p(
        "interdiction_transfer_cut",
        0.5,
        0.0,
        1.0,
        "share",
        "Share of the transfers through the al-Qa'im-Albu Kamal crossing that US ground forces "
        "stop while the US ``border_interdiction`` option holds the crossing. No operation took "
        "place, so the value 0.5 and its prior Beta(2, 2) are assumptions.",
        f'{PENTAGON_2023} (reported plan "to cut off Iranian-backed forces access to a key border '
        'crossing between Iraq and Syria", denied: "We don\'t provide border security").',
        Prior("beta", {"a": 2.0, "b": 2.0}),
    ),
    _p(
        "interdiction_clash_factor",
        2.0,
        1.0,
        10.0,
        "multiplier",
        "Multiplier on the militias' attack intensity in Syria while US ground forces hold the "
        "Albu Kamal crossing: clashes with, and attacks on, US forces near it. The value 2 and its "
        "prior (log-normal around 2, within about 1-5) are assumptions.",
        f'{PENTAGON_2023} ("high tensions with Iranian-backed forces", "several attacks against '
        'U.S.-led coalition bases in eastern and northern Syria"; "a dangerous confrontation").',
        Prior("lognorm", {"s": 0.4, "scale": 2.0}),
    ),
    _p(
        "blame_us_share",
        0.5,
        0.0,
        1.0,
        "probability",
        "Probability that militias first blame the US for an unclaimed Israeli strike.",
        f"{NEWSWEEK} (Sabreen News first reported a US drone strike, then blamed Israel).",
    ),
    _p(
        "denial_credibility",
        0.7,
        0.0,
        1.0,
        "probability",
        "Probability that a US denial shifts the blame away from the US.",
        f'{NEWSWEEK} ("can confirm we did not conduct air strikes in Al-Bukamal").',
    ),
    _p(
        "unclaimed_dead_named",
        1.0 / 7.0,
        0.0,
        1.0,
        "probability",
        "Probability that the group an unclaimed (Israeli) strike hits names its dead as its own, "
        "so that they feed its revenge (issue 12: losses a group does not acknowledge, strikes by "
        "unknown aircraft, feed no vows). Replay reads the record's naming as it is "
        "(escalation.model.replay.acknowledged_losses); simulation draws it with this chance.",
        f"{NEWSWEEK} (the Syrian Observatory counted the dead of 14 September 2021; no group named "
        "them); 2021-22 data: none of the five days of Israeli or unknown-aircraft strikes with "
        "reported dead names the group hit (12 and 13 January, 14 September and 12 October 2021; "
        "8 November 2022), 0 of 5, and the default is the mean of the uniform prior updated by "
        "them, (0 + 1) / (5 + 2).",
    ),
    # --- Iraqi government ---------------------------------------------------------------------
    _p(
        "pressure_per_strike",
        1.0,
        0.0,
        10.0,
        "pressure units per site",
        "Rise of Baghdad's pressure to expel US forces per US strike site on Iraqi soil.",
        f"{GIF} (\"U.S. airstrikes would only increase pressure on ... al-Kadhimi's government to "
        f'expel the remaining American troops"); {WIRE} ("all available legal options").',
    ),
    _p(
        "pressure_per_attack",
        0.05,
        0.0,
        2.0,
        "pressure units per attack",
        "Rise of Baghdad's pressure per militia attack on Iraqi soil it could not stop.",
        f'{GIF} (Jahshan: attacks and counterattacks "tend to undermine" Iraq\'s sovereignty).',
    ),
    _p(
        "pressure_halflife",
        45.0,
        1.0,
        365.0,
        "days",
        "Half-life of Baghdad's pressure.",
        f"{GIF}; by hand.",
    ),
    _p(
        "withdrawal_threshold",
        6.0,
        0.0,
        100.0,
        "pressure units",
        "Pressure above which Baghdad demands that US forces leave, and the US draws down.",
        f"{GIF} (parliament's 2020 vote to expel US forces; troops cut to 2,500).",
    ),
    _p(
        "crackdown_rate",
        0.0005,
        0.0,
        1.0,
        "probability/day per recent attack",
        "Daily chance of a crackdown (arrests, raids) per militia attack in Iraq in the last "
        "month.",
        f'{GIF} ("Washington is demanding the Iraqi prime minister to rein in the militias"); '
        "2021 data: one crackdown in the year (the 26 May arrest of Qasim Muslih), with about "
        "six attacks in Iraq a month, so the maximum-likelihood value on the replayed record is "
        "about 0.0005 (the former 0.004 gave 4.5 crackdowns a simulated year). The prior's mean "
        "is that value; its spread (a single event) is an assumption.",
        Prior("gamma", {"a": 2.0, "scale": 0.00025}),
    ),
    _p(
        "crackdown_effect",
        0.4,
        0.0,
        1.0,
        "share",
        "Reduction of militia attack rates while a crackdown lasts (30 days). Under the "
        "``two_theatres`` geography it applies to attacks in Iraq only (Baghdad has no reach in "
        "Syria); under ``one_theatre`` to all of a group's attacks, Syrian sites included.",
        f"{GIF} (\"Washington is demanding the Iraqi prime minister to rein in the militias' "
        "attacks on America's interests in Iraq\"); 2021 data (26 May arrest of Qasim Muslih and "
        "the PMF's show of force).",
    ),
    _p(
        "drawdown_calm",
        0.5,
        0.0,
        1.0,
        "share",
        'Reduction of militia attack rates once the US has drawn down: the goal of "squeezing the '
        'U.S. out" is met.',
        f'{GIF} (Heras: the IRGC "can squeeze the U.S. out and dominate the future of Iraq").',
    ),
    _p(
        "us_presence",
        1.0,
        0.0,
        1.0,
        "share",
        "US force presence relative to 2021 (2,500 troops in Iraq): scales exposure of personnel.",
        f'{GIF} ("reduced to 2,500 troops"); {NEWSWEEK} (combat mission ending).',
    ),
    # -- campaign regimes (escalation.model.campaign) ---------------------------------------
    _p(
        "campaign_onset",
        0.01,
        0.0,
        0.5,
        "per day",
        "Daily chance that the militias, calm, open a campaign of attacks without any trigger.",
        f"{GIF} (attacks come in sequences: 5-8 July after the 27 June strikes); the 2021 "
        "record (attacks cluster in weeks: 15 February - 3 March, June - July). An assumption: "
        "prior mean about one untriggered campaign every 100 days.",
        Prior("beta", {"a": 1.0, "b": 100.0}),
    ),
    _p(
        "campaign_duration",
        14.0,
        1.0,
        120.0,
        "days",
        "Mean length of a campaign (it ends each day with chance 1 / campaign_duration).",
        f"{GIF} (the 28 June - 8 July sequence lasted about ten days). The prior (mean 20 days) "
        "is an assumption.",
        Prior("gamma", {"a": 2.0, "scale": 10.0}),
    ),
    _p(
        "campaign_intensity",
        3.0,
        1.0,
        20.0,
        "multiplier",
        "Militia attack rate in a campaign relative to calm.",
        f'{GIF} ("death by ant bites" between sequences of attacks); the 2021 record (four '
        "attacks in January, ten in the fortnight after the June strikes). Prior median 3, an "
        "assumption.",
        Prior("lognorm", {"s": 0.6, "scale": 3.0}),
    ),
    _p(
        "campaign_trigger_gain",
        1.0,
        -5.0,
        5.0,
        "log multiplier",
        "Log of the rise in the chance of opening a campaign in the week after a strike on the "
        "militias (US or Israeli) or an anniversary.",
        f'{WIRE} (the PMF "vowed revenge" for the 27 June strikes; rockets hit al-Omar the '
        "next day); 3 January anniversary of the 2020 Baghdad airport strike. The prior "
        "(normal, mean 1, sd 1) lets the record choose the sign.",
        Prior("norm", {"loc": 1.0, "scale": 1.0}),
    ),
    _p(
        "arrest_trigger_gain",
        0.0,
        -5.0,
        5.0,
        "log multiplier",
        "Log of the change in the chance of opening a campaign in the week after Baghdad "
        "arrests militia members: positive if arrests provoke, negative if they deter.",
        f"{GIF} (Washington demands that al-Kadhimi rein in the militias); the 2021 record "
        "(the 26 May arrest of Qasim Muslih was followed by more attacks in June). Prior normal, "
        "mean 0, sd 1.5: the data decide the sign.",
        Prior("norm", {"loc": 0.0, "scale": 1.5}),
    ),
]

#: All parameters, by name.
PARAMETERS: dict[str, Parameter] = {p.name: p for p in _DECLARED}

#: Parameters the model no longer has, with what replaced them: a scenario, override or saved
#: posterior that names one is refused with this explanation (the old values have no
#: equivalent under the new mechanism, so they are not mapped).
REMOVED_PARAMETERS: dict[str, str] = {
    "credibility_decay": (
        "removed: the red line's credibility is now the militias' learned Beta belief "
        "(belief_prior_strength and the retaliation policy's prior_answered option); "
        "drop it, and recalibrate a posterior that sampled it"
    ),
}


def unknown_parameter(name: str) -> str:
    """Why ``name`` is not a parameter: its removal note, or the list of parameters."""
    if name in REMOVED_PARAMETERS:
        return f"parameter {name!r} was {REMOVED_PARAMETERS[name]}"
    return f"unknown parameter {name!r}; expected one of {', '.join(PARAMETERS)}"


def defaults() -> dict[str, float]:
    """Default value of every parameter."""
    return {name: p.default for name, p in PARAMETERS.items()}


def period_copy(name: str, period: str) -> str:
    """The name of one period's own copy of parameter ``name`` in a pooled calibration,
    ``name[period]`` (e.g. ``militia_attack_rate[2019_2020]``)."""
    return f"{name}[{period}]"


def declared_name(name: str) -> str:
    """The declared parameter a calibrated name stands for: ``name`` itself, or the parameter
    a period's copy (:func:`period_copy`) copies."""
    return name.split("[", 1)[0] if name.endswith("]") else name

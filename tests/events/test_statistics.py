"""Summary statistics (the calibration targets): hand-computed cases, a slow reference
implementation written straight from the definitions, and invariants."""

import math
import statistics as pystats

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.errors import EventDataError
from escalation.events.counts import OUTSIDE_MODEL_TARGET
from escalation.events.io import load_events, validate_events
from escalation.events.schema import COLUMNS, EventType, severity
from escalation.events.statistics import summarize, summary_statistics

START = pd.Timestamp("2021-03-01")  # a Monday
ATTACKS = ("rocket_attack", "drone_attack", "ied_attack", "other_attack", "interception_only")
CASUALTIES = ("us_killed", "us_injured", "others_killed")


def log(*events, start=START, worlds=None):
    """A canonical log from ``(day, actor, event_type[, counts])``; counts default to 0.

    A count given as None is unknown. ``worlds``: the world of each event, if any.
    """
    rows = []
    for day, actor, event_type, *counts in events:
        rows.append(
            {
                "date": start + pd.Timedelta(days=day),
                "actor": actor,
                "event_type": event_type,
                "country": "Iraq",
                "location": "somewhere",
                "source": "test",
                **dict.fromkeys(CASUALTIES, 0),
                **(counts[0] if counts else {}),
            }
        )
    frame = pd.DataFrame(rows, columns=[*COLUMNS[:7], *CASUALTIES, "source"])
    if worlds is not None:
        frame["world"] = pd.Series(worlds, dtype=np.int64)
    return validate_events(frame)


def stats(events, days, **kwargs):
    """Statistics of a log over the window of ``days`` days from START."""
    return summarize(events, START, START + pd.Timedelta(days=days - 1), **kwargs).statistics


# A three-week toy sequence (21 days from Monday 1 March 2021):
#   day 0  militia rocket                        severity 3
#   day 2  militia drone, 2 US injured           severity 4 + 2*2 = 8 (the most severe)
#   day 3  militia rocket, US injured unknown    severity 3 (unknown adds nothing)
#   day 5  US airstrike, site A, 1 killed        } one round: day 6 is within 2 days of day 5
#   day 6  US airstrike, site B                  }
#   day 8  militia rocket; US return fire        a day on which both sides act
#   day 17 militia IED                           8 quiet days (9..16) > gap 7: a new episode
#   day 19 Israeli airstrike, counts unknown
#   day 20 context (not a hostile act)
TOY = log(
    (0, "militia", "rocket_attack"),
    (2, "militia", "drone_attack", {"us_injured": 2}),
    (3, "militia", "rocket_attack", {"us_injured": None}),
    (5, "US", "airstrike", {"others_killed": 1}),
    (6, "US", "airstrike"),
    (8, "militia", "rocket_attack"),
    (8, "US", "return_fire"),
    (17, "militia", "ied_attack"),
    (19, "Israel", "airstrike", dict.fromkeys(CASUALTIES)),
    (20, "none", "context"),
)


def test_toy_sequence_statistics():
    s = stats(TOY, 21)
    expected = {
        "attacks_total": 5,
        "attacks_rocket_attack": 3,
        "attacks_drone_attack": 1,
        "attacks_ied_attack": 1,
        "attacks_other_attack": 0,
        "attacks_interception_only": 0,
        "attacks_month_2021-03": 5,
        # weekly militia attacks 3, 1, 1: mean 5/3, sample variance (16+4+4)/9/2 = 4/3
        "attacks_weekly_sd": math.sqrt(4 / 3),
        "attacks_busy_day_share": 0,  # no day has two attacks
        "attacks_outside_model": 0,
        "strike_rounds": 1,
        "return_fire": 1,
        "strike_lag_mean": 3,  # round on day 5, trigger = the drone on day 2
        "us_killed": 0,
        "us_injured": 2,
        "others_killed": 1,
        "israeli_strikes": 1,
        # act days 0 2 3 5 6 8 | 17 19: episodes of 9 and 3 days, 8 quiet days between
        "episodes": 2,
        "episode_length_mean": 6,
        "quiet_mean": 8,
        # only the IED (day 17) has no US reply in [17, 31]; the day-8 rocket is answered
        # by return fire the same day
        "unanswered_share": 1 / 5,
        # sides M M M S S B: chains [0] [2] [3 5] [6 8]; then M S: chain [17 19]
        "chain_length_max": 2,
        "chain_length_mean": 2,
    }
    assert list(s.index) == list(expected)
    pd.testing.assert_series_equal(s, pd.Series(expected, dtype=float, name=0))


def test_toy_sequence_tables():
    summary = summarize(TOY, START, "2021-03-21")
    weekly = summary.weekly
    assert list(weekly["week_start"]) == list(pd.to_datetime(["2021-03-01", "2021-03-08",
                                                              "2021-03-15"]))  # fmt: skip
    assert list(weekly["rocket_attack"]) == [2, 1, 0]
    assert list(weekly["airstrike"]) == [2, 0, 1]
    assert list(weekly["return_fire"]) == [0, 1, 0]
    assert list(weekly["context"]) == [0, 0, 1]
    assert weekly.drop(columns="week_start").to_numpy().sum() == len(TOY)
    assert summary.monthly.loc["2021-03"].sum() == len(TOY)

    rounds = summary.strike_rounds
    assert len(rounds) == 1
    assert rounds.loc[0, "first_date"] == pd.Timestamp("2021-03-06")
    assert rounds.loc[0, "last_date"] == pd.Timestamp("2021-03-07")
    assert rounds.loc[0, "sites"] == 2
    assert rounds.loc[0, "trigger_date"] == pd.Timestamp("2021-03-03")
    assert rounds.loc[0, "lag_days"] == 3

    casualties = summary.casualties
    assert casualties.loc["us_injured", "total"] == 2
    assert casualties.loc["us_injured", "rows_unknown"] == 2  # day 3 and the Israeli strike
    assert casualties.loc["others_killed", "rows_unknown"] == 1
    assert summary.israeli_strikes == 1

    episodes = summary.episodes
    assert list(episodes["start"]) == list(pd.to_datetime(["2021-03-01", "2021-03-18"]))
    assert list(episodes["end"]) == list(pd.to_datetime(["2021-03-09", "2021-03-20"]))
    assert list(episodes["length_days"]) == [9, 3]
    assert list(episodes["acts"]) == [7, 2]
    assert list(episodes["chain_length"]) == [2, 2]


def test_window_defaults_to_span_and_excludes_outside_events():
    summary = summarize(TOY)
    assert (summary.start, summary.end) == (START, pd.Timestamp("2021-03-21"))
    inner = stats(TOY, 10)  # days 0..9 only: the IED and Israeli strike fall outside
    assert inner["attacks_total"] == 4 and inner["israeli_strikes"] == 0
    assert len(summarize(TOY, START, "2021-03-10").weekly) == 2  # a final partial week


@pytest.mark.parametrize("gap", [3, 7])
def test_episode_gap_boundary(gap):
    # act days gap apart: one episode; gap + 1 apart (quiet time = gap): two.
    joined = stats(log((0, "militia", "rocket_attack"), (gap, "US", "airstrike")), 40, gap=gap)
    assert joined["episodes"] == 1 and joined["episode_length_mean"] == gap + 1
    assert np.isnan(joined["quiet_mean"])
    split = stats(log((0, "militia", "rocket_attack"), (gap + 1, "US", "airstrike")), 40, gap=gap)
    assert split["episodes"] == 2 and split["quiet_mean"] == gap
    # a quiet gap of exactly gap + 1 days
    split = stats(log((0, "militia", "rocket_attack"), (gap + 2, "militia", "ied_attack")), 40,
                  gap=gap)  # fmt: skip
    assert split["episodes"] == 2 and split["quiet_mean"] == gap + 1
    assert split["episode_length_mean"] == 1 and split["chain_length_max"] == 1


def test_strike_rounds_split_after_two_days_and_return_fire_is_apart():
    s = stats(
        log(
            (10, "US", "airstrike"),
            (12, "US", "airstrike"),  # 2 days after: same round
            (15, "US", "airstrike"),  # 3 days after: a new round
            (16, "US", "return_fire"),
            (30, "US", "return_fire"),
            (31, "Israel", "airstrike"),
        ),
        40,
    )
    assert s["strike_rounds"] == 2 and s["return_fire"] == 2 and s["israeli_strikes"] == 1
    assert np.isnan(s["strike_lag_mean"])  # no militia attack: no trigger


def round_lag(*attacks, round_day=40):
    return stats(log(*attacks, (round_day, "US", "airstrike")), 60)["strike_lag_mean"]


def test_strike_lag_trigger_is_most_severe_then_latest():
    # equal severity on days 33 and 36: the latest
    assert round_lag((33, "militia", "rocket_attack"), (36, "militia", "rocket_attack")) == 4
    # a drone (4) on day 30 beats a later rocket (3)
    assert round_lag((30, "militia", "drone_attack"), (38, "militia", "rocket_attack")) == 10
    # one US injured (+2) makes a rocket (5) beat a drone (4); an unknown count adds nothing
    lag = round_lag(
        (31, "militia", "rocket_attack", {"us_injured": 1}),
        (35, "militia", "drone_attack", {"us_killed": None, "us_injured": None}),
    )
    assert lag == 9
    # the window is days r-30 .. r: the same day counts, 31 days before does not
    assert round_lag((40, "militia", "interception_only")) == 0
    assert round_lag((10, "militia", "rocket_attack")) == 30
    assert np.isnan(round_lag((9, "militia", "rocket_attack", {"us_killed": 3})))
    # attacks after the round's first day are not its trigger
    assert np.isnan(round_lag((41, "militia", "rocket_attack")))
    # attacks by other actors are not triggers
    assert np.isnan(round_lag((38, "unknown", "rocket_attack")))


def test_strike_lag_mean_over_rounds():
    s = stats(
        log(
            (2, "militia", "rocket_attack"),
            (5, "US", "airstrike"),  # lag 3
            (20, "militia", "drone_attack"),
            (21, "US", "airstrike"),  # lag 1
        ),
        30,
    )
    assert s["strike_rounds"] == 2 and s["strike_lag_mean"] == 2


def share(*events, window=14):
    return stats(log(*events), 60, window=window)["unanswered_share"]


def test_unanswered_provocations():
    attack = (10, "militia", "rocket_attack")
    assert share(attack, (24, "US", "airstrike")) == 0  # 14 days later: answered
    assert share(attack, (25, "US", "airstrike")) == 1  # 15 days: not
    assert share(attack, (10, "US", "return_fire")) == 0  # same day counts
    assert share(attack, (9, "US", "airstrike")) == 1  # a strike before does not answer
    assert share(attack, (12, "Israel", "airstrike")) == 1  # only the US answers
    assert share(attack, (13, "US", "airstrike"), window=2) == 1
    assert share((1, "militia", "ied_attack"), attack, (20, "US", "airstrike")) == 0.5
    assert np.isnan(share((5, "US", "airstrike")))  # no provocation


@pytest.mark.parametrize(
    "events, longest",
    [
        ([(0, "militia", "rocket_attack")], 1),  # a lone attack
        ([(0, "militia", "rocket_attack"), (1, "US", "airstrike"),
          (2, "militia", "drone_attack")], 3),  # militia -> US -> militia
        ([(0, "militia", "rocket_attack"), (1, "militia", "drone_attack"),
          (3, "US", "airstrike")], 2),  # the side repeats, then changes
        ([(0, "US", "airstrike"), (2, "militia", "rocket_attack"), (2, "US", "return_fire"),
          (4, "militia", "rocket_attack")], 3),  # a day of both sides continues the chain
        ([(0, "militia", "rocket_attack"), (1, "unknown", "airstrike"),
          (2, "militia", "rocket_attack"), (3, "Israel", "airstrike")], 4),  # state side
        ([(0, "militia", "rocket_attack"), (1, "militia", "rocket_attack"),
          (1, "US", "return_fire"), (2, "militia", "drone_attack"), (2, "US", "airstrike"),
          (3, "US", "airstrike")], 4),  # two days of both sides in a row
        ([(0, "militia", "rocket_attack"), (20, "US", "airstrike")], 1),  # two episodes
    ],
)  # fmt: skip
def test_retaliation_chains(events, longest):
    assert stats(log(*events), 30)["chain_length_max"] == longest


def test_empty_window_statistics():
    s = stats(log((3, "none", "context")), 14)
    zero = ["attacks_total", "strike_rounds", "return_fire", "us_killed", "episodes"]
    assert (s[zero] == 0).all()
    undefined = ["strike_lag_mean", "episode_length_mean", "quiet_mean", "unanswered_share",
                 "chain_length_max", "chain_length_mean"]  # fmt: skip
    assert s[undefined].isna().all()
    assert s["attacks_weekly_sd"] == 0


def test_month_columns_cover_every_month_touching_the_window():
    events = log((0, "militia", "rocket_attack"), (35, "militia", "rocket_attack"),
                 start=pd.Timestamp("2021-01-25"))  # fmt: skip
    table = summary_statistics(events, "2021-01-25", "2021-03-02")
    months = [c for c in table.columns if c.startswith("attacks_month_")]
    assert months == ["attacks_month_2021-01", "attacks_month_2021-02", "attacks_month_2021-03"]
    assert list(table.loc[0, months]) == [1, 0, 1]


# ------------------------------------------------------------------------- many worlds


def simulated(rng, n_worlds, n_events, n_days=90):
    """A random simulated log: canonical columns plus world and day."""
    kinds = [("militia", t) for t in ATTACKS] + [
        ("US", "airstrike"),
        ("US", "return_fire"),
        ("Israel", "airstrike"),
        ("unknown", "airstrike"),
        ("Iraqi government", "political_action"),
    ]
    pick = rng.integers(0, len(kinds), n_events)
    day = rng.integers(0, n_days, n_events)
    counts = {c: rng.integers(0, 3, n_events).astype(float) for c in CASUALTIES}
    for values in counts.values():
        values[rng.random(n_events) < 0.2] = np.nan
    frame = pd.DataFrame(
        {
            "date": START + pd.to_timedelta(day, unit="D"),
            "actor": [kinds[k][0] for k in pick],
            "event_type": [kinds[k][1] for k in pick],
            "country": "Iraq",
            "location": "x",
            "source": "simulated",
            **counts,
            "world": rng.integers(0, n_worlds, n_events),
            "day": day,
        }
    )
    return validate_events(frame)


def test_many_worlds_equal_per_world_calls_and_summaries():
    rng = np.random.default_rng(20210627)
    events = simulated(rng, n_worlds=6, n_events=600)
    end = START + pd.Timedelta(days=89)
    table = summary_statistics(events, START, end, worlds=8)  # worlds 6 and 7 have no events
    assert list(table.index) == list(range(8)) and table.index.name == "world"
    for world in range(6):
        one = events[events["world"] == world]
        alone = summary_statistics(one, START, end, worlds=[world])
        pd.testing.assert_frame_equal(alone, table.loc[[world]])
        statistics = summarize(one.drop(columns=["world", "day"]), START, end).statistics
        pd.testing.assert_series_equal(statistics, table.loc[world].rename(0))
    empty = table.loc[7]
    assert empty["attacks_total"] == 0 and np.isnan(empty["unanswered_share"])


def test_summary_statistics_is_the_world_0_row():
    expected = summary_statistics(TOY, START, "2021-03-21")
    assert list(expected.index) == [0]
    pd.testing.assert_series_equal(summarize(TOY, START, "2021-03-21").statistics, expected.loc[0])


def test_row_order_does_not_matter():
    rng = np.random.default_rng(7)
    events = simulated(rng, n_worlds=3, n_events=200)
    shuffled = events.sample(frac=1, random_state=np.random.RandomState(1))
    end = START + pd.Timedelta(days=89)
    pd.testing.assert_frame_equal(
        summary_statistics(shuffled, START, end), summary_statistics(events, START, end)
    )


def test_bad_input_to_summaries():
    with pytest.raises(ValueError, match="summarize takes one world"):
        summarize(simulated(np.random.default_rng(1), 3, 30), START, "2021-05-01")
    with pytest.raises(ValueError, match="world 5 is in the log"):
        summary_statistics(TOY.assign(world=5), START, "2021-03-21", worlds=3)
    with pytest.raises(EventDataError, match="column 'event_type': found 'bombing'"):
        summarize(TOY.assign(event_type="bombing"))
    with pytest.raises(EventDataError, match="missing column 'us_killed'"):
        summarize(TOY.drop(columns="us_killed"))
    with pytest.raises(ValueError, match="before start"):
        summarize(TOY, "2021-03-10", "2021-03-01")


# -------------------------------------------------- reference implementation, invariants


def reference(events, start, end, gap=7, window=14):
    """The statistics computed one event at a time, from the definitions in summarize."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    # (day, actor, event_type, us_killed, us_injured, others_killed, attack outside the model)
    rows = [
        (
            (row.date - start).days,
            row.actor,
            row.event_type,
            *(0 if pd.isna(getattr(row, c)) else getattr(row, c) for c in CASUALTIES),
            OUTSIDE_MODEL_TARGET.search(str(row.target)) is not None,
        )
        for row in events.itertuples()
        if start <= row.date <= end
    ]
    n_days = (end - start).days + 1
    attack_rows = [r for r in rows if r[1] == "militia" and r[2] in ATTACKS]
    attacks = [r for r in attack_rows if not r[6]]
    out = {"attacks_total": len(attacks)}
    for kind in ATTACKS:
        out[f"attacks_{kind}"] = sum(r[2] == kind for r in attacks)
    for month in pd.period_range(start, end, freq="M"):
        out[f"attacks_month_{month}"] = sum(
            (start + pd.Timedelta(days=r[0])).to_period("M") == month for r in attacks
        )
    weeks = [sum(r[0] // 7 == k for r in attacks) for k in range(math.ceil(n_days / 7))]
    out["attacks_weekly_sd"] = pystats.stdev(weeks) if len(weeks) > 1 else np.nan
    per_day = [sum(r[0] == d for r in attacks) for d in range(n_days)]
    out["attacks_busy_day_share"] = sum(k >= 2 for k in per_day) / n_days
    out["attacks_outside_model"] = len(attack_rows) - len(attacks)

    rounds = []
    for day in sorted(r[0] for r in rows if r[1:3] == ("US", "airstrike")):
        if rounds and day - rounds[-1][-1] <= 2:
            rounds[-1].append(day)
        else:
            rounds.append([day])
    lags = []
    for first, *_ in rounds:
        candidates = [
            (severity(r[2], *r[3:6]), r[0]) for r in attacks if first - 30 <= r[0] <= first
        ]
        if candidates:
            lags.append(first - max(candidates)[1])  # most severe, then latest
    out["strike_rounds"] = len(rounds)
    out["return_fire"] = sum(r[1:3] == ("US", "return_fire") for r in rows)
    out["strike_lag_mean"] = np.mean(lags) if lags else np.nan
    for i, column in enumerate(CASUALTIES):
        out[column] = sum(r[3 + i] for r in rows)
    out["israeli_strikes"] = len({r[0] for r in rows if r[1:3] == ("Israel", "airstrike")})

    def side(r):
        if r in attacks:
            return "militia"
        if r[1] in ("US", "Israel", "unknown") and r[2] in ("airstrike", "return_fire"):
            return "state"
        return None

    sides = {}
    for r in rows:
        if side(r):
            sides.setdefault(r[0], set()).add(side(r))
    episodes = []
    for day in sorted(sides):
        if episodes and day - episodes[-1][-1] <= gap:
            episodes[-1].append(day)
        else:
            episodes.append([day])
    chains = []
    for episode in episodes:
        longest = run = 1
        for before, after in zip(episode, episode[1:], strict=False):
            a, b = sides[before], sides[after]
            run = run + 1 if (a != b or len(a) == 2 or len(b) == 2) else 1
            longest = max(longest, run)
        chains.append(longest)
    out["episodes"] = len(episodes)
    out["episode_length_mean"] = (
        np.mean([e[-1] - e[0] + 1 for e in episodes]) if episodes else np.nan
    )
    quiet = [b[0] - a[-1] - 1 for a, b in zip(episodes, episodes[1:], strict=False)]
    out["quiet_mean"] = np.mean(quiet) if quiet else np.nan
    responses = [r[0] for r in rows if r[1] == "US" and r[2] in ("airstrike", "return_fire")]
    unanswered = [r for r in attacks if not any(r[0] <= d <= r[0] + window for d in responses)]
    out["unanswered_share"] = len(unanswered) / len(attacks) if attacks else np.nan
    out["chain_length_max"] = max(chains) if chains else np.nan
    out["chain_length_mean"] = np.mean(chains) if chains else np.nan
    return pd.Series(out, dtype=float)


KINDS = [("militia", t) for t in ATTACKS] + [
    ("US", "airstrike"),
    ("US", "return_fire"),
    ("Israel", "airstrike"),
    ("unknown", "airstrike"),
    ("unknown", "rocket_attack"),
    ("militia", "airstrike"),
    ("Iraqi government", "political_action"),
    ("none", "context"),
]
count = st.one_of(st.none(), st.integers(0, 3))
#: Targets: none, a US one, and the Iraqi prime minister (outside the model).
TARGETS = (None, "US forces", "Iraqi PM's residence")
event = st.tuples(
    st.integers(0, 3),  # world
    st.integers(-5, 70),  # day (some outside the window)
    st.sampled_from(KINDS),
    st.fixed_dictionaries({**dict.fromkeys(CASUALTIES, count), "target": st.sampled_from(TARGETS)}),
)


def frame_of(events):
    return log(*((d, *kind, counts) for _, d, kind, counts in events),
               worlds=[w for w, *_ in events])  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    events=st.lists(event, max_size=40),
    n_days=st.integers(1, 66),
    gap=st.integers(0, 10),
    window=st.integers(0, 20),
)
def test_vectorized_statistics_match_the_reference(events, n_days, gap, window):
    frame = frame_of(events)
    end = START + pd.Timedelta(days=n_days - 1)
    table = summary_statistics(frame, START, end, gap=gap, window=window, worlds=4)
    for world in range(4):
        expected = reference(frame[frame["world"] == world], START, end, gap, window)
        pd.testing.assert_series_equal(
            table.loc[world], expected, check_names=False, check_exact=False, rtol=1e-12
        )


@settings(max_examples=60, deadline=None)
@given(events=st.lists(event, max_size=40), n_days=st.integers(1, 66), gap=st.integers(0, 10))
def test_statistics_invariants(events, n_days, gap):
    frame = frame_of(events)
    table = summary_statistics(frame, START, START + pd.Timedelta(days=n_days - 1), gap=gap,
                               worlds=4)  # fmt: skip
    counts = table.drop(columns=["strike_lag_mean", "episode_length_mean", "quiet_mean",
                                 "unanswered_share", "chain_length_max", "chain_length_mean",
                                 "attacks_weekly_sd", "attacks_busy_day_share"])  # fmt: skip
    assert (counts >= 0).all().all()
    assert (counts == counts.round()).all().all()
    types = table[[f"attacks_{t}" for t in ATTACKS]].sum(axis=1)
    months = table.filter(like="attacks_month_").sum(axis=1)
    assert (types == table["attacks_total"]).all() and (months == table["attacks_total"]).all()
    assert table["unanswered_share"].dropna().between(0, 1).all()
    busy_days = table["attacks_busy_day_share"] * n_days
    np.testing.assert_allclose(busy_days, busy_days.round(), atol=1e-9)
    assert (2 * busy_days <= table["attacks_total"] + 1e-9).all()  # two attacks a busy day at least
    assert table["strike_lag_mean"].dropna().between(0, 30).all()
    assert (table["quiet_mean"].dropna() >= gap).all()
    assert (table["episode_length_mean"].dropna() >= 1).all()
    has_episodes = table["episodes"] > 0
    assert (table.loc[has_episodes, "chain_length_max"] >= table.loc[has_episodes,
            "chain_length_mean"]).all()  # fmt: skip
    assert (table.loc[has_episodes, "chain_length_mean"] >= 1).all()
    assert table.loc[~has_episodes, ["chain_length_max", "episode_length_mean"]].isna().all().all()


def test_reference_agrees_on_the_toy():
    """The reference itself reproduces the hand-computed toy statistics."""
    pd.testing.assert_series_equal(
        reference(TOY, START, "2021-03-21"), stats(TOY, 21), check_names=False
    )


def test_event_type_enum_members_are_accepted():
    frame = TOY.assign(event_type=[EventType(v) for v in TOY["event_type"]])
    pd.testing.assert_series_equal(stats(frame, 21), stats(TOY, 21))


def test_the_attack_on_the_prime_minister_is_counted_apart_from_the_modelled_attacks():
    events = load_events()
    summary = summarize(events, "2021-01-01", "2021-12-31")
    # Every militia row but the vow of revenge (a political act) is an attack.
    militia = events[(events["actor"] == "militia") & (events["event_type"] != "political_action")]
    in_november = militia["date"].dt.month == 11
    drones = militia["event_type"] == "drone_attack"
    assert summary.statistics["attacks_outside_model"] == 1  # the 7 November drones
    # Every other militia row of the record is an attack the model simulates.
    assert summary.statistics["attacks_total"] == len(militia) - 1
    assert summary.statistics["attacks_drone_attack"] == drones.sum() - 1
    assert summary.statistics["attacks_month_2021-11"] == in_november.sum() - 1
    assert "outside the model (left out of the statistics): 1" in repr(summary)


def test_an_israeli_wave_on_several_sites_is_one_strike():
    """The 13 January 2021 wave: three rows (Deir ez-Zor, Albu Kamal, al-Mayadin), one strike,
    as the model's Israel strikes at most once a day; unknown aircraft are not Israel."""
    wave = log(
        (0, "Israel", "airstrike"),
        (0, "Israel", "airstrike"),
        (0, "Israel", "airstrike"),
        (1, "unknown", "airstrike"),
        (9, "Israel", "airstrike"),
    )
    summary = summarize(wave, START, START + pd.Timedelta(days=13))
    assert summary.israeli_strikes == summary.statistics["israeli_strikes"] == 2
    worlds = pd.concat([wave.assign(world=0), wave.iloc[:3].assign(world=1)], ignore_index=True)
    table = summary_statistics(worlds, START, START + pd.Timedelta(days=13))
    assert table["israeli_strikes"].tolist() == [2, 1]


def test_the_2021_record_counts_israeli_strike_days():
    events = load_events()
    israeli = events[(events["actor"] == "Israel") & (events["event_type"] == "airstrike")]
    summary = summarize(events, "2021-01-01", "2021-12-31")
    assert len(israeli) == 4  # three rows on 13 January, one on 14 September
    assert summary.statistics["israeli_strikes"] == israeli["date"].nunique() == 2


def test_busy_day_share_and_regime_rates_by_hand():
    """Ten days; attacks on days 1, 1, 4, 4, 4, 8 and a US strike on day 8 (not an attack).

    Busy days (two or more attacks): days 1 and 4 -> 2 / 10. With a break on day 5, the rate
    is 5 attacks over days 0-4 (1.0 a day) and 1 over days 5-9 (0.2 a day); a break outside
    the window adds nothing.
    """
    events = log(
        (1, "militia", "rocket_attack"),
        (1, "militia", "ied_attack"),
        (4, "militia", "ied_attack"),
        (4, "militia", "drone_attack"),
        (4, "militia", "interception_only"),
        (8, "militia", "rocket_attack"),
        (8, "US", "airstrike"),
    )
    end = START + pd.Timedelta(days=9)
    breaks = [START + pd.Timedelta(days=5), "2020-01-01", "2030-01-01"]
    row = summary_statistics(events, START, end, breaks=breaks).iloc[0]
    assert row["attacks_busy_day_share"] == pytest.approx(0.2)
    assert row["attacks_daily_rate_from_2021-03-01"] == pytest.approx(1.0)
    assert row["attacks_daily_rate_from_2021-03-06"] == pytest.approx(0.2)
    rates = [c for c in row.index if c.startswith("attacks_daily_rate_from_")]
    assert len(rates) == 2
    # Without breaks there are no regime rates; the busy-day share is there either way.
    plain = summary_statistics(events, START, end).iloc[0]
    assert not any(c.startswith("attacks_daily_rate_from_") for c in plain.index)
    assert plain["attacks_busy_day_share"] == pytest.approx(0.2)

"""compute_behaviour (pmanalytics/pain_points/behaviour.py) against a plain-Python oracle.

The property: on any small warehouse — users with no, one or several answers, anonymous
answers, events exactly on the edges of every window (t ± W, t + W + 7 days) and just off
them, numeric and non-numeric properties, members in several pain points and several times
in one — ``compute_behaviour`` returns the rows that a re-statement of its measures gives,
worked out anchor by anchor in Python. The SQL takes "others" by subtraction (everyone minus
the pain point's members), reads each distinct window once under an integer key, and ranks
with window functions; the oracle does none of that and simply sums over the other users'
anchors, so a slip in a join, a window edge, a filter or a ranking shows up as a row that
differs.

Windows, for an anchor ``t`` and ``W = window_days``: activity counts dates in ``(t, t + W]``,
retention looks at ``[t + W, t + W + 7 days)``, event rates and property means at
``[t - W, t + W]``; a window is observed when its end is at or before the last event.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmanalytics.pain_points.behaviour import compute_behaviour
from pmanalytics.warehouse import connect
from tests.pain_points.helpers import load_staging, numeric_properties

COLUMNS = [
    "pain_point_id",
    "measure",
    "respondents_value",
    "others_value",
    "ratio",
    "respondents",
    "others",
]
RESPONSE_COLUMNS = ["response_id", "user_id", "metric", "score", "submitted_at", "comment"]
EVENT_COLUMNS = ["event_id", "user_id", "event", "occurred_at", "properties"]
MEMBER_COLUMNS = ["pain_point_id", "user_id", "submitted_at"]

START = datetime(2026, 1, 5, 9, 0)
#: Few answer days and hours: users share anchors, and 15:00 + 9 h lands on a midnight.
RESPONSE_DAYS = (0, 0, 1, 3, 8, 30, 40)
RESPONSE_HOURS = (0, 6, 15)
#: Mixed case: the tie-break on the measure name must sort as Python sorts strings.
EVENT_NAMES = ("Clicked", "Export Failed", "page")
#: Numbers that add up exactly in floating point, so sums in any order agree to the bit;
#: mostly numeric, so that property means have something to compare.
PROPERTIES = (None, '{"ms": 100}', '{"ms": 100}', '{"ms": 2.5, "n": 3}', '{"n": 1}')
PROPERTIES += ('{"ms": 2.5, "n": 3}', '{"ok": true}')
#: Mostly on a day edge, sometimes an hour either side of it.
EVENT_HOURS = (0, 0, 0, 0, 1, -1, 6)
WEEK = timedelta(days=7)


# --- the oracle ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    name: str
    at: datetime
    numbers: list[dict[str, Any]] | None


@dataclass(frozen=True)
class Activity:
    active_days: int
    is_retained: bool
    observed_active: bool
    observed_retained: bool


def _activity(
    events: list[Event], anchor: datetime, window: timedelta, end: datetime | None
) -> Activity:
    """Distinct active dates in (anchor, anchor + W]; any event in [anchor + W, + 7 days)."""
    return Activity(
        active_days=len({e.at.date() for e in events if anchor < e.at <= anchor + window}),
        is_retained=any(anchor + window <= e.at < anchor + window + WEEK for e in events),
        observed_active=end is not None and anchor + window <= end,
        observed_retained=end is not None and anchor + window + WEEK <= end,
    )


def _around(events: list[Event], anchor: datetime, window: timedelta) -> list[Event]:
    """The events in [anchor - W, anchor + W], both ends included."""
    return [e for e in events if anchor - window <= e.at <= anchor + window]


def _event_counts(events: list[Event], anchor: datetime, window: timedelta) -> Counter[str]:
    return Counter(e.name for e in _around(events, anchor, window))


def _property_sums(
    events: list[Event], anchor: datetime, window: timedelta
) -> dict[str, tuple[float, int]]:
    """``event.key`` -> (sum, count) of the numeric properties around the anchor."""
    sums: dict[str, tuple[float, int]] = {}
    for event in _around(events, anchor, window):
        for pair in event.numbers or []:
            prop = f"{event.name}.{pair['key']}"
            total, n = sums.get(prop, (0.0, 0))
            sums[prop] = (total + float(pair["value"]), n + 1)
    return sums


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _ratio(inside: float | None, outside: float | None) -> float | None:
    if inside is None or outside is None or outside == 0:
        return None
    return inside / outside


def _activity_rows(
    pain_point: str, window_days: int, members: list[Activity], others: list[Activity]
) -> list[tuple]:
    """``active_days_<W>d`` and ``retained_4w``, over the anchors whose window is observed."""
    rows = []
    for measure, observed, value in (
        (f"active_days_{window_days}d", "observed_active", "active_days"),
        ("retained_4w", "observed_retained", "is_retained"),
    ):
        inside = [float(getattr(a, value)) for a in members if getattr(a, observed)]
        outside = [float(getattr(a, value)) for a in others if getattr(a, observed)]
        mean_in, mean_out = _mean(inside), _mean(outside)
        ratio = _ratio(mean_in, mean_out)
        rows.append((pain_point, measure, mean_in, mean_out, ratio, len(inside), len(outside)))
    return rows


def _top(rows: list[tuple], n: int) -> list[tuple]:
    """The ``n`` rows of highest ratio (column 4), ties by measure name."""
    return sorted(rows, key=lambda row: (-row[4], row[1]))[:n]


def _event_rate_rows(
    pain_point: str,
    members: list[Counter[str]],
    others: list[Counter[str]],
    min_support: int,
    top_events: int,
) -> list[tuple]:
    """Events per anchor, members against others (a zero floored at half an event)."""
    n_in, n_out = len(members), len(others)
    if n_out == 0:
        return []
    candidates = []
    for name in sorted(set().union(*members)):
        if sum(1 for counts in members if counts[name] > 0) < min_support:
            continue
        rate_in = sum(counts[name] for counts in members) / n_in
        rate_out = max(sum(counts[name] for counts in others), 0.5) / n_out
        ratio = rate_in / rate_out
        if ratio > 1:
            candidates.append(
                (pain_point, f"event_rate:{name}", rate_in, rate_out, ratio, n_in, n_out)
            )
    return _top(candidates, top_events)


def _property_rows(
    pain_point: str,
    members: list[dict[str, tuple[float, int]]],
    others: list[dict[str, tuple[float, int]]],
    min_support: int,
    top_properties: int,
) -> list[tuple]:
    """Mean of each numeric property, members against others."""
    candidates = []
    for prop in sorted(set().union(*members)):
        if sum(1 for sums in members if prop in sums) < min_support:
            continue
        total_in = sum(sums[prop][0] for sums in members if prop in sums)
        n_in = sum(sums[prop][1] for sums in members if prop in sums)
        total_out = sum(sums[prop][0] for sums in others if prop in sums)
        n_out = sum(sums[prop][1] for sums in others if prop in sums)
        mean_in = total_in / n_in
        mean_out = total_out / n_out if n_out else None
        if mean_out is None or mean_out <= 0 or mean_in / mean_out <= 1:
            continue
        candidates.append(
            (
                pain_point,
                f"property_mean:{prop}",
                mean_in,
                mean_out,
                mean_in / mean_out,
                len(members),
                len(others),
            )
        )
    return _top(candidates, top_properties)


def expected_behaviour(
    responses: pd.DataFrame,
    events: pd.DataFrame,
    members: pd.DataFrame,
    *,
    window_days: int = 28,
    min_support: int = 3,
    top_events: int = 5,
    top_properties: int = 3,
) -> pd.DataFrame:
    """The rows of ``marts.pain_point_behaviour``, one anchor at a time in plain Python.

    Everyone's anchor is their first answer; a member's is their first answer in the pain
    point. "Others" of a pain point are the first answers of every user not in it.
    """
    identified = members.dropna(subset=["user_id", "submitted_at"])
    if identified.empty:
        return pd.DataFrame(columns=COLUMNS)
    answered = responses.dropna(subset=["user_id", "submitted_at"])
    first_answer = answered.groupby("user_id")["submitted_at"].min().to_dict()
    window = timedelta(days=window_days)
    end = events["occurred_at"].max() if len(events) else None
    by_user: dict[str, list[Event]] = defaultdict(list)
    for row in events.itertuples():
        if isinstance(row.user_id, str):
            by_user[row.user_id].append(
                Event(row.event, row.occurred_at, numeric_properties(row.properties))
            )

    rows: list[tuple] = []
    for pain_point, group in identified.groupby("pain_point_id"):
        anchors = group.groupby("user_id")["submitted_at"].min().to_dict()
        others = {user: at for user, at in first_answer.items() if user not in anchors}
        rows += _activity_rows(
            pain_point,
            window_days,
            [_activity(by_user[u], at, window, end) for u, at in anchors.items()],
            [_activity(by_user[u], at, window, end) for u, at in others.items()],
        )
        if top_events > 0:
            rows += _event_rate_rows(
                pain_point,
                [_event_counts(by_user[u], at, window) for u, at in anchors.items()],
                [_event_counts(by_user[u], at, window) for u, at in others.items()],
                min_support,
                top_events,
            )
            rows += _property_rows(
                pain_point,
                [_property_sums(by_user[u], at, window) for u, at in anchors.items()],
                [_property_sums(by_user[u], at, window) for u, at in others.items()],
                min_support,
                top_properties,
            )
    return pd.DataFrame(rows, columns=COLUMNS)


# --- comparing ----------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _rows(frame: pd.DataFrame) -> list[tuple]:
    """(pain point, measure, respondents, others, three values) sorted, cast to plain types."""
    ordered = frame.sort_values(["pain_point_id", "measure"]).reset_index(drop=True)
    return [
        (
            str(row.pain_point_id),
            str(row.measure),
            int(row.respondents),
            int(row.others),
            _number(row.respondents_value),
            _number(row.others_value),
            _number(row.ratio),
        )
        for row in ordered.itertuples()
    ]


def _same(actual: float | None, expected: float | None) -> bool:
    if actual is None or expected is None:
        return actual is None and expected is None
    return math.isclose(actual, expected, rel_tol=1e-9)


def assert_same_rows(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same keys and counts exactly; the three values to 1e-9, None and NaN alike."""
    assert list(actual.columns) == COLUMNS
    got, want = _rows(actual), _rows(expected)
    assert [row[:4] for row in got] == [row[:4] for row in want]
    for got_row, want_row in zip(got, want, strict=True):
        assert all(_same(g, w) for g, w in zip(got_row[4:], want_row[4:], strict=True)), (
            f"{got_row} != {want_row}"
        )


# --- the property -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    responses: pd.DataFrame
    events: pd.DataFrame
    members: pd.DataFrame
    window_days: int
    min_support: int
    top_events: int
    top_properties: int

    def options(self) -> dict[str, int]:
        return {
            "window_days": self.window_days,
            "min_support": self.min_support,
            "top_events": self.top_events,
            "top_properties": self.top_properties,
        }


#: Picks made by index, taken modulo the number of candidates: a list still means something
#: when the shrinker deletes items from another one.
pick = st.integers(0, 99)
event_names = st.sampled_from(EVENT_NAMES)
property_texts = st.sampled_from(PROPERTIES)


def _some(draw: st.DrawFn, items: st.SearchStrategy, most: int) -> list:
    """Up to ``most`` items, the count drawn first: lists of any length, not mostly short."""
    count = draw(st.integers(0, most))
    return draw(st.lists(items, min_size=count, max_size=count))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A small warehouse whose events sit on and around the edges of the windows.

    Every choice shrinks towards the plain case: a named user's answer, an event of the
    answering user exactly on a day edge, one pain point.
    """
    window_days = draw(st.sampled_from((2, 7, 28)))
    users = [f"u{i}" for i in range(draw(st.integers(4, 10)))]
    anyone = [*users, None]

    # (user, day, hour, kind): kind 18 loses the user id, 19 the time, as some answers do
    answer_draws = st.tuples(
        pick, st.sampled_from(RESPONSE_DAYS), st.sampled_from(RESPONSE_HOURS), st.integers(0, 19)
    )
    responses = []
    for n, (user, day, hour, kind) in enumerate(_some(draw, answer_draws, 20)):
        user_id = None if kind == 18 else users[user % len(users)]
        submitted = None if kind == 19 else START + timedelta(days=day, hours=hour)
        responses.append((f"r{n}", user_id, "nps", 3.0, submitted, "it hurts"))

    # around an answer (often its user's anchor): on a day edge, or an hour off one; mostly
    # the answering user's (0-3 of ``whose``), else anyone's, or no one's
    w = window_days
    edges = (-w, w, w + 7, -w - 1, -w + 1, -1, 0, 1, w - 1, w + 1, w + 6, w + 8)
    near_draws = st.tuples(
        pick, st.integers(0, 4), pick, st.sampled_from(edges), st.sampled_from(EVENT_HOURS)
    )
    timed = [(r[1], r[4]) for r in responses if r[4] is not None]
    times: list[tuple[str | None, datetime]] = []
    for answer, whose, other, days, hours in _some(draw, near_draws, 30):
        if timed:
            answer_user, answer_at = timed[answer % len(timed)]
            user = answer_user if whose < 4 and answer_user else anyone[other % len(anyone)]
            times.append((user, answer_at + timedelta(days=days, hours=hours)))
    # and anywhere
    hours_anywhere = st.integers(-24 * 40, 24 * 80)
    for other, hours in _some(draw, st.tuples(pick, hours_anywhere), 5):
        times.append((anyone[other % len(anyone)], START + timedelta(hours=hours)))
    events = [
        (f"e{n}", user, draw(event_names), at, draw(property_texts))
        for n, (user, at) in enumerate(times)
    ]

    # comments in pain points: some answers in one, a few in two, a user in several
    pain_points = ("p1", "p2", "p3")[: draw(st.integers(1, 3))]
    member_draws = st.tuples(pick, st.sampled_from(pain_points))
    member_rows = []
    for response, pain_point in _some(draw, member_draws, len(responses)):
        if responses:
            picked = responses[response % len(responses)]
            member_rows.append((pain_point, picked[1], picked[4]))

    return Scenario(
        responses=pd.DataFrame(responses, columns=RESPONSE_COLUMNS).astype(
            {"user_id": "object", "submitted_at": "datetime64[us]"}
        ),
        events=pd.DataFrame(events, columns=EVENT_COLUMNS).astype(
            {"user_id": "object", "occurred_at": "datetime64[us]", "properties": "object"}
        ),
        members=pd.DataFrame(member_rows, columns=MEMBER_COLUMNS).astype(
            {"user_id": "object", "submitted_at": "datetime64[us]"}
        ),
        window_days=window_days,
        min_support=draw(st.sampled_from((1, 2))),
        top_events=draw(st.sampled_from((1, 2, 5, 0))),
        top_properties=draw(st.sampled_from((1, 2, 5))),
    )


@pytest.fixture
def fresh() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory warehouse. A property test's examples share it: each replaces both
    staging tables, and compute_behaviour drops its temporary tables whatever happens."""
    con = connect(":memory:")
    yield con
    con.close()


def check_against_oracle(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> None:
    """compute_behaviour on the scenario's staging tables gives the oracle's rows."""
    load_staging(con, scenario.responses, scenario.events)
    actual = compute_behaviour(con, scenario.members, **scenario.options())
    expected = expected_behaviour(
        scenario.responses, scenario.events, scenario.members, **scenario.options()
    )
    assert_same_rows(actual, expected)


_PROPERTY = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings(_PROPERTY, max_examples=40)
@given(scenario=scenarios())
def test_behaviour_matches_the_oracle(fresh: duckdb.DuckDBPyConnection, scenario: Scenario) -> None:
    check_against_oracle(fresh, scenario)


@pytest.mark.slow
@settings(_PROPERTY, max_examples=300)
@given(scenario=scenarios())
def test_behaviour_matches_the_oracle_many_cases(
    fresh: duckdb.DuckDBPyConnection, scenario: Scenario
) -> None:
    check_against_oracle(fresh, scenario)


# --- hand-picked edges --------------------------------------------------------------------

T = START
W = 7


def _at(days: float = 0, seconds: int = 0) -> datetime:
    return T + timedelta(days=days, seconds=seconds)


def _frames(
    answers: list[tuple[str, datetime]],
    events: list[tuple[str, str, datetime, str | None]],
    members: list[tuple[str, str, datetime]],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Responses, events and members from ``(user, at)``, ``(user, event, at, properties)``
    and ``(pain point, user, at)`` rows."""
    responses = pd.DataFrame(
        [(f"r{n}", user, "nps", 3.0, at, "it hurts") for n, (user, at) in enumerate(answers)],
        columns=RESPONSE_COLUMNS,
    )
    event_frame = pd.DataFrame(
        [(f"e{n}", *event) for n, event in enumerate(events)], columns=EVENT_COLUMNS
    )
    return responses, event_frame, pd.DataFrame(members, columns=MEMBER_COLUMNS)


def _both(
    con: duckdb.DuckDBPyConnection,
    frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    **options: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """compute_behaviour's rows and the oracle's, each indexed by measure."""
    responses, events, members = frames
    load_staging(con, responses, events)
    actual = compute_behaviour(con, members, **options)
    expected = expected_behaviour(responses, events, members, **options)
    return actual.set_index("measure"), expected.set_index("measure")


def _values(rows: pd.DataFrame, measure: str) -> tuple:
    """(respondents value, others value, ratio, respondents, others) of the measure's row."""
    assert measure in rows.index, f"no {measure} row, only {list(rows.index)}"
    row = rows.loc[measure]
    return (
        _number(row.respondents_value),
        _number(row.others_value),
        _number(row.ratio),
        int(row.respondents),
        int(row.others),
    )


def test_activity_counts_the_window_end_and_retention_starts_there(
    fresh: duckdb.DuckDBPyConnection,
) -> None:
    # u1 (the member): an event at its answer (not after it: not active) and one exactly at
    # t + W (active on that date, and the first instant of the retention week). u2: one event
    # exactly at t + W + 7 days, outside the week. That is the last event, so the windows of
    # u1 and u2 end at or before the data's end; u3 answered 7 days later, so its activity
    # window ends exactly there (observed) and its retention week after it (not observed).
    frames = _frames(
        answers=[("u1", _at()), ("u2", _at()), ("u3", _at(7))],
        events=[
            ("u1", "Clicked", _at(0), None),
            ("u1", "Clicked", _at(W), None),
            ("u2", "Clicked", _at(W + 7), None),
        ],
        members=[("p1", "u1", _at())],
    )
    actual, expected = _both(fresh, frames, window_days=W, min_support=1, top_events=0)
    for rows in (actual, expected):
        assert list(rows.index) == [f"active_days_{W}d", "retained_4w"]
        assert _values(rows, f"active_days_{W}d") == (1.0, 0.0, None, 1, 2)
        assert _values(rows, "retained_4w") == (1.0, 0.0, None, 1, 1)


def test_rates_and_means_count_events_exactly_w_days_either_side(
    fresh: duckdb.DuckDBPyConnection,
) -> None:
    # u1 (the member): events exactly at t - W and t + W count, one a second after t + W
    # does not; u2: one exactly at t + W counts, one a second before t - W does not.
    frames = _frames(
        answers=[("u1", _at()), ("u2", _at())],
        events=[
            ("u1", "Clicked", _at(-W), '{"ms": 100}'),
            ("u1", "Clicked", _at(W), '{"ms": 20}'),
            ("u1", "Clicked", _at(W, seconds=1), '{"ms": 1}'),
            ("u2", "Clicked", _at(W), '{"ms": 30}'),
            ("u2", "Clicked", _at(-W, seconds=-1), '{"ms": 1}'),
        ],
        members=[("p1", "u1", _at())],
    )
    actual, expected = _both(fresh, frames, window_days=W, min_support=1)
    for rows in (actual, expected):
        assert _values(rows, "event_rate:Clicked") == (2.0, 1.0, 2.0, 1, 1)
        # (100 + 20) / 2 against 30
        assert _values(rows, "property_mean:Clicked.ms") == (60.0, 30.0, 2.0, 1, 1)


def test_an_event_only_members_do_is_rated_against_half_an_event(
    fresh: duckdb.DuckDBPyConnection,
) -> None:
    # u1 answered on day 0 and, in the pain point, on day 40; its one event is near day 40
    # only, so no first-answer window of anyone holds it: the others' zero is floored at half
    # an event, as it is when only members' own first-answer windows hold the event.
    frames = _frames(
        answers=[("u1", _at()), ("u1", _at(40)), ("u2", _at())],
        events=[("u1", "Export Failed", _at(40, seconds=3600), None)],
        members=[("p1", "u1", _at(40))],
    )
    actual, expected = _both(fresh, frames, window_days=W, min_support=1)
    assert _values(expected, "event_rate:Export Failed") == (1.0, 0.5, 2.0, 1, 1)
    assert _values(actual, "event_rate:Export Failed") == (1.0, 0.5, 2.0, 1, 1)

"""The SQL marts against the plain-Python oracle on many small random event logs.

Each example builds one in-memory warehouse (hand-made staging rows, random configuration)
and compares whole tables. Logs start just before DST changes, a year end and a month end,
and are read in time zones with DST on either hemisphere and a half-hour offset. The as-of
date is "latest_event" or a day from before the last event (cutting it off) to well after it
(calendars running on past the data).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import oracle
from .harness import assert_table, build_marts, events_frame

USERS = ("u1", "u2", "u3", "u4", "u5")
EVENTS = ("A", "B", "C", "P")  # P is a page view: not active unless listed
BASES = (
    datetime(2026, 3, 22),
    datetime(2026, 10, 20),
    datetime(2026, 12, 26),
    datetime(2026, 1, 28),
)
ZONES = ("UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Pacific/Auckland")

KEYS = {
    "kpi_active_users": ["activity_date"],
    "kpi_stickiness": ["period", "period_start", "days_active"],
    "kpi_retention": ["period", "retention_type", "cohort_start", "period_number"],
    "kpi_lifecycle": ["period", "period_start", "status"],
    "kpi_funnel": ["funnel", "step_number"],
    "kpi_feature_adoption": ["feature", "period_start"],
    "kpi_activation": ["cohort_start"],
    "kpi_survey_scores": ["metric", "period", "period_start", "segment", "segment_value"],
}

ORACLES = {
    "kpi_active_users": oracle.active_users,
    "kpi_stickiness": oracle.stickiness,
    "kpi_retention": oracle.retention,
    "kpi_lifecycle": oracle.lifecycle,
    "kpi_funnel": oracle.funnel,
    "kpi_feature_adoption": oracle.feature_adoption,
    "kpi_activation": oracle.activation,
}

#: days from the last event's date to the as-of date; None = "latest_event"
AS_OF_SHIFTS = (None, -2, 0, 3, 12)

# The fast set (`make test`, under 4 minutes on 2 cores) runs a share of the examples, enough
# to catch a broken model on a change; the event-table, funnel and survey properties each have
# a twin marked `slow` with ten times as many or more (`.ci/run` runs both).
EXAMPLE_SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
DEEP_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def event_logs(
    draw: st.DrawFn,
    max_events: int = 25,
    min_events: int = 0,
    users: tuple[str, ...] = USERS,
    events: tuple[str, ...] = EVENTS,
) -> pd.DataFrame:
    base = draw(st.sampled_from(BASES))
    unit = draw(st.sampled_from((900, 3600, 6 * 3600)))
    span = draw(st.sampled_from((8, 100, 300)))
    rows = draw(
        st.lists(
            st.tuples(st.sampled_from(users), st.sampled_from(events), st.integers(0, span)),
            min_size=min_events,
            max_size=max_events,
        )
    )
    return events_frame(
        (u, e, base + timedelta(seconds=unit * k), "page" if e == "P" else "track")
        for u, e, k in rows
    )


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    steps = draw(st.lists(st.sampled_from(("A", "B", "C")), min_size=2, max_size=4))
    return {
        "analysis": {
            "timezone": draw(st.sampled_from(ZONES)),
            "week_start": draw(st.sampled_from(("monday", "sunday"))),
            "active_events": draw(st.sampled_from(([], ["A", "B"], ["P", "C"]))),
        },
        "retention": {
            "start_event": draw(st.sampled_from((None, "A"))),
            "return_event": draw(st.sampled_from((None, "B"))),
        },
        "funnels": [
            {
                "name": "main",
                "steps": steps,
                "window": draw(st.sampled_from(("1h", "6h", "1d", "14d"))),
                "exclusions": draw(
                    st.sampled_from(([], ["P"], [{"event": "P", "from_step": 1, "to_step": 2}]))
                ),
            },
            {"name": "other", "steps": ["B", "C"], "window": "2d"},
        ],
        "features": [{"name": "alpha", "events": ["A"]}, {"name": "pages", "events": ["P", "C"]}],
        "activation": {
            "event": draw(st.sampled_from((None, "B", "C"))),
            "within_days": draw(st.integers(1, 3)),
        },
    }


def with_as_of(config: dict[str, Any], events: pd.DataFrame, shift: int | None) -> dict[str, Any]:
    """``config`` with ``[analysis] as_of`` set ``shift`` days from the last event's date."""
    if shift is None or events.empty:
        return config
    last: date = events["occurred_at"].max().date()
    analysis = {**config.get("analysis", {}), "as_of": (last + timedelta(days=shift)).isoformat()}
    return {**config, "analysis": analysis}


@st.composite
def created_ats(draw: st.DrawFn) -> dict[str, datetime]:
    chosen = draw(st.lists(st.sampled_from(USERS), unique=True, max_size=3))
    return {
        u: datetime(2026, 3, 20) + timedelta(hours=draw(st.integers(0, 24 * 90))) for u in chosen
    }


def _check(
    events: pd.DataFrame,
    config: dict[str, Any],
    created_at: dict[str, datetime],
    tables: tuple[str, ...],
) -> None:
    con = build_marts(events, config=config, created_at=created_at, tables=tables)
    try:
        s = oracle.Settings.from_config(config, created_at)
        for name in tables:
            assert_table(con, name, ORACLES[name](events, s), KEYS[name])
    finally:
        con.close()


@EXAMPLE_SETTINGS
@given(
    events=event_logs(),
    config=configs(),
    created_at=created_ats(),
    as_of=st.sampled_from(AS_OF_SHIFTS),
)
def test_every_event_table_matches_the_oracle(events, config, created_at, as_of):
    _check(events, with_as_of(config, events, as_of), created_at, tuple(ORACLES))


@pytest.mark.slow
@DEEP_SETTINGS
@given(
    events=event_logs(),
    config=configs(),
    created_at=created_ats(),
    as_of=st.sampled_from(AS_OF_SHIFTS),
)
def test_every_event_table_matches_the_oracle_deep(events, config, created_at, as_of):
    _check(events, with_as_of(config, events, as_of), created_at, tuple(ORACLES))


@st.composite
def funnel_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A funnel with no exclusion, the plain-name shorthand, or one between two of its steps."""
    steps = draw(st.lists(st.sampled_from(("A", "B", "C")), min_size=2, max_size=4))
    from_step = draw(st.integers(1, len(steps) - 1))
    to_step = draw(st.integers(from_step + 1, len(steps)))
    exclusions = draw(
        st.sampled_from(([], ["X"], [{"event": "X", "from_step": from_step, "to_step": to_step}]))
    )
    window = draw(st.sampled_from(("15m", "1h", "2h", "1d")))
    return {"name": "dense", "steps": steps, "window": window, "exclusions": exclusions}


DENSE_LOGS = {
    "events": event_logs(max_events=14, users=("u1", "u2"), events=("A", "B", "C", "X")),
    "spec": funnel_specs(),
    "as_of": st.sampled_from((None, -1)),
}


@settings(max_examples=25, deadline=None)
@given(**DENSE_LOGS)
def test_funnel_matches_the_oracle_on_dense_logs(events, spec, as_of):
    """Few users, many events close together: ties, repeats, exact window boundaries, and
    exclusion events before, between and after the steps and the window's end."""
    _check(events, with_as_of({"funnels": [spec]}, events, as_of), {}, ("kpi_funnel",))


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(**DENSE_LOGS)
def test_funnel_matches_the_oracle_on_dense_logs_deep(events, spec, as_of):
    _check(events, with_as_of({"funnels": [spec]}, events, as_of), {}, ("kpi_funnel",))


@settings(max_examples=4, deadline=None)
@given(
    events=event_logs(min_events=150, max_events=300),
    config=configs(),
    created_at=created_ats(),
    as_of=st.sampled_from(AS_OF_SHIFTS),
)
def test_medium_logs_match_the_oracle(events, config, created_at, as_of):
    _check(events, with_as_of(config, events, as_of), created_at, tuple(ORACLES))


@st.composite
def survey_inputs(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    scales = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
    rows = []
    for i in range(draw(st.integers(1, 30))):
        metric = draw(st.sampled_from(tuple(scales)))
        lo, hi = scales[metric]
        attributes = draw(
            st.sampled_from(
                ({}, {"plan": "team"}, {"plan": None}, {"region": "eu"}, {"plan": " Unknown"})
            )
        )
        rows.append(
            {
                "response_id": f"r{i}",
                "user_id": draw(st.sampled_from(("u1", "u2", "u3", None))),
                "metric": metric,
                "score": float(draw(st.integers(lo, hi))),
                # None: an undated response, scored in the all-time rows only
                "submitted_at": draw(
                    st.one_of(
                        st.none(),
                        st.integers(0, 40).map(
                            lambda h: datetime(2026, 3, 31, 12) + timedelta(hours=h)
                        ),
                    )
                ),
                "attributes": json.dumps(attributes),
            }
        )
    frame = pd.DataFrame(rows)
    frame["submitted_at"] = frame["submitted_at"].astype("datetime64[us]")
    traits = {"u1": {"plan": "pro", "country": "DE"}, "u2": {"plan": "free"}, "u3": {}}
    return frame, traits


SURVEYS = {
    "inputs": survey_inputs(),
    "zone": st.sampled_from(ZONES),
    "segments": st.sampled_from((["plan"], ["plan", "country", "region"], [])),
    "min_responses": st.integers(1, 6),
    "as_of": st.sampled_from(("latest_event", "2026-03-31", "2026-04-01")),
}


@EXAMPLE_SETTINGS
@given(**SURVEYS)
def test_survey_scores_match_the_oracle(inputs, zone, segments, min_responses, as_of):
    _check_survey_scores(inputs, zone, segments, min_responses, as_of)


@pytest.mark.slow
@DEEP_SETTINGS
@given(**SURVEYS)
def test_survey_scores_match_the_oracle_deep(inputs, zone, segments, min_responses, as_of):
    _check_survey_scores(inputs, zone, segments, min_responses, as_of)


def _check_survey_scores(
    inputs: tuple[pd.DataFrame, dict[str, dict[str, Any]]],
    zone: str,
    segments: list[str],
    min_responses: int,
    as_of: str,
) -> None:
    responses, traits = inputs
    config = {
        "analysis": {"timezone": zone, "as_of": as_of},
        "segments": {"user_traits": segments, "min_responses": min_responses},
    }
    events = [(u, "A", "2026-03-31 12:00") for u in traits]
    con = build_marts(
        events, config=config, traits=traits, responses=responses, tables=["kpi_survey_scores"]
    )
    try:
        expected = oracle.survey_scores(responses, traits, oracle.Settings.from_config(config, {}))
        assert_table(con, "kpi_survey_scores", expected, KEYS["kpi_survey_scores"])
    finally:
        con.close()

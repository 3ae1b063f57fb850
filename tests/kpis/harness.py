"""Build a small warehouse from hand-made staging rows and run only the marts layer.

The staging models would overwrite hand-made staging tables, so the tests create
``staging.*`` directly (with the contract's columns) and run ``sql/marts`` alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from pmanalytics.config import parse_config
from pmanalytics.warehouse import compose, connect, discover_models, run_models, write_config_tables

EVENTS_DDL = """
create or replace table staging.events (
    event_id varchar, user_id varchar, anonymous_id varchar, event varchar,
    event_type varchar, occurred_at timestamp, session_id varchar, properties json,
    context json, is_identified boolean, source_file varchar
)"""

USERS_DDL = """
create or replace table staging.users (
    user_id varchar, first_seen_at timestamp, last_seen_at timestamp, created_at timestamp,
    first_event_at timestamp, plan varchar, country varchar, platform varchar, traits json,
    is_identified boolean, count_events bigint
)"""

RESPONSES_DDL = """
create or replace table staging.survey_responses (
    response_id varchar, user_id varchar, survey varchar, metric varchar, score double,
    score_raw varchar, submitted_at timestamp, comment varchar, attributes json,
    is_anonymous boolean, source_file varchar
)"""

USER_COLUMNS = [
    "user_id",
    "first_seen_at",
    "last_seen_at",
    "created_at",
    "first_event_at",
    "plan",
    "country",
    "platform",
    "traits",
    "is_identified",
    "count_events",
]

#: An event as the tests write it: (user_id, event, occurred_at[, event_type]).
Event = tuple[Any, ...]


def ts(text: str) -> datetime:
    """A naive UTC timestamp from ``"2026-03-29 00:30"`` or ``"2026-03-29 00:30:15"``."""
    return datetime.fromisoformat(text)


def events_frame(events: Iterable[Event]) -> pd.DataFrame:
    """Events as a frame with columns user_id, event, occurred_at, event_type."""
    rows = []
    for item in events:
        user_id, event, occurred_at = item[0], item[1], item[2]
        event_type = item[3] if len(item) > 3 else "track"
        when = ts(occurred_at) if isinstance(occurred_at, str) else occurred_at
        rows.append((user_id, event, when, event_type))
    frame = pd.DataFrame(rows, columns=["user_id", "event", "occurred_at", "event_type"])
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"]).astype("datetime64[us]")
    return frame


def users_frame(
    events: pd.DataFrame,
    created_at: Mapping[str, str | datetime] | None = None,
    traits: Mapping[str, Mapping[str, Any]] | None = None,
    anonymous: Iterable[str] = (),
) -> pd.DataFrame:
    """staging.users as its model derives it: first_seen_at = createdAt, else first event.

    Persons named in ``anonymous`` are visitors never identified (``is_identified`` false).
    """
    anonymous = set(anonymous)
    created_at = {k: ts(v) if isinstance(v, str) else v for k, v in (created_at or {}).items()}
    traits = traits or {}
    ids = sorted(set(events["user_id"]) | set(created_at) | set(traits))
    rows = []
    for user_id in ids:
        own = events[events["user_id"] == user_id]["occurred_at"]
        first_event = own.min() if len(own) else None
        last_event = own.max() if len(own) else None
        created = created_at.get(user_id)
        user_traits = dict(traits.get(user_id, {}))
        rows.append(
            {
                "user_id": user_id,
                "first_seen_at": created if created is not None else first_event,
                "last_seen_at": last_event,
                "created_at": created,
                "first_event_at": first_event,
                "plan": user_traits.get("plan"),
                "country": user_traits.get("country"),
                "platform": user_traits.get("platform"),
                "traits": json.dumps(user_traits),
                "is_identified": user_id not in anonymous,
                "count_events": len(own),
            }
        )
    frame = pd.DataFrame(rows, columns=USER_COLUMNS)
    for column in ("first_seen_at", "last_seen_at", "created_at", "first_event_at"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    return frame


def build_marts(
    events: Iterable[Event] | pd.DataFrame,
    *,
    config: Mapping[str, Any] | None = None,
    created_at: Mapping[str, str | datetime] | None = None,
    traits: Mapping[str, Mapping[str, Any]] | None = None,
    responses: pd.DataFrame | None = None,
    anonymous: Iterable[str] = (),
    tables: Iterable[str] | None = None,
) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with the given staging rows and the marts models built.

    ``tables`` (marts table names) builds only those and the models they read: a property
    test that compares one table need not pay for all of them on every example.
    """
    frame = events if isinstance(events, pd.DataFrame) else events_frame(events)
    users = users_frame(frame, created_at, traits, anonymous)
    con = connect(":memory:")
    con.execute(EVENTS_DDL)
    con.execute(USERS_DDL)
    con.execute(RESPONSES_DDL)
    con.register("events_input", frame)
    con.execute(
        """
        insert into staging.events
        select 'e' || row_number() over (), user_id, null, event, event_type, occurred_at,
            null, '{}', '{}', true, 'test'
        from events_input
        """
    )
    con.unregister("events_input")
    if len(users):
        con.register("users_input", users)
        con.execute("insert into staging.users select * from users_input")
        con.unregister("users_input")
    if responses is not None and len(responses):
        con.register("responses_input", responses)
        con.execute(
            """
            insert into staging.survey_responses
            select response_id, user_id, 'survey', metric, score, cast(score as varchar),
                submitted_at, null, attributes, user_id is null, 'test'
            from responses_input
            """
        )
        con.unregister("responses_input")
    write_config_tables(con, parse_config(dict(config or {})))
    select = None if tables is None else [f"marts.{name}" for name in tables]
    run_models(con, discover_models(layers=("intermediate", "marts")), select=select)
    return con


def table(con: duckdb.DuckDBPyConnection, name: str, order_by: str) -> pd.DataFrame:
    """A marts table as a frame in a fixed order, with a fresh index."""
    return con.execute(
        compose("select * from {t} order by {keys}", t=("marts", name), keys=order_by.split(", "))
    ).df()


#: marts.kpi_funnel's columns, in order.
FUNNEL_COLUMNS = [
    "funnel",
    "step_number",
    "step_event",
    "users",
    "conversion_from_start",
    "conversion_from_previous",
    "median_seconds_from_previous",
    "mean_seconds_from_previous",
]

DATE_COLUMNS = {"activity_date", "period_start", "period_end", "cohort_start"}
TEXT_COLUMNS = {
    "period",
    "retention_type",
    "status",
    "funnel",
    "step_event",
    "feature",
    "metric",
    "segment",
    "segment_value",
}
BOOL_COLUMNS = {"is_low_sample", "has_history"}


def normalise(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Comparable form: dates as datetime64, numbers as float (null = NaN), sorted by keys."""
    columns: dict[str, pd.Series] = {}
    for column in frame.columns:
        values = frame[column].reset_index(drop=True)
        if column in DATE_COLUMNS:
            columns[column] = pd.to_datetime(values).astype("datetime64[us]")
        elif column in TEXT_COLUMNS:
            columns[column] = values.astype(object).astype(str)
        elif column in BOOL_COLUMNS:
            columns[column] = values.astype(bool)
        elif pd.api.types.is_numeric_dtype(values.dtype):
            columns[column] = values.astype("float64")  # a nullable integer's NA becomes NaN
        else:  # object (Decimal, None, ...): parsed, and an unparsable value fails
            columns[column] = pd.to_numeric(values.astype(object), errors="raise").astype(float)
    out = pd.DataFrame(columns, index=pd.RangeIndex(len(frame)), columns=list(frame.columns))
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def assert_table(
    con: duckdb.DuckDBPyConnection, name: str, expected: pd.DataFrame, keys: list[str]
) -> None:
    """The whole of marts.<name> equals ``expected`` (same columns, rows, values)."""
    actual = con.execute(compose("select * from {t}", t=("marts", name))).df()
    assert list(actual.columns) == list(expected.columns), name
    pd.testing.assert_frame_equal(
        normalise(actual, keys),
        normalise(expected, keys),
        check_exact=False,
        rtol=1e-9,
        atol=1e-9,
        obj=f"marts.{name}",
    )

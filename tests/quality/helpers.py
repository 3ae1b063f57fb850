"""A small hand-made warehouse for the quality tests: staging tables written directly.

``clean_dataset()`` passes every expectation; each violation test changes one thing in it.
Raw tables and ``meta.ingested_files`` are filled to match, because the whole-table checks
compare staging with raw and the volume check reads previous loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb

from pmanalytics.warehouse import compose

#: The pinned clock every quality test validates at (naive UTC).
NOW = datetime(2026, 3, 2, 12, 0, 0)

_STAGING = {
    "identity_map": "alias_id varchar, user_id varchar, link_type varchar, linked_at timestamp",
    "events": (
        "event_id varchar, user_id varchar, anonymous_id varchar, event varchar, "
        "event_type varchar, occurred_at timestamp, session_id varchar, properties json, "
        "context json, is_identified boolean, source_file varchar, load_id varchar"
    ),
    "users": (
        "user_id varchar, first_seen_at timestamp, last_seen_at timestamp, created_at timestamp, "
        "first_event_at timestamp, plan varchar, country varchar, platform varchar, traits json, "
        "is_identified boolean, count_events bigint"
    ),
    "survey_responses": (
        "response_id varchar, user_id varchar, survey varchar, metric varchar, score double, "
        "score_raw varchar, submitted_at timestamp, comment varchar, attributes json, "
        "is_anonymous boolean, source_file varchar, load_id varchar"
    ),
}


def event(
    event_id: str,
    user_id: str | None,
    *,
    hours_ago: float = 1,
    name: str | None = "Open",
    identified: bool = True,
    load_id: str = "ev-2",
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    when = occurred_at if occurred_at is not None else NOW - timedelta(hours=hours_ago)
    return {
        "event_id": event_id,
        "user_id": user_id,
        "event": name,
        "occurred_at": when,
        "is_identified": identified,
        "load_id": load_id,
    }


def response(
    response_id: str | None,
    metric: str,
    score: float | None,
    *,
    comment: str | None = "fine",
    days_ago: float = 1,
    load_id: str = "sv-2",
) -> dict[str, Any]:
    return {
        "response_id": response_id,
        "metric": metric,
        "score": score,
        "submitted_at": NOW - timedelta(days=days_ago),
        "comment": comment,
        "load_id": load_id,
    }


def load(
    load_id: str,
    kind: str,
    rows_loaded: int,
    *,
    hours_ago: float,
    source: str | None = None,
    rows_quarantined: int = 0,
) -> dict[str, Any]:
    return {
        "load_id": load_id,
        "kind": kind,
        "source": source or f"{kind}-source",
        "rows_loaded": rows_loaded,
        "rows_quarantined": rows_quarantined,
        "started_at": NOW - timedelta(hours=hours_ago),
    }


@dataclass
class Dataset:
    events: list[dict[str, Any]] = field(default_factory=list)
    users: list[str | None] = field(default_factory=list)
    user_load_ids: dict[str, str] = field(default_factory=dict)  # user_id → users-file load
    responses: list[dict[str, Any]] = field(default_factory=list)
    loads: list[dict[str, Any]] = field(default_factory=list)
    extra_raw_events: int = 0  # raw track calls with no staging row (a staging bug)
    extra_raw_responses: int = 0  # raw responses with no staging row


#: The loads a clean run validates: the newest events, users and surveys file.
BATCH = ["ev-2", "us-1", "sv-2"]


def clean_dataset() -> Dataset:
    """Two event loads (the batch is the second), one users load, two survey loads."""
    return Dataset(
        events=[
            event("e1", "u1", hours_ago=100, load_id="ev-1"),
            event("e2", "u2", hours_ago=90, load_id="ev-1"),
            event("e3", "u1", hours_ago=5),
            event("e4", "u2", hours_ago=4, name="Report Exported"),
            event("e5", "u3", hours_ago=3),
            event("e6", "anon-9", hours_ago=2, identified=False),
        ],
        users=["u1", "u2", "u3", "anon-9"],
        user_load_ids={"u1": "us-1", "u2": "us-1", "u3": "us-1"},
        responses=[
            response("r1", "nps", 3, load_id="sv-1", days_ago=20),
            response("r2", "nps", 10),
            response("r3", "nps", 0, comment=None),
            response("r4", "csat", 5),
            response("r5", "csat", 1, comment="x" * 5000),
            response("r6", "ces", 7),
            response("r7", "ces", 1.5, comment="ok"),
        ],
        loads=[
            load("ev-1", "events", 2, hours_ago=80),
            load("ev-2", "events", 4, hours_ago=1),
            load("us-1", "users", 3, hours_ago=1),
            load("sv-1", "surveys", 1, hours_ago=400),
            load("sv-2", "surveys", 6, hours_ago=1),
        ],
    )


def write_dataset(con: duckdb.DuckDBPyConnection, data: Dataset) -> None:
    """Replace staging, raw and meta.ingested_files with ``data``."""
    for table, columns in _STAGING.items():
        con.execute(compose("create or replace table {t} (", t=("staging", table)) + columns + ")")
    for name in ("raw.events", "raw.users", "raw.survey_responses", "meta.ingested_files"):
        con.execute(compose("delete from {t}", t=tuple(name.split("."))))
    for row in data.events:
        con.execute(
            "insert into staging.events (event_id, user_id, anonymous_id, event, event_type, "
            "occurred_at, is_identified, source_file, load_id) "
            "values ($event_id, $user_id, null, $event, 'track', $occurred_at, $is_identified, "
            "'events.ndjson', $load_id)",
            row,
        )
    con.execute(
        "insert into raw.events (event_id, event_type, user_id, event, occurred_at, source_file,"
        " row_number, load_id, ingested_at) select coalesce(event_id, 'null-id'), event_type, "
        "user_id, event, "
        "coalesce(occurred_at, timestamp '2026-01-01'), source_file, 1, load_id, now() "
        "from staging.events"
    )
    for i in range(data.extra_raw_events):
        con.execute(
            "insert into raw.events (event_id, event_type, user_id, event, occurred_at, "
            "source_file, row_number, load_id, ingested_at) values "
            "(?, 'track', 'u1', 'Open', timestamp '2026-03-01', 'events.ndjson', 1, 'ev-1', now())",
            [f"raw-only-{i}"],
        )
    for user_id in data.users:
        con.execute(
            "insert into staging.users (user_id, is_identified, count_events) values (?, true, 1)",
            [user_id],
        )
    for user_id, load_id in data.user_load_ids.items():
        con.execute(
            "insert into raw.users (record_id, user_id, traits, source_file, row_number,"
            " load_id, ingested_at) values (?, ?, '{}', 'users.csv', 1, ?, now())",
            [f"rec-{user_id}", user_id, load_id],
        )
    for row in data.responses:
        con.execute(
            "insert into staging.survey_responses (response_id, user_id, survey, metric, score, "
            "score_raw, submitted_at, comment, is_anonymous, source_file, load_id) values "
            "($response_id, null, 'pulse', $metric, $score, '', $submitted_at, $comment, true,"
            " 'survey.csv', $load_id)",
            row,
        )
    con.execute(
        "insert into raw.survey_responses (response_id, metric, score, score_raw, submitted_at,"
        " comment, source_file, row_number, load_id, ingested_at) select "
        "coalesce(response_id, 'missing'), coalesce(metric, 'nps'), coalesce(score, 0), '', "
        "submitted_at, comment, source_file, 1, load_id, now() from staging.survey_responses"
    )
    for i in range(data.extra_raw_responses):
        con.execute(
            "insert into raw.survey_responses (response_id, metric, score, score_raw, source_file,"
            " row_number, load_id, ingested_at) values (?, 'nps', 5, '5', 'survey.csv', 1, "
            "'sv-1', now())",
            [f"raw-only-{i}"],
        )
    for row in data.loads:
        con.execute(
            "insert into meta.ingested_files (load_id, source, kind, path, sha256, bytes, "
            "rows_read, rows_loaded, rows_duplicate, rows_quarantined, started_at, finished_at) "
            "values ($load_id, $source, $kind, 'file', 'sha', 1, $rows_loaded + $rows_quarantined, "
            "$rows_loaded, 0, $rows_quarantined, $started_at, $started_at)",
            row,
        )

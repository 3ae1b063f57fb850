"""Every expectation can fail: one change to a clean warehouse breaks exactly that check.

Each case edits the clean dataset, validates the batch with GX and asserts the whole set of
failed expectations, the failing one's severity (the catalog default) and unexpected_count.
Null or duplicate keys also break the whole-table key count, which is listed where it must.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime

import duckdb
import pytest

from pmanalytics.config import parse_config
from pmanalytics.quality import CATALOG, validate
from pmanalytics.quality.catalog import TABLES

from .helpers import BATCH, NOW, Dataset, clean_dataset, event, load, response, write_dataset


@dataclass(frozen=True)
class Case:
    table: str
    expectation: str
    change: Callable[[Dataset], None]
    unexpected_count: int
    also_fails: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    load_ids: list[str] | None = field(default_factory=lambda: list(BATCH))


def _set_event(index: int, **values: object) -> Callable[[Dataset], None]:
    return lambda data: data.events[index].update(values)


def _add_events(*rows: dict) -> Callable[[Dataset], None]:
    return lambda data: data.events.extend(rows)


def _add_responses(*rows: dict) -> Callable[[Dataset], None]:
    return lambda data: data.responses.extend(rows)


def _add_loads(*rows: dict) -> Callable[[Dataset], None]:
    return lambda data: data.loads.extend(rows)


def _quarantine(load_id: str, rows: int) -> Callable[[Dataset], None]:
    """Ingest set ``rows`` of the load aside: they count as read, not loaded."""

    def change(data: Dataset) -> None:
        [row] = [r for r in data.loads if r["load_id"] == load_id]
        row["rows_quarantined"] = rows

    return change


def _add_users(*user_ids: str | None) -> Callable[[Dataset], None]:
    return lambda data: data.users.extend(user_ids)


def _anonymous_batch(data: Dataset) -> None:
    for row in data.events:
        if row["load_id"] == "ev-2":
            row["is_identified"] = False


def _stale_batch(data: Dataset) -> None:
    for row in data.events:
        if row["load_id"] == "ev-2":
            row["occurred_at"] = datetime(2026, 2, 27, 12, 0)  # 72 h before NOW


def _extra_raw_events(data: Dataset) -> None:
    data.extra_raw_events = 1


def _extra_raw_responses(data: Dataset) -> None:
    data.extra_raw_responses = 1


EV_KEYS = frozenset({("events", "table_keys_unique")})
US_KEYS = frozenset({("users", "table_keys_unique")})
SR_KEYS = frozenset({("survey_responses", "table_keys_unique")})

CASES: dict[str, Case] = {
    # ------------------------------------------------------------------ staging.events
    "events-null-id": Case(
        "events", "event_id_not_null", _add_events(event(None, "u1")), 1, EV_KEYS
    ),
    "events-duplicate-id": Case(
        "events", "event_id_unique", _add_events(event("e3", "u2")), 2, EV_KEYS
    ),
    "events-null-user": Case("events", "user_id_not_null", _add_events(event("e7", None)), 1),
    "events-null-name": Case(
        "events", "event_name_not_null", _add_events(event("e7", "u1", name=None)), 1
    ),
    "events-bad-name-length": Case(
        "events",
        "event_name_length",
        _add_events(event("e7", "u1", name=""), event("e8", "u1", name="x" * 201)),
        2,
    ),
    "events-null-time": Case("events", "occurred_at_not_null", _set_event(2, occurred_at=None), 1),
    "events-future": Case(
        "events", "occurred_at_not_future", _add_events(event("e7", "u1", hours_ago=-25)), 1
    ),
    # beyond pandas' nanosecond range: judged on the slow path, still judged
    "events-year-3000": Case(
        "events",
        "occurred_at_not_future",
        _add_events(event("e7", "u1", occurred_at=datetime(3000, 1, 1))),
        1,
    ),
    "events-before-floor": Case(
        "events",
        "occurred_at_not_before_floor",
        _add_events(event("e7", "u1", occurred_at=datetime(1999, 12, 31))),
        1,
    ),
    # batch grain: one row of aggregates, so the count is that row
    "events-anonymous": Case("events", "anonymous_share", _anonymous_batch, 1),
    "events-stale": Case("events", "freshness", _stale_batch, 1),
    "events-volume": Case(
        "events",
        "load_volume",
        _add_loads(
            load("ev-0a", "events", 100, hours_ago=300), load("ev-0b", "events", 100, hours_ago=200)
        ),
        1,
    ),
    # quarantine grain: 1 of 5 records read set aside (20 % > 5 %), one row judged
    "events-quarantine": Case("events", "quarantine_share", _quarantine("ev-2", 1), 1),
    "events-table-duplicate": Case(
        "events", "table_keys_unique", _add_events(event("e1", "u1", load_id="ev-1")), 1
    ),
    "events-table-fanout": Case("events", "table_rows_match_raw", _extra_raw_events, 1),
    # ------------------------------------------------------------------ staging.users
    "users-null-id": Case("users", "user_id_not_null", _add_users(None), 1, US_KEYS, load_ids=None),
    "users-duplicate-id": Case("users", "user_id_unique", _add_users("u1"), 2, US_KEYS),
    "users-volume": Case(
        "users", "load_volume", _add_loads(load("us-0", "users", 100, hours_ago=300)), 1
    ),
    "users-quarantine": Case("users", "quarantine_share", _quarantine("us-1", 1), 1),
    "users-table-duplicate": Case("users", "table_keys_unique", _add_users("old", "old"), 1),
    # ------------------------------------------------------------------ staging.survey_responses
    "surveys-null-id": Case(
        "survey_responses",
        "response_id_not_null",
        _add_responses(response(None, "nps", 5)),
        1,
        SR_KEYS,
    ),
    "surveys-duplicate-id": Case(
        "survey_responses",
        "response_id_unique",
        _add_responses(response("r2", "nps", 5)),
        2,
        SR_KEYS,
    ),
    "surveys-unknown-metric": Case(
        "survey_responses", "metric_in_set", _add_responses(response("r8", "nsp", 5)), 1
    ),
    "surveys-null-score": Case(
        "survey_responses", "score_not_null", _add_responses(response("r8", "nps", None)), 1
    ),
    "surveys-nps-scale": Case(
        "survey_responses",
        "score_nps_scale",
        _add_responses(response("r8", "nps", 11), response("r9", "nps", -1)),
        2,
    ),
    "surveys-csat-scale": Case(
        "survey_responses",
        "score_csat_scale",
        _add_responses(response("r8", "csat", 0), response("r9", "csat", 6)),
        2,
    ),
    "surveys-ces-scale": Case(
        "survey_responses", "score_ces_scale", _add_responses(response("r8", "ces", 8)), 1
    ),
    "surveys-future": Case(
        "survey_responses",
        "submitted_at_not_future",
        _add_responses(response("r8", "nps", 5, days_ago=-2)),
        1,
    ),
    "surveys-before-floor": Case(
        "survey_responses",
        "submitted_at_not_before_floor",
        _add_responses(response("r8", "nps", 5, days_ago=365 * 40)),
        1,
    ),
    "surveys-comment-length": Case(
        "survey_responses",
        "comment_length",
        _add_responses(
            response("r8", "nps", 5, comment=""), response("r9", "nps", 5, comment="x" * 5001)
        ),
        2,
    ),
    "surveys-volume": Case(
        "survey_responses",
        "load_volume",
        _add_loads(
            load("sv-0a", "surveys", 100, hours_ago=900),
            load("sv-0b", "surveys", 100, hours_ago=800),
        ),
        1,
    ),
    "surveys-quarantine": Case("survey_responses", "quarantine_share", _quarantine("sv-2", 1), 1),
    "surveys-table-duplicate": Case(
        "survey_responses",
        "table_keys_unique",
        _add_responses(response("r1", "nps", 5, load_id="sv-1")),
        1,
    ),
    "surveys-table-fanout": Case(
        "survey_responses", "table_rows_match_raw", _extra_raw_responses, 1
    ),
}


#: The staged tables whose suites read each part of the dataset (pmanalytics/quality/
#: batches.py): the users batch is the users of the batch's events, so events reach users too;
#: the loads (meta.ingested_files) feed every table's volume check.
READS: dict[str, tuple[str, ...]] = {
    "events": ("events", "users"),
    "extra_raw_events": ("events",),
    "users": ("users",),
    "user_load_ids": ("users",),
    "responses": ("survey_responses",),
    "extra_raw_responses": ("survey_responses",),
    "loads": TABLES,
}


def reached_tables(case: Case) -> list[str] | None:
    """The tables a case's change can reach, for ``validate(tables=...)``; ``None`` (all) when
    the case validates other loads than the clean batch.

    The others hold the clean data, whose batch passes every expectation
    (test_validate.py::test_clean_batch_passes_every_expectation): judging them again in each
    case cost one GX run per table and could not fail differently.
    """
    if case.load_ids != BATCH:
        return None
    data, clean = clean_dataset(), clean_dataset()
    case.change(data)
    changed = [f.name for f in fields(Dataset) if getattr(data, f.name) != getattr(clean, f.name)]
    assert changed, "the case changes nothing"
    return [t for t in TABLES if any(t in READS[name] for name in changed)]


def test_every_dataset_field_is_mapped_to_the_tables_it_feeds() -> None:
    assert set(READS) == {f.name for f in fields(Dataset)}
    # the expected failures of every case are among the tables it validates
    for case_id, case in CASES.items():
        reached = reached_tables(case)
        if reached is not None:
            tables = {case.table} | {t for t, _ in case.also_fails}
            assert tables <= set(reached), case_id


def test_every_catalogued_expectation_has_a_failing_case() -> None:
    covered = {(c.table, c.expectation) for c in CASES.values()}
    assert covered == {(s.table, s.name) for s in CATALOG}


@pytest.mark.parametrize("case_id", list(CASES))
def test_violation_fails_exactly_that_expectation(
    case_id: str, warehouse: duckdb.DuckDBPyConnection
) -> None:
    case = CASES[case_id]
    data = clean_dataset()
    case.change(data)
    write_dataset(warehouse, data)

    report = validate(
        warehouse,
        parse_config({}),
        run_id=case_id,
        load_ids=case.load_ids,
        data_docs_dir=None,
        now=NOW,
        tables=reached_tables(case),
    )

    failed = {
        (r.table_name.removeprefix("staging."), r.expectation)
        for r in report.results
        if not r.success
    }
    assert failed == {(case.table, case.expectation)} | case.also_fails
    result = report.result(case.table, case.expectation)
    [spec] = [s for s in CATALOG if (s.table, s.name) == (case.table, case.expectation)]
    assert result.severity == spec.severity
    assert result.unexpected_count == case.unexpected_count
    assert "error" not in result.details  # GX judged the data; it did not crash
    assert result.details["unexpected_values"]
    if spec.grain in ("batch", "quarantine"):  # one row: what GX judged, even in a pass
        assert result.details["observed_value"] is not None
    assert report.passed is (spec.severity == "warning" and not case.also_fails)
    stored = warehouse.execute(
        "select severity, success, unexpected_count from meta.validation_results "
        "where run_id = ? and table_name = ? and expectation = ?",
        [case_id, f"staging.{case.table}", case.expectation],
    ).fetchall()
    assert stored == [(spec.severity, False, case.unexpected_count)]

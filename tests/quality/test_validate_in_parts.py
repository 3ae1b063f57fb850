"""A batch above ``[validation] chunk_rows`` is judged in parts, with the whole batch's results.

Parts are the pandas path (``pushdown=False``, and any row-level expectation the SQL compiler
does not know). ``chunk_rows = 7`` forces a few dozen staged rows into several parts. Each
scenario plants one kind of bad data and asserts that the split pandas run reports exactly
what the default run (counted in SQL, one scan) reports (success, counts, percent, observed
value), and which expectations fail, so a scenario whose planted data stopped failing would
be noticed.
"""

from __future__ import annotations

import gc
import math
import weakref
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import duckdb
import pandas as pd
import pytest

from pmanalytics.config import Config, parse_config
from pmanalytics.errors import ConfigError
from pmanalytics.quality import validate
from pmanalytics.quality.batches import count_batch, fetch_batch
from pmanalytics.quality.report import ExpectationResult, ValidationReport

from .helpers import BATCH, NOW, Dataset, clean_dataset, event, response, write_dataset

CHUNK_ROWS = 7


def larger_dataset() -> Dataset:
    """The clean dataset plus 40 batch events, 20 responses and 20 users: several parts of 7."""
    data = clean_dataset()
    data.events += [event(f"e{i}", f"u{i % 3 + 1}", hours_ago=1 + i / 100) for i in range(100, 140)]
    data.responses += [response(f"r{i}", "nps", i % 11) for i in range(100, 120)]
    new_users = [f"u{i}" for i in range(10, 30)]
    data.users += new_users
    data.user_load_ids |= dict.fromkeys(new_users, "us-1")
    return data


def _config(**validation: object) -> Config:
    return parse_config({"validation": validation})


def _run(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    load_ids: list[str] | None,
    *,
    pushdown: bool = True,
) -> ValidationReport:
    return validate(
        con,
        config,
        run_id="r",
        load_ids=load_ids,
        data_docs_dir=None,
        now=NOW,
        pushdown=pushdown,
    )


def _exact(result: ExpectationResult) -> tuple:
    """What must not change when a batch is judged in parts (samples may: other rows first)."""
    d = result.details
    return (
        result.severity,
        result.success,
        result.unexpected_count,
        d.get("element_count"),
        d.get("missing_count"),
        d.get("unexpected_percent"),
        d.get("observed_value"),
        d.get("error"),
    )


def _failed(report: ValidationReport) -> set[tuple[str, str]]:
    return {
        (r.table_name.removeprefix("staging."), r.expectation)
        for r in report.results
        if not r.success
    }


# --------------------------------------------------------------------------- scenarios


def _duplicate_far_apart(data: Dataset) -> None:
    """The second copy is staged 40 rows after the first: another part, if split by position."""
    data.events.insert(3, event("dup", "u1", hours_ago=2))
    data.events.append(event("dup", "u2", hours_ago=3))


def _null_keys(data: Dataset) -> None:
    data.events += [event(None, "u1", hours_ago=h) for h in (1, 2, 3, 4)]
    data.responses += [response(None, "csat", 4), response(None, "nps", 9)]


def _bad_times(data: Dataset) -> None:
    data.events += [
        event("future", "u1", hours_ago=-30),
        event("old", "u2", occurred_at=datetime(1999, 12, 31)),
        event("year-3000", "u3", occurred_at=datetime(3000, 1, 1)),
    ]
    data.events[20]["occurred_at"] = None
    data.responses.append(response("r-future", "nps", 5, days_ago=-3))


def _anonymous(data: Dataset) -> None:
    for row in data.events:
        if row["load_id"] == "ev-2" and row["event_id"] != "e3":
            row["is_identified"] = False


def _stale(data: Dataset) -> None:
    for row in data.events:
        if row["load_id"] == "ev-2":
            row["occurred_at"] = NOW - timedelta(hours=72)


def _bad_values(data: Dataset) -> None:
    data.events += [event("empty", "u1", name=""), event("no-user", None)]
    data.responses += [
        response("r-11", "nps", 11),
        response("r-csat", "csat", 0),
        response("r-metric", "nsp", 5),
        response("r-score", "ces", None),
        response("r-long", "ces", 3, comment="x" * 5001),
    ]
    data.users += ["u10"]  # a second staged row for a batch user


def _nothing(data: Dataset) -> None:
    pass


SCENARIOS: dict[str, tuple[Callable[[Dataset], None], set[tuple[str, str]]]] = {
    "clean": (_nothing, set()),
    "duplicate-key-far-apart": (
        _duplicate_far_apart,
        {("events", "event_id_unique"), ("events", "table_keys_unique")},
    ),
    "null-keys": (
        _null_keys,
        {
            ("events", "event_id_not_null"),
            ("events", "table_keys_unique"),
            ("survey_responses", "response_id_not_null"),
            ("survey_responses", "table_keys_unique"),
        },
    ),
    "out-of-range-times": (
        _bad_times,
        {
            ("events", "occurred_at_not_null"),
            ("events", "occurred_at_not_future"),
            ("events", "occurred_at_not_before_floor"),
            ("survey_responses", "submitted_at_not_future"),
        },
    ),
    "anonymous-share": (_anonymous, {("events", "anonymous_share")}),
    "stale-batch": (_stale, {("events", "freshness")}),
    "bad-values": (
        _bad_values,
        {
            ("events", "event_name_length"),
            ("events", "user_id_not_null"),
            ("survey_responses", "score_nps_scale"),
            ("survey_responses", "score_csat_scale"),
            ("survey_responses", "metric_in_set"),
            ("survey_responses", "score_not_null"),
            ("survey_responses", "comment_length"),
            ("users", "user_id_unique"),
            ("users", "table_keys_unique"),
        },
    ),
}


#: Each scenario validates twice (4–6 s on a slow host): the fast set runs the clean one and
#: the one that fails the most expectations; ``.ci/run`` runs the rest with the slow tests.
FAST_SCENARIOS = ("clean", "bad-values")


@pytest.mark.parametrize(
    "scenario",
    [s if s in FAST_SCENARIOS else pytest.param(s, marks=pytest.mark.slow) for s in SCENARIOS],
)
def test_parts_report_exactly_what_one_frame_reports(
    scenario: str, warehouse: duckdb.DuckDBPyConnection
) -> None:
    change, expected_failures = SCENARIOS[scenario]
    data = larger_dataset()
    change(data)
    write_dataset(warehouse, data)

    whole = _run(warehouse, _config(), BATCH)
    split = _run(warehouse, _config(chunk_rows=CHUNK_ROWS), BATCH, pushdown=False)

    assert _failed(whole) == expected_failures
    assert [(r.table_name, r.expectation) for r in split.results] == [
        (r.table_name, r.expectation) for r in whole.results
    ]
    assert [_exact(r) for r in split.results] == [_exact(r) for r in whole.results]
    assert [s.rows_validated for s in split.suites] == [s.rows_validated for s in whole.suites]
    # the split really happened, for every table whose batch exceeds chunk_rows
    for table, suite in zip(("events", "users", "survey_responses"), split.suites, strict=True):
        n_parts = math.ceil(suite.rows_validated / CHUNK_ROWS)
        assert n_parts >= 3, table
        rows_checks = [r for r in suite.results if "n_parts" in r.details]
        assert rows_checks and {r.details["n_parts"] for r in rows_checks} == {n_parts}
    assert not any("n_parts" in r.details for r in whole.results)


def test_a_duplicate_pair_is_caught_although_far_apart(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    data = larger_dataset()
    _duplicate_far_apart(data)
    write_dataset(warehouse, data)
    positions = warehouse.execute(
        "select rowid // ? from staging.events where event_id = 'dup'", [CHUNK_ROWS]
    ).fetchall()
    assert len(set(positions)) == 2  # split by position, the copies would not meet

    result = _run(warehouse, _config(chunk_rows=CHUNK_ROWS), BATCH, pushdown=False).result(
        "events", "event_id_unique"
    )
    assert (result.success, result.unexpected_count) == (False, 2)
    assert result.details["unexpected_values"] == ["dup", "dup"]


def test_without_load_ids_null_user_keys_are_judged_in_parts(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    data = larger_dataset()
    data.users += [None, None, None]
    write_dataset(warehouse, data)
    whole = _run(warehouse, _config(), None)
    split = _run(warehouse, _config(chunk_rows=CHUNK_ROWS), None, pushdown=False)
    assert _failed(whole) == {("users", "user_id_not_null"), ("users", "table_keys_unique")}
    assert [_exact(r) for r in split.results] == [_exact(r) for r in whole.results]
    assert split.result("users", "user_id_not_null").unexpected_count == 3


def test_samples_from_all_parts_are_capped_at_sample_size(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    data = larger_dataset()
    old = [f"old-{i}" for i in range(12)]
    data.events += [event(key, "u1", occurred_at=datetime(1990, 1, 1)) for key in old]
    write_dataset(warehouse, data)

    report = _run(warehouse, _config(chunk_rows=CHUNK_ROWS, sample_size=4), BATCH, pushdown=False)
    result = report.result("events", "occurred_at_not_before_floor")
    assert result.unexpected_count == 12
    assert result.details["unexpected_values"] == ["1990-01-01T00:00:00"] * 4
    assert len(result.details["unexpected_rows"]) == 4
    assert {row["event_id"] for row in result.details["unexpected_rows"]} <= set(old)
    stored = warehouse.execute(
        "select unexpected_count, json_array_length(details -> '$.unexpected_values') "
        "from meta.validation_results where expectation = 'occurred_at_not_before_floor'"
    ).fetchall()
    assert stored == [(12, 4)]


# --------------------------------------------------------------------------- the split itself


def test_every_row_lands_in_exactly_one_part_and_copies_of_a_key_together(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    data = larger_dataset()
    _duplicate_far_apart(data)
    data.events += [event(None, "u1") for _ in range(12)]
    write_dataset(warehouse, data)

    whole = fetch_batch(warehouse, "events", None)
    parts = [fetch_batch(warehouse, "events", None, part=p, n_parts=4) for p in range(4)]
    assert count_batch(warehouse, "events", None) == len(whole) == 60
    combined = pd.concat(parts, ignore_index=True)
    columns = ["event_id", "user_id", "occurred_at"]
    assert combined.sort_values(columns, ignore_index=True).equals(
        whole.sort_values(columns, ignore_index=True)
    )
    [with_dup] = [p for p in parts if (p["event_id"] == "dup").any()]
    assert (with_dup["event_id"] == "dup").sum() == 2
    # missing keys are spread by row id rather than piled into one part
    assert sum(p["event_id"].isna().any() for p in parts) > 1


def test_the_batch_count_follows_the_load_ids(warehouse: duckdb.DuckDBPyConnection) -> None:
    write_dataset(warehouse, larger_dataset())
    for load_ids in (BATCH, None, []):
        for table in ("events", "users", "survey_responses"):
            assert count_batch(warehouse, table, load_ids) == len(
                fetch_batch(warehouse, table, load_ids)
            )
    assert [count_batch(warehouse, "events", ids) for ids in (BATCH, None, [])] == [44, 46, 0]


def test_a_part_is_freed_once_gx_has_judged_it(warehouse: duckdb.DuckDBPyConnection) -> None:
    """GX's execution engine keeps every frame it was given: the datasource must not outlive
    one run, or all parts of a large batch would be in memory at the end."""
    from pmanalytics.quality.suites import build_suites
    from pmanalytics.quality.validate import _gx_context, _run_part

    write_dataset(warehouse, larger_dataset())
    [suite] = [s for s in build_suites(_config(), now=NOW) if s.name == "staging.events"]
    context = _gx_context(None)
    gx_suite = context.suites.add(suite.to_gx())
    frame = fetch_batch(warehouse, "events", BATCH, part=0, n_parts=2)
    alive = weakref.ref(frame)
    results = _run_part(
        context, suite, gx_suite, "part 1", frame, run_id="r", validated_at=NOW, sample_size=3
    )
    del frame
    gc.collect()
    assert alive() is None
    assert all(r.success for r in results)


def test_judging_a_part_does_not_reserialise_the_gx_configuration(
    warehouse: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The context is ephemeral: each part's datasource, asset and batch definition used to
    dump the whole configuration to YAML (four saves of ~20 ms a part) for nothing to read."""
    from pmanalytics.quality.suites import build_suites
    from pmanalytics.quality.validate import _gx_context, _run_part

    write_dataset(warehouse, larger_dataset())
    [suite] = [s for s in build_suites(_config(), now=NOW) if s.name == "staging.events"]
    context = _gx_context(None)
    saves: list[None] = []
    monkeypatch.setattr(context.variables, "save", lambda: saves.append(None))
    frame = fetch_batch(warehouse, "events", BATCH, part=0, n_parts=2)
    results = _run_part(
        context,
        suite,
        context.suites.add(suite.to_gx()),
        "part 1",
        frame,
        run_id="r",
        validated_at=NOW,
        sample_size=3,
    )
    assert all(r.success for r in results)
    assert saves == []


def test_a_pending_result_on_the_connection_does_not_stop_validation(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    """A caller's unread ``execute()`` result (a ``fetchone()`` of many rows, say)."""
    write_dataset(warehouse, larger_dataset())
    warehouse.execute("select * from staging.events").fetchone()
    assert _run(warehouse, _config(chunk_rows=CHUNK_ROWS), BATCH).passed


# --------------------------------------------------------------------------- docs and config


def test_each_part_is_one_named_data_docs_page(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    write_dataset(warehouse, larger_dataset())
    docs = tmp_path / "docs"
    report = validate(
        warehouse,
        _config(chunk_rows=20),
        run_id="parts",
        load_ids=BATCH,
        data_docs_dir=docs,
        now=NOW,
        pushdown=False,
    )
    pages = sorted(p.name for p in docs.glob("validations/staging/events/parts/*/*.html"))
    assert pages == [
        "pmanalytics-staging.events part 1 of 3, by hash of event_id.html",
        "pmanalytics-staging.events part 2 of 3, by hash of event_id.html",
        "pmanalytics-staging.events part 3 of 3, by hash of event_id.html",
    ]
    index = report.data_docs_index
    assert index is not None
    links = [
        line.split('"')[0]
        for line in index.read_text(encoding="utf-8").split('href="')[1:]
        if line.startswith("validations/")
    ]
    # every page is linked from the index, and every link opens a page
    pages_on_disk = sorted(str(p.relative_to(docs)) for p in docs.glob("validations/**/*.html"))
    assert sorted(unquote(link) for link in links) == pages_on_disk
    # events: 3 parts, batch, loads, quarantine, table; the others 2 parts + 3 each
    assert len(pages_on_disk) == 17


def test_chunk_rows_must_be_positive() -> None:
    assert _config().validation.chunk_rows == 1_000_000
    with pytest.raises(ConfigError, match="chunk_rows"):
        _config(chunk_rows=0)

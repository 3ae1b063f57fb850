"""validate(): a clean batch passes, results are stored, critical failures stop, docs are built."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pmanalytics.config import parse_config
from pmanalytics.errors import ConfigError, ValidationFailed, WarehouseError
from pmanalytics.quality import CATALOG, validate
from pmanalytics.quality.catalog import TABLES

from .helpers import BATCH, NOW, clean_dataset, event, response, write_dataset

REPO = Path(__file__).resolve().parents[2]


def test_clean_batch_passes_every_expectation(warehouse: duckdb.DuckDBPyConnection) -> None:
    write_dataset(warehouse, clean_dataset())
    report = validate(
        warehouse, parse_config({}), run_id="clean", load_ids=BATCH, data_docs_dir=None, now=NOW
    )

    assert [(r.table_name, r.expectation) for r in report.results if not r.success] == []
    assert {(r.table_name.removeprefix("staging."), r.expectation) for r in report.results} == {
        (s.table, s.name) for s in CATALOG
    }
    assert [(s.table_name, s.verdict, s.rows_validated) for s in report.suites] == [
        ("staging.events", "passed", 4),  # e3..e6: the ev-2 load only
        ("staging.users", "passed", 4),  # u1, u2, u3 and the never-identified anon-9
        ("staging.survey_responses", "passed", 6),
    ]
    assert report.passed
    report.raise_for_critical()  # nothing to raise


def test_without_load_ids_the_whole_table_is_the_batch(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    write_dataset(warehouse, clean_dataset())
    report = validate(
        warehouse, parse_config({}), run_id="all", load_ids=None, data_docs_dir=None, now=NOW
    )
    assert report.passed and not report.warnings
    assert [s.rows_validated for s in report.suites] == [6, 4, 7]


def test_an_empty_batch_runs_no_row_checks(warehouse: duckdb.DuckDBPyConnection) -> None:
    """A survey-only project: no events at all. Nothing is faked as passed."""
    data = clean_dataset()
    data.events, data.users = [], []
    data.loads = [row for row in data.loads if row["kind"] == "surveys"]
    write_dataset(warehouse, data)
    report = validate(
        warehouse,
        parse_config({}),
        run_id="surveys-only",
        load_ids=["sv-2"],
        data_docs_dir=None,
        now=NOW,
    )
    events = report.suite("events")
    assert events.rows_validated == 0
    assert {r.expectation for r in events.results} == {"table_keys_unique", "table_rows_match_raw"}
    assert report.passed


def test_results_land_in_meta_validation_results(warehouse: duckdb.DuckDBPyConnection) -> None:
    data = clean_dataset()
    data.responses.append(response("r8", "nps", 12))
    write_dataset(warehouse, data)
    report = validate(
        warehouse, parse_config({}), run_id="run-42", load_ids=BATCH, data_docs_dir=None, now=NOW
    )

    rows = warehouse.execute(
        "select table_name, expectation, severity, success, unexpected_count, details, "
        "validated_at from meta.validation_results where run_id = 'run-42' "
        "order by table_name, expectation"
    ).fetchall()
    assert len(rows) == len(CATALOG) == len(report.results)
    assert {r[6] for r in rows} == {report.validated_at}
    [scale] = [r for r in rows if r[1] == "score_nps_scale"]
    assert scale[:5] == ("staging.survey_responses", "score_nps_scale", "critical", False, 1)
    details = json.loads(scale[5])
    assert details["gx_expectation"] == "expect_column_values_to_be_between"
    assert details["unexpected_values"] == [12.0]
    assert details["unexpected_rows"] == [{"score": 12.0, "response_id": "r8"}]
    assert details["kwargs"]["min_value"] == 0 and details["kwargs"]["max_value"] == 10
    assert details["kwargs"]["row_condition"]["parameter"] == "nps"
    # timestamps in thresholds are stored as ISO text
    [future] = [json.loads(r[5]) for r in rows if r[1] == "occurred_at_not_future"]
    assert future["kwargs"]["max_value"] == "2026-03-03T12:00:00"


def test_critical_failure_raises_a_readable_error(warehouse: duckdb.DuckDBPyConnection) -> None:
    data = clean_dataset()
    data.responses += [response("r8", "csat", 7), response("r9", "csat", 9)]
    write_dataset(warehouse, data)
    report = validate(
        warehouse, parse_config({}), run_id="bad", load_ids=BATCH, data_docs_dir=None, now=NOW
    )

    assert not report.passed
    assert report.suite("survey_responses").verdict == "failed"
    with pytest.raises(ValidationFailed) as raised:
        report.raise_for_critical()
    message = str(raised.value)
    assert "1 critical expectation(s) failed" in message
    assert "staging.survey_responses: score_csat_scale (critical) failed: 2 unexpected" in message
    assert "e.g. score=7.0 response_id='r8', score=9.0 response_id='r9'" in message
    assert "meta.validation_results where run_id = 'bad'" in message


def test_a_warning_is_recorded_but_does_not_stop(warehouse: duckdb.DuckDBPyConnection) -> None:
    data = clean_dataset()
    data.responses.append(response("r8", "nps", 9, comment="x" * 6000))
    write_dataset(warehouse, data)
    report = validate(
        warehouse, parse_config({}), run_id="warn", load_ids=BATCH, data_docs_dir=None, now=NOW
    )
    assert report.passed
    assert [r.expectation for r in report.warnings] == ["comment_length"]
    assert report.suite("survey_responses").verdict == "warnings"
    assert "comment_length [warning]" in report.suite("survey_responses").summary()
    report.raise_for_critical()


def test_severities_and_thresholds_come_from_config(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    data = clean_dataset()
    data.events.append(event("e7", "u1", name="x" * 150))
    write_dataset(warehouse, data)
    config = parse_config(
        {
            "validation": {
                "freshness_hours": 0.5,  # the newest event is 1 h old: now stale
                "event_name_max_length": 100,
                "severities": {"freshness": "critical", "events.event_name_length": "warning"},
            }
        }
    )
    report = validate(warehouse, config, run_id="cfg", load_ids=BATCH, data_docs_dir=None, now=NOW)
    failed = {r.expectation: r.severity for r in report.results if not r.success}
    assert failed == {"freshness": "critical", "event_name_length": "warning"}
    with pytest.raises(ValidationFailed, match="freshness"):
        report.raise_for_critical()


def test_unknown_severity_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"unknown expectation name.*fresness"):
        parse_config({"validation": {"severities": {"fresness": "critical"}}})
    with pytest.raises(ConfigError, match="severities"):
        parse_config({"validation": {"severities": {"freshness": "fatal"}}})


def test_data_docs_are_written_and_replaced(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    write_dataset(warehouse, clean_dataset())
    docs = tmp_path / "reports" / "data_docs"
    for run_id in ("first", "second"):
        report = validate(
            warehouse, parse_config({}), run_id=run_id, load_ids=BATCH, data_docs_dir=docs, now=NOW
        )
    assert report.data_docs_index == docs / "index.html"
    index = report.data_docs_index.read_text(encoding="utf-8")
    assert "staging.survey_responses" in index
    pages = sorted(p.relative_to(docs).parts[2] for p in docs.glob("validations/**/*.html"))
    # one page per suite: rows, loads, quarantine share and table counts, plus the batch
    # aggregates of events
    assert pages == ["events"] * 5 + ["survey_responses"] * 4 + ["users"] * 4
    assert all("second" in str(p) for p in docs.glob("validations/**/*.html"))


def test_relative_data_docs_folder_resolves_against_the_config_folder(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    write_dataset(warehouse, clean_dataset())
    config = parse_config({}, base_dir=tmp_path)
    report = validate(warehouse, config, run_id="rel", load_ids=BATCH, now=NOW)
    assert report.data_docs_index == tmp_path / "reports" / "data_docs" / "index.html"
    assert report.data_docs_index.is_file()


def test_validating_before_staging_is_built_says_what_to_do(tmp_path: Path) -> None:
    from pmanalytics.warehouse import connect

    con = connect(tmp_path / "empty.duckdb")
    with pytest.raises(WarehouseError, match="run `pmanalytics build`"):
        validate(con, parse_config({}), run_id="x", load_ids=None, data_docs_dir=None)
    con.close()


def test_config_and_package_import_do_not_import_great_expectations() -> None:
    code = (
        "import sys, pmanalytics.quality; from pmanalytics.config import parse_config; "
        "parse_config({'validation': {'severities': {'freshness': 'critical'}}}); "
        "print('great_expectations' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "False"


def test_docs_describe_every_expectation() -> None:
    text = (REPO / "docs" / "validation.md").read_text(encoding="utf-8")
    missing = [s.name for s in CATALOG if f"`{s.name}`" not in text]
    assert missing == []


def test_no_new_loads_runs_only_the_whole_table_checks(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    """Every file was already loaded (load_ids == []): nothing new to judge row by row."""
    write_dataset(warehouse, clean_dataset())
    report = validate(
        warehouse, parse_config({}), run_id="nothing-new", load_ids=[], data_docs_dir=None, now=NOW
    )
    assert {r.expectation for r in report.results} == {"table_keys_unique", "table_rows_match_raw"}
    assert [s.rows_validated for s in report.suites] == [0, 0, 0]
    assert report.passed


def test_tables_validates_only_the_named_staged_tables(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    data = clean_dataset()
    data.responses.append(response("r8", "nps", 11))  # fails score_nps_scale
    write_dataset(warehouse, data)
    some = validate(
        warehouse,
        parse_config({}),
        run_id="some",
        load_ids=BATCH,
        data_docs_dir=None,
        now=NOW,
        tables=["users", "events"],
    )
    # in TABLES order, whatever the order asked; the failing survey suite was not run
    assert [s.table_name for s in some.suites] == ["staging.events", "staging.users"]
    assert {r.table_name for r in some.results} == {"staging.events", "staging.users"}
    assert some.passed
    stored = warehouse.execute(
        "select distinct table_name from meta.validation_results where run_id = 'some' order by all"
    ).fetchall()
    assert stored == [("staging.events",), ("staging.users",)]

    every = validate(
        warehouse, parse_config({}), run_id="all", load_ids=BATCH, data_docs_dir=None, now=NOW
    )
    assert [s.table_name for s in every.suites] == [f"staging.{t}" for t in TABLES]
    assert not every.passed and every.result("survey_responses", "score_nps_scale").success is False
    # the tables run alone report exactly what the full run reports for them
    assert [(r.table_name, r.expectation, r.success, r.unexpected_count) for r in some.results] == [
        (r.table_name, r.expectation, r.success, r.unexpected_count)
        for r in every.results
        if r.table_name != "staging.survey_responses"
    ]


def test_tables_refuses_an_unknown_table(warehouse: duckdb.DuckDBPyConnection) -> None:
    write_dataset(warehouse, clean_dataset())
    with pytest.raises(ConfigError, match=r"no staged table\(s\) \['staging.events'\]"):
        validate(
            warehouse,
            parse_config({}),
            run_id="x",
            load_ids=BATCH,
            data_docs_dir=None,
            tables=["staging.events"],
        )

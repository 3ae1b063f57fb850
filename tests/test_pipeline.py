"""The quality gate in the pipeline: a critical failure stops the build before the marts."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pmanalytics.cli import main
from pmanalytics.config import load_config
from pmanalytics.quality import validate
from pmanalytics.warehouse import compose, connect
from tests.sample_project import SampleProject


@pytest.fixture
def sample_db(sample_project_copy: SampleProject) -> tuple[Path, Path]:
    """A private copy of the session's demo project (tests/conftest.py) with its config, Data
    Docs and warehouse: tests may change it."""
    return sample_project_copy.root, sample_project_copy.db


def _marts(db: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            table: con.execute(compose("select * from {t} order by all", t=("marts", table))).df()
            for table in ("kpi_active_users", "kpi_funnel", "kpi_retention")
        }
    finally:
        con.close()


def test_demo_records_the_run_and_writes_data_docs(sample_db: tuple[Path, Path]) -> None:
    project, db = sample_db
    assert (project / "reports" / "data_docs" / "index.html").is_file()
    con = duckdb.connect(str(db), read_only=True)
    runs = con.execute("select status, finished_at is not null from meta.pipeline_runs").fetchall()
    assert runs == [("succeeded", True)]
    [(run_id,)] = con.execute("select run_id from meta.pipeline_runs").fetchall()
    results = con.execute(
        "select table_name, count(*) from meta.validation_results where run_id = ? "
        "group by all order by all",
        [run_id],
    ).fetchall()
    assert [t for t, _ in results] == [
        "staging.events",
        "staging.survey_responses",
        "staging.users",
    ]
    con.close()


def test_a_critical_failure_stops_the_build_and_leaves_the_marts(
    sample_db: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project, db = sample_db
    config = str(project / "pmanalytics.toml")
    before = _marts(db)
    absurd_name = "Clicked " + "x" * 300  # loads (ingest keeps it), but is no event name
    bad = tmp_path / "bad.ndjson"
    bad.write_text(
        json.dumps(
            {
                "type": "track",
                "messageId": "bad-1",
                "userId": "u_new",
                "event": absurd_name,
                "timestamp": "2026-09-15T10:00:00Z",
            }
        )
        + "\n"
    )
    assert main(["ingest", "events", str(bad), "--config", config, "--db", str(db)]) == 0
    capsys.readouterr()

    assert main(["build", "--config", config, "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "staging.events" in err and "event_name_length" in err and "critical" in err
    assert "event='Clicked xxxx" in err and "(308 chars)" in err  # a cut example value

    after = _marts(db)
    for table, frame in before.items():
        pd.testing.assert_frame_equal(after[table], frame, obj=table)
    con = duckdb.connect(str(db), read_only=True)
    statuses = con.execute("select status from meta.pipeline_runs order by started_at").fetchall()
    assert statuses == [("succeeded",), ("failed",)]
    # staging does hold the new data: it is what was validated
    assert con.execute(
        "select count(*) from staging.events where event_id = 'bad-1'"
    ).fetchone() == (1,)
    con.close()

    assert main(["validate", "--config", config, "--db", str(db)]) == 1


def test_the_clean_sample_passes_every_expectation(sample_db: tuple[Path, Path]) -> None:
    # freshness is measured from "now": pinned to the day after the sample's last events
    project, db = sample_db
    config = load_config(project / "pmanalytics.toml")
    con = connect(db)
    report = validate(
        con, config, run_id="clean", load_ids=None, data_docs_dir=None, now=datetime(2026, 10, 2)
    )
    con.close()
    failed = [r.describe() for r in report.results if not r.success]
    assert failed == []
    assert len(report.results) == 30


def test_validate_command_passes_on_the_clean_sample(
    sample_db: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project, db = sample_db
    assert main(["validate", "--config", str(project / "pmanalytics.toml"), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "staging.events:" in out and "staging.survey_responses: passed" in out
    assert "data docs:" in out

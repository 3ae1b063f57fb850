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
    _ingest_absurd_event(project, db, tmp_path, "bad-1")  # loads: ingest keeps a long name
    capsys.readouterr()

    assert main(["build", "--config", config, "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "staging.events" in err and "event_name_length" in err and "critical" in err
    assert "event='Clicked xxxx" in err and "(308 chars)" in err  # a cut example value
    # the per-table lines state the quarantined share next to the expectation count
    assert "staging.events: " in err and "set aside in quarantine (threshold 5.0%)" in err

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
    assert len(report.results) == 33


def test_validate_command_passes_on_the_clean_sample(
    sample_db: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project, db = sample_db
    assert main(["validate", "--config", str(project / "pmanalytics.toml"), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "staging.events:" in out and "staging.survey_responses: passed" in out
    assert "data docs:" in out


def _ingest_absurd_event(project: Path, db: Path, tmp_path: Path, event_id: str) -> str:
    """A load that passes ingest but fails the critical event_name_length check; its id."""
    bad = tmp_path / "bad.ndjson"
    event = {
        "type": "track",
        "messageId": event_id,
        "userId": "u_new",
        "event": "Clicked " + "x" * 300,
        "timestamp": "2026-09-15T10:00:00Z",
    }
    bad.write_text(json.dumps(event) + "\n")
    config = str(project / "pmanalytics.toml")
    assert main(["ingest", "events", str(bad), "--config", config, "--db", str(db)]) == 0
    con = duckdb.connect(str(db), read_only=True)
    [(load_id,)] = con.execute(
        "select load_id from meta.ingested_files where path = ?", [str(bad)]
    ).fetchall()
    con.close()
    return load_id


def test_a_failed_load_stays_blocked_until_accepted(
    sample_db: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project, db = sample_db
    config = str(project / "pmanalytics.toml")
    before = _marts(db)
    load_id = _ingest_absurd_event(project, db, tmp_path, "bad-2")
    assert main(["build", "--config", config, "--db", str(db)]) == 1
    # the rerun has nothing new to load: the failed load is still judged, and still blocks
    assert main(["build", "--config", config, "--db", str(db)]) == 1
    assert "event_name_length" in capsys.readouterr().err
    for table, frame in before.items():
        pd.testing.assert_frame_equal(_marts(db)[table], frame, obj=table)
    # an override needs a reason, and is recorded
    assert main(["accept", load_id, "--reason", " ", "--config", config, "--db", str(db)]) == 2
    reason = "a test event from the QA team, reviewed"
    assert main(["accept", load_id, "--reason", reason, "--config", config, "--db", str(db)]) == 0
    assert main(["build", "--config", config, "--db", str(db)]) == 0
    con = duckdb.connect(str(db), read_only=True)
    verdicts = con.execute(
        "select verdict, reason from meta.load_verdicts where load_id = ? order by decided_at",
        [load_id],
    ).fetchall()
    assert verdicts == [("failed", None), ("failed", None), ("accepted", reason)]
    assert con.execute(
        "select count(*) from staging.events where event_id = 'bad-2'"
    ).fetchone() == (1,)
    con.close()


def test_a_load_left_unvalidated_by_a_crash_is_judged_by_the_next_build(
    sample_db: tuple[Path, Path], tmp_path: Path
) -> None:
    # ingest committed, then the run died before validation: nothing new to load next time
    project, db = sample_db
    _ingest_absurd_event(project, db, tmp_path, "bad-3")
    config = str(project / "pmanalytics.toml")
    assert main(["build", "--config", config, "--db", str(db)]) == 1


def test_validating_an_unknown_load_is_an_error(
    sample_db: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project, db = sample_db
    config = str(project / "pmanalytics.toml")
    assert main(["validate", "--load-id", "no-such-load", "--config", config, "--db", str(db)]) == 2
    assert "unknown load id(s) no-such-load" in capsys.readouterr().err
    assert (
        main(["accept", "no-such-load", "--reason", "x", "--config", config, "--db", str(db)]) == 2
    )


def test_the_run_summary_leaves_out_praise_from_customers_who_score_below_the_rest() -> None:
    from pmanalytics.pain_points.refresh import PainPointResult
    from pmanalytics.pipeline import pain_point_lines

    delighters = pd.DataFrame(
        {
            "label": ["Good", "Easy to start", "Clean UI", "Retired"],
            "comments": [22, 20, 7, 30],
            "status": ["active", "active", "active", "retired"],
            "score_cost_ci_low": [1.9, -5.4, None, 0.5],
        }
    )
    result = PainPointResult(
        10, 8, 0, 8, pd.DataFrame(), pd.DataFrame(), "k=2", delighters=delighters
    )
    lines = pain_point_lines(result)
    loved = lines[lines.index(next(x for x in lines if x.startswith("what customers love"))) :]
    assert loved == [
        "what customers love (2 delighters; 1 more, from customers who clearly score below "
        "the rest, left out):",
        "+ Easy to start (20 comments)",
        "+ Clean UI (7 comments)",
    ]

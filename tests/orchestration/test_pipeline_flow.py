"""The `pmanalytics-pipeline` flow on the sample, against Prefect's test harness."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pmanalytics.warehouse import connect

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _flow():
    from flows.pipeline import pipeline

    return pipeline


def _latest_artifact(key: str):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )[0]


@pytest.fixture(scope="module")
def flow_project(tmp_path_factory: pytest.TempPathFactory, copy_sample_project, prefect_harness):
    project = tmp_path_factory.mktemp("flow") / "project"
    config, db = copy_sample_project(project)
    connect(db).close()  # the empty warehouse, with its identity, backed up before the run
    shutil.copy(db, project / "backup.duckdb")
    state = _flow()(config_path=str(config), db=str(db), return_state=True)
    assert state.is_completed(), state.message
    return config, db, state.result()


def test_the_flow_ingests_validates_and_builds(flow_project) -> None:
    config, db, summary = flow_project
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select sum(rows_read) from meta.ingested_files").fetchone() == (80_695,)
    assert con.execute("select status from meta.pipeline_runs").fetchall() == [("succeeded",)]
    assert con.execute("select count(*) > 0 from marts.kpi_active_users").fetchone() == (True,)
    con.close()
    keys = [m["key"] for m in summary["models"]]
    assert "staging.events" in keys and "marts.kpi_retention" in keys
    assert any(line.startswith("staging.events:") for line in summary["validation"])
    assert (config.parent / "reports" / "data_docs" / "index.html").is_file()
    assert summary["pain_points"] and "pain points from" in summary["pain_points"][0]
    report = Path(summary["report"])
    assert report == config.parent / "reports" / "report.html" and report.stat().st_size > 1e6


def test_each_step_ran_as_a_task_named_for_what_it_handled(flow_project) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    _, _, summary = flow_project
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[summary["flow_run_id"]]))
        )
    ordered = sorted(runs, key=lambda r: r.start_time)
    assert [r.name for r in ordered] == [
        "ingest_sources: crm_users",
        "ingest_sources: product_events",
        "ingest_sources: in_app_surveys",
        "build_staging: staging.*",
        "validate_staging: loads awaiting a verdict",
        "build_marts: on duckdb",
        "build_pain_points: marts.pain_point*",
        "write_report: reports/report.html",
    ]


def test_the_run_publishes_a_summary_and_an_ingest_table(flow_project) -> None:
    summary = _latest_artifact("pmanalytics-summary")
    assert "Headline KPIs" in summary.data and "Weekly active users" in summary.data
    assert "staging.survey_responses" in summary.data and "## Pain points" in summary.data
    table = _latest_artifact("pmanalytics-ingest")
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    assert len(rows) == 62  # 60 event files, users.csv, surveys.csv
    assert {"rows_read", "rows_loaded", "rows_duplicate", "rows_quarantined"} <= set(rows[0])


def _run_again(config: Path, db: Path) -> duckdb.DuckDBPyConnection:
    """Run the flow on ``db``; it must complete and hold every sample file, once."""
    state = _flow()(config_path=str(config), db=str(db), return_state=True)
    assert state.is_completed(), state.message
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*), sum(rows_read) from meta.ingested_files").fetchone() == (
        62,
        80_695,
    )
    return con


def test_a_second_run_reprocesses_nothing(flow_project) -> None:
    config, db, _ = flow_project
    con = _run_again(config, db)
    assert con.execute("select status from meta.pipeline_runs order by started_at").fetchall() == [
        ("succeeded",),
        ("succeeded",),
    ]
    con.close()
    table = _latest_artifact("pmanalytics-ingest")
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    assert all(r["skipped"] for r in rows)  # the warehouse knows the files' hashes


def test_pmanalytics_run_loads_a_warehouse_restored_from_a_backup_again(
    flow_project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``pmanalytics run`` (what ``make demo`` runs) on the same warehouse (same identity) as
    before the first run: the files it lacks must be loaded again, whatever Prefect
    remembers of that first run. One full run for both checks (each is ~12 s)."""
    from pmanalytics.cli import main

    config, _, _ = flow_project
    restored = tmp_path / "restored.duckdb"
    shutil.copy(config.parent / "backup.duckdb", restored)
    report = config.parent / "reports" / "report.html"
    written_before = report.stat().st_mtime_ns
    assert main(["run", "--config", str(config), "--db", str(restored)]) == 0
    out = capsys.readouterr().out
    assert "loaded per source" in out and "pain points:" in out
    assert f"report:    {report}" in out
    assert report.stat().st_mtime_ns > written_before
    con = duckdb.connect(str(restored), read_only=True)
    assert con.execute("select count(*), sum(rows_read) from meta.ingested_files").fetchone() == (
        62,
        80_695,
    )
    assert con.execute("select count(*) > 0 from marts.kpi_active_users").fetchone() == (True,)
    con.close()


def test_a_failed_validation_fails_the_run_and_keeps_the_marts(
    flow_project, tmp_path: Path
) -> None:
    config, db, _ = flow_project
    before = duckdb.connect(str(db), read_only=True)
    marts = before.execute("select * from marts.kpi_active_users order by all").df()
    before.close()
    bad = config.parent / "data" / "sample" / "events" / "events-2026-09-30-late.ndjson.gz"
    import gzip

    bad.write_bytes(
        gzip.compress(
            (
                json.dumps(
                    {
                        "type": "track",
                        "messageId": "late-1",
                        "userId": "u_x",
                        "event": "x" * 500,
                        "timestamp": "2026-09-30T10:00:00Z",
                    }
                )
                + "\n"
            ).encode()
        )
    )
    try:
        state = _flow()(config_path=str(config), db=str(db), return_state=True)
    finally:
        bad.unlink()
    assert state.is_failed()
    assert "event_name_length" in (state.message or "") or "event_name_length" in str(
        state.result(raise_on_failure=False)
    )
    after = duckdb.connect(str(db), read_only=True)
    pd.testing.assert_frame_equal(
        after.execute("select * from marts.kpi_active_users order by all").df(), marts
    )
    assert after.execute(
        "select status from meta.pipeline_runs order by started_at desc limit 1"
    ).fetchone() == ("failed",)
    after.close()

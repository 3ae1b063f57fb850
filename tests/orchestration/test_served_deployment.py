"""A real Prefect server on 127.0.0.1, the pipeline served on a cron schedule, one run.

The server is the session's (``prefect_harness`` in conftest.py: Prefect's own API app under
uvicorn on a free local port, as ``prefect server start`` runs it, on a temporary SQLite
database). ``pmanalytics serve`` runs in its own process and reaches it only over HTTP; it is
started here and stopped by PID at the end, whatever happens in between.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pytest

BIN = Path(sys.executable).parent
CRON = "0 6 * * *"
DEPLOYMENT = "pmanalytics-pipeline/pmanalytics-scheduled"


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait(condition, timeout: float, what: str, processes=()) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(f"{process.args[:3]} exited early while waiting for {what}")
        value = condition()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def _post_retrying_server_errors(client: httpx.Client, path: str, attempts: int = 5) -> dict:
    """POST, retrying a 5xx: Prefect's server on SQLite can answer 500 "database is locked"
    while its own services write (PrefectHQ/prefect#18934), the likely cause of one CI run that
    got no flow run back; a failed request is rolled back, so a retry cannot make two runs.
    (The server logs to this test process's stderr, which pytest shows on failure.)"""
    failures = []
    for attempt in range(attempts):
        response = client.post(path, json={})
        if response.status_code < 500:
            assert response.status_code == 201, f"{response.status_code}: {response.text}"
            return response.json()
        failures.append(f"{response.status_code}: {response.text[:300]}")
        time.sleep(1 + attempt)
    raise AssertionError(f"POST {path} failed {attempts} times: {failures}")


@pytest.fixture
def server(prefect_harness, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """The session's Prefect server (its API URL, healthy) and the environment for processes
    that talk to it; a second server of its own cost this test ~7-17 s to start."""
    from prefect.settings import PREFECT_API_URL

    api = PREFECT_API_URL.value()
    assert api and api.startswith("http://127.0.0.1:"), api
    assert httpx.get(f"{api}/health", timeout=10).status_code == 200
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        # the runner asks for due runs every 10 s by default: the test need not wait that long
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
    }
    return api, env


# a Prefect server and a served deployment (50-60 s with its setup): run by .ci/run; the
# fast set still runs the flow against a temporary Prefect API (test_pipeline_flow.py)
@pytest.mark.slow
def test_served_deployment_is_scheduled_and_runs(
    server: tuple[str, dict[str, str]], tmp_path: Path, copy_sample_project
) -> None:
    api, env = server
    config, db = copy_sample_project(tmp_path / "project")
    serve_log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(
        [
            str(BIN / "pmanalytics"),
            "serve",
            "--cron",
            CRON,
            "--config",
            str(config),
            "--db",
            str(db),
        ],
        env=env,
        stdout=serve_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=tmp_path,
    )
    try:
        client = httpx.Client(base_url=api, timeout=10)

        def deployment() -> dict | None:
            response = client.get(f"/deployments/name/{DEPLOYMENT}")
            return response.json() if response.status_code == 200 else None

        found = _wait(deployment, 120, "the deployment to be registered", [serve])
        schedules = [s["schedule"] for s in found["schedules"]]
        assert any(s.get("cron") == CRON for s in schedules), schedules
        assert found["parameters"]["db"] == str(db.resolve())

        run = _post_retrying_server_errors(client, f"/deployments/{found['id']}/create_flow_run")

        def finished() -> str | None:
            response = client.get(f"/flow_runs/{run['id']}")
            if response.status_code >= 500:
                return None  # the same transient SQLite contention; ask again
            state = response.json()["state"]
            return state["type"] if state["type"] in ("COMPLETED", "FAILED", "CRASHED") else None

        final = _wait(finished, 300, "the triggered flow run to finish", [serve])
        assert final == "COMPLETED", (tmp_path / "serve.log").read_text()[-3000:]
        con = duckdb.connect(str(db), read_only=True)
        assert con.execute("select status from meta.pipeline_runs").fetchall() == [("succeeded",)]
        assert con.execute("select count(*) > 0 from marts.kpi_retention").fetchone() == (True,)
        con.close()
    finally:
        _stop(serve)
        serve_log.close()
    assert serve.returncode is not None

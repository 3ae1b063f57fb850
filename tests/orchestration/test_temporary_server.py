"""`pmanalytics run` killed with kill -9 takes Prefect's temporary server with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.orchestration.conftest import prefect_environment

BIN = Path(sys.executable).parent


def _children(pid: int) -> list[int]:
    done = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    )
    return [int(p) for p in done.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = (
        Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}").exists() else "X"
    )
    return state != "Z"


@pytest.mark.slow
def test_a_killed_run_leaves_no_prefect_server(tmp_path: Path, copy_sample_project) -> None:
    config, db = copy_sample_project(tmp_path / "project")
    env = {**os.environ, **prefect_environment(tmp_path / "prefect-home")}
    env.pop("PREFECT_API_URL", None)
    run = subprocess.Popen(
        [str(BIN / "pmanalytics"), "run", "--config", str(config), "--db", str(db)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        servers: list[int] = []
        while time.monotonic() < deadline and not servers:
            servers = [
                c
                for c in _children(run.pid)
                if "uvicorn" in Path(f"/proc/{c}/cmdline").read_bytes().decode(errors="replace")
            ]
            time.sleep(0.5)
        assert servers, "the run never started Prefect's temporary server"
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(s) for s in servers):
            time.sleep(0.5)
        assert not any(_alive(s) for s in servers), "the server outlived its killed parent"
    finally:
        if run.poll() is None:
            run.kill()
        for pid in _children(run.pid):
            os.kill(pid, signal.SIGKILL)

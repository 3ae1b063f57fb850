"""A crash mid-file loses nothing and duplicates nothing: kill -9 the ingest, rerun, count."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from pmanalytics.config import parse_config
from pmanalytics.ingest import ingest_files
from pmanalytics.warehouse import connect

N_LINES = 400_000

_INGEST = """
import sys
from pmanalytics.config import parse_config
from pmanalytics.ingest import ingest_files
from pmanalytics.warehouse import connect
con = connect(sys.argv[1])
ingest_files(con, "events", [sys.argv[2]], config=parse_config({}))  # small file first
print("first-file-committed", flush=True)
ingest_files(con, "events", [sys.argv[3]], config=parse_config({}))
print("done", flush=True)
"""


def _write_events(path: Path, n: int, prefix: str) -> None:
    with path.open("w") as handle:
        for i in range(n):
            handle.write(
                json.dumps(
                    {
                        "type": "track",
                        "messageId": f"{prefix}{i}",
                        "userId": f"u{i % 997}",
                        "event": "Dashboard Loaded",
                        "timestamp": "2026-08-03T10:00:00Z",
                        "properties": {"duration_ms": i},
                    }
                )
                + "\n"
            )
        handle.write("{not json\n")  # one line for quarantine: it must not be duplicated either


def _counts(db: Path) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "select (select count(*) from raw.events), (select count(*) from quarantine.events),"
            " (select count(*) from meta.ingested_files)"
        ).fetchone()
    finally:
        con.close()


def test_sigkill_mid_file_then_rerun_gives_exact_counts(tmp_path: Path) -> None:
    small, big = tmp_path / "small.ndjson", tmp_path / "big.ndjson"
    _write_events(small, 10, "s")
    _write_events(big, N_LINES, "b")
    db = tmp_path / "w.duckdb"
    process = subprocess.Popen(
        [sys.executable, "-c", _INGEST, str(db), str(small), str(big)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "first-file-committed"
    time.sleep(1.0)  # well inside the big file's load (it takes several seconds)
    assert process.poll() is None, "the ingest finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    # the small file is there, whole; of the big one nothing at all
    assert _counts(db) == (10, 1, 1)

    con = connect(db)
    results = ingest_files(con, "events", [small, big], config=parse_config({}))
    assert [r.skipped for r in results] == [True, False]
    big_result = results[1]
    assert (
        big_result.rows_read,
        big_result.rows_loaded,
        big_result.rows_duplicate,
        big_result.rows_quarantined,
    ) == (N_LINES + 1, N_LINES, 0, 1)
    con.close()
    assert _counts(db) == (10 + N_LINES, 2, 2)

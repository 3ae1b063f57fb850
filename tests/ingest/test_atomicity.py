"""A crash mid-load loses nothing and duplicates nothing: kill -9 the ingest, rerun, count.

The killed call loads two files that share one transaction (together fewer rows than
loader.TRANSACTION_ROWS): neither may leave anything behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb

from pmanalytics.config import parse_config
from pmanalytics.ingest import ingest_files
from pmanalytics.ingest.loader import TRANSACTION_BYTES, TRANSACTION_ROWS
from pmanalytics.warehouse import connect

N_LINES = 150_000  # per big file

_INGEST = """
import sys
from pathlib import Path
from pmanalytics.config import parse_config
from pmanalytics.ingest import ingest_files, loader
from pmanalytics.warehouse import connect

load_file = loader.load_file
def announced(con, target, facts, *args):  # says which file it starts, then loads it
    print("loading", Path(facts.path).name, flush=True)
    return load_file(con, target, facts, *args)
loader.load_file = announced

con = connect(sys.argv[1])
ingest_files(con, "events", [sys.argv[2]], config=parse_config({}))  # small file first
print("first-file-committed", flush=True)
ingest_files(con, "events", sys.argv[3:], config=parse_config({}))
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


def test_sigkill_mid_load_then_rerun_gives_exact_counts(tmp_path: Path) -> None:
    small, big, bigger = (tmp_path / f"{n}.ndjson" for n in ("small", "big", "bigger"))
    _write_events(small, 10, "s")
    _write_events(big, N_LINES, "b")
    _write_events(bigger, N_LINES, "c")
    # the premise: the first big file does not fill a transaction, so both share one
    assert N_LINES < TRANSACTION_ROWS and big.stat().st_size < TRANSACTION_BYTES
    db = tmp_path / "w.duckdb"
    process = subprocess.Popen(
        [sys.executable, "-c", _INGEST, str(db), str(small), str(big), str(bigger)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines = iter(process.stdout.readline, "")
    assert [next(lines).strip() for _ in range(2)] == [
        "loading small.ndjson",
        "first-file-committed",
    ]
    assert next(lines).strip() == "loading big.ndjson"
    # the second big file starts: the first is loaded, in a transaction not yet committed
    assert next(lines).strip() == "loading bigger.ndjson"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    # the small file is there, whole; of the big ones nothing at all
    assert _counts(db) == (10, 1, 1)

    con = connect(db)
    results = ingest_files(con, "events", [small, big, bigger], config=parse_config({}))
    con.close()
    assert [r.skipped for r in results] == [True, False, False]
    assert [
        (r.rows_read, r.rows_loaded, r.rows_duplicate, r.rows_quarantined) for r in results[1:]
    ] == [(N_LINES + 1, N_LINES, 0, 1)] * 2
    assert _counts(db) == (10 + 2 * N_LINES, 3, 3)

"""Memory stays bounded whatever the size of a valid NDJSON file (issue #16, item 6).

The load runs in a child process with a small ``[warehouse] memory_limit``, so that its peak
RSS is its own; the file is well over the limit and its margin together, so holding the
file whole anywhere (Python, Arrow or DuckDB) would break the bound.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MEMORY_LIMIT_MB = 128  # DuckDB needs some room to parse 10 KB records two threads at a time
#: What the load may add to the process above DuckDB's limit: one block of lines in Arrow
#: (files.CHUNK_BYTES, with its copies), DuckDB's allocations outside its buffer pool, the
#: allocator's slack. Measured: 100–140 MB, the same for a 484 MB and an 871 MB file
#: (docs/reliability.md).
MARGIN_MB = 160
LINES = 50_000
PAD_BYTES = 10_000  # 50,000 lines of ~10 KB: a 484 MB file

_LOAD = """
import json, sys
from pathlib import Path
from pmanalytics.config import parse_config
from pmanalytics.ingest import ingest_files
from pmanalytics.warehouse import connect

def status(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024

con = connect(sys.argv[1], memory_limit=sys.argv[3])
before = status("VmRSS")
[result] = ingest_files(con, "events", [sys.argv[2]], config=parse_config({}))
print(json.dumps({"before": before, "peak": status("VmHWM"), "result": result.as_dict()}))
"""


def _write_big_file(path: Path) -> int:
    pad = "x" * PAD_BYTES
    with path.open("w") as handle:
        for i in range(LINES):
            record = {
                "type": "track",
                "messageId": f"m{i}",
                "userId": f"u{i % 1000}",
                "event": "Report Exported",
                "timestamp": "2026-08-03T10:00:00Z",
                "properties": {"pad": pad},
            }
            handle.write(json.dumps(record) + "\n")
        handle.write("{broken\n")  # one line for quarantine, at the very end
    return path.stat().st_size


@pytest.mark.slow
def test_a_file_many_times_the_memory_limit_loads_within_limit_plus_margin(
    tmp_path: Path,
) -> None:
    size_mb = _write_big_file(tmp_path / "big.ndjson") / 2**20
    assert size_mb > 1.5 * (MEMORY_LIMIT_MB + MARGIN_MB)  # holding it whole would show
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _LOAD,
            str(tmp_path / "w.duckdb"),
            str(tmp_path / "big.ndjson"),
            f"{MEMORY_LIMIT_MB}MB",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    result = report["result"]
    assert (result["rows_read"], result["rows_loaded"], result["rows_quarantined"]) == (
        LINES + 1,
        LINES,
        1,
    )
    grown = report["peak"] - report["before"]
    assert grown <= MEMORY_LIMIT_MB + MARGIN_MB, (
        f"a {size_mb:.0f} MB file grew the process by {grown:.0f} MB"
    )

"""Where ingest spends its time: CPU per SQL statement of one `ingest_files` call.

    .venv/bin/python -m benchmarks.ingest_profile DATA/events [--db PATH] [--top 14]

Every statement the ingest sends through the connection is timed by CPU time (user +
system, all threads: on a shared machine it moves far less than wall time), grouped by
the statement's first 70 characters. The gzip read and line split run in a thread of their
own, inside the staging statement's time. Prints the wall and CPU totals, then the
statements by CPU.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb


class _TimedConnection:
    """A connection that adds the CPU time of each ``execute`` to ``seconds``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: Counter[str]) -> None:
        self._con = con
        self._seconds = seconds

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        result = self._con.execute(sql, *args, **kwargs)
        self._seconds[re.sub(r"\s+", " ", sql.strip())[:70]] += time.process_time() - started
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", type=Path, help="a folder of *.ndjson.gz event files")
    parser.add_argument("--db", type=Path, help="warehouse to create (default: a temp file)")
    parser.add_argument("--top", type=int, default=14)
    args = parser.parse_args()

    from pmanalytics.config import parse_config
    from pmanalytics.ingest import ingest_files
    from pmanalytics.warehouse import open_warehouse

    db = args.db or Path(tempfile.mkdtemp(prefix="pma-profile-")) / "w.duckdb"
    config = parse_config({})
    con = open_warehouse(db, config)
    files = sorted(str(p) for p in args.events.glob("*.ndjson.gz"))
    seconds: Counter[str] = Counter()
    started, cpu_started = time.perf_counter(), time.process_time()
    results = ingest_files(_TimedConnection(con, seconds), "events", files, config=config)  # type: ignore[arg-type]
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    con.close()
    rows = sum(r.rows_read for r in results)
    print(f"{len(files)} files, {rows:,} rows: wall {wall:.2f} s, CPU {cpu:.2f} s")
    for statement, spent in seconds.most_common(args.top):
        print(f"{spent:7.2f} s  {100 * spent / cpu:5.1f} %  {statement}")


if __name__ == "__main__":
    main()

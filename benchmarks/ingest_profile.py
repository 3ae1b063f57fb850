"""Where ingest spends its time: wall and CPU per SQL statement of one `ingest_files` call.

    .venv/bin/python -m benchmarks.ingest_profile DATA/events [--db PATH] [--top 14]

Every statement the ingest sends, through the connection or the stager's cursor, is timed,
grouped by the statement's first 70 characters. The gzip read and line split run in a thread
of their own, inside the staging statement's time. The stager stages the next files while
the loader writes (`pmanalytics/ingest/stager.py`), so the statements of the two overlap:
their wall times add up to more than the load's, and a statement's CPU time (the process's,
user + system, all threads) includes what the other side did meanwhile. Prints the wall and
CPU totals, then the statements by wall time.
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

_STAGED = re.compile(r"pma_stage_[0-9a-f]{32}")  # one staging database per file: one line


class _TimedConnection:
    """A connection that adds the wall and CPU time of each ``execute`` to ``seconds``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: Counter[tuple[str, str]]) -> None:
        self._con = con
        self._seconds = seconds

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = self._con.execute(sql, *args, **kwargs)
        statement = re.sub(r"\s+", " ", _STAGED.sub("pma_stage_*", sql.strip()))[:70]
        self._seconds["wall", statement] += time.perf_counter() - wall
        self._seconds["cpu", statement] += time.process_time() - cpu
        return result

    def cursor(self) -> _TimedConnection:
        return _TimedConnection(self._con.cursor(), self._seconds)

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
    seconds: Counter[tuple[str, str]] = Counter()
    started, cpu_started = time.perf_counter(), time.process_time()
    results = ingest_files(_TimedConnection(con, seconds), "events", files, config=config)  # type: ignore[arg-type]
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    con.close()
    rows = sum(r.rows_read for r in results)
    print(f"{len(files)} files, {rows:,} rows: wall {wall:.2f} s, CPU {cpu:.2f} s")
    print("   wall      CPU  statement")
    by_wall = Counter({s: t for (kind, s), t in seconds.items() if kind == "wall"})
    for statement, spent in by_wall.most_common(args.top):
        print(f"{spent:7.2f} s {seconds['cpu', statement]:7.2f} s  {statement}")


if __name__ == "__main__":
    main()

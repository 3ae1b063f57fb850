"""Cost of validating a large events batch, against the same checks as bare DuckDB SQL.

    .venv/bin/python -m benchmarks.validate --rows 1000000 10000000 --history-rows 1000000 --runs 3

For each ``--rows``, builds a throwaway warehouse whose staging.events holds an earlier load
of ``--history-rows`` plus the batch of ``--rows`` events, then times
:func:`pmanalytics.quality.validate` on the batch (the GX import excluded and reported apart)
two ways in the same process: as it runs (row-level checks counted in DuckDB, judged by GX)
and with ``pushdown=False`` (GX scans pandas frames of the rows, the way before); and the
floor: the row-level events checks written as one DuckDB aggregate query (no GX, no results
table, no Data Docs). Reports medians, ratios and peak memory (RSS) after each way (the SQL
way runs first, so its peak is its own).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from benchmarks.common import interpreter, machine, median, peak_rss_mb, write_section
from pmanalytics.config import parse_config
from pmanalytics.warehouse import connect

COMMAND = f"{interpreter()} -m benchmarks.validate"

#: The row-level events checks of the GX suite, as bare SQL over the same batch.
_FLOOR = """
    select
        count(*) filter (where event_id is null),
        count(*) - count(distinct event_id),
        count(*) filter (where user_id is null),
        count(*) filter (where event is null or length(event) not between 1 and 200),
        count(*) filter (where occurred_at is null or occurred_at > $latest
                         or occurred_at < $earliest),
        avg(case when is_identified then 0 else 1 end),
        max(occurred_at)
    from staging.events
    where load_id = 'batch'
"""
NOW = datetime(2026, 3, 2, 12, 0, 0)

_EVENTS = """
    insert into staging.events
    select
        $load_id || '-' || i as event_id,
        'u' || (i % 50000) as user_id,
        null as anonymous_id,
        ['Open', 'Search', 'Report Exported', 'Page Viewed', 'Invite Sent'][1 + i % 5] as event,
        'track' as event_type,
        $end - to_seconds(hash(i) % 2592000) as occurred_at,
        null as session_id, null::json as properties, null::json as context,
        hash(i * 7) % 10 <> 0 as is_identified,
        'bench.ndjson' as source_file,
        $load_id as load_id
    from range($n) as t(i)
"""


def build(con: duckdb.DuckDBPyConnection, rows: int, history_rows: int) -> None:
    con.execute(
        "create or replace table staging.events (event_id varchar, user_id varchar, "
        "anonymous_id varchar, event varchar, event_type varchar, occurred_at timestamp, "
        "session_id varchar, properties json, context json, is_identified boolean, "
        "source_file varchar, load_id varchar)"
    )
    con.execute(
        "create or replace table staging.identity_map (alias_id varchar, "
        "user_id varchar, link_type varchar, linked_at timestamp)"
    )
    for load_id, n, end in (("hist", history_rows, NOW - timedelta(days=30)), ("batch", rows, NOW)):
        con.execute(_EVENTS, {"load_id": load_id, "n": n, "end": end})
        con.execute(
            "insert into meta.ingested_files values (?, 'app', 'events', 'bench.ndjson', 'sha', "
            "1, ?, ?, 0, 0, ?, ?)",
            [load_id, n, n, end, end],
        )
    con.execute(
        "insert into raw.events (event_id, event_type, user_id, event, occurred_at, source_file,"
        " row_number, load_id, ingested_at) select event_id, event_type, user_id, event, "
        "occurred_at, source_file, 1, load_id, now() from staging.events"
    )
    con.execute(
        "create or replace table staging.users as "
        "select distinct user_id, true as is_identified from staging.events"
    )
    con.execute(
        "create or replace table staging.survey_responses (response_id varchar, "
        "user_id varchar, metric varchar, score double, submitted_at timestamp, "
        "comment varchar, load_id varchar)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--history-rows", type=int, default=1_000_000)
    parser.add_argument("--docs", action="store_true", help="also write the Data Docs")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print, don't update the docs")
    args = parser.parse_args()

    import_seconds = 0.0
    lines = []
    for rows in args.rows:
        line, import_seconds = _measure(rows, args, import_seconds)
        lines.append(line)
    sizes = " ".join(str(r) for r in args.rows)
    table = "\n".join(
        [
            "## Validation cost (Great Expectations on one ingested batch)",
            "",
            f"Command: `{COMMAND} --rows {sizes} --history-rows {args.history_rows} "
            f"--runs {args.runs}`  ",
            f"Machine: {machine()}  ",
            f"Median of {args.runs} runs in one process per size; the GX import "
            f"({import_seconds:.1f} s, once per process) is excluded; load average "
            f"{_load()} at the end. *validate()* counts the row-level checks in DuckDB and "
            "GX judges the counts (`pushdown.py`); *GX on pandas* is `validate(pushdown="
            "False)`, GX scanning pandas frames of the rows (the way before). *Floor* is "
            "the same row-level events checks as one DuckDB aggregate query: no GX, no "
            "results rows, no Data Docs.",
            "",
            "| batch rows | warehouse rows | validate() (s) | GX on pandas (s) | floor SQL (s) "
            "| validate() ÷ floor | peak RSS: start → after validate() → after pandas (MB) |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            *lines,
        ]
    )
    print(table)
    if not args.no_write:
        write_section("validate", table)
    return 0


def _load() -> str:
    return ", ".join(f"{v:.1f}" for v in os.getloadavg())


def _measure(rows: int, args: argparse.Namespace, import_seconds: float) -> tuple[str, float]:
    """One table line: both ways and the floor on a fresh warehouse of ``rows`` + history."""
    with tempfile.TemporaryDirectory() as folder:
        con = connect(Path(folder) / "bench.duckdb")
        started = time.perf_counter()
        build(con, rows, args.history_rows)
        print(
            f"built warehouse: {args.history_rows:,} + {rows:,} events "
            f"in {time.perf_counter() - started:.1f}s"
        )
        if not import_seconds:
            started = time.perf_counter()
            import great_expectations  # noqa: F401 - timed apart: paid once per process

            import_seconds = time.perf_counter() - started
            print(f"import great_expectations: {import_seconds:.1f}s")
        from pmanalytics.quality import validate

        def run(run_id: str, *, pushdown: bool) -> float:
            started = time.perf_counter()
            report = validate(
                con,
                parse_config({}),
                run_id=run_id,
                load_ids=["batch"],
                now=NOW,
                data_docs_dir=Path(folder) / "docs" if args.docs else None,
                pushdown=pushdown,
            )
            seconds = time.perf_counter() - started
            print(f"{run_id}: {seconds:.2f}s; " + "; ".join(report.summary_lines()))
            return seconds

        rss_start = peak_rss_mb()
        ours = [run(f"sql-{i}", pushdown=True) for i in range(args.runs)]
        rss_ours = peak_rss_mb()
        pandas = [run(f"pandas-{i}", pushdown=False) for i in range(args.runs)]
        rss_pandas = peak_rss_mb()
        floor = []
        for _ in range(args.runs):
            started = time.perf_counter()
            con.execute(
                _FLOOR, {"latest": NOW + timedelta(days=1), "earliest": datetime(2000, 1, 1)}
            ).fetchall()
            floor.append(time.perf_counter() - started)
        con.close()
    line = (
        f"| {rows:,} | {rows + args.history_rows:,} | {median(ours):.2f} | "
        f"{median(pandas):.2f} | {median(floor):.3f} | {median(ours) / median(floor):.1f}× | "
        f"{rss_start:,.0f} → {rss_ours:,.0f} → {rss_pandas:,.0f} |"
    )
    return line, import_seconds


if __name__ == "__main__":
    sys.exit(main())

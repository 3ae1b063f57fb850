"""Cost of validating a large events batch (not collected by pytest: run it directly).

    .venv/bin/python tests/quality/benchmark_validate.py --rows 1000000 --history-rows 1000000

Builds a throwaway warehouse whose staging.events holds an earlier load of ``--history-rows``
plus the batch of ``--rows`` events, then times :func:`pmanalytics.quality.validate` on the
batch (GX import excluded and reported apart) and reports peak memory (RSS).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from pmanalytics.config import parse_config
from pmanalytics.warehouse import connect

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
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--history-rows", type=int, default=1_000_000)
    parser.add_argument("--docs", action="store_true", help="also write the Data Docs")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        con = connect(Path(folder) / "bench.duckdb")
        started = time.perf_counter()
        build(con, args.rows, args.history_rows)
        print(
            f"built warehouse: {args.history_rows:,} + {args.rows:,} events "
            f"in {time.perf_counter() - started:.1f}s"
        )

        started = time.perf_counter()
        import great_expectations  # noqa: F401 - timed apart: paid once per process

        print(f"import great_expectations: {time.perf_counter() - started:.1f}s")
        from pmanalytics.quality import validate

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        report = validate(
            con,
            parse_config({}),
            run_id="bench",
            load_ids=["batch"],
            now=NOW,
            data_docs_dir=Path(folder) / "docs" if args.docs else None,
        )
        seconds = time.perf_counter() - started
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for line in report.summary_lines():
            print(line)
        print(
            f"validate(): {seconds:.2f}s for a {args.rows:,}-row events batch "
            f"(peak RSS {rss_before:,.0f} MB before, {rss_after:,.0f} MB after)"
        )
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

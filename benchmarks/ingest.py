"""Ingest throughput: our `ingest events` against DuckDB's bare `read_json` on the same files.

    .venv/bin/python -m benchmarks.ingest                 # 1M and 10M events, 3 runs each
    .venv/bin/python -m benchmarks.ingest --sizes 1000000 --runs 3

Data comes from the sample generator (daily gzip NDJSON files). The baseline is the floor:
``create table as select * from read_json(<the same files>)`` with no deduplication,
identity checks, quarantine or accounting.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.common import interpreter, machine, median, run_worker, worker_report, write_section

#: (users, days) that give about the named number of events with the sample generator.
SIZES = {1_000_000: (12_500, 60), 10_000_000: (100_000, 75)}
COMMAND = f"{interpreter()} -m benchmarks.ingest"
BASELINE_NOTE = (
    "*Bare* is DuckDB's `create table as select * from read_json(files, ignore_errors = true)` "
    "on the same files, with DuckDB's default settings: "
    "no dedupe, identity checks, quarantine or accounting. *Ours* opens the warehouse as the "
    "CLI does, with the default `[warehouse] memory_limit` (1 GB)."
)


def _worker(mode: str, data_dir: str, db: str) -> None:
    files = sorted(str(p) for p in Path(data_dir, "events").glob("*.ndjson.gz"))
    if mode == "ours":
        from pmanalytics.config import parse_config
        from pmanalytics.ingest import ingest_files
        from pmanalytics.warehouse import open_warehouse

        config = parse_config({})
        con = open_warehouse(db, config)  # as the CLI opens it: [warehouse] memory_limit 1GB
        started, cpu_started = time.perf_counter(), time.process_time()
        results = ingest_files(con, "events", files, config=config)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        rows = sum(r.rows_read for r in results)
    else:
        import duckdb

        con = duckdb.connect(db)
        started, cpu_started = time.perf_counter(), time.process_time()
        con.execute(
            "create table events as select * from read_json(?, ignore_errors = true)", [files]
        )
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        rows = con.execute("select count(*) from events").fetchone()[0]
    con.close()
    worker_report(seconds, rows, cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", nargs=3, metavar=("MODE", "DATA", "DB"))
    parser.add_argument("--sizes", nargs="+", type=int, default=sorted(SIZES))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print, don't update the docs")
    args = parser.parse_args()
    if args.worker:
        _worker(*args.worker)
        return

    from pmanalytics.sample import generate_sample

    rows_md = []
    for size in args.sizes:
        users, days = SIZES.get(size, (max(size // 90, 10), 90))
        work = Path(tempfile.mkdtemp(prefix="pma-bench-"))
        try:
            started = time.perf_counter()
            summary = generate_sample(work / "data", users=users, days=days, seed=1)
            generated = time.perf_counter() - started
            print(
                f"{size:,}: generated {summary.n_events:,} events in {generated:.0f}s", flush=True
            )
            ours, bare = [], []
            load_before = os.getloadavg()[0]
            for run in range(args.runs):
                for mode, bucket in (("ours", ours), ("bare", bare)):
                    db = work / f"{mode}-{run}.duckdb"
                    bucket.append(
                        run_worker("benchmarks.ingest", mode, str(work / "data"), str(db))
                    )
                    db.unlink()
                    print(f"  run {run + 1} {mode}: {bucket[-1]}", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        load = f"{load_before:.1f} → {os.getloadavg()[0]:.1f}"
        ours_s, bare_s = median([m.seconds for m in ours]), median([m.seconds for m in bare])
        ours_cpu = median([m.cpu_seconds or 0.0 for m in ours])
        bare_cpu = median([m.cpu_seconds or 0.0 for m in bare])
        rows = ours[0].rows
        rows_md.append(
            f"| {rows:,} | {ours_s:.1f} | {rows / ours_s:,.0f} | "
            f"{median([m.max_rss_mb for m in ours]):,.0f} | {bare_s:.1f} | "
            f"{median([m.max_rss_mb for m in bare]):,.0f} | {ours_s / bare_s:.2f}× | "
            f"{ours_cpu:.1f} | {bare_cpu:.1f} | {ours_cpu / bare_cpu:.2f}× | {load} |"
        )
    table = "\n".join(
        [
            "## Ingest throughput (events)",
            "",
            f"Command: `{COMMAND} --sizes {' '.join(map(str, args.sizes))} --runs {args.runs}`  ",
            f"Machine: {machine()}  ",
            f"Median of {args.runs} runs, each in a fresh process and a fresh warehouse file; "
            "the files are the sample generator's daily gzip NDJSON. *CPU* is the user + "
            "system time of the load itself, all threads (`time.process_time`): on a shared "
            "machine it moves far less than wall time with other work; the load average is "
            "the machine's at the start and the end of the size's runs.",
            BASELINE_NOTE,
            "",
            "| events | ours (s) | ours rows/s | ours peak RSS (MB) | bare read_json (s) | "
            "bare peak RSS (MB) | ours ÷ bare | ours CPU (s) | bare CPU (s) | CPU ÷ | "
            "load average |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
            *rows_md,
        ]
    )
    print(table)
    if not args.no_write:
        write_section("ingest", table)


if __name__ == "__main__":
    main()

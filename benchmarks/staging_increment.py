"""The +1 day staging step: ``staging.events`` kept by load against a full rebuild, same code.

Prepares (once) a warehouse from a ``benchmarks.pipeline`` data set with its last day held
back, stages it, ingests the held-back day; then, on fresh copies of that warehouse, times
``pmanalytics.pipeline.build_staging`` as a scheduled run does it (incremental) and with the
incremental state removed (a full rebuild: the same-run baseline), interleaved, ``--runs``
times each. ``--check`` also compares the kept table with the model run from scratch.

    .venv/bin/python -m benchmarks.staging_increment benchmarks/out/pipeline/10M /tmp/incstg/bench
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from benchmarks.common import copy_warehouse
from pmanalytics.config import Config, parse_config
from pmanalytics.ingest import ingest_sources
from pmanalytics.pipeline import build_staging
from pmanalytics.warehouse import discover_models, open_warehouse


def _config(data: Path, work: Path, *, with_increment: bool) -> Config:
    """The sample project's config on ``data``: events of ``events/`` (and ``increment/``)."""
    events = "**/events-*.ndjson.gz" if with_increment else "events/*.ndjson.gz"
    source = {"kind": "events", "name": "product_events", "path": str(data / events)}
    return parse_config(
        {
            "warehouse": {"path": str(work / "warehouse.duckdb")},
            "sources": [
                {"name": "crm_users", "kind": "users", "path": str(data / "users.csv")},
                source,
                {"name": "surveys", "kind": "surveys", "path": str(data / "surveys.csv")},
            ],
        },
        base_dir=work,
    )


def prepare(data: Path, work: Path) -> Path:
    """``work/increment.duckdb``: staged without the last day, then that day ingested."""
    prepared = work / "increment.duckdb"
    if prepared.exists():
        return prepared
    work.mkdir(parents=True, exist_ok=True)
    db = work / "warehouse.duckdb"
    for with_increment in (False, True):
        config = _config(data, work, with_increment=with_increment)
        con = open_warehouse(db, config)
        ingest_sources(con, config)
        if not with_increment:
            build_staging(con, config)
        con.execute("checkpoint")
        con.close()
    db.rename(prepared)
    return prepared


def time_step(prepared: Path, work: Path, config: Config, *, full: bool) -> tuple[float, str]:
    """Seconds of ``build_staging`` on a fresh copy, and how ``staging.events`` was built."""
    copy = work / "run.duckdb"
    copy_warehouse(prepared, copy)
    con = open_warehouse(copy, config)
    if full:
        con.execute("delete from meta.model_state")  # no record: the runner rebuilds
    started = time.perf_counter()
    runs = build_staging(con, config)
    seconds = time.perf_counter() - started
    con.close()
    return seconds, next(r.detail for r in runs if r.key == "staging.events")


def check(work: Path, config: Config) -> tuple[int, int]:
    """Rows only in the kept ``staging.events`` and only in a from-scratch run of its SQL."""
    events = next(m for m in discover_models(layers=("staging",)) if m.name == "events")
    con = open_warehouse(work / "run.duckdb", config, read_only=True)
    # the model's own SQL file, run over everything: the from-scratch rebuild
    query = " ".join(
        [
            "with scratch as (",
            events.sql,
            ") select",
            "(select count(*) from (select * from staging.events except all from scratch)),",
            "(select count(*) from (select * from scratch except all from staging.events))",
        ]
    )
    row = con.execute(query).fetchone()
    con.close()
    return (row[0], row[1]) if row else (0, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="a benchmarks.pipeline size folder")
    parser.add_argument("work", type=Path, help="a scratch folder for the warehouses")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--check", action="store_true", help="compare with a full rebuild")
    args = parser.parse_args()
    data = args.dataset / "data" / "sample"
    prepared = prepare(data, args.work)
    config = _config(data, args.work, with_increment=True)
    figures: dict[str, list[float]] = {"full rebuild": [], "incremental": []}
    for _ in range(args.runs):
        for label, full in (("full rebuild", True), ("incremental", False)):
            seconds, detail = time_step(prepared, args.work, config, full=full)
            figures[label].append(seconds)
            print(f"{label}: {seconds:.2f} s ({detail})", flush=True)
    for label, values in figures.items():
        runs = ", ".join(f"{v:.1f}" for v in values)
        print(f"{label}: median {statistics.median(values):.1f} s ({runs})")
    if args.check:
        kept_only, scratch_only = check(args.work, config)
        print(f"rows only in the kept table: {kept_only}, only in the rebuild: {scratch_only}")


if __name__ == "__main__":
    main()

"""Marts build time: our SQL KPI models against a straightforward pandas implementation.

    .venv/bin/python -m benchmarks.marts                       # 1M and 10M events, 3 runs each
    .venv/bin/python -m benchmarks.marts --sizes 1000000 --runs 3
    .venv/bin/python -m benchmarks.marts --keep /tmp/pma-marts  # keep (and reuse) the data

Data comes from the sample generator with ``pmanalytics.toml`` (its funnel, features and
activation event). Each size is generated and ingested into a warehouse once (ingest and the
staging models are not timed here: see ``benchmarks.ingest``); then, ``--runs`` times each,
in a fresh child process on a fresh copy of that warehouse:

* **ours**: ``run_models`` over every ``sql/intermediate`` and ``sql/marts`` model, timed per
  model (its own ``ModelRun.seconds``) and as a whole;
* **pandas**: ``benchmarks.pandas_kpis`` — the same KPI tables computed the way a notebook
  would, from ``staging.events`` / ``staging.users`` / ``staging.survey_responses`` read into
  pandas in the same process. Its time is the computation; reading the tables into pandas is
  reported separately.

Peak RSS is the child process's own (``ru_maxrss``). A pandas size can be skipped with
``--pandas-sizes`` (a baseline that takes many minutes is then reported as not run).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import (
    REPO,
    Measurement,
    copy_warehouse,
    interpreter,
    machine,
    median,
    run_worker,
    worker_report,
    write_section,
)
from pmanalytics.config import Config

#: (users, days) that give about the named number of events with the sample generator.
SIZES = {1_000_000: (12_500, 60), 10_000_000: (100_000, 75)}
COMMAND = f"{interpreter()} -m benchmarks.marts"
CONFIG = REPO / "pmanalytics.toml"


def sample_config(work: Path) -> Config:
    """pmanalytics.toml with its sources pointing at ``work/data/sample``."""
    from pmanalytics.config import parse_config

    data = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    data["warehouse"] = {"path": str(work / "warehouse.duckdb")}
    return parse_config(data, base_dir=work, origin=str(CONFIG))


# --------------------------------------------------------------------------- workers


def _prepare(work: str, db: str) -> None:
    """Ingest every source of the sample into a fresh warehouse and build staging."""
    from pmanalytics.ingest import ingest_sources
    from pmanalytics.warehouse import connect, discover_models, run_models, write_config_tables

    config = sample_config(Path(work))
    con = connect(db)
    started = time.perf_counter()
    ingest_sources(con, config)
    write_config_tables(con, config)
    run_models(con, discover_models(layers=("staging",)))
    seconds = time.perf_counter() - started
    rows = con.execute("select count(*) from staging.events").fetchone()[0]
    con.execute("checkpoint")
    con.close()
    worker_report(seconds, rows)


#: The dense synthetic workload: every user active on most days (the shape that makes
#: retention's period pairs and funnels with repeated step-1 events expensive). Generated in
#: DuckDB straight into the staging tables, deterministic (hash-based, no RNG state).
DENSE_USERS, DENSE_DAYS = 100_000, 90
DENSE_SQL = """
create or replace table staging.events as
with
people as (
    select range as u, 0.5 + (hash(range, 'p') % 1000) / 2000.0 as p from range($users)
),
user_days as (
    select u, d from people cross join range($days) as t (d)
    where (hash(u, d, 'a') % 10000) / 10000.0 < p
),
raw as (
    select u, d, k, hash(u, d, k, 'e') % 100 as pick from user_days cross join range(2) as t (k)
    where k = 0 or hash(u, d, 'n') % 2 = 1
)
select * from staging.events where false
union all by name
select
    'dense-' || u || '-' || d || '-' || k as event_id,
    'user_' || lpad(cast(u as varchar), 6, '0') as user_id,
    case
        when pick < 10 then 'Signed Up'
        when pick < 25 then 'Project Created'
        when pick < 40 then 'Dashboard Created'
        when pick < 50 then 'Teammate Invited'
        when pick < 70 then 'Dashboard Loaded'
        when pick < 80 then 'Report Exported'
        when pick < 90 then 'Page Viewed'
        when pick < 95 then 'Alert Created'
        else 'Integration Connected'
    end as event,
    case when pick >= 80 and pick < 90 then 'page' else 'track' end as event_type,
    timestamp '2026-01-01' + to_days(cast(d as integer))
        + to_seconds(cast(hash(u, d, k, 't') % 86400 as bigint)) as occurred_at,
    true as is_identified,
    'dense' as source_file
from raw;

create or replace table staging.users as
select * from staging.users where false
union all by name
select
    user_id,
    min(occurred_at) as first_seen_at,
    max(occurred_at) as last_seen_at,
    min(occurred_at) as first_event_at,
    cast('{}' as json) as traits,
    true as is_identified,
    count(*) as count_events
from staging.events
group by user_id;

delete from staging.survey_responses;
"""


def _prepare_dense(work: str, db: str) -> None:
    """A tiny sample ingested for the schemas, then the staging tables replaced by dense data."""
    from pmanalytics.warehouse import connect

    _prepare_quiet(work, db)
    con = connect(db)
    started = time.perf_counter()
    sql = DENSE_SQL.replace("$users", str(DENSE_USERS)).replace("$days", str(DENSE_DAYS))
    con.execute(sql)
    seconds = time.perf_counter() - started
    rows = con.execute("select count(*) from staging.events").fetchone()[0]
    con.execute("checkpoint")
    con.close()
    worker_report(seconds, rows)


def _prepare_quiet(work: str, db: str) -> None:
    from pmanalytics.ingest import ingest_sources
    from pmanalytics.warehouse import connect, discover_models, run_models, write_config_tables

    config = sample_config(Path(work))
    con = connect(db)
    ingest_sources(con, config)
    write_config_tables(con, config)
    run_models(con, discover_models(layers=("staging",)))
    con.close()


def _ours(work: str, db: str, out: str, sql_root: str = "") -> None:
    from pmanalytics.warehouse import connect, discover_models, run_models, write_config_tables

    con = connect(db)
    write_config_tables(con, sample_config(Path(work)))
    models = discover_models(Path(sql_root) if sql_root else None, layers=("intermediate", "marts"))
    started = time.perf_counter()
    runs = run_models(con, models)
    seconds = time.perf_counter() - started
    events = con.execute("select count(*) from staging.events").fetchone()[0]
    con.close()
    Path(out).write_text(json.dumps({r.key.split(".", 1)[1]: r.seconds for r in runs}))
    worker_report(seconds, events)


def _pandas(work: str, db: str, out: str) -> None:
    from benchmarks.pandas_kpis import compute_all, load

    config = sample_config(Path(work))
    started = time.perf_counter()
    frames = load(db)
    loaded = time.perf_counter() - started
    events = len(frames["events"])
    _tables, timings = compute_all(frames, config)
    seconds = sum(timings.values())
    Path(out).write_text(json.dumps({**timings, "_load": loaded}))
    worker_report(seconds, events)


# --------------------------------------------------------------------------- harness


def measure(
    mode: str, work: Path, base_db: Path, run: int, *extra: str
) -> tuple[Measurement, dict[str, float]]:
    """One marts worker (``ours``, ``before``, ``pandas``) on a fresh copy of ``base_db``."""
    db = work / f"{mode}-{run}.duckdb"
    copy_warehouse(base_db, db)
    out = work / f"{mode}-{run}.json"
    try:
        measurement = run_worker("benchmarks.marts", mode, str(work), str(db), str(out), *extra)
        per_table = json.loads(out.read_text())
    finally:
        db.unlink(missing_ok=True)
        Path(str(db) + ".wal").unlink(missing_ok=True)
    return measurement, per_table


def _fmt(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.2f}"


@dataclass
class Workload:
    label: str
    kind: str  # "sample" | "dense"
    size: int
    runs: dict[str, list[Measurement]] = field(default_factory=dict)
    tables: dict[str, list[dict[str, float]]] = field(default_factory=dict)


def _prepare_workload(w: Workload, work: Path) -> Path:
    from pmanalytics.sample import generate_sample

    base_db = work / "base.duckdb"
    if base_db.exists():
        return base_db
    started = time.perf_counter()
    if w.kind == "dense":
        generate_sample(work / "data" / "sample", users=20, days=1, seed=1)
        prep = run_worker("benchmarks.marts", "prepare-dense", str(work), str(base_db))
    else:
        users, days = SIZES.get(w.size, (max(w.size // 90, 10), 90))
        summary = generate_sample(work / "data" / "sample", users=users, days=days, seed=1)
        print(f"{w.label}: generated {summary.n_events:,} events", flush=True)
        prep = run_worker("benchmarks.marts", "prepare", str(work), str(base_db))
    print(
        f"{w.label}: {prep.rows:,} staged events ready in {time.perf_counter() - started:.0f}s",
        flush=True,
    )
    return base_db


def _export_models(rev: str, into: Path) -> Path:
    """The sql/ folder of a git revision (the models before a change), for --before."""
    archive = subprocess.run(
        ["git", "archive", rev, "sql"], cwd=REPO, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "sql"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", nargs="+", metavar="ARG")
    parser.add_argument("--sizes", nargs="*", type=int, default=sorted(SIZES))
    parser.add_argument(
        "--dense",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=f"also run the dense synthetic workload ({DENSE_USERS:,} users × {DENSE_DAYS} days)",
    )
    parser.add_argument(
        "--pandas-skip",
        nargs="*",
        default=[],
        metavar="LABEL",
        help="workloads (e.g. 10M-dense) on which not to run the pandas baseline",
    )
    parser.add_argument("--before", metavar="GIT_REV", help="also time the models of this revision")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate into (and reuse) this folder")
    parser.add_argument("--no-write", action="store_true", help="print, don't update the docs")
    args = parser.parse_args()
    if args.worker:
        mode, *rest = args.worker
        workers = {
            "prepare": _prepare,
            "prepare-dense": _prepare_dense,
            "ours": _ours,
            "before": _ours,
            "pandas": _pandas,
        }
        workers[mode](*rest)
        return

    workloads = [Workload(f"{size / 1e6:g}M", "sample", size) for size in args.sizes]
    if args.dense:
        workloads.append(Workload("10M-dense", "dense", 10_000_000))
    scratch = Path(tempfile.mkdtemp(prefix="pma-bench-marts-"))
    before_root = _export_models(args.before, scratch) if args.before else None
    try:
        for w in workloads:
            work = (args.keep or scratch) / w.label
            work.mkdir(parents=True, exist_ok=True)
            base_db = _prepare_workload(w, work)
            modes = ["ours"]
            if before_root:
                modes.append("before")
            if w.label not in args.pandas_skip:
                modes.append("pandas")
            for run in range(args.runs):
                for mode in modes:
                    extra = (str(before_root),) if mode == "before" else ()
                    m, t = measure(mode, work, base_db, run, *extra)
                    w.runs.setdefault(mode, []).append(m)
                    w.tables.setdefault(mode, []).append(t)
                    print(f"  {w.label} run {run + 1} {mode}: {m}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    markdown = _report(workloads, args)
    print(markdown)
    if not args.no_write:
        write_section("marts", markdown)


def _per_table(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: median([r[k] for r in runs]) for k in runs[0] if not k.startswith("_")}


def _command(args: argparse.Namespace) -> str:
    parts = [COMMAND, "--sizes", *map(str, args.sizes), "--runs", str(args.runs)]
    if not args.dense:
        parts.append("--no-dense")
    if args.pandas_skip:
        parts += ["--pandas-skip", *args.pandas_skip]
    if args.before:
        parts += ["--before", args.before]
    return " ".join(parts)


def _report(workloads: list[Workload], args: argparse.Namespace) -> str:
    lines = [
        "## Marts build (KPI tables) against pandas",
        "",
        f"Command: `{_command(args)}`  ",
        f"Machine: {machine()}  ",
        f"Median of {args.runs} runs, each in a fresh process on a fresh copy of a warehouse "
        "(ingested and staged once per workload, not timed here; the copy written to disk before "
        "the timed run). Workloads: *1M* and *10M* are "
        "the sample generator with `pmanalytics.toml` (1M: 12,500 users × 60 days; 10M: "
        f"100,000 users × 75 days); *10M-dense* is synthetic, {DENSE_USERS:,} users each "
        f"active on 50–100% of {DENSE_DAYS} days with 1–2 events a day, 10% of them "
        "`Signed Up` (funnel step 1) — the shape where a user has many active days and many "
        "step-1 events.",
        "",
        "*Ours* is `run_models` over every `sql/intermediate` and `sql/marts` model (per-table "
        "times are each model's own `create table as`); *pandas* is "
        "`benchmarks/pandas_kpis.py`: the same eight KPI tables written the way a notebook "
        "would, from the staging tables read into pandas (the read is not counted in its "
        "total; *prep* is its shared local-day pass). "
        "`python -m benchmarks.pandas_kpis WAREHOUSE` checks that its tables equal ours."
        + (
            f" *Before* is the marts models of git revision `{args.before}` (before the "
            "rewrite), timed in the same run."
            if args.before
            else ""
        )
        + (
            f" The pandas baseline was not run on {', '.join(args.pandas_skip)} (`--pandas-skip`"
            "): its recurring daily retention merges each user's start days with their return "
            "days, ~225M rows on 10M-dense, more memory than this shared machine should give."
            if args.pandas_skip
            else ""
        ),
        "",
    ]
    header, rule = "| table |", "|---|"
    modes = [m for m in ("before", "ours", "pandas") if any(m in w.runs for w in workloads)]
    for w in workloads:
        for mode in modes:
            header += f" {mode} {w.label} (s) |"
            rule += "---:|"
    lines += [header, rule]
    per = {(w.label, m): _per_table(w.tables[m]) for w in workloads for m in w.tables}
    names = sorted({k for t in per.values() for k in t}, key=lambda n: (n.startswith("prep"), n))
    for name in names:
        row = f"| {name} |"
        for w in workloads:
            for mode in modes:
                row += f" {_fmt(per.get((w.label, mode), {}).get(name))} |"
        lines.append(row)
    lines += [
        "",
        "| workload | events | before (s) | ours (s) | ours peak RSS (MB) | pandas (s) | "
        "pandas read (s) | pandas peak RSS (MB) | pandas ÷ ours | before ÷ ours |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for w in workloads:
        ours = w.runs["ours"]
        ours_s = median([m.seconds for m in ours])
        cells = [w.label, f"{ours[0].rows:,}"]
        before = w.runs.get("before")
        before_s = median([m.seconds for m in before]) if before else None
        cells.append(_fmt(before_s))
        cells += [f"{ours_s:.2f}", f"{median([m.max_rss_mb for m in ours]):,.0f}"]
        pandas_runs = w.runs.get("pandas")
        if pandas_runs:
            p_s = median([m.seconds for m in pandas_runs])
            p_load = median([t["_load"] for t in w.tables["pandas"]])
            cells += [
                f"{p_s:.1f}",
                f"{p_load:.1f}",
                f"{median([m.max_rss_mb for m in pandas_runs]):,.0f}",
                f"{p_s / ours_s:.1f}×",
            ]
        else:
            cells += ["not run", "—", "—", "—"]
        cells.append(f"{before_s / ours_s:.1f}×" if before_s else "—")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()

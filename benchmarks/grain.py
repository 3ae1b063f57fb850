"""What the runner's grain check costs: the model build with and without it.

    .venv/bin/python -m benchmarks.grain                      # 1M events, 3 runs
    .venv/bin/python -m benchmarks.grain --sizes 1000000 --runs 3 --no-write

The sample generator's warehouse (as in ``benchmarks.marts``) is ingested once; then, ``--runs``
times, each in a fresh child process on a fresh copy of it, every model is built with
``run_models`` as a build does (staging, then intermediate and marts), once as declared
(*checked*) and once with the grains removed (*unchecked*). The unchecked worker then times
:func:`~pmanalytics.warehouse.check_grain` alone on the tables it built: the check's own cost,
which on a shared machine is steadier than the difference of two build times.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.common import (
    copy_warehouse,
    interpreter,
    machine,
    median,
    run_worker,
    worker_report,
    write_section,
)
from benchmarks.marts import Workload, _prepare_workload, sample_config

COMMAND = f"{interpreter()} -m benchmarks.grain"
MODES = ("checked", "unchecked")


def _build(mode: str, work: str, db: str, out: str) -> None:
    """Build every model on ``db``; ``unchecked`` drops the grains, then times the checks."""
    from pmanalytics.warehouse import (
        check_grain,
        connect,
        discover_models,
        run_models,
        write_config_tables,
    )

    con = connect(db)
    write_config_tables(con, sample_config(Path(work)))
    models = discover_models()
    declared = {m.key: m for m in models}
    if mode == "unchecked":
        models = [replace(m, grain=None) for m in models]
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    for layers in (("staging",), ("intermediate", "marts")):
        began = time.perf_counter()
        run_models(con, [m for m in models if m.layer in layers])
        seconds["+".join(layers)] = time.perf_counter() - began
    total = time.perf_counter() - started
    if mode == "unchecked":
        for layer in ("staging", "intermediate", "marts"):
            began = time.perf_counter()
            for model in declared.values():
                if model.layer == layer:
                    check_grain(con, model)
            seconds[f"check {layer}"] = time.perf_counter() - began
    events = con.execute("select count(*) from staging.events").fetchone()[0]
    con.close()
    Path(out).write_text(json.dumps(seconds))
    worker_report(total, events)


def _measure(mode: str, work: Path, base_db: Path, run: int) -> tuple[float, dict[str, float]]:
    db = work / f"grain-{mode}-{run}.duckdb"
    out = work / f"grain-{mode}-{run}.json"
    copy_warehouse(base_db, db)
    try:
        measurement = run_worker("benchmarks.grain", mode, str(work), str(db), str(out))
        return measurement.seconds, json.loads(out.read_text())
    finally:
        db.unlink(missing_ok=True)
        Path(str(db) + ".wal").unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", nargs="+", metavar="ARG")
    parser.add_argument("--sizes", nargs="*", type=int, default=[1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print, don't update the docs")
    args = parser.parse_args()
    if args.worker:
        mode, *rest = args.worker
        _build(mode, *rest)
        return
    scratch = Path(tempfile.mkdtemp(prefix="pma-bench-grain-"))
    rows: list[str] = []
    try:
        for size in args.sizes:
            w = Workload(f"{size / 1e6:g}M", "sample", size)
            work = scratch / w.label
            work.mkdir(parents=True)
            base_db = _prepare_workload(w, work)
            totals: dict[str, list[float]] = {m: [] for m in MODES}
            parts: dict[str, list[dict[str, float]]] = {m: [] for m in MODES}
            for run in range(args.runs):
                for mode in MODES:
                    total, seconds = _measure(mode, work, base_db, run)
                    totals[mode].append(total)
                    parts[mode].append(seconds)
                    print(f"  {w.label} run {run + 1} {mode}: {total:.2f}s {seconds}", flush=True)

            def mid(mode: str, key: str, parts: dict[str, list[dict[str, float]]] = parts) -> float:
                return median([p[key] for p in parts[mode]])

            rows.append(
                f"| {w.label} | {median(totals['checked']):.2f} | "
                f"{median(totals['unchecked']):.2f} | "
                f"{mid('checked', 'staging'):.2f} / {mid('unchecked', 'staging'):.2f} | "
                f"{mid('checked', 'intermediate+marts'):.2f} / "
                f"{mid('unchecked', 'intermediate+marts'):.2f} | "
                f"{mid('unchecked', 'check staging'):.2f} | "
                f"{mid('unchecked', 'check intermediate'):.2f} | "
                f"{mid('unchecked', 'check marts'):.2f} |"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    markdown = "\n".join(
        [
            "## Grain check (unique and not null on every model's declared grain)",
            "",
            f"Command: `{COMMAND} --sizes {' '.join(map(str, args.sizes))} --runs {args.runs}`  ",
            f"Machine: {machine()}  ",
            f"Median of {args.runs} runs, each in a fresh process on a fresh copy of the sample "
            "generator's warehouse (`pmanalytics.toml`), written to disk before the timed run. "
            "*Checked* builds every model as "
            "`pmanalytics build` does, each table's grain checked inside the build transaction; "
            "*unchecked* builds the same models with the grains removed, then runs the checks "
            "alone on its tables (*check* columns: their own cost, per layer). On a shared "
            "machine the two build times can differ by more than the checks cost; the *check* "
            "columns are the measurement.",
            "",
            "| events | build checked (s) | build unchecked (s) | staging checked / unchecked "
            "(s) | intermediate + marts checked / unchecked (s) | check staging (s) | check "
            "intermediate (s) | check marts (s) |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    print(markdown)
    if not args.no_write:
        write_section("grain", markdown)


if __name__ == "__main__":
    main()

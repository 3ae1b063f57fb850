"""`pmanalytics-pipeline`: :func:`pmanalytics.pipeline.run_pipeline`, each step a Prefect task.

The flow only decides how a step runs: every step of the library's one run definition
becomes a task of the same name, whose run name says which source, tables or file it
handles. Tasks take and return plain values (a :class:`RunTarget` of paths, source names,
load ids); each opens the warehouse itself. Only the steps that do I/O beyond the warehouse
retry, and only on what is transient: a busy warehouse, an OS error, a DuckDB I/O error.
Nothing is cached: whether a file is loaded is decided by the warehouse (by its sha256),
never by Prefect's cache, which a restored warehouse would contradict.
"""

from __future__ import annotations

import os

# No telemetry, no outbound traffic (set before Prefect is imported).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

import contextlib
import ctypes
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import prefect.runtime
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from pmanalytics import pipeline as steps
from pmanalytics.errors import WarehouseBusy
from pmanalytics.pipeline import DEFAULT_REPORT_PATH, RunTarget, pipeline_summary, run_step
from pmanalytics.quality import DEFAULT_DATA_DOCS_DIR

FLOW_NAME = "pmanalytics-pipeline"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
#: What a retry can cure. A bad file, a failed model or a failed validation fails the same
#: way every time, so it is not retried.
TRANSIENT = (WarehouseBusy, OSError, duckdb.IOException)


def start_temporary_server() -> None:
    """Start Prefect's temporary local API now, tied to this process.

    Without ``PREFECT_API_URL`` a flow run starts a temporary API server as a child
    process; killed with ``kill -9``, the run would leave it behind. Started here instead,
    the child asks the kernel (Linux ``PR_SET_PDEATHSIG``) for SIGTERM when its parent
    dies. Prefect's own code then finds the server running and uses it. Does nothing when
    ``PREFECT_API_URL`` names a server.
    """
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        return
    popen = subprocess.Popen

    def tied(*args: Any, **kwargs: Any) -> subprocess.Popen:
        kwargs.setdefault("preexec_fn", _die_with_parent)
        return popen(*args, **kwargs)

    subprocess.Popen = tied  # type: ignore[misc]  # only while Prefect spawns its server
    try:
        SubprocessASGIServer().start()
    finally:
        subprocess.Popen = popen  # type: ignore[misc]


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the parent process dies (Linux only)."""
    # not Linux: no prctl; Prefect's atexit stop still covers every exit but kill -9
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect's retry condition: retry only errors in :data:`TRANSIENT`."""
    return isinstance(state.result(raise_on_failure=False), TRANSIENT)


#: every task: nothing cached (see the module docstring), no hashing of inputs
_PLAIN: dict[str, Any] = {"cache_policy": NO_CACHE}
#: the tasks that do I/O beyond the warehouse
_IO: dict[str, Any] = {
    **_PLAIN,
    "retries": 3,
    "retry_delay_seconds": [2, 5, 15],
    "retry_condition_fn": retry_transient,
}


def _sources_run_name(parameters: dict[str, Any]) -> str:
    return "ingest_sources: " + ", ".join(parameters["names"])


def _validation_run_name(parameters: dict[str, Any]) -> str:
    loads = parameters["load_ids"]
    batch = "loads awaiting a verdict" if loads is None else f"{len(loads)} load(s)"
    return f"validate_staging: {batch}"


@task(name="ingest_sources", task_run_name=_sources_run_name, **_IO)
def ingest_sources(target: RunTarget, names: list[str]) -> list:
    """Reads the source's files: I/O, retried when transient."""
    results = run_step(steps.ingest_sources, target, names=names)
    for r in results:
        get_run_logger().info(
            "%s: read %d, loaded %d, duplicate %d, quarantined %d%s",
            Path(r.path).name,
            r.rows_read,
            r.rows_loaded,
            r.rows_duplicate,
            r.rows_quarantined,
            " (already loaded)" if r.skipped else "",
        )
    return results


@task(name="build_staging", task_run_name="build_staging: staging.*", **_PLAIN)
def build_staging(target: RunTarget) -> list:
    return run_step(steps.build_staging, target)


@task(name="validate_staging", task_run_name=_validation_run_name, **_PLAIN)
def validate_staging(
    target: RunTarget, run_id: str, load_ids: list[str] | None, data_docs_dir: str
) -> Any:
    report = run_step(
        steps.validate_staging,
        target,
        run_id=run_id,
        load_ids=load_ids,
        data_docs_dir=data_docs_dir,
    )
    for line in report.summary_lines() if report else []:
        get_run_logger().info(line)
    return report


@task(name="build_marts", task_run_name="build_marts: on {engine}", **_IO)
def build_marts(target: RunTarget, engine: str) -> list:
    """On Spark, reads and writes the lake and talks to a cluster: I/O, retried."""
    return run_step(steps.build_marts, target, engine=engine)


@task(name="build_pain_points", task_run_name="build_pain_points: marts.pain_point*", **_PLAIN)
def build_pain_points(target: RunTarget) -> Any:
    result = run_step(steps.build_pain_points, target)
    for line in steps.pain_point_lines(result):
        get_run_logger().info(line)
    return result


@task(name="write_report", task_run_name="write_report: {out_path}", **_IO)
def write_report(target: RunTarget, out_path: str, data_docs_dir: str) -> Path:
    """Writes the HTML file: I/O, retried when transient."""
    return run_step(steps.write_report, target, out_path=out_path, data_docs_dir=data_docs_dir)


TASKS: dict[Callable[..., Any], Any] = {
    steps.ingest_sources: ingest_sources,
    steps.build_staging: build_staging,
    steps.validate_staging: validate_staging,
    steps.build_marts: build_marts,
    steps.build_pain_points: build_pain_points,
    steps.write_report: write_report,
}


def run_as_task(step: Callable[..., Any], target: RunTarget, /, **arguments: Any) -> Any:
    """The flow's step runner: the library's step, run as the task of the same name."""
    if step is steps.ingest_sources:
        arguments.pop("on_file", None)  # progress bars are for terminals, not task runs
    return TASKS[step](target, **arguments)


def _markdown(summary: dict[str, Any]) -> str:
    ingested = summary["ingested"]
    loaded = sum(r["rows_loaded"] for r in ingested)
    quarantined = sum(r["rows_quarantined"] for r in ingested)
    skipped = sum(r["skipped"] for r in ingested)
    lines = [
        f"# pmanalytics run `{summary['run_id']}`",
        "",
        f"Warehouse: `{summary['db']}`",
        "",
        f"**Ingest**: {len(ingested)} file(s) — {loaded:,} rows loaded, {quarantined:,} "
        f"quarantined, {skipped} file(s) already loaded.",
        "",
        "## Headline KPIs",
        "",
        "| KPI | period | latest | previous | change |",
        "|---|---|---:|---:|---:|",
    ]
    for kpi in summary["headline"]:
        lines.append(
            f"| {kpi['name']} | {kpi['period']} | {kpi['latest']} | {kpi['previous']} "
            f"| {kpi['change']} |"
        )
    lines += ["", "## Validation", ""]
    lines += [f"- {line}" for line in summary["validation"]]
    if summary["warnings"]:
        lines += ["", "## Warnings", ""]
        lines += [f"- {line}" for line in summary["warnings"]]
    lines += ["", "## Pain points", ""]
    lines += [f"- {line}" for line in summary.get("pain_points", [])] or ["- none built"]
    lines += ["", f"**Report**: `{summary.get('report') or '–'}`"]
    lines += ["", "## Tables built", ""]
    lines += [f"- `{m['key']}`: {m['rows']:,} rows" for m in summary["models"]]
    return "\n".join(lines)


_INGEST_COLUMNS = (
    "source",
    "path",
    "rows_read",
    "rows_loaded",
    "rows_duplicate",
    "rows_quarantined",
    "skipped",
)


@flow(name=FLOW_NAME, log_prints=True)
def pipeline(
    config_path: str | None = None,
    db: str | None = None,
    data_docs_dir: str = DEFAULT_DATA_DOCS_DIR,
    report_path: str = DEFAULT_REPORT_PATH,
    engine: str = "duckdb",
) -> dict[str, Any]:
    """Ingest every configured source, validate, build the marts and pain points, report."""
    from pmanalytics.config import load_config, resolve_db_path

    target = RunTarget(
        config_path=config_path,
        db=str(resolve_db_path(load_config(config_path), db)),
        engine=engine,
        data_docs_dir=data_docs_dir,
        report_path=report_path,
    )
    result = steps.run_pipeline(
        target, runner=run_as_task, parameters={"flow": FLOW_NAME, "config": config_path}
    )
    summary = pipeline_summary(result)
    summary["db"] = target.db
    summary["flow_run_id"] = str(prefect.runtime.flow_run.id)
    create_table_artifact(
        key="pmanalytics-ingest",
        table=[{k: r[k] for k in _INGEST_COLUMNS} for r in summary["ingested"]],
        description="Rows read, loaded, duplicate and quarantined per file",
    )
    create_markdown_artifact(
        key="pmanalytics-summary",
        markdown=_markdown(summary),
        description="Headline KPIs, validation verdict and tables built",
    )
    return summary

"""`pmanalytics-pipeline`: ingest → validate → marts (→ pain points → report) as Prefect tasks.

The flow only sequences library calls. Tasks receive and return plain values (paths, ids,
small dicts), never DuckDB connections or DataFrames; each task opens the warehouse itself.
The whole run holds the warehouse's run lock, so two runs never interleave their writes.
"""

from __future__ import annotations

import os

# No telemetry, no outbound traffic (set before Prefect is imported).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from datetime import timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from pmanalytics.config import Config, load_config, resolve_db_path
from pmanalytics.errors import ConfigError, IngestError, ValidationFailed
from pmanalytics.ingest import PlannedFile, ingest_planned, plan_sources
from pmanalytics.ingest.files import file_sha256
from pmanalytics.pain_points import build_pain_points
from pmanalytics.pipeline import (
    DEFAULT_REPORT_PATH,
    build,
    finish_run,
    new_run_id,
    pain_point_lines,
    run_summary,
    start_run,
    write_report,
)
from pmanalytics.quality import DEFAULT_DATA_DOCS_DIR
from pmanalytics.warehouse import open_warehouse, run_lock, warehouse_id

FLOW_NAME = "pmanalytics-pipeline"
_NOT_RETRYABLE = (IngestError, ConfigError, ValidationFailed)


def _retry_on_io_only(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a lock wait or a flaky disk, not a bad file or a failed validation."""
    error = state.result(raise_on_failure=False)
    return not isinstance(error, _NOT_RETRYABLE)


def _ingest_cache_key(context: Any, parameters: dict[str, Any]) -> str:
    """Same warehouse, same source, same bytes: the file is already in."""
    return f"pma-ingest-{parameters['warehouse']}-{parameters['source']}-{parameters['sha256']}"


def _config(config_path: str | None) -> Config:
    return load_config(config_path)


def _open(config: Config, db: str):
    return open_warehouse(db, config)


@task(
    retries=3,
    retry_delay_seconds=[2, 5, 15],
    retry_condition_fn=_retry_on_io_only,
    cache_policy=NO_CACHE,
)
def plan(config_path: str | None, db: str) -> tuple[str, list[dict[str, str]]]:
    """The files to load, with their hashes, and the warehouse's identity (for caching)."""
    config = _config(config_path)
    with _open(config, db) as con:
        identity = warehouse_id(con)
    files = [
        {"source": p.source, "kind": p.kind, "path": p.path, "sha256": file_sha256(Path(p.path))}
        for p in plan_sources(config)
    ]
    return identity, files


@task(
    retries=3,
    retry_delay_seconds=[2, 5, 15],
    retry_condition_fn=_retry_on_io_only,
    cache_key_fn=_ingest_cache_key,
    cache_expiration=timedelta(days=30),
    persist_result=True,
)
def ingest_file(
    config_path: str | None,
    db: str,
    warehouse: str,
    source: str,
    kind: str,
    path: str,
    sha256: str,
) -> dict[str, Any]:
    """Load one file (one transaction); an unchanged file is a cache hit, not reprocessed."""
    config = _config(config_path)
    with _open(config, db) as con:
        result = ingest_planned(con, config, PlannedFile(source, kind, path))
    get_run_logger().info(
        "%s: read %d, loaded %d, duplicate %d, quarantined %d%s",
        Path(path).name,
        result.rows_read,
        result.rows_loaded,
        result.rows_duplicate,
        result.rows_quarantined,
        " (already loaded)" if result.skipped else "",
    )
    return result.as_dict()


@task(
    retries=2,
    retry_delay_seconds=[5, 15],
    retry_condition_fn=_retry_on_io_only,
    cache_policy=NO_CACHE,
)
def build_and_validate(
    config_path: str | None, db: str, run_id: str, load_ids: list[str], data_docs_dir: str
) -> dict[str, Any]:
    """Staging, the Great Expectations gate, then the marts; a critical failure fails the run."""
    config = _config(config_path)
    with _open(config, db) as con:
        result = build(
            con,
            config,
            run_id=run_id,
            load_ids=load_ids,
            data_docs_dir=data_docs_dir,
            pain_points=False,  # a task of its own, below
        )
        summary = run_summary(con, result)
    for line in summary["validation"]:
        get_run_logger().info(line)
    return summary


@task(
    retries=2,
    retry_delay_seconds=[5, 15],
    retry_condition_fn=_retry_on_io_only,
    cache_policy=NO_CACHE,
)
def pain_points(config_path: str | None, db: str) -> list[str]:
    """Cluster the comments into pain points and link them to behaviour (one transaction)."""
    config = _config(config_path)
    if not config.pain_points.enabled:
        return []
    with _open(config, db) as con:
        lines = pain_point_lines(build_pain_points(con, config))
    for line in lines:
        get_run_logger().info(line)
    return lines


@task(
    retries=3,
    retry_delay_seconds=[2, 5, 15],
    retry_condition_fn=_retry_on_io_only,
    cache_policy=NO_CACHE,
)
def report(config_path: str | None, db: str, out_path: str, data_docs_dir: str) -> str:
    """The self-contained HTML report, from the marts only."""
    config = _config(config_path)
    with open_warehouse(db, config, read_only=True) as con:
        return str(write_report(con, config, out_path, data_docs_dir=data_docs_dir))


def _markdown(summary: dict[str, Any], ingested: list[dict[str, Any]], db: str) -> str:
    loaded = sum(r["rows_loaded"] for r in ingested)
    quarantined = sum(r["rows_quarantined"] for r in ingested)
    skipped = sum(r["skipped"] for r in ingested)
    lines = [
        f"# pmanalytics run `{summary['run_id']}`",
        "",
        f"Warehouse: `{db}`",
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
    lines += ["", "## Pain points", ""]
    lines += [f"- {line}" for line in summary.get("pain_points", [])] or ["- none built"]
    lines += ["", f"**Report**: `{summary.get('report', '–')}`"]
    lines += ["", "## Tables built", ""]
    lines += [f"- `{m['key']}`: {m['rows']:,} rows" for m in summary["models"]]
    return "\n".join(lines)


def _ingest(config_path: str | None, db: str, identity: str, file: dict[str, str]) -> dict:
    """Run the ingest task; a cache hit means the file is in already: nothing new to validate."""
    state = ingest_file(
        config_path,
        db,
        identity,
        file["source"],
        file["kind"],
        file["path"],
        file["sha256"],
        return_state=True,
    )
    result = dict(state.result())
    if state.name == "Cached":
        result.update(
            skipped=True, rows_read=0, rows_loaded=0, rows_duplicate=0, rows_quarantined=0
        )
    return result


@flow(name=FLOW_NAME, log_prints=True)
def pipeline(
    config_path: str | None = None,
    db: str | None = None,
    data_docs_dir: str = DEFAULT_DATA_DOCS_DIR,
    report_path: str = DEFAULT_REPORT_PATH,
) -> dict[str, Any]:
    """Ingest every configured source, validate, build the marts, publish a summary."""
    config = _config(config_path)
    db_path = str(resolve_db_path(config, db))
    with run_lock(db_path, timeout=config.warehouse.lock_timeout_seconds):
        run_id = new_run_id()
        with _open(config, db_path) as con:
            start_run(con, run_id, {"flow": FLOW_NAME, "config": config_path, "db": db_path})
        status = "failed"
        try:
            identity, files = plan(config_path, db_path)
            ingested = [_ingest(config_path, db_path, identity, f) for f in files]
            load_ids = [r["load_id"] for r in ingested if r["load_id"] and not r["skipped"]]
            summary = build_and_validate(config_path, db_path, run_id, load_ids, data_docs_dir)
            summary["pain_points"] = pain_points(config_path, db_path)
            summary["report"] = report(config_path, db_path, report_path, data_docs_dir)
            status = "succeeded"
        finally:
            with _open(config, db_path) as con:
                finish_run(con, run_id, status)
    create_table_artifact(
        key="pmanalytics-ingest",
        table=[
            {
                k: r[k]
                for k in (
                    "source",
                    "path",
                    "rows_read",
                    "rows_loaded",
                    "rows_duplicate",
                    "rows_quarantined",
                    "skipped",
                )
            }
            for r in ingested
        ],
        description="Rows read, loaded, duplicate and quarantined per file",
    )
    create_markdown_artifact(
        key="pmanalytics-summary",
        markdown=_markdown(summary, ingested, db_path),
        description="Headline KPIs, validation verdict and tables built",
    )
    return summary

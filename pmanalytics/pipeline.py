"""The pipeline's steps as plain functions: the CLI, flows and notebooks all call these."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pmanalytics.config import Config
from pmanalytics.ingest import IngestResult, ingest_sources
from pmanalytics.lake import write_lake
from pmanalytics.pain_points import PainPointResult, build_pain_points
from pmanalytics.quality import DEFAULT_DATA_DOCS_DIR, ValidationReport, validate
from pmanalytics.warehouse import (
    MODEL_LAYERS,
    ModelRun,
    discover_models,
    run_models,
    write_config_tables,
)


@dataclass
class BuildResult:
    run_id: str
    models: list[ModelRun] = field(default_factory=list)
    validation: ValidationReport | None = None
    pain_points: PainPointResult | None = None


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, parameters: dict[str, Any]) -> None:
    """A ``running`` row in ``meta.pipeline_runs``."""
    con.execute(
        "insert into meta.pipeline_runs values (?, ?, null, 'running', ?)",
        [run_id, _now(), json.dumps(parameters, default=str)],
    )


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str) -> None:
    con.execute(
        "update meta.pipeline_runs set finished_at = ?, status = ? where run_id = ?",
        [_now(), status, run_id],
    )


@contextmanager
def recorded_run(
    con: duckdb.DuckDBPyConnection, parameters: dict[str, Any], run_id: str | None = None
) -> Iterator[str]:
    """Record the run in ``meta.pipeline_runs``: running, then succeeded or failed."""
    run_id = run_id or new_run_id()
    start_run(con, run_id, parameters)
    status = "failed"
    try:
        yield run_id
        status = "succeeded"
    finally:
        finish_run(con, run_id, status)


def build(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    layers: Sequence[str] = MODEL_LAYERS,
    *,
    run_id: str | None = None,
    load_ids: Sequence[str] | None = None,
    data_docs_dir: str | Path | None = None,
    pain_points: bool = True,
) -> BuildResult:
    """Rebuild staging from raw, validate it, then rebuild the marts and the pain points.

    Validation (Great Expectations, when ``[validation] enabled``) runs between the layers
    on the rows of ``load_ids`` (every staged row when ``None``): a critical failure raises
    :class:`~pmanalytics.errors.ValidationFailed` and leaves the marts as they were. Pain
    points (``[pain_points] enabled``) are refitted after the KPI marts, in their own
    transaction; ``pain_points=False`` leaves them to the caller (the Prefect flow runs them
    as a task of their own).
    """
    result = BuildResult(run_id=run_id or new_run_id())
    write_config_tables(con, config)
    models = discover_models(layers=layers)
    staging = [m for m in models if m.layer == "staging"]
    marts = [m for m in models if m.layer != "staging"]
    result.models += run_models(con, staging, {})
    if marts and config.validation.enabled:
        result.validation = validate(
            con, config, run_id=result.run_id, load_ids=load_ids, data_docs_dir=data_docs_dir
        )
        result.validation.raise_for_critical()
    if staging and config.lake.enabled:  # the staged tables as Parquet for other engines
        write_lake(con, config.resolve(config.lake.path))
    result.models += run_models(con, marts, {})
    if marts and pain_points and config.pain_points.enabled:
        result.pain_points = build_pain_points(con, config)
    return result


DEFAULT_REPORT_PATH = "reports/report.html"


@dataclass
class DemoResult:
    db_path: Path
    ingested: list[IngestResult]
    build: BuildResult
    report_path: Path | None = None


def write_report(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    out_path: str | Path = DEFAULT_REPORT_PATH,
    data_docs_dir: str | Path | None = DEFAULT_DATA_DOCS_DIR,
) -> Path:
    """The self-contained HTML report; relative paths resolve against the config's folder."""
    from pmanalytics.reports import build_report

    index = config.resolve(data_docs_dir) / "index.html" if data_docs_dir else None
    return build_report(
        con,
        config.resolve(out_path),
        data_docs_index=index if index is not None and index.is_file() else None,
    )


def run_demo(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    db_path: Path,
    on_file: Callable[[IngestResult], None] | None = None,
    data_docs_dir: str | Path | None = DEFAULT_DATA_DOCS_DIR,
) -> DemoResult:
    """Ingest every configured source, build and validate what was loaded, write the report."""
    with recorded_run(con, {"command": "demo", "db": str(db_path)}) as run_id:
        ingested = ingest_sources(con, config, on_file=on_file)
        load_ids = [r.load_id for r in ingested if r.load_id and not r.skipped]
        result = build(con, config, run_id=run_id, load_ids=load_ids, data_docs_dir=data_docs_dir)
        report = write_report(con, config, data_docs_dir=data_docs_dir)
    return DemoResult(db_path, ingested, result, report)


def pain_point_lines(result: PainPointResult | None) -> list[str]:
    """One line for people: how many pain points from how many comments, and the top ones."""
    if result is None:
        return []
    lines = [
        f"{result.n_pain_points} pain points from {result.clustered_comments:,} comments "
        f"({result.empty_comments:,} without content left out; {result.k_selection})"
    ]
    top = result.priorities.head(3) if len(result.priorities) else result.priorities
    for row in top.itertuples():
        lines.append(f"#{row.rank} {row.label} (reach {row.reach:,})")
    return lines


def headline_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """The report's headline tiles as display strings (for run summaries and artifacts)."""
    from pmanalytics.reports.build import warehouse_headline
    from pmanalytics.reports.page import format_change, format_value

    return [
        {
            "name": kpi.name,
            "period": kpi.period_label,
            "latest": format_value(kpi.value, kpi.unit),
            "previous": format_value(kpi.previous, kpi.unit),
            "change": format_change(kpi)[0],
        }
        for kpi in warehouse_headline(con)
    ]


def run_summary(con: duckdb.DuckDBPyConnection, result: BuildResult) -> dict[str, Any]:
    """A small, JSON-able account of a build: for Prefect artifacts and logs."""
    return {
        "run_id": result.run_id,
        "models": [
            {"key": m.key, "rows": m.rows, "seconds": round(m.seconds, 3)} for m in result.models
        ],
        "validation": result.validation.summary_lines() if result.validation else [],
        "pain_points": pain_point_lines(result.pain_points),
        "headline": headline_rows(con),
    }


def summarise_warehouse(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Small summaries for people: files per source, quarantine reasons, table sizes."""
    files = con.execute(
        "select source, kind, count(*) as files, sum(rows_read), sum(rows_loaded), "
        "sum(rows_duplicate), sum(rows_quarantined) from meta.ingested_files "
        "group by source, kind order by kind, source"
    ).fetchall()
    reasons = con.execute(
        "select 'events' as tbl, reason, count(*) from quarantine.events group by reason "
        "union all select 'users', reason, count(*) from quarantine.users group by reason "
        "union all select 'survey_responses', reason, count(*) from quarantine.survey_responses "
        "group by reason order by 1, 3 desc, 2"
    ).fetchall()
    tables = con.execute(
        "select schema_name || '.' || table_name, estimated_size from duckdb_tables() "
        "where schema_name in ('staging', 'intermediate', 'marts') and not temporary order by 1"
    ).fetchall()
    return {"files": files, "reasons": reasons, "tables": tables}

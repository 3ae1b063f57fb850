"""The pipeline's steps as plain functions: the CLI, flows and notebooks all call these."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pmanalytics.config import Config
from pmanalytics.ingest import IngestResult, ingest_sources
from pmanalytics.warehouse import (
    MODEL_LAYERS,
    ModelRun,
    discover_models,
    run_models,
    write_config_tables,
)


@dataclass
class BuildResult:
    models: list[ModelRun] = field(default_factory=list)


def build(
    con: duckdb.DuckDBPyConnection, config: Config, layers: Sequence[str] = MODEL_LAYERS
) -> BuildResult:
    """Rebuild the model layers from raw tables, with the config loaded into meta.config_*."""
    write_config_tables(con, config)
    models = discover_models(layers=layers)
    return BuildResult(models=run_models(con, models, {}))


@dataclass
class DemoResult:
    db_path: Path
    ingested: list[IngestResult]
    build: BuildResult


def run_demo(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    db_path: Path,
    on_file: Callable[[IngestResult], None] | None = None,
) -> DemoResult:
    """Ingest every configured source, then build what exists so far."""
    ingested = ingest_sources(con, config, on_file=on_file)
    return DemoResult(db_path, ingested, build(con, config))


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
        "where schema_name in ('staging', 'marts') and not temporary order by 1"
    ).fetchall()
    return {"files": files, "reasons": reasons, "tables": tables}

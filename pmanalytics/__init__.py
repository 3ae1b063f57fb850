"""pmanalytics: what customers say and what they do, in one DuckDB warehouse.

The public API for notebooks and scripts:

>>> import pmanalytics as pma
>>> con = pma.connect(read_only=True)          # the configured warehouse
>>> con.sql("select * from staging.events limit 5")
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pmanalytics.config import Config, load_config, resolve_db_path
from pmanalytics.errors import (
    ConfigError,
    IngestError,
    PmaError,
    ValidationFailed,
    WarehouseBusy,
    WarehouseError,
)
from pmanalytics.ingest import IngestResult, ingest_files
from pmanalytics.pipeline import (
    RunTarget,
    build,
    build_marts,
    build_pain_points,
    build_staging,
    ingest_sources,
    run_pipeline,
    validate_staging,
    write_report,
)

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "IngestError",
    "IngestResult",
    "PmaError",
    "RunTarget",
    "ValidationFailed",
    "WarehouseBusy",
    "WarehouseError",
    "build",
    "build_marts",
    "build_pain_points",
    "build_staging",
    "connect",
    "ingest_files",
    "ingest_sources",
    "load_config",
    "run_pipeline",
    "validate_staging",
    "write_report",
]


def connect(
    db: str | Path | None = None,
    *,
    read_only: bool = True,
    config: Config | str | Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (``--db`` / ``PMA_DB_PATH`` / config path), read-only by default.

    A scheduled run holding the write lock makes this wait (bounded by
    ``[warehouse] lock_timeout_seconds``), then fail with :class:`WarehouseBusy`.
    """
    from pmanalytics import warehouse

    cfg = config if isinstance(config, Config) else load_config(config)
    path = resolve_db_path(cfg, db)
    return warehouse.open_warehouse(path, cfg, read_only=read_only)

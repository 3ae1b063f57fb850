"""pmanalytics: what customers say and what they do, in one DuckDB warehouse.

The public API for notebooks and scripts (``dir(pmanalytics)`` lists exactly ``__all__``):

    import pmanalytics as pma
    con = pma.connect(read_only=True)   # the project's warehouse, found from any subfolder
    con.sql("select * from staging.events limit 5")
    pma.nps([10, 9, 6])                 # the marts' metric definitions, on any scores
"""

import os as _os
import typing as _typing

from pmanalytics._exports import on_first_use as _on_first_use

if _typing.TYPE_CHECKING:
    import duckdb as _duckdb

    from pmanalytics.config import Config, find_config, load_config
    from pmanalytics.errors import (
        ConfigError,
        IngestError,
        PmaError,
        ValidationFailed,
        WarehouseBusy,
        WarehouseError,
    )
    from pmanalytics.ingest import IngestResult, ingest_files
    from pmanalytics.metrics import SurveyScore, ces, csat, nps, survey_score
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

#: public name -> the module that defines it. Each is imported on first use, so that a
#: process needing one module of the package (a text helper of the pain points, a notebook
#: that only connects) does not pay for the whole pipeline's imports (~1.1 s).
_EXPORTS = {
    "Config": "config",
    "find_config": "config",
    "load_config": "config",
    "ConfigError": "errors",
    "IngestError": "errors",
    "PmaError": "errors",
    "ValidationFailed": "errors",
    "WarehouseBusy": "errors",
    "WarehouseError": "errors",
    "IngestResult": "ingest",
    "ingest_files": "ingest",
    "SurveyScore": "metrics",
    "ces": "metrics",
    "csat": "metrics",
    "nps": "metrics",
    "survey_score": "metrics",
    "RunTarget": "pipeline",
    "build": "pipeline",
    "build_marts": "pipeline",
    "build_pain_points": "pipeline",
    "build_staging": "pipeline",
    "ingest_sources": "pipeline",
    "run_pipeline": "pipeline",
    "validate_staging": "pipeline",
    "write_report": "pipeline",
}

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "IngestError",
    "IngestResult",
    "PmaError",
    "RunTarget",
    "SurveyScore",
    "ValidationFailed",
    "WarehouseBusy",
    "WarehouseError",
    "build",
    "build_marts",
    "build_pain_points",
    "build_staging",
    "ces",
    "connect",
    "csat",
    "find_config",
    "ingest_files",
    "ingest_sources",
    "load_config",
    "nps",
    "run_pipeline",
    "survey_score",
    "validate_staging",
    "write_report",
]


__getattr__ = _on_first_use(__name__, _EXPORTS, globals())


def __dir__() -> list[str]:
    """Tab completion shows the public API only, not the modules it is made of."""
    return sorted(__all__)


def connect(
    db: "str | _os.PathLike[str] | None" = None,
    *,
    read_only: bool = True,
    config: "Config | str | _os.PathLike[str] | None" = None,
) -> "_duckdb.DuckDBPyConnection":
    """Open the warehouse (``db`` / ``PMA_DB_PATH`` / config path), read-only by default.

    Without ``config`` the project's ``pmanalytics.toml`` is found in the working folder or
    a folder above it (:func:`find_config`), so a notebook in ``notebooks/`` opens the same
    warehouse as the command line at the project's root. A scheduled run holding the write
    lock makes this wait (``[warehouse] lock_timeout_seconds``), then fail with
    :class:`WarehouseBusy`.
    """
    from pmanalytics import warehouse
    from pmanalytics.config import Config, find_config, load_config, resolve_db_path

    if isinstance(config, Config):
        cfg = config
    else:
        cfg = load_config(config if config is not None else find_config())
    path = resolve_db_path(cfg, db)
    return warehouse.open_warehouse(path, cfg, read_only=read_only)

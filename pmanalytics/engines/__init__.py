"""Where the SQL models after staging are built: the embedded DuckDB, or Apache Spark.

An engine only builds models. Ingest, staging, validation and pain points are steps of
:mod:`pmanalytics.pipeline`, done once whatever the engine; an engine that reads the lake
(``reads_lake``) gets it written by the ``build_marts`` step before it starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pmanalytics.errors import ConfigError, WarehouseError

if TYPE_CHECKING:
    import duckdb

    from pmanalytics.config import Config
    from pmanalytics.warehouse import Model, ModelRun

ENGINES = ("duckdb", "spark")


class EngineUnavailable(ConfigError):
    """The engine's software is missing here (a Python extra, a Java runtime): exit 2."""


class TranspileError(WarehouseError):
    """A model uses a construct the target dialect cannot express: write an override file."""


class Engine(Protocol):
    """Builds the models after staging (``intermediate``, ``marts``) somewhere."""

    #: the name the CLI and the flow take (``--engine``)
    name: str
    #: whether it reads the staged tables from the Parquet lake rather than the warehouse
    reads_lake: bool

    def check(self) -> None:
        """Fail before any work if the engine cannot run here or a model cannot be carried
        over (:class:`EngineUnavailable`, :class:`TranspileError`)."""
        ...

    def build(
        self, con: duckdb.DuckDBPyConnection, config: Config, models: list[Model]
    ) -> list[ModelRun]:
        """Build every model, all or none; the runs in build order."""
        ...

    def output(self, config: Config) -> Path | None:
        """Where the built tables live, when not in the warehouse file itself."""
        ...


class DuckDBEngine:
    """The embedded default: models become tables of the warehouse, in one transaction."""

    name = "duckdb"
    reads_lake = False

    def check(self) -> None:
        return None

    def build(
        self, con: duckdb.DuckDBPyConnection, config: Config, models: list[Model]
    ) -> list[ModelRun]:
        from pmanalytics.warehouse import run_models

        return run_models(con, models, {})

    def output(self, config: Config) -> Path | None:
        return None


def get_engine(engine: str | Engine) -> Engine:
    """An engine by name (``duckdb``, ``spark``); an :class:`Engine` is returned as it is."""
    if not isinstance(engine, str):
        return engine
    if engine == "duckdb":
        return DuckDBEngine()
    if engine == "spark":
        from pmanalytics.engines.spark import SparkEngine

        return SparkEngine()
    raise ConfigError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")

"""Engines other than the embedded DuckDB that run the same ``sql/marts`` models.

DuckDB stays the default and builds staging and validates it; an engine here reads the
staged tables from the lake (:mod:`pmanalytics.lake`) and builds the marts on its own.
"""

from __future__ import annotations

from pmanalytics.errors import ConfigError, WarehouseError

ENGINES = ("duckdb", "spark")


class EngineUnavailable(ConfigError):
    """The engine's software is missing here (a Python extra, a Java runtime): exit 2."""


class TranspileError(WarehouseError):
    """A model uses a construct the target dialect cannot express: write an override file."""

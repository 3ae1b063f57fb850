"""One exception hierarchy, so callers (CLI, flows, notebooks) can tell failure kinds apart.

The CLI maps these to exit codes: ``ConfigError`` → 2 (usage/configuration), everything
else → 1 (a failed run).
"""

from __future__ import annotations


class PmaError(Exception):
    """Base class for every error pmanalytics raises on purpose."""


class ConfigError(PmaError):
    """The configuration file or a command-line option is wrong; the message names the key."""


class IngestError(PmaError):
    """A whole input file cannot be read; nothing of it was loaded."""


class WarehouseError(PmaError):
    """The warehouse cannot be opened or a model failed to build."""


class WarehouseBusy(WarehouseError):
    """Another process holds the DuckDB file's write lock."""


class ValidationFailed(PmaError):
    """A critical data-quality expectation failed; the run stopped before marts were built."""

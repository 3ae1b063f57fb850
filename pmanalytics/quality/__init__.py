"""Data quality: Great Expectations suites on the staged tables, run on each ingested batch.

Importing this package does not import Great Expectations (~3 s); :func:`validate` does, or
:func:`import_early` in the background before it is needed.
"""

from __future__ import annotations

from pmanalytics.quality.catalog import CATALOG, CheckSpec
from pmanalytics.quality.gx_import import import_early
from pmanalytics.quality.report import ExpectationResult, SuiteVerdict, ValidationReport
from pmanalytics.quality.validate import DEFAULT_DATA_DOCS_DIR, validate

__all__ = [
    "CATALOG",
    "DEFAULT_DATA_DOCS_DIR",
    "CheckSpec",
    "ExpectationResult",
    "SuiteVerdict",
    "ValidationReport",
    "import_early",
    "validate",
]

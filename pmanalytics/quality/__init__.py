"""Data quality: Great Expectations suites on the staged tables, run on each ingested batch.

Importing this package does not import Great Expectations (~3.5 s); :func:`validate` does.
"""

from __future__ import annotations

from pmanalytics.quality.catalog import CATALOG, CheckSpec
from pmanalytics.quality.report import ExpectationResult, SuiteVerdict, ValidationReport
from pmanalytics.quality.validate import DEFAULT_DATA_DOCS_DIR, validate

__all__ = [
    "CATALOG",
    "DEFAULT_DATA_DOCS_DIR",
    "CheckSpec",
    "ExpectationResult",
    "SuiteVerdict",
    "ValidationReport",
    "validate",
]

"""Fixtures for the ingest tests (helpers are in ``ingest_helpers.py``).

``wh`` wraps the ``con`` and ``config`` fixtures of ``tests/conftest.py``: it ingests files,
reads back what landed where, and — after every test — checks the accounting contract for
every file that test loaded (``rows_read = rows_loaded + rows_duplicate + rows_quarantined``
and the raw / quarantine / meta rows of each load match those counts).
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from ingest_helpers import Warehouse

from pmanalytics.config import Config


@pytest.fixture
def wh(con: duckdb.DuckDBPyConnection, config: Config) -> Iterator[Warehouse]:
    warehouse = Warehouse(con, config)
    yield warehouse
    warehouse.check_accounting()

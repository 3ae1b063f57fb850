"""Prefect in tests: an isolated home, no telemetry, one temporary API for the session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


def prefect_environment(home: Path) -> dict[str, str]:
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        # a new server registers every block type Prefect ships into its fresh database
        # (a median 2.3 s of a server's start; CHANGELOG); no flow or test of ours uses blocks
        "PREFECT_SERVER_REGISTER_BLOCKS_ON_START": "false",
    }


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Prefect's own test harness (a temporary local API on SQLite), started once."""
    home = tmp_path_factory.mktemp("prefect-home")
    saved = {k: os.environ.get(k) for k in prefect_environment(home)}
    os.environ.update(prefect_environment(home))
    from prefect.testing.utilities import prefect_test_harness

    try:
        with prefect_test_harness(server_startup_timeout=120):
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

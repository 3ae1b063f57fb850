"""Shared fixtures: a fresh warehouse per test, the default config, the shared real data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pmanalytics.config import Config, parse_config
from pmanalytics.warehouse import connect

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def config() -> Config:
    return parse_config({})


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def con(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(db_path)
    yield connection
    connection.close()


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real public data not found at {SHARED_DATA} (the shared/ folder beside "
            "the checkout); these tests need it"
        )
    return SHARED_DATA


def _copy_sample_project(dest: Path) -> tuple[Path, Path]:
    import shutil

    shutil.copytree(REPO / "data" / "sample", dest / "data" / "sample")
    shutil.copy(REPO / "pmanalytics.toml", dest / "pmanalytics.toml")
    return dest / "pmanalytics.toml", dest / "data" / "warehouse.duckdb"


@pytest.fixture(scope="session")
def copy_sample_project():
    """``copy_sample_project(dest) -> (config file, warehouse path)``: the sample as a project.

    Tests that write reports or Data Docs (relative to the config file) use a copy, so the
    checkout stays clean.
    """
    return _copy_sample_project

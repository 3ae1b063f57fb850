"""Shared fixtures: a fresh warehouse per test, the default config, the shared real data,
and the sample project built once per test run."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import settings

from pmanalytics.config import Config, parse_config
from pmanalytics.warehouse import connect
from tests.sample_project import SampleProject, fingerprint

# pyspark (spark extra) takes a ``__main__`` without ``__file__`` or ``__spec__`` for its own
# doctest run: importing ``pyspark.sql.connect`` (Great Expectations does) then calls
# ``sys.exit(0)`` when Spark Connect's extra packages are missing. pytest-xdist's workers run
# from ``python -c``, whose ``__main__`` is just that; give it a name so GX imports normally.
_MAIN = sys.modules["__main__"]
if getattr(_MAIN, "__spec__", None) is None and not hasattr(_MAIN, "__file__"):
    _MAIN.__file__ = "<pytest-xdist worker>"

# Property tests check results, not speed: a per-example deadline fails them on a busy
# shared machine (a 200 ms default, exceeded at load 6) without saying anything about the code.
settings.register_profile("pmanalytics", deadline=None)
settings.load_profile("pmanalytics")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

#: The modules that take longest, with their summed test seconds in the fast set (`make
#: test`) and in the slow set, rounded from per-test traces on the 2-core AMD EPYC host
#: (docs/benchmarks.md, *Test suite*, fifteenth round): only their order matters, so
#: re-measure when a module grows or shrinks a lot. pytest-xdist's loadscope hands each
#: worker whole modules in collection order (`--no-loadscope-reorder` in the Makefile):
#: the longest first lets the short ones fill in at the end, so the two workers finish
#: together (longest-first scheduling). xdist's own order, by number of tests, left one
#: worker idle for the last 175 s of the slow set. Only the order changes: every test still
#: runs, each module on one worker.
LONGEST_MODULES: dict[str, tuple[float, float]] = {
    "tests/kpis/test_oracle_properties.py": (23, 230),
    "tests/spark/test_spark_equivalence.py": (0, 159),
    "tests/quality/test_pushdown.py": (0, 88),
    "tests/test_incremental.py": (6, 77),
    "tests/orchestration/test_served_deployment.py": (0, 58),
    "tests/orchestration/test_pipeline_flow.py": (56, 0),
    "tests/notebooks/test_notebooks.py": (0, 54),
    "tests/reports/test_browser_cases.py": (0, 53),
    "tests/quality/test_validate_in_parts.py": (22, 41),
    "tests/quality/test_nhs_fft_validation.py": (0, 50),
    "tests/test_benchmarks_pipeline.py": (5, 49),
    "tests/quality/test_data_docs_hostile.py": (0, 39),
    "tests/pain_points/test_pain_behaviour_oracle.py": (5, 38),
    "tests/quality/test_expectations.py": (22, 0),
    "tests/reports/test_report.py": (20, 0),
    "tests/ingest/test_memory.py": (0, 17),
    "tests/ingest/test_fuzz.py": (17, 0),
    "tests/ingest/test_accounting.py": (10, 49),
}


@pytest.hookimpl(trylast=True)  # after `-m` has deselected: estimate what will run
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest modules first (``LONGEST_MODULES``), the rest in file order after them."""
    kinds: dict[str, set[bool]] = {}  # module -> which of the fast and slow sets it runs
    for item in items:
        kinds.setdefault(_module(item), set()).add(item.get_closest_marker("slow") is not None)
    seconds = {module: _seconds(module, selected) for module, selected in kinds.items()}
    items.sort(key=lambda item: -seconds[_module(item)])  # stable: file order among equals


def _seconds(module: str, selected: set[bool]) -> float:
    fast, slow = LONGEST_MODULES.get(module, (0.0, 0.0))
    return sum(slow if is_slow else fast for is_slow in selected)


def _module(item: pytest.Item) -> str:
    return item.nodeid.split("::")[0]


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


@contextlib.contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """Held by one process of the test run at a time (the xdist workers share the folder)."""
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def sample_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleProject]:
    """``pmanalytics demo`` on a copy of the committed sample, once per test run: the
    warehouse, Data Docs and report that many tests read (~12 s to build).

    Under pytest-xdist the first worker that needs it builds it in the run's shared temporary
    folder while the others wait, then all read it (pytest-xdist's recipe for a session
    fixture run once); a build that failed half-way is built again by the next worker.
    Read it, never change it: a test that writes takes ``sample_project_copy``. Every file of
    the project is fingerprinted once a worker has it and checked at the end of that
    worker's session, so a test that wrote into it (and could have leaked state into others)
    fails the run.
    """
    base = tmp_path_factory.getbasetemp()
    # an xdist worker's folder is one of the run's; without xdist (or with -p no:xdist) the
    # session's own folder is the run's
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    project = SampleProject(shared / "sample-project" / "project")
    built = shared / "sample-project.built"
    with _exclusive(shared / "sample-project.lock"):
        if not built.exists():
            shutil.rmtree(project.root, ignore_errors=True)
            _copy_sample_project(project.root)
            from pmanalytics.cli import main

            assert main(["demo", "--config", str(project.config), "--db", str(project.db)]) == 0
            built.touch()
        before = fingerprint(project.root)
    yield project
    after = fingerprint(project.root)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"a test changed the shared sample project: {changed[:10]}"


@pytest.fixture
def sample_project_copy(sample_project: SampleProject, tmp_path: Path) -> SampleProject:
    """A private copy of the built sample project (warehouse, Data Docs, report): change it."""
    copy = SampleProject(tmp_path / "project")
    shutil.copytree(sample_project.root, copy.root)
    return copy


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def offline_browser():
    """``open(path) -> (page, console_errors, external_requests)`` in headless Chromium.

    Debian's Chromium driven by Playwright (no browser download); every request that is not
    a local file is recorded and aborted, so a page that needs the network shows it here.
    """
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium: apt-get install -y chromium (make test does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (dev extra)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])

        def open_page(path: Path, width: int = 1366, height: int = 900):
            console: list[str] = []
            external: list[str] = []
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: console.append(f"page error: {exc}"))

            def block(route) -> None:
                if route.request.url.startswith("file://"):
                    route.continue_()
                else:
                    external.append(route.request.url)
                    route.abort()

            page.route("**/*", block)
            page.goto(path.as_uri(), wait_until="load")
            return page, console, external

        try:
            yield open_page
        finally:
            browser.close()

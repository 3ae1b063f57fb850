"""Great Expectations imported in the background while staging runs (``import_early``)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pmanalytics.quality import import_early

SCRIPT = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from pmanalytics.config import parse_config
    from pmanalytics.quality import import_early
    from pmanalytics.quality.suites import build_suites

    assert "great_expectations" not in sys.modules
    thread = import_early()
    assert thread is not None and not thread.daemon  # never stopped mid-import at exit
    assert import_early() is None  # being imported: nothing more to start
    # GX used at once, while the thread is importing it: this waits for the thread (two
    # imports of GX at the same time fail on each other's half-imported modules)
    suites = build_suites(parse_config({}), now=datetime(2026, 8, 3))
    assert not thread.is_alive()
    assert suites and suites[0].to_gx().expectations
    print("imported")
    """
)


@pytest.mark.slow  # a fresh interpreter importing GX (and pyspark): ~8 s of CPU
def test_import_early_imports_great_expectations_in_a_thread(tmp_path: Path) -> None:
    # a file, not ``python -c``: pyspark's import (via GX) exits a ``-c`` process
    script = tmp_path / "early.py"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("imported")


def test_import_early_starts_nothing_once_imported() -> None:
    import great_expectations  # noqa: F401

    assert import_early() is None


def test_an_import_that_ends_the_process_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PySpark (imported by GX when installed) calls ``sys.exit(0)`` at import under
    ``python -c``: a run must fail with a reason, not end with status 0 after staging."""
    from pmanalytics.errors import PmaError
    from pmanalytics.quality import gx_import

    def exits(name: str) -> None:
        raise SystemExit(0)

    monkeypatch.delitem(sys.modules, "great_expectations", raising=False)
    monkeypatch.setattr(gx_import.importlib, "import_module", exits)
    with pytest.raises(PmaError, match=r"tried to end the process.*python -c"):
        gx_import.ready()


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None, reason="needs the spark extra (make env)"
)
def test_validation_under_python_c_with_pyspark_fails_loudly() -> None:
    """The real case: no main file, PySpark installed."""
    run = subprocess.run(
        [sys.executable, "-c", "from pmanalytics.quality.gx_import import ready; ready()"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0
    assert "tried to end the process" in run.stderr

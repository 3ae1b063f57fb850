"""Great Expectations imported in the background while staging runs (``import_early``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from pmanalytics.quality import import_early

SCRIPT = textwrap.dedent(
    """
    import sys
    from pmanalytics.quality import import_early

    assert "great_expectations" not in sys.modules
    thread = import_early()
    assert thread is not None and thread.daemon
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert "great_expectations" in sys.modules
    import great_expectations as gx  # the import that needs it finds it done
    assert gx.get_context
    assert import_early() is None  # nothing left to start
    print("imported")
    """
)


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

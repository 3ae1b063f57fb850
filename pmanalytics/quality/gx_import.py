"""Great Expectations imported ahead of need, in a thread, and waited for before use.

Importing GX is ~3 s of Python on one core. The pipeline starts it in a thread just before
staging (:func:`import_early`), whose DuckDB work leaves the interpreter free, so the two
overlap: staging plus the import at 10M events took 8.0 s against 9.2 s one after the other
(docs/decisions.md, *The Great Expectations import*). Code that imports GX calls
:func:`ready` first: two threads importing GX at the same time can each find a module the
other has half imported, and fail with an ``ImportError``.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading

from pmanalytics.errors import PmaError

_lock = threading.Lock()
_started: threading.Thread | None = None


def import_early() -> threading.Thread | None:
    """Start importing Great Expectations in a thread of its own; the thread, or ``None``
    when it is imported (or being imported) already.

    A failed import is left for the import that needs GX to raise. The thread is not a
    daemon: a run that fails before validation waits for the import to end before the
    process exits (at most the import's ~3 s), rather than stop a thread in the middle of
    importing at interpreter shutdown.
    """
    global _started
    with _lock:
        if "great_expectations" in sys.modules or (_started is not None and _started.is_alive()):
            return None

        def run() -> None:
            with contextlib.suppress(BaseException):  # raised again by the import that needs it
                importlib.import_module("great_expectations")

        _started = threading.Thread(target=run, name="pma-import-gx", daemon=False)
        _started.start()
        return _started


def ready() -> None:
    """Wait until an import started by :func:`import_early` has finished, then make sure GX
    imports: a :class:`~pmanalytics.errors.PmaError` if importing it ends the process.

    PySpark, which GX imports when it is installed (the ``spark`` extra), calls
    ``sys.exit(0)`` at import when the main module has no file (``python -c``): taken for a
    doctest run. Uncaught, that ended a pipeline run after staging with exit status 0, no
    report and no word of why.
    """
    thread = _started
    if thread is not None and thread is not threading.current_thread():
        thread.join()
    if "great_expectations" in sys.modules:
        return
    try:
        importlib.import_module("great_expectations")
    except SystemExit as stop:
        raise PmaError(
            "importing Great Expectations tried to end the process "
            f"(SystemExit({stop.code!r}), raised by a package it imports: PySpark does so when "
            "the main module has no file, as with `python -c`); run pmanalytics from its "
            "command, a script or `python -m`, or install it without the spark extra"
        ) from stop

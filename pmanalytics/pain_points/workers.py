"""Per-text work of a refit shared with helper processes.

Redacting comments, splitting them into clauses and judging each clause (the VADER lexicon,
the cue expressions) are pure Python: the GIL keeps them on one core, while the machines
this runs on have two or more. Each is a pure function of one text, so the texts are cut
into chunks that the calling process and its helpers take from opposite ends: the caller
never waits for a helper to start (a helper imports the clause module first, ~0.2 s), the
results come back in order, and the output is the serial output, chunk for chunk.

A helper is ``python -P -m pmanalytics.pain_points.workers`` reading pickled chunks on its
standard input. Not :mod:`multiprocessing`: its spawned children import the caller's main
script again, and a script without an ``if __name__ == "__main__"`` guard would run its
pipeline a second time in every child; a forked child would inherit DuckDB's and ONNX
Runtime's threads mid-state. A helper that dies, or a chunk that fails in a helper, costs
only time: the chunk is worked in the calling process (where a real error then raises).
Below :data:`MIN_TEXTS` texts, or on one core, everything runs in the calling process
(docs/decisions.md, *Clause judging in two processes*).
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import fields, is_dataclass
from types import TracebackType
from typing import IO, Any, TypeVar

import numpy as np

log = logging.getLogger(__name__)

#: Fewer distinct comments than this are worked in the calling process alone: a helper
#: gains little below it, and still takes a core (break-even ~1,500 on the benchmark host).
MIN_TEXTS = 5_000
#: Texts per chunk: small enough that the last chunk's wait is short, large enough that
#: sending a chunk costs little beside working it.
CHUNK_SIZE = 2_000
#: Helpers at most, beside the calling process (one peaked at 37 MB in a 10M refit).
MAX_PROCESSES = 3
#: What a helper imports before its first chunk arrives.
WARM_MODULES = ("pmanalytics.pain_points.clauses",)

T = TypeVar("T")
_LENGTH = struct.Struct("!Q")


def available_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def concat(parts: list[Any]) -> Any:
    """Join chunk results: lists and arrays end to end, tuples and dataclasses field by field."""
    first = parts[0]
    if isinstance(first, np.ndarray):
        return np.concatenate(parts)
    if isinstance(first, list):
        return [item for part in parts for item in part]
    if isinstance(first, tuple):
        return tuple(concat([p[i] for p in parts]) for i in range(len(first)))
    if is_dataclass(first) and not isinstance(first, type):
        return type(first)(
            **{f.name: concat([getattr(p, f.name) for p in parts]) for f in fields(first)}
        )
    raise TypeError(f"cannot join chunk results of type {type(first).__name__}")


def _send(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    """The next message; EOFError when the other side has gone."""
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        raise EOFError
    size = _LENGTH.unpack(header)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


class _Helper:
    """One helper process and the pipe pair to it (used by one thread at a time).

    It says when its imports are done: until then no chunk waits on it.
    """

    def __init__(self, warm_modules: Sequence[str]) -> None:
        # the caller's import path, and only it: ``-P`` keeps ``-m`` from putting the
        # working folder first, where another copy of this package would win
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-m", __name__, *warm_modules],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self.ready = threading.Event()
        self.gone = False
        self.busy = False  # a chunk sent, its reply not read
        threading.Thread(target=self._await_ready, daemon=True).start()

    def _await_ready(self) -> None:
        assert self.process.stdout is not None
        try:
            _receive(self.process.stdout)
        except (OSError, EOFError, pickle.PickleError):
            if not self.gone:  # not stopped by us
                log.warning("a text helper process did not start; its share is worked here")
            self.gone = True
        self.ready.set()

    def call(self, func: Callable[[list[Any]], Any], chunk: list[Any]) -> tuple[bool, Any]:
        """``(True, result)``, or ``(False, why)`` when the chunk failed in the helper."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.busy = True
        _send(self.process.stdin, (func, chunk))
        reply = _receive(self.process.stdout)
        self.busy = False
        return reply  # type: ignore[no-any-return]

    def stop(self) -> None:
        """No more chunks: it may still hold one (its reply is then ignored)."""
        self.gone = True

    def close(self) -> None:
        """End its input and wait for it to exit. One still importing, or holding a chunk
        whose reply no one will read (after an error), is killed: its reply could fill the
        pipe and block it."""
        self.gone = True
        if self.busy or not self.ready.is_set():
            self.process.kill()
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class TextWorkers:
    """A context that maps pure per-text functions over texts in this and helper processes.

    ``TextWorkers(0)`` (or one core) works everything in the calling process: the same
    calls, the same results. ``helper_chunks`` counts the chunks the helpers worked.
    """

    def __init__(
        self,
        processes: int,
        chunk_size: int = CHUNK_SIZE,
        warm_modules: Sequence[str] = WARM_MODULES,
    ) -> None:
        self.processes = max(0, processes)
        self.chunk_size = chunk_size
        self.warm_modules = tuple(warm_modules)
        self.helper_chunks = 0
        self._helpers: list[_Helper] = []

    @classmethod
    def for_texts(cls, n_texts: int) -> TextWorkers:
        """As many helpers as spare cores (at most :data:`MAX_PROCESSES`) for a large
        enough job, none for a small one."""
        if n_texts < MIN_TEXTS:
            return cls(0)
        return cls(min(available_cores() - 1, MAX_PROCESSES))

    def __enter__(self) -> TextWorkers:
        if self.processes and not sys.executable:  # an embedded interpreter: no python to run
            log.warning("text work stays in this process: no Python executable to start")
            return self
        for _ in range(self.processes):  # started now: they import while this one works
            try:
                self._helpers.append(_Helper(self.warm_modules))
            except OSError as error:
                log.warning("text work stays in this process: %s", error)
                break
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for helper in self._helpers:
            helper.close()
        self._helpers = []

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until every helper has done its imports (tests; a run never waits)."""
        return all(h.ready.wait(timeout) for h in self._helpers)

    def map(self, func: Callable[[list[Any]], T], items: Sequence[Any]) -> T:
        """``func(items)``, computed chunk by chunk; ``func`` must be a module-level
        function (or a ``functools.partial`` of one) that works item by item and returns
        one result per item as a list, an array, or a tuple or dataclass of them."""
        items = list(items)
        if not self._helpers or len(items) <= self.chunk_size:
            return func(items)
        chunks = [items[i : i + self.chunk_size] for i in range(0, len(items), self.chunk_size)]
        results: list[Any] = [None] * len(chunks)
        done = [False] * len(chunks)
        lock = threading.Lock()
        ends = [0, len(chunks) - 1]  # the next chunk from the front, from the back

        def take(front: bool) -> int | None:
            with lock:
                if ends[0] > ends[1]:
                    return None
                i = ends[0] if front else ends[1]
                ends[0 if front else 1] += 1 if front else -1
                return i

        def feed(helper: _Helper) -> None:
            while not helper.ready.wait(0.02):  # still importing
                if finished.is_set():
                    return
            while not helper.gone and (i := take(front=True)) is not None:
                try:
                    ok, value = helper.call(func, chunks[i])
                except (OSError, EOFError, pickle.PickleError) as error:
                    log.warning("a text helper process stopped (%s); this one goes on", error)
                    helper.stop()
                    return
                if ok:
                    results[i], done[i] = value, True
                    with lock:
                        self.helper_chunks += 1
                # else: left undone, worked below in this process, where the error raises

        finished = threading.Event()
        threads = [threading.Thread(target=feed, args=(h,), daemon=True) for h in self._helpers]
        for thread in threads:
            thread.start()
        try:
            while (i := take(front=False)) is not None:
                results[i], done[i] = func(chunks[i]), True
        finally:  # also on an error here: no helper takes another chunk of this call
            with lock:
                ends[0] = ends[1] + 1
            finished.set()
            for thread in threads:
                thread.join()  # a helper holds at most one chunk now
        for i in range(len(chunks)):
            if not done[i]:
                results[i] = func(chunks[i])
        for helper in [h for h in self._helpers if h.gone]:
            helper.close()
            self._helpers.remove(helper)
        return concat(results)


def _serve(modules: list[str]) -> None:
    """A helper's loop: import ``modules``, then answer each ``(func, chunk)`` on standard
    input with ``(True, func(chunk))`` or ``(False, the error)`` until the input ends."""
    inbox = sys.stdin.buffer
    outbox = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not break the pipe
    for name in modules:
        importlib.import_module(name)
    _send(outbox, "ready")
    while True:
        try:
            func, chunk = _receive(inbox)
        except EOFError:
            return
        try:
            reply: tuple[bool, Any] = (True, func(chunk))
        except Exception as error:  # reported: the caller works the chunk, and raises
            reply = (False, repr(error))
        _send(outbox, reply)


if __name__ == "__main__":
    _serve(sys.argv[1:])

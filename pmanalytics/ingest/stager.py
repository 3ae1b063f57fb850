"""Staging the next files in a thread while the loader writes the ones before them.

A file's load has two passes: the staging statement (parse, per-field checks), which keeps
both cores busy, and the insert of its new rows, which DuckDB runs on one core
(:func:`~pmanalytics.warehouse.append_in_order`). One after the other, a core idled through
every insert. The stager runs the staging statements on a second connection to the same
DuckDB instance, in a thread of its own, so that the next file is parsed while the loader
inserts (docs/decisions.md, *Staging beside the insert*).

Each staged file goes into an in-memory database of its own, attached to the instance under a
unique name. A DuckDB transaction takes its snapshot of an attached database when it first
reads it, so the loader's open transaction sees each file's rows as soon as they are staged.
Nothing of a file is in the warehouse until the loader commits it; the in-memory databases
are detached once their files are committed, and all of them when the load ends or fails.
The stager keeps at most two transactions' worth of files staged ahead of the loader, so
memory stays bounded (DuckDB keeps in-memory databases within its memory limit, spilling
to its temporary directory).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from pmanalytics.ingest.files import READ_ERRORS, FileFacts, unreadable
from pmanalytics.warehouse import Identifier, compose, drop_scratch, read_sql

#: stage(connection, file, table): fill ``table`` with one row per record of the file
StageFn = Callable[[duckdb.DuckDBPyConnection, FileFacts, Identifier], None]
_END = object()


@dataclass(frozen=True)
class Staged:
    """One file ready for the loader: its records in ``incoming``, or skipped (loaded before)."""

    facts: FileFacts
    database: str | None  # the in-memory database holding the file's rows; None when skipped
    rows: int
    started_at: datetime
    seconds: float

    @property
    def incoming(self) -> tuple[str, str, str]:
        if self.database is None:
            raise ValueError(f"{self.facts.path}: skipped, nothing was staged")
        return _incoming(self.database)


def create_incoming_sql(incoming: Identifier, query: str) -> str:
    """``create or replace table <incoming> as <query>``: how each stage function ends."""
    return compose("create or replace table {incoming} as\n", incoming=incoming) + query


def create_incoming(
    con: duckdb.DuckDBPyConnection, incoming: Identifier, query: str, params: object = None
) -> None:
    con.execute(create_incoming_sql(incoming, query), params).fetchall()


class Stager:
    """Stages ``files`` in order on a cursor of ``con``, in a thread; iterate to get them.

    Iterating yields each file as :class:`Staged`, in order, and raises a file's error (not
    readable, not UTF-8, a failed check) in that file's turn, after the files before it.
    :meth:`release` drops a file the loader has committed; :meth:`close` stops staging and
    drops everything still held.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        files: Iterable[FileFacts],
        kind: str,
        stage: StageFn,
        *,
        ahead_rows: int,
        ahead_bytes: int,
        ahead_files: int,
    ) -> None:
        self._con = con
        self._cursor = con.cursor()
        # the staging SQL's macros: temporary, so the cursor's own (once per load, not per
        # file: 5 ms each time)
        self._cursor.execute(read_sql("ingest/macros.sql"))
        self._files = files
        self._kind = kind
        self._stage = stage
        self._ahead_rows = ahead_rows
        self._ahead_bytes = ahead_bytes
        self._ahead_files = ahead_files
        self._staged: queue.Queue = queue.Queue()
        self._held: dict[str, tuple[int, int]] = {}  # database -> (rows, bytes) not released
        self._room = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pma-stager", daemon=True)
        self._thread.start()

    def __enter__(self) -> Stager:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Staged]:
        while True:
            item = self._staged.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def release(self, staged: Staged) -> None:
        """The loader committed this file: free its database and its room ahead.

        Called by the loader, between its transactions: the database is detached on the
        loader's connection, never on the stager's, which may be running a statement.
        """
        if staged.database is None:
            return
        with self._room:
            if self._held.pop(staged.database, None) is None:
                return
            self._room.notify_all()
        _detach(self._con, staged.database)

    def close(self) -> None:
        """Stop staging (a statement in progress is interrupted) and drop what is held."""
        self._stop.set()
        with self._room:
            self._room.notify_all()
        if self._thread.is_alive():
            self._cursor.interrupt()
        self._thread.join()
        with self._room:
            held, self._held = list(self._held), {}
        for database in held:
            # on the loader's connection (its transaction is over): the stager's cursor may
            # have been interrupted mid-statement. Files are held here only when the load
            # failed, and its error is the one to report: a database left attached (the
            # connection's own, in memory) is not worth hiding it for.
            with contextlib.suppress(duckdb.Error):
                _detach(self._con, database)
        self._cursor.close()

    def _run(self) -> None:
        try:
            for facts in self._files:
                if not self._wait_for_room():
                    return
                self._staged.put(self._stage_file(facts))
            self._staged.put(_END)
        except BaseException as exc:  # raised to the loader in this file's turn
            self._staged.put(exc)

    def _wait_for_room(self) -> bool:
        """Wait until what is held is under the limits (a lone file always has room)."""
        with self._room:
            while self._held and not self._stop.is_set():
                rows = sum(r for r, _ in self._held.values())
                size = sum(b for _, b in self._held.values())
                if (
                    rows < self._ahead_rows
                    and size < self._ahead_bytes
                    and len(self._held) < self._ahead_files
                ):
                    break
                self._room.wait()
            return not self._stop.is_set()

    def _stage_file(self, facts: FileFacts) -> Staged:
        started = time.perf_counter()
        started_at = datetime.now(UTC).replace(tzinfo=None)
        if already_loaded(self._cursor, self._kind, facts.sha256):
            return Staged(facts, None, 0, started_at, time.perf_counter() - started)
        database = f"pma_stage_{uuid.uuid4().hex}"
        self._cursor.execute(compose("attach ':memory:' as {database}", database=database))
        with self._room:
            self._held[database] = (0, facts.bytes)
        incoming = _incoming(database)
        try:
            self._stage(self._cursor, facts, incoming)
        except READ_ERRORS as exc:
            raise unreadable(facts.path, exc) from exc
        finally:
            drop_scratch(self._cursor)
        [(rows,)] = self._cursor.execute(compose("select count(*) from {t}", t=incoming)).fetchall()
        with self._room:
            self._held[database] = (rows, facts.bytes)
        return Staged(facts, database, rows, started_at, time.perf_counter() - started)


def already_loaded(con: duckdb.DuckDBPyConnection, kind: str, sha256: str) -> bool:
    """A file of this content was loaded: committed, or earlier in ``con``'s transaction."""
    [(count,)] = con.execute(
        "select count(*) from meta.ingested_files where kind = ? and sha256 = ?", [kind, sha256]
    ).fetchall()
    return bool(count)


def _incoming(database: str) -> tuple[str, str, str]:
    """The table a file is staged into, in its own database."""
    return (database, "main", "incoming")


def _detach(con: duckdb.DuckDBPyConnection, database: str) -> None:
    con.execute(compose("detach database if exists {database}", database=database)).fetchall()

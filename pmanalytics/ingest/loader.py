"""Loading files atomically: stage → classify → insert → account, per file, in transactions
that each hold whole files.

Every kind of input (events, users, surveys) stages its file into a table of its own (the
stager's ``incoming``, :mod:`pmanalytics.ingest.stager`) with one row per record read:
``row_number``, ``raw_record`` (the record's text, needed only where it is quarantined),
``reason`` (null when the record is usable) and the target table's columns. Staging runs
in a thread, a file or more ahead of this module, which decides each record's outcome once —
loaded, duplicate or quarantined — so that ``rows_read = rows_loaded + rows_duplicate +
rows_quarantined`` holds by construction and is checked before commit. A crash before
commit leaves nothing of the transaction's files behind; rerunning loads them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial

import duckdb

from pmanalytics.errors import IngestError
from pmanalytics.ingest.files import FileFacts
from pmanalytics.ingest.stager import Staged, StageFn, Stager, already_loaded
from pmanalytics.warehouse import (
    append_in_order,
    compose,
    drop_tables,
    transaction,
)


@dataclass(frozen=True)
class Target:
    """Where one kind of input lands and what identifies a duplicate."""

    kind: str
    table: str
    key: str
    columns: tuple[str, ...]


TARGETS = {
    "events": Target(
        "events",
        "events",
        "event_id",
        (
            "event_id",
            "event_type",
            "user_id",
            "anonymous_id",
            "previous_id",
            "event",
            "occurred_at",
            "session_id",
            "properties",
            "context",
            "traits",
        ),
    ),
    "users": Target(
        "users", "users", "record_id", ("record_id", "user_id", "created_at", "traits")
    ),
    "surveys": Target(
        "surveys",
        "survey_responses",
        "response_id",
        (
            "response_id",
            "user_id",
            "survey",
            "metric",
            "score",
            "score_raw",
            "submitted_at",
            "comment",
            "attributes",
        ),
    ),
}


@dataclass(frozen=True)
class IngestResult:
    """The outcome of one file: what was read and where every row went."""

    source: str
    kind: str
    path: str
    sha256: str
    bytes: int
    rows_read: int
    rows_loaded: int
    rows_duplicate: int
    rows_quarantined: int
    skipped: bool
    seconds: float
    load_id: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


#: A transaction takes files until it holds this many rows, or this many bytes of files. Its
#: rows fill whole row groups (122,880 rows; :func:`append_in_order`) but for its last
#: one, which the next checkpoint merges with its neighbours, rewriting them: the fewer
#: transactions, the less rewritten (10M events: 250k-row transactions left 125 row groups
#: and a 7-16 s checkpoint; docs/decisions.md, *Row groups*).
TRANSACTION_ROWS = 1_000_000
TRANSACTION_BYTES = 128 * 2**20
#: ... or this many files: each staged file is a database attached until its transaction
#: commits, and DuckDB's catalog listings grow with them (2,000 tiny files in one
#: transaction took 61 s against 38 s before files were staged apart).
TRANSACTION_FILES = 64
#: How far staging may run ahead of the loader: while one transaction's files are written,
#: the next transaction's are staged, and no further (memory stays bounded).
STAGED_AHEAD = 2
#: The loader's own temporary tables, dropped by name after each file. Nothing in a load's
#: transaction may list the catalog (``duckdb_tables()`` and the like): listing it starts the
#: transaction's snapshot of every attached database, a file's staging database too, before
#: the stager has filled it, and that file's rows would stay invisible to the transaction.
_SCRATCH = ("_firsts", "_new")


def load_files(
    con: duckdb.DuckDBPyConnection,
    target: Target,
    files: Iterable[FileFacts],
    source: str,
    stage: StageFn,
    on_file: Callable[[IngestResult], None] | None = None,
) -> list[IngestResult]:
    """Load inspected files, several per transaction, each file staged and counted alone.

    The files are staged in a thread (:class:`~pmanalytics.ingest.stager.Stager`) while the
    ones before them are written. A crash loses the open transaction's files whole, and a
    rerun loads them: nothing is half-loaded or loaded twice. A file that fails rolls its
    transaction back; the files before it in that transaction are loaded again and
    committed before its error is raised, so a rerun continues where this run stopped.
    ``on_file`` sees each file once it is committed.
    """
    results: list[IngestResult] = []
    with Stager(
        con,
        files,
        target.kind,
        stage,
        ahead_rows=STAGED_AHEAD * TRANSACTION_ROWS,
        ahead_bytes=STAGED_AHEAD * TRANSACTION_BYTES,
        ahead_files=STAGED_AHEAD * TRANSACTION_FILES,
    ) as stager:
        remaining = iter(stager)
        while True:
            group: list[Staged] = []
            loaded: list[IngestResult] = []
            try:
                with transaction(con):
                    for staged in remaining:
                        group.append(staged)
                        loaded.append(load_file(con, target, staged.facts, source, staged))
                        rows = sum(r.rows_read for r in loaded)
                        size = sum(s.facts.bytes for s in group)
                        if (
                            rows >= TRANSACTION_ROWS
                            or size >= TRANSACTION_BYTES
                            or len(group) >= TRANSACTION_FILES
                        ):
                            break
            except Exception as exc:
                before = group[: len(loaded)]  # this transaction's files before the failure
                try:
                    with transaction(con):
                        loaded = [load_file(con, target, s.facts, source, s) for s in before]
                except Exception as again:  # e.g. the disk is still full: the first error stands
                    exc.add_note(f"loading the {len(before)} file(s) before it again: {again}")
                    raise exc from None
                _report(loaded, results, on_file)
                raise
            _report(loaded, results, on_file)
            for staged in group:
                stager.release(staged)
            if not group:
                return results


def _report(
    loaded: list[IngestResult],
    results: list[IngestResult],
    on_file: Callable[[IngestResult], None] | None,
) -> None:
    results.extend(loaded)
    for result in loaded if on_file is not None else ():
        on_file(result)


def load_file(
    con: duckdb.DuckDBPyConnection,
    target: Target,
    facts: FileFacts,
    source: str,
    staged: Staged,
) -> IngestResult:
    """Load one staged file inside the open transaction; skip it if its content was
    loaded (committed, or earlier in this transaction)."""
    started = time.perf_counter()
    path = str(facts.path)
    outcome = partial(IngestResult, source, target.kind, path, facts.sha256, facts.bytes)
    if staged.database is None or already_loaded(con, target.kind, facts.sha256):
        return outcome(0, 0, 0, 0, True, staged.seconds + time.perf_counter() - started)
    read = _visible_rows(con, staged)
    load_id = str(uuid.uuid4())
    loaded, duplicate, quarantined = _classify_and_insert(
        con, target, staged.incoming, path, load_id
    )
    finished_at = datetime.now(UTC).replace(tzinfo=None)
    counts = (read, loaded, duplicate, quarantined)
    if read != loaded + duplicate + quarantined:
        raise IngestError(f"{path}: row accounting does not add up ({counts}); nothing loaded")
    con.execute(
        "insert into meta.ingested_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            source,
            target.kind,
            path,
            facts.sha256,
            facts.bytes,
            read,
            loaded,
            duplicate,
            quarantined,
            staged.started_at,
            finished_at,
        ],
    )
    drop_tables(con, *_SCRATCH)
    seconds = staged.seconds + time.perf_counter() - started
    return outcome(read, loaded, duplicate, quarantined, False, seconds, load_id)


def _visible_rows(con: duckdb.DuckDBPyConnection, staged: Staged) -> int:
    """The file's rows read, as the transaction sees them: all that were staged, checked
    (see :data:`_SCRATCH`)."""
    try:
        [(rows,)] = con.execute(compose("select count(*) from {t}", t=staged.incoming)).fetchall()
    except duckdb.Error as exc:
        rows, error = None, exc
    else:
        error = None
    if rows != staged.rows:
        raise IngestError(
            f"{staged.facts.path}: the load's transaction does not see the file's "
            f"{staged.rows} staged row(s) (sees {rows}); nothing of it was loaded"
            + (f" ({error})" if error else "")
        )
    return rows


def _classify_and_insert(
    con: duckdb.DuckDBPyConnection,
    target: Target,
    incoming: tuple[str, str, str],
    path: str,
    load_id: str,
) -> tuple[int, int, int]:
    """Insert the file's new records and its quarantined ones: ``(loaded, duplicate,
    quarantined)``, each counted on its own (the rows read are counted by the caller).

    Only the keys and row numbers are ranked, never the whole records: the first usable
    record of each key is the candidate, and it is new unless an earlier load has the key
    (a broken copy never makes a good one a duplicate). ``loaded`` and ``quarantined`` are
    the rows the inserts wrote and ``duplicate`` is counted apart, so the sum checked
    before commit is a real check, not true by construction.
    """
    names = {
        "incoming": incoming,
        "raw_table": ("raw", target.table),
        "key": target.key,
        "columns": list(target.columns),
    }
    con.execute(
        compose(
            "create or replace temp table _firsts as select {key}, min(row_number) as row_number"
            " from {incoming} where reason is null group by {key}",
            **names,
        )
    )
    # Keys loaded by earlier files: a semi join built on this file's keys, with the file's
    # key range as a constant filter so that DuckDB's zone maps skip every row group that
    # cannot match (time-ordered ids such as UUIDv7 make this most of the table). Without
    # it, each file would scan every key ever loaded (0.4 s a file at 10M events).
    low, high = con.execute(
        compose("select min({key}), max({key}) from _firsts", **names)
    ).fetchone() or (None, None)
    con.execute(
        compose(
            """
            create or replace temp table _new as
            select row_number from _firsts
            where {key} not in (
                select {key} from {raw_table}
                where {key} between ? and ? and {key} in (select {key} from _firsts)
            )
            """,
            **names,
        ),
        [low, high],
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    # the staged rows are in file order, and the insert keeps it: no sort needed.
    loaded = append_in_order(
        con,
        compose(
            """
            insert into {raw_table} ({columns}, source_file, row_number, load_id, ingested_at)
            select {columns}, ?, row_number, ?, ? from {incoming}
            where row_number in (select row_number from _new)
            """,
            **names,
        ),
        [path, load_id, now],
    )
    quarantined = _written(
        con,
        compose(
            """
            insert into {quarantine_table}
                (source_file, row_number, reason, raw_record, quarantined_at, load_id)
            select ?, row_number, reason, raw_record, ?, ? from {incoming}
            where reason is not null order by row_number
            """,
            incoming=incoming,
            quarantine_table=("quarantine", target.table),
        ),
        [path, now, load_id],
    )
    row = con.execute(
        compose(
            "select (select count(*) from {incoming} where reason is null)"
            " - (select count(*) from _new)",
            incoming=incoming,
        )
    ).fetchone()
    assert row is not None
    return loaded, int(row[0]), quarantined


def _written(con: duckdb.DuckDBPyConnection, statement: str, params: list) -> int:
    """Run an insert and return how many rows it wrote."""
    row = con.execute(statement, params).fetchone()
    return int(row[0]) if row else 0

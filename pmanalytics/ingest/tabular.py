"""Staging tabular files (CSV, Parquet, JSON arrays, NDJSON lines) into temporary tables.

Each file becomes ``_rows(row_number, record)`` — ``record`` is the row as a JSON object, so
that kind-specific SQL reads columns by JSON path (a bound value), never by pasting a column
name from a file header or from config into SQL text — plus ``_rejects(row_number,
raw_record, reason)`` for records the reader itself could not parse.

``row_number`` is the physical line for NDJSON, and the record's position among data rows
(1 = first row after the header) for CSV, Parquet and JSON arrays.
"""

from __future__ import annotations

import duckdb

from pmanalytics.errors import IngestError
from pmanalytics.ingest.files import FileFacts, iter_lines
from pmanalytics.warehouse import drop_tables

MAX_LINE_BYTES = 256 * 1024 * 1024

_CREATE_LINES = "create or replace temp table _lines (line_number bigint, line varchar)"
_CREATE_REJECTS = (
    "create or replace temp table _rejects (row_number bigint, raw_record varchar, reason varchar)"
)


def stage_lines(con: duckdb.DuckDBPyConnection, facts: FileFacts) -> None:
    """NDJSON (or a JSON array) into ``_lines(line_number, line)``: one JSON text per record."""
    con.execute(_CREATE_LINES)
    con.execute(_CREATE_REJECTS)
    if facts.format == "json" and _starts_with_array(facts):
        try:
            con.execute(
                "insert into _lines select row_number() over (), json::varchar "
                "from read_json_objects(?, format = 'array', maximum_object_size = ?)",
                [str(facts.path), MAX_LINE_BYTES],
            )
        except duckdb.Error as exc:
            raise IngestError(f"{facts.path}: not a readable JSON array: {exc}") from exc
        return
    for batch in iter_lines(facts):
        con.register("_line_batch", batch)
        try:
            con.execute("insert into _lines select line_number, line from _line_batch")
        finally:
            con.unregister("_line_batch")


def stage_json_records(con: duckdb.DuckDBPyConnection) -> None:
    """Turn ``_lines`` into ``_rows``; lines that are not JSON objects go to ``_rejects``."""
    con.execute(
        "create or replace temp table _rows as "
        "select line_number as row_number, line::json as record from _lines "
        "where json_valid(line) and json_type(line) = 'OBJECT'"
    )
    con.execute(
        "insert into _rejects select line_number, line, case when not json_valid(line) "
        "then 'malformed JSON' else 'not a JSON object (found ' || lower(json_type(line)) || ')'"
        " end from _lines where not json_valid(line) or json_type(line) <> 'OBJECT'"
    )


def _starts_with_array(facts: FileFacts) -> bool:
    for batch in iter_lines(facts, chunk_bytes=64 * 1024):
        first = batch.column("line")[0].as_py().lstrip()
        return first.startswith("[")
    return False


def stage_table(con: duckdb.DuckDBPyConnection, facts: FileFacts) -> list[str]:
    """Stage a CSV / Parquet / JSON / NDJSON file into ``_rows`` and ``_rejects``.

    Returns the file's column names (for CSV and Parquet: its header / schema; for JSON:
    the keys seen), so callers can report a missing column before loading anything.
    """
    if facts.format in ("ndjson", "json"):
        stage_lines(con, facts)
        stage_json_records(con)
        keys = con.execute(
            "select distinct unnest(json_keys(record)) from _rows order by 1"
        ).fetchall()
        return [k[0] for k in keys]
    con.execute(_CREATE_REJECTS)
    if facts.bytes == 0:
        con.execute("create or replace temp table _rows (row_number bigint, record json)")
        return []
    if facts.format == "parquet":
        statement = "create or replace temp table _file as select * from read_parquet(?)"
        params: list = [str(facts.path)]
    else:
        statement = (
            "create or replace temp table _file as select * from read_csv(?, all_varchar = true, "
            "header = true, store_rejects = true, rejects_table = '_csv_rejects', "
            "rejects_scan = '_csv_scans', max_line_size = ?, compression = ?)"
        )
        params = [str(facts.path), MAX_LINE_BYTES, "gzip" if facts.compressed else "none"]
    try:
        con.execute(statement, params)
    except duckdb.Error as exc:
        raise IngestError(f"{facts.path}: cannot be read as {facts.format}: {exc}") from exc
    columns = [row[0] for row in con.execute("describe _file").fetchall()]
    rejected = facts.format == "csv"
    if rejected:
        # The CSV reader numbers rejects by record, header included; make that the data-row
        # position, then place each accepted row between the rejected ones.
        con.execute(
            "insert into _rejects select line - 1, trim(min(csv_line), chr(10) || chr(13)), "
            "'unreadable CSV row: ' || string_agg(distinct error_message, '; ') "
            "from _csv_rejects group by line"
        )
    con.execute(
        "create or replace temp table _rows as "
        "with accepted as ("
        "  select row_number() over (order by rowid) as nth, to_json(f) as record from _file f"
        "), "
        "rejected as (select row_number, row_number() over (order by row_number) as j "
        "  from _rejects) "
        "select a.nth + (select count(*) from rejected r where r.row_number - r.j < a.nth) "
        "  as row_number, a.record from accepted a"
    )
    drop_tables(con, "_file", "_csv_rejects", "_csv_scans")
    return columns

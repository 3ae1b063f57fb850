"""Staging tabular files (CSV, Parquet, JSON arrays, NDJSON lines) into temporary tables.

Each file becomes ``_rows(row_number, record)`` — ``record`` is the row as a JSON object, so
that kind-specific SQL reads columns by JSON path (a bound value), never by pasting a column
name from a file header or from config into SQL text — plus ``_rejects(row_number,
raw_record, reason)`` for records the reader itself could not parse.

``row_number`` is the physical line for NDJSON, and the record's position among data rows
(1 = first row after the header) for CSV, Parquet and JSON arrays.
"""

from __future__ import annotations

import json

import duckdb

from pmanalytics.errors import IngestError
from pmanalytics.ingest.files import (
    FileFacts,
    count_blank_lines_before,
    iter_lines,
    read_csv_header,
)
from pmanalytics.ingest.stream import take_stream
from pmanalytics.warehouse import drop_tables

#: The largest object read_json_objects takes from a JSON array or document, and the
#: longest CSV line DuckDB's reader accepts
MAX_OBJECT_BYTES = 256 * 1024 * 1024

_CREATE_LINES = (
    "create or replace temp table _lines (line_number bigint, line varchar, reject_reason varchar)"
)
_CREATE_REJECTS = (
    "create or replace temp table _rejects (row_number bigint, raw_record varchar, reason varchar)"
)


def stage_lines(con: duckdb.DuckDBPyConnection, facts: FileFacts, statement: str) -> None:
    """Run ``statement`` over a JSON file's records, given as ``_lines(line_number, line,
    reject_reason)``: one JSON text per record; the statement must read ``_lines`` once.

    NDJSON (and a ``.json`` file whose first line is a whole JSON value) streams into
    DuckDB in bounded blocks (``stream.LineStream``): memory holds a few blocks of the file,
    never all of it, and one broken line is quarantined while the rest load. What the
    statement writes goes into DuckDB tables, which keep within DuckDB's memory limit
    (they spill to disk). A JSON array or a pretty-printed document is one JSON text,
    read whole by DuckDB: if it is broken, the file cannot be read and fails as a whole.
    """
    layout = _json_layout(facts) if facts.format == "json" else "lines"
    if layout == "lines":
        stream = take_stream(facts)
        try:
            con.unregister("_lines")
            con.register("_lines", stream.reader())
            con.execute(statement)
        except duckdb.Error:
            if stream.error is not None:
                raise stream.error from None
            raise
        finally:
            stream.close()
        con.unregister("_lines")
        return
    con.unregister("_lines")
    con.execute(_CREATE_LINES)
    try:
        con.execute(
            "insert into _lines select row_number() over (), json::varchar, null "
            "from read_json_objects(?, format = ?, maximum_object_size = ?)",
            [str(facts.path), "array" if layout == "array" else "unstructured", MAX_OBJECT_BYTES],
        )
    except duckdb.Error as exc:
        raise IngestError(
            f"{facts.path}: not readable as a JSON {layout}: {_first_line(exc)}. (For one "
            "JSON object per line, name the file .ndjson so that broken lines are quarantined.)"
        ) from exc
    con.execute(statement)
    drop_tables(con, "_lines")


def _json_layout(facts: FileFacts) -> str:
    """``lines`` (NDJSON), ``array`` or ``document`` (pretty-printed objects)."""
    for batch in iter_lines(facts, chunk_bytes=64 * 1024):
        first = batch.column("line")[0].as_py().strip()
        if first.startswith("["):
            return "array"
        try:
            json.loads(first)
        except ValueError:
            return "document"
        return "lines"
    return "lines"


def stage_json_records(con: duckdb.DuckDBPyConnection, facts: FileFacts) -> None:
    """A JSON file's records into ``_rows``; lines that are not JSON objects go to ``_rejects``."""
    stage_lines(con, facts, "create or replace temp table _json_lines as from _lines")
    con.execute(
        "create or replace temp table _rows as "
        "select line_number as row_number, line::json as record from _json_lines "
        "where reject_reason is null and json_valid(line) and json_type(line) = 'OBJECT'"
    )
    con.execute(
        "insert into _rejects select line_number, line, case "
        "when reject_reason is not null then reject_reason "
        "when not json_valid(line) then 'malformed JSON' "
        "else 'not a JSON object (found ' || lower(json_type(line)) || ')' end "
        "from _json_lines where reject_reason is not null or not json_valid(line) "
        "or json_type(line) <> 'OBJECT'"
    )
    drop_tables(con, "_json_lines")


def stage_table(con: duckdb.DuckDBPyConnection, facts: FileFacts) -> list[str]:
    """Stage a CSV / Parquet / JSON / NDJSON file into ``_rows`` and ``_rejects``.

    Returns the file's column names (for CSV and Parquet: its header / schema; for JSON:
    the keys seen), so callers can report a missing column before loading anything.
    """
    if facts.format in ("ndjson", "json"):
        con.execute(_CREATE_REJECTS)
        stage_json_records(con, facts)
        keys = con.execute(
            "select distinct unnest(json_keys(record)) from _rows order by 1"
        ).fetchall()
        return [k[0] for k in keys]
    con.execute(_CREATE_REJECTS)
    if facts.format == "parquet":
        statement = "create or replace temp table _file as select * from read_parquet(?)"
        params: list = [str(facts.path)]
    else:
        delimiter = "\t" if _is_tsv(facts) else ","
        header = read_csv_header(facts, delimiter)
        if not header:
            con.execute("create or replace temp table _rows (row_number bigint, record json)")
            return []
        statement = (
            "create or replace temp table _file as select * from read_csv(?, columns = ?, "
            "auto_detect = false, header = true, delim = ?, quote = '\"', escape = '\"', "
            "store_rejects = true, rejects_table = '_csv_rejects', rejects_scan = '_csv_scans', "
            "max_line_size = ?, compression = ?)"
        )
        params = [
            str(facts.path),
            dict.fromkeys(header, "VARCHAR"),
            delimiter,
            MAX_OBJECT_BYTES,
            "gzip" if facts.compressed else "none",
        ]
    try:
        con.execute(statement, params)
    except duckdb.Error as exc:
        raise IngestError(
            f"{facts.path}: cannot be read as {facts.format}: {_first_line(exc)}"
        ) from exc
    columns = [row[0] for row in con.execute("describe _file").fetchall()]
    if facts.format == "csv":
        _stage_csv_rejects(con, facts)
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


def _first_line(exc: Exception) -> str:
    """DuckDB's reason without the SQL excerpt it appends (our statement, not the file)."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _is_tsv(facts: FileFacts) -> bool:
    return any(s.lower() == ".tsv" for s in facts.path.suffixes)


def _stage_csv_rejects(con: duckdb.DuckDBPyConnection, facts: FileFacts) -> None:
    """Rows the CSV reader rejected, numbered by their position among data rows.

    The reader counts lines (blank ones included, the header as line 1) and may report
    several errors for one row; the first error, by column, is the one a person needs.
    """
    rejects = con.execute(
        "select line, min(line_byte_position), arg_min(error_message, coalesce(column_idx, 0)),"
        " arg_min(csv_line, coalesce(column_idx, 0)) from _csv_rejects group by line order by line"
    ).fetchall()
    if not rejects:
        return
    blanks = count_blank_lines_before(facts, [r[1] for r in rejects])
    con.executemany(
        "insert into _rejects values (?, ?, ?)",
        [
            (line - 1 - blanks[offset], raw.strip("\r\n"), f"unreadable CSV row: {message}")
            for line, offset, message, raw in rejects
        ],
    )

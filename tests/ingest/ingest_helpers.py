"""Helpers for the ingest tests: hand-made input files and a view of one warehouse.

Plain functions live here (test modules import them); fixtures live in ``conftest.py``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from pmanalytics.config import Config
from pmanalytics.ingest import IngestResult, ingest_files

#: A timestamp inside the accepted range (2000-01-01 .. now + 1 day).
TS = "2026-08-03T10:00:00Z"

#: raw / quarantine table per ingest kind.
TABLES = {"events": "events", "users": "users", "surveys": "survey_responses"}


def segment(call: str, message_id: str | None, **fields: Any) -> dict[str, Any]:
    """One Segment-spec call; ``timestamp`` defaults to :data:`TS`."""
    record: dict[str, Any] = {"type": call}
    if message_id is not None:
        record["messageId"] = message_id
    record.update(fields)
    record.setdefault("timestamp", TS)
    return record


def track(
    message_id: str | None, user: str | None = "u1", event: str = "Clicked", **fields: Any
) -> dict[str, Any]:
    if user is not None:
        fields.setdefault("userId", user)
    return segment("track", message_id, event=event, **fields)


def line(record: dict[str, Any] | str) -> str:
    """A record as one NDJSON line (non-ASCII kept as is); strings are taken verbatim."""
    return record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)


def write_ndjson(
    path: Path,
    *records: dict[str, Any] | str,
    newline: str = "\n",
    bom: bool = False,
    compress: bool = False,
) -> Path:
    """Write records (dicts, or verbatim strings for broken lines) one per line."""
    text = "".join(line(r) + newline for r in records)
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path


def write_text(path: Path, text: str) -> Path:
    """Write text byte for byte (no newline translation)."""
    path.write_bytes(text.encode("utf-8"))
    return path


class Warehouse:
    """A test's view of one warehouse: ingest files, read back where every row went."""

    def __init__(self, con: duckdb.DuckDBPyConnection, config: Config) -> None:
        self.con = con
        self.config = config
        self.results: list[IngestResult] = []

    def ingest(self, kind: str, *paths: Path, **kwargs: Any) -> list[IngestResult]:
        results = ingest_files(self.con, kind, list(paths), config=self.config, **kwargs)
        self.results += results
        return results

    def ingest_one(self, kind: str, path: Path, **kwargs: Any) -> IngestResult:
        (result,) = self.ingest(kind, path, **kwargs)
        return result

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.con.execute(sql, list(params)).fetchall()

    def raw(self, kind: str, path: Path, columns: str) -> list[tuple]:
        """``columns`` of the raw rows that came from ``path``, in file order."""
        return self.rows(
            f"select {columns} from raw.{TABLES[kind]} where source_file = ? order by row_number",
            [str(path)],
        )

    def quarantine(self, kind: str, path: Path) -> list[tuple[int, str, str]]:
        """``(row_number, reason, raw_record)`` of the quarantined rows of ``path``."""
        return self.rows(
            f"select row_number, reason, raw_record from quarantine.{TABLES[kind]} "
            "where source_file = ? order by row_number",
            [str(path)],
        )

    def meta(self, path: Path) -> list[tuple]:
        """``(kind, rows_read, rows_loaded, rows_duplicate, rows_quarantined)`` per load."""
        return self.rows(
            "select kind, rows_read, rows_loaded, rows_duplicate, rows_quarantined "
            "from meta.ingested_files where path = ? order by started_at",
            [str(path)],
        )

    def totals(self) -> dict[str, int]:
        """Row counts of every raw, quarantine and meta table."""
        names = [f"raw.{t}" for t in TABLES.values()]
        names += [f"quarantine.{t}" for t in TABLES.values()]
        names += ["meta.ingested_files"]
        return {n: self.rows(f"select count(*) from {n}")[0][0] for n in names}

    def check_accounting(self) -> None:
        for result in self.results:
            if result.skipped:
                continue
            counts = (result.rows_loaded, result.rows_duplicate, result.rows_quarantined)
            assert result.rows_read == sum(counts), result
            table = TABLES[result.kind]
            landed = self.con.execute(
                f"select (select count(*) from raw.{table} where load_id = $id), "
                f"(select count(*) from quarantine.{table} where load_id = $id), "
                "(select list_value(rows_read, rows_loaded, rows_duplicate, rows_quarantined) "
                " from meta.ingested_files where load_id = $id)",
                {"id": result.load_id},
            ).fetchone()
            assert landed == (
                result.rows_loaded,
                result.rows_quarantined,
                [result.rows_read, *counts],
            ), result


def outcome(result: IngestResult) -> tuple[int, int, int, int, bool]:
    """``(read, loaded, duplicate, quarantined, skipped)`` of one file's load."""
    return (
        result.rows_read,
        result.rows_loaded,
        result.rows_duplicate,
        result.rows_quarantined,
        result.skipped,
    )

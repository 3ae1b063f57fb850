"""What pmanalytics may write over: only what it created.

Folders that a run cleans or replaces as a whole (Great Expectations' Data Docs, the lake,
Spark's marts, an export) carry a marker file, :data:`MARKER`, written when pmanalytics
creates them. A folder that exists without the marker and is not empty belongs to someone
else: it is refused with an error that says so, never emptied. Single files the project
writes (the report) are refused when they would replace the warehouse, the config file or
any input file of a configured source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb

from pmanalytics.config import Config
from pmanalytics.errors import ConfigError, IngestError

MARKER = ".pmanalytics-owned"
#: Files DuckDB keeps beside a warehouse, which belong to it as much as the file itself.
_WAREHOUSE_SIDECARS = (".wal", ".lock", ".tmp")


class OutputRefused(ConfigError):
    """An output path would overwrite or clean something pmanalytics did not create."""


def claim_folder(
    path: str | Path, purpose: str, *, made_by_us: Callable[[Path], bool] | None = None
) -> Path:
    """``path`` as a folder this run may clean or replace: created (with its marker) when
    missing or empty, accepted when it carries the marker, refused otherwise."""
    folder = check_claimable(path, purpose, made_by_us=made_by_us)
    folder.mkdir(parents=True, exist_ok=True)
    mark_owned(folder, purpose)
    return folder


def check_claimable(
    path: str | Path, purpose: str, *, made_by_us: Callable[[Path], bool] | None = None
) -> Path:
    """Raise :class:`OutputRefused` unless :func:`claim_folder` would accept ``path``;
    changes nothing, so a run can check every output before it starts.

    ``made_by_us`` recognises a folder an earlier version wrote before markers existed.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise OutputRefused(f"{purpose} {folder} is a file, not a folder: choose a folder")
    if not folder.is_dir() or is_owned(folder) or not any(folder.iterdir()):
        return folder
    if made_by_us is not None and made_by_us(folder):
        return folder
    raise OutputRefused(
        f"{purpose} {folder} is an existing folder that pmanalytics did not create "
        f"(it has no {MARKER} file), and writing it would clean or replace what is "
        "in it; choose a new or empty folder"
    )


def is_owned(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def mark_owned(folder: Path, purpose: str) -> None:
    marker = folder / MARKER
    if not marker.is_file():
        marker.write_text(
            f"pmanalytics created this folder for {purpose} and replaces what is in it on "
            "every run. Do not keep your own files here.\n",
            encoding="utf-8",
        )


def protected_files(con: duckdb.DuckDBPyConnection, config: Config) -> set[Path]:
    """The warehouse (and DuckDB's files beside it), the config file and every input file."""
    protected: set[Path] = set()
    for (path,) in con.execute(
        "select path from duckdb_databases() where path is not null and not internal"
    ).fetchall():
        warehouse = Path(path).resolve()
        protected.add(warehouse)
        protected.update(warehouse.with_name(warehouse.name + s) for s in _WAREHOUSE_SIDECARS)
    if config.config_file is not None:
        protected.add(config.config_file.resolve())
    protected.update(_input_files(config))
    return protected


def _input_files(config: Config) -> Iterable[Path]:
    from pmanalytics.ingest import expand_paths

    for source in config.sources:
        try:
            yield from (p.resolve() for p in expand_paths([source.path], config.base_dir))
        except IngestError:  # a source with no files yet has nothing to protect
            continue


def check_output_file(path: str | Path, protected: set[Path], purpose: str) -> Path:
    """Refuse to write ``purpose`` over a folder or over a protected file."""
    target = Path(path)
    if target.is_dir():
        raise OutputRefused(f"{purpose} {target} is a folder: give a file name (e.g. report.html)")
    if target.resolve() in protected:
        raise OutputRefused(
            f"refusing to write {purpose} over {target}: it is the warehouse, the config "
            "file or an input file; choose another path"
        )
    return target

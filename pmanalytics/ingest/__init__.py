"""Ingest: land input files in ``raw.*``, bad records in ``quarantine.*``, every file in
``meta.ingested_files`` — each file in one transaction, so a crash loses nothing and a rerun
duplicates nothing.
"""

from __future__ import annotations

import glob
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import groupby
from pathlib import Path

import duckdb

from pmanalytics.config import Config, SurveyMapping, parse_duration
from pmanalytics.errors import ConfigError, IngestError
from pmanalytics.ingest.events import stage_events
from pmanalytics.ingest.files import FileFacts, hash_file, inspect_file
from pmanalytics.ingest.loader import TARGETS, IngestResult, StageFn, load_files
from pmanalytics.ingest.memo import loaded_hashes, read_memo, write_memo
from pmanalytics.ingest.stream import drop_read_ahead, read_ahead
from pmanalytics.ingest.surveys import stage_surveys
from pmanalytics.ingest.users import stage_users

__all__ = [
    "IngestResult",
    "PlannedFile",
    "expand_paths",
    "ingest_files",
    "ingest_sources",
    "plan_sources",
]

KINDS = tuple(TARGETS)


def expand_paths(patterns: Iterable[str | Path], base_dir: Path | None = None) -> list[Path]:
    """Files named by paths, globs (``**`` allowed) or folders, sorted, each once.

    A pattern that matches nothing is an error: a typo must not look like an empty load.
    """
    found: list[Path] = []
    for pattern in patterns:
        text = str(pattern)
        if base_dir is not None and not Path(text).expanduser().is_absolute():
            text = str(base_dir / text)
        text = str(Path(text).expanduser())
        if glob.has_magic(text):
            matches = [Path(p) for p in sorted(glob.glob(text, recursive=True))]
            files = [p for p in matches if p.is_file()]
        elif Path(text).is_dir():
            files = sorted(
                p
                for p in Path(text).rglob("*")
                if p.is_file() and not p.name.startswith(".") and p.name.lower() != "readme.md"
            )
        else:
            files = [Path(text)]
        if not files:
            raise IngestError(f"{pattern}: no files match")
        found.extend(files)
    unique: dict[Path, None] = {}
    for path in found:
        unique.setdefault(path.resolve(), None)
    return list(unique)


def _timestamp_bounds(config: Config) -> tuple[datetime, datetime]:
    try:
        earliest = datetime.fromisoformat(config.ingest.earliest_timestamp)
    except ValueError as exc:
        raise ConfigError(f"ingest.earliest_timestamp: {exc}") from None
    earliest = earliest.astimezone(UTC).replace(tzinfo=None) if earliest.tzinfo else earliest
    future = timedelta(seconds=parse_duration(config.ingest.max_future))
    latest = datetime.now(UTC).replace(tzinfo=None) + future
    return earliest, latest


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    paths: Sequence[str | Path],
    *,
    config: Config,
    source: str | None = None,
    file_format: str = "auto",
    mapping: SurveyMapping | None = None,
    on_file: Callable[[IngestResult], None] | None = None,
) -> list[IngestResult]:
    """Load files of one kind (``events``, ``users`` or ``surveys``), each file whole.

    Files are checked (exists, readable, UTF-8, format) one by one just before loading; an
    unreadable file raises :class:`IngestError` naming it, after the files before it were
    committed, so a rerun continues where it stopped. Several files share a transaction
    (:func:`~pmanalytics.ingest.loader.load_files`), and the next file's lines are read
    ahead while one file loads (:mod:`pmanalytics.ingest.stream`).
    """
    if kind not in TARGETS:
        raise ConfigError(f"unknown ingest kind {kind!r}; expected one of {', '.join(KINDS)}")
    source = source or kind
    target = TARGETS[kind]
    earliest, latest = _timestamp_bounds(config)
    stage: StageFn
    if kind == "events":
        stage = partial(stage_events, earliest=earliest, latest=latest)
    elif kind == "users":
        stage = stage_users
    else:
        stage = partial(stage_surveys, mapping=mapping or SurveyMapping(), source=source)
    memo = read_memo(con, hash_file)
    loaded = loaded_hashes(con, target.kind)
    inspect = partial(inspect_file, declared_format=file_format, sha256=memo.sha256, loaded=loaded)
    with closing(_inspected(expand_paths(paths), inspect, loaded)) as files:
        results = load_files(con, target, files, source, stage, on_file)
    write_memo(con, memo)  # after a failed load the files are simply hashed again
    return results


Inspect = Callable[[Path], FileFacts]


def _inspected(found: list[Path], inspect: Inspect, loaded: Container[str]) -> Iterator[FileFacts]:
    """Each file inspected just before it loads, the next one's lines already being read."""
    upcoming: FileFacts | None = None
    try:
        for index, path in enumerate(found):
            facts = upcoming or inspect(path)
            upcoming = _read_next(found, index + 1, inspect, loaded)
            yield facts
            drop_read_ahead(facts)  # started but never read: the file was skipped
    finally:
        if upcoming is not None:
            drop_read_ahead(upcoming)


def _read_next(
    found: list[Path], index: int, inspect: Inspect, loaded: Container[str]
) -> FileFacts | None:
    """Inspect the file after this one and start reading its lines while this one loads
    (unless it was loaded before: the load skips it).

    A file that fails inspection is left alone here: it is inspected again in its turn,
    after the files before it are committed, and fails then.
    """
    if index >= len(found):
        return None
    try:
        facts = inspect(found[index])
    except IngestError:
        return None
    if facts.sha256 not in loaded:
        read_ahead(facts)
    return facts


@dataclass(frozen=True)
class PlannedFile:
    """One file of a configured source, as plain values (cheap to pass between tasks)."""

    source: str
    kind: str
    path: str


def plan_sources(config: Config, names: Sequence[str] | None = None) -> list[PlannedFile]:
    """Every file of the configured sources, users first, then events, then surveys."""
    chosen = [config.source(n) for n in names] if names else list(config.sources)
    order = {"users": 0, "events": 1, "surveys": 2}
    return [
        PlannedFile(source.name, source.kind, str(path))
        for source in sorted(chosen, key=lambda s: order[s.kind])
        for path in expand_paths([source.path], base_dir=config.base_dir)
    ]


def ingest_planned(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    planned: Sequence[PlannedFile],
    *,
    on_file: Callable[[IngestResult], None] | None = None,
) -> list[IngestResult]:
    """Load planned files of one source with its format and survey mapping."""
    [name] = {p.source for p in planned}
    source = config.source(name)
    return ingest_files(
        con,
        source.kind,
        [p.path for p in planned],
        config=config,
        source=source.name,
        file_format=source.format,
        mapping=source.mapping,
        on_file=on_file,
    )


def ingest_sources(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    names: Sequence[str] | None = None,
    *,
    on_file: Callable[[IngestResult], None] | None = None,
) -> list[IngestResult]:
    """Ingest the configured ``[[sources]]`` (all, or those named), users before events."""
    results: list[IngestResult] = []
    for _, planned in groupby(plan_sources(config, names), key=lambda p: p.source):
        results += ingest_planned(con, config, list(planned), on_file=on_file)
    return results

"""The lake: staged tables as Parquet folders that DuckDB, Spark, Trino and cloud warehouses read.

Layout under the lake root (``[lake] path``)::

    events/event_date=YYYY-MM-DD/*.parquet     staging.events, by the UTC date of occurred_at
    users/*.parquet                            staging.users
    survey_responses/*.parquet                 staging.survey_responses
    identity_map/*.parquet                     staging.identity_map
    meta/config_*/*.parquet                    the settings the marts join (meta.config_*)

The lake is rewritten whole on every export: it is written next to the root first and swapped
in only once complete, so a crashed export leaves yesterday's lake, never half of today's,
and a rerun replaces rather than appends.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import duckdb

from pmanalytics.errors import WarehouseError
from pmanalytics.outputs import check_claimable, mark_owned
from pmanalytics.warehouse import compose, discover_models

#: The partition column of the events folder: the UTC calendar date of ``occurred_at``.
EVENT_PARTITION = "event_date"
#: The lake folder that holds the ``meta.config_*`` tables.
META_FOLDER = "meta"
_STAGING_PREFIX = ".staging-"
_OLD_PREFIX = ".old-"

T = TypeVar("T")


@dataclass(frozen=True)
class LakeTable:
    """One warehouse table and the folder (relative to the lake root) that holds it."""

    schema: str
    table: str
    folder: str
    partition_by: tuple[str, ...] = ()


@dataclass
class LakeResult:
    root: Path
    #: every table written, with its row count
    tables: list[tuple[LakeTable, int]] = field(default_factory=list)


def lake_tables(con: duckdb.DuckDBPyConnection) -> list[LakeTable]:
    """Every staging model and every ``meta.config_*`` table: what the marts read."""
    tables: list[LakeTable] = []
    for model in sorted(discover_models(layers=("staging",)), key=lambda m: m.name):
        if model.name == META_FOLDER:
            raise WarehouseError(f"a staging model may not be named {META_FOLDER!r} in the lake")
        partition = (EVENT_PARTITION,) if model.name == "events" else ()
        tables.append(LakeTable("staging", model.name, model.name, partition))
    configs = con.execute(
        "select table_name from duckdb_tables() where schema_name = 'meta' "
        "and table_name like 'config\\_%' escape '\\' order by table_name"
    ).fetchall()
    for (name,) in configs:
        tables.append(LakeTable("meta", name, f"{META_FOLDER}/{name}"))
    return tables


def lake_folder(root: Path, schema: str, table: str) -> Path:
    """Where ``schema.table`` lives in a lake written by :func:`write_lake`."""
    return root / (f"{META_FOLDER}/{table}" if schema == "meta" else table)


def _relation(con: duckdb.DuckDBPyConnection, table: LakeTable) -> duckdb.DuckDBPyRelation:
    if table.partition_by:
        return con.sql(
            compose(
                "select *, cast(occurred_at as date) as {partition} from {source}",
                partition=EVENT_PARTITION,
                source=(table.schema, table.table),
            )
        )
    return con.sql(compose("select * from {source}", source=(table.schema, table.table)))


def _count(con: duckdb.DuckDBPyConnection, table: LakeTable) -> int:
    rows = con.execute(
        compose("select count(*) from {source}", source=(table.schema, table.table))
    ).fetchall()
    return int(rows[0][0])


def write_lake(con: duckdb.DuckDBPyConnection, root: str | Path) -> LakeResult:
    """Write the staged tables under ``root``, replacing what was there as a whole.

    Call it after staging is built (``staging.*`` and ``meta.config_*`` exist). Events are
    partitioned by date so an engine reading one month opens one month of files.
    """
    root = Path(root).resolve()
    tables = lake_tables(con)

    def write(staged: Path) -> list[tuple[LakeTable, int]]:
        written: list[tuple[LakeTable, int]] = []
        for table in tables:
            target = staged / table.folder
            target.parent.mkdir(parents=True, exist_ok=True)
            relation = _relation(con, table)
            if table.partition_by:
                relation.write_parquet(str(target), partition_by=list(table.partition_by))
            else:
                # one folder per table, like the events, so every engine reads a folder
                target.mkdir()
                relation.write_parquet(str(target / "data_0.parquet"))
            written.append((table, _count(con, table)))
        return written

    return LakeResult(root, replace_folder(root, write))


def replace_folder(root: Path, write: Callable[[Path], T], purpose: str = "the lake") -> T:
    """Call ``write(folder)`` on a fresh folder beside ``root``, then swap it in for ``root``.

    Readers see the old folder or the new one, never a half-written one; if ``write`` raises,
    ``root`` is untouched and the scratch folder is removed. Only a folder pmanalytics made
    is replaced (:func:`pmanalytics.outputs.claim_folder`): pointing ``root`` at a folder of
    one's own is refused before anything is written.
    """
    root.parent.mkdir(parents=True, exist_ok=True)
    _recover(root)
    check_claimable(root, purpose)
    staged = root.with_name(root.name + _STAGING_PREFIX + uuid.uuid4().hex[:8])
    staged.mkdir()
    try:
        value = write(staged)
        mark_owned(staged, purpose)
        _swap(staged, root)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return value


def _swap(staged: Path, root: Path) -> None:
    """Put the complete new lake at ``root``; the old one is removed only afterwards."""
    old = root.with_name(root.name + _OLD_PREFIX + uuid.uuid4().hex[:8])
    if root.exists():
        root.rename(old)
    staged.rename(root)
    shutil.rmtree(old, ignore_errors=True)


def _recover(root: Path) -> None:
    """Clean up after an export that died: drop half-written lakes, restore a moved-away one."""
    for leftover in root.parent.glob(root.name + _STAGING_PREFIX + "*"):
        shutil.rmtree(leftover, ignore_errors=True)
    olds = sorted(root.parent.glob(root.name + _OLD_PREFIX + "*"), key=lambda p: p.stat().st_mtime)
    if olds and not root.exists():
        olds.pop().rename(root)  # died between the two renames of _swap: keep the last lake
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)

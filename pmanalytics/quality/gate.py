"""The validation gate's memory: which loads passed, failed or were accepted.

Validating only the loads a run just ingested lets a rerun slip past a failure (the failed
load is no longer "new") or a crash between ingest and validation. So every load keeps a
verdict in ``meta.load_verdicts``, and a build validates every load whose latest verdict is
not ``passed`` or ``accepted``: a failed load blocks the marts until it passes (after a fix
to the data or the thresholds) or someone accepts it, with a reason that is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb

from pmanalytics.errors import ConfigError

CLEARED = ("passed", "accepted")


def pending_loads(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Loads without a clearing verdict, oldest first: what the next gate must judge."""
    rows = con.execute(
        """
        with latest as (
            select load_id, arg_max(verdict, decided_at) as verdict
            from meta.load_verdicts group by load_id
        )
        select f.load_id
        from meta.ingested_files as f
        left join latest using (load_id)
        where latest.verdict is null or latest.verdict not in (select unnest($cleared))
        order by f.finished_at, f.load_id
        """,
        {"cleared": list(CLEARED)},
    ).fetchall()
    return [load_id for (load_id,) in rows]


def check_known(con: duckdb.DuckDBPyConnection, load_ids: Sequence[str]) -> None:
    """An unknown load id is a usage error, never an empty batch that passes."""
    known = {
        load_id
        for (load_id,) in con.execute(
            "select load_id from meta.ingested_files where load_id in "
            "(select unnest($ids::varchar[]))",
            {"ids": list(load_ids)},
        ).fetchall()
    }
    unknown = sorted(set(load_ids) - known)
    if unknown:
        raise ConfigError(
            f"unknown load id(s) {', '.join(unknown)}: the loads are the load_id column of "
            "meta.ingested_files"
        )


def record_verdicts(
    con: duckdb.DuckDBPyConnection,
    load_ids: Sequence[str],
    verdict: str,
    *,
    run_id: str | None = None,
    reason: str | None = None,
) -> None:
    if not load_ids:
        return
    now = datetime.now(UTC).replace(tzinfo=None)
    con.executemany(
        "insert into meta.load_verdicts values (?, ?, ?, ?, ?)",
        [(load_id, verdict, run_id, reason, now) for load_id in load_ids],
    )


def accept_loads(con: duckdb.DuckDBPyConnection, load_ids: Sequence[str], reason: str) -> None:
    """Let loads through the gate although they failed: an explicit, recorded override."""
    if not reason.strip():
        raise ConfigError("accepting a load needs a reason (--reason), which is recorded")
    check_known(con, load_ids)
    record_verdicts(con, load_ids, "accepted", reason=reason.strip())

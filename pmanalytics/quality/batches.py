"""The frames GX judges, pulled from DuckDB: batch rows, batch aggregates, loads, table counts.

Only the batch just ingested (rows whose ``load_id`` is among the given loads) is read into
pandas, and only the columns the expectations look at, so a 10M-row warehouse is not re-read
every run. A large batch is read in parts (``$n_parts``, ``$part``) split by a hash of the
table's key, so that every copy of a key lands in the same part and uniqueness stays exact.
What a part cannot decide (a share, a maximum over the batch) and the whole-table checks stay
in SQL and return one row. All SQL text here is constant; load ids, part numbers and settings
are bound parameters.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from pmanalytics.errors import WarehouseError
from pmanalytics.warehouse import compose, drop_tables, table_exists

if TYPE_CHECKING:
    import pandas as pd

#: meta.ingested_files.kind of the loads that feed each staged table.
LOAD_KINDS = {"events": "events", "users": "users", "survey_responses": "surveys"}

#: A query over a batch: both parts are this package's constant SQL (values bound).
_WRAP = "with batch as ({sql})\n{select}"

# $all_rows is true when no load ids are given: the whole table is the batch.
# Part $part of $n_parts holds the rows whose key hashes to it: all copies of a key share a
# part. A missing key (which uniqueness ignores) is spread by row id instead, so a file
# without ids cannot turn into one huge part. $n_parts = 1 reads the batch whole. The casts
# keep the modulo in ubigint (untyped, DuckDB widens it to hugeint: ~9x slower on 9M keys).
_BATCH_SQL = {
    "events": """
        select event_id, user_id, event, occurred_at
        from staging.events
        where ($all_rows or load_id in (select unnest($load_ids::varchar[])))
            and ($n_parts = 1
                 or (case when event_id is null then hash(rowid) else hash(event_id) end)
                    % $n_parts::ubigint = $part::ubigint)
    """,
    "users": """
        with batch_users as (
            select user_id from staging.events
            where load_id in (select unnest($load_ids::varchar[]))
            union
            select coalesce(merged.user_id, u.user_id)
            from raw.users as u
            left join staging.identity_map as merged
                on merged.alias_id = u.user_id and merged.link_type = 'alias'
            where u.load_id in (select unnest($load_ids::varchar[]))
        )
        select user_id
        from staging.users
        where ($all_rows or user_id in (select user_id from batch_users))
            and ($n_parts = 1
                 or (case when user_id is null then hash(rowid) else hash(user_id) end)
                    % $n_parts::ubigint = $part::ubigint)
    """,
    "survey_responses": """
        select response_id, metric, score, submitted_at, comment
        from staging.survey_responses
        where ($all_rows or load_id in (select unnest($load_ids::varchar[])))
            and ($n_parts = 1
                 or (case when response_id is null then hash(rowid) else hash(response_id) end)
                    % $n_parts::ubigint = $part::ubigint)
    """,
}

# one row of aggregates over the whole batch (no row when the batch is empty): what the
# `batch` grain judges, because a share or a maximum cannot be decided part by part.
_BATCH_AGGREGATES_SQL = {
    "events": """
        select
            'staging.events' as table_name,
            count(*) as n_events,
            avg((not is_identified)::double) as anonymous_event_rate,
            max(occurred_at) as last_occurred_at
        from staging.events
        where $all_rows or load_id in (select unnest($load_ids::varchar[]))
        having count(*) > 0
    """,
}

# one row: the share of the batch's input rows that ingest quarantined, from the file loads
# (so it exists even when no row of the batch reached staging); no row when nothing was read.
# Without load ids every load of the kind counts, as every staged row does.
_QUARANTINE_SQL = """
    select
        $table_name as table_name,
        sum(rows_read)::bigint as rows_read,
        sum(rows_quarantined)::bigint as rows_quarantined,
        sum(rows_quarantined) / sum(rows_read) as quarantined_share
    from meta.ingested_files
    where kind = $kind and ($all_rows or load_id in (select unnest($load_ids::varchar[])))
    having sum(rows_read) > 0
"""

# one row per load under test with the floor its row count must reach: min_volume_ratio × the
# median rows_loaded of the same source's previous `lookback` loads (0 without history).
# Without load ids, each source's latest load is the one under test.
_LOADS_SQL = """
    with ranked as (
        select
            load_id, source, path, rows_loaded,
            row_number() over (partition by source order by started_at desc, load_id) as recency
        from meta.ingested_files
        where kind = $kind
    ),

    under_test as (
        select * from ranked
        where case when $all_rows then recency = 1
                   else load_id in (select unnest($load_ids::varchar[])) end
    )

    select
        cur.load_id,
        cur.source,
        cur.path,
        cur.rows_loaded,
        count(prev.load_id) as n_previous_loads,
        median(prev.rows_loaded) as median_previous_rows,
        coalesce($ratio * median(prev.rows_loaded), 0)::double as min_rows_expected
    from under_test as cur
    left join ranked as prev
        on prev.source = cur.source
        and prev.recency > cur.recency
        and prev.recency <= cur.recency + $lookback
    group by all
    order by cur.source, cur.load_id
"""

# n_keys: the non-null keys; how many are distinct is settled by `_distinct_keys`
_TABLE_SQL = {
    "events": """
        select
            'staging.events' as table_name,
            count(*) as n_rows,
            count(event_id) as n_keys,
            (select count(*) from raw.events
             where event_type in ('track', 'page', 'screen')) as n_raw_rows
        from staging.events
    """,
    "users": """
        select
            'staging.users' as table_name,
            count(*) as n_rows,
            count(user_id) as n_keys
        from staging.users
    """,
    "survey_responses": """
        select
            'staging.survey_responses' as table_name,
            count(*) as n_rows,
            count(response_id) as n_keys,
            (select count(*) from raw.survey_responses) as n_raw_rows
        from staging.survey_responses
    """,
}


@dataclass(frozen=True)
class Batch:
    """The batch's rows as constant SQL text and its bound parameters."""

    sql: str
    parameters: Mapping[str, object]

    def wrap(self, select: str) -> str:
        """``select`` over the batch, which it names ``batch``."""
        return _WRAP.format(sql=self.sql, select=select)


def _batch_parameters(load_ids: Sequence[str] | None) -> dict[str, object]:
    return {"all_rows": load_ids is None, "load_ids": list(load_ids or [])}


def require_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Fail clearly when staging has not been built yet, rather than with a catalog error."""
    missing = [t for t in LOAD_KINDS if not table_exists(con, "staging", t)]
    if missing:
        raise WarehouseError(
            f"staging table(s) {', '.join('staging.' + t for t in missing)} do not exist: "
            "run `pmanalytics build` (or pipeline.build) before validating"
        )


def _batch_relation(
    con: duckdb.DuckDBPyConnection,
    table: str,
    load_ids: Sequence[str] | None,
    *,
    part: int = 0,
    n_parts: int = 1,
) -> duckdb.DuckDBPyRelation:
    """The batch's rows of one staged table (one part of them), not yet run."""
    if not 0 <= part < n_parts:
        raise ValueError(f"part {part} is not one of 0..{n_parts - 1}")
    parameters = {**_batch_parameters(load_ids), "part": part, "n_parts": n_parts}
    return _query(con, _BATCH_SQL[table], parameters)


#: Batches computed from other tables than their own: the users seen in the loads' events.
_DERIVED = {"users"}
_MATERIALIZED = "_validation_batch"


@contextmanager
def sql_batch(
    con: duckdb.DuckDBPyConnection,
    table: str,
    load_ids: Sequence[str] | None,
    *,
    materialize: bool = True,
) -> Iterator[Batch]:
    """The whole batch's rows as SQL, for the checks counted in DuckDB.

    The users batch is derived from every event of the loads (a scan of 10M events and a
    distinct: 0.8 s) and is read three or four times (count, checks, key hashes), so it is
    computed once into a temporary table, dropped afterwards. The others are a filter on
    ``load_id`` and are read in place.
    """
    query = Batch(_BATCH_SQL[table], {**_batch_parameters(load_ids), "part": 0, "n_parts": 1})
    if not materialize or table not in _DERIVED:
        yield query
        return
    con.complete()
    con.execute(
        compose("create or replace temp table {name} as ", name=_MATERIALIZED) + query.sql,
        dict(query.parameters),
    )
    try:
        yield Batch(compose("select * from {name}", name=_MATERIALIZED), {})
    finally:
        drop_tables(con, _MATERIALIZED)


def count_rows(con: duckdb.DuckDBPyConnection, batch: Batch) -> int:
    """How many rows ``batch`` has (DuckDB reads only what the batch's filter needs)."""
    con.complete()
    sql = batch.wrap("select count(*) from batch")
    [(n_rows,)] = con.execute(sql, dict(batch.parameters)).fetchall()
    return int(n_rows)


def count_batch(con: duckdb.DuckDBPyConnection, table: str, load_ids: Sequence[str] | None) -> int:
    """How many rows the batch has: DuckDB reads only ``load_id`` for it, so it is cheap."""
    [(n_rows,)] = _batch_relation(con, table, load_ids).count("*").fetchall()
    return int(n_rows)


def fetch_batch(
    con: duckdb.DuckDBPyConnection,
    table: str,
    load_ids: Sequence[str] | None,
    *,
    part: int = 0,
    n_parts: int = 1,
) -> pd.DataFrame:
    """Part ``part`` of ``n_parts`` of the batch's rows, only the columns the checks read."""
    return frame_of(_batch_relation(con, table, load_ids, part=part, n_parts=n_parts))


def fetch_batch_aggregates(
    con: duckdb.DuckDBPyConnection, table: str, load_ids: Sequence[str] | None
) -> pd.DataFrame:
    """One row of aggregates over the whole batch (see ``_BATCH_AGGREGATES_SQL``)."""
    return frame_of(_query(con, _BATCH_AGGREGATES_SQL[table], _batch_parameters(load_ids)))


def _query(
    con: duckdb.DuckDBPyConnection, sql: str, parameters: dict[str, object] | None = None
) -> duckdb.DuckDBPyRelation:
    """``sql`` as a relation (run when its rows are asked for), with bound parameters.

    DuckDB refuses a relation while the connection still holds an unread ``execute()``
    result (a caller's ``fetchone()``, say); that result is run to its end first, which is
    all another ``execute()`` would have done with it.
    """
    con.complete()
    return con.sql(sql, params=parameters)


def frame_of(relation: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """A query's result as pandas, through Arrow.

    ``.df()`` gives the same dtypes (``str``, ``datetime64``, ``float64``), but for 9M events
    it took 6.6–7.2 s and peaked at 3.7 GB against 1.1–1.3 s and 1.6 GB this way.
    """
    return _nanosecond_times(relation.to_arrow_table().to_pandas())


def _nanosecond_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as ``datetime64[ns]`` where they fit.

    DuckDB hands over microseconds; GX 1.24 compares only nanosecond columns vectorised and
    falls back to a Python call per value otherwise (~4 s per 1M rows and expectation).
    Values outside the nanosecond range (before 1677 or after 2262) keep microseconds: still
    judged correctly, just slowly, and they are violations anyway.
    """
    import pandas as pd

    for column in frame.columns:
        dtype = frame[column].dtype
        if pd.api.types.is_datetime64_dtype(dtype) and dtype != "datetime64[ns]":
            try:
                frame[column] = frame[column].astype("datetime64[ns]")
            except (pd.errors.OutOfBoundsDatetime, OverflowError):
                continue
    return frame


def fetch_loads(
    con: duckdb.DuckDBPyConnection,
    table: str,
    load_ids: Sequence[str] | None,
    *,
    min_volume_ratio: float,
    lookback: int,
) -> pd.DataFrame:
    """The loads under test with their volume floor (see ``_LOADS_SQL``)."""
    parameters = {
        **_batch_parameters(load_ids),
        "kind": LOAD_KINDS[table],
        "ratio": min_volume_ratio,
        "lookback": lookback,
    }
    return frame_of(_query(con, _LOADS_SQL, parameters))


def fetch_quarantine_share(
    con: duckdb.DuckDBPyConnection, table: str, load_ids: Sequence[str] | None
) -> pd.DataFrame:
    """One row: rows read, rows quarantined and their share over the batch's loads."""
    parameters = {
        **_batch_parameters(load_ids),
        "kind": LOAD_KINDS[table],
        "table_name": f"staging.{table}",
    }
    return frame_of(_query(con, _QUARANTINE_SQL, parameters))


#: The key column of each staged table.
TABLE_KEYS = {"events": "event_id", "users": "user_id", "survey_responses": "response_id"}

_KEY_HASHES = "select hash({key}) from {table} where {key} is not null"
_KEYS_SHARING_A_HASH = (
    "select count(*) - count(distinct {key}) from {table} "
    "where hash({key}) in (select unnest($repeated::ubigint[]))"
)


def fetch_table_counts(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """One row of whole-table counts, computed in SQL (cheap on any size)."""
    frame = frame_of(_query(con, _TABLE_SQL[table]))
    n_keys = int(frame.pop("n_keys").iloc[0])
    frame.insert(2, "n_distinct_keys", _distinct_keys(con, table, n_keys))
    return frame


def _distinct_keys(con: duckdb.DuckDBPyConnection, table: str, n_keys: int) -> int:
    """``count(distinct key)`` over the whole table, exactly, without hashing every string.

    A key whose hash no other key has is distinct; only the keys sharing a hash (copies, or
    a rare collision) are counted distinct in SQL. 10M keys: 1.1 s against 3.1–3.7 s for
    ``count(distinct event_id)`` (docs/decisions.md).
    """
    names = {"key": TABLE_KEYS[table], "table": ("staging", table)}
    repeated = repeated_hashes(con, compose(_KEY_HASHES, **names), {})
    if not repeated:
        return n_keys
    sql = compose(_KEYS_SHARING_A_HASH, **names)
    [(extra_copies,)] = con.execute(sql, {"repeated": repeated}).fetchall()
    return n_keys - int(extra_copies)


def repeated_hashes(
    con: duckdb.DuckDBPyConnection, sql: str, parameters: Mapping[str, object]
) -> list[int]:
    """The hashes seen more than once in the one column ``sql`` returns, sorted.

    An exact pre-test for repeated values: equal values hash alike, so a value whose hash is
    seen once is seen once. A repeated hash is only a candidate (two values may collide),
    which the caller settles in SQL on those rows alone. Sorting 10M 64-bit hashes in numpy
    took 1.1 s with the fetch, against ~4 s for DuckDB to group the 10M strings.
    """
    import numpy as np

    con.complete()
    [values] = con.execute(sql, dict(parameters)).fetchnumpy().values()
    hashes = np.sort(np.asarray(values, dtype=np.uint64))
    same = hashes[1:] == hashes[:-1]
    return [int(h) for h in np.unique(hashes[1:][same])]

"""The frames GX judges, pulled from DuckDB: batch rows, per-load volumes, whole-table counts.

Only the batch just ingested (rows whose ``load_id`` is among the given loads) is read into
pandas, and only the columns the expectations look at, so a 10M-row warehouse is not re-read
every run. Whole-table checks stay in SQL and return one row of counts. All SQL text here is
constant; the load ids and settings are bound parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import duckdb

from pmanalytics.errors import WarehouseError
from pmanalytics.warehouse import table_exists

if TYPE_CHECKING:
    import pandas as pd

#: meta.ingested_files.kind of the loads that feed each staged table.
LOAD_KINDS = {"events": "events", "users": "users", "survey_responses": "surveys"}

# $all_rows is true when no load ids are given: the whole table is the batch.
_BATCH_SQL = {
    "events": """
        select event_id, user_id, event, occurred_at, not is_identified as is_anonymous
        from staging.events
        where $all_rows or load_id in (select unnest($load_ids::varchar[]))
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
        where $all_rows or user_id in (select user_id from batch_users)
    """,
    "survey_responses": """
        select response_id, metric, score, submitted_at, comment
        from staging.survey_responses
        where $all_rows or load_id in (select unnest($load_ids::varchar[]))
    """,
}

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

_TABLE_SQL = {
    "events": """
        select
            'staging.events' as table_name,
            count(*) as n_rows,
            count(distinct event_id) as n_distinct_keys,
            (select count(*) from raw.events
             where event_type in ('track', 'page', 'screen')) as n_raw_rows
        from staging.events
    """,
    "users": """
        select
            'staging.users' as table_name,
            count(*) as n_rows,
            count(distinct user_id) as n_distinct_keys
        from staging.users
    """,
    "survey_responses": """
        select
            'staging.survey_responses' as table_name,
            count(*) as n_rows,
            count(distinct response_id) as n_distinct_keys,
            (select count(*) from raw.survey_responses) as n_raw_rows
        from staging.survey_responses
    """,
}


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


def fetch_batch(
    con: duckdb.DuckDBPyConnection, table: str, load_ids: Sequence[str] | None
) -> pd.DataFrame:
    """The batch's rows of one staged table, only the columns the expectations read."""
    return _nanosecond_times(con.execute(_BATCH_SQL[table], _batch_parameters(load_ids)).df())


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
    return con.execute(_LOADS_SQL, parameters).df()


def fetch_table_counts(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """One row of whole-table counts, computed in SQL (cheap on any size)."""
    return con.execute(_TABLE_SQL[table]).df()

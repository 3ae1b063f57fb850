-- Spark override of marts.int_local_hours (sql/marts/int_local_hours.sql); same grain,
-- columns and values. Why: DuckDB's timezone(zone, ts) has no sqlglot mapping (it would
-- reach Spark unchanged, and Spark has no such function); Spark converts a UTC instant to
-- local wall-clock time with from_utc_timestamp (the session time zone is UTC).
-- column hour_at: start of the UTC hour (naive UTC timestamp)
-- column local_date: the local calendar day of every instant of the hour; null when they differ
with

settings as (
    select * from marts.int_settings
),

bounds as (
    select
        date_trunc('HOUR', min(occurred_at)) as first_hour,
        date_trunc('HOUR', max(occurred_at)) as last_hour
    from staging.events
    where user_id is not null and occurred_at is not null
),

hours as (
    select explode(sequence(first_hour, last_hour, interval 1 hour)) as hour_at
    from bounds
    where first_hour is not null
),

ends as (
    select
        hours.hour_at,
        from_utc_timestamp(hours.hour_at, settings.timezone) as local_start,
        from_utc_timestamp(
            hours.hour_at + interval '3599999999' microsecond, settings.timezone
        ) as local_end
    from hours
    cross join settings
)

select
    cast(hour_at as timestamp_ntz) as hour_at,
    case
        when unix_micros(local_end) - unix_micros(local_start) = 3599999999
            and cast(local_start as date) = cast(local_end as date)
            then cast(local_start as date)
    end as local_date
from ends

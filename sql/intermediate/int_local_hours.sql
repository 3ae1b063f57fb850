-- intermediate.int_local_hours — one row per UTC hour from the hour of the first to the hour of the
-- last event in staging.events: the local calendar day (reporting time zone) of every
-- instant in that hour, or null when the hour holds a local midnight or a time-zone
-- transition (then the instants of the hour do not share one local day or one offset).
-- Converting ~24 instants a day with ICU instead of every event makes the local day of an
-- event a join on date_trunc('hour', occurred_at); events in a null hour are converted one
-- by one. Exact: an hour whose two ends have the same UTC offset has no transition inside
-- (zones never change offset twice within an hour), so its local clock runs linearly and
-- every instant in it falls on the day of both ends when the two ends share a day.
-- grain: hour_at
-- parameters: timezone (from intermediate.int_settings).
-- column hour_at: start of the UTC hour (naive UTC timestamp)
-- column local_date: the local calendar day of every instant of the hour; null when they differ
with

settings as (
    select * from intermediate.int_settings
),

bounds as (
    select
        date_trunc('hour', min(occurred_at)) as first_hour,
        date_trunc('hour', max(occurred_at)) as last_hour
    from staging.events
    where user_id is not null and occurred_at is not null
),

hours as (
    select unnest(generate_series(first_hour, last_hour, interval 1 hour)) as hour_at
    from bounds
    where first_hour is not null
),

ends as (
    select
        hours.hour_at,
        (hours.hour_at at time zone 'UTC') at time zone settings.timezone as local_start,
        ((hours.hour_at + interval 3599999999 microsecond) at time zone 'UTC')
            at time zone settings.timezone as local_end
    from hours
    cross join settings
)

select
    hour_at,
    case
        when local_end - local_start = interval 3599999999 microsecond
            and cast(local_start as date) = cast(local_end as date)
            then cast(local_start as date)
    end as local_date
from ends

-- Spark override of marts.int_user_activity_days (sql/marts/int_user_activity_days.sql);
-- same grain, columns and values. Why: DuckDB's timezone(zone, ts) has no sqlglot mapping.
-- Spark converts every event with from_utc_timestamp (a cheap built-in there), so the
-- DuckDB model's lookup of each event's hour in marts.int_local_hours, which only saves
-- ICU calls, is not needed: both give every event's local calendar day.
-- column user_id: resolved user
-- column activity_date: local calendar day
-- column is_active: the user did an active event that day
-- column is_start: the user did a retention start event that day
-- column is_return: the user did a retention return event that day
with

events as (
    select user_id, event, event_type, occurred_at
    from staging.events
    where user_id is not null and occurred_at is not null
),

settings as (
    select * from marts.int_settings
),

active_events as (
    select distinct event from meta.config_active_events
),

flagged as (
    select
        events.user_id,
        cast(from_utc_timestamp(events.occurred_at, settings.timezone) as date)
            as activity_date,
        case
            when settings.count_active_events = 0 then events.event_type = 'track'
            else active_events.event is not null
        end as is_active,
        events.event,
        settings.retention_start_event,
        settings.retention_return_event
    from events
    cross join settings
    left join active_events on active_events.event = events.event
),

classified as (
    select
        user_id,
        activity_date,
        is_active,
        case
            when retention_start_event is null then is_active
            else coalesce(event = retention_start_event, false)
        end as is_start,
        case
            when retention_return_event is null then is_active
            else coalesce(event = retention_return_event, false)
        end as is_return
    from flagged
),

user_days as (
    select
        user_id,
        activity_date,
        bool_or(is_active) as is_active,
        bool_or(is_start) as is_start,
        bool_or(is_return) as is_return
    from classified
    group by user_id, activity_date
    having bool_or(is_active) or bool_or(is_start) or bool_or(is_return)
)

select user_id, activity_date, is_active, is_start, is_return
from user_days

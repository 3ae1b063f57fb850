-- intermediate.int_user_activity_days — one row per user × local calendar day on which the user did
-- an active event, a retention start event or a retention return event.
-- The one full read of staging.events for the activity-based KPIs (active users, stickiness,
-- retention, lifecycle, feature adoption's denominator).
-- grain: user_id, activity_date
-- parameters (from intermediate.int_settings / meta.config_active_events): timezone; active events
-- (empty list = every 'track' event; otherwise events with a listed name, any type);
-- retention_start_event / retention_return_event (null = any active event); as_of_ends_at
-- (events at or after it are ignored).
-- column user_id: resolved user
-- column activity_date: local calendar day
-- column is_active: the user did an active event that day
-- column is_start: the user did a retention start event that day
-- column is_return: the user did a retention return event that day
with

settings as (
    select * from intermediate.int_settings
),

events as (
    select events.user_id, events.event, events.event_type, events.occurred_at
    from staging.events as events
    cross join settings
    where events.user_id is not null
        and events.occurred_at is not null
        and (settings.as_of_ends_at is null or events.occurred_at < settings.as_of_ends_at)
),

active_events as (
    select distinct event from meta.config_active_events
),

local_hours as (
    select hour_at, local_date from intermediate.int_local_hours
),

flagged as (
    select
        events.user_id,
        -- the hour's local day (intermediate.int_local_hours); ICU only for hours that straddle one
        coalesce(
            local_hours.local_date,
            cast((events.occurred_at at time zone 'UTC') at time zone settings.timezone as date)
        ) as activity_date,
        case
            when settings.count_active_events = 0 then events.event_type = 'track'
            else active_events.event is not null
        end as is_active,
        events.event,
        settings.retention_start_event,
        settings.retention_return_event
    from events
    cross join settings
    inner join local_hours on local_hours.hour_at = date_trunc('hour', events.occurred_at)
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

-- intermediate.int_settings — the analysis settings of meta.config_settings as one typed row.
-- grain: one row
-- Every KPI model cross-joins it, so the reporting time zone, the week start and the
-- configured events reach SQL as data, never as pasted text.
-- parameters: timezone (IANA, default 'UTC'), week_start ('monday' | 'sunday'),
-- retention_start_event / retention_return_event / activation_event (null = default),
-- activation_within_days (default 7), segment_min_responses (default 30), as_of_date and
-- as_of_ends_at ([analysis] as_of resolved by pmanalytics.config; both null for
-- "latest_event", when the as-of date is the local day of the latest event in staging.events).
-- column timezone: reporting IANA time zone
-- column week_start: 'monday' or 'sunday'
-- column week_offset_days: days to shift a date before date_trunc('week') so weeks start on week_start (0 or 1)
-- column retention_start_event: configured retention start event; null = any active event
-- column retention_return_event: configured retention return event; null = any active event
-- column activation_event: configured activation event; null = none
-- column activation_within_days: activation window in 24-hour days
-- column segment_min_responses: responses below which a survey row is flagged is_low_sample
-- column count_active_events: number of configured active events; 0 = every track event is active
-- column as_of_date: the local day the KPIs run to: calendars end with the period that contains it; null when there are no events and no as_of date
-- column as_of_ends_at: the first instant after as_of_date in the reporting zone (naive UTC); events, signups and responses at or after it are ignored; null = nothing is cut (as_of = "latest_event")
with

settings as (
    select key, value from meta.config_settings
),

latest_event as (
    select max(occurred_at) as latest_event_at
    from staging.events
    where user_id is not null and occurred_at is not null
),

active_events as (
    select count(*) as count_active_events from meta.config_active_events
),

pivoted as (
    select
        coalesce(max(value) filter (where key = 'timezone'), 'UTC') as timezone,
        coalesce(max(value) filter (where key = 'week_start'), 'monday') as week_start,
        max(value) filter (where key = 'retention_start_event') as retention_start_event,
        max(value) filter (where key = 'retention_return_event') as retention_return_event,
        max(value) filter (where key = 'activation_event') as activation_event,
        coalesce(
            try_cast(max(value) filter (where key = 'activation_within_days') as integer), 7
        ) as activation_within_days,
        coalesce(
            try_cast(max(value) filter (where key = 'segment_min_responses') as integer), 30
        ) as segment_min_responses,
        try_cast(max(value) filter (where key = 'as_of_date') as date) as as_of_date,
        try_cast(max(value) filter (where key = 'as_of_ends_at') as timestamp) as as_of_ends_at
    from settings
)

select
    pivoted.timezone,
    pivoted.week_start,
    -- date_trunc('week', …) starts weeks on Monday; shifting the date by this many days
    -- first (and back after) starts them on Sunday instead.
    case when pivoted.week_start = 'sunday' then 1 else 0 end as week_offset_days,
    pivoted.retention_start_event,
    pivoted.retention_return_event,
    pivoted.activation_event,
    pivoted.activation_within_days,
    pivoted.segment_min_responses,
    active_events.count_active_events,
    coalesce(
        pivoted.as_of_date,
        cast(
            (latest_event.latest_event_at at time zone 'UTC') at time zone pivoted.timezone
            as date
        )
    ) as as_of_date,
    pivoted.as_of_ends_at
from pivoted
cross join active_events
cross join latest_event

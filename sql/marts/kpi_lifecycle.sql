-- marts.kpi_lifecycle — one row per period type ('day' | 'week' | 'month') × local calendar
-- period × status, zero-filled, for every period from the first to the last one with an
-- active event.
-- For a user active in period P (PostHog's lifecycle): 'new' when the user's first-seen time
-- (staging.users.first_seen_at: the createdAt trait where known, else the first event; the
-- first active day if the user is missing there) falls in P; else 'returning' when also
-- active in P − 1; else 'resurrecting' (this includes a first active period that is later
-- than the first-seen period). 'dormant': active in P − 1 and not in P; counted negative.
-- parameters: timezone, week_start, active events.
with

user_periods as (
    select period, user_id, period_start, period_index
    from marts.int_user_periods
    where is_active
),

users as (
    select user_id, first_seen_at from staging.users
),

settings as (
    select * from marts.int_settings
),

first_seen_days as (
    select
        users.user_id,
        cast(timezone(settings.timezone, timezone('UTC', users.first_seen_at)) as date)
            as first_seen_date,
        settings.week_offset_days
    from users
    cross join settings
    where users.first_seen_at is not null
),

first_seen_periods as (
    select 'day' as period, user_id, first_seen_date as first_seen_start
    from first_seen_days

    union all

    select
        'week',
        user_id,
        cast(date_trunc('week', first_seen_date + week_offset_days) as date) - week_offset_days
    from first_seen_days

    union all

    select 'month', user_id, cast(date_trunc('month', first_seen_date) as date)
    from first_seen_days
),

sequenced as (
    select
        user_periods.period,
        user_periods.user_id,
        user_periods.period_start,
        user_periods.period_index,
        coalesce(
            first_seen_periods.first_seen_start,
            min(user_periods.period_start) over by_user
        ) as first_seen_start,
        lag(user_periods.period_index) over by_user as previous_index,
        lead(user_periods.period_index) over by_user as next_index
    from user_periods
    left join first_seen_periods
        on first_seen_periods.period = user_periods.period
        and first_seen_periods.user_id = user_periods.user_id
    window by_user as (
        partition by user_periods.period, user_periods.user_id
        order by user_periods.period_index
    )
),

active_statuses as (
    select
        period,
        period_start,
        case
            when period_start = first_seen_start then 'new'
            when previous_index = period_index - 1 then 'returning'
            else 'resurrecting'
        end as status
    from sequenced
),

dormant_statuses as (
    select
        period,
        case period
            when 'day' then period_start + 1
            when 'week' then period_start + 7
            else cast(period_start + interval 1 month as date)
        end as period_start,
        'dormant' as status
    from sequenced
    where next_index is null or next_index > period_index + 1
),

counts as (
    select period, period_start, status, count(*) as users
    from active_statuses
    group by period, period_start, status

    union all

    select period, period_start, status, -count(*) as users
    from dormant_statuses
    group by period, period_start, status
),

bounds as (
    select period, min(period_start) as first_start, max(period_start) as last_start
    from user_periods
    group by period
),

calendar as (
    select
        period,
        cast(unnest(generate_series(
            first_start,
            last_start,
            case period
                when 'day' then interval 1 day
                when 'week' then interval 7 day
                else interval 1 month
            end
        )) as date) as period_start
    from bounds
),

grid as (
    select calendar.period, calendar.period_start, statuses.status
    from calendar
    cross join (
        values ('new'), ('returning'), ('resurrecting'), ('dormant')
    ) as statuses (status)
)

select
    grid.period,
    grid.period_start,
    grid.status,
    cast(coalesce(counts.users, 0) as bigint) as users
from grid
left join counts
    on counts.period = grid.period
    and counts.period_start = grid.period_start
    and counts.status = grid.status
order by grid.period, grid.period_start, grid.status

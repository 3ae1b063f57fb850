-- intermediate.int_user_periods — one row per period type ('week' | 'month') × local calendar
-- period × user, for periods in which the user did an active, start or return event.
-- (Day rows would repeat intermediate.int_user_activity_days; retention and lifecycle count users
-- per period from intermediate.int_user_period_masks instead.)
-- period_index numbers the periods of one type consecutively (week: weeks since 1970-01-01;
-- month: year × 12 + month − 1) so "previous period" is period_index − 1.
-- grain: period, user_id, period_start
-- parameters: week_start (from intermediate.int_settings).
-- column period: period type: 'week' or 'month'
-- column user_id: resolved user
-- column period_start: first local day of the period
-- column period_index: consecutive period number per period type (previous period = period_index - 1)
-- column days_active: distinct local days of the period with an active event
-- column is_active: the user did an active event in the period
-- column is_start: the user did a retention start event in the period
-- column is_return: the user did a retention return event in the period
with

user_days as (
    select * from intermediate.int_user_activity_days
),

settings as (
    select * from intermediate.int_settings
),

dated as (
    select
        user_days.user_id,
        user_days.activity_date,
        cast(date_trunc('week', user_days.activity_date + settings.week_offset_days) as date)
            - settings.week_offset_days as week_start,
        cast(date_trunc('month', user_days.activity_date) as date) as month_start,
        user_days.is_active,
        user_days.is_start,
        user_days.is_return
    from user_days
    cross join settings
),

by_period as (
    select
        'week' as period,
        user_id,
        week_start as period_start,
        count(*) filter (where is_active) as days_active,
        bool_or(is_active) as is_active,
        bool_or(is_start) as is_start,
        bool_or(is_return) as is_return
    from dated
    group by user_id, week_start

    union all

    select
        'month' as period,
        user_id,
        month_start as period_start,
        count(*) filter (where is_active) as days_active,
        bool_or(is_active) as is_active,
        bool_or(is_start) as is_start,
        bool_or(is_return) as is_return
    from dated
    group by user_id, month_start
)

select
    period,
    user_id,
    period_start,
    case period
        when 'week' then date_diff('day', date '1970-01-01', period_start) // 7
        else year(period_start) * 12 + month(period_start) - 1
    end as period_index,
    days_active,
    is_active,
    is_start,
    is_return
from by_period

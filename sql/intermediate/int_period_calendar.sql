-- intermediate.int_period_calendar — one row per period type ('day' | 'week' | 'month') ×
-- local calendar period, every period from the first to the last one with an active event
-- (intermediate.int_user_activity_days). The zero-filled calendar of kpi_lifecycle and
-- kpi_stickiness, written once.
-- One series per period type: a day step and a month step never meet in one expression
-- (Spark types the two kinds of interval apart and refuses to mix them).
-- grain: period, period_start
-- parameters: week_start (from intermediate.int_settings).
-- column period: period type: 'day', 'week' or 'month'
-- column period_start: first local day of the period
with

days as (
    select min(activity_date) as first_day, max(activity_date) as last_day
    from intermediate.int_user_activity_days
    where is_active
),

settings as (
    select * from intermediate.int_settings
),

bounds as (
    select
        first_day as first_week_day,
        last_day as last_week_day,
        cast(date_trunc('week', first_day + settings.week_offset_days) as date)
            - settings.week_offset_days as first_week,
        cast(date_trunc('week', last_day + settings.week_offset_days) as date)
            - settings.week_offset_days as last_week,
        cast(date_trunc('month', first_day) as date) as first_month,
        cast(date_trunc('month', last_day) as date) as last_month
    from days
    cross join settings
    where first_day is not null
)

select
    'day' as period,
    cast(unnest(generate_series(first_week_day, last_week_day, interval 1 day)) as date)
        as period_start
from bounds

union all

select 'week', cast(unnest(generate_series(first_week, last_week, interval 7 day)) as date)
from bounds

union all

select 'month', cast(unnest(generate_series(first_month, last_month, interval 1 month)) as date)
from bounds

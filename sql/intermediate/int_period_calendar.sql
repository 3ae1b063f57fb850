-- intermediate.int_period_calendar — one row per period type ('day' | 'week' | 'month') ×
-- local calendar period, every period from the first one with an active, start or return
-- event (intermediate.int_user_activity_days) to the one that contains the as-of date
-- (intermediate.int_settings.as_of_date), whether or not anything happened in it. The
-- zero-filled calendar of kpi_active_users, kpi_stickiness, kpi_lifecycle and kpi_retention,
-- written once; each takes the periods from its own first one (first active period, first
-- cohort).
-- One series per period type: a day step and a month step never meet in one expression
-- (Spark types the two kinds of interval apart and refuses to mix them).
-- grain: period, period_start
-- parameters: week_start, as_of_date (from intermediate.int_settings).
-- column period: period type: 'day', 'week' or 'month'
-- column period_start: first local day of the period
-- column period_index: consecutive period number per period type (day: days since 1970-01-01; week: weeks; month: year x 12 + month - 1)
with

days as (
    select min(activity_date) as first_day
    from intermediate.int_user_activity_days
),

settings as (
    select * from intermediate.int_settings
),

bounds as (
    select
        days.first_day,
        settings.as_of_date as last_day,
        cast(date_trunc('week', days.first_day + settings.week_offset_days) as date)
            - settings.week_offset_days as first_week,
        cast(date_trunc('week', settings.as_of_date + settings.week_offset_days) as date)
            - settings.week_offset_days as last_week,
        cast(date_trunc('month', days.first_day) as date) as first_month,
        cast(date_trunc('month', settings.as_of_date) as date) as last_month
    from days
    cross join settings
    -- an as-of date before the first activity leaves the calendar empty (Spark's sequence
    -- refuses a range that runs backwards)
    where days.first_day <= settings.as_of_date
),

periods as (
    select
        'day' as period,
        cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date)
            as period_start
    from bounds

    union all

    select 'week', cast(unnest(generate_series(first_week, last_week, interval 7 day)) as date)
    from bounds

    union all

    select 'month', cast(unnest(generate_series(first_month, last_month, interval 1 month)) as date)
    from bounds
)

select
    period,
    period_start,
    case period
        when 'day' then date_diff('day', date '1970-01-01', period_start)
        when 'week' then date_diff('day', date '1970-01-01', period_start) // 7
        else year(period_start) * 12 + month(period_start) - 1
    end as period_index
from periods

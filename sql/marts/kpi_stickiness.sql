-- marts.kpi_stickiness — one row per period type ('week' | 'month') × local calendar period ×
-- days_active (1 … the number of days in the period), zero-filled, for every period from the
-- first one with an active event to the one that contains the as-of date.
-- users: how many users were active on exactly days_active distinct local days of the period
-- (up to the as-of date: the as-of period counts only its days until then).
-- grain: period, period_start, days_active
-- parameters: timezone, week_start, active events, as_of.
-- column period: 'week' or 'month'
-- column period_start: first local day of the period
-- column days_active: k = 1 … the number of days in the period
-- column users: users active on exactly k distinct local days of the period
with

user_periods as (
    select period, user_id, period_start, days_active
    from intermediate.int_user_periods
    where period in ('week', 'month') and is_active
),

counts as (
    select period, period_start, days_active, count(*) as users
    from user_periods
    group by period, period_start, days_active
),

first_periods as (
    select period, min(period_start) as first_start
    from user_periods
    group by period
),

calendar as (
    select periods.period, periods.period_start
    from intermediate.int_period_calendar as periods
    inner join first_periods
        on first_periods.period = periods.period
        and periods.period_start >= first_periods.first_start
),

grid as (
    select
        period,
        period_start,
        unnest(range(1, case
            when period = 'week' then 7
            else date_diff('day', period_start, cast(period_start + interval 1 month as date))
        end + 1)) as days_active
    from calendar
)

select
    grid.period,
    grid.period_start,
    cast(grid.days_active as integer) as days_active,
    coalesce(counts.users, 0) as users
from grid
left join counts
    on counts.period = grid.period
    and counts.period_start = grid.period_start
    and counts.days_active = grid.days_active
order by grid.period, grid.period_start, grid.days_active

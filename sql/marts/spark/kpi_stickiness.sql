-- Spark override of marts.kpi_stickiness (sql/marts/kpi_stickiness.sql); same grain, columns
-- and values. Why: the DuckDB model steps its calendar by `case when period = 'week' then
-- interval 7 day else interval 1 month end`; Spark types a day interval and a month interval
-- differently and refuses to mix them in one expression, so each period type gets its own
-- sequence here. The days of a month are datediff(add_months(start, 1), start).
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

bounds as (
    select period, min(period_start) as first_start, max(period_start) as last_start
    from user_periods
    group by period
),

calendar as (
    select period, explode(sequence(first_start, last_start, interval 7 day)) as period_start
    from bounds
    where period = 'week'

    union all

    select period, explode(sequence(first_start, last_start, interval 1 month))
    from bounds
    where period = 'month'
),

grid as (
    select
        period,
        period_start,
        explode(sequence(1, case
            when period = 'week' then 7
            else datediff(add_months(period_start, 1), period_start)
        end)) as days_active
    from calendar
)

select
    grid.period,
    grid.period_start,
    cast(grid.days_active as int) as days_active,
    coalesce(counts.users, 0) as users
from grid
left join counts
    on counts.period = grid.period
    and counts.period_start = grid.period_start
    and counts.days_active = grid.days_active
order by grid.period, grid.period_start, grid.days_active

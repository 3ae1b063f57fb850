-- marts.kpi_retention — one row per period type ('day' | 'week' | 'month') × retention_type
-- ('first_time' | 'recurring') × cohort (local calendar period) × period_number 0 … N, where
-- N reaches the last period with any activity in the data (zero-filled).
-- first_time: a user's cohort is the period of their first ever start event; recurring: a
-- user is in the cohort of every period in which they did the start event.
-- retained_users (N ≥ 1): cohort users with a return event in period cohort + N; a return in
-- the cohort's own period never counts. retained_users_unbounded: a return in period
-- cohort + N or any later period. Period 0 is the whole cohort (rate 1).
-- parameters: timezone, week_start, retention_start_event, retention_return_event (null = any
-- active event), active events.
with

user_periods as (
    select period, user_id, period_start, period_index, is_start, is_return
    from marts.int_user_periods
),

starts as (
    select period, user_id, period_start, period_index
    from user_periods
    where is_start
),

returns as (
    select period, user_id, period_index
    from user_periods
    where is_return
),

first_starts as (
    select period, user_id, min(period_start) as period_start, min(period_index) as period_index
    from starts
    group by period, user_id
),

cohort_members as (
    select
        'first_time' as retention_type,
        period,
        user_id,
        period_start as cohort_start,
        period_index as cohort_index
    from first_starts

    union all

    select 'recurring', period, user_id, period_start, period_index
    from starts
),

cohorts as (
    select retention_type, period, cohort_start, cohort_index, count(*) as cohort_size
    from cohort_members
    group by retention_type, period, cohort_start, cohort_index
),

retained as (
    select
        members.retention_type,
        members.period,
        members.cohort_start,
        returns.period_index - members.cohort_index as period_number,
        count(*) as retained_users
    from cohort_members as members
    inner join returns
        on returns.period = members.period
        and returns.user_id = members.user_id
        and returns.period_index > members.cohort_index
    group by all
),

last_returns as (
    select period, user_id, max(period_index) as last_return_index
    from returns
    group by period, user_id
),

-- a member whose last return is k periods after the cohort counts as retained "on or after"
-- every period 1 … k: count members by k here, then sum from the top in `filled`.
reach as (
    select
        members.retention_type,
        members.period,
        members.cohort_start,
        last_returns.last_return_index - members.cohort_index as period_number,
        count(*) as users_reaching
    from cohort_members as members
    inner join last_returns
        on last_returns.period = members.period
        and last_returns.user_id = members.user_id
        and last_returns.last_return_index > members.cohort_index
    group by all
),

observation as (
    select period, max(period_index) as last_index
    from user_periods
    group by period
),

grid as (
    select
        cohorts.retention_type,
        cohorts.period,
        cohorts.cohort_start,
        cohorts.cohort_size,
        unnest(range(0, observation.last_index - cohorts.cohort_index + 1)) as period_number
    from cohorts
    inner join observation on observation.period = cohorts.period
),

filled as (
    select
        grid.period,
        grid.retention_type,
        grid.cohort_start,
        grid.period_number,
        grid.cohort_size,
        case
            when grid.period_number = 0 then grid.cohort_size
            else coalesce(retained.retained_users, 0)
        end as retained_users,
        case
            when grid.period_number = 0 then grid.cohort_size
            else sum(coalesce(reach.users_reaching, 0)) over (
                partition by grid.retention_type, grid.period, grid.cohort_start
                order by grid.period_number desc
                rows between unbounded preceding and current row
            )
        end as retained_users_unbounded
    from grid
    left join retained
        on retained.retention_type = grid.retention_type
        and retained.period = grid.period
        and retained.cohort_start = grid.cohort_start
        and retained.period_number = grid.period_number
    left join reach
        on reach.retention_type = grid.retention_type
        and reach.period = grid.period
        and reach.cohort_start = grid.cohort_start
        and reach.period_number = grid.period_number
)

select
    period,
    retention_type,
    cohort_start,
    cast(period_number as integer) as period_number,
    cast(cohort_size as bigint) as cohort_size,
    cast(retained_users as bigint) as retained_users,
    cast(retained_users as double) / cohort_size as retention_rate,
    cast(retained_users_unbounded as bigint) as retained_users_unbounded,
    cast(retained_users_unbounded as double) / cohort_size as unbounded_retention_rate
from filled
order by period, retention_type, cohort_start, period_number

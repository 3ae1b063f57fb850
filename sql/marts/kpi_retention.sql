-- marts.kpi_retention — one row per period type ('day' | 'week' | 'month') × retention_type
-- ('first_time' | 'recurring') × cohort (local calendar period) × period_number 0 … N, for
-- every cohort period from the first one with a start event to the one that contains the
-- as-of date, and N up to that period (zero-filled): a cohort period in which nobody started
-- has cohort_size 0 (and null rates), not a missing row.
-- first_time: a user's cohort is the period of their first ever start event; recurring: a
-- user is in the cohort of every period in which they did the start event.
-- retained_users (N ≥ 1): cohort users with a return event in period cohort + N; a return in
-- the cohort's own period never counts. retained_users_unbounded: a return in period
-- cohort + N or any later period. Period 0 is the whole cohort (rate 1).
-- grain: period, retention_type, cohort_start, period_number
-- parameters: timezone, week_start, retention_start_event, retention_return_event (null = any
-- active event), active events, as_of.
-- Method: from intermediate.int_user_period_masks (users as bits of 63-user blocks). For cohort
-- period C and a later period R, "cohort members returning in R" is the sum over blocks of
-- bit_count(cohort mask of C & return_mask of R); members whose *last* return is in R
-- (bit_count(cohort mask & last_return_mask)) are counted at N = R − C and summed from the top
-- for "on or after". The cost grows with periods² × users / 63, not with the pairs of each
-- user's start and return periods (quadratic in a user's active days for daily periods).
-- column period: period type: 'day', 'week' or 'month'
-- column retention_type: 'first_time' (cohort = period of the first start event) or 'recurring' (a cohort for every period with a start event)
-- column cohort_start: first local day of the cohort's period C
-- column period_number: N = 0, 1, … up to the period that contains the as-of date
-- column cohort_size: users in the cohort; 0 for a period in which nobody started
-- column retained_users: cohort users with a return event in period C + N (on); cohort_size for N = 0
-- column retention_rate: retained_users / cohort_size; null when cohort_size = 0
-- column retained_users_unbounded: cohort users with a return event in period C + N or later (on or after); cohort_size for N = 0
-- column unbounded_retention_rate: retained_users_unbounded / cohort_size; null when cohort_size = 0
with

masks as (
    select
        period, period_start, period_index, user_block,
        start_mask, first_start_mask, return_mask, last_return_mask
    from intermediate.int_user_period_masks
    where start_mask <> 0 or return_mask <> 0
),

cohort_sizes as (
    select
        period,
        period_start as cohort_start,
        period_index as cohort_index,
        sum(bit_count(first_start_mask)) as first_time_size,
        sum(bit_count(start_mask)) as recurring_size
    from masks
    where start_mask <> 0
    group by period, period_start, period_index
),

first_cohorts as (
    select period, min(cohort_index) as first_index
    from cohort_sizes
    group by period
),

-- every period from the first with a start event to the one that contains the as-of date
cohort_periods as (
    select periods.period, periods.period_start, periods.period_index
    from intermediate.int_period_calendar as periods
    inner join first_cohorts
        on first_cohorts.period = periods.period
        and periods.period_index >= first_cohorts.first_index
),

sized_periods as (
    select
        cohort_periods.period,
        cohort_periods.period_start as cohort_start,
        cohort_periods.period_index as cohort_index,
        coalesce(cohort_sizes.first_time_size, 0) as first_time_size,
        coalesce(cohort_sizes.recurring_size, 0) as recurring_size
    from cohort_periods
    left join cohort_sizes
        on cohort_sizes.period = cohort_periods.period
        and cohort_sizes.cohort_index = cohort_periods.period_index
),

cohorts as (
    select 'first_time' as retention_type, period, cohort_start, cohort_index,
        first_time_size as cohort_size
    from sized_periods

    union all

    select 'recurring', period, cohort_start, cohort_index, recurring_size
    from sized_periods
),

-- every (cohort period, later return period) pair, per block of users
pair_counts as (
    select
        cohort.period,
        cohort.period_start as cohort_start,
        returned.period_index - cohort.period_index as period_number,
        sum(bit_count(cohort.first_start_mask & returned.return_mask)) as first_time_retained,
        sum(bit_count(cohort.start_mask & returned.return_mask)) as recurring_retained,
        sum(bit_count(cohort.first_start_mask & returned.last_return_mask))
            as first_time_reaching,
        sum(bit_count(cohort.start_mask & returned.last_return_mask)) as recurring_reaching
    from masks as cohort
    inner join masks as returned
        on returned.period = cohort.period
        and returned.user_block = cohort.user_block
        and returned.period_index > cohort.period_index
    where cohort.start_mask <> 0 and returned.return_mask <> 0
    group by cohort.period, cohort.period_start, returned.period_index - cohort.period_index
),

-- retained_users: members with a return in period N; users_reaching: members whose last
-- return is in period N (they count as retained "on or after" every period 1 … N)
counts as (
    select 'first_time' as retention_type, period, cohort_start, period_number,
        first_time_retained as retained_users, first_time_reaching as users_reaching
    from pair_counts

    union all

    select 'recurring', period, cohort_start, period_number,
        recurring_retained, recurring_reaching
    from pair_counts
),

observation as (
    select period, max(period_index) as last_index
    from intermediate.int_period_calendar
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
            else coalesce(counts.retained_users, 0)
        end as retained_users,
        case
            when grid.period_number = 0 then grid.cohort_size
            else sum(coalesce(counts.users_reaching, 0)) over (
                partition by grid.retention_type, grid.period, grid.cohort_start
                order by grid.period_number desc
                rows between unbounded preceding and current row
            )
        end as retained_users_unbounded
    from grid
    left join counts
        on counts.retention_type = grid.retention_type
        and counts.period = grid.period
        and counts.cohort_start = grid.cohort_start
        and counts.period_number = grid.period_number
)

select
    period,
    retention_type,
    cohort_start,
    cast(period_number as integer) as period_number,
    cast(cohort_size as bigint) as cohort_size,
    cast(retained_users as bigint) as retained_users,
    cast(retained_users as double) / nullif(cohort_size, 0) as retention_rate,
    cast(retained_users_unbounded as bigint) as retained_users_unbounded,
    cast(retained_users_unbounded as double) / nullif(cohort_size, 0) as unbounded_retention_rate
from filled
order by period, retention_type, cohort_start, period_number

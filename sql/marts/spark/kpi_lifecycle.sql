-- Spark override of marts.kpi_lifecycle (sql/marts/kpi_lifecycle.sql); same grain, columns
-- and values, same method (see the DuckDB model's header). Why: the DuckDB model steps its
-- calendar by a `case` over interval 1 day / 7 day / 1 month; Spark types day and month
-- intervals differently and refuses to mix them in one expression, so each period type gets
-- its own sequence here. date_diff('day', …) is datediff, integer division is div.
-- column period: period type: 'day', 'week' or 'month'
-- column period_start: first local day of the period P
-- column status: 'new', 'returning', 'resurrecting' or 'dormant'
-- column users: users with that status in P; dormant (active in P-1, not in P) is counted negative
with

masks as (
    select period, period_start, period_index, user_block, active_mask, new_mask
    from intermediate.int_user_period_masks
    where active_mask <> 0
),

per_period as (
    select
        period,
        period_index,
        sum(bit_count(active_mask)) as active_users,
        sum(bit_count(new_mask)) as new_users
    from masks
    group by period, period_index
),

-- users active in P and in P − 1 (all, and the new ones of P)
period_overlaps as (
    select
        current_period.period,
        current_period.period_index,
        sum(bit_count(current_period.active_mask & previous_period.active_mask))
            as active_both,
        sum(bit_count(current_period.new_mask & previous_period.active_mask)) as new_both
    from masks as current_period
    inner join masks as previous_period
        on previous_period.period = current_period.period
        and previous_period.user_block = current_period.user_block
        and previous_period.period_index = current_period.period_index - 1
    group by current_period.period, current_period.period_index
),

bounds as (
    select period, min(period_start) as first_start, max(period_start) as last_start
    from masks
    group by period
),

calendar as (
    select period, explode(sequence(first_start, last_start, interval 1 day)) as period_start
    from bounds
    where period = 'day'

    union all

    select period, explode(sequence(first_start, last_start, interval 7 day))
    from bounds
    where period = 'week'

    union all

    select period, explode(sequence(first_start, last_start, interval 1 month))
    from bounds
    where period = 'month'
),

indexed as (
    select
        period,
        period_start,
        case period
            when 'day' then datediff(period_start, date '1970-01-01')
            when 'week' then datediff(period_start, date '1970-01-01') div 7
            else year(period_start) * 12 + month(period_start) - 1
        end as period_index
    from calendar
),

counts as (
    select
        indexed.period,
        indexed.period_start,
        coalesce(current_period.active_users, 0) as active_users,
        coalesce(current_period.new_users, 0) as new_users,
        coalesce(previous_period.active_users, 0) as previous_active_users,
        coalesce(period_overlaps.active_both, 0) as active_both,
        coalesce(period_overlaps.new_both, 0) as new_both
    from indexed
    left join per_period as current_period
        on current_period.period = indexed.period
        and current_period.period_index = indexed.period_index
    left join per_period as previous_period
        on previous_period.period = indexed.period
        and previous_period.period_index = indexed.period_index - 1
    left join period_overlaps
        on period_overlaps.period = indexed.period
        and period_overlaps.period_index = indexed.period_index
),

statuses as (
    select period, period_start, 'new' as status, new_users as users
    from counts

    union all

    select period, period_start, 'returning', active_both - new_both
    from counts

    union all

    select period, period_start, 'resurrecting',
        active_users - new_users - (active_both - new_both)
    from counts

    union all

    select period, period_start, 'dormant', -(previous_active_users - active_both)
    from counts
)

select
    period,
    period_start,
    status,
    cast(users as bigint) as users
from statuses
order by period, period_start, status

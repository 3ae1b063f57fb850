-- marts.kpi_lifecycle — one row per period type ('day' | 'week' | 'month') × local calendar
-- period × status, zero-filled, for every period from the first one with an active event to
-- the one that contains the as-of date (so users active in the period before it and not in
-- it are dormant there).
-- For a user active in period P (PostHog's lifecycle): 'new' when the user's first-seen time
-- (staging.users.first_seen_at: the createdAt trait where known, else the first event; the
-- first active day if the user is missing there) falls in P; else 'returning' when also
-- active in P − 1; else 'resurrecting' (this includes a first active period that is later
-- than the first-seen period). 'dormant': active in P − 1 and not in P; counted negative.
-- has_history is false in the first period of the table: no activity before it is visible,
-- so users first seen earlier show as resurrecting there (the counts are kept as defined).
-- grain: period, period_start, status
-- parameters: timezone, week_start, active events, as_of.
-- Method: from intermediate.int_user_period_masks (users as bits of 63-user blocks). With A(P) the
-- users active in P and N(P) ⊆ A(P) the new ones: returning = |A(P) ∩ A(P−1)| −
-- |N(P) ∩ A(P−1)|, resurrecting = |A(P)| − |N(P)| − returning, dormant = −(|A(P−1)| −
-- |A(P) ∩ A(P−1)|); each intersection is a sum over blocks of bit_count(a & b).
-- column period: period type: 'day', 'week' or 'month'
-- column period_start: first local day of the period P
-- column status: 'new', 'returning', 'resurrecting' or 'dormant'
-- column users: users with that status in P; dormant (active in P-1, not in P) is counted negative
-- column has_history: false for the first period of the table (nothing before it is visible, so earlier users show as resurrecting); true otherwise
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

first_periods as (
    select period, min(period_index) as first_index
    from per_period
    group by period
),

-- every period from the first active one to the one that contains the as-of date
indexed as (
    select
        periods.period,
        periods.period_start,
        periods.period_index,
        periods.period_index > first_periods.first_index as has_history
    from intermediate.int_period_calendar as periods
    inner join first_periods
        on first_periods.period = periods.period
        and periods.period_index >= first_periods.first_index
),

counts as (
    select
        indexed.period,
        indexed.period_start,
        indexed.has_history,
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
    select period, period_start, has_history, 'new' as status, new_users as users
    from counts

    union all

    select period, period_start, has_history, 'returning', active_both - new_both
    from counts

    union all

    select period, period_start, has_history, 'resurrecting',
        active_users - new_users - (active_both - new_both)
    from counts

    union all

    select period, period_start, has_history, 'dormant', -(previous_active_users - active_both)
    from counts
)

select
    period,
    period_start,
    status,
    cast(users as bigint) as users,
    has_history
from statuses
order by period, period_start, status

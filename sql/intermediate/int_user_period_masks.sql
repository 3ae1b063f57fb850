-- intermediate.int_user_period_masks — one row per period type ('day' | 'week' | 'month') × local
-- calendar period × block of 63 users, for blocks with at least one user active, starting or
-- returning in the period. Each *_mask is a set of users as the bits of a BIGINT: user number
-- k (user_key, 0-based) is bit k % 63 of block k // 63, so set operations are bitwise and a
-- count is bit_count. Retention and lifecycle count "users in this period and that one" as
-- sums of bit_count(a & b) over blocks: work in periods × periods × users / 63, never in
-- pairs of one user's periods.
-- Users are numbered in the order of their first activity day (then user_id), so a block
-- holds users with similar histories and stays sparse where few of them are active.
-- period_index numbers the periods of one type consecutively (day: days since 1970-01-01;
-- week: weeks; month: year × 12 + month − 1) so "previous period" is period_index − 1.
-- first_start_mask: users whose first ever start event falls in the period; last_return_mask:
-- users whose last return event falls in it; new_mask: users active in the period whose
-- first-seen time (staging.users.first_seen_at, else their first active day) falls in it.
-- grain: period, period_start, user_block
-- parameters: timezone, week_start (from intermediate.int_settings), active / start / return events
-- (through intermediate.int_user_activity_days).
-- column period: period type: 'day', 'week' or 'month'
-- column period_start: first local day of the period
-- column period_index: consecutive period number per period type (previous period = period_index - 1)
-- column user_block: block of 63 users (user_key // 63)
-- column active_mask: bit user_key % 63 set for users of the block with an active event in the period
-- column start_mask: users of the block with a retention start event in the period
-- column first_start_mask: users of the block whose first ever start event is in the period
-- column return_mask: users of the block with a retention return event in the period
-- column last_return_mask: users of the block whose last return event is in the period
-- column new_mask: users of the block active in the period whose first-seen time falls in it
with

user_days as (
    select user_id, activity_date, is_active, is_start, is_return
    from intermediate.int_user_activity_days
),

settings as (
    select * from intermediate.int_settings
),

first_seen as (
    select
        users.user_id,
        cast((users.first_seen_at at time zone 'UTC') at time zone settings.timezone as date)
            as first_seen_date
    from staging.users as users
    cross join settings
    where users.first_seen_at is not null
),

per_user as (
    select
        user_id,
        min(activity_date) as first_date,
        min(case when is_start then activity_date end) as first_start_date,
        max(case when is_return then activity_date end) as last_return_date,
        min(case when is_active then activity_date end) as first_active_date
    from user_days
    group by user_id
),

keyed as (
    select
        per_user.user_id,
        row_number() over (order by per_user.first_date, per_user.user_id) - 1 as user_key,
        per_user.first_start_date,
        per_user.last_return_date,
        coalesce(first_seen.first_seen_date, per_user.first_active_date) as first_seen_date
    from per_user
    left join first_seen on first_seen.user_id = per_user.user_id
),

keyed_periods as (
    select
        keyed.user_id,
        keyed.user_key // 63 as user_block,
        cast(1 as bigint) << cast(keyed.user_key % 63 as integer) as user_bit,
        keyed.first_start_date,
        keyed.last_return_date,
        keyed.first_seen_date,
        cast(date_trunc('week', keyed.first_seen_date + settings.week_offset_days) as date)
            - settings.week_offset_days as first_seen_week,
        cast(date_trunc('month', keyed.first_seen_date) as date) as first_seen_month
    from keyed
    cross join settings
),

dated as (
    select
        keyed_periods.user_block,
        keyed_periods.user_bit,
        user_days.activity_date,
        cast(date_trunc('week', user_days.activity_date + settings.week_offset_days) as date)
            - settings.week_offset_days as week_start,
        cast(date_trunc('month', user_days.activity_date) as date) as month_start,
        user_days.is_active,
        user_days.is_start,
        user_days.is_return,
        user_days.activity_date = keyed_periods.first_start_date as is_first_start,
        user_days.activity_date = keyed_periods.last_return_date as is_last_return,
        keyed_periods.first_seen_date,
        keyed_periods.first_seen_week,
        keyed_periods.first_seen_month
    from user_days
    inner join keyed_periods on keyed_periods.user_id = user_days.user_id
    cross join settings
),

masks as (
    select
        'day' as period,
        activity_date as period_start,
        user_block,
        bit_or(case when is_active then user_bit else 0 end) as active_mask,
        bit_or(case when is_start then user_bit else 0 end) as start_mask,
        bit_or(case when is_first_start then user_bit else 0 end) as first_start_mask,
        bit_or(case when is_return then user_bit else 0 end) as return_mask,
        bit_or(case when is_last_return then user_bit else 0 end) as last_return_mask,
        bit_or(
            case when is_active and activity_date = first_seen_date then user_bit else 0 end
        ) as new_mask
    from dated
    group by activity_date, user_block

    union all

    select
        'week' as period,
        week_start as period_start,
        user_block,
        bit_or(case when is_active then user_bit else 0 end),
        bit_or(case when is_start then user_bit else 0 end),
        bit_or(case when is_first_start then user_bit else 0 end),
        bit_or(case when is_return then user_bit else 0 end),
        bit_or(case when is_last_return then user_bit else 0 end),
        bit_or(case when is_active and week_start = first_seen_week then user_bit else 0 end)
    from dated
    group by week_start, user_block

    union all

    select
        'month' as period,
        month_start as period_start,
        user_block,
        bit_or(case when is_active then user_bit else 0 end),
        bit_or(case when is_start then user_bit else 0 end),
        bit_or(case when is_first_start then user_bit else 0 end),
        bit_or(case when is_return then user_bit else 0 end),
        bit_or(case when is_last_return then user_bit else 0 end),
        bit_or(case when is_active and month_start = first_seen_month then user_bit else 0 end)
    from dated
    group by month_start, user_block
)

select
    period,
    period_start,
    case period
        when 'day' then date_diff('day', date '1970-01-01', period_start)
        when 'week' then date_diff('day', date '1970-01-01', period_start) // 7
        else year(period_start) * 12 + month(period_start) - 1
    end as period_index,
    user_block,
    active_mask,
    start_mask,
    first_start_mask,
    return_mask,
    last_return_mask,
    new_mask
from masks

-- marts.kpi_active_users — one row per local calendar day from the first day with an active
-- event to the as-of date (intermediate.int_settings.as_of_date), days without activity
-- included (gaps filled): after the last activity WAU and MAU run down as their windows empty.
-- dau: distinct active users on the day; wau: in the 7 days ending that day; mau: in the 30
-- days ending that day; stickiness = dau / mau (null when mau = 0).
-- grain: activity_date
-- parameters: timezone, active events, as_of (through intermediate.int_user_activity_days and
-- intermediate.int_period_calendar).
-- Method ("interval delta"): a user active on day d is counted by the WAU of days d … d+6.
-- Each user's overlapping windows are merged into stretches, each stretch adds +1 on its
-- first day and −1 on the day after its last, and a running sum over the calendar gives the
-- count. Events are never joined to days, so the work grows with active user-days, not with
-- user-days × 7 or × 30 (timings: docs/benchmarks.md, "Marts build").
-- column activity_date: local calendar day d (reporting time zone)
-- column dau: distinct users active on d
-- column wau: distinct users active on at least one of the 7 local days d-6 … d
-- column mau: distinct users active on at least one of the 30 local days d-29 … d
-- column stickiness: dau / mau; null when mau = 0
with

active_days as (
    select user_id, activity_date
    from intermediate.int_user_activity_days
    where is_active
),

gaps as (
    select
        user_id,
        activity_date,
        date_diff('day', lag(activity_date) over by_user, activity_date) as days_since_previous,
        date_diff('day', activity_date, lead(activity_date) over by_user) as days_until_next
    from active_days
    window by_user as (partition by user_id order by activity_date)
),

deltas as (
    select
        activity_date as delta_date,
        1 as dau_delta,
        case when coalesce(days_since_previous, 7) >= 7 then 1 else 0 end as wau_delta,
        case when coalesce(days_since_previous, 30) >= 30 then 1 else 0 end as mau_delta
    from gaps

    union all

    select activity_date + 1, -1, 0, 0
    from gaps

    union all

    select activity_date + 7, 0, -1, 0
    from gaps
    where coalesce(days_until_next, 7) >= 7

    union all

    select activity_date + 30, 0, 0, -1
    from gaps
    where coalesce(days_until_next, 30) >= 30
),

daily_deltas as (
    select
        delta_date,
        sum(dau_delta) as dau_delta,
        sum(wau_delta) as wau_delta,
        sum(mau_delta) as mau_delta
    from deltas
    group by delta_date
),

calendar as (
    select period_start as activity_date
    from intermediate.int_period_calendar
    where period = 'day'
        and period_start >= (select min(activity_date) from active_days)
),

running as (
    select
        calendar.activity_date,
        sum(coalesce(daily_deltas.dau_delta, 0)) over by_day as dau,
        sum(coalesce(daily_deltas.wau_delta, 0)) over by_day as wau,
        sum(coalesce(daily_deltas.mau_delta, 0)) over by_day as mau
    from calendar
    left join daily_deltas on daily_deltas.delta_date = calendar.activity_date
    window by_day as (order by calendar.activity_date rows between unbounded preceding and current row)
)

select
    activity_date,
    cast(dau as bigint) as dau,
    cast(wau as bigint) as wau,
    cast(mau as bigint) as mau,
    cast(dau as double) / nullif(mau, 0) as stickiness
from running
order by activity_date

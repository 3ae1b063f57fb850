-- marts.kpi_feature_adoption — one row per configured feature × local calendar week, for
-- every week from the first week with an active or feature event to the week that contains
-- the as-of date (zero-filled); feature events after the as-of date are ignored.
-- feature_users: distinct users with any of the feature's events that week (any event type);
-- active_users: distinct users with an active event that week; adoption_rate =
-- feature_users / active_users (null when no one was active; may exceed 1 only when the
-- feature's events are not active events).
-- new_feature_users: users whose first ever use of the feature falls in the week;
-- median_seconds_to_first_use: over those users, seconds from signup (staging.users
-- first_seen_at: createdAt trait, else first event) to that first use.
-- grain: feature, period_start
-- parameters: meta.config_features (feature, event), timezone, week_start, active events, as_of.
-- column feature: feature name from the configuration
-- column period_start: first local day of the week
-- column feature_users: distinct users with at least one of the feature's events in the week
-- column active_users: distinct users active in the week
-- column adoption_rate: feature_users / active_users; null when no user was active
-- column new_feature_users: users whose first ever use of the feature falls in the week
-- column median_seconds_to_first_use: median over new_feature_users of seconds from signup (staging.users.first_seen_at) to first use
with

features as (
    select distinct feature, event from meta.config_features
),

settings as (
    select * from intermediate.int_settings
),

users as (
    select user_id, first_seen_at from staging.users
),

-- one row per feature × user × week of use: the week's users, and each user's first use
feature_user_weeks as (
    select
        features.feature,
        events.user_id,
        cast(date_trunc(
            'week',
            coalesce(
                local_hours.local_date,
                cast(
                    (events.occurred_at at time zone 'UTC') at time zone settings.timezone
                    as date
                )
            ) + settings.week_offset_days
        ) as date) - settings.week_offset_days as period_start,
        min(events.occurred_at) as first_used_at
    from staging.events as events
    inner join features on features.event = events.event
    inner join intermediate.int_local_hours as local_hours
        on local_hours.hour_at = date_trunc('hour', events.occurred_at)
    cross join settings
    where events.user_id is not null
        and events.occurred_at is not null
        and (settings.as_of_ends_at is null or events.occurred_at < settings.as_of_ends_at)
    group by all
),

weekly_feature_users as (
    select feature, period_start, count(*) as feature_users
    from feature_user_weeks
    group by feature, period_start
),

first_uses as (
    select
        feature,
        user_id,
        min(first_used_at) as first_used_at,
        min(period_start) as period_start
    from feature_user_weeks
    group by feature, user_id
),

weekly_first_uses as (
    select
        first_uses.feature,
        first_uses.period_start,
        count(*) as new_feature_users,
        median(date_diff('microsecond', users.first_seen_at, first_uses.first_used_at) / 1e6)
            as median_seconds_to_first_use
    from first_uses
    left join users on users.user_id = first_uses.user_id
    group by first_uses.feature, first_uses.period_start
),

weekly_active_users as (
    select period_start, sum(bit_count(active_mask)) as active_users
    from intermediate.int_user_period_masks
    where period = 'week' and active_mask <> 0
    group by period_start
),

bounds as (
    select
        min(weeks.period_start) as first_start,
        cast(date_trunc('week', settings.as_of_date + settings.week_offset_days) as date)
            - settings.week_offset_days as last_start
    from (
        select period_start from weekly_active_users
        union all
        select period_start from weekly_feature_users
    ) as weeks
    cross join settings
    group by settings.as_of_date, settings.week_offset_days
),

calendar as (
    select cast(unnest(generate_series(first_start, last_start, interval 7 day)) as date)
        as period_start
    from bounds
    where first_start <= last_start
),

grid as (
    select feature_names.feature, calendar.period_start
    from (select distinct feature from features) as feature_names
    cross join calendar
)

select
    grid.feature,
    grid.period_start,
    coalesce(weekly_feature_users.feature_users, 0) as feature_users,
    coalesce(weekly_active_users.active_users, 0) as active_users,
    cast(coalesce(weekly_feature_users.feature_users, 0) as double)
        / nullif(weekly_active_users.active_users, 0) as adoption_rate,
    coalesce(weekly_first_uses.new_feature_users, 0) as new_feature_users,
    weekly_first_uses.median_seconds_to_first_use
from grid
left join weekly_feature_users
    on weekly_feature_users.feature = grid.feature
    and weekly_feature_users.period_start = grid.period_start
left join weekly_active_users on weekly_active_users.period_start = grid.period_start
left join weekly_first_uses
    on weekly_first_uses.feature = grid.feature
    and weekly_first_uses.period_start = grid.period_start
order by grid.feature, grid.period_start

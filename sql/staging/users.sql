-- staging.users — one row per person seen in staging.events or in a users file.
-- Traits come from identify calls (ordered by event time) and users files (ordered by load
-- time); for each trait the latest value wins, and traits holds all of them merged.
-- first_seen_at is the createdAt trait where known, else the first event.
-- grain: user_id
with

identity_map as (
    select * from staging.identity_map
),

identify_calls as (
    select
        coalesce(merged.user_id, e.person_id) as user_id,
        e.traits,
        e.occurred_at as observed_at,
        e.row_number
    from (
        select
            raw_identify.*,
            coalesce(raw_identify.user_id, anonymous_link.user_id, raw_identify.anonymous_id)
                as person_id
        from raw.events as raw_identify
        left join identity_map as anonymous_link
            on anonymous_link.alias_id = raw_identify.anonymous_id
            and raw_identify.user_id is null
        where raw_identify.event_type = 'identify' and raw_identify.traits is not null
    ) as e
    left join identity_map as merged
        on merged.alias_id = e.person_id and merged.link_type = 'alias'
),

user_file_records as (
    select
        coalesce(merged.user_id, u.user_id) as user_id,
        case
            when u.created_at is null then u.traits
            else json_merge_patch(
                u.traits, json_object('createdAt', strftime(u.created_at, '%Y-%m-%dT%H:%M:%SZ'))
            )
        end as traits,
        u.ingested_at as observed_at,
        u.row_number
    from raw.users as u
    left join identity_map as merged
        on merged.alias_id = u.user_id and merged.link_type = 'alias'
),

trait_records as (
    select * from identify_calls
    union all
    select * from user_file_records
),

traits as (
    select
        user_id,
        list_reduce(
            list(traits order by observed_at, row_number),
            lambda merged, later: json_merge_patch(merged, later)
        ) as traits,
        min(try_cast(coalesce(traits ->> '$.createdAt', traits ->> '$.created_at')
            as timestamptz)) as created_tz
    from trait_records
    group by user_id
),

activity as (
    select
        user_id,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at,
        bool_or(is_identified) as is_identified,
        count(*) as count_events
    from staging.events
    group by user_id
),

people as (
    select user_id from activity
    union
    select user_id from traits
)

select
    people.user_id,
    coalesce(timezone('UTC', traits.created_tz), activity.first_event_at) as first_seen_at,
    activity.last_event_at as last_seen_at,
    timezone('UTC', traits.created_tz) as created_at,
    activity.first_event_at,
    traits.traits ->> '$.plan' as plan,
    traits.traits ->> '$.country' as country,
    traits.traits ->> '$.platform' as platform,
    traits.traits,
    coalesce(activity.is_identified, true) as is_identified,
    coalesce(activity.count_events, 0) as count_events
from people
left join activity on activity.user_id = people.user_id
left join traits on traits.user_id = people.user_id

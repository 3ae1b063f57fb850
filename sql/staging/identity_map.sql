-- staging.identity_map — one row per id that stands for a known user.
-- grain: alias_id. An anonymous id is linked by an identify call or any call that carries
-- both ids; an alias call links previousId (anonymous or an old user id) to userId. The
-- earliest link wins, whichever file it came in; count_linked_users > 1 flags shared devices.
with

calls_with_both_ids as (
    select anonymous_id as alias_id, user_id, occurred_at, 'identify' as link_type
    from raw.events
    where user_id is not null and anonymous_id is not null and event_type <> 'alias'
),

alias_calls as (
    select previous_id as alias_id, user_id, occurred_at, 'alias' as link_type
    from raw.events
    where event_type = 'alias' and previous_id <> user_id
),

links as (
    select * from calls_with_both_ids
    union all
    select * from alias_calls
),

first_links as (
    select
        alias_id,
        arg_min(user_id, occurred_at) as user_id,
        arg_min(link_type, occurred_at) as link_type,
        min(occurred_at) as linked_at,
        count(distinct user_id) as count_linked_users
    from links
    group by alias_id
)

select alias_id, user_id, link_type, linked_at, count_linked_users
from first_links

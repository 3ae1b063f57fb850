-- staging.identity_map — one row per id that stands for a known user.
-- grain: alias_id
-- An anonymous id is linked by an identify call or any call that carries both ids; an alias
-- call links previousId (anonymous or an old user id) to userId. The earliest link wins,
-- whichever file it came in; count_linked_users > 1 flags shared devices. Links at the same
-- instant are ordered by link type ('alias' first), then user id: the winner never depends
-- on the order rows were read in, so every rebuild (full or incremental) agrees.
-- user_id is final: it follows alias merges up to three hops (anon → old id → new id → …).
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

pair_links as (
    -- each distinct link once, at its earliest instant: an identified user's every event
    -- repeats the same pair (10M events: 7.6M calls, 99k pairs), and the minimum below is
    -- the same over a pair's earliest call as over all of them
    select alias_id, user_id, link_type, min(occurred_at) as occurred_at
    from links
    group by alias_id, user_id, link_type
),

earliest_links as (
    -- structs compare field by field: the earliest link, and at one instant 'alias' before
    -- 'identify', then the smaller user id
    select
        alias_id,
        min({'linked_at': occurred_at, 'link_type': link_type, 'user_id': user_id}) as first_link,
        count(distinct user_id) as count_linked_users
    from pair_links
    group by alias_id
),

first_links as (
    select
        alias_id,
        first_link.user_id as user_id,
        first_link.link_type as link_type,
        first_link.linked_at as linked_at,
        count_linked_users
    from earliest_links
),

alias_merges as (
    select alias_id, user_id from first_links where link_type = 'alias'
),

resolved as (
    select
        l.alias_id,
        coalesce(hop3.user_id, hop2.user_id, hop1.user_id, l.user_id) as user_id,
        l.link_type,
        l.linked_at,
        l.count_linked_users
    from first_links as l
    left join alias_merges as hop1 on hop1.alias_id = l.user_id
    left join alias_merges as hop2 on hop2.alias_id = hop1.user_id
    left join alias_merges as hop3 on hop3.alias_id = hop2.user_id
)

select alias_id, user_id, link_type, linked_at, count_linked_users
from resolved

-- staging.events — one row per track / page / screen event.
-- user_id is the resolved person: an aliased user id is replaced by the user it was merged
-- into, an anonymous-only event gets the user its anonymous id was linked to (before or after
-- the event, in any file), and an anonymous id never linked stays its own person.
-- grain: event_id
-- materialized: incremental by load_id
-- recompute: anonymous_id, user_id through staging.identity_map (alias_id -> user_id)
-- (kept up to date by load: a new load's rows are added, and rows whose anonymous_id or
-- user_id names an identity_map row that changed are recomputed; docs/decisions.md)
-- column numeric_properties: the properties whose value is a JSON number, as (key, value) pairs
-- (null when there are none): parsed once per event, as it arrives, so the pain points'
-- behaviour measures read typed numbers instead of parsing JSON on every run
with

source as (
    select * from raw.events
    where event_type in ('track', 'page', 'screen')
),

identity_map as (
    select * from staging.identity_map
),

linked as (
    select
        source.*,
        coalesce(source.user_id, anonymous_link.user_id, source.anonymous_id) as person_id,
        (source.user_id is not null or anonymous_link.user_id is not null) as is_identified
    from source
    left join identity_map as anonymous_link
        on anonymous_link.alias_id = source.anonymous_id and source.user_id is null
),

resolved as (
    select
        source.event_id,
        coalesce(merged.user_id, source.person_id) as user_id,
        source.anonymous_id,
        source.event,
        source.event_type,
        source.occurred_at,
        source.session_id,
        source.properties,
        -- a JSON number always follows a colon (after optional white space) as - or a digit:
        -- events without one (half of them) skip the parse, which is what this column costs;
        -- ingest lets only objects into properties (the prefix test keeps the parse safe)
        case
            when regexp_matches(cast(source.properties as varchar), ':\s*-?[0-9]')
                and prefix(ltrim(cast(source.properties as varchar), e' \t\r\n'), '{')
                then nullif(
                    [
                        {'key': entry.key, 'value': cast(entry.value as double)}
                        for entry in map_entries(
                            json_transform(source.properties, '"MAP(VARCHAR, JSON)"')
                        )
                        if json_type(entry.value) in ('BIGINT', 'UBIGINT', 'DOUBLE')
                    ],
                    []
                )
        end as numeric_properties,
        source.is_identified,
        source.source_file,
        source.load_id
    from linked as source
    left join identity_map as merged
        on merged.alias_id = source.person_id and merged.link_type = 'alias'
)

select * from resolved

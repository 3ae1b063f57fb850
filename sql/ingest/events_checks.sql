-- _event_candidates (events_ndjson.sql or events_tabular.sql, given as a CTE) → the file's
-- staged rows (see stager.py): decide whether each record is usable (reason is null) and shape it like
-- raw.events. The accepted time range comes from _ingest_bounds (earliest, latest: UTC
-- timestamps). One statement with the candidates' query: views bound per file cost more
-- than the parse of a small file.
-- Timestamps with an offset are converted to UTC; naive ones are taken as UTC (the
-- connection's time zone is UTC).
with candidates as (
    select *, try_cast(timestamp_text as timestamptz) as occurred_tz
    from _event_candidates
    cross join _ingest_bounds
),

checked as (
    select
        *,
        timezone('UTC', occurred_tz) as occurred_at,
        case
            when structural_reason is not null then structural_reason
            when event_type is null then 'missing "type"'
            when event_type not in ('track', 'page', 'screen', 'identify', 'alias')
                then 'unsupported call type "' || left(event_type, 50) || '"'
            when event_type = 'alias' and previous_id is null then 'alias call without "previousId"'
            when event_type = 'alias' and user_id is null then 'alias call without "userId"'
            when user_id is null and anonymous_id is null then 'missing both a user id and an anonymous id'
            when event_type = 'track' and nullif(trim(event), '') is null then 'empty event name'
            when timestamp_text is null then 'missing timestamp'
            when _pma_bad_offset(timestamp_text)
                then 'impossible UTC offset in timestamp "' || left(timestamp_text, 80)
                    || '" (offsets run from -12:00 to +14:00)'
            when occurred_tz is null
                then 'unparseable timestamp "' || left(timestamp_text, 80) || '"'
            when timezone('UTC', occurred_tz) < earliest or timezone('UTC', occurred_tz) > latest
                then 'timestamp ' || strftime(timezone('UTC', occurred_tz), '%Y-%m-%dT%H:%M:%SZ')
                    || ' outside the accepted range '
                    || strftime(earliest, '%Y-%m-%d') || ' .. '
                    || strftime(latest, '%Y-%m-%dT%H:%M:%SZ')
        end as reason
    from candidates
)

select
    row_number,
    -- the record's text only where it is quarantined: copying every line into the staged rows
    -- cost 5 % of the ingest (docs/decisions.md, *The record's text only where it is
    -- quarantined*)
    case when reason is not null then raw_record end as raw_record,
    reason,
    coalesce(message_id, 'derived-' || md5(raw_record)) as event_id,
    event_type,
    user_id,
    anonymous_id,
    previous_id,
    case
        when event_type = 'page' then coalesce(nullif(trim(event), ''), 'Page Viewed')
        when event_type = 'screen' then coalesce(nullif(trim(event), ''), 'Screen Viewed')
        when event_type = 'track' then event
    end as event,
    occurred_at,
    session_id,
    case
        when page_name is not null and event_type in ('page', 'screen')
            then json_merge_patch(json_object('name', page_name), coalesce(properties, '{}'))
        else properties
    end as properties,
    context,
    traits
from checked

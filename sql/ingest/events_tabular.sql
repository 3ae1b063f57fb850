-- CSV / Parquet rows with the canonical columns (_rows.record, a JSON object per row)
-- → event candidates (a query, put under events_checks.sql in one statement). Required: event, occurred_at, and user_id or anonymous_id.
-- Columns beyond the canonical ones are kept inside properties, so nothing is lost.
with rows as (
    select
        row_number,
        record,
        record ->> '$.properties' as properties_text,
        json_merge_patch(record, '{"event_id": null, "user_id": null, "anonymous_id": null,
            "event": null, "occurred_at": null, "session_id": null, "properties": null}')
            as extra_columns
    from _rows
),

parsed as (
    select
        *,
        case
            when nullif(trim(properties_text), '') is null then null
            when json_valid(properties_text) then properties_text::json
        end as properties_json
    from rows
)

select
    row_number,
    record::varchar as raw_record,
    case
        -- a Parquet list or struct would otherwise become its JSON text: refuse it by name
        when not _pma_is_scalar(record -> '$.event_id') then '"event_id" must be a string or an integer'
        when not _pma_is_scalar(record -> '$.user_id') then '"user_id" must be a string or an integer'
        when not _pma_is_scalar(record -> '$.anonymous_id')
            then '"anonymous_id" must be a string or an integer'
        when not _pma_is_scalar(record -> '$.session_id')
            then '"session_id" must be a string or an integer'
        when not _pma_is_text(record -> '$.event') then '"event" must be a string'
        when not _pma_is_text(record -> '$.occurred_at') then '"occurred_at" must be a timestamp'
        when nullif(trim(properties_text), '') is not null and properties_json is null
            then '"properties" is not valid JSON'
        when properties_json is not null and json_type(properties_json) <> 'OBJECT'
            then '"properties" must be a JSON object'
    end as structural_reason,
    'track' as event_type,
    nullif(trim(record ->> '$.event_id'), '') as message_id,
    nullif(trim(record ->> '$.user_id'), '') as user_id,
    nullif(trim(record ->> '$.anonymous_id'), '') as anonymous_id,
    null::varchar as previous_id,
    record ->> '$.event' as event,
    null::varchar as page_name,
    nullif(trim(record ->> '$.occurred_at'), '') as timestamp_text,
    nullif(trim(record ->> '$.session_id'), '') as session_id,
    case
        when extra_columns = '{}' then properties_json
        else json_merge_patch(extra_columns, coalesce(properties_json, '{}'))
    end as properties,
    null::json as context,
    null::json as traits
from parsed

union all

-- rows the CSV reader itself rejected (too many or too few columns, …)
select
    row_number, raw_record, reason, null, null, null, null, null, null, null, null, null, null,
    null, null
from _rejects

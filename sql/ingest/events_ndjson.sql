-- Segment-spec NDJSON lines (_lines) → event candidates, one row per line (a query: staging
-- puts it under events_checks.sql in one statement).
-- Each line is parsed once (json_transform); scalar fields stay JSON here so that a wrong
-- type (an object where a string belongs) is caught instead of silently stringified.
-- Only a line that does not parse as an object is looked at again, to say why.
with fields as (
    select
        line_number as row_number,
        line as raw_record,
        reject_reason,
        case when reject_reason is null and _pma_starts_object(line)
            then try(json_transform(line, '{
                "type": "JSON", "messageId": "JSON", "userId": "JSON", "anonymousId": "JSON",
                "previousId": "JSON", "event": "JSON", "name": "JSON", "timestamp": "JSON",
                "originalTimestamp": "JSON", "sessionId": "JSON", "properties": "JSON",
                "context": "JSON", "traits": "JSON"
            }')) end as f
    from _lines
)

select
    row_number,
    raw_record,
    case
        when reject_reason is not null then reject_reason  -- over the length limit
        when f is null then
            case
                when not json_valid(raw_record) then 'malformed JSON'
                when json_type(raw_record) <> 'OBJECT'
                    then 'not a JSON object (found ' || lower(json_type(raw_record)) || ')'
                else 'unreadable JSON object'
            end
        when not _pma_is_text(f.type) then '"type" must be a string'
        when not _pma_is_scalar(f.messageId) then '"messageId" must be a string or an integer'
        when not _pma_is_scalar(f.userId) then '"userId" must be a string or an integer'
        when not _pma_is_scalar(f.anonymousId) then '"anonymousId" must be a string or an integer'
        when not _pma_is_scalar(f.previousId) then '"previousId" must be a string or an integer'
        when not _pma_is_text(f.event) then '"event" must be a string'
        when not _pma_is_text(f.name) then '"name" must be a string'
        when not _pma_is_object(f.properties) then '"properties" must be a JSON object'
        when not _pma_is_object(f.context) then '"context" must be a JSON object'
        when not _pma_is_object(f.traits) then '"traits" must be a JSON object'
    end as structural_reason,
    lower(_pma_text(f.type)) as event_type,
    _pma_text(f.messageId) as message_id,
    _pma_text(f.userId) as user_id,
    _pma_text(f.anonymousId) as anonymous_id,
    _pma_text(f.previousId) as previous_id,
    _pma_text(f.event) as event,
    _pma_text(f.name) as page_name,
    coalesce(_pma_text(f.timestamp), _pma_text(f.originalTimestamp)) as timestamp_text,
    -- the properties' own session_id only when the call has none; the text test spares
    -- parsing the properties of every event again (they are minified: a key is "…":)
    _pma_text(case
        when f.sessionId is not null then f.sessionId
        when contains(f.properties::varchar, '"session_id":') then f.properties -> '$.session_id'
    end) as session_id,
    nullif(f.properties, 'null') as properties,
    nullif(f.context, 'null') as context,
    nullif(f.traits, 'null') as traits
from fields

-- A users file (CRM export: one row per user; _rows.record) → the file's staged rows, shaped
-- like raw.users (the loader's table, see stager.create_incoming).
-- user_id (or userId) is required; created_at (or createdAt) is the signup time; every other
-- non-empty column is kept as a trait.
with rows as (
    select
        row_number,
        record,
        nullif(trim(coalesce(record ->> '$.user_id', record ->> '$.userId')), '') as user_id,
        nullif(trim(coalesce(record ->> '$.created_at', record ->> '$.createdAt')), '')
            as created_text
    from _rows
),

checked as (
    select
        *,
        try_cast(created_text as timestamptz) as created_tz,
        case
            -- a Parquet list or struct (or a JSON array) would otherwise become its JSON text
            when not _pma_is_scalar(record -> '$.user_id') then '"user_id" must be a string or an integer'
            when not _pma_is_scalar(record -> '$.userId') then '"userId" must be a string or an integer'
            when user_id is null then 'missing user_id'
            when created_text is not null and try_cast(created_text as timestamptz) is null
                then 'unparseable created_at "' || left(created_text, 80) || '"'
        end as reason
    from rows
)

select
    row_number,
    record::varchar as raw_record,
    reason,
    md5(record::varchar) as record_id,
    user_id,
    timezone('UTC', created_tz) as created_at,
    -- applying the record as a patch to {} drops its empty (null) columns, so an empty cell
    -- never erases a trait that an identify call set
    json_merge_patch('{}', json_merge_patch(record,
        '{"user_id": null, "userId": null, "created_at": null, "createdAt": null}')) as traits
from checked

union all

select row_number, raw_record, reason, null, null, null, null
from _rejects

-- A survey file (_rows.record, one JSON object per row) → the file's staged rows, shaped like
-- raw.survey_responses (see stager.create_incoming), through the source's column mapping.
-- Column names arrive as bound JSON paths ($*_path, null when not mapped), fixed values as
-- bound values; $*_column are the mapped column names, for the reasons a person reads.
-- Scores are validated on the declared scale and stored on the metric's canonical scale:
-- nps 0–10, csat 1–5, ces 1–7. A custom scale maps linearly (reversed when lower is better).
-- Dates are read by the declared formats (see dated), ISO 8601 when none is declared.
with rows as (
    select
        row_number,
        record,
        case when $response_id_path is not null
            then nullif(trim(json_extract_string(record, $response_id_path)), '') end
            as response_text,
        case when $user_id_path is not null
            then nullif(trim(json_extract_string(record, $user_id_path)), '') end as user_id,
        case when $submitted_at_path is not null
            then nullif(trim(json_extract_string(record, $submitted_at_path)), '') end
            as submitted_text,
        nullif(trim(json_extract_string(record, $score_path)), '') as score_raw,
        coalesce($metric, lower(trim(json_extract_string(record, $metric_path)))) as metric,
        coalesce(
            $survey,
            nullif(trim(json_extract_string(record, $survey_path)), ''),
            $source
        ) as survey,
        case when $comment_path is not null
            then nullif(trim(json_extract_string(record, $comment_path)), '') end as comment,
        to_json(map_from_entries(list_transform(
            $segments::varchar[],
            lambda s: {'k': s, 'v': json_extract_string(record, '$.' || to_json(s))}
        ))) as attributes
    from _rows
),

-- $date_formats: the declared strptime formats (null = ISO 8601), at most 4. DuckDB wants
-- each format as a constant, hence one slot per format (an unused slot parses to null).
-- A value that two formats read as different dates is ambiguous: quarantined, never guessed.
dated as (
    select
        *,
        case when submitted_text is not null and $date_formats is not null then [
            try_strptime(submitted_text, $date_formats[1])::timestamptz,
            try_strptime(submitted_text, $date_formats[2])::timestamptz,
            try_strptime(submitted_text, $date_formats[3])::timestamptz,
            try_strptime(submitted_text, $date_formats[4])::timestamptz
        ] end as parsed
    from rows
),

scaled as (
    select
        *,
        try_cast(score_raw as double) as score_value,
        case metric when 'nps' then 0 when 'csat' then 1 when 'ces' then 1 end as canonical_min,
        case metric when 'nps' then 10 when 'csat' then 5 when 'ces' then 7 end as canonical_max,
        len(list_distinct(list_filter(parsed, lambda p: p is not null))) > 1 as ambiguous,
        case
            when submitted_text is null then null
            when $date_formats is not null then list_filter(parsed, lambda p: p is not null)[1]
            else try_cast(submitted_text as timestamptz)
        end as submitted_tz
    from dated
),

bounded as (
    select
        *,
        coalesce($scale_min, canonical_min) as declared_min,
        coalesce($scale_max, canonical_max) as declared_max
    from scaled
),

checked as (
    select
        *,
        case
            -- a Parquet list or struct (or a JSON array) would otherwise become its JSON text
            when not _pma_is_scalar(record -> $response_id_path)
                then '"' || $response_id_column || '" must be a string or an integer'
            when not _pma_is_scalar(record -> $user_id_path)
                then '"' || $user_id_column || '" must be a string or an integer'
            when not _pma_is_plain(record -> $metric_path)
                then '"' || $metric_column || '" must be one value, not a list or an object'
            when not _pma_is_plain(record -> $survey_path)
                then '"' || $survey_column || '" must be one value, not a list or an object'
            when not _pma_is_plain(record -> $score_path)
                then '"' || $score_column || '" must be one value, not a list or an object'
            when not _pma_is_plain(record -> $comment_path)
                then '"' || $comment_column || '" must be one value, not a list or an object'
            when $response_id_path is not null and response_text is null then 'missing response id'
            when metric is null then 'missing metric'
            when metric not in ('nps', 'csat', 'ces')
                then 'unknown metric "' || left(metric, 40) || '" (expected nps, csat or ces)'
            when score_raw is null then 'missing score'
            when score_value is null or not isfinite(score_value)
                then 'score "' || left(score_raw, 40) || '" is not a number'
            when score_value < declared_min or score_value > declared_max
                then 'score ' || score_raw || ' outside the declared ' || metric || ' scale '
                    || _pma_number(declared_min) || '–' || _pma_number(declared_max)
            when $scale_min is null and score_value <> round(score_value)
                then 'score ' || score_raw || ' is not a whole number on the ' || metric || ' scale'
            when $submitted_at_path is not null and submitted_text is null
                then 'missing submitted_at'
            when submitted_text is not null and _pma_bad_offset(submitted_text)
                then 'impossible UTC offset in submitted_at "' || left(submitted_text, 60)
                    || '" (offsets run from -12:00 to +14:00)'
            when ambiguous
                then 'submitted_at "' || left(submitted_text, 60) || '" is ambiguous between '
                    || 'the declared date formats '
                    || array_to_string(list_filter($date_formats, lambda f, i: parsed[i] is not null), ' and ')
            when submitted_tz is null and submitted_text is not null
                then 'submitted_at "' || left(submitted_text, 60) || '" does not match '
                    || case
                        when $date_formats is null then 'ISO 8601'
                        when len($date_formats) = 1 then 'the declared date format ' || $date_formats[1]
                        else 'any declared date format (' || array_to_string($date_formats, ', ') || ')'
                    end
        end as reason
    from bounded
)

select
    row_number,
    record::varchar as raw_record,
    reason,
    coalesce(response_text, 'derived-' || md5(record::varchar)) as response_id,
    user_id,
    survey,
    metric,
    case
        when $scale_min is null then score_value
        when $higher_is_better then canonical_min
            + (score_value - $scale_min) / ($scale_max - $scale_min) * (canonical_max - canonical_min)
        else canonical_min
            + ($scale_max - score_value) / ($scale_max - $scale_min) * (canonical_max - canonical_min)
    end as score,
    score_raw,
    timezone('UTC', submitted_tz) as submitted_at,
    comment,
    attributes
from checked

union all

select row_number, raw_record, reason, null, null, null, null, null, null, null, null, null
from _rejects

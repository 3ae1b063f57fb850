-- staging.survey_responses — one row per survey response.
-- score is on the metric's canonical scale (nps 0–10, csat 1–5, ces 1–7); user_id follows
-- alias merges so responses join to the same person as their events.
-- grain: response_id
with

source as (
    select * from raw.survey_responses
),

identity_map as (
    select * from staging.identity_map
),

renamed as (
    select
        source.response_id,
        coalesce(merged.user_id, source.user_id) as user_id,
        source.survey,
        source.metric,
        source.score,
        source.score_raw,
        source.submitted_at,
        source.comment,
        source.attributes,
        source.user_id is null as is_anonymous,
        source.source_file,
        source.load_id
    from source
    left join identity_map as merged
        on merged.alias_id = source.user_id and merged.link_type = 'alias'
)

select * from renamed

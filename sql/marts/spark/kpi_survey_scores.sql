-- Spark override of marts.kpi_survey_scores (sql/marts/kpi_survey_scores.sql); same grain,
-- columns and values. Why: sqlglot turns `attributes ->> trait` into
-- get_json_object(attributes, trait), which in Spark needs a '$.' path and so returns null
-- for every row, without an error. Here a segment value is an exact key lookup in the JSON
-- object read as a map (as DuckDB's ->> with a key), and decimal literals are written as
-- doubles (Spark would keep 100.0 × … as a DECIMAL rounded to 6 places where DuckDB computes
-- in DOUBLE). The local month is from_utc_timestamp (session time zone UTC), what sqlglot
-- makes of the model's (ts at time zone 'UTC') at time zone zone.
-- column metric: 'nps', 'csat' or 'ces'
-- column period_start: first local day of the month of submission
-- column segment: 'all' or a configured segment name
-- column segment_value: the segment's value: survey attribute, else user trait, else 'unknown'; 'all' for segment 'all'
-- column responses: n: scored responses in the group
-- column score: nps: 100 x (promoter share - detractor share); csat: 100 x share of scores >= 4; ces: mean score
-- column ci_low: score - 1.96 x standard error, clipped to the scale; null when the standard error is null
-- column ci_high: score + 1.96 x standard error, clipped to the scale; null when the standard error is null
-- column promoters: nps only: responses scoring 9-10 (null otherwise)
-- column passives: nps only: responses scoring above 6 and below 9 (null otherwise)
-- column detractors: nps only: responses scoring 0-6 (null otherwise)
-- column is_low_sample: responses < segments.min_responses: the interval is unreliable; the row is kept
with

responses as (
    select response_id, user_id, metric, score, submitted_at, attributes
    from staging.survey_responses
    where score is not null
        and submitted_at is not null
        and metric in ('nps', 'csat', 'ces')
),

users as (
    select user_id, from_json(traits, 'map<string, string>') as traits
    from staging.users
),

segments as (
    select distinct trait from meta.config_segments
),

settings as (
    select * from intermediate.int_settings
),

dated as (
    select
        responses.response_id,
        responses.user_id,
        responses.metric,
        responses.score,
        from_json(responses.attributes, 'map<string, string>') as attributes,
        cast(date_trunc(
            'MONTH', from_utc_timestamp(responses.submitted_at, settings.timezone)
        ) as date) as period_start
    from responses
    cross join settings
),

segmented as (
    select metric, period_start, score, 'all' as segment, 'all' as segment_value
    from dated

    union all

    select
        dated.metric,
        dated.period_start,
        dated.score,
        segments.trait as segment,
        coalesce(
            element_at(dated.attributes, segments.trait),
            element_at(users.traits, segments.trait),
            'unknown'
        ) as segment_value
    from dated
    cross join segments
    left join users on users.user_id = dated.user_id
),

aggregated as (
    select
        metric,
        period_start,
        segment,
        segment_value,
        count(*) as responses,
        count(*) filter (where score >= 9) as promoters,
        count(*) filter (where score > 6 and score < 9) as passives,
        count(*) filter (where score <= 6) as detractors,
        count(*) filter (where score >= 4) as satisfied,
        avg(score) as mean_score,
        stddev_samp(score) as sd_score
    from segmented
    group by metric, period_start, segment, segment_value
),

scored as (
    select
        aggregated.*,
        case metric
            when 'nps' then 100.0D * (promoters - detractors) / responses
            when 'csat' then 100.0D * satisfied / responses
            else mean_score
        end as score,
        case metric
            when 'nps' then 100.0D * sqrt(greatest(
                (promoters + detractors) / responses
                    - power((promoters - detractors) / responses, 2),
                0.0D
            ) / responses)
            when 'csat' then 100.0D * sqrt(
                (satisfied / responses) * (1 - satisfied / responses) / responses
            )
            else sd_score / sqrt(responses)
        end as standard_error,
        case metric when 'nps' then -100.0D when 'csat' then 0.0D else 1.0D end as scale_min,
        case metric when 'nps' then 100.0D when 'csat' then 100.0D else 7.0D end as scale_max
    from aggregated
)

select
    scored.metric,
    scored.period_start,
    scored.segment,
    scored.segment_value,
    scored.responses,
    scored.score,
    -- greatest / least skip nulls: a missing standard error must stay a missing interval
    case when scored.standard_error is not null
        then greatest(scored.score - 1.96D * scored.standard_error, scored.scale_min)
    end as ci_low,
    case when scored.standard_error is not null
        then least(scored.score + 1.96D * scored.standard_error, scored.scale_max)
    end as ci_high,
    case when scored.metric = 'nps' then scored.promoters end as promoters,
    case when scored.metric = 'nps' then scored.passives end as passives,
    case when scored.metric = 'nps' then scored.detractors end as detractors,
    scored.responses < settings.segment_min_responses as is_low_sample
from scored
cross join settings
order by scored.metric, scored.period_start, scored.segment, scored.segment_value

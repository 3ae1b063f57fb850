-- marts.kpi_survey_scores — one row per metric ('nps' | 'csat' | 'ces') × period × segment ×
-- segment_value with at least one scored response. Three kinds of period:
--   'month'        each local calendar month of submission (dated responses only);
--   'last_90_days' the 90 local days that end on the day of the latest dated response
--                  (of any metric);
--   'all_time'     every scored response, dated or not: undated responses (a file without a
--                  date column) are counted here and only here.
-- segment 'all' (segment_value 'all') covers every response; each configured segment
-- (meta.config_segments: [segments] user_traits and every survey mapping's segments) takes
-- the response's survey attribute of that name, else the respondent's user trait of that
-- name, else 'unknown' (empty text and any spelling of "unknown" are 'unknown' too).
-- score: nps = 100 × (promoters − detractors) / responses (promoters score ≥ 9, detractors
-- ≤ 6 on 0–10); csat = 100 × share of scores ≥ 4 on 1–5; ces = mean score on 1–7.
-- ci_low / ci_high: 95% normal interval, score ± 1.96 × standard error, clipped to the
-- scale: nps se = 100·√((p + d − (p − d)²) / n); csat se = 100·√(s(1 − s) / n); ces se =
-- sample standard deviation / √n (null for one response). promoters / passives / detractors
-- are for nps only (null otherwise). is_low_sample: responses < segment_min_responses — such
-- rows are kept and flagged, never hidden. Dated responses submitted at or after
-- as_of_ends_at (an as-of date is set) are ignored; undated ones are kept.
-- grain: metric, period, period_start, segment, segment_value
-- parameters: meta.config_segments (trait), segment_min_responses, timezone, as_of.
-- column metric: 'nps', 'csat' or 'ces'
-- column period: 'month', 'last_90_days' or 'all_time' (filter on it: the kinds overlap)
-- column period_start: first local day of the period; all_time: the day of the earliest dated response, 1970-01-01 when no response has a date (the key is never null)
-- column period_end: last local day of the period; last_90_days and all_time: the day of the latest dated response (all_time: null when no response has a date)
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

settings as (
    select * from intermediate.int_settings
),

responses as (
    select
        responses.response_id,
        responses.user_id,
        responses.metric,
        responses.score,
        responses.submitted_at,
        responses.attributes
    from staging.survey_responses as responses
    cross join settings
    where responses.score is not null
        and responses.metric in ('nps', 'csat', 'ces')
        -- an undated response cannot be shown to be after the as-of date: it is kept
        and (
            settings.as_of_ends_at is null
            or responses.submitted_at is null
            or responses.submitted_at < settings.as_of_ends_at
        )
),

users as (
    select user_id, traits from staging.users
),

segments as (
    select distinct trait from meta.config_segments
),

local_days as (
    select
        responses.response_id,
        responses.user_id,
        responses.metric,
        responses.score,
        responses.attributes,
        -- null for an undated response: it counts in 'all_time' only
        cast(
            (responses.submitted_at at time zone 'UTC') at time zone settings.timezone as date
        ) as submitted_date
    from responses
    cross join settings
),

bounds as (
    select min(submitted_date) as first_date, max(submitted_date) as last_date
    from local_days
),

-- each response's value of every segment, worked out once per response (a response counts
-- in up to three periods below)
segment_values as (
    select response_id, 'all' as segment, 'all' as segment_value
    from local_days

    union all

    select
        response_id,
        segment,
        -- "Unknown", "" and a missing value are one group, not three
        case
            when raw_value is null or lower(trim(raw_value)) in ('', 'unknown') then 'unknown'
            else raw_value
        end as segment_value
    from (
        select
            local_days.response_id,
            segments.trait as segment,
            coalesce(local_days.attributes ->> segments.trait, users.traits ->> segments.trait)
                as raw_value
        from local_days
        cross join segments
        left join users on users.user_id = local_days.user_id
    ) as traited
),

periods as (
    select
        response_id,
        metric,
        score,
        'month' as period,
        cast(date_trunc('month', submitted_date) as date) as period_start,
        cast(date_trunc('month', submitted_date) + interval 1 month as date) - 1 as period_end
    from local_days
    where submitted_date is not null

    union all

    select local_days.response_id, local_days.metric, local_days.score, 'last_90_days',
        bounds.last_date - 89, bounds.last_date
    from local_days
    cross join bounds
    where local_days.submitted_date > bounds.last_date - 90

    union all

    -- 1970-01-01 only when nothing is dated: a grain column is never null
    select local_days.response_id, local_days.metric, local_days.score, 'all_time',
        coalesce(bounds.first_date, date '1970-01-01'), bounds.last_date
    from local_days
    cross join bounds
),

segmented as (
    select
        periods.metric,
        periods.period,
        periods.period_start,
        periods.period_end,
        periods.score,
        segment_values.segment,
        segment_values.segment_value
    from periods
    inner join segment_values on segment_values.response_id = periods.response_id
),

aggregated as (
    select
        metric,
        period,
        period_start,
        period_end,
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
    group by metric, period, period_start, period_end, segment, segment_value
),

scored as (
    select
        aggregated.*,
        case metric
            when 'nps' then 100.0 * (promoters - detractors) / responses
            when 'csat' then 100.0 * satisfied / responses
            else mean_score
        end as score,
        case metric
            when 'nps' then 100.0 * sqrt(greatest(
                (promoters + detractors) / responses
                    - power((promoters - detractors) / responses, 2),
                0
            ) / responses)
            when 'csat' then 100.0 * sqrt(
                (satisfied / responses) * (1 - satisfied / responses) / responses
            )
            else sd_score / sqrt(responses)
        end as standard_error,
        case metric when 'nps' then -100.0 when 'csat' then 0.0 else 1.0 end as scale_min,
        case metric when 'nps' then 100.0 when 'csat' then 100.0 else 7.0 end as scale_max
    from aggregated
)

select
    scored.metric,
    scored.period,
    scored.period_start,
    scored.period_end,
    scored.segment,
    scored.segment_value,
    scored.responses,
    scored.score,
    -- greatest / least skip nulls: a missing standard error must stay a missing interval
    case when scored.standard_error is not null
        then greatest(scored.score - 1.96 * scored.standard_error, scored.scale_min)
    end as ci_low,
    case when scored.standard_error is not null
        then least(scored.score + 1.96 * scored.standard_error, scored.scale_max)
    end as ci_high,
    case when scored.metric = 'nps' then scored.promoters end as promoters,
    case when scored.metric = 'nps' then scored.passives end as passives,
    case when scored.metric = 'nps' then scored.detractors end as detractors,
    scored.responses < settings.segment_min_responses as is_low_sample
from scored
cross join settings
order by scored.metric, scored.period, scored.period_start, scored.segment, scored.segment_value

-- marts.kpi_activation — one row per weekly signup cohort (local calendar week of signup),
-- from the first signup week to the week that contains the as-of date, or the last signup
-- week if that is later (zero-filled). Signups and activation events at or after
-- as_of_ends_at are ignored.
-- signup: staging.users first_seen_at (the createdAt trait where known, else the first event)
-- of identified users; an anonymous visitor who never identified has not signed up.
-- signups: users who signed up that week; activated: those with the activation event at or
-- after signup and at most activation_within_days × 24 h later (boundary inclusive);
-- activation_rate = activated / signups; median_seconds_to_activation: over activated users,
-- seconds from signup to their first activation event in that window.
-- With no activation event configured, activated, activation_rate and the median are null.
-- grain: cohort_start
-- parameters: activation_event, activation_within_days, timezone, week_start, as_of.
-- column cohort_start: first local day of the signup week
-- column signups: identified users whose signup time (first_seen_at) falls in the week
-- column activated: signups with the activation event at or after signup and within within_days x 24 h; null without an activation event
-- column activation_rate: activated / signups; null without an activation event
-- column median_seconds_to_activation: median over activated users of seconds from signup to their first activation event in the window
with

settings as (
    select * from intermediate.int_settings
),

users as (
    select users.user_id, users.first_seen_at
    from staging.users as users
    cross join settings
    where users.first_seen_at is not null
        and users.is_identified
        and (settings.as_of_ends_at is null or users.first_seen_at < settings.as_of_ends_at)
),

activation_events as (
    select events.user_id, events.occurred_at
    from staging.events as events
    inner join settings on events.event = settings.activation_event
    where events.user_id is not null
        and events.occurred_at is not null
        and (settings.as_of_ends_at is null or events.occurred_at < settings.as_of_ends_at)
),

signups as (
    select
        users.user_id,
        users.first_seen_at,
        cast(date_trunc(
            'week',
            cast((users.first_seen_at at time zone 'UTC') at time zone settings.timezone as date)
                + settings.week_offset_days
        ) as date) - settings.week_offset_days as cohort_start,
        users.first_seen_at + to_days(settings.activation_within_days) as deadline_at
    from users
    cross join settings
),

activations as (
    select
        signups.user_id,
        date_diff('microsecond', signups.first_seen_at, min(activation_events.occurred_at)) / 1e6
            as seconds_to_activation
    from signups
    inner join activation_events
        on activation_events.user_id = signups.user_id
        and activation_events.occurred_at >= signups.first_seen_at
        and activation_events.occurred_at <= signups.deadline_at
    group by signups.user_id, signups.first_seen_at
),

cohorts as (
    select
        signups.cohort_start,
        count(*) as signups,
        count(activations.user_id) as activated,
        median(activations.seconds_to_activation) as median_seconds_to_activation
    from signups
    left join activations on activations.user_id = signups.user_id
    group by signups.cohort_start
),

bounds as (
    select
        min(cohorts.cohort_start) as first_start,
        greatest(
            max(cohorts.cohort_start),
            cast(date_trunc('week', settings.as_of_date + settings.week_offset_days) as date)
                - settings.week_offset_days
        ) as last_start
    from cohorts
    cross join settings
    group by settings.as_of_date, settings.week_offset_days
),

calendar as (
    select cast(unnest(generate_series(first_start, last_start, interval 7 day)) as date)
        as cohort_start
    from bounds
)

select
    calendar.cohort_start,
    coalesce(cohorts.signups, 0) as signups,
    case when settings.activation_event is not null then coalesce(cohorts.activated, 0) end
        as activated,
    case
        when settings.activation_event is not null
            then cast(coalesce(cohorts.activated, 0) as double) / nullif(cohorts.signups, 0)
    end as activation_rate,
    case when settings.activation_event is not null then cohorts.median_seconds_to_activation end
        as median_seconds_to_activation
from calendar
cross join settings
left join cohorts on cohorts.cohort_start = calendar.cohort_start
order by calendar.cohort_start

-- Spark override of marts.kpi_funnel (sql/marts/kpi_funnel.sql); same grain, columns and
-- values and the same definition (see the DuckDB model's header); only the way chains are
-- followed differs. Why: speed only. The transpiled DuckDB model runs on Spark and gives the
-- same rows (engines/transpile.py rewrites its to_seconds, `as materialized` and `qualify`),
-- but Spark runs a recursive CTE by re-running the CTEs it reads on every level: on the
-- sample, 29 s and 81 s for this one model against 23 s and 10 s here (two runs each on the
-- shared 2-core machine; docs/scaling.md). So each user's hit times per step are collected
-- into sorted arrays, "the next step-k hit after t" is array_min(filter(…)), and each chain
-- is walked with aggregate() over the funnel's steps.
-- column funnel: funnel name from the configuration
-- column step_number: 1-based step position
-- column step_event: event name of the step
-- column users: users (not dropped by an exclusion) whose conversion reaches the step
-- column conversion_from_start: users / users at step 1; null when step 1 has no users
-- column conversion_from_previous: users / users at step k-1; 1 at step 1; null when the previous step has no users
-- column median_seconds_from_previous: median over users reaching the step of seconds from the previous step's event; null at step 1
-- column mean_seconds_from_previous: mean over users reaching the step of seconds from the previous step's event; null at step 1
with

steps as (
    select funnel, step_number, step_event, window_seconds
    from meta.config_funnel_steps
),

exclusions as (
    select distinct funnel, event, from_step, to_step from meta.config_funnel_exclusions
),

settings as (
    select * from intermediate.int_settings
),

events as (
    select events.user_id, events.event, events.occurred_at
    from staging.events as events
    cross join settings
    where events.user_id is not null
        and events.occurred_at is not null
        and (settings.as_of_ends_at is null or events.occurred_at < settings.as_of_ends_at)
),

step_events as (
    select distinct funnel, step_event as event from steps
),

funnel_events as (
    select step_events.funnel, events.user_id, events.event, events.occurred_at
    from events
    inner join step_events on step_events.event = events.event
),

exclusion_events as (
    select distinct exclusions.funnel, exclusions.from_step, exclusions.to_step, events.user_id,
        events.occurred_at
    from events
    inner join exclusions on exclusions.event = events.event
),

step_hits as (
    select distinct funnel_events.funnel, funnel_events.user_id, steps.step_number,
        funnel_events.occurred_at
    from funnel_events
    inner join steps
        on steps.funnel = funnel_events.funnel
        and steps.step_event = funnel_events.event
),

-- each user's hit times per step, sorted: the first step-k hit strictly after time t is
-- the smallest of them greater than t (what the DuckDB model's next_steps holds)
hit_times as (
    select funnel, user_id, step_number, array_sort(collect_list(occurred_at)) as times
    from step_hits
    group by funnel, user_id, step_number
),

user_hit_times as (
    select funnel, user_id, map_from_entries(collect_list(struct(step_number, times))) as times
    from hit_times
    group by funnel, user_id
),

starts as (
    select
        funnel,
        user_id,
        occurred_at as started_at,
        lead(occurred_at) over (partition by funnel, user_id order by occurred_at)
            as next_started_at
    from step_hits
    where step_number = 1
),

-- step-1 events that can be a conversion: the last one, or one whose next step-2 event comes
-- no later than the next step-1 event
candidate_starts as (
    select starts.funnel, starts.user_id, starts.started_at
    from starts
    inner join user_hit_times
        on user_hit_times.funnel = starts.funnel
        and user_hit_times.user_id = starts.user_id
    where starts.next_started_at is null
        or starts.next_started_at >= array_min(filter(
            element_at(user_hit_times.times, 2), hit -> hit > starts.started_at
        ))
),

funnel_sizes as (
    select funnel, max(step_number) as count_steps from steps group by funnel
),

-- the chain from each candidate start (the DuckDB model's recursive join, one level per
-- step): step k is the first step-k hit strictly after step k − 1, if no later than
-- started_at + window_seconds; the walk stops at the first step that is not reached
walked as (
    select
        candidate_starts.funnel,
        candidate_starts.user_id,
        candidate_starts.started_at,
        aggregate(
            sequence(2, greatest(funnel_sizes.count_steps, 2)),
            array(named_struct(
                'step_number', 1,
                'step_at', candidate_starts.started_at,
                'previous_at', cast(null as timestamp_ntz)
            )),
            (chain, k) -> case
                when element_at(chain, -1).step_number = k - 1
                    and array_min(filter(
                        element_at(user_hit_times.times, k),
                        hit -> hit > element_at(chain, -1).step_at
                    )) <= candidate_starts.started_at
                        + make_dt_interval(0, 0, 0, steps.window_seconds)
                    then concat(chain, array(named_struct(
                        'step_number', k,
                        'step_at', array_min(filter(
                            element_at(user_hit_times.times, k),
                            hit -> hit > element_at(chain, -1).step_at
                        )),
                        'previous_at', element_at(chain, -1).step_at
                    )))
                else chain
            end
        ) as chain
    from candidate_starts
    inner join steps
        on steps.funnel = candidate_starts.funnel
        and steps.step_number = 1
    inner join funnel_sizes on funnel_sizes.funnel = candidate_starts.funnel
    inner join user_hit_times
        on user_hit_times.funnel = candidate_starts.funnel
        and user_hit_times.user_id = candidate_starts.user_id
),

chains as (
    select walked.funnel, walked.user_id, walked.started_at, link.step_number, link.step_at,
        link.previous_at
    from walked
    lateral view explode(walked.chain) links as link
),

depths as (
    select funnel, user_id, started_at, max(step_number) as depth
    from chains
    group by funnel, user_id, started_at
),

ranked_depths as (
    select
        funnel,
        user_id,
        started_at,
        depth,
        row_number() over (
            partition by funnel, user_id order by depth desc, started_at desc
        ) as conversion_rank
    from depths
),

conversions as (
    select funnel, user_id, started_at, depth
    from ranked_depths
    where conversion_rank = 1
),

-- the steps of each user's conversion, one row per reached step
conversion_steps as (
    select
        chains.funnel,
        chains.user_id,
        chains.started_at,
        steps.window_seconds,
        chains.step_number,
        chains.step_at,
        chains.previous_at
    from chains
    inner join conversions
        on conversions.funnel = chains.funnel
        and conversions.user_id = chains.user_id
        and conversions.started_at = chains.started_at
    inner join steps
        on steps.funnel = chains.funnel
        and steps.step_number = 1
),

-- an exclusion event after the conversion's step from_step and before its step to_step, or
-- before the window closes when step to_step was not reached
excluded as (
    select distinct from_steps.funnel, from_steps.user_id
    from conversion_steps as from_steps
    inner join exclusion_events
        on exclusion_events.funnel = from_steps.funnel
        and exclusion_events.user_id = from_steps.user_id
        and exclusion_events.from_step = from_steps.step_number
    left join conversion_steps as to_steps
        on to_steps.funnel = from_steps.funnel
        and to_steps.user_id = from_steps.user_id
        and to_steps.step_number = exclusion_events.to_step
    where exclusion_events.occurred_at > from_steps.step_at
        and (
            exclusion_events.occurred_at < to_steps.step_at
            or (
                to_steps.step_at is null
                and exclusion_events.occurred_at
                    <= from_steps.started_at + make_dt_interval(0, 0, 0, from_steps.window_seconds)
            )
        )
),

converted_steps as (
    select
        conversion_steps.funnel,
        conversion_steps.step_number,
        conversion_steps.user_id,
        timestampdiff(MICROSECOND, conversion_steps.previous_at, conversion_steps.step_at) / 1e6
            as seconds_from_previous
    from conversion_steps
    left anti join excluded
        on excluded.funnel = conversion_steps.funnel
        and excluded.user_id = conversion_steps.user_id
),

step_counts as (
    select
        funnel,
        step_number,
        count(*) as users,
        median(seconds_from_previous) as median_seconds_from_previous,
        avg(seconds_from_previous) as mean_seconds_from_previous
    from converted_steps
    group by funnel, step_number
),

filled as (
    select
        steps.funnel,
        steps.step_number,
        steps.step_event,
        coalesce(step_counts.users, 0) as users,
        step_counts.median_seconds_from_previous,
        step_counts.mean_seconds_from_previous
    from steps
    left join step_counts
        on step_counts.funnel = steps.funnel
        and step_counts.step_number = steps.step_number
)

select
    funnel,
    step_number,
    step_event,
    cast(users as bigint) as users,
    cast(users as double) / nullif(first_value(users) over by_step, 0) as conversion_from_start,
    cast(users as double) / nullif(coalesce(lag(users) over by_step, users), 0)
        as conversion_from_previous,
    median_seconds_from_previous,
    mean_seconds_from_previous
from filled
window by_step as (partition by funnel order by step_number)
order by funnel, step_number

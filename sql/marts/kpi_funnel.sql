-- marts.kpi_funnel — one row per configured funnel × step (meta.config_funnel_steps).
-- Ordered funnel: from a step-1 event at time t1, step k is the earliest step-k event strictly
-- after the event used for step k − 1 and no later than t1 + window_seconds (the boundary is
-- inclusive). A user's conversion is their deepest such sequence; among equally deep ones the
-- one with the latest step-1 event. An exclusion (event, from_step i, to_step j) drops the
-- user from every step when their conversion reached step i and an exclusion event came
-- strictly after its step-i event and strictly before its step-j event, or, when the
-- conversion never reached step j, no later than t1 + window_seconds (PostHog: a user who
-- did step i and then the excluded event within the conversion window, whether or not they
-- reached step j; after the window has closed it no longer matters). Events at or after
-- as_of_ends_at are ignored.
-- users: users whose conversion reached the step; conversion_from_start = users / users of
-- step 1; conversion_from_previous = users / users of step k − 1 (1 at step 1);
-- median/mean_seconds_from_previous: over users who reached the step (null at step 1).
-- grain: funnel, step_number
-- parameters: meta.config_funnel_steps (funnel, step_number, step_event, window_seconds),
-- meta.config_funnel_exclusions (funnel, event, from_step, to_step), as_of_ends_at.
-- Method: one window pass numbers the events that can fill step k in time order and counts,
-- for every event that can fill step k − 1, how many of them are at or before it; its next
-- step-k event is the one numbered one more (next_steps, an equi-join; materialised once).
-- A step-1 event followed by another step-1 event before its next step-2 event can never be
-- the conversion (the later one reaches the same steps, within a later window, and wins the
-- tie), so only the remaining step-1 events start chains; a recursive equi-join follows the
-- links from those, one level per step. Events are never paired with every other event.
-- column funnel: funnel name from the configuration
-- column step_number: 1-based step position
-- column step_event: event name of the step
-- column users: users (not dropped by an exclusion) whose conversion reaches the step
-- column conversion_from_start: users / users at step 1; null when step 1 has no users
-- column conversion_from_previous: users / users at step k-1; 1 at step 1; null when the previous step has no users
-- column median_seconds_from_previous: median over users reaching the step of seconds from the previous step's event; null at step 1
-- column mean_seconds_from_previous: mean over users reaching the step of seconds from the previous step's event; null at step 1
with recursive

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

step_events as (
    select distinct funnel, step_event as event from steps
),

funnel_events as (
    select step_events.funnel, events.user_id, events.event, events.occurred_at
    from staging.events as events
    inner join step_events on step_events.event = events.event
    cross join settings
    where events.user_id is not null
        and events.occurred_at is not null
        and (settings.as_of_ends_at is null or events.occurred_at < settings.as_of_ends_at)
),

exclusion_events as (
    select distinct exclusions.funnel, exclusions.from_step, exclusions.to_step, events.user_id,
        events.occurred_at
    from staging.events as events
    inner join exclusions on exclusions.event = events.event
    cross join settings
    where events.user_id is not null
        and events.occurred_at is not null
        and (settings.as_of_ends_at is null or events.occurred_at < settings.as_of_ends_at)
),

-- one row per distinct event time × step it can fill (the same event may fill several
-- steps; events of one step at the same instant are one hit)
step_hits as (
    select distinct funnel_events.funnel, funnel_events.user_id, steps.step_number,
        funnel_events.occurred_at
    from funnel_events
    inner join steps
        on steps.funnel = funnel_events.funnel
        and steps.step_event = funnel_events.event
),

-- for step k: the step-k hits, and the step-(k − 1) hits as probes looking for the next one;
-- at equal times probes sort after hits, so hits_so_far of a probe counts the hits at or
-- before it and the hit numbered hits_so_far + 1 is the first one strictly later
probes_and_hits as (
    select funnel, user_id, step_number as target_step, occurred_at, 0 as is_probe
    from step_hits

    union all

    select step_hits.funnel, step_hits.user_id, step_hits.step_number + 1, step_hits.occurred_at,
        1
    from step_hits
    inner join steps
        on steps.funnel = step_hits.funnel
        and steps.step_number = step_hits.step_number + 1
),

ranked as (
    select
        funnel,
        user_id,
        target_step,
        occurred_at,
        is_probe,
        sum(1 - is_probe) over (
            partition by funnel, user_id, target_step
            order by occurred_at, is_probe
            rows between unbounded preceding and current row
        ) as hits_so_far
    from probes_and_hits
),

next_steps as materialized (
    select
        probes.funnel,
        probes.user_id,
        probes.target_step as step_number,
        probes.occurred_at as previous_at,
        hits.occurred_at as next_at
    from ranked as probes
    inner join ranked as hits
        on hits.funnel = probes.funnel
        and hits.user_id = probes.user_id
        and hits.target_step = probes.target_step
        and hits.hits_so_far = probes.hits_so_far + 1
    where probes.is_probe = 1 and hits.is_probe = 0
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
    left join next_steps
        on next_steps.funnel = starts.funnel
        and next_steps.user_id = starts.user_id
        and next_steps.step_number = 2
        and next_steps.previous_at = starts.started_at
    where starts.next_started_at is null or starts.next_started_at >= next_steps.next_at
),

chains (funnel, user_id, started_at, window_seconds, step_number, step_at, previous_at) as (
    select candidate_starts.funnel, candidate_starts.user_id, candidate_starts.started_at,
        steps.window_seconds, 1, candidate_starts.started_at, cast(null as timestamp)
    from candidate_starts
    inner join steps
        on steps.funnel = candidate_starts.funnel
        and steps.step_number = 1

    union all

    select chains.funnel, chains.user_id, chains.started_at, chains.window_seconds,
        chains.step_number + 1, next_steps.next_at, chains.step_at
    from chains
    inner join next_steps
        on next_steps.funnel = chains.funnel
        and next_steps.user_id = chains.user_id
        and next_steps.step_number = chains.step_number + 1
        and next_steps.previous_at = chains.step_at
    where next_steps.next_at <= chains.started_at + to_seconds(chains.window_seconds)
),

depths as (
    select funnel, user_id, started_at, max(step_number) as depth
    from chains
    group by funnel, user_id, started_at
),

conversions as (
    select funnel, user_id, started_at, depth
    from depths
    qualify row_number() over (
        partition by funnel, user_id order by depth desc, started_at desc
    ) = 1
),

-- the steps of each user's conversion, one row per reached step
conversion_steps as materialized (
    select
        chains.funnel,
        chains.user_id,
        chains.started_at,
        chains.window_seconds,
        chains.step_number,
        chains.step_at,
        chains.previous_at
    from chains
    inner join conversions
        on conversions.funnel = chains.funnel
        and conversions.user_id = chains.user_id
        and conversions.started_at = chains.started_at
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
                    <= from_steps.started_at + to_seconds(from_steps.window_seconds)
            )
        )
),

converted_steps as (
    select
        conversion_steps.funnel,
        conversion_steps.step_number,
        conversion_steps.user_id,
        date_diff('microsecond', conversion_steps.previous_at, conversion_steps.step_at) / 1e6
            as seconds_from_previous
    from conversion_steps
    anti join excluded
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

"""What a pain point's respondents do, against all other respondents — in DuckDB SQL.

Events can be far larger than memory, so nothing here pulls events into pandas: the
members of each pain point go into a temporary table and one SQL statement per measure
family aggregates events around each respondent's answer. "Others" are computed by
subtraction (every respondent minus this pain point's), so the events are scanned once per
anchor set rather than once per pain point. Each window is read once per distinct (user,
anchor) and given to every row with that anchor: a respondent's first answer in a pain point
is often their first answer of all (10M events: 115,653 anchors, 82,656 distinct). A window
is grouped by an integer ``anchor_key`` standing for its (user, anchor), not by the pair
itself: the same rows, and grouping millions of joined events is cheaper on one integer
than on a string and a timestamp (docs/decisions.md, *Behaviour links*).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pmanalytics.pain_points.store import table_exists

BEHAVIOUR_COLUMNS = [
    "pain_point_id",
    "measure",
    "respondents_value",
    "others_value",
    "ratio",
    "respondents",
    "others",
]

# Anchors: a respondent's first answer inside the pain point; for everyone else their first
# answer of any survey. Windows are in days after ($window) or around (±$window) the anchor.
_ANCHORS = """
create or replace temp table _pp_anchors as
with
responses as (
    select user_id, submitted_at from staging.survey_responses
    where user_id is not null and submitted_at is not null
),
everyone as (
    select cast(null as varchar) as pain_point_id, user_id, min(submitted_at) as anchor_at
    from responses group by user_id
),
members as (
    select pain_point_id, user_id, min(submitted_at) as anchor_at
    from _pp_members group by pain_point_id, user_id
),
anchors as (
    select * from everyone union all select * from members
),
windows as (
    select row_number() over () as anchor_key, user_id, anchor_at
    from (select distinct user_id, anchor_at from anchors)
)
select anchors.*, windows.anchor_key from anchors join windows using (user_id, anchor_at)
"""

# One row per window to read: each distinct (user, anchor) with its key.
_WINDOWS = """
create or replace temp table _pp_windows as
select distinct anchor_key, user_id, anchor_at from _pp_anchors
"""

_ACTIVITY = """
with
data_end as (select max(occurred_at) as end_at from staging.events),
window_counts as (
    select
        w.anchor_key,
        count(distinct cast(e.occurred_at as date)) filter (
            where e.occurred_at > w.anchor_at and e.occurred_at <= w.anchor_at + to_days($window)
        ) as active_days,
        coalesce(bool_or(
            e.occurred_at >= w.anchor_at + to_days($window)
            and e.occurred_at < w.anchor_at + to_days($window + 7)
        ), false) as is_retained
    from _pp_windows as w
    left join staging.events as e
        on e.user_id = w.user_id
        and e.occurred_at > w.anchor_at
        and e.occurred_at < w.anchor_at + to_days($window + 7)
    group by w.anchor_key
),
per_key as (
    select
        w.anchor_key,
        w.anchor_at + to_days($window) <= d.end_at as is_observed_active,
        w.anchor_at + to_days($window + 7) <= d.end_at as is_observed_retained,
        c.active_days,
        c.is_retained
    from _pp_windows as w
    join window_counts as c using (anchor_key)
    cross join data_end as d
),
per_anchor as (
    select a.pain_point_id, a.user_id, k.* exclude (anchor_key)
    from _pp_anchors as a join per_key as k using (anchor_key)
),
overall as (select * from per_anchor where pain_point_id is null),
members as (select * from per_anchor where pain_point_id is not null),
member_overall as (
    select m.pain_point_id, o.*  exclude (pain_point_id)
    from (select distinct pain_point_id, user_id from members) as m
    join overall as o using (user_id)
),
totals as (
    select
        sum(active_days) filter (where is_observed_active) as days,
        count(*) filter (where is_observed_active) as n_active,
        count(*) filter (where is_observed_retained and is_retained) as retained,
        count(*) filter (where is_observed_retained) as n_retained
    from overall
),
member_sums as (
    select
        pain_point_id,
        sum(active_days) filter (where is_observed_active) as days,
        count(*) filter (where is_observed_active) as n_active,
        count(*) filter (where is_observed_retained and is_retained) as retained,
        count(*) filter (where is_observed_retained) as n_retained
    from members group by pain_point_id
),
member_overall_sums as (
    select
        pain_point_id,
        sum(active_days) filter (where is_observed_active) as days,
        count(*) filter (where is_observed_active) as n_active,
        count(*) filter (where is_observed_retained and is_retained) as retained,
        count(*) filter (where is_observed_retained) as n_retained
    from member_overall group by pain_point_id
),
compared as (
    select
        m.pain_point_id,
        m.days / nullif(m.n_active, 0) as days_in,
        (t.days - coalesce(o.days, 0)) / nullif(t.n_active - coalesce(o.n_active, 0), 0)
            as days_out,
        m.n_active as n_days_in,
        t.n_active - coalesce(o.n_active, 0) as n_days_out,
        m.retained / nullif(m.n_retained, 0) as ret_in,
        (t.retained - coalesce(o.retained, 0))
            / nullif(t.n_retained - coalesce(o.n_retained, 0), 0) as ret_out,
        m.n_retained as n_ret_in,
        t.n_retained - coalesce(o.n_retained, 0) as n_ret_out
    from member_sums as m
    cross join totals as t
    left join member_overall_sums as o using (pain_point_id)
)
select pain_point_id, $active_measure as measure, days_in, days_out,
    days_in / nullif(days_out, 0), n_days_in, n_days_out
from compared
union all
select pain_point_id, 'retained_4w', ret_in, ret_out, ret_in / nullif(ret_out, 0),
    n_ret_in, n_ret_out
from compared
"""

# Event rates and numeric property means in ±$window days around the anchor.
_EVENTS = """
with
per_key as (
    select w.anchor_key, e.event, count(*) as n_events
    from _pp_windows as w
    join staging.events as e
        on e.user_id = w.user_id
        and e.occurred_at >= w.anchor_at - to_days($window)
        and e.occurred_at <= w.anchor_at + to_days($window)
    group by w.anchor_key, e.event
),
per_user as (
    select a.pain_point_id, a.user_id, k.event, k.n_events
    from _pp_anchors as a join per_key as k using (anchor_key)
),
groups as (
    select pain_point_id, count(*) as n_users from _pp_anchors group by pain_point_id
),
overall as (select * from per_user where pain_point_id is null),
members as (select * from per_user where pain_point_id is not null),
member_overall as (
    select m.pain_point_id, o.event, sum(o.n_events) as n_events
    from (select distinct pain_point_id, user_id from _pp_anchors where pain_point_id is not null)
        as m
    join overall as o using (user_id)
    group by all
),
totals as (select event, sum(n_events) as n_events from overall group by event),
member_totals as (
    select pain_point_id, event, sum(n_events) as n_events, count(*) as n_users_with_event
    from members group by all
),
rates as (
    select
        m.pain_point_id,
        'event_rate:' || m.event as measure,
        m.n_events / g.n_users as rate_in,
        -- an event no first-answer window holds has no totals row: the others' zero, floored
        greatest(coalesce(t.n_events, 0) - coalesce(o.n_events, 0), 0.5)
            / (ga.n_users - g.n_users) as rate_out,
        g.n_users as n_in,
        ga.n_users - g.n_users as n_out,
        m.n_users_with_event
    from member_totals as m
    join groups as g on g.pain_point_id = m.pain_point_id
    join groups as ga on ga.pain_point_id is null
    left join totals as t on t.event = m.event
    left join member_overall as o on o.pain_point_id = m.pain_point_id and o.event = m.event
    where ga.n_users > g.n_users and m.n_users_with_event >= $min_support
),
ranked as (
    select *, rate_in / rate_out as ratio,
        row_number() over (partition by pain_point_id order by rate_in / rate_out desc, measure)
            as position
    from rates
)
select pain_point_id, measure, rate_in, rate_out, ratio, n_in, n_out
from ranked where ratio > 1 and position <= $top_n
"""

_PROPERTIES = """
with
-- each event's numeric properties, as staging.events parsed them once when the event arrived,
-- unnested after the join: only the events inside a window are unnested
per_key as (
    select anchor_key, event || '.' || entry.key as prop, sum(entry.value) as total, count(*) as n
    from (
        select w.anchor_key, e.event, unnest(e.numeric_properties) as entry
        from _pp_windows as w
        join staging.events as e
            on e.user_id = w.user_id
            and e.occurred_at >= w.anchor_at - to_days($window)
            and e.occurred_at <= w.anchor_at + to_days($window)
        where e.numeric_properties is not null
    )
    group by anchor_key, prop
),
numeric as (
    select a.pain_point_id, a.user_id, k.prop, k.total, k.n
    from _pp_anchors as a join per_key as k using (anchor_key)
),
member_users as (
    select distinct pain_point_id, user_id from _pp_anchors where pain_point_id is not null
),
overall as (
    select user_id, prop, sum(total) as total, sum(n) as n
    from numeric where pain_point_id is null group by all
),
totals as (select prop, sum(total) as total, sum(n) as n from overall group by prop),
member_overall as (
    select m.pain_point_id, o.prop, sum(o.total) as total, sum(o.n) as n
    from member_users as m join overall as o using (user_id) group by all
),
members as (
    select pain_point_id, prop, sum(total) / sum(n) as mean_in, count(distinct user_id) as n_users
    from numeric where pain_point_id is not null group by all
),
compared as (
    select
        m.pain_point_id,
        'property_mean:' || m.prop as measure,
        m.mean_in,
        (t.total - coalesce(o.total, 0)) / nullif(t.n - coalesce(o.n, 0), 0) as mean_out,
        m.n_users
    from members as m
    join totals as t using (prop)
    left join member_overall as o on o.pain_point_id = m.pain_point_id and o.prop = m.prop
    where m.n_users >= $min_support
),
ranked as (
    select *, mean_in / nullif(mean_out, 0) as ratio,
        row_number() over (
            partition by pain_point_id order by mean_in / nullif(mean_out, 0) desc nulls last,
            measure
        ) as position
    from compared
    where mean_out > 0
)
select r.pain_point_id, r.measure, r.mean_in, r.mean_out, r.ratio, g.n_in, g.n_out
from ranked as r
join (
    select pain_point_id, count(*) as n_in,
        (select count(*) from _pp_anchors where pain_point_id is null) - count(*) as n_out
    from _pp_anchors where pain_point_id is not null group by pain_point_id
) as g using (pain_point_id)
where r.ratio > 1 and r.position <= $top_properties
"""


def empty_behaviour() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in BEHAVIOUR_COLUMNS})


def compute_behaviour(
    con: duckdb.DuckDBPyConnection,
    members: pd.DataFrame,
    *,
    window_days: int = 28,
    min_support: int = 3,
    top_events: int = 5,
    top_properties: int = 3,
) -> pd.DataFrame:
    """``marts.pain_point_behaviour`` rows for the (pain_point_id, user_id, submitted_at) rows.

    Measures: ``active_days_28d`` (mean distinct active days in the window after answering,
    over respondents whose window is fully observed), ``retained_4w`` (share active in the
    week after that window), ``event_rate:<event>`` (events per respondent within ±window
    days; the top ``top_events`` with ratio > 1 and at least ``min_support`` respondents
    doing it; others' zero rate floored at half an event), ``property_mean:<event>.<key>``
    (mean of a numeric event property, e.g. ``Dashboard Loaded.duration_ms``).
    """
    identified = members.dropna(subset=["user_id", "submitted_at"])
    if identified.empty or not table_exists(con, "staging", "events"):
        return empty_behaviour()
    frame = identified[["pain_point_id", "user_id", "submitted_at"]].reset_index(drop=True)
    con.register("_pp_members_df", frame)
    try:
        con.execute("create or replace temp table _pp_members as select * from _pp_members_df")
    finally:
        con.unregister("_pp_members_df")
    try:
        con.execute(_ANCHORS)
        con.execute(_WINDOWS)
        params = {"window": window_days}
        activity = {**params, "active_measure": f"active_days_{window_days}d"}
        parts = [con.execute(_ACTIVITY, activity).fetchall()]
        if top_events > 0:
            event_params = {**params, "min_support": min_support, "top_n": top_events}
            parts.append(con.execute(_EVENTS, event_params).fetchall())
            prop_params = {**params, "min_support": min_support, "top_properties": top_properties}
            parts.append(con.execute(_PROPERTIES, prop_params).fetchall())
    finally:
        con.execute("drop table if exists _pp_members")
        con.execute("drop table if exists _pp_anchors")
        con.execute("drop table if exists _pp_windows")
    rows = [row for part in parts for row in part]
    out = pd.DataFrame(rows, columns=BEHAVIOUR_COLUMNS)
    return out.sort_values(["pain_point_id", "measure"], kind="stable").reset_index(drop=True)

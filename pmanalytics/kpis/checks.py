"""After the marts: what a reader would otherwise take for a real result.

A configured event name that matches no event (a typo, a renamed event) makes its KPI
silently empty or zero, and an empty mart reads as "no retention" rather than as a mistake.
These checks read the configuration the marts used (``meta.config_*``) and the staged
events, and return sentences for the build summary; they never fail a build.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import duckdb

from pmanalytics.warehouse import ModelRun, compose, table_exists

#: Where each configured event name comes from, as a reader finds it in pmanalytics.toml.
_CONFIGURED_EVENTS = """
select '[retention] start_event' as setting, value as event
from meta.config_settings where key = 'retention_start_event' and value is not null
union all
select '[retention] return_event', value
from meta.config_settings where key = 'retention_return_event' and value is not null
union all
select '[activation] event', value
from meta.config_settings where key = 'activation_event' and value is not null
union all
select '[analysis] active_events', event from meta.config_active_events
union all
select '[[funnels]] ' || funnel || ' steps', step_event from meta.config_funnel_steps
union all
select '[[funnels]] ' || funnel || ' exclusions', event from meta.config_funnel_exclusions
union all
select '[[features]] ' || feature, event from meta.config_features
"""

#: The staged table each mart is computed from: empty marts are only worth a word when
#: this input is not empty.
MART_INPUTS = {
    "kpi_active_users": "events",
    "kpi_stickiness": "events",
    "kpi_retention": "events",
    "kpi_lifecycle": "events",
    "kpi_funnel": "events",
    "kpi_feature_adoption": "events",
    "kpi_activation": "users",
    "kpi_survey_scores": "survey_responses",
}


def unknown_event_warnings(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One sentence per configured event name that no staged event has, with the closest
    existing names."""
    if not table_exists(con, "staging", "events") or not table_exists(
        con, "meta", "config_settings"
    ):
        return []
    known = [e for (e,) in con.execute("select distinct event from staging.events").fetchall()]
    if not known:
        return []
    present = set(known)
    warnings = []
    for setting, event in con.execute(_CONFIGURED_EVENTS + " order by 1, 2").fetchall():
        if event in present:
            continue
        close = difflib.get_close_matches(event, [k for k in known if k], n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
        warnings.append(f"{setting}: no event is named {event!r}{hint}")
    return warnings


def empty_mart_warnings(con: duckdb.DuckDBPyConnection, runs: Iterable[ModelRun]) -> list[str]:
    """One sentence per mart built empty from a non-empty input."""
    warnings = []
    for run in runs:
        schema, _, name = run.key.partition(".")
        source = MART_INPUTS.get(name)
        if schema != "marts" or run.rows or source is None:
            continue
        if not table_exists(con, "staging", source):
            continue
        [(has_rows,)] = con.execute(
            compose("select exists (select 1 from {t})", t=("staging", source))
        ).fetchall()
        if has_rows:
            warnings.append(
                f"{run.key} is empty although staging.{source} is not: check the settings "
                "it uses (see the warnings above and docs/metrics.md)"
            )
    return warnings


def kpi_warnings(con: duckdb.DuckDBPyConnection, runs: Iterable[ModelRun]) -> list[str]:
    return unknown_event_warnings(con) + empty_mart_warnings(con, runs)

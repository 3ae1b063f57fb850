"""What is checked, at which severity, against which threshold — as data, without GX.

The catalog is the single list of expectation names: the config validates ``[validation]
severities`` keys against it at load time (without paying for the Great Expectations import),
``suites.py`` builds exactly these expectations, and ``docs/validation.md`` documents them.

Severity rule of thumb: ``critical`` when the rows themselves are wrong and marts built on them
would be wrong (missing or duplicate keys, impossible timestamps, scores off the scale);
``warning`` when the batch only looks unusual (small, stale, mostly anonymous, long comments).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Severity = Literal["critical", "warning"]
Grain = Literal["rows", "batch", "loads", "quarantine", "table"]

#: Staged tables, in validation order.
TABLES = ("events", "users", "survey_responses")


_INGEST_SETTINGS = ("earliest_timestamp", "max_future")


@dataclass(frozen=True)
class CheckSpec:
    """One expectation: where it applies, what it means, its default severity and threshold.

    ``grain`` says which frame GX judges: ``rows`` — the batch's rows (in parts when the batch
    is large, so only per-row checks belong here); ``batch`` — one row of SQL aggregates over
    the whole batch (a share, a maximum: what parts could not decide); ``loads`` — one row per
    file load of the batch with its volume floor; ``quarantine`` — one row with the share of
    the batch's input rows that ingest set aside (from ``meta.ingested_files``, so it exists
    even when every row was quarantined); ``table`` — one row of SQL counts over the whole
    staging table.
    """

    table: str
    name: str
    grain: Grain
    severity: Severity
    summary: str
    threshold: str | None = None

    @property
    def setting(self) -> str:
        """Where the threshold is set: ``[validation] …``, or ``[ingest] …`` for the timestamp
        bounds that ingest and validation share."""
        section = "ingest" if self.threshold in _INGEST_SETTINGS else "validation"
        return f"[{section}] {self.threshold}"


def _c(
    table: str,
    name: str,
    grain: Grain,
    severity: Severity,
    summary: str,
    threshold: str | None = None,
) -> CheckSpec:
    return CheckSpec(table, name, grain, severity, summary, threshold)


CATALOG: tuple[CheckSpec, ...] = (
    # ---------------------------------------------------------------- staging.events
    _c("events", "event_id_not_null", "rows", "critical", "every event has an event_id"),
    _c("events", "event_id_unique", "rows", "critical", "no event_id appears twice in the batch"),
    _c(
        "events",
        "user_id_not_null",
        "rows",
        "critical",
        "every event resolves to a person (user id, linked or raw anonymous id)",
    ),
    _c("events", "event_name_not_null", "rows", "critical", "every event has a name"),
    _c(
        "events",
        "event_name_length",
        "rows",
        "critical",
        "event names are not empty and not absurdly long",
        "event_name_max_length",
    ),
    _c("events", "occurred_at_not_null", "rows", "critical", "every event has a time"),
    _c(
        "events",
        "occurred_at_not_future",
        "rows",
        "critical",
        "no event lies in the future beyond the tolerance",
        "max_future",
    ),
    _c(
        "events",
        "occurred_at_not_before_floor",
        "rows",
        "critical",
        "no event lies before the configured floor",
        "earliest_timestamp",
    ),
    _c(
        "events",
        "anonymous_share",
        "batch",
        "warning",
        "share of anonymous-only events (is_identified = false) stays below the threshold",
        "max_anonymous_share",
    ),
    _c(
        "events",
        "freshness",
        "batch",
        "warning",
        "the newest event of the batch is recent",
        "freshness_hours",
    ),
    _c(
        "events",
        "load_volume",
        "loads",
        "warning",
        "each load brings at least min_volume_ratio × the median of the source's recent loads",
        "min_volume_ratio, volume_lookback_loads",
    ),
    _c(
        "events",
        "quarantine_share",
        "quarantine",
        "warning",
        "share of the batch's event records set aside in quarantine is within the threshold",
        "max_quarantine_share",
    ),
    _c(
        "events",
        "table_keys_unique",
        "table",
        "critical",
        "over the whole table, count(*) = count(distinct event_id)",
    ),
    _c(
        "events",
        "table_rows_match_raw",
        "table",
        "critical",
        "staging.events has exactly one row per raw track/page/screen call (no join fan-out)",
    ),
    # ---------------------------------------------------------------- staging.users
    _c("users", "user_id_not_null", "rows", "critical", "every user row has a user_id"),
    _c("users", "user_id_unique", "rows", "critical", "one row per user_id"),
    _c(
        "users",
        "load_volume",
        "loads",
        "warning",
        "each users-file load brings a plausible number of rows",
        "min_volume_ratio, volume_lookback_loads",
    ),
    _c(
        "users",
        "quarantine_share",
        "quarantine",
        "warning",
        "share of the batch's user records set aside in quarantine is within the threshold",
        "max_quarantine_share",
    ),
    _c(
        "users",
        "table_keys_unique",
        "table",
        "critical",
        "over the whole table, count(*) = count(distinct user_id)",
    ),
    # ---------------------------------------------------------------- staging.survey_responses
    _c(
        "survey_responses",
        "response_id_not_null",
        "rows",
        "critical",
        "every response has a response_id",
    ),
    _c(
        "survey_responses",
        "response_id_unique",
        "rows",
        "critical",
        "no response_id appears twice in the batch",
    ),
    _c("survey_responses", "metric_in_set", "rows", "critical", "metric is one of nps, csat, ces"),
    _c("survey_responses", "score_not_null", "rows", "critical", "every response has a score"),
    _c("survey_responses", "score_nps_scale", "rows", "critical", "nps scores lie in 0–10"),
    _c("survey_responses", "score_csat_scale", "rows", "critical", "csat scores lie in 1–5"),
    _c("survey_responses", "score_ces_scale", "rows", "critical", "ces scores lie in 1–7"),
    _c(
        "survey_responses",
        "submitted_at_not_future",
        "rows",
        "critical",
        "no response is dated in the future beyond the tolerance",
        "max_future",
    ),
    _c(
        "survey_responses",
        "submitted_at_not_before_floor",
        "rows",
        "critical",
        "no response is dated before the configured floor",
        "earliest_timestamp",
    ),
    _c(
        "survey_responses",
        "comment_length",
        "rows",
        "warning",
        "comments, where present, have a plausible length",
        "comment_min_length, comment_max_length",
    ),
    _c(
        "survey_responses",
        "load_volume",
        "loads",
        "warning",
        "each survey-file load brings a plausible number of rows",
        "min_volume_ratio, volume_lookback_loads",
    ),
    _c(
        "survey_responses",
        "quarantine_share",
        "quarantine",
        "warning",
        "share of the batch's survey rows set aside in quarantine is within the threshold",
        "max_quarantine_share",
    ),
    _c(
        "survey_responses",
        "table_keys_unique",
        "table",
        "critical",
        "over the whole table, count(*) = count(distinct response_id)",
    ),
    _c(
        "survey_responses",
        "table_rows_match_raw",
        "table",
        "critical",
        "staging.survey_responses has exactly one row per raw response (no join fan-out)",
    ),
)


def checks_for(table: str) -> list[CheckSpec]:
    return [spec for spec in CATALOG if spec.table == table]


def unknown_severity_keys(keys: Iterable[str]) -> list[str]:
    """Override keys that name no expectation: ``name`` or ``table.name`` are accepted."""
    known = {spec.name for spec in CATALOG} | {f"{s.table}.{s.name}" for s in CATALOG}
    return sorted(k for k in keys if k not in known)


def resolve_severity(spec: CheckSpec, overrides: Mapping[str, str]) -> Severity:
    """``table.name`` beats ``name`` beats the catalog default."""
    chosen = overrides.get(f"{spec.table}.{spec.name}", overrides.get(spec.name, spec.severity))
    return "critical" if chosen == "critical" else "warning"

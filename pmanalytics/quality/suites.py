"""The expectation suites as code: Great Expectations 1.x expectations built from config.

Each staged table gets one suite per grain (GX binds a suite to one batch): its batch rows,
one row of aggregates over the batch, one row per file load (volume against recent loads), and
one row of whole-table SQL counts. Where GX cannot see the context (previous loads, raw row
counts, the whole of a batch judged in parts) the threshold or the aggregate is computed in
SQL and GX still judges it; there is no pass/fail logic beside GX.

Great Expectations takes ~3.5 s to import, so it is imported inside :func:`build_suites`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pmanalytics.config import METRIC_SCALES, Config, IngestConfig, ValidationConfig, parse_duration
from pmanalytics.quality.catalog import (
    TABLES,
    CheckSpec,
    Grain,
    Severity,
    checks_for,
    resolve_severity,
)
from pmanalytics.quality.gx_import import ready

#: The column naming each row in GX's samples of offending rows, per table and grain.
KEY_COLUMNS: dict[str, str] = {
    "events": "event_id",
    "users": "user_id",
    "survey_responses": "response_id",
}
GRAIN_KEYS: dict[Grain, str | None] = {
    "rows": None,
    "batch": "table_name",
    "loads": "load_id",
    "quarantine": "table_name",
    "table": "table_name",
}
#: Every suite's grain, in the order the suites run.
GRAINS: tuple[Grain, ...] = ("rows", "batch", "loads", "quarantine", "table")


@dataclass(frozen=True)
class Check:
    """A catalogued check with its resolved severity and the GX expectation that judges it."""

    spec: CheckSpec
    severity: Severity
    expectation: Any  # great_expectations.expectations.Expectation


@dataclass(frozen=True)
class Suite:
    """The checks of one table at one grain: validated by GX as one ExpectationSuite."""

    table: str
    grain: Grain
    checks: tuple[Check, ...]
    #: Told apart from its other checks (``" (on pandas)"``) when some were judged in SQL.
    suffix: str = ""

    @property
    def name(self) -> str:
        base = f"staging.{self.table}"
        return (base if self.grain == "rows" else f"{base}.{self.grain}") + self.suffix

    @property
    def key_column(self) -> str:
        return GRAIN_KEYS[self.grain] or KEY_COLUMNS[self.table]

    def to_gx(self) -> Any:
        """A fresh ``gx.ExpectationSuite`` (a suite can belong to one context only).

        The expectations are copies: GX ties an expectation to the first suite it joins.
        """
        import copy

        ready()
        import great_expectations as gx

        return gx.ExpectationSuite(
            name=self.name, expectations=[copy.copy(c.expectation) for c in self.checks]
        )


def utc_naive(text: str) -> datetime:
    """An ISO timestamp from config as naive UTC, the way the warehouse stores times."""
    value = datetime.fromisoformat(text)
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _expectations(
    table: str, config: ValidationConfig, bounds: IngestConfig, now: datetime
) -> dict[str, tuple[type, dict[str, Any]]]:
    """Every GX expectation class and its arguments for a table, by catalog name."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    latest = now + timedelta(seconds=parse_duration(bounds.max_future))
    floor = utc_naive(bounds.earliest_timestamp)
    shared: dict[str, tuple[type, dict[str, Any]]] = {
        "table_keys_unique": (
            gxe.ExpectColumnPairValuesToBeEqual,
            {"column_A": "n_rows", "column_B": "n_distinct_keys"},
        ),
        # quarantine grain: one row, the share of the batch's input rows set aside
        "quarantine_share": (
            gxe.ExpectColumnValuesToBeBetween,
            {
                "column": "quarantined_share",
                "min_value": 0,
                "max_value": config.max_quarantine_share,
            },
        ),
        # a load with no history has a floor of 0 and always passes
        "load_volume": (
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            {"column_A": "rows_loaded", "column_B": "min_rows_expected", "or_equal": True},
        ),
    }
    matches_raw = {
        "table_rows_match_raw": (
            gxe.ExpectColumnPairValuesToBeEqual,
            {"column_A": "n_rows", "column_B": "n_raw_rows"},
        ),
    }
    not_null, unique = gxe.ExpectColumnValuesToNotBeNull, gxe.ExpectColumnValuesToBeUnique
    between, lengths = gxe.ExpectColumnValuesToBeBetween, gxe.ExpectColumnValueLengthsToBeBetween
    if table == "events":
        return {
            "event_id_not_null": (not_null, {"column": "event_id"}),
            "event_id_unique": (unique, {"column": "event_id"}),
            "user_id_not_null": (not_null, {"column": "user_id"}),
            "event_name_not_null": (not_null, {"column": "event"}),
            "event_name_length": (
                lengths,
                {"column": "event", "min_value": 1, "max_value": config.event_name_max_length},
            ),
            "occurred_at_not_null": (not_null, {"column": "occurred_at"}),
            "occurred_at_not_future": (between, {"column": "occurred_at", "max_value": latest}),
            "occurred_at_not_before_floor": (
                between,
                {"column": "occurred_at", "min_value": floor},
            ),
            # batch grain: one row of SQL aggregates over the whole batch
            "anonymous_share": (
                between,
                {
                    "column": "anonymous_event_rate",
                    "min_value": 0,
                    "max_value": config.max_anonymous_share,
                },
            ),
            "freshness": (
                between,
                {
                    "column": "last_occurred_at",
                    "min_value": now - timedelta(hours=config.freshness_hours),
                },
            ),
            **shared,
            **matches_raw,
        }
    if table == "users":
        return {
            "user_id_not_null": (not_null, {"column": "user_id"}),
            "user_id_unique": (unique, {"column": "user_id"}),
            **shared,
        }
    if table == "survey_responses":
        scales = {
            f"score_{metric}_scale": (
                between,
                {
                    "column": "score",
                    "min_value": low,
                    "max_value": high,
                    "row_condition": Column("metric") == metric,
                },
            )
            for metric, (low, high) in METRIC_SCALES.items()
        }
        return {
            "response_id_not_null": (not_null, {"column": "response_id"}),
            "response_id_unique": (unique, {"column": "response_id"}),
            "metric_in_set": (
                gxe.ExpectColumnValuesToBeInSet,
                {"column": "metric", "value_set": sorted(METRIC_SCALES)},
            ),
            "score_not_null": (not_null, {"column": "score"}),
            **scales,
            "submitted_at_not_future": (between, {"column": "submitted_at", "max_value": latest}),
            "submitted_at_not_before_floor": (
                between,
                {"column": "submitted_at", "min_value": floor},
            ),
            "comment_length": (
                lengths,
                {
                    "column": "comment",
                    "min_value": config.comment_min_length,
                    "max_value": config.comment_max_length,
                },
            ),
            **shared,
            **matches_raw,
        }
    raise ValueError(f"no suite for table {table!r}")


def build_suites(project: Config, *, now: datetime) -> list[Suite]:
    """Every suite, in a fixed order, with severities resolved from ``[validation]``.

    Timestamp bounds come from ``[ingest]``, the same ones ingest quarantines by. ``now``
    (naive UTC) anchors the future tolerance and freshness so a test can pin it.
    """
    ready()  # an import started in the background finishes first
    config = project.validation
    suites: list[Suite] = []
    for table in TABLES:
        built = _expectations(table, config, project.ingest, now)
        specs = checks_for(table)
        missing = sorted({s.name for s in specs} ^ built.keys())
        if missing:  # the catalog and the code must agree; a test pins this too
            raise AssertionError(f"{table}: catalog and suites disagree on {missing}")
        for grain in GRAINS:
            checks = []
            for spec in (s for s in specs if s.grain == grain):
                severity = resolve_severity(spec, config.severities)
                expectation_class, kwargs = built[spec.name]
                if grain == "rows":
                    _require_per_row(table, spec.name, expectation_class, kwargs)
                threshold = f" (threshold: {spec.setting})" if spec.threshold else ""
                expectation = expectation_class(
                    **kwargs,
                    meta={"name": spec.name, "severity": severity, "table": table},
                    notes=f"**{severity}** · {spec.name}: {spec.summary}{threshold}",
                )
                checks.append(Check(spec, severity, expectation))
            if checks:
                suites.append(Suite(table, grain, tuple(checks)))
    return suites


def _require_per_row(
    table: str, name: str, expectation_class: type, kwargs: dict[str, Any]
) -> None:
    """A ``rows`` check must be decidable row by row: a large batch is judged in parts.

    Only then do the parts' verdicts add up to the batch's (``parts.py``). A share, a mean or
    a maximum belongs to the ``batch`` grain, which judges one row of SQL aggregates.
    """
    from great_expectations.expectations.expectation import ColumnMapExpectation

    if not issubclass(expectation_class, ColumnMapExpectation) or kwargs.get("mostly", 1) != 1:
        raise AssertionError(
            f"{table}.{name}: a rows-grain check must be a per-row GX expectation without "
            "`mostly`, or the parts of a large batch would not add up; use the batch grain"
        )

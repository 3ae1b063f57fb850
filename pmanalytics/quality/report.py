"""What a validation run found, in a shape people and the pipeline can act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pmanalytics.errors import ValidationFailed
from pmanalytics.quality.catalog import TABLES, Severity

Verdict = Literal["passed", "warnings", "failed", "skipped"]


def _short(value: object, limit: int = 60) -> str:
    """repr() of an example value, cut so that one huge bad value cannot flood the message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(str(value)):,} chars)"


@dataclass(frozen=True)
class ExpectationResult:
    """One row of ``meta.validation_results``.

    ``unexpected_count`` is the number of offending rows (or loads, tables, batches), and
    ``None`` when GX could not evaluate the expectation. Checks over the whole batch (a share,
    the newest time) also say in ``details["observed_value"]`` what GX judged.
    """

    table_name: str
    expectation: str
    severity: Severity
    success: bool
    unexpected_count: int | None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def failed_critical(self) -> bool:
        return not self.success and self.severity == "critical"

    def describe(self) -> str:
        """One readable line: table, expectation, severity, how many and example bad values."""
        what = f"{self.table_name}: {self.expectation} ({self.severity})"
        if self.success:
            return f"{what} passed"
        parts = []
        if self.details.get("error"):
            parts.append(f"could not be evaluated: {self.details['error']}")
        if self.unexpected_count is not None:
            parts.append(f"{self.unexpected_count:,} unexpected")
        if "observed_value" in self.details:
            parts.append(f"observed {self.details['observed_value']!r}")
        rows = self.details.get("unexpected_rows")
        values = self.details.get("unexpected_values")
        if rows:  # the offending value with the key of its row: {"score": 7.0, "response_id": …}
            parts.append(
                "e.g. "
                + ", ".join(
                    " ".join(f"{k}={_short(v)}" for k, v in row.items()) for row in rows[:5]
                )
            )
        elif values:
            parts.append("e.g. " + ", ".join(_short(v) for v in values[:5]))
        if self.details.get("threshold"):
            parts.append(f"threshold [validation] {self.details['threshold']}")
        return f"{what} failed: " + "; ".join(parts)


def quarantine_share_text(share: float, threshold: float | None) -> str:
    """How much of the input ingest set aside, against its threshold, in words."""
    limit = "" if threshold is None else f" (threshold {float(threshold):.1%})"
    # 5 rows of 79,157 are not "0.0%": a share too small for one decimal says so
    amount = "under 0.1%" if 0 < float(share) < 0.0005 else f"{float(share):.1%}"
    return f"{amount} of the rows read set aside in quarantine{limit}"


@dataclass(frozen=True)
class SuiteVerdict:
    """All results for one staged table (its batch rows, loads and whole-table counts)."""

    table_name: str
    rows_validated: int
    results: tuple[ExpectationResult, ...]

    @property
    def verdict(self) -> Verdict:
        if not self.results:
            return "skipped"
        if any(r.failed_critical for r in self.results):
            return "failed"
        return "warnings" if any(not r.success for r in self.results) else "passed"

    def summary(self) -> str:
        """The one-line verdict printed per suite."""
        passed = sum(r.success for r in self.results)
        line = (
            f"{self.table_name}: {self.verdict} — {passed}/{len(self.results)} expectations "
            f"passed on {self.rows_validated:,} batch rows"
        )
        failed = [r for r in self.results if not r.success]
        if failed:
            line += " (" + ", ".join(f"{r.expectation} [{r.severity}]" for r in failed) + ")"
        for r in self.results:
            if r.expectation == "quarantine_share" and "observed_value" in r.details:
                threshold = r.details.get("kwargs", {}).get("max_value")
                line += "; " + quarantine_share_text(r.details["observed_value"], threshold)
        return line


@dataclass(frozen=True)
class ValidationReport:
    run_id: str
    validated_at: datetime
    suites: tuple[SuiteVerdict, ...]
    data_docs_index: Path | None = None
    seconds: float = 0.0

    @property
    def results(self) -> list[ExpectationResult]:
        return [r for suite in self.suites for r in suite.results]

    @property
    def critical_failures(self) -> list[ExpectationResult]:
        return [r for r in self.results if r.failed_critical]

    @property
    def warnings(self) -> list[ExpectationResult]:
        return [r for r in self.results if not r.success and r.severity == "warning"]

    @property
    def passed(self) -> bool:
        """True when nothing critical failed (warnings do not stop a run)."""
        return not self.critical_failures

    def suite(self, table: str) -> SuiteVerdict:
        """The verdict for ``"events"`` or ``"staging.events"``."""
        name = table if table.startswith("staging.") else f"staging.{table}"
        for suite in self.suites:
            if suite.table_name == name:
                return suite
        raise KeyError(f"no suite for {table!r}; suites: {[t for t in TABLES]}")

    def result(self, table: str, expectation: str) -> ExpectationResult:
        suite = self.suite(table)
        for result in suite.results:
            if result.expectation == expectation:
                return result
        raise KeyError(f"{suite.table_name} has no result for {expectation!r}")

    def summary_lines(self) -> list[str]:
        lines = [suite.summary() for suite in self.suites]
        if self.data_docs_index is not None:
            lines.append(f"data docs: {self.data_docs_index}")
        return lines

    def raise_for_critical(self) -> None:
        """Stop the run: raise ``ValidationFailed`` naming each failed critical expectation."""
        failures = self.critical_failures
        if not failures:
            return
        lines = [
            f"validation run {self.run_id}: {len(failures)} critical expectation(s) "
            "failed, so the run stopped before building marts:"
        ]
        lines += [f"  - {r.describe()}" for r in failures]
        lines.append(
            f"Fix or remove the offending input and rerun; every result is in "
            f"meta.validation_results where run_id = '{self.run_id}'"
            + (f", data docs at {self.data_docs_index}" if self.data_docs_index else "")
            + "."
        )
        raise ValidationFailed("\n".join(lines))

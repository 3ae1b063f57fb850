"""A large batch judged in parts: how many, what each part is called, one result from all.

GX fingerprints every frame it validates (an md5 over a hash of every row), which on 9M events
cost more memory than the frame itself, and DuckDB → pandas costs a copy of the batch. Both
grow with the frame, so above ``[validation] chunk_rows`` the batch's rows are fetched and
judged by GX in parts split by a hash of the table's key (``batches.py``), and the per-part
verdicts are combined here.

Combining is exact only for per-row ("map") expectations with GX's default ``mostly = 1``:
a row is unexpected or not whatever part it is in, so the batch passes when every part passes
and its counts are the sums. Uniqueness is per-row too once every copy of a key is in the same
part, which the hash split guarantees. Checks over the whole batch (a share, a maximum) are
not split: they are judged on one row of SQL aggregates (the ``batch`` grain). ``suites.py``
refuses any other kind of expectation at the ``rows`` grain.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pmanalytics.quality.report import ExpectationResult

#: Details that are the same in every part's result: the first part's are kept.
_SHARED_DETAILS = ("gx_expectation", "kwargs", "summary", "threshold")


def count_parts(n_rows: int, chunk_rows: int) -> int:
    """How many parts a batch of ``n_rows`` is judged in: 1 up to ``chunk_rows`` rows."""
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    return max(1, math.ceil(n_rows / chunk_rows))


def part_name(suite_name: str, key_column: str, part: int, n_parts: int) -> str:
    """What one part's GX run is called (its Data Docs page): ``part`` counts from 0."""
    return f"{suite_name} part {part + 1} of {n_parts}, by hash of {key_column}"


def combine_parts(
    parts: Sequence[ExpectationResult], *, key_column: str, sample_size: int
) -> ExpectationResult:
    """One expectation's result over the whole batch from its result in every part.

    ``success`` holds when every part succeeded; ``unexpected_count``, ``element_count`` and
    ``missing_count`` are sums (left out, rather than understated, when a part has none, as
    after an error); ``unexpected_percent`` is recomputed from the sums the way GX computes
    it; the samples of offending values and rows are the parts' samples in part order, cut at
    ``sample_size``. An error in any part is kept, naming the part.
    """
    if not parts:
        raise ValueError("no parts to combine")
    first = parts[0]
    different = {(p.table_name, p.expectation, p.severity) for p in parts}
    if len(different) > 1:
        raise ValueError(f"parts of different expectations cannot be combined: {different}")

    details: dict[str, Any] = {k: first.details[k] for k in _SHARED_DETAILS if k in first.details}
    counts = {
        key: _sum(p.details.get(key) for p in parts) for key in ("element_count", "missing_count")
    }
    unexpected_count = _sum(p.unexpected_count for p in parts)
    for key, total in counts.items():
        if total is not None:
            details[key] = total
    if all("unexpected_percent" in p.details for p in parts):
        details["unexpected_percent"] = _unexpected_percent(
            unexpected_count, counts["element_count"], counts["missing_count"]
        )
    for key in ("unexpected_values", "unexpected_rows"):
        sample = [item for p in parts for item in p.details.get(key, [])][:sample_size]
        if sample:
            details[key] = sample
    errors = [
        f"part {i + 1} of {len(parts)}: {p.details['error']}"
        for i, p in enumerate(parts)
        if p.details.get("error")
    ]
    if errors:
        details["error"] = "; ".join(errors)
    details["n_parts"] = len(parts)
    details["part_key"] = key_column
    return ExpectationResult(
        table_name=first.table_name,
        expectation=first.expectation,
        severity=first.severity,
        success=all(p.success for p in parts),
        unexpected_count=unexpected_count,
        details=details,
    )


def _sum(values: Any) -> int | None:
    """The sum, or None when any part has no value (a sum of some parts would understate)."""
    values = list(values)
    if any(v is None for v in values):
        return None
    return sum(int(v) for v in values)


def _unexpected_percent(
    unexpected: int | None, element_count: int | None, missing_count: int | None
) -> float | None:
    """GX's ``unexpected_percent``: of the non-missing values when GX counted missing ones."""
    if unexpected is None or not element_count:
        return None
    if missing_count is None:
        return unexpected / element_count * 100
    nonmissing = element_count - missing_count
    return unexpected / nonmissing * 100 if nonmissing > 0 else None

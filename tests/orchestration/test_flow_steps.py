"""The flow's tasks are the library's steps, and only transient I/O errors are retried."""

from __future__ import annotations

import duckdb
import pytest

from pmanalytics import pipeline as steps
from pmanalytics.errors import (
    ConfigError,
    IngestError,
    ValidationFailed,
    WarehouseBusy,
    WarehouseError,
)

STEPS = (
    steps.ingest_sources,
    steps.build_staging,
    steps.validate_staging,
    steps.build_marts,
    steps.build_pain_points,
    steps.write_report,
)
IO_STEPS = {"ingest_sources", "build_marts", "write_report"}


def test_every_step_is_one_task_of_the_same_name() -> None:
    from flows.pipeline import TASKS

    assert set(TASKS) == set(STEPS)
    for step, task in TASKS.items():
        assert task.name == step.__name__


def test_only_the_io_tasks_retry() -> None:
    from flows.pipeline import TASKS, retry_transient

    for step, task in TASKS.items():
        if step.__name__ in IO_STEPS:
            assert (task.retries, task.retry_condition_fn) == (3, retry_transient), step
        else:
            assert task.retries == 0, step


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (WarehouseBusy("locked by a notebook"), True),
        (OSError("No space left on device"), True),
        (duckdb.IOException("could not read file"), True),
        (IngestError("not UTF-8"), False),
        (ConfigError("unknown key"), False),
        (WarehouseError("model marts.kpi_funnel failed"), False),
        (ValidationFailed("event_name_length"), False),
        (duckdb.BinderException("column not found"), False),
        (ZeroDivisionError(), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_retry_is_an_allow_list_of_transient_errors(error: BaseException, retried: bool) -> None:
    from prefect.states import Failed

    from flows.pipeline import retry_transient

    assert retry_transient(None, None, Failed(data=error)) is retried

"""Survey responses through a per-source column mapping (see ``SurveyMapping``).

Scores are checked against the declared scale and dates against the declared format(s): a
date is never guessed per row. A row no format reads, or one that two declared formats read
as different days (05/06/2022 under d/m and m/d), goes to quarantine with the value in its
reason.
"""

from __future__ import annotations

import json

import duckdb

from pmanalytics.config import SurveyMapping
from pmanalytics.errors import IngestError
from pmanalytics.ingest.files import FileFacts
from pmanalytics.ingest.stager import create_incoming
from pmanalytics.ingest.tabular import stage_table
from pmanalytics.warehouse import Identifier, read_sql

#: Mapping fields that default to a canonical column name and may be absent from a file.
_OPTIONAL_DEFAULTS = ("response_id", "user_id", "comment", "survey_column")


def _path(column: str | None) -> str | None:
    return None if column is None else "$." + json.dumps(column, ensure_ascii=False)


def effective_mapping(mapping: SurveyMapping, columns: list[str], path: str) -> SurveyMapping:
    """Drop defaulted optional columns the file lacks; fail on any other missing column."""
    updates: dict = {}
    for name in _OPTIONAL_DEFAULTS:
        column = getattr(mapping, name)
        if column and column not in columns and name not in mapping.model_fields_set:
            updates[name] = None
    resolved = mapping.model_copy(update=updates)
    missing = [c for c in resolved.file_columns() if c not in columns]
    if missing:
        raise IngestError(
            f"{path}: the survey mapping names column(s) {missing} that the file does not have "
            f"(found: {', '.join(columns)}); fix [sources.mapping] in pmanalytics.toml"
        )
    return resolved


def stage_surveys(
    con: duckdb.DuckDBPyConnection,
    facts: FileFacts,
    incoming: Identifier,
    mapping: SurveyMapping,
    source: str,
) -> None:
    """Fill ``incoming`` with one row per response record (see loader)."""
    columns = stage_table(con, facts)
    if columns:
        mapping = effective_mapping(mapping, columns, str(facts.path))
    scale = mapping.scale
    segments = list(mapping.segments)
    if not segments and "segments" not in mapping.model_fields_set:
        # No segments declared: keep every column the mapping does not use, so nothing is lost.
        used = set(mapping.file_columns())
        segments = [c for c in columns if c not in used]
    params = {
        "response_id_path": _path(mapping.response_id),
        "response_id_column": mapping.response_id,
        "user_id_column": mapping.user_id,
        "metric_column": None if mapping.metric else mapping.metric_column,
        "survey_column": None if mapping.survey else mapping.survey_column,
        "score_column": mapping.score,
        "comment_column": mapping.comment,
        "user_id_path": _path(mapping.user_id),
        "submitted_at_path": _path(mapping.submitted_at),
        "date_formats": mapping.formats() or None,
        "score_path": _path(mapping.score),
        "metric": mapping.metric,
        "metric_path": _path(None if mapping.metric else mapping.metric_column),
        "survey": mapping.survey,
        "survey_path": _path(None if mapping.survey else mapping.survey_column),
        "source": source,
        "comment_path": _path(mapping.comment),
        "segments": segments,
        "scale_min": scale.min if scale else None,
        "scale_max": scale.max if scale else None,
        "higher_is_better": scale.higher_is_better if scale else True,
    }
    create_incoming(con, incoming, read_sql("ingest/survey_responses.sql"), params)

"""Users files: a CRM or billing export with one row per user and its traits."""

from __future__ import annotations

import duckdb

from pmanalytics.errors import IngestError
from pmanalytics.ingest.files import FileFacts
from pmanalytics.ingest.stager import create_incoming
from pmanalytics.ingest.tabular import stage_table
from pmanalytics.warehouse import Identifier, read_sql


def stage_users(con: duckdb.DuckDBPyConnection, facts: FileFacts, incoming: Identifier) -> None:
    """Fill ``incoming`` with one row per user record (see loader)."""
    columns = stage_table(con, facts)
    if columns and not {"user_id", "userId"} & set(columns):
        raise IngestError(
            f"{facts.path}: a users file needs a user_id column (found: {', '.join(columns)})"
        )
    create_incoming(con, incoming, read_sql("ingest/users.sql"))

"""The pain-point tables: their columns, reading the previous run's state, writing a run.

Every table is declared with explicit types, so an empty run still writes tables with the
right columns, and all of them are replaced in one transaction: a reader never sees this
run's pain points next to last run's priorities.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from pmanalytics.warehouse import compose, transaction

#: (schema, table) → ordered (column, DuckDB type). Contract columns first (DESIGN.md).
TABLES: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("marts", "pain_points"): [
        ("pain_point_id", "varchar"),
        ("label", "varchar"),
        ("keywords", "varchar[]"),
        ("comments", "bigint"),
        ("share", "double"),
        ("mean_score", "double"),
        ("nps", "double"),
        ("detractor_share", "double"),
        ("nps_impact", "double"),
        ("example_comments", "varchar[]"),
        ("first_seen", "timestamp"),
        ("last_seen", "timestamp"),
        ("nps_impact_ci_low", "double"),
        ("nps_impact_ci_high", "double"),
        ("nps_responses", "bigint"),
        ("respondents", "bigint"),
        ("cohesion", "double"),
        ("is_emerging", "boolean"),
        ("emerging_z", "double"),
        ("status", "varchar"),
        ("kind", "varchar"),
        ("score_metric", "varchar"),
        ("score_cost", "double"),
        ("score_cost_ci_low", "double"),
        ("score_cost_ci_high", "double"),
    ],
    ("marts", "pain_point_comments"): [
        ("response_id", "varchar"),
        ("pain_point_id", "varchar"),
        ("similarity", "double"),
    ],
    ("marts", "pain_point_trend"): [
        ("pain_point_id", "varchar"),
        ("period_start", "date"),
        ("comments", "bigint"),
        ("share", "double"),
    ],
    ("marts", "pain_point_behaviour"): [
        ("pain_point_id", "varchar"),
        ("measure", "varchar"),
        ("respondents_value", "double"),
        ("others_value", "double"),
        ("ratio", "double"),
        ("respondents", "bigint"),
        ("others", "bigint"),
    ],
    ("marts", "pain_point_priorities"): [
        ("rank", "integer"),
        ("pain_point_id", "varchar"),
        ("label", "varchar"),
        ("reach", "bigint"),
        ("impact", "double"),
        ("confidence", "double"),
        ("priority", "double"),
        ("nps_cost", "double"),
        ("retention_gap", "double"),
        ("is_pain", "boolean"),
        ("score_metric", "varchar"),
        ("score_cost", "double"),
        ("retention_factor", "double"),
        ("uses_retention", "boolean"),
    ],
    ("marts", "pain_point_summary"): [
        ("responses", "bigint"),
        ("comments", "bigint"),
        ("empty_comments", "bigint"),
        ("clustered_comments", "bigint"),
        ("pain_points", "bigint"),
        ("retired_pain_points", "bigint"),
        ("k_selection", "varchar"),
        ("k_scores", "varchar"),
        ("built_at", "timestamp"),
        ("input_fingerprint", "varchar"),
        ("refitted", "boolean"),
        ("clauses", "bigint"),
        ("delighters", "bigint"),
        ("model_id", "varchar"),
        ("identity_note", "varchar"),
    ],
    ("marts", "comment_clauses"): [
        ("response_id", "varchar"),
        ("clause_no", "integer"),
        ("clause", "varchar"),
        ("sentiment", "varchar"),
        ("negative_score", "double"),
        ("kind", "varchar"),
        ("pain_point_id", "varchar"),
        ("delighter_id", "varchar"),
    ],
    ("meta", "pain_point_state"): [
        ("pain_point_id", "varchar"),
        ("label", "varchar"),
        ("keywords", "varchar[]"),
        ("centroid", "float[]"),
        ("first_seen", "timestamp"),
        ("last_seen", "timestamp"),
        ("status", "varchar"),
        ("updated_at", "timestamp"),
        ("model_id", "varchar"),
    ],
}
#: The delighters (what customers love) have exactly the pain points' columns.
TABLES[("marts", "delighters")] = TABLES[("marts", "pain_points")]
#: Identity space of state written before centroids carried a model id: hashed n-grams.
HASHED_SPACE = "hashed-char-ngrams"


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Like the warehouse helper, but reads its result fully: DuckDB 2 refuses ``register``
    while a result is left half-read (``fetchone``)."""
    rows = con.execute(
        "select 1 from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return bool(rows)


def columns(schema: str, table: str) -> list[str]:
    return [name for name, _ in TABLES[(schema, table)]]


def empty_frame(schema: str, table: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns(schema, table)})


@dataclass(frozen=True)
class PreviousState:
    """What the last run left: ids, labels and hashed centroids (retired included)."""

    ids: list[str]
    labels: list[str]
    keywords: list[list[str]]
    centroids: np.ndarray
    first_seen: list[object]
    last_seen: list[object]
    status: list[str]
    model_ids: list[str]

    def subset(self, keep: list[bool]) -> PreviousState:
        """The ids where ``keep`` is true (e.g. one prefix, one identity space)."""
        rows = [i for i, k in enumerate(keep) if k]
        pick = lambda values: [values[i] for i in rows]  # noqa: E731
        centroids = self.centroids[rows] if rows else np.zeros((0, 0), dtype=np.float32)
        return PreviousState(
            pick(self.ids),
            pick(self.labels),
            pick(self.keywords),
            centroids,
            pick(self.first_seen),
            pick(self.last_seen),
            pick(self.status),
            pick(self.model_ids),
        )


_NO_STATE = PreviousState([], [], [], np.zeros((0, 0), dtype=np.float32), [], [], [], [])


def read_state(con: duckdb.DuckDBPyConnection) -> PreviousState:
    if not table_exists(con, "meta", "pain_point_state"):
        return _NO_STATE
    has_model = con.execute(
        "select count(*) from duckdb_columns() where schema_name = 'meta' "
        "and table_name = 'pain_point_state' and column_name = 'model_id'"
    ).fetchall()[0][0]
    query = (
        "select pain_point_id, label, keywords, centroid, first_seen, last_seen, status, "
        "coalesce(model_id, ?) from meta.pain_point_state order by pain_point_id"
        if has_model
        else "select pain_point_id, label, keywords, centroid, first_seen, last_seen, status, "
        "? from meta.pain_point_state order by pain_point_id"
    )
    rows = con.execute(query, [HASHED_SPACE]).fetchall()
    if not rows:
        return _NO_STATE
    width = max(len(r[3] or ()) for r in rows)
    centroids = np.zeros((len(rows), width), dtype=np.float32)
    for i, r in enumerate(rows):  # spaces of different widths: matched only within one
        centroids[i, : len(r[3] or ())] = np.asarray(r[3] or (), dtype=np.float32)
    return PreviousState(
        ids=[r[0] for r in rows],
        labels=[r[1] for r in rows],
        keywords=[list(r[2] or []) for r in rows],
        centroids=centroids,
        first_seen=[r[4] for r in rows],
        last_seen=[r[5] for r in rows],
        status=[r[6] for r in rows],
        model_ids=[r[7] for r in rows],
    )


def _arrow(frame: pd.DataFrame, spec: list[tuple[str, str]]) -> pa.Table:
    data = {}
    for name, sql_type in spec:
        if name not in frame:
            data[name] = pa.nulls(len(frame))
        elif sql_type == "float[]":
            data[name] = pa.array(
                [None if _missing(v) else np.asarray(v, dtype=np.float32) for v in frame[name]],
                type=pa.list_(pa.float32()),
            )
        elif sql_type == "varchar[]":
            data[name] = pa.array(
                [None if _missing(v) else [str(x) for x in v] for v in frame[name]],
                type=pa.list_(pa.string()),
            )
        else:  # scalars, column at a time: Arrow reads NaN and None as null
            data[name] = pa.array(frame[name], from_pandas=True)
    return pa.table(data)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def write_tables(
    con: duckdb.DuckDBPyConnection,
    frames: dict[tuple[str, str], pd.DataFrame],
    *,
    only_given: bool = False,
) -> None:
    """Replace every table of ``TABLES`` in one transaction (missing frames → empty tables).

    ``only_given`` replaces just the tables in ``frames`` and leaves the others as they are.
    """
    with transaction(con):
        for target, spec in TABLES.items():
            if only_given and target not in frames:
                continue
            ddl = ", ".join(f"{compose('{c}', c=name)} {sql_type}" for name, sql_type in spec)
            con.execute(compose("create or replace table {t} (", t=target) + ddl + ")")
            frame = frames.get(target)
            if frame is None or frame.empty:
                continue
            con.register("_pp_write", _arrow(frame, spec))
            try:
                select = ", ".join(
                    compose("cast({c} as ", c=name) + sql_type + ")" for name, sql_type in spec
                )
                # column names and types come from the constant TABLES, quoted by compose
                insert = compose("insert into {t} ", t=target) + "select " + select
                con.execute(insert + " from _pp_write")
            finally:
                con.unregister("_pp_write")

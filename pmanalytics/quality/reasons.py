"""Quarantine reasons grouped by kind, so that a reader sees problems, not values.

A quarantine reason names the offending value (``submitted_at "13/25/2022" does not match
…``), which is what someone fixing the file needs, but 57 reasons that differ only by value
hide how many rows one problem costs. Every place that lists reasons (report, CLI summary)
groups them through ``quarantine_reason_groups``: the kind is derived here, from the reason
text, and nowhere else. The rules follow the reason texts written by ``sql/ingest/*.sql`` and
``pmanalytics/ingest/``; a reason that matches no rule carries no value and is its own kind.
"""

from __future__ import annotations

import re

import duckdb
import pandas as pd

from pmanalytics.warehouse import compose, table_exists

#: (kind, regular expression on the reason), first match wins. Keep in step with the
#: reason texts of the ingest SQL; tests/quality/test_reasons.py holds one example of each.
REASON_KINDS: tuple[tuple[str, str], ...] = (
    ("ambiguous date", r'^submitted_at ".*" is ambiguous'),
    (
        "unparseable date",
        r'^(submitted_at ".*" does not match|unparseable (timestamp|created_at) ")',
    ),
    ("impossible UTC offset", r"^impossible UTC offset in "),
    ("timestamp outside the accepted range", r"^timestamp \S+ outside the accepted range"),
    ("score outside the declared scale", r"^score \S+ outside the declared "),
    ("score is not a number", r'^score ".*" is not a number$'),
    ("score is not a whole number", r"^score \S+ is not a whole number"),
    ("unknown metric", r'^unknown metric "'),
    ("unsupported call type", r'^unsupported call type "'),
    ("record too long", r"^line of [\d,]+ bytes is longer than"),
    ("not a JSON object", r"^not a JSON object \(found "),
)

#: Quarantine tables in the order they are listed.
QUARANTINE_TABLES = ("events", "users", "survey_responses")

#: How many example reasons each kind shows.
EXAMPLES = 3

GROUP_COLUMNS = ["table_name", "kind", "n_rows", "examples", "example_file", "example_row"]

_RULES = [{"kind": kind, "pattern": pattern} for kind, pattern in REASON_KINDS]


def reason_kind(reason: str) -> str:
    """The kind of one reason (the same rules the SQL applies)."""
    for kind, pattern in REASON_KINDS:
        if re.search(pattern, reason):
            return kind
    return reason


_GROUPS_SQL = """
with by_reason as (
    select reason, count(*) as n,
        min(struct_pack(file := source_file, row := row_number)) as first
    from {table} group by reason
),
kinded as (
    select *, coalesce(
        list_filter($rules, lambda r: regexp_matches(reason, r.pattern))[1].kind, reason
    ) as kind
    from by_reason
),
grouped as (
    select kind, sum(n)::bigint as n_rows,
        list(reason order by n desc, reason)[1:$examples] as examples,
        min(first) as first
    from kinded group by kind
)
select $table_name as table_name, kind, n_rows, examples,
    first.file as example_file, first.row as example_row
from grouped
order by n_rows desc, kind
limit $top
"""


def quarantine_reason_groups(
    con: duckdb.DuckDBPyConnection, top: int | None = None
) -> pd.DataFrame:
    """Rows per quarantine table and reason kind, with up to three example reasons.

    ``top`` limits the kinds per table (most rows first). Only reasons and an example
    location are read, never ``raw_record``: raw records may hold personal data.
    """
    frames = []
    for table in QUARANTINE_TABLES:
        if not table_exists(con, "quarantine", table):
            continue
        sql = compose(_GROUPS_SQL, table=("quarantine", table))
        params = {"rules": _RULES, "table_name": table, "examples": EXAMPLES, "top": top}
        frames.append(con.execute(sql, params).df())
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame({c: [] for c in GROUP_COLUMNS})
    return pd.concat(frames, ignore_index=True)[GROUP_COLUMNS]

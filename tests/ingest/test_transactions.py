"""The files of one transaction: what lands in raw, in which order and row groups."""

from __future__ import annotations

import math
from pathlib import Path

from ingest_helpers import Warehouse, outcome, track, write_ndjson

N = 50_000  # events a file: three files share one transaction (loader.TRANSACTION_ROWS)


def test_a_transactions_files_land_in_file_order_in_the_fewest_row_groups(
    wh: Warehouse, tmp_path: Path
) -> None:
    """Three files in one transaction: their rows in file and line order, in as few row
    groups as the rows need (DuckDB's default insert leaves a part-full one per file), and a
    key already in an earlier file of the same transaction counted as a duplicate."""
    paths = []
    for day in range(3):
        records = [track(f"d{day}-{i:05d}") for i in range(N)]
        if day == 2:
            records.insert(10, track("d0-00003", event="Again"))
        paths.append(write_ndjson(tmp_path / f"day{day}.ndjson", *records))

    results = wh.ingest("events", *paths)

    assert [outcome(r) for r in results] == [
        (N, N, 0, 0, False),
        (N, N, 0, 0, False),
        (N + 1, N, 1, 0, False),
    ]
    assert len({r.load_id for r in results}) == 3
    landed = wh.rows("select source_file, row_number, event_id from raw.events")
    files = [str(p) for p in paths]
    assert landed == sorted(landed, key=lambda r: (files.index(r[0]), r[1]))
    assert wh.rows("select event from raw.events where event_id = 'd0-00003'") == [("Clicked",)]
    sizes = wh.rows(
        "select row_group_id, sum(count) from pragma_storage_info('raw.events') "
        "where column_name = 'row_number' and segment_type = 'BIGINT' group by all order by 1"
    )
    assert sum(int(n) for _, n in sizes) == 3 * N
    assert len(sizes) == math.ceil(3 * N / 122_880)

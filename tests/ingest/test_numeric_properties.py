"""staging.events.numeric_properties: the numbers among an event's properties, parsed once.

The pain points' behaviour measures (``property_mean:<event>.<key>``) read this column, so
it must hold exactly the top-level properties whose JSON value is a number, whatever the
file's JSON layout: checked against Python's own JSON parser on hand-picked and generated
objects, from NDJSON (re-serialised by ingest) and CSV (text kept as written).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from ingest_helpers import Warehouse, track, write_ndjson, write_text

from pmanalytics.pipeline import build
from tests.pain_points.helpers import numeric_properties as oracle

#: Layouts the text pre-filter must not be fooled by: numbers in strings, nested numbers,
#: booleans, exponents, huge integers, white space before the colon or the object.
HAND_PICKED: list[tuple[str, list[tuple[str, float]] | None]] = [
    ('{"ms": 900, "note": "x"}', [("ms", 900.0)]),
    ('\n\t {\n  "ms" :\t100 ,\n "n": "a: 5"}', [("ms", 100.0)]),
    ('{"q": "t: 1"}', None),
    ('{"nested": {"ms": 5}, "list": [1, 2]}', None),
    ('{"ok": true, "off": false, "none": null}', None),
    (
        '{"neg": -2.5e3, "tiny": 1E-3, "zero": 0}',
        [("neg", -2500.0), ("tiny", 0.001), ("zero", 0.0)],
    ),
    ('{"big": 18446744073709551615}', [("big", 18446744073709551615.0)]),
    ('{"kéy ✓": 7}', [("kéy ✓", 7.0)]),
    ("{}", None),
]


def _generated(seed: int, n: int) -> list[str]:
    """Random property objects mixing numbers with values that only look like them."""
    rnd = random.Random(seed)
    values = [
        lambda: rnd.randint(-(10**12), 10**12),
        lambda: rnd.uniform(-1e6, 1e6),
        lambda: f"{rnd.randint(0, 99)}",
        lambda: f"x: {rnd.randint(0, 9)}",
        lambda: rnd.choice([True, False, None]),
        lambda: {"inner": rnd.randint(0, 9)},
        lambda: [rnd.random()],
    ]
    objects = []
    for _ in range(n):
        props = {f"k{i}": rnd.choice(values)() for i in range(rnd.randint(0, 5))}
        separators = rnd.choice([(",", ":"), (", ", ": "), (" ,\n", " :\t")])
        objects.append(json.dumps(props, separators=separators, indent=rnd.choice([None, 2])))
    return objects


def _staged(wh: Warehouse) -> dict[str, tuple[str | None, list[tuple[str, float]] | None]]:
    build(wh.con, wh.config)
    rows = wh.rows("select event_id, properties, numeric_properties from staging.events")
    return {
        event_id: (
            properties,
            None if numbers is None else [(p["key"], p["value"]) for p in numbers],
        )
        for event_id, properties, numbers in rows
    }


def _as_pairs(properties: str | None) -> list[tuple[str, float]] | None:
    numbers = oracle(properties)
    return None if numbers is None else [(p["key"], p["value"]) for p in numbers]


def test_csv_properties_keep_their_layout_and_give_only_numbers(
    wh: Warehouse, tmp_path: Path
) -> None:
    texts = [text for text, _ in HAND_PICKED] + _generated(seed=1, n=150)
    quoted = ['"' + text.replace('"', '""') + '"' for text in texts]
    path = write_text(
        tmp_path / "events.csv",
        "event_id,user_id,event,occurred_at,properties\n"
        + "".join(f"e{i},u1,Clicked,2026-08-03T10:00:00Z,{q}\n" for i, q in enumerate(quoted))
        + "e_none,u1,Clicked,2026-08-03T10:00:00Z,\n",
    )
    wh.ingest_one("events", path)
    staged = _staged(wh)

    for i, (text, expected) in enumerate(HAND_PICKED):
        assert staged[f"e{i}"][1] == expected, text
    for i, text in enumerate(texts):
        properties, numbers = staged[f"e{i}"]
        assert json.loads(properties) == json.loads(text)
        assert numbers == _as_pairs(properties), properties
    assert staged["e_none"] == (None, None)


def test_ndjson_properties_give_only_numbers(wh: Warehouse, tmp_path: Path) -> None:
    texts = [text for text, _ in HAND_PICKED] + _generated(seed=2, n=150)
    records = [track(f"m{i}", properties=json.loads(text)) for i, text in enumerate(texts)] + [
        track("m_none")
    ]
    wh.ingest_one("events", write_ndjson(tmp_path / "events.ndjson", *records))
    staged = _staged(wh)

    for i, (text, expected) in enumerate(HAND_PICKED):
        assert staged[f"m{i}"][1] == expected, text
    for i in range(len(texts)):
        properties, numbers = staged[f"m{i}"]
        assert numbers == _as_pairs(properties), properties
    assert staged["m_none"][1] is None

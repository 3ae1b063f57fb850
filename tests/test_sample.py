"""Tests for the deterministic sample-data generator (`pmanalytics.sample`).

One small data set is generated per module; tests read the files back with nothing but
the standard library, as an independent check of what the generator claims to have written.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from pmanalytics.sample import SampleSummary, generate_sample

USERS, DAYS, SEED = 900, 35, 11
START = date(2026, 8, 3)
REPO = Path(__file__).resolve().parents[1]
KEYS = {
    "track": [
        "type", "messageId", "userId", "anonymousId", "event", "timestamp", "properties",
        "context",
    ],
    "identify": ["type", "messageId", "userId", "anonymousId", "timestamp", "traits"],
    "page": ["type", "messageId", "userId", "anonymousId", "name", "timestamp", "properties"],
    "alias": ["type", "messageId", "previousId", "userId", "timestamp"],
}  # fmt: skip
TRAIT_KEYS = ["plan", "country", "platform", "createdAt", "company_size", "email"]
SURVEY_COLUMNS = [
    "response_id", "user_id", "submitted_at", "survey", "metric", "score", "comment", "plan",
]  # fmt: skip
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
BAD_FILE = f"events-{START + timedelta(days=2)}.ndjson.gz"


def read_lines(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return f.read().splitlines()


def parse_instant(text: str) -> datetime | None:
    """UTC instant of an ISO 8601 timestamp with `Z` or an offset; None if unparseable."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.astimezone(UTC) if value.tzinfo else None


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleSummary]:
    out = tmp_path_factory.mktemp("sample")
    return out, generate_sample(out, users=USERS, days=DAYS, seed=SEED, start_date=START)


@pytest.fixture(scope="module")
def events(sample: tuple[Path, SampleSummary]) -> dict[str, list[str]]:
    out, _ = sample
    return {p.name: read_lines(p) for p in sorted((out / "events").glob("*.ndjson.gz"))}


@pytest.fixture(scope="module")
def parsed(events: dict[str, list[str]]) -> list[tuple[int, dict]]:
    """(file index, record) for every line that is planted-bad-free and parses."""
    planted_bad = _planted(events)
    rows = []
    for i, (name, lines) in enumerate(events.items()):
        for n, line in enumerate(lines, start=1):
            if (name, n) not in planted_bad:
                rows.append((i, json.loads(line)))
    return rows


@pytest.fixture(scope="module")
def surveys(sample: tuple[Path, SampleSummary]) -> list[dict[str, str]]:
    out, _ = sample
    with (out / "surveys.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _planted(events: dict[str, list[str]]) -> set[tuple[str, int]]:
    """Find every bad line independently of the generator's own report."""
    found = set()
    for name, lines in events.items():
        seen = set()
        for n, line in enumerate(lines, start=1):
            if line in seen:
                found.add((name, n))
            seen.add(line)
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                found.add((name, n))
                continue
            no_id = obj.get("userId") is None and obj.get("anonymousId") is None
            no_id = no_id and obj["type"] != "alias"
            if no_id or parse_instant(obj["timestamp"]) is None or obj.get("event") == "":
                found.add((name, n))
    return found


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    a = generate_sample(tmp_path / "a", users=120, days=4, seed=3)
    b = generate_sample(tmp_path / "b", users=120, days=4, seed=3)
    generate_sample(tmp_path / "c", users=120, days=4, seed=4)
    names = [p.relative_to(tmp_path / "a") for p in a.paths]
    assert names == [p.relative_to(tmp_path / "b") for p in b.paths]
    assert len(names) == 2 + 4
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert a == SampleSummary(**{**b.__dict__, "paths": a.paths})
    differ = [
        n for n in names if (tmp_path / "a" / n).read_bytes() != (tmp_path / "c" / n).read_bytes()
    ]
    assert len(differ) == len(names)


def test_gzip_headers_carry_no_timestamp_or_file_name(sample: tuple[Path, SampleSummary]) -> None:
    out, _ = sample
    for path in (out / "events").glob("*.gz"):
        header = path.read_bytes()[:10]
        assert header[:2] == b"\x1f\x8b"
        assert header[3] & 0x08 == 0, "FNAME flag set"
        assert header[4:8] == b"\0\0\0\0", "mtime set"


def test_files_and_summary_agree(sample: tuple[Path, SampleSummary], events, surveys) -> None:
    out, summary = sample
    expected = [f"events-{START + timedelta(days=d)}.ndjson.gz" for d in range(DAYS)]
    assert list(events) == expected
    assert {p.name for p in summary.paths} == {*expected, "users.csv", "surveys.csv"}
    assert summary.n_events == sum(len(lines) for lines in events.values())
    assert summary.n_responses == len(surveys)
    with (out / "users.csv").open(encoding="utf-8", newline="") as f:
        users = list(csv.DictReader(f))
    assert summary.n_users == len(users) == USERS
    assert list(users[0]) == [
        "user_id", "email", "plan", "country", "platform", "created_at", "company_size",
    ]  # fmt: skip
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", u["created_at"]) for u in users)


def test_every_good_line_has_the_segment_keys(events, parsed) -> None:
    types = Counter()
    for file_index, obj in parsed:
        types[obj["type"]] += 1
        assert list(obj) == KEYS[obj["type"]], obj
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                            obj["messageId"])  # fmt: skip
        instant = parse_instant(obj["timestamp"])
        assert instant is not None and instant.date() == START + timedelta(days=file_index)
        if obj["type"] == "identify":
            assert list(obj["traits"]) == TRAIT_KEYS
            assert obj["traits"]["plan"] in {"free", "team", "business"}
            assert "@" in obj["traits"]["email"]
        if obj["type"] == "track":
            assert obj["event"] and obj["context"]["library"]["name"].startswith("analytics")
        if obj["type"] == "page":
            assert obj["properties"]["path"].startswith("/")
    assert min(types.values()) > 0 and set(types) == set(KEYS)
    ids = Counter(obj["messageId"] for _, obj in parsed)
    assert all(n == 1 for n in ids.values()), "messageIds must be unique"


def test_active_users_do_a_realistic_number_of_things_a_day(parsed) -> None:
    per_user_day = Counter((i, o["userId"]) for i, o in parsed if o.get("userId"))
    assert 5 <= sum(per_user_day.values()) / len(per_user_day) <= 15


def test_lines_are_in_time_order_within_each_file(events) -> None:
    planted_bad = _planted(events)
    for name, lines in events.items():
        instants = [
            parse_instant(json.loads(line)["timestamp"])
            for n, line in enumerate(lines, start=1)
            if (name, n) not in planted_bad
        ]
        assert instants == sorted(instants), name


def test_some_timestamps_carry_a_non_utc_offset(parsed) -> None:
    stamps = [obj["timestamp"] for _, obj in parsed]
    offset = [s for s in stamps if not s.endswith("Z")]
    assert 0.01 < len(offset) / len(stamps) < 0.035
    assert all(re.search(r"[+-]\d\d:\d\d$", s) and not s.endswith("+00:00") for s in offset)
    assert any(s.endswith("+05:30") for s in offset)  # half-hour zones exercised too


def test_bad_event_rows_are_exactly_the_documented_ones(sample, events) -> None:
    _, summary = sample
    reported = {(name, n) for name, n, _ in summary.bad_event_lines}
    assert reported == _planted(events)
    reasons = Counter(re.sub(r"\d+", "N", r) for _, _, r in summary.bad_event_lines)
    assert reasons == {
        "malformed JSON (line cut off mid-object)": 1,
        "malformed JSON (Python dict repr with single quotes)": 1,
        "track call with neither userId nor anonymousId": 1,
        "unparseable timestamp (hour N)": 1,
        "empty event name": 1,
        "exact duplicate of line N": 3,
    }
    assert {name for name, _, _ in summary.bad_event_lines} == {BAD_FILE}
    lines = events[BAD_FILE]
    for _, n, reason in summary.bad_event_lines:
        if reason.startswith("exact duplicate"):
            assert lines[n - 1] == lines[int(reason.rsplit(" ", 1)[1]) - 1]


def test_bad_survey_rows_are_exactly_the_documented_ones(sample, surveys) -> None:
    _, summary = sample
    assert list(surveys[0]) == SURVEY_COLUMNS
    out_of_scale, bad_dates = [], []
    for row in surveys:
        low, high = SCALES[row["metric"]]
        if not low <= int(row["score"]) <= high:
            out_of_scale.append(row["response_id"])
        if parse_instant(row["submitted_at"]) is None:
            bad_dates.append(row["response_id"])
    dup_ids = [rid for rid, n in Counter(r["response_id"] for r in surveys).items() if n > 1]
    found = {(rid, "nps score 11 outside 0-10") for rid in out_of_scale}
    found |= {(rid, "unparseable submitted_at") for rid in bad_dates}
    found |= {(rid, "duplicate response_id") for rid in dup_ids}
    assert found == set(summary.bad_response_rows)
    assert len(found) == 3


def test_identify_and_alias_link_anonymous_history_across_files(parsed) -> None:
    first_anon_file: dict[str, int] = {}
    anon_signups: set[str] = set()
    for i, obj in parsed:
        if obj.get("userId") is None and obj.get("anonymousId"):
            first_anon_file.setdefault(obj["anonymousId"], i)
            if obj.get("event") == "Signed Up":
                anon_signups.add(obj["anonymousId"])
    identify_file = {o["anonymousId"]: i for i, o in parsed if o["type"] == "identify"}
    alias_ids = {o["previousId"] for _, o in parsed if o["type"] == "alias"}
    cross = {a for a, i in identify_file.items() if a in first_anon_file and first_anon_file[a] < i}
    # Late identify: signed up anonymously, identified in a later day's file.
    late = {a for a in anon_signups if identify_file.get(a, -1) > first_anon_file[a]}
    assert len(late) >= 3 and late <= cross
    assert alias_ids and all(a in first_anon_file for a in alias_ids)
    stitched = {a for a in first_anon_file if a in identify_file or a in alias_ids}
    assert len(stitched) >= 0.5 * len({o["userId"] for _, o in parsed if o["type"] == "identify"})


def _per_user(parsed) -> dict[str, Counter]:
    """Event counts and dashboard load times per known user id."""
    stats: dict[str, Counter] = defaultdict(Counter)
    for _, o in parsed:
        if o.get("userId") and o["type"] in ("track", "page"):
            s = stats[o["userId"]]
            s[o.get("event") or o.get("name")] += 1
            if o.get("event") == "Dashboard Loaded":
                s["load_ms"] += o["properties"]["duration_ms"]
    return stats


def _split(surveys, pattern: str) -> tuple[set[str], set[str]]:
    """(respondents whose comment matches, all other identified respondents)."""
    rx = re.compile(pattern, re.IGNORECASE)
    hit = {r["user_id"] for r in surveys if r["user_id"] and rx.search(r["comment"])}
    rest = {r["user_id"] for r in surveys if r["user_id"]} - hit
    return hit, rest


def _rate(stats, users: set[str], num: tuple[str, ...], den: tuple[str, ...]) -> float:
    n = sum(stats[u][k] for u in users for k in num)
    d = sum(stats[u][k] for u in users for k in den)
    return n / max(d, 1)


def test_complaints_match_behaviour(parsed, surveys) -> None:
    stats = _per_user(parsed)
    exports = ("Report Exported", "Export Failed")
    hit, rest = _split(surveys, r"export|pdf|csv|xlsx|excel")
    assert len(hit) >= 5
    assert _rate(stats, hit, ("Export Failed",), exports) > 2 * _rate(
        stats, rest, ("Export Failed",), exports
    )
    hit, rest = _split(surveys, r"slow|load|laggy|sluggish|spinner|langsam|lent|tardan")
    load = (("load_ms",), ("Dashboard Loaded",))
    assert _rate(stats, hit, *load) > 2 * _rate(stats, rest, *load)
    hit, rest = _split(surveys, r"crash|force closes|closes by itself|shuts down|stürzt|cierra")
    assert all(stats[u]["Session Started"] for u in hit)
    crash = (("App Crashed",), ("Session Started",))
    assert _rate(stats, hit, *crash) > 2 * _rate(stats, rest, *crash)
    hit, rest = _split(surveys, r"pric|expensive|cost|teuer|caro")
    pricing = (("Pricing",), ("Session Started",))
    assert _rate(stats, hit, *pricing) > 2 * _rate(stats, rest, *pricing)
    hit, rest = _split(surveys, r"hubspot|salesforce|crm|pipedrive")
    connected = sum(stats[u]["Integration Connected"] > 0 for u in hit)
    assert len(hit) >= 5 and connected <= 0.1 * len(hit)


def test_pain_lowers_scores_and_comments_are_messy(surveys) -> None:
    nps = [r for r in surveys if r["metric"] == "nps" and int(r["score"]) <= 10]
    rx = re.compile(r"export|pdf|crash|slow|load", re.IGNORECASE)
    pain = [int(r["score"]) for r in nps if rx.search(r["comment"])]
    other = [int(r["score"]) for r in nps if not rx.search(r["comment"])]
    assert sum(pain) / len(pain) < sum(other) / len(other) - 2
    comments = [r["comment"] for r in surveys]
    assert sum(c == "" for c in comments) > 0.05 * len(comments)
    assert {"n/a", "N/A", "-", ".", "nothing", "no", "none", "no comment"} & set(comments)
    foreign = r"[À-ÿ]|\b(?:nicht|langsam|teuer|Einstieg|para|muy|falla|caro|muito|trop)\b"
    assert any(re.search(foreign, c) for c in comments)
    assert any(re.search(r"[\U0001F300-\U0001FAFF]", c) for c in comments)
    assert sum(r["user_id"] == "" for r in surveys) > 0
    assert {r["metric"] for r in surveys} == {"nps", "csat", "ces"}


def test_some_comments_contain_pii(surveys) -> None:
    comments = [r["comment"] for r in surveys]
    assert any(re.search(r"[\w.]+@[\w-]+\.example", c) for c in comments)
    assert any("+44 20 7946" in c for c in comments)


def test_rerun_removes_only_stale_daily_files(tmp_path: Path) -> None:
    (tmp_path / "events").mkdir()
    stale = tmp_path / "events" / "events-2020-01-01.ndjson.gz"
    stale.write_bytes(b"old")
    keep = tmp_path / "events" / "events-notes.ndjson.gz"
    keep.write_bytes(b"not ours")
    summary = generate_sample(tmp_path, users=40, days=3)
    assert not stale.exists() and keep.exists()
    assert sorted((tmp_path / "events").glob("events-2*.gz")) == sorted(summary.paths[2:])


def test_too_small_population_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="users >= 20"):
        generate_sample(tmp_path, users=5, days=3)


COMMITTED = REPO / "data" / "sample"


@pytest.mark.skipif(not (COMMITTED / "users.csv").exists(), reason="no committed sample")
def test_committed_sample_is_what_the_generator_makes(tmp_path: Path) -> None:
    """The files in data/sample must be regenerable byte for byte with the README command."""
    summary = generate_sample(tmp_path, users=1000, days=60, seed=7)
    for path in summary.paths:
        rel = path.relative_to(tmp_path)
        assert (COMMITTED / rel).read_bytes() == path.read_bytes(), rel
    readme = (COMMITTED / "README.md").read_text(encoding="utf-8")
    assert "pmanalytics sample --out data/sample --users 1000 --days 60 --seed 7" in readme
    for name, line_no, _ in summary.bad_event_lines:
        assert f"{name}` line {line_no}" in readme
    for response_id, _ in summary.bad_response_rows:
        assert response_id in readme
    assert f"{summary.n_events:,}" in readme and f"{summary.n_responses:,}" in readme

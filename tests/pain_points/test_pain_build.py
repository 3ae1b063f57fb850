"""build_pain_points on hand-made warehouses: contract, degenerate input, stable ids."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pmanalytics.config import Config, parse_config
from pmanalytics.pain_points import build_pain_points
from pmanalytics.pain_points import refresh as refresh_module
from pmanalytics.pain_points.build import make_estimator
from pmanalytics.pain_points.store import TABLES
from pmanalytics.warehouse import compose
from tests.pain_points.helpers import START, comments_frame, load_staging

CONTRACT = {
    "pain_points": [
        "pain_point_id",
        "label",
        "keywords",
        "comments",
        "share",
        "mean_score",
        "nps",
        "detractor_share",
        "nps_impact",
        "example_comments",
        "first_seen",
        "last_seen",
    ],
    "pain_point_comments": ["response_id", "pain_point_id", "similarity"],
    "pain_point_trend": ["pain_point_id", "period_start", "comments", "share"],
    "pain_point_behaviour": [
        "pain_point_id",
        "measure",
        "respondents_value",
        "others_value",
        "ratio",
    ],
    "pain_point_priorities": [
        "rank",
        "pain_point_id",
        "label",
        "reach",
        "impact",
        "confidence",
        "priority",
    ],
}


@pytest.fixture
def fast_config() -> Config:
    return parse_config({"pain_points": {"n_bootstrap": 200}})


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = 'marts' "
        "and table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def _frame(texts: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(len(texts))],
            "user_id": [f"u{i}" for i in range(len(texts))],
            "metric": "nps",
            "score": [float(i % 11) for i in range(len(texts))],
            "submitted_at": [START + pd.Timedelta(days=i) for i in range(len(texts))],
            "comment": texts,
        }
    )


@pytest.mark.parametrize(
    ("texts", "expected_points", "expected_empty", "expected_clustered"),
    [
        ([], 0, 0, 0),
        (["exports keep failing"], 1, 0, 1),
        (["exports keep failing", "too expensive"], 1, 0, 2),
        (["the export keeps failing"] * 5, 1, 0, 5),
        (["n/a", "", "-", "👍", "Did not answer", None, "  "], 0, 5, 0),
    ],
    ids=["zero", "one", "two", "identical", "all-empty"],
)
def test_degenerate_inputs_write_every_table(
    con: duckdb.DuckDBPyConnection,
    fast_config: Config,
    texts: list[str | None],
    expected_points: int,
    expected_empty: int,
    expected_clustered: int,
) -> None:
    load_staging(con, _frame(texts))
    result = build_pain_points(con, fast_config)
    assert result.n_pain_points == expected_points
    assert result.empty_comments == expected_empty
    for table, required in CONTRACT.items():
        assert _columns(con, table)[: len(required)] == required
    for schema, table in TABLES:
        con.execute(compose("select count(*) from {t}", t=(schema, table))).fetchall()
    n_comments = con.execute("select count(*) from marts.pain_point_comments").fetchone()
    assert n_comments == (expected_clustered,)
    summary = con.execute(
        "select empty_comments, clustered_comments from marts.pain_point_summary"
    ).fetchone()
    assert summary == (expected_empty, n_comments[0])


def test_pii_never_reaches_the_marts(con: duckdb.DuckDBPyConnection, fast_config: Config) -> None:
    frame = comments_frame(range(1, 3), ["export", "slow", "pricing"])
    frame.loc[0, "comment"] = "PDF export keeps failing, mail me at jo.bloggs@acme.example"
    frame.loc[1, "comment"] = "export failed, call +44 20 7946 0958"
    load_staging(con, frame)
    build_pain_points(con, fast_config)
    text = str(con.execute("select * from marts.pain_points").fetchall())
    # centroids are numbers (their printed digits can contain "7946" by chance), never text
    text += str(con.execute("select * exclude (centroid) from meta.pain_point_state").fetchall())
    text += str(con.execute("select * from marts.comment_clauses").fetchall())
    text += str(con.execute("select * from marts.delighters").fetchall())
    assert "acme.example" not in text and "7946" not in text


def test_same_data_same_ids_and_labels(con: duckdb.DuckDBPyConnection, fast_config: Config) -> None:
    load_staging(con, comments_frame(range(1, 7), ["export", "slow", "pricing"]))
    first = build_pain_points(con, fast_config).pain_points
    # an explicit estimator always refits: the determinism of the fit itself is under test
    refit = build_pain_points(con, fast_config, estimator=make_estimator(fast_config.pain_points))
    assert refit.refitted
    second = refit.pain_points
    cols = ["pain_point_id", "label", "comments", "nps_impact", "nps_impact_ci_low"]
    pd.testing.assert_frame_equal(first[cols], second[cols])
    assert list(first["pain_point_id"]) == ["pp_0001", "pp_0002", "pp_0003"]
    ids = con.execute("select pain_point_id from marts.pain_point_comments").fetchall()
    assert len(ids) == 6 * 3 * 3


def _by_theme(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = con.execute(
        "select split_part(response_id, '_', 3) as theme, pain_point_id "
        "from marts.pain_point_comments"
    ).fetchall()
    out: dict[str, set[str]] = {}
    for theme, pid in rows:
        out.setdefault(theme, set()).add(pid)
    return out


def test_incremental_run_keeps_ids_adds_new_and_retires(
    con: duckdb.DuckDBPyConnection, fast_config: Config
) -> None:
    old_themes = ["export", "slow", "pricing", "crash"]
    load_staging(con, comments_frame(range(1, 7), old_themes))
    build_pain_points(con, fast_config)
    before = _by_theme(con)
    assert all(len(ids) == 1 for ids in before.values())

    # two more weeks, and a new theme appears in them
    grown = pd.concat(
        [comments_frame(range(1, 9), old_themes), comments_frame(range(7, 9), ["sso"], 4)]
    )
    load_staging(con, grown)
    result = build_pain_points(con, fast_config)
    after = _by_theme(con)
    for theme in old_themes:
        assert after[theme] == before[theme]
    (new_id,) = after["sso"]
    assert new_id == "pp_0005"
    row = result.pain_points.set_index("pain_point_id").loc[new_id]
    assert "sso" in row["label"].lower() or "sign" in row["label"].lower()
    assert row["first_seen"] >= START + pd.Timedelta(weeks=6)
    trend = con.execute(
        "select count(*) from marts.pain_point_trend where pain_point_id = ? and comments > 0",
        [new_id],
    ).fetchone()
    assert trend == (2,)
    assert bool(row["is_emerging"])

    # the pricing comments go away (say, a retention policy): its id is retired, kept
    (pricing_id,) = before["pricing"]
    last_seen = result.pain_points.set_index("pain_point_id").at[pricing_id, "last_seen"]
    without = grown[~grown["response_id"].str.contains("pricing")]
    load_staging(con, without)
    third = build_pain_points(con, fast_config)
    assert pricing_id in third.retired
    retired = con.execute(
        "select status, last_seen, comments from marts.pain_points where pain_point_id = ?",
        [pricing_id],
    ).fetchone()
    assert retired == ("retired", last_seen.to_pydatetime(), 0)
    kept = _by_theme(con)
    for theme in ["export", "slow", "crash"]:
        assert kept[theme] == before[theme]
    assert kept["sso"] == {new_id}
    ranked = con.execute("select pain_point_id from marts.pain_point_priorities").fetchall()
    assert (pricing_id,) not in ranked


def test_behaviour_links_complainers_to_their_events(
    con: duckdb.DuckDBPyConnection, fast_config: Config
) -> None:
    frame = comments_frame(range(1, 3), ["export", "slow", "pricing"], per_week=4)
    events = []
    for row in frame.itertuples():
        n_failed = 6 if "export" in row.response_id else 0
        for i in range(10):
            event = "Export Failed" if i < n_failed else "Dashboard Loaded"
            at = row.submitted_at - pd.Timedelta(days=i % 5, hours=1)
            events.append((f"{row.response_id}-{i}", row.user_id, event, at, '{"n": 1}'))
    events_frame = pd.DataFrame(
        events, columns=["event_id", "user_id", "event", "occurred_at", "properties"]
    )
    load_staging(con, frame, events_frame)
    build_pain_points(con, fast_config)
    rows = con.execute(
        "select p.label, b.respondents_value, b.others_value, b.ratio "
        "from marts.pain_point_behaviour as b join marts.pain_points as p using (pain_point_id) "
        "where b.measure = 'event_rate:Export Failed'"
    ).fetchall()
    assert len(rows) == 1
    label, mine, others, ratio = rows[0]
    assert "export" in label
    assert mine == pytest.approx(6.0)
    assert others == pytest.approx(0.5 / 16)  # none among the 16 others: floored at half an event
    assert ratio > 2


def test_property_means_compare_respondents_with_others(
    con: duckdb.DuckDBPyConnection, fast_config: Config
) -> None:
    # the numbers come from staging.events.numeric_properties (its JSON layouts are tested
    # in tests/ingest/test_numeric_properties.py): a number inside a string is no property
    # value, a list no properties
    frame = comments_frame(range(1, 3), ["export", "slow", "pricing"], per_week=4)
    events = []
    for row in frame.itertuples():
        mine = "export" in row.response_id
        for i in range(6):
            spaced = '\n\t {\n  "ms" :\t100 ,\n "n": "a: 5"}'
            properties = '{"ms":900,"note":"x"}' if mine else spaced
            at = row.submitted_at - pd.Timedelta(days=i % 5, hours=1)
            key, user = f"{row.response_id}-{i}", row.user_id
            events.append((key, user, "Dashboard Loaded", at, properties))
            events.append((f"{key}-s", user, "Search", at, '{"q": "t: 1"}'))
            events.append((f"{key}-l", user, "Listed", at, '[{"ms": 5}]'))
    events_frame = pd.DataFrame(
        events, columns=["event_id", "user_id", "event", "occurred_at", "properties"]
    )
    load_staging(con, frame, events_frame)
    build_pain_points(con, fast_config)
    rows = con.execute(
        "select p.label, b.measure, b.respondents_value, b.others_value "
        "from marts.pain_point_behaviour as b join marts.pain_points as p using (pain_point_id) "
        "where b.measure like 'property_mean:%'"
    ).fetchall()
    assert len(rows) == 1
    label, measure, mine, others = rows[0]
    assert "export" in label
    assert measure == "property_mean:Dashboard Loaded.ms"
    assert (mine, others) == (pytest.approx(900.0), pytest.approx(100.0))


def test_unchanged_responses_keep_the_clustering_and_refresh_behaviour(
    con: duckdb.DuckDBPyConnection, fast_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that only brought new events (the daily case) must not refit the clustering,
    but must recompute what reads events; new or changed responses must refit."""
    frame = comments_frame(range(1, 3), ["export", "slow", "pricing"], per_week=4)

    def events(n_failed: int) -> pd.DataFrame:
        rows = []
        for row in frame.itertuples():
            failed = n_failed if "export" in row.response_id else 0
            for i in range(10):
                event = "Export Failed" if i < failed else "Dashboard Loaded"
                at = row.submitted_at - pd.Timedelta(days=i % 5, hours=1)
                rows.append((f"{row.response_id}-{i}", row.user_id, event, at, '{"n": 1}'))
        return pd.DataFrame(
            rows, columns=["event_id", "user_id", "event", "occurred_at", "properties"]
        )

    load_staging(con, frame, events(0))
    first = build_pain_points(con, fast_config)
    assert first.refitted
    failed = (
        "select count(*) from marts.pain_point_behaviour where measure = 'event_rate:Export Failed'"
    )
    assert con.execute(failed).fetchone() == (0,)
    comments_before = con.execute("select * from marts.pain_point_comments order by 1").fetchall()

    load_staging(con, frame, events(6))  # same responses, new events
    second = build_pain_points(con, fast_config)
    assert not second.refitted and "reused" in second.k_selection
    assert con.execute(failed).fetchone() == (1,)  # the behaviour link appeared
    assert con.execute("select * from marts.pain_point_comments order by 1").fetchall() == (
        comments_before
    )
    assert list(second.pain_points["pain_point_id"]) == list(first.pain_points["pain_point_id"])
    summary = con.execute("select refitted, clustered_comments from marts.pain_point_summary")
    assert summary.fetchone() == (False, first.clustered_comments)

    changed = frame.copy()
    changed.loc[0, "score"] = 10 - changed.loc[0, "score"]  # one answer changed
    load_staging(con, changed, events(6))
    assert build_pain_points(con, fast_config).refitted
    other = parse_config({"pain_points": {"n_bootstrap": 10, "min_k": 2, "max_k": 4}})
    assert build_pain_points(con, other).refitted  # settings changed
    assert not build_pain_points(con, other).refitted
    monkeypatch.setattr(refresh_module, "_code_digest", lambda: "an upgraded labeller")
    assert build_pain_points(con, other).refitted  # the code that clusters changed


def test_a_refresh_leaves_scikit_learn_unimported(
    con: duckdb.DuckDBPyConnection, db_path: Path, fast_config: Config
) -> None:
    """A run that only adds events keeps the fit; its process need not import scikit-learn
    (~0.45 s of every scheduled increment's start-up)."""
    load_staging(con, comments_frame(range(1, 5), ["export", "slow"]))
    assert build_pain_points(con, fast_config).refitted
    con.close()
    script = (
        "import json, sys\n"
        "import duckdb\n"
        "from pmanalytics.config import parse_config\n"
        "from pmanalytics.pipeline import build_pain_points\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "result = build_pain_points(con, parse_config({'pain_points': {'n_bootstrap': 200}}))\n"
        "print(json.dumps([result.refitted, 'sklearn' in sys.modules]))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(db_path)], capture_output=True, text=True, check=True
    )
    assert json.loads(run.stdout.splitlines()[-1]) == [False, False]


def test_a_refit_reads_the_responses_for_its_fingerprint_once(
    con: duckdb.DuckDBPyConnection, fast_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pipeline checks whether a refit is due, then refits: one fingerprint serves both."""
    from pmanalytics import pipeline
    from pmanalytics.pain_points import build as build_module

    calls = []
    original = refresh_module.input_fingerprint

    def counted(con: duckdb.DuckDBPyConnection, config: Config) -> str:
        calls.append(1)
        return original(con, config)

    for module in (pipeline, build_module, refresh_module):
        monkeypatch.setattr(module, "input_fingerprint", counted, raising=False)
    load_staging(con, comments_frame(range(1, 3), ["export", "slow"]))
    assert pipeline.build_pain_points(con, fast_config).refitted
    assert len(calls) == 1


def test_a_refit_with_text_helpers_writes_what_one_without_them_writes(
    con: duckdb.DuckDBPyConnection, fast_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build hands its redaction, splitting and judging to helper processes when the
    job is large; forced here on a small one, in small chunks, with the helper ready."""
    from pmanalytics.pain_points import build as build_module
    from pmanalytics.pain_points.workers import TextWorkers

    frame = comments_frame(range(1, 7), ["export", "slow", "pricing"])
    frame.loc[0, "comment"] = "Nothing, all was perfect. Please add dark mode; mail jo@acme.example"
    load_staging(con, frame)
    tables = ["comment_clauses", "pain_points", "pain_point_comments", "delighters"]

    def snapshot() -> dict[str, pd.DataFrame]:
        return {
            t: con.execute(compose("select * from {t}", t=("marts", t)))
            .df()
            .drop(columns=["built_at"], errors="ignore")
            for t in tables
        }

    build_pain_points(con, fast_config)
    alone = snapshot()
    used: list[TextWorkers] = []

    class Ready(TextWorkers):
        def __enter__(self) -> TextWorkers:
            super().__enter__()
            assert self.wait_ready(60)
            used.append(self)
            return self

    monkeypatch.setattr(
        build_module.TextWorkers, "for_texts", classmethod(lambda cls, n: Ready(1, chunk_size=3))
    )
    refit = build_pain_points(con, fast_config, estimator=make_estimator(fast_config.pain_points))
    assert refit.refitted
    assert used and used[0].helper_chunks > 0
    for table, frame_alone in alone.items():
        pd.testing.assert_frame_equal(snapshot()[table], frame_alone, obj=table)

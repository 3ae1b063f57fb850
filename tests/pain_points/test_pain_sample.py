"""End to end on the committed sample: the planted pain points and their behaviour."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pmanalytics.config import load_config
from pmanalytics.pain_points import PainPointResult, build_pain_points
from pmanalytics.pain_points.build import make_estimator
from pmanalytics.warehouse import connect
from tests.sample_project import SampleProject

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample(
    tmp_path_factory: pytest.TempPathFactory, sample_project: SampleProject
) -> Iterator[tuple[duckdb.DuckDBPyConnection, PainPointResult]]:
    """A copy of the session's demo warehouse (ingested, built, pain points included), whose
    pain points are then built again here, as after a scheduled rerun."""
    config = load_config(REPO / "pmanalytics.toml")
    db = tmp_path_factory.mktemp("sample") / "w.duckdb"
    shutil.copy(sample_project.db, db)
    con = connect(db)
    result = build_pain_points(con, config)
    yield con, result
    con.close()


def _theme(con: duckdb.DuckDBPyConnection, pattern: str) -> pd.DataFrame:
    """Per pain point: how many of the comments matching ``pattern`` it holds."""
    return con.execute(
        "select c.pain_point_id, p.label, p.keywords, count(*) as hits "
        "from marts.pain_point_comments as c "
        "join staging.survey_responses as r using (response_id) "
        "join marts.pain_points as p using (pain_point_id) "
        "where regexp_matches(lower(r.comment), ?) group by all order by hits desc",
        [pattern],
    ).df()


def _measure(con: duckdb.DuckDBPyConnection, pain_point_id: str, measure: str) -> float:
    row = con.execute(
        "select ratio from marts.pain_point_behaviour where pain_point_id = ? and measure = ?",
        [pain_point_id, measure],
    ).fetchone()
    assert row is not None, f"{measure} not over-represented for {pain_point_id}"
    return float(row[0])


@pytest.mark.parametrize(
    ("pattern", "words", "measure", "min_ratio"),
    [
        (r"export", ("export",), "event_rate:Export Failed", 2.0),
        (
            r"slow|sluggish|laggy|forever|load times",
            ("slow", "load", "performance"),
            "property_mean:Dashboard Loaded.duration_ms",
            2.0,
        ),
        (r"crash|shuts|force clos", ("crash", "shuts"), "event_rate:App Crashed", 2.0),
    ],
    ids=["exports", "slow-dashboards", "crashes"],
)
def test_planted_pain_point_and_its_behaviour(
    sample: tuple[duckdb.DuckDBPyConnection, PainPointResult],
    pattern: str,
    words: tuple[str, ...],
    measure: str,
    min_ratio: float,
) -> None:
    con, _ = sample
    holders = _theme(con, pattern)
    top = holders.iloc[0]
    assert any(w in top["label"] or any(w in k for k in top["keywords"]) for w in words)
    assert top["hits"] >= 0.4 * holders["hits"].sum()
    assert _measure(con, top["pain_point_id"], measure) > min_ratio


def test_integration_requests_found(
    sample: tuple[duckdb.DuckDBPyConnection, PainPointResult],
) -> None:
    con, _ = sample
    top = _theme(con, r"hubspot|salesforce|pipedrive|crm").iloc[0]
    assert any(w in top["label"].lower() for w in ("hubspot", "integration", "crm"))


def test_counts_costs_and_priorities(
    sample: tuple[duckdb.DuckDBPyConnection, PainPointResult],
) -> None:
    con, result = sample
    assert result.empty_comments > 0  # "n/a", "nothing", emoji in the sample
    assert result.clustered_comments + result.empty_comments == result.comments
    assert 3 <= result.n_pain_points <= 20
    points = result.pain_points.set_index("pain_point_id")
    export_id = _theme(con, "export").iloc[0]["pain_point_id"]
    export = points.loc[export_id]
    assert export["nps_impact"] < 0  # exports cost NPS points
    assert export["nps_impact_ci_low"] <= export["nps_impact"] <= export["nps_impact_ci_high"]
    assert export["detractor_share"] > 0.5
    assert 3 <= len(export["example_comments"]) <= 5
    assert not any("@" in c for ex in points["example_comments"] for c in ex)
    ranked = con.execute(
        "select rank, pain_point_id, priority from marts.pain_point_priorities"
    ).df()
    assert list(ranked["rank"]) == list(range(1, len(ranked) + 1))
    assert ranked["priority"].is_monotonic_decreasing
    assert export_id in set(ranked["pain_point_id"].head(8))
    # share = comments ÷ distinct comments in any pain point: a comment whose clauses fall
    # in two pain points counts in both, so the shares add up to at least 1
    distinct = con.execute(
        "select count(distinct response_id) from marts.pain_point_comments"
    ).fetchone()[0]
    shares = con.execute("select comments, share from marts.pain_points").df()
    assert shares["share"].to_numpy() == pytest.approx(shares["comments"].to_numpy() / distinct)
    assert shares["share"].sum() >= 1.0


def test_rerun_keeps_ids_and_labels(
    sample: tuple[duckdb.DuckDBPyConnection, PainPointResult],
) -> None:
    con, result = sample
    config = load_config(REPO / "pmanalytics.toml")
    again = build_pain_points(con, config, estimator=make_estimator(config.pain_points))
    assert again.refitted
    cols = ["pain_point_id", "label", "comments"]
    pd.testing.assert_frame_equal(result.pain_points[cols], again.pain_points[cols])


def test_portuguese_comments_join_themes_not_one_comment_clusters(
    sample: tuple[duckdb.DuckDBPyConnection, PainPointResult],
) -> None:
    con, result = sample
    # the sample's Brazilian users write in Portuguese (PDF export, slow dashboards, praise)
    held = con.execute(
        "select c.clause, coalesce(p.comments, d.comments) as theme_comments "
        "from marts.comment_clauses as c "
        "left join marts.pain_points as p on p.pain_point_id = c.pain_point_id "
        "left join marts.delighters as d on d.pain_point_id = c.delighter_id "
        "where regexp_matches(c.clause, '(ção|ótima|muito|demoram|falha)', 'i')"
    ).fetchall()
    assert held, "the sample has Portuguese comments"
    themed = [n for _, n in held if n is not None]
    assert len(themed) >= len(held) - 1  # at most one is left as 'other'
    assert min(themed) >= 3  # each sits in a theme shared with other comments
    assert not any(
        "delighter" in label.lower() or "/" in label for label in result.pain_points["label"]
    )


def test_no_pain_point_is_praise(
    sample: tuple[duckdb.DuckDBPyConnection, PainPointResult],
) -> None:
    con, _ = sample
    kinds = con.execute(
        "select c.kind, count(*) from marts.comment_clauses as c "
        "where c.pain_point_id is not null group by c.kind"
    ).fetchall()
    assert {k for k, _ in kinds} <= {"problem", "request"}
    # a theme that promoters mostly write is praise, whatever its words (1-2 answers prove
    # nothing: "if it connected to salesforce I'd give 10" is a request from a promoter)
    promoters = con.execute(
        "select count(*) from marts.pain_points "
        "where status = 'active' and nps_responses >= 5 and nps > 50"
    ).fetchone()
    assert promoters == (0,)

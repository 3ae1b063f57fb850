"""The notebook-facing API: its namespace, metric helpers and finding the project."""

from __future__ import annotations

import math
import subprocess
import sys
import types
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pmanalytics as pma
from tests.sample_project import SampleProject


def test_the_public_namespace_is_exactly_all() -> None:
    for name in pma.__all__:  # each is imported on first use
        assert getattr(pma, name) is not None, name
    public = {
        name
        for name, value in vars(pma).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(pma.__all__)
    assert dir(pma) == sorted(pma.__all__)  # tab completion: no Path, duckdb, annotations
    for leaked in ("Path", "duckdb", "annotations", "resolve_db_path"):
        assert not hasattr(pma, leaked), leaked


def test_importing_the_package_and_the_text_helpers_module_stays_light() -> None:
    """A text helper process imports only ``pain_points.clauses``: neither the pipeline
    nor scikit-learn (their ~1.5 s would delay its first chunk), and ``import pmanalytics``
    alone imports no part of the pipeline until a name is used."""
    probe = (
        "import sys, pmanalytics, pmanalytics.pain_points.clauses;"
        "print(sorted(m for m in ('sklearn', 'scipy', 'duckdb', 'pandas', 'pmanalytics.pipeline',"
        " 'pmanalytics.ingest') if m in sys.modules));"
        "pmanalytics.nps([10]);"
        "print('pmanalytics.metrics' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["[]", "True"]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        pma.nope  # noqa: B018


def test_metric_helpers_by_hand() -> None:
    # 10, 9 promoters; 8 passive; 6, 0 detractors: 100 × (2 − 2) / 5
    assert pma.nps([10, 9, 8, 6, 0]) == 0.0
    assert pma.nps([10, None, math.nan]) == 100.0  # missing scores are left out
    assert math.isnan(pma.nps([]))
    assert pma.csat([5, 4, 3, 1]) == 50.0
    assert pma.ces([2, 4]) == 3.0
    # nps se = 100·√((p + d − (p − d)²) / n) = 100·√(0.8 / 5) = 40 → 0 ± 78.4
    score = pma.survey_score("nps", [10, 9, 8, 6, 0])
    assert (score.responses, score.score) == (5, 0.0)
    assert (score.ci_low, score.ci_high) == pytest.approx((-78.4, 78.4))
    one = pma.survey_score("ces", [5])
    assert (one.score, one.ci_low, one.ci_high) == (5.0, None, None)  # no sd of one
    assert pma.survey_score("csat", [5, 5]).ci_high == 100.0  # clipped to the scale
    with pytest.raises(ValueError, match="unknown metric"):
        pma.survey_score("ltv", [1])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=40))
def test_nps_is_the_share_difference(scores: list[int]) -> None:
    promoters = sum(s >= 9 for s in scores) / len(scores)
    detractors = sum(s <= 6 for s in scores) / len(scores)
    assert pma.nps(scores) == pytest.approx(100 * (promoters - detractors))
    low, high = pma.survey_score("nps", scores).ci_low, pma.survey_score("nps", scores).ci_high
    assert -100 <= low <= pma.nps(scores) <= high <= 100


def test_metric_helpers_equal_the_mart(sample_project: SampleProject) -> None:
    """On the sample, each metric over all responses is the mart's all-time row."""
    con = duckdb.connect(str(sample_project.db), read_only=True)
    try:
        for metric in ("nps", "csat", "ces"):
            scores = [
                r[0]
                for r in con.execute(
                    "select score from staging.survey_responses where metric = ?", [metric]
                ).fetchall()
            ]
            row = con.execute(
                "select responses, score, ci_low, ci_high from marts.kpi_survey_scores "
                "where metric = ? and period = 'all_time' and segment = 'all'",
                [metric],
            ).fetchone()
            ours = pma.survey_score(metric, scores)
            assert (ours.responses, ours.score, ours.ci_low, ours.ci_high) == pytest.approx(row)
    finally:
        con.close()


def test_connect_finds_the_project_from_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jupyter runs a notebook in notebooks/: the project's config is one folder up."""
    (tmp_path / "pmanalytics.toml").write_text('[warehouse]\npath = "data/w.duckdb"\n')
    (tmp_path / "data").mkdir()
    duckdb.connect(str(tmp_path / "data" / "w.duckdb")).close()
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    monkeypatch.chdir(notebooks)
    monkeypatch.delenv("PMA_DB_PATH", raising=False)
    assert pma.find_config() == tmp_path / "pmanalytics.toml"
    con = pma.connect()
    try:
        (path,) = con.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchone()
        assert Path(path).resolve() == (tmp_path / "data" / "w.duckdb").resolve()
    finally:
        con.close()

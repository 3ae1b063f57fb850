"""Clauses, their sentiment and kind, and complaints kept apart from praise end to end."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd
import pytest

from pmanalytics.config import parse_config
from pmanalytics.pain_points import ClauseJudge, build_pain_points, split_clauses
from pmanalytics.pain_points.phrases import clean_phrase
from tests.pain_points.helpers import load_staging

MIXED = "Love the dashboards but exports keep failing"


@pytest.mark.parametrize(
    ("comment", "clauses"),
    [
        (MIXED, ["Love the dashboards", "exports keep failing"]),
        (
            "Although the app is nice, it crashes a lot. Please add dark mode!",
            ["the app is nice", "it crashes a lot.", "Please add dark mode!"],
        ),
        ("Support was slow; however they fixed it.", ["Support was slow", "they fixed it."]),
        # a short sentence after another says how that one felt: it stays with it
        (
            "Got lost after creating a project. Very frustrating.",
            ["Got lost after creating a project. Very frustrating."],
        ),
        ("Version 2.5 is fine", ["Version 2.5 is fine"]),
        ("n/a", []),
        ("O app é ótimo, mas a exportação falha.", ["O app é ótimo", "a exportação falha."]),
    ],
)
def test_split_clauses(comment: str, clauses: list[str]) -> None:
    assert split_clauses(comment) == clauses


def test_kinds_from_the_text_alone() -> None:
    texts = [
        "exports keep failing",
        "Love the dashboards",
        "please add dark mode",
        "how do I change my password?",
        "I use it every day",
        "the price is too high for a small team",
    ]
    _, sentiment, kind = ClauseJudge().judge(texts)  # no vectors: the lexicon alone
    assert kind == ["problem", "praise", "request", "request", "other", "problem"]
    assert sentiment[0] == "negative" and sentiment[1] == "positive"


@pytest.mark.parametrize(
    ("clause", "label"),
    [
        ("Hi, the PDF export keeps failing!!", "The PDF export keeps failing"),
        ("PRICING IS STEEP COMPARED TO ALTERNATIVES", "Pricing is steep compared to alternatives"),
        ("Otherwise great.", "Great"),
        ("dashboard keeps timing out when i", "Dashboard keeps timing out"),
    ],
)
def test_clauses_become_clean_labels(clause: str, label: str) -> None:
    assert clean_phrase(clause) == label


# complaints in two obvious groups, praise in two, one comment holding one of each
EXPORTS = [
    "PDF export keeps failing",
    "the csv export fails every time",
    "exports fail with an error",
    "export to PDF is broken",
]
SLOW = [
    "dashboards are painfully slow to load",
    "the dashboard takes forever to load",
    "loading a dashboard is so slow",
    "slow dashboards, loading takes ages",
]
LOVE_SUPPORT = [
    "support was wonderful and helpful",
    "the support team is great",
    "great support, very helpful people",
]
LOVE_DASHBOARDS = ["love the dashboards", "the dashboards are beautiful", "great dashboards"]


def _frame(texts: list[str]) -> pd.DataFrame:
    start = datetime(2026, 1, 5, 9)
    return pd.DataFrame(
        [
            (f"r{i:02d}", f"u{i:02d}", "nps", 5.0, start + timedelta(hours=i), text)
            for i, text in enumerate(texts)
        ],
        columns=["response_id", "user_id", "metric", "score", "submitted_at", "comment"],
    )


def test_complaints_and_praise_split_and_group_as_a_person_would(
    con: duckdb.DuckDBPyConnection,
) -> None:
    texts = [*EXPORTS, *SLOW, *LOVE_SUPPORT, *LOVE_DASHBOARDS, MIXED]
    load_staging(con, _frame(texts))
    result = build_pain_points(con, parse_config({"pain_points": {"n_bootstrap": 10}}))
    clauses = con.execute(
        "select response_id, clause, kind, pain_point_id, delighter_id "
        "from marts.comment_clauses order by response_id, clause_no"
    ).df()

    def groups(column: str) -> set[frozenset[str]]:
        held = clauses.dropna(subset=[column])
        return {frozenset(g["clause"]) for _, g in held.groupby(column)}

    mixed = len(texts) - 1
    assert groups("pain_point_id") == {
        frozenset([*EXPORTS, "exports keep failing"]),
        frozenset(SLOW),
    }
    assert groups("delighter_id") == {
        frozenset(LOVE_SUPPORT),
        frozenset([*LOVE_DASHBOARDS, "Love the dashboards"]),
    }
    # the mixed comment feeds exactly one pain point and one delighter
    rows = clauses[clauses["response_id"] == f"r{mixed:02d}"]
    assert rows["kind"].tolist() == ["praise", "problem"]
    assert rows["delighter_id"].notna().tolist() == [True, False]
    assert rows["pain_point_id"].notna().tolist() == [False, True]
    assert set(result.pain_points["kind"]) == {"problem"}
    assert set(result.delighters["kind"]) == {"praise"}
    labels = result.pain_points["label"].tolist() + result.delighters["label"].tolist()
    assert all(2 <= len(label.split()) <= 6 for label in labels)
    assert len(set(labels)) == len(labels)

"""Clauses, their sentiment and kind, and complaints kept apart from praise end to end."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from pmanalytics.config import parse_config
from pmanalytics.pain_points import ClauseJudge, build_pain_points, split_clauses
from pmanalytics.pain_points.phrases import CentralPhraseLabeller, clean_phrase, is_fragment
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


def test_asks_and_complaint_cues_are_found_in_any_letter_case() -> None:
    """The request and complaint-cue patterns are searched in the lower-cased clause."""
    texts = ["PLEASE ADD DARK MODE", "Could You add a CSV export", "I CAN'T FIND the Export",
             "Setup was HARD TO follow", "I use it every day"]  # fmt: skip
    score, _, kind = ClauseJudge().judge(texts)
    assert kind[:2] == ["request", "request"]
    cue_score = ClauseJudge().cue_score
    assert cue_score is not None
    assert score[2] >= cue_score and score[3] >= cue_score  # a complaint cue, shouted or not
    assert score[4] < cue_score and kind[4] == "other"


@pytest.mark.parametrize(
    ("clause", "label"),
    [
        ("Hi, the PDF export keeps failing!!", "The PDF export keeps failing"),
        ("PRICING IS STEEP COMPARED TO ALTERNATIVES", "Pricing is steep compared to alternatives"),
        ("Otherwise great.", "Great"),
        ("dashboard keeps timing out when i", "Dashboard keeps timing out"),
        ("I love it!", "I love it"),  # an object, not a dangling word
        ("Thank you so much ❤️", "Thank you so much"),  # gratitude is a theme; emoji go
        ("Because the staff were kind", "The staff were kind"),
    ],
)
def test_clauses_become_clean_labels(clause: str, label: str) -> None:
    assert clean_phrase(clause) == label


@pytest.mark.parametrize(
    "label", ["When you used the ambulance service", "And the food", "With the staff", ""]
)
def test_fragments_are_never_labels(label: str) -> None:
    assert is_fragment(label)


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


@pytest.mark.parametrize(
    ("clause", "kind"),
    [
        ("Nothing could do better", "other"),
        ("Nothing could be better.", "other"),
        ("Nothing could have been done better", "other"),
        ("Can't think of anything", "other"),
        ("Nothing I can think of", "other"),
        ("No complaints at all", "other"),
        ("Not a lot.", "other"),
        ("nothing to improve", "other"),
        ("You could not do anything better", "other"),
        ("No need for improvement", "other"),
        ("Could not fault the staff", "other"),
        ("Improve arrival time", "request"),
        ("Nothing, everything was perfect", "praise"),
        ("Nothing works, the app keeps crashing", "problem"),
        ("No way to export my data", "problem"),
        ("The food could have been better", "request"),
        ("Quicker response", "request"),
        ("Faster than the old app!", "other"),  # a comparison, not an ask
        ("I use it every day", "other"),
        # NHS answers to "what could we do better?" once ranked as pain points
        ("Cannot think of any other thing.", "other"),
        ("Could have done nothing better.", "other"),
        ("You could have done nothing better thank you.", "other"),
        ("on this occasion cannot think of anything", "other"),
        ("Problem resolved itself.", "other"),
        ("Couldn’t make any complaints.", "other"),
        ("You could have not done anything better.", "other"),
        ("Thiers nothing else that could have Been done differently.", "other"),
        ("On this occasion, I don’t think there was anything else you could have done.", "other"),
        ("No everything is OK.", "other"),
        # lukewarm verdicts and contact details judge nothing
        ("ok", "praise"),  # a satisfied customer's one word
        ("It's ok.", "other"),
        ("fine for now", "other"),
        ("You can reach me at [email]", "other"),
        # praise a lexicon reads as a complaint
        ("Nothing was too much trouble", "praise"),
        ("Could not get any better", "praise"),
        ("I can't thank you all enough", "praise"),
        ("They could not help me enough", "praise"),
        ("Service is difficult to improve", "praise"),
        ("Couldn't wish for better.", "praise"),
        ("You can't improve perfect", "praise"),
        ("Could not have been happier", "praise"),
        ("Cannot better this.", "praise"),
        ("Nothing at all, could not have been happier.", "praise"),
        # ... and the complaints next to them
        ("They could not help me", "problem"),
        ("It was difficult to get help", "problem"),
        ("Please call me back, nobody did", "request"),
        ("The app is ok but exports fail", "problem"),
    ],
)
def test_satisfied_answers_are_never_complaints(clause: str, kind: str) -> None:
    _, _, kinds = ClauseJudge().judge([clause])
    assert kinds == [kind]


@pytest.mark.parametrize(
    "comment",
    [
        "Not sure",
        "Don't know.",
        "Because you asked",
        "N/A",
        "no comment",
        "Ugh.",
        # NHS answers that once named a pain point ("I have no idea") or were judged praise
        "I have no idea!",
        "I honestly don’t know.",
        "I'm not sure",
        "No comment/complaint",
        "See previous comments.",
    ],
)
def test_content_free_answers_have_no_clauses(comment: str) -> None:
    assert split_clauses(comment) == []


@pytest.mark.parametrize(
    "comment", ["I don't know how to export my data", "No idea where the settings went"]
)
def test_not_knowing_something_is_content(comment: str) -> None:
    assert split_clauses(comment) != []


# answers to "What could we do better?" in the NHS Friends-and-Family Test's words: two
# obvious complaints, and satisfied or content-free answers that must never rank as pain
WAITING = [
    "The waiting time was far too long",
    "Waited too long to be seen",
    "the wait to be seen was too long",
    "Long waiting times were a problem",
]
FOOD = ["The food was cold and tasteless", "food was cold and tasteless", "Cold, awful food"]
SATISFIED = [
    "Nothing could do better",
    "Nothing could do better.",
    "Nothing could be better",
    "Nothing",
    "Not sure",
    "N/A",
    "no comment",
    "Because you asked",
    "Can't think of anything",
    "Don't know",
    "Nothing, everything was perfect",
]


def test_survey_only_answers_rank_complaints_by_their_csat_cost(
    con: duckdb.DuckDBPyConnection,
) -> None:
    texts = [*WAITING, *FOOD, *SATISFIED]
    # CSAT 1–5, no events: complaints score 1–2, the satisfied answers 5
    frame = _frame(texts).assign(metric="csat", score=[2.0] * 7 + [5.0] * len(SATISFIED))
    load_staging(con, frame)
    result = build_pain_points(con, parse_config({"pain_points": {"n_bootstrap": 50}}))
    held = con.execute(
        "select clause, kind from marts.comment_clauses where pain_point_id is not null"
    ).fetchall()
    assert {clause for clause, _ in held} == {*WAITING, *FOOD}
    satisfied = con.execute(
        "select clause, kind from marts.comment_clauses where response_id >= 'r07'"
    ).fetchall()
    assert {kind for _, kind in satisfied} <= {"other", "praise"}
    assert all(not is_fragment(label) for label in result.pain_points["label"])
    ranked = result.priorities
    assert set(ranked["score_metric"]) == {"csat"}
    assert (ranked["priority"] > 0).all() and not ranked["uses_retention"].any()
    # CSAT: 11 of 18 answers are 4–5 (61.1); without the 4 waiting complaints 11 of 14
    # (78.6): the waiting theme costs 17.5 CSAT points
    waiting = ranked[ranked["label"].str.contains("wait", case=False)].iloc[0]
    assert waiting["score_cost"] == pytest.approx(100 * 11 / 14 - 100 * 11 / 18)


def _cluster_of(texts_and_vectors: list[tuple[str, list[float]]]) -> tuple[list[str], np.ndarray]:
    texts = [t for t, _ in texts_and_vectors]
    return texts, np.asarray([v for _, v in texts_and_vectors], dtype=np.float32)


def test_a_complaint_theme_is_named_by_a_complaint_not_a_plain_statement() -> None:
    # the plain statement is the most frequent and the most central; the judge put it here
    texts, vectors = _cluster_of(
        [("Ambulance was on time", [1.0, 0.05])] * 4
        + [("The ambulance wait was awful", [0.9, 0.3])] * 2
        + [("Ambulance took hours", [0.8, 0.4])]
    )
    labels = np.zeros(len(texts), dtype=np.int64)
    plain = CentralPhraseLabeller().describe(texts, labels, 1, vectors=vectors)
    assert plain[0].label == "Ambulance was on time"
    toned = CentralPhraseLabeller(tone="negative").describe(texts, labels, 1, vectors=vectors)
    assert toned[0].label == "The ambulance wait was awful"


def test_a_praise_theme_without_worded_short_clauses_is_named_by_a_piece() -> None:
    texts, vectors = _cluster_of(
        [("Clean UI, does exactly what we need and more", [1.0, 0.0])] * 4
        + [("The UI feels a bit dated", [0.7, 0.7])]
    )
    pieces = {
        "Clean UI": [1.0, 0.0],
        "Does exactly what we need and more": [0.9, 0.1],
        "The UI feels a bit dated": [0.7, 0.7],
    }
    labeller = CentralPhraseLabeller(tone="positive")
    described = labeller.describe(
        texts,
        np.zeros(len(texts), dtype=np.int64),
        1,
        vectors=vectors,
        embed=lambda phrases: np.asarray([pieces[p] for p in phrases], dtype=np.float32),
    )
    assert described[0].label == "Clean UI"


def test_a_theme_written_in_one_word_is_named_by_it() -> None:
    texts, vectors = _cluster_of(
        [("Good", [1.0, 0.0])] * 4 + [("great.", [0.6, 0.8])] + [("Fine for now", [0.8, -0.6])]
    )
    described = CentralPhraseLabeller(tone="positive").describe(
        texts, np.zeros(len(texts), dtype=np.int64), 1, vectors=vectors
    )
    assert described[0].label == "Good"

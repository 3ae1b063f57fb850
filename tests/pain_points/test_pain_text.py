"""Comment hygiene: "no content" detection, and redaction taken from pmanalytics.pii."""

from __future__ import annotations

import pytest

from pmanalytics.pain_points.text import has_content, redact_pii


def test_comments_are_redacted_by_the_pii_module() -> None:
    # the redaction cases that were here are in tests/test_pii.py, run against the same
    # function: pain points take it from pmanalytics.pii, nothing of their own
    from pmanalytics import pii

    assert redact_pii is pii.redact_pii
    assert redact_pii("mail me at liam.brown52@gringotts.example!") == "mail me at [email]!"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "n/a",
        "N/A",
        "nothing",
        "Nothing.",
        "-",
        ".",
        "Did not answer",
        "none",
        "👍",
        "🙂 ",
        "!!!",
        "no comment",
        None,
        "x",
        "Not sure",
        "I don't know.",
        "Because you asked",
        "Because it's true",
        "Ugh",
    ],
)
def test_no_content(text: str | None) -> None:
    assert not has_content(text)


@pytest.mark.parametrize(
    "text",
    ["slow", "ok", "PDF export fails", "n/a for us, exports fail", "Not sure how to export"],
)
def test_content(text: str) -> None:
    assert has_content(text)


def test_signatures_from_a_sample_match_the_full_centroid() -> None:
    import numpy as np

    from pmanalytics.pain_points.representation import hashed_signatures

    rng = np.random.default_rng(1)
    words = ["export", "failed", "pdf", "csv", "slow", "dashboard", "loading", "again", "please"]
    texts = [" ".join(rng.choice(words, 6)) for _ in range(3000)]
    labels = np.array([0] * 2000 + [1] * 1000)
    full = hashed_signatures(texts, labels, 2, max_per_cluster=10_000)
    sampled = hashed_signatures(texts, labels, 2, max_per_cluster=300)
    assert (full * sampled).sum(axis=1).min() > 0.99  # cosine, rows are L2-normalised
    again = hashed_signatures(texts, labels, 2, max_per_cluster=300)
    assert np.array_equal(sampled, again)  # seeded: same data, same signature

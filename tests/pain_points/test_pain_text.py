"""PII redaction and "no content" detection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmanalytics.pain_points.text import has_content, redact_pii


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at liam.brown52@gringotts.example!", "mail me at [email]!"),
        ("First.Last+tag@sub.domain.co.uk wrote", "[email] wrote"),
        ("call +44 20 7946 0958 please", "call [phone] please"),
        ("ring (555) 123-4567", "ring [phone]"),
        ("mobile 07700 900123.", "mobile [phone]."),
        ("+1-202-555-0143", "[phone]"),
        ("card 4111 1111 1111 1111 ok", "card [card] ok"),
        ("4111-1111-1111-1111", "[card]"),
        ("amex 378282246310005", "amex [card]"),
        ("see https://x.example/reset?token=abc123.", "see [url]."),
        ("https://app.example/share#k=1", "[url]"),
        ("https://a.example/s/AbCdEfGhIjKlMnOpQrStUv", "[url]"),
        ("www.example.com/login?user=bob", "[url]"),
    ],
)
def test_redacts_pii(text: str, expected: str) -> None:
    assert redact_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "takes 15s, error 500 on 2026-08-03",
        "version 2.3.1 and 1,000,000 rows",
        "see https://beacon.example/pricing for plans",
        "export to PDF fails 3 times a day",
        "$49 per seat is too much",
        "it's 10:30 and still loading",
    ],
)
def test_keeps_what_is_not_pii(text: str) -> None:
    assert redact_pii(text) == text


def test_redaction_of_nothing() -> None:
    assert redact_pii(None) == ""
    assert redact_pii("") == ""


@given(st.from_regex(r"[a-z]{1,8}\.[a-z]{1,8}@[a-z]{2,8}\.example", fullmatch=True))
def test_any_email_is_removed(email: str) -> None:
    out = redact_pii(f"contact {email} today")
    assert "@" not in out
    assert out == "contact [email] today"


@given(st.lists(st.integers(0, 9), min_size=16, max_size=16))
def test_any_16_digit_card_is_removed(digits: list[int]) -> None:
    number = "".join(map(str, digits))
    grouped = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    for form in (number, grouped):
        out = redact_pii(f"my card {form} thanks")
        assert not any(c.isdigit() for c in out)


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
    ],
)
def test_no_content(text: str | None) -> None:
    assert not has_content(text)


@pytest.mark.parametrize("text", ["slow", "ok", "PDF export fails", "n/a for us, exports fail"])
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

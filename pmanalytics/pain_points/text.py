"""Comment hygiene: PII redaction and "no content" detection, as pure functions.

Redaction runs before a comment is clustered, labelled or stored, so that nothing a
respondent typed about themselves (an email, a phone or card number, a URL carrying a
token) can reach a mart, a keyword list or a report.
"""

from __future__ import annotations

import re
import unicodedata

EMAIL_TOKEN = "[email]"
PHONE_TOKEN = "[phone]"
CARD_TOKEN = "[card]"
URL_TOKEN = "[url]"

_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# 13–19 digits, optionally grouped by single spaces or dashes (card numbers as people type them)
_CARD = re.compile(r"(?<![\w+])\d(?:[ -]?\d){12,18}(?![\w])")
# a run of digits and phone punctuation, validated below by its digit count
_PHONE = re.compile(r"(?<![\w.])(?:\+|\(\+?)?\d[\d ().\-]{5,}\d(?![\w])")
_DIGIT = re.compile(r"\d")
_NOT_WORD = re.compile(r"[\W_]+")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TOKENISH = re.compile(r"[A-Za-z0-9_\-]{20,}")
_TRAILING = ".,;:!?)]}'\""

#: Normalised fillers that say nothing (compared after lower-casing and stripping punctuation).
FILLERS = frozenset(
    {
        "na",
        "n a",
        "none",
        "nothing",
        "no",
        "nope",
        "nil",
        "null",
        "nan",
        "no comment",
        "no comments",
        "nothing to add",
        "nothing to say",
        "nothing else",
        "nothing really",
        "none really",
        "nothing at all",
        "not applicable",
        "not answered",
        "did not answer",
        "didnt answer",
        "no answer",
        "no response",
        "test",
    }
)

_LONGEST_FILLER = max(map(len, FILLERS))


def _redact_url(match: re.Match[str]) -> str:
    """Keep a plain link (it may be the point of the comment); drop one that carries data."""
    url = match.group(0)
    tail = ""
    while url and url[-1] in _TRAILING:
        url, tail = url[:-1], url[-1] + tail
    path = url.split("://", 1)[-1]
    if any(c in path for c in "?#=@") or _TOKENISH.search(path):
        return URL_TOKEN + tail
    return url + tail


def _redact_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(c.isdigit() for c in text)
    if not 8 <= digits <= 15 or _ISO_DATE.match(text.strip()):
        return text
    return PHONE_TOKEN


def redact_pii(text: str | None) -> str:
    """Replace emails, URLs with query strings or tokens, card-like and phone numbers.

    Order matters: URLs first (they may hold an email or digits), then emails, then
    card-like numbers (13–19 digits) before phone numbers (8–15 digits), so a card is not
    half-eaten as a phone. ``None`` becomes ``""``.
    """
    if not text:
        return ""
    out = text
    # each pattern needs a character most comments lack: skip its regex when that is absent
    lowered = text.lower()
    if "http" in lowered or "www." in lowered:
        out = _URL.sub(_redact_url, out)
    if "@" in out:
        out = _EMAIL.sub(EMAIL_TOKEN, out)
    if _DIGIT.search(out):
        out = _CARD.sub(CARD_TOKEN, out)
        out = _PHONE.sub(_redact_phone, out)
    return out


def _normalise(text: str) -> str:
    kept = [
        c if unicodedata.category(c)[0] in "LN" else " "
        for c in unicodedata.normalize("NFKC", text)
    ]
    return " ".join("".join(kept).lower().split())


def has_content(text: str | None) -> bool:
    """False for comments that say nothing: empty, whitespace, punctuation, emoji, fillers.

    A comment needs at least two letters or digits and must not be a known filler such as
    "n/a", "nothing", "-" or "Did not answer". Such comments are counted, never clustered.
    """
    if not isinstance(text, str):  # None, or a missing value from pandas
        return False
    if len(_NOT_WORD.sub("", text[:200])) > _LONGEST_FILLER:
        return True  # more letters than any filler has: no need to normalise every character
    normal = _normalise(text)
    if sum(c.isalnum() for c in normal) < 2:
        return False
    return normal not in FILLERS

"""PII detection and redaction for customer free text, as pure functions.

Every comment is redacted before it is clustered, labelled, stored or shown, so nothing a
respondent typed about themselves reaches a mart, a keyword list or a report. Detection
runs on an NFKC-normalised copy of the text (a full-width ``＠`` becomes ``@``, full-width
digits become ASCII, zero-width characters are dropped) and each span found is mapped
back to the original text, which is where it is replaced by a bracketed token.

Checks with a checksum (Luhn for cards, ISO 13616 mod-97 for IBANs, mod 11 for NHS
numbers) keep false positives low on the numbers customers write every day. Each detector
is skipped when a cheap character test says its kind cannot be present (no digit, no
``@``), which keeps 100k comments within a few seconds. See ``docs/pii.md``.

The module is longer than most here because each kind's pattern, its check and the test
that gates it are kept side by side. The overlap rule in ``find_pii`` needs them all in one place.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable, Iterator

#: The token that replaces each kind (several kinds share one).
TOKENS: dict[str, str] = {
    "email": "[email]",
    "email_obfuscated": "[email]",
    "url": "[url]",
    "iban": "[iban]",
    "card": "[card]",
    "card_security": "[card-security]",
    "nhs_number": "[id]",
    "ssn": "[id]",
    "ni_number": "[id]",
    "long_number": "[id]",
    "ip": "[ip]",
    "phone": "[phone]",
    "address": "[address]",
    "postcode": "[postcode]",
    "date_of_birth": "[dob]",
}

Span = tuple[str, int, int]

# ---------------------------------------------------------------------------------------
# Patterns (run on the normalised text)
# ---------------------------------------------------------------------------------------
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_BARE_URL = re.compile(
    r"(?<![\w@./])[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/[^\s<>\"']*[?#=][^\s<>\"']*", re.IGNORECASE
)
_DIGIT_RUN = re.compile(r"\d(?:[\s.()+/\-–:]{0,3}\d)*")
_TOKENISH = re.compile(r"[A-Za-z0-9_\-]{20,}")
_TRAILING = ".,;:!?)]}'\""
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")

_AT = r"(?:\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+|\s*@\s*)"
_DOT = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+|\s?\.\s?)"
_WEBMAIL = r"(?:gmail|googlemail|hotmail|yahoo|outlook|icloud|aol|protonmail)"
_TLD = r"(?:com|org|net|edu|gov|io|co|uk|us|de|fr|ie|info|biz|me|example)"
_EMAIL_OBFUSCATED = re.compile(
    rf"\b[\w+-]+(?:{_DOT}[\w+-]+)*{_AT}"
    rf"(?:[\w-]+(?:{_DOT}[\w-]+)*{_DOT}{_TLD}|{_WEBMAIL})\b",
    re.IGNORECASE,
)
# " at " then a domain (on lower-cased text): the literal prefix makes the search fast
_AT_DOMAIN = re.compile(rf" at (?:[\w-]+(?:\s?\.\s?[\w-]+)*\s?\.\s?{_TLD}\b|{_WEBMAIL}\b)")
_OBFUSCATION_CUE = re.compile(r"[\[({<]\s*(?:at|dot)\s*[\])}>]|\sdot\s|\s@|@\s", re.IGNORECASE)

# 13–19 digits grouped by spaces, dashes, dots or slashes (spaced or not)
_CARD = re.compile(r"(?<![\w+.,/])\d(?:(?: ?[.\-–/] ?|  ?)?\d){12,18}(?![\w]|[.,/]\d)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]){11,30}\b", re.IGNORECASE)
_EXPIRY = re.compile(
    r"\b(?:exp(?:iry|ires|iration)?\.?(?:\s+date)?|valid\s+(?:thru|through|until)|expires\s+on)"
    r"\s*(?:is|on|:|-|=)?\s*((?:0?[1-9]|1[0-2])\s?[/\-.]\s?(?:20)?\d{2})\b",
    re.IGNORECASE,
)
_CVV = re.compile(
    r"\b(?:cvv2?|cvc2?|csc|cid|cv2|security\s+(?:code|number|no\.?)|"
    r"card\s+verification(?:\s+(?:code|value|number))?|3[\s-]digit\s+code)"
    r"(?:\s+(?:on|at)\s+the\s+back)?\s*(?:is|was|:|=|-|#|no\.?|number)?\s*:?\s*(\d{3,4})\b",
    re.IGNORECASE,
)
_MONTHS = r"jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_DOB = re.compile(
    r"\b(?:born(?:\s+on)?|dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*date|birthday)"
    r"(?:\s+(?:is|was))?\s*[:\-]?\s*"
    r"((?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)?\d{2}|(?:19|20)\d{2}-\d{2}-\d{2}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})[a-z]*\.?,?\s+(?:19|20)\d{{2}}"
    rf"|(?:{_MONTHS})[a-z]*\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}))\b",
    re.IGNORECASE,
)
_DOB_CUES = ("born", "dob", "d.o.b", "birth")
_CARD_SECURITY_CUES = ("exp", "valid", "cv", "csc", "cid", "security", "verification", "digit")
_NHS = re.compile(r"(?<![\w+])(?<!\d\.)\d{3}[ -]?\d{3}[ -]?\d{4}(?![\w]|[.,]\d)")
_SSN = re.compile(r"(?<![\w+.])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w])")
_SSN_CUED = re.compile(
    r"\b(?:ssn|social\s+security(?:\s+(?:number|no\.?|#))?)\s*(?:is|:|#)?\s*(\d{9})\b",
    re.IGNORECASE,
)
_NI_GATE = re.compile(r"\d\d[\s-]?\d\d[\s-]?\d\d[\s-]?[A-D]\b", re.IGNORECASE)
_NI = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"[\s-]?\d{2}[\s-]?\d{2}[\s-]?\d{2}[\s-]?[A-D]\b",
    re.IGNORECASE,
)
_IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])", re.IGNORECASE)
_VERSION_CUE = re.compile(r"\b(?:v|version|ver\.?|release|build)\s*$", re.IGNORECASE)
# today's phone rule: a run of digits and phone punctuation holding 8–15 digits
_PHONE = re.compile(
    r"(?<![\w.])((?:\+|\(\+?)?\d[\d ().\-]{5,}\d)"
    r"(?:\s?(?:x|ext\.?|extn\.?|extension)\s?\d{1,5})?(?![\w])",
    re.IGNORECASE,
)
# not a phone: an ISO date, a year range ("2006-2010"), a dotted date, a decimal ("24.5")
_NOT_PHONE = re.compile(
    r"^\d{4}-\d{2}-\d{2}$|^(?:19|20)\d\d ?- ?(?:19|20)\d\d$|"
    r"(?<!\d)\d{1,2}\.\d{1,2}\.(?:19|20)?\d\d(?!\d)|\.\d(?!\d)"
)

_STREET_TYPES = (
    r"street|st|road|rd|avenue|ave|av|lane|ln|drive|dr|way|close|cl|crescent|cres|"
    r"boulevard|blvd|court|ct|place|pl|square|sq|terrace|terr|grove|gardens|gdns|mews|"
    r"parkway|pkwy|highway|hwy|circle|cir|row|walk|hill|park|rise|green|view|"
    r"place|plaza|trail|broadway"
)
# the street name: one to four capitalised words (a lower-case name needs an address cue)
# ("St." may end in a dot, "Petite." may not: a full stop ends the sentence, not the name)
_NAME_WORD = r"(?:[A-Z][\w'’-]*|[A-Z][a-z]{0,2}\.|\d+(?:st|nd|rd|th))"
_ADDRESS = re.compile(
    rf"\d{{1,5}}[A-Za-z]?(?:\s?[-/]\s?\d{{1,5}})?,?\s+(?:{_NAME_WORD}\s+){{1,4}}"
    rf"(?i:{_STREET_TYPES})\b\.?"
)
_ADDRESS_CUED = re.compile(
    rf"(?i:\b(?:address(?:\s+is)?|live\s+at|lives\s+at|living\s+at|moved\s+to|"
    rf"deliver(?:ed|y)?\s+to|sent\s+to|send\s+(?:it\s+)?to)\s*:?\s*)"
    rf"(\d{{1,5}}[A-Za-z]?,?\s+(?:[a-z][\w'’.-]*\s+){{1,4}}(?i:{_STREET_TYPES})\b\.?)"
)
_ADDRESS_CUES = ("address", "live", "living", "moved", "deliver", "sent", "send")
_NOT_A_NAME = frozenset(
    re.findall(
        r"\w+",
        "the a an of on in at for and or to my our your their this that these those with by "
        "from hours hour minutes mins days weeks months years times people pairs items "
        "stars star sizes size",
    )
)
# the UK inward code never uses C, I, K, M, O or V
_UK_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE
)
_UK_INWARD = re.compile(r"\d[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE)
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|"
    "NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
_FIVE_DIGITS = re.compile(r"\d{5}")
_US_STATE_NAMES = (
    "alabama|alaska|arizona|arkansas|california|colorado|connecticut|delaware|florida|"
    "georgia|hawaii|idaho|illinois|indiana|iowa|kansas|kentucky|louisiana|maine|maryland|"
    "massachusetts|michigan|minnesota|mississippi|missouri|montana|nebraska|nevada|"
    "new hampshire|new jersey|new mexico|new york|north carolina|north dakota|ohio|oklahoma|"
    "oregon|pennsylvania|rhode island|south carolina|south dakota|tennessee|texas|utah|"
    "vermont|virginia|washington|west virginia|wisconsin|wyoming"
)
_US_ZIP = re.compile(rf"\b(?:{_US_STATES}|(?i:{_US_STATE_NAMES})),?\s+(\d{{5}}(?:-\d{{4}})?)\b")

#: IBAN length by country (ISO 13616 registry), for the length check before mod-97.
_IBAN_LENGTHS: dict[str, int] = {
    m[:2]: int(m[2:])
    for m in re.findall(
        r"[A-Z]{2}\d\d",
        "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 "
        "DJ27 DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 "
        "HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 "
        "MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 "
        "RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 "
        "VA22 VG24 XK20 YE30 ",
    )
}


# ---------------------------------------------------------------------------------------
# Checksums
# ---------------------------------------------------------------------------------------
def luhn_valid(digits: str) -> bool:
    """The Luhn check every payment card number passes (and 9 in 10 random numbers fail)."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = ord(c) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """ISO 13616: the country's length, then the mod-97 check of the rearranged number."""
    iban = candidate.replace(" ", "").replace("-", "").upper()
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def nhs_valid(digits: str) -> bool:
    """NHS number: weights 10..2 on the first nine digits, mod 11, against the tenth."""
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    check = 11 - sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


# ---------------------------------------------------------------------------------------
# Detectors: each yields (kind, start, end) on the normalised text
# ---------------------------------------------------------------------------------------
def _urls(text: str) -> Iterator[Span]:
    """Keep a plain link (it may be the point of the comment); flag one that carries data."""
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(_TRAILING)
        path = url.split("://", 1)[-1]
        if any(c in path for c in "?#=@") or _TOKENISH.search(path):
            yield "url", m.start(), m.start() + len(url)
    if "/" in text and ("?" in text or "=" in text):  # no scheme, but a query: still data
        for m in _BARE_URL.finditer(text):
            yield "url", m.start(), m.start() + len(m.group(0).rstrip(_TRAILING))


def _emails(text: str) -> Iterator[Span]:
    for m in _EMAIL.finditer(text):
        yield "email", m.start(), m.end()


def _emails_obfuscated(text: str) -> Iterator[Span]:
    """ "jane dot doe at example dot com", "jane[at]example[dot]com", "jane @ example.com".

    A plain " at " before a real domain ("bought it at Amazon.com") is not enough: the
    match must carry an obfuscation cue, or a local part that looks like one (a dot or digit).
    """
    for m in _EMAIL_OBFUSCATED.finditer(text):
        found = m.group(0)
        if _OBFUSCATION_CUE.search(found):
            yield "email_obfuscated", m.start(), m.end()
            continue
        local = re.split(r"\s+at\s+", found, maxsplit=1, flags=re.IGNORECASE)[0]
        if any(c in local for c in "._+") or any(c.isdigit() for c in local):
            yield "email_obfuscated", m.start(), m.end()


def _ibans(text: str) -> Iterator[Span]:
    for m in _IBAN.finditer(text):
        found = m.group(0)
        # the pattern is greedy: trim trailing groups until the checksum holds
        while len(found) >= 15:
            if iban_valid(found):
                yield "iban", m.start(), m.start() + len(found)
                break
            found = found[:-1].rstrip(" -")


def _cards(text: str) -> Iterator[Span]:
    """Luhn-valid 13–19 digit numbers in any grouping; other such numbers are ids."""
    for m in _CARD.finditer(text):
        found = m.group(0)
        digits = _digits(found)
        if luhn_valid(digits):
            yield "card", m.start(), m.end()
        elif re.fullmatch(r"\d+(?:[ -]\d+)*", found):  # today's shape: still an identifier
            yield "long_number", m.start(), m.end()


def _card_security(text: str) -> Iterator[Span]:
    for pattern in (_EXPIRY, _CVV):
        for m in pattern.finditer(text):
            yield "card_security", m.start(1), m.end(1)


def _dates_of_birth(text: str) -> Iterator[Span]:
    """A date after "born", "DOB", "date of birth", "birthday": only the date goes."""
    for m in _DOB.finditer(text):
        yield "date_of_birth", m.start(1), m.end(1)


def _nhs_numbers(text: str) -> Iterator[Span]:
    for m in _NHS.finditer(text):
        if nhs_valid(_digits(m.group(0))):
            yield "nhs_number", m.start(), m.end()


def _national_ids(text: str) -> Iterator[Span]:
    """US SSN (dashed or spaced, or nine digits after "SSN"), UK National Insurance number."""
    for m in _SSN.finditer(text):
        yield "ssn", m.start(), m.end()
    if "ssn" in text.lower() or "social" in text.lower():
        for m in _SSN_CUED.finditer(text):
            yield "ssn", m.start(1), m.end(1)
    if _NI_GATE.search(text):
        for m in _NI.finditer(text):
            yield "ni_number", m.start(), m.end()


def _ips(text: str) -> Iterator[Span]:
    if "." in text:
        for m in _IPV4.finditer(text):
            if _VERSION_CUE.search(text[max(0, m.start() - 12) : m.start()]):
                continue
            try:
                ipaddress.IPv4Address(m.group(0))
            except ValueError:
                continue
            yield "ip", m.start(), m.end()
    if text.count(":") >= 2:
        for m in _IPV6.finditer(text):
            try:
                ipaddress.IPv6Address(m.group(0))
            except ValueError:
                continue
            yield "ip", m.start(), m.end()


def _phones(text: str) -> Iterator[Span]:
    """Today's rule: 8–15 digits in phone punctuation, with an optional extension.

    It takes national, international and made-up numbers alike; libphonenumber's matcher
    found nothing more on the labelled set (docs/decisions.md), so it is not a dependency.
    """
    for m in _PHONE.finditer(text):
        found = m.group(1)
        digits = sum(c.isdigit() for c in found)
        if 8 <= digits <= 15 and not _NOT_PHONE.search(found.strip()):
            yield "phone", m.start(), m.end()


def _addresses(text: str) -> Iterator[Span]:
    for m in _ADDRESS.finditer(text):  # no leading \b in the pattern: it is slower by half
        if m.start() and text[m.start() - 1].isalnum():
            continue
        words = m.group(0).split()[1:-1]
        if any(w.lower().strip(",.") in _NOT_A_NAME for w in words):
            continue
        yield "address", m.start(), m.end()
    lowered = text.lower()
    if not any(cue in lowered for cue in _ADDRESS_CUES):
        return
    for m in _ADDRESS_CUED.finditer(text):
        words = m.group(1).split()[1:-1]
        if any(w.lower().strip(",.") in _NOT_A_NAME for w in words):
            continue
        yield "address", m.start(1), m.end(1)


def _postcodes(text: str) -> Iterator[Span]:
    if _UK_INWARD.search(text):
        for m in _UK_POSTCODE.finditer(text):
            yield "postcode", m.start(), m.end()
    if _FIVE_DIGITS.search(text):
        for m in _US_ZIP.finditer(text):
            yield "postcode", m.start(1), m.end(1)


# ---------------------------------------------------------------------------------------
# Normalisation with a map back to the original text
# ---------------------------------------------------------------------------------------
def _normalise(text: str) -> tuple[str, list[int] | None]:
    """NFKC without format characters; ``None`` as map when nothing changed (the usual case)."""
    if text.isascii() or (
        unicodedata.is_normalized("NFKC", text)
        and not any(unicodedata.category(c) == "Cf" for c in text)
    ):
        return text, None
    parts: list[str] = []
    origin: list[int] = []
    for i, c in enumerate(text):
        if c.isascii():
            parts.append(c)
            origin.append(i)
            continue
        if unicodedata.category(c) == "Cf":  # zero-width space, joiners: drop
            continue
        n = unicodedata.normalize("NFKC", c)
        parts.append(n)
        origin.extend([i] * len(n))
    return "".join(parts), origin


def _detectors(text: str, lowered: str) -> list[Callable[[str], Iterator[Span]]]:
    """The detectors that can find something here, in priority order (earlier wins overlaps)."""
    found: list[Callable[[str], Iterator[Span]]] = []
    if "http" in lowered or "www." in lowered or ("/" in text and ("?" in text or "=" in text)):
        found.append(_urls)
    if "@" in text:
        found.append(_emails)
    if "@" in text or (
        "at" in lowered
        and (
            "dot" in lowered
            or "at]" in lowered
            or "at)" in lowered
            or "at}" in lowered
            or "at>" in lowered
            or _AT_DOMAIN.search(lowered)
        )
    ):
        found.append(_emails_obfuscated)
    # digits with the separators people put between them: one scan, then each numeric
    # kind is tried only when a run long enough for it is there
    if not any(d in text for d in "0123456789"):  # most comments: ten substring tests
        return found
    runs = _DIGIT_RUN.findall(text)
    counts = [sum(c.isdigit() for c in run) for run in runs]
    longest, n_digits = max(counts), sum(counts)
    if n_digits >= 10:
        found.append(_ibans)  # letters in the BBAN split its digits: count them all
    if longest >= 13:
        found.append(_cards)
    if longest >= 3 and any(cue in lowered for cue in _CARD_SECURITY_CUES):
        found.append(_card_security)
    if longest >= 3 and any(cue in lowered for cue in _DOB_CUES):
        found.append(_dates_of_birth)
    if longest >= 10:
        found.append(_nhs_numbers)
    if longest >= 6:
        found.append(_national_ids)
    if any(run.count(".") >= 3 for run in runs) or text.count(":") >= 2:
        found.append(_ips)
    if longest >= 5 or _UK_INWARD.search(text):
        found.append(_postcodes)  # before phones: a ZIP+4 has nine digits
    if longest >= 8:
        found.append(_phones)
    found.append(_addresses)
    return found


def find_pii(text: str | None) -> list[Span]:
    """Every PII span as ``(kind, start, end)`` in ``text``, sorted and non-overlapping.

    Kinds are the keys of :data:`TOKENS`. Spans that overlap are merged, so no part of a
    number is left behind, and the detector that runs first (see ``_detectors``) names it.
    """
    if not text:
        return []
    norm, origin = _normalise(text)
    lowered = norm.lower()
    found = [
        (start, end, rank, kind)
        for rank, detect in enumerate(_detectors(norm, lowered))
        for kind, start, end in detect(norm)
        if end > start
    ]
    if not found:
        return []
    # overlapping spans merge into one (never leave half a number behind); the detector
    # that runs first names the kind
    found.sort()
    merged: list[tuple[int, int, int, str]] = []
    for start, end, rank, kind in found:
        if merged and start < merged[-1][1]:
            s0, e0, r0, k0 = merged[-1]
            r1, k1 = (rank, kind) if rank < r0 else (r0, k0)
            merged[-1] = (s0, max(e0, end), r1, k1)
        else:
            merged.append((start, end, rank, kind))
    spans = [(k, s, e) for s, e, _, k in merged]
    if origin is not None:
        spans = [(k, origin[s], origin[e - 1] + 1) for k, s, e in spans]
    return spans


def redact_pii(text: str | None) -> str:
    """Replace each PII span with its bracketed token; ``None`` or ``""`` becomes ``""``.

    Tokens: ``[email] [url] [phone] [card] [card-security] [iban] [id] [ip] [address]
    [postcode] [dob]``. A plain link with no query, fragment or token stays (it may be the point
    of the comment).
    """
    if not text:
        return ""
    spans = find_pii(text)
    if not spans:
        return text
    out: list[str] = []
    last = 0
    for kind, start, end in spans:
        out.append(text[last:start])
        out.append(TOKENS[kind])
        last = end
    out.append(text[last:])
    return "".join(out)

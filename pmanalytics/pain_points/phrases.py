"""Labels in customers' words: the short phrase nearest a cluster's centre.

Keyword lists ("dashboard / dashboards / took") do not read as a theme. A phrase that
customers themselves wrote, and that sits closest to the cluster's centre in the same
embedding space the clusters were found in, does ("PDF export keeps failing"). Candidates
are the cluster's own short clauses (2–6 words, already embedded); a cluster made only of
long clauses offers the 2–6-word pieces of its most central clauses, embedded once (and
cached). Keywords still come from class TF-IDF, as a second column.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import numpy as np
from sklearn.preprocessing import normalize

from pmanalytics.pain_points.clauses import worded_tone
from pmanalytics.pain_points.labelling import (
    FILLER_WORDS,
    BaseLabeller,
    ClassTfidfLabeller,
    ClusterDescription,
    Embed,
)
from pmanalytics.pain_points.text import PLACEHOLDER, has_content

_EDGE = " .,;:!?-–—\"'()[]…\t"
#: Unicode categories of emoji and symbols ("❤️", "👍"), and emoji's joiner and selector.
_SYMBOLS = frozenset({"So", "Sk", "Cs"})
_EMOJI_GLUE = frozenset({"\u200d", "\ufe0f"})
_PIECE = re.compile(r"[,;:()]|\s-\s")
_OPENING = re.compile(
    r"^(?:also|and|but|otherwise|overall|tbh|honestly|plus|so)\b[,!. ]*", re.IGNORECASE
)
#: Words a cut phrase must not end on ("… timing out when i"); particles such as "out" stay.
_DANGLING = frozenset(
    re.findall(
        r"\w+",
        "a an the and or but so if when while because to of for with from at by in on my our "
        "your their its i we they is are was were be that which who this",
    )
)
_GREETING = re.compile(r"^(?:hi|hello|hey|dear|ok|okay)\b[,!. ]*", re.IGNORECASE)
#: A reason stands as a statement without its "because" ("Because staff were kind").
_REASON = re.compile(r"^(?:because|cos|coz|as|since)\b[,]?\s*", re.IGNORECASE)
#: Words a label must not open with: a phrase that starts with one is a fragment of a
#: sentence ("When you used the service", "Which took ages", "And the food").
_FRAGMENT_START = frozenset(
    re.findall(
        r"\w+",
        "when whenever if that which who whom whose where while until unless whether than "
        "and or nor so to of for with from by at in on into about after before",
    )
)


#: A candidate says the theme's tone in its own words from this strength (``worded_tone``).
MIN_TONE = 0.05


def clean_phrase(text: str) -> str:
    """A clause as a label: no emoji, greeting, opening connective or "because", no edge
    punctuation or trailing stop words ("… timing out when i"), shouting lowered, capital
    first."""
    phrase = "".join(
        c for c in text if c not in _EMOJI_GLUE and unicodedata.category(c) not in _SYMBOLS
    )
    phrase = _REASON.sub("", _OPENING.sub("", _GREETING.sub("", phrase.strip())))
    words = " ".join(phrase.split()).strip(_EDGE).split()
    while words and words[-1].lower().strip(_EDGE) in _DANGLING:
        words.pop()
    phrase = " ".join(words).strip(_EDGE)
    if phrase.isupper() and len(phrase) > 3:
        phrase = phrase.lower()
    return phrase[:1].upper() + phrase[1:]


def is_fragment(phrase: str) -> bool:
    """Does the phrase open like a piece of a sentence ("When you used …", "And the …")?"""
    words = phrase.split()
    return not words or words[0].lower().strip(_EDGE) in _FRAGMENT_START


def _usable(phrase: str, min_words: int, max_words: int) -> bool:
    words = phrase.split()
    if not min_words <= len(words) <= max_words or PLACEHOLDER.search(phrase):
        return False
    if is_fragment(phrase):
        return False
    if not has_content(phrase):
        return False
    return any(w.lower().strip(_EDGE) not in FILLER_WORDS for w in words)


def _pieces(text: str, min_words: int, max_words: int) -> list[str]:
    """2–6-word pieces of a long clause: its comma-separated parts, or its opening words."""
    out = []
    for part in _PIECE.split(text):
        phrase = clean_phrase(part)
        if _usable(phrase, min_words, max_words):
            out.append(phrase)
    if not out:
        words = clean_phrase(text).split()
        opening = clean_phrase(" ".join(words[:max_words]))
        if _usable(opening, min_words, max_words):
            out.append(opening)
    return out


def _centre(vectors: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The unit (weighted) mean of a cluster's vectors."""
    return normalize((weights[:, None] * vectors).sum(axis=0, keepdims=True))[0]


class CentralPhraseLabeller(BaseLabeller):
    """The most central short phrase of each cluster, never one another cluster already has.

    Score of a candidate: cosine to the centre, plus ``frequency_weight`` × its share of
    the cluster's most frequent phrasing (so among near-ties the wording most customers
    used wins). ``tone`` ('negative' for pain points, 'positive' for delighters) keeps the
    candidates that say it in their own words (:func:`worded_tone`), when any does, and adds
    ``tone_weight`` × how strongly: a theme of complaints is named by a complaint, not by
    the plain statement the judge put among them ("Ambulance was on time"). ``keywords``
    gives the keyword column (default :class:`ClassTfidfLabeller`). Without vectors (e.g. a
    TF-IDF estimator), it falls back to the keyword label.
    """

    def __init__(
        self,
        min_words: int = 2,
        max_words: int = 6,
        frequency_weight: float = 0.05,
        n_long_clauses: int = 5,
        max_candidates: int = 2000,
        tone: str | None = None,
        tone_weight: float = 0.2,
        keywords: BaseLabeller | None = None,
    ) -> None:
        self.min_words = min_words
        self.max_words = max_words
        self.frequency_weight = frequency_weight
        self.n_long_clauses = n_long_clauses
        self.max_candidates = max_candidates
        self.tone = tone
        self.tone_weight = tone_weight
        self.keywords = keywords

    def describe(
        self,
        texts: list[str],
        labels: np.ndarray,
        n_clusters: int,
        vectors: np.ndarray | None = None,
        embed: Embed | None = None,
        weights: np.ndarray | None = None,
    ) -> list[ClusterDescription]:
        keyworder = self.keywords if self.keywords is not None else ClassTfidfLabeller()
        extra = {} if weights is None else {"weights": weights}
        described = keyworder.describe(texts, labels, n_clusters, **extra)
        if vectors is None:
            return described
        labels = np.asarray(labels)
        vectors = normalize(np.asarray(vectors, dtype=np.float32))
        w = np.ones(len(texts)) if weights is None else np.asarray(weights, dtype=float)
        used: set[str] = set()
        out = []
        sizes = np.bincount(labels, weights=w, minlength=n_clusters)
        for cluster in np.argsort(-sizes, kind="stable"):  # big themes choose first
            rows = np.flatnonzero(labels == cluster)
            if rows.size > self.max_candidates:
                rows = rows[np.linspace(0, rows.size - 1, self.max_candidates).astype(np.int64)]
            centre = _centre(vectors[rows], w[rows])
            ranked = self._ranked(texts, rows, vectors, w, centre, embed)
            label = next((p for p in ranked if p.lower() not in used), None)
            fallback = described[cluster]
            if label is None:  # every candidate taken: the central clause's opening words
                label = self._opening(texts, rows, vectors, centre) or fallback.label
                base, n = label, 2
                while label.lower() in used:
                    label, n = f"{base} ({n})", n + 1
            used.add(label.lower())
            out.append((int(cluster), ClusterDescription(label, list(fallback.keywords))))
        return [d for _, d in sorted(out, key=lambda item: item[0])]

    def _opening(
        self, texts: list[str], rows: np.ndarray, vectors: np.ndarray, centre: np.ndarray
    ) -> str:
        """The opening words of the cluster's most central clause, fragment words skipped."""
        for row in rows[np.argsort(-(vectors[rows] @ centre), kind="stable")][:20]:
            words = clean_phrase(texts[row]).split()
            while words and is_fragment(words[0]):
                words.pop(0)
            phrase = clean_phrase(" ".join(words[: self.max_words]))
            if phrase and not PLACEHOLDER.search(phrase):
                return phrase
        return ""

    def _central_pieces(
        self, texts: list[str], rows: np.ndarray, vectors: np.ndarray, centre: np.ndarray
    ) -> list[str]:
        """2–6-word pieces of the cluster's most central distinct clauses."""
        by_text: dict[str, int] = {}
        for row in rows[np.argsort(-(vectors[rows] @ centre), kind="stable")]:
            by_text.setdefault(texts[row].lower(), int(row))
            if len(by_text) == self.n_long_clauses:
                break
        return list(
            dict.fromkeys(
                p
                for row in by_text.values()
                for p in _pieces(texts[row], self.min_words, self.max_words)
            )
        )

    def _ranked(
        self,
        texts: list[str],
        rows: np.ndarray,
        vectors: np.ndarray,
        weights: np.ndarray,
        centre: np.ndarray,
        embed: Embed | None,
    ) -> list[str]:
        """The cluster's (``rows``) candidate phrases, best first."""
        counts: Counter[str] = Counter()
        short: Counter[str] = Counter()  # one-word clauses ("Good", "Fantastic")
        first_row: dict[str, int] = {}
        for row in rows:
            phrase = clean_phrase(texts[row])
            if _usable(phrase, self.min_words, self.max_words):
                counts[phrase.lower()] += float(weights[row])
            elif _usable(phrase, 1, self.max_words):
                short[phrase.lower()] += float(weights[row])
            else:
                continue
            first_row.setdefault(phrase.lower(), int(row))
        # a theme written mostly in one word ("Good", "great.", "GOOD") is named by one
        if short and sum(short.values()) > 0.5 * float(weights[rows].sum()):
            counts.update(short)
        sources = []
        if counts:
            keys = list(counts)
            phrases = [clean_phrase(texts[first_row[k]]) for k in keys]
            sources.append((phrases, keys, counts, lambda: vectors[[first_row[k] for k in keys]]))
        if not counts or self.tone is not None:
            pieces = self._central_pieces(texts, rows, vectors, centre)
            if pieces and embed is not None:
                piece_keys = [p.lower() for p in pieces]
                sources.append(
                    (
                        pieces,
                        piece_keys,
                        Counter(dict.fromkeys(piece_keys, 1)),
                        lambda: normalize(np.asarray(embed(pieces), dtype=np.float32)),
                    )
                )
        # the first source with a candidate worded in the theme's tone; else the first
        chosen = sources[0] if sources else None
        strength: np.ndarray | None = None
        if self.tone is not None:
            for source in sources:
                tones = worded_tone(source[0], self.tone)
                if (tones >= MIN_TONE).any():
                    chosen, strength = source, tones
                    break
        if chosen is None:
            return []
        phrases, keys, counts, vectorise = chosen
        candidate_vectors = vectorise()
        if strength is None:
            strength = np.zeros(len(phrases))
        else:
            worded = strength >= MIN_TONE
            phrases = [p for p, w in zip(phrases, worded, strict=True) if w]
            keys = [k for k, w in zip(keys, worded, strict=True) if w]
            candidate_vectors, strength = candidate_vectors[worded], strength[worded]
        top = max(counts[k] for k in keys)
        scores = (
            candidate_vectors @ centre
            + self.frequency_weight * np.array([counts[k] / top for k in keys])
            + self.tone_weight * strength
        )
        return [phrases[i] for i in np.argsort(-scores, kind="stable")]

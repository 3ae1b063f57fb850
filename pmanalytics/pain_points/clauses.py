"""Comments → clauses, each with a sentiment, a negative score and a kind.

"Love the dashboards but exports keep failing" holds one thing customers love and one
they suffer from; clustering the whole comment would put it with one and lose the other.
So a comment is split at sentence ends and at contrast words, and each clause is judged
on its own text. The survey score is never the decision: promoters complain about exports
too, and a detractor can praise support.

The negative score weighs two scorers that make different mistakes (measured in
``docs/benchmarks.md``): the VADER lexicon (MIT; negation- and intensifier-aware rules, plus
a few product-feedback words it lacks) and a logistic-regression head on the sentence
embeddings, trained on CC0 product reviews by ``benchmarks/train_sentiment_head.py`` and
shipped as its coefficients.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pmanalytics.pain_points.text import PLACEHOLDER, has_content, normalise

HEAD_PATH = Path(__file__).parent / "models" / "sentiment_head.json"

KINDS = ("problem", "request", "praise", "other")

# sentence ends (not inside numbers such as 2.5), semicolons and line breaks
_SENTENCE = re.compile(r"(?<=[.!?;])(?!\d)\s*|\n+|\s+-\s+")
# contrast words inside a sentence; the word itself is dropped from the clauses
_CONTRAST = re.compile(
    r"[,;]?\s+\b(?:but|however|although|though|whereas|except that|yet|mas|porém|embora)\b[,]?\s+",
    re.IGNORECASE,
)
# a sentence that opens with "Although …, …" splits at its first comma
_LEADING = re.compile(r"^(?:although|though|while|even though|whilst)\b\s*", re.IGNORECASE)
_OPENING_CONTRAST = re.compile(
    r"^(?:but|however|yet|though|although|otherwise|overall|mas)\b[,]?\s*", re.IGNORECASE
)
_WORD = re.compile(r"[^\W\d_]+")

# asks for something missing, or for help: these are frictions even when polite. This and
# _COMPLAINT_CUE are searched in the lower-cased text (``_asks``, ``_complains``): Python's
# ``re`` runs these long alternations up to 4x faster without IGNORECASE (docs/benchmarks.md,
# *Pain-point stage: speed and memory*).
_REQUEST = re.compile(
    r"\b(?:please|pls|plz|wish|would (?:be|love|like)|i'?d (?:like|love)|could (?:you|we|it)|"
    r"can (?:you|we)|should(?:n'?t)? (?:be|have|let|allow|add|support)|need(?:s|ed)? (?:a|an|to|"
    r"more|better)|want(?:s|ed)? (?:a|an|to|more)|hope (?:you|they)|add(?:ing)? (?:a|an|more|"
    r"support)|allow(?:ing)? (?:us|me|to)|missing|how (?:do|can|to) (?:i|we|you)|where (?:is|are|"
    r"do|can)|is there (?:a|any) way|any way to|support for|por favor|gostaria)\b|"
    r"\bis a must\b|\bmust.have\b|^(?:more|better(?! than)|add|improve|option to|ability to)\b|"
    r"\b(?:could|should) (?:have )?(?:be|been) (?:a (?:bit|little|lot) )?(?:better|quicker|faster|"
    r"clearer|shorter|sooner|earlier|cheaper|improved)\b"
)
#: An answer that opens with a comparative ("Quicker response", "Shorter waiting times") asks
#: for an improvement, unless it compares ("Faster than the old app!").
_COMPARATIVE_ASK = re.compile(
    r"^(?:quicker|faster|shorter|sooner|earlier|fewer|less|cheaper|clearer)\b(?!.*\bthan\b)",
    re.IGNORECASE,
)

#: Satisfied answers to "what could we do better?": no complaint and no ask, whatever the
#: lexicon makes of "nothing … better". Matched whole on the normalised clause (lower case,
#: punctuation as spaces). Such a clause is at most neutral and of kind 'other'.
_NOTHING = (
    r"(?:absolutely |really |honestly )?(?:nothing|not a thing|not much|not a lot|very little)"
)
#: Openings and closings that do not change such an answer ("On this occasion cannot think
#: of anything", "You could have done nothing better thank you").
_AS_IT_WAS = r"(?:(?:on this occasion|at the moment|at this time|in the circumstances|honestly) )?"
_THANKS = r"(?: (?:thanks?|thank you|at this time|at the moment|right now|on this occasion))*"
NO_COMPLAINT = re.compile(
    rf"{_AS_IT_WAS}(?:(?:no|nope|none|nothing) )?(?:"
    rf"{_NOTHING}(?: really| at all| else| more| much| for me| thanks?| thank you)*|"
    r"not really|for me nothing|i do ?n ?t think so|"
    r"no (?:complaints?|issues?|problems?|concerns?|improvements? needed)(?: at all)?|"
    r"(?:i )?(?:can ?t|cannot|can not|could ?n ?t|could not) think of any ?(?:thing|one)?"
    r"(?: (?:other|else)(?: thing)?| at all| to improve| in particular| particular| off hand)?|"
    r"(?:you |they |we |it )?could (?:have )?(?:do|done) nothing (?:more|better|else)|"
    r"(?:the )?(?:problem|issue) (?:was |has )?(?:resolved|sorted|fixed|gone) "
    r"(?:itself|on its own)|"
    r"nothing (?:that )?(?:i |we )?(?:can |could )?think of|nothing (?:comes|springs) to mind|"
    r"(?:i do ?n ?t think )?(?:there (?:was|is|s) |theres |thiers )?"
    r"(?:nothing|not anything|anything) else (?:that )?(?:you |they |we |i )?could "
    r"(?:have )?(?:been )?(?:do|done)"
    r"(?: differently| better)?|"
    rf"{_NOTHING} (?:to |that )?(?:i |we |you |they )?(?:would |could |can |need to |needs to )?"
    r"(?:be )?(?:improve|improved|add|change|changed|say|report|complain about|fault)|"
    rf"{_NOTHING} (?:(?:you |they |that |it )?(?:could|can|would|should) )?(?:have )?"
    r"(?:(?:be|been) )?(?:(?:do|done) )?(?:any |much )?better|"
    r"(?:it |you |they |we )?(?:could ?n ?t|could not|can ?t|cannot|could have not) (?:have )?"
    r"(?:be|been|do|done)"
    r" (?:any |anything |much )?better|"
    r"(?:there s |there is )?no need (?:for|to) (?:any )?(?:improve|improvements?|change|changes)|"
    r"(?:i |we )?(?:can ?t|cannot|could ?n ?t|could not) (?:praise|thank|fault) (?:them|you|it|"
    r"the \w+)?(?: (?:enough|highly enough|at all))?|"
    r"keep (?:it )?up(?: the good work)?|keep doing what you (?:are|re) doing|"
    r"all (?:good|ok|okay|fine|was good)|"
    r"everything (?:is|was|s) (?:ok|okay|fine|good|alright|all right)|there s nothing|"
    r"(?:i )?(?:could ?n ?t|could not|can ?t|cannot|can not) (?:make|have|find) any complaints?"
    rf"){_THANKS}"
)


#: Praise that reads like a complaint to a lexicon ("Nothing was too much trouble", "Could
#: not have been better", "Can't thank you all enough"): searched in clauses of at most
#: 100 characters, which are then praise.
_PRAISE_IDIOM = re.compile(
    r"\bnothing (?:was|is|seemed|seems|ever) too much (?:trouble|bother|effort|to ask)|"
    r"\b(?:could|can|would) ?(?:n ?t|not) (?:have )?(?:got|get|gotten|been|be|done|do|ask for) "
    r"(?:any |anything |much |a lot )?better\b|"
    r"\b(?:can ?t|cannot|can not|could ?n ?t|could not) (?:thank|praise|fault) (?:\w+ ){0,3}"
    r"(?:enough|highly enough|more)\b|"
    r"\b(?:could ?n ?t|could not|can ?t|cannot|can not) (?:help|do) (?:\w+ ){0,3}enough\b|"
    r"\b(?:difficult|hard|impossible) to improve\b|"
    r"\b(?:could|can|would) ?(?:n ?t|not) (?:have )?(?:been |be )?(?:any )?"
    r"(?:happier|more (?:pleased|satisfied|grateful))\b|"
    r"\b(?:can ?t|cannot|can not|could ?n ?t|could not) better (?:this|that|it|them)\b|"
    r"\b(?:can ?t|cannot|can not|could ?n ?t|could not) (?:improve(?: on| upon)?|better) "
    r"(?:perfect|perfection|excellence)\b|"
    r"\b(?:could ?n ?t|could not|can ?t|cannot) (?:have )?(?:wish|ask|asked|wished) for "
    r"(?:any |anything )?(?:more|better)\b|"
    r"\b(?:could ?n ?t|could not|can ?t|cannot) find (?:any )?fault|\bcould have nothing better\b"
)


def _praise_idiom(text: str) -> bool:
    return len(text) <= 100 and bool(_PRAISE_IDIOM.search(normalise(text)))


#: Contact details left in a comment ("You can reach me at [email]"): no verdict at all.
_CONTACT = re.compile(
    r"\b(?:reach|contact|email|call|ring|text|phone) (?:me|us)\b|\bmy (?:number|email|phone|"
    r"mobile|address)\b",
    re.IGNORECASE,
)


def _contact_details(text: str) -> bool:
    """A short clause giving redacted contact details, asking for nothing."""
    return (
        len(text) <= 60
        and bool(PLACEHOLDER.search(text) and _CONTACT.search(text))
        and not _asks(text)
    )


#: A lukewarm verdict ("It's ok.", "fine for now"): neither praise nor complaint.
_LUKEWARM = re.compile(
    r"(?:honestly |overall |yeah |yes )?(?:it s |it is |its |it was )?(?:fine|ok|okay|alright|"
    r"all right|average|so so|not bad|could be worse)"
    r"(?: (?:for now|i guess|i suppose|so far|mostly|overall|enough|really|thanks?))*"
)


def _lukewarm(text: str) -> bool:
    """A bare "ok" stays mild praise: the one-word answer of satisfied customers."""
    if len(text) > 40:
        return False
    words = normalise(text)
    return " " in words and bool(_LUKEWARM.fullmatch(words))


def _no_complaint(text: str) -> bool:
    """Is the clause a whole :data:`NO_COMPLAINT` answer? (Long clauses never are.)"""
    return len(text) <= 80 and bool(NO_COMPLAINT.fullmatch(normalise(text)))


#: "Nothing, been happy with everything", "No - everything was great": an opening "nothing"
#: answers the question, the rest says how it went. Praise if the rest is praise.
_NOTHING_THEN = re.compile(r"^(?:nothing|no|none|nope)\b[\s,.;:!-]+(?=\S)", re.IGNORECASE)


#: Friction that no sentiment lexicon scores: "too high", "hard to", "can't find", "not
#: intuitive", "takes forever", "shuts down", "issues", "flaky". A clause with one of these
#: is at least mildly negative (``cue_score``).
_COMPLAINT_CUE = re.compile(
    r"\b(?:(?:way |far |much |a bit |bit )?too (?:much|many|high|big|expensive|slow|long|hard|"
    r"complicated|confusing|pricey|steep|little|few|late)|hard to|difficult to|no way to|"
    r"(?:do ?n[o']?t|can'?t|cannot|could ?n'?t|unable to|never) (?:understand|find|figure|get|"
    r"export|load|open|use|see|log|work|managed?|justify|tell|know)|not (?:intuitive|working|"
    r"clear|obvious|worth|enough)|does ?n'?t work|still (?:have ?n'?t|not|no)|lack(?:s|ing)? |"
    r"got lost|keeps? (?:failing|crashing|timing out|freezing|logging)|cheaper|"
    r"(?:main|major|big|performance|loading|technical|sync|login|constant|same) "
    r"(?:issue|problem)s?|"
    r"errors?|nightmare|unreliable|flak(?:y|ey)|deal ?breaker|limited|spinner|blank|"
    r"(?:takes?|took|taking) (?:forever|ages)|forever|times? out|timing out|still waiting|"
    r"shuts? (?:down|off)|force clos\w*|closes? (?:by itself|on its own)|"
    r"(?:wo|ca|does|did|is|are)n'?t (?:work|load|open|export|sync|connect|save|show)\w*)\b"
)


def _asks(text: str) -> bool:
    return bool(_REQUEST.search(text.lower()))


def _complains(text: str) -> bool:
    return bool(_COMPLAINT_CUE.search(text.lower()))


def split_clauses(text: str, min_words: int = 3) -> list[str]:
    """The clauses of a comment, in order, each with some content (fillers dropped).

    A sentence of fewer than ``min_words`` words that follows another ("Got lost after
    creating a project. Very frustrating.") says how the previous one felt, not a theme of
    its own, so it stays with it.
    """
    out: list[str] = []
    for sentence in _SENTENCE.split(text or ""):
        short = 0 < len(_WORD.findall(sentence)) < min_words
        if out and short and not _OPENING_CONTRAST.match(sentence.strip()):
            out[-1] = f"{out[-1].rstrip()} {sentence.strip()}".strip()
            continue
        sentence = sentence.strip()
        if not sentence:
            continue
        if _LEADING.match(sentence) and "," in sentence:
            head, _, tail = sentence.partition(",")
            parts = [_LEADING.sub("", head), tail]
        else:
            parts = [sentence]
        for part in parts:
            for clause in _contrast_parts(part):
                clause = _OPENING_CONTRAST.sub("", clause.strip(" ,;:-–—\t"))
                if has_content(clause) and _WORD.search(clause):
                    out.append(clause)
    return out


def _contrast_parts(sentence: str) -> list[str]:
    """A sentence cut at its contrast words, where the part before one judges something.

    A contrast separates two judgements ("Love the dashboards but exports keep failing").
    A part with no sentiment word ("I signed up but still haven't managed to build a
    dashboard") is the setting of what follows, so it stays with it, contrast word and all.
    The lexicon is English: a part with other letters ("O app é ótimo, mas …") is cut.
    """
    pieces = _CONTRAST.split(sentence)
    if len(pieces) == 1:
        return pieces
    separators = _CONTRAST.findall(sentence)
    out = [pieces[0]]
    for separator, piece in zip(separators, pieces[1:], strict=True):
        if _has_sentiment_word(out[-1]):
            out.append(piece)
        else:
            out[-1] = f"{out[-1]}{separator}{piece}"
    return out


def _has_sentiment_word(text: str) -> bool:
    """Does the (English) text judge anything? Text beyond ASCII is assumed to."""
    if not text.isascii():
        return True
    lexicon = _vader().lexicon  # type: ignore[attr-defined]
    words = _WORD.findall(text)
    return any(w.lower() in lexicon for w in words) or _complains(text)


def worded_tone(texts: list[str], tone: str) -> np.ndarray:
    """How strongly each clause says ``tone`` ('negative' or 'positive') in its own words:
    0 (not at all) .. 0.5.

    The judge may call a plain statement negative from its embedding alone ("Ambulance was
    on time" sits among delay complaints); such a clause belongs in the theme but does not
    name it. Negative in words: the lexicon's negativity, at least 0.15 with a complaint cue
    and 0.1 when it asks for something. Positive in words: the lexicon's positivity, none
    for a no-complaint answer.
    """
    lexicon = vader_negative_score(texts)
    if tone == "negative":
        cue = np.fromiter((_complains(t) for t in texts), bool, len(texts))
        ask = np.fromiter(
            (
                _asks(t) or bool(_COMPARATIVE_ASK.match(t)) or t.rstrip().endswith("?")
                for t in texts
            ),
            bool,
            len(texts),
        )
        strength = np.maximum(lexicon - 0.5, 0.0)
        return np.maximum(strength, np.where(cue, 0.15, np.where(ask, 0.1, 0.0)))
    if tone == "positive":
        calm = np.fromiter((_no_complaint(t) for t in texts), bool, len(texts))
        return np.where(calm, 0.0, np.maximum(0.5 - lexicon, 0.0))
    raise ValueError(f"tone must be 'negative' or 'positive', not {tone!r}")


#: Words of product feedback that VADER's social-media lexicon lacks ("slow", "crashes",
#: "pricey" score 0 there), on its -4..4 scale. Effect on NHS in docs/benchmarks.md.
PRODUCT_LEXICON: dict[str, float] = {
    "slow": -1.5,
    "slower": -1.5,
    "sluggish": -1.5,
    "laggy": -1.5,
    "crashes": -1.7,
    "crashing": -1.7,
    "crashed": -1.7,
    "freezes": -1.5,
    "freezing": -1.5,
    "unresponsive": -1.7,
    "bug": -1.5,
    "bugs": -1.5,
    "buggy": -1.8,
    "glitch": -1.5,
    "glitchy": -1.5,
    "clunky": -1.3,
    "unusable": -2.3,
    "expensive": -1.8,
    "pricey": -1.2,
    "steep": -1.5,
    "downgrade": -1.2,
    "overpriced": -2.0,
    "flaky": -1.5,
    "flakey": -1.5,
    "timeout": -1.3,
    "intuitive": 1.8,
    "smooth": 1.3,
    "seamless": 1.7,
    "reliable": 1.5,
    "responsive": 1.2,
    "fast": 1.2,
    "quick": 1.0,
}


@functools.cache
def _vader(product_words: bool = True) -> object:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    if product_words:
        analyzer.lexicon.update(PRODUCT_LEXICON)
    return analyzer


def vader_negative_score(texts: list[str], product_words: bool = True) -> np.ndarray:
    """VADER's compound score mapped to 0 (very positive) .. 1 (very negative)."""
    analyzer = _vader(product_words)
    compound = np.array([analyzer.polarity_scores(t)["compound"] for t in texts])  # type: ignore[attr-defined]
    return ((1.0 - compound) / 2.0).astype(np.float32)


@dataclass(frozen=True)
class SentimentHead:
    """Logistic regression coefficients over one embedding model's vectors.

    ``neutral_logit`` is the head's median logit on its training corpus's clauses that
    the lexicon finds no sentiment in: trained on gushing 5-star reviews, the raw head
    calls any plain statement negative (median 0.80 on those clauses), so its logits are
    shifted to put a plain statement at 0.5.
    """

    model_id: str
    coef: np.ndarray
    intercept: float
    neutral_logit: float = 0.0

    def negative_score(self, vectors: np.ndarray) -> np.ndarray:
        logits = np.asarray(vectors, dtype=np.float32) @ self.coef + self.intercept
        return (1.0 / (1.0 + np.exp(self.neutral_logit - logits))).astype(np.float32)


@functools.cache
def load_head(path: Path = HEAD_PATH) -> SentimentHead:
    data = json.loads(path.read_text())
    return SentimentHead(
        data["model_id"],
        np.asarray(data["coef"], np.float32),
        data["intercept"],
        data.get("neutral_logit", 0.0),
    )


@dataclass(frozen=True)
class ClauseFeatures:
    """What the judge reads from each clause's words, one entry per clause: a pure
    function of the text, so it can be worked out in chunks and in other processes
    (:class:`~pmanalytics.pain_points.workers.TextWorkers`); the judge combines it with the
    embedding head and its thresholds."""

    #: VADER's negative score (float32, 0 .. 1)
    lexicon: np.ndarray
    #: plain ASCII (the lexicon is English; other text is assumed to judge something)
    ascii: np.ndarray
    #: a complaint cue ("too high", "can't find")
    cued: np.ndarray
    #: a whole no-complaint answer (:data:`NO_COMPLAINT`)
    satisfied: np.ndarray
    #: praise in a complaint's words ("Nothing was too much trouble")
    praise_idiom: np.ndarray
    #: after an opening "nothing" (neither of the two above): the lexicon's score of the
    #: rest (float32; NaN when there is no such opening), and whether the rest is itself a
    #: no-complaint answer
    rest_lexicon: np.ndarray
    rest_satisfied: np.ndarray
    #: a lukewarm verdict or a short clause of contact details
    lukewarm: np.ndarray
    #: asks for something (request words, an opening comparative)
    asks: np.ndarray
    #: ends with a question mark
    question: np.ndarray


def clause_features(texts: list[str], product_words: bool = True) -> ClauseFeatures:
    """The :class:`ClauseFeatures` of each clause."""
    n = len(texts)

    def flags(test: object) -> np.ndarray:
        return np.fromiter((bool(test(t)) for t in texts), bool, n)  # type: ignore[operator]

    satisfied = flags(_no_complaint)
    praise_idiom = np.fromiter(
        (not calm and _praise_idiom(t) for t, calm in zip(texts, satisfied, strict=True)), bool, n
    )
    rest = {
        i: _NOTHING_THEN.sub("", t)
        for i, t in enumerate(texts)
        if not satisfied[i] and not praise_idiom[i] and _NOTHING_THEN.match(t)
    }
    rest_lexicon = np.full(n, np.nan, dtype=np.float32)
    rest_satisfied = np.zeros(n, dtype=bool)
    if rest:
        rest_lexicon[list(rest)] = vader_negative_score(list(rest.values()), product_words)
        rest_satisfied[list(rest)] = [_no_complaint(r) for r in rest.values()]
    return ClauseFeatures(
        lexicon=vader_negative_score(texts, product_words),
        ascii=flags(str.isascii),
        cued=flags(_complains),
        satisfied=satisfied,
        praise_idiom=praise_idiom,
        rest_lexicon=rest_lexicon,
        rest_satisfied=rest_satisfied,
        lukewarm=flags(lambda t: _lukewarm(t) or _contact_details(t)),
        asks=flags(lambda t: _asks(t) or _COMPARATIVE_ASK.match(t)),
        question=flags(lambda t: t.rstrip().endswith("?")),
    )


def split_each(texts: list[str]) -> list[list[str]]:
    """:func:`split_clauses` of each text (a chunk of work for
    :class:`~pmanalytics.pain_points.workers.TextWorkers`)."""
    return [split_clauses(t) for t in texts]

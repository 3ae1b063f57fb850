"""Pain points: what customers complain about, what it costs, and what they do.

The library part (no Prefect): :func:`build_pain_points` is the one call the pipeline
makes; :class:`PainPointClusterer` is the scikit-learn style estimator behind it.
"""

from pmanalytics.pain_points.build import PainPointResult, build_pain_points, make_estimator
from pmanalytics.pain_points.clauses import ClauseJudge, split_clauses
from pmanalytics.pain_points.embedding import (
    EmbeddingCache,
    EmbeddingModelError,
    SentenceEmbeddingRepresentation,
)
from pmanalytics.pain_points.estimator import AutoKMeans, PainPointClusterer
from pmanalytics.pain_points.labelling import BaseLabeller, ClassTfidfLabeller, ClusterDescription
from pmanalytics.pain_points.phrases import CentralPhraseLabeller
from pmanalytics.pain_points.representation import CharTfidfRepresentation
from pmanalytics.pain_points.text import has_content, redact_pii

__all__ = [
    "AutoKMeans",
    "BaseLabeller",
    "CentralPhraseLabeller",
    "CharTfidfRepresentation",
    "ClassTfidfLabeller",
    "ClauseJudge",
    "ClusterDescription",
    "EmbeddingCache",
    "EmbeddingModelError",
    "PainPointClusterer",
    "PainPointResult",
    "SentenceEmbeddingRepresentation",
    "build_pain_points",
    "has_content",
    "make_estimator",
    "redact_pii",
    "split_clauses",
]

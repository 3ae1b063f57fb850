"""Pain points: what customers complain about, what it costs, and what they do.

The library part (no Prefect): :func:`build_pain_points` is the one call the pipeline
makes; :class:`PainPointClusterer` is the scikit-learn style estimator behind it.

Each name below is imported from its module on first use. A run whose survey responses
are those of the last fit only refreshes the behaviour links (:mod:`.refresh`), and
importing this package must not make it pay for scikit-learn (~0.45 s) all the same.
"""

from __future__ import annotations

from pmanalytics._exports import on_first_use

#: public name -> the module of this package that defines it
_EXPORTS = {
    "AutoKMeans": "estimator",
    "BaseLabeller": "labelling",
    "CentralPhraseLabeller": "phrases",
    "CharTfidfRepresentation": "representation",
    "ClassTfidfLabeller": "labelling",
    "ClauseJudge": "judge",
    "ClusterDescription": "labelling",
    "EmbeddingCache": "embedding",
    "EmbeddingModelError": "embedding",
    "PainPointClusterer": "estimator",
    "PainPointResult": "refresh",
    "SentenceEmbeddingRepresentation": "embedding",
    "build_pain_points": "build",
    "has_content": "text",
    "make_estimator": "build",
    "redact_pii": "text",
    "split_clauses": "clauses",
}

__all__ = sorted(_EXPORTS)


__getattr__ = on_first_use(__name__, _EXPORTS, globals())


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

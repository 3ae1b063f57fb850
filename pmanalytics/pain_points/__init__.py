"""Pain points: what customers complain about, what it costs, and what they do.

The library part (no Prefect): :func:`build_pain_points` is the one call the pipeline
makes; :class:`PainPointClusterer` is the scikit-learn style estimator behind it.

Each name below is imported from its module on first use. A run whose survey responses
are those of the last fit only refreshes the behaviour links (:mod:`.refresh`), and
importing this package must not make it pay for scikit-learn (~0.45 s) all the same.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: public name -> the module of this package that defines it
_EXPORTS = {
    "AutoKMeans": "estimator",
    "BaseLabeller": "labelling",
    "CentralPhraseLabeller": "phrases",
    "CharTfidfRepresentation": "representation",
    "ClassTfidfLabeller": "labelling",
    "ClauseJudge": "clauses",
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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # imported once; later look-ups do not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

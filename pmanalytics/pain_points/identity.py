"""Stable pain-point ids across runs: match this run's clusters to the previous run's.

Each run stores every pain point's centroid in a fixed hashed space
(:func:`~pmanalytics.pain_points.representation.hashed_signatures`). The next run pairs its
clusters with the stored ones by a Hungarian assignment on cosine similarity; a pair below
``threshold`` is no match. Matched clusters keep their id, unmatched new clusters get the
next free id (``pp_0001``, …), unmatched old ones are kept as retired with their last_seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

_ID = re.compile(r"^[a-z]+_(\d+)$")


def format_id(number: int, prefix: str = "pp") -> str:
    """``pp_0001`` for pain points, ``dl_0001`` for delighters."""
    return f"{prefix}_{number:04d}"


def id_number(pain_point_id: str) -> int:
    match = _ID.match(pain_point_id)
    return int(match.group(1)) if match else 0


@dataclass(frozen=True)
class Matching:
    """``ids[i]`` is cluster i's id; ``similarity[i]`` its match score (NaN when new)."""

    ids: list[str]
    similarity: np.ndarray
    retired: list[str]


def match_clusters(
    new_centroids: np.ndarray,
    cluster_sizes: np.ndarray,
    previous_ids: list[str],
    previous_centroids: np.ndarray,
    threshold: float = 0.5,
    *,
    prefix: str = "pp",
    reserved_ids: list[str] | None = None,
) -> Matching:
    """Assign ids to this run's clusters.

    Args:
        new_centroids: (k, d) unit rows, this run's clusters.
        cluster_sizes: (k,) comments per cluster; new ids go to bigger clusters first so
            that numbering is deterministic and ``pp_0001`` is the biggest theme of run one.
        previous_ids / previous_centroids: the stored state (every id ever issued, retired
            ones included, so a theme that comes back gets its old id).
        threshold: minimum cosine similarity for two clusters to be the same pain point.
        prefix: of new ids (``pp`` pain points, ``dl`` delighters).
        reserved_ids: ids that cannot be matched (another identity space, e.g. an earlier
            embedding model) but must never be issued again.
    """
    k = new_centroids.shape[0]
    ids: list[str | None] = [None] * k
    similarity = np.full(k, np.nan)
    if k and previous_ids:
        sims = new_centroids @ np.asarray(previous_centroids, dtype=np.float32).T
        rows, cols = linear_sum_assignment(-sims)
        for r, c in zip(rows, cols, strict=True):
            if sims[r, c] >= threshold:
                ids[r] = previous_ids[c]
                similarity[r] = float(sims[r, c])
    issued = [*previous_ids, *(reserved_ids or [])]
    next_number = max((id_number(i) for i in issued), default=0) + 1
    for cluster in sorted(range(k), key=lambda c: (-int(cluster_sizes[c]), c)):
        if ids[cluster] is None:
            ids[cluster] = format_id(next_number, prefix)
            next_number += 1
    used = set(ids)
    retired = [i for i in previous_ids if i not in used]
    return Matching([str(i) for i in ids], similarity, retired)

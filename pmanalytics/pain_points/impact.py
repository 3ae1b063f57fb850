"""What a pain point costs: NPS impact with a bootstrap interval, trend tests, priority.

Pure functions over numbers and small frames, so each formula is unit-tested against a
hand-worked example and an independent oracle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pmanalytics.config import METRIC_SCALES


def nps_category(score: float) -> int:
    """+1 promoter (9–10), 0 passive (7–8), −1 detractor (0–6), as in DESIGN."""
    if score >= 9:
        return 1
    return 0 if score >= 7 else -1


def nps(promoters: float, detractors: float, responses: float) -> float:
    """100 · (promoters − detractors) / responses; NaN with no responses."""
    return 100.0 * (promoters - detractors) / responses if responses else math.nan


def rescale_to_10(metric: str, score: float) -> float:
    """Map a score from its metric's canonical scale onto 0–10 so metrics can be averaged.

    Every canonical scale here runs "higher is better" (nps 0–10, csat 1–5, ces 1–7).
    """
    low, high = METRIC_SCALES.get(metric, (0.0, 10.0))
    return 10.0 * (score - low) / (high - low)


@dataclass(frozen=True)
class NpsCounts:
    """Promoter / passive / detractor counts inside a pain point and outside it."""

    in_promoters: int
    in_passives: int
    in_detractors: int
    out_promoters: int
    out_passives: int
    out_detractors: int

    def as_array(self) -> np.ndarray:
        return np.array(
            [
                self.in_promoters,
                self.in_passives,
                self.in_detractors,
                self.out_promoters,
                self.out_passives,
                self.out_detractors,
            ],
            dtype=float,
        )


def _impact_from_cells(cells: np.ndarray) -> np.ndarray:
    """Vectorised nps_impact over rows of 6 cells (in P, in Pa, in D, out P, out Pa, out D)."""
    cells = np.atleast_2d(cells)
    n_all = cells.sum(axis=1)
    n_out = cells[:, 3:].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        all_nps = 100.0 * (cells[:, 0] + cells[:, 3] - cells[:, 2] - cells[:, 5]) / n_all
        out_nps = 100.0 * (cells[:, 3] - cells[:, 5]) / n_out
    return np.where((n_all > 0) & (n_out > 0), all_nps - out_nps, np.nan)


def nps_impact(counts: NpsCounts) -> float:
    """NPS of all responses − NPS of the responses outside the pain point (DESIGN).

    Negative when the pain point drags NPS down: −8 means removing these respondents'
    answers would raise NPS by 8 points. NaN when no NPS response is left outside it.
    """
    return float(_impact_from_cells(counts.as_array())[0])


def nps_impact_interval(
    counts: NpsCounts, n_bootstrap: int = 1000, seed: int | list[int] = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of :func:`nps_impact`.

    Resampling n responses with replacement is the same as one multinomial draw over the six
    (inside/outside × promoter/passive/detractor) cells, so B resamples cost one call.
    """
    cells = counts.as_array()
    total = int(cells.sum())
    if total == 0 or n_bootstrap <= 0 or cells[3:].sum() == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(total, cells / total, size=n_bootstrap).astype(float)
    impacts = _impact_from_cells(draws)
    impacts = impacts[~np.isnan(impacts)]
    if impacts.size == 0:
        return (math.nan, math.nan)
    tail = (1 - level) / 2
    low, high = np.quantile(impacts, [tail, 1 - tail])
    return (float(low), float(high))


def two_proportion_z(hits_a: int, n_a: int, hits_b: int, n_b: int) -> float:
    """z of "share in A is above share in B" with the pooled standard error; 0 if undefined."""
    if n_a == 0 or n_b == 0:
        return 0.0
    pooled = (hits_a + hits_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return 0.0
    return (hits_a / n_a - hits_b / n_b) / se


def _missing(value: float | None) -> bool:
    return value is None or math.isnan(value)


def priority_score(
    reach: int,
    nps_impact_points: float | None,
    retention_gap_points: float | None,
    cohesion: float,
    ci_width: float | None,
) -> tuple[float, float, float]:
    """(impact, confidence, priority) — a RICE-style score with effort left out.

    impact = max(−nps_impact, 0) + max(retention gap, 0): NPS points the pain point costs
    plus how many percentage points fewer of its respondents are still active 4 weeks
    later (the caller shrinks that gap by its sample size).
    confidence = cohesion × 1 / (1 + CI width / 20): a coherent cluster with a narrow
    interval scores near its cohesion; a 20-point-wide interval halves it (no NPS answers
    at all counts as half). priority = reach × impact × confidence.
    """
    nps_cost = 0.0 if _missing(nps_impact_points) else -float(nps_impact_points or 0.0)
    gap = 0.0 if _missing(retention_gap_points) else float(retention_gap_points or 0.0)
    impact = max(nps_cost, 0.0) + max(gap, 0.0)
    certainty = 0.5 if _missing(ci_width) else 1.0 / (1.0 + float(ci_width or 0.0) / 20.0)
    confidence = max(cohesion, 0.0) * certainty
    return impact, confidence, reach * impact * confidence

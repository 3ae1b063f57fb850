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


#: Each metric as the mean of a value per response (DESIGN's definitions): NPS = mean of
#: +100 (promoter) / 0 / −100 (detractor); CSAT = mean of 100 (a 4–5 answer) / 0; CES = the
#: mean score. So one "cost" formula and one bootstrap serve all three.
def response_values(metric: str, scores: np.ndarray) -> np.ndarray:
    """Each response's contribution to its metric (canonical scales, higher is better)."""
    scores = np.asarray(scores, dtype=float)
    if metric == "nps":
        return np.where(scores >= 9, 100.0, np.where(scores >= 7, 0.0, -100.0))
    if metric == "csat":
        return np.where(scores >= 4, 100.0, 0.0)
    return scores


@dataclass(frozen=True)
class ScoreCells:
    """Responses of one metric per value level, inside a pain point and outside it."""

    levels: np.ndarray
    inside: np.ndarray
    outside: np.ndarray

    @classmethod
    def from_values(cls, inside: np.ndarray, everyone: np.ndarray) -> ScoreCells:
        """From the pain point's response values and every response's values."""
        levels, total = np.unique(np.asarray(everyone, dtype=float), return_counts=True)
        index = np.searchsorted(levels, np.asarray(inside, dtype=float))
        counts_in = np.bincount(index, minlength=len(levels)).astype(float)
        return cls(levels, counts_in, np.maximum(total - counts_in, 0).astype(float))

    def as_array(self) -> np.ndarray:
        return np.concatenate([self.inside, self.outside]).astype(float)


def _cost_from_cells(cells: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Vectorised score cost over rows of cells (inside levels, then outside levels)."""
    cells = np.atleast_2d(cells)
    k = len(levels)
    inside, outside = cells[:, :k], cells[:, k:]
    n_all = cells.sum(axis=1)
    n_out = outside.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_all = (inside + outside) @ levels / n_all
        mean_out = outside @ levels / n_out
    return np.where((n_all > 0) & (n_out > 0), mean_out - mean_all, np.nan)


def score_cost(cells: ScoreCells) -> float:
    """Metric of the responses outside the pain point − metric of all responses: the points
    (NPS, CSAT) or score units (CES) the metric loses to this pain point. Positive when the
    pain point drags the metric down; NaN when no response is left outside it."""
    return float(_cost_from_cells(cells.as_array(), cells.levels)[0])


def score_cost_interval(
    cells: ScoreCells, n_bootstrap: int = 1000, seed: int | list[int] = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of :func:`score_cost`.

    Resampling n responses with replacement is the same as one multinomial draw over the
    (inside/outside × value level) cells, so B resamples cost one call.
    """
    cells_array = cells.as_array()
    total = int(cells_array.sum())
    if total == 0 or n_bootstrap <= 0 or cells.outside.sum() == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(total, cells_array / total, size=n_bootstrap).astype(float)
    costs = _cost_from_cells(draws, cells.levels)
    costs = costs[~np.isnan(costs)]
    if costs.size == 0:
        return (math.nan, math.nan)
    tail = (1 - level) / 2
    low, high = np.quantile(costs, [tail, 1 - tail])
    return (float(low), float(high))


#: NPS levels in the order of :class:`NpsCounts` (promoter, passive, detractor).
_NPS_LEVELS = np.array([100.0, 0.0, -100.0])


def _nps_cells(counts: NpsCounts) -> ScoreCells:
    cells = counts.as_array()
    return ScoreCells(_NPS_LEVELS, cells[:3], cells[3:])


def nps_impact(counts: NpsCounts) -> float:
    """NPS of all responses − NPS of the responses outside the pain point (DESIGN).

    Negative when the pain point drags NPS down: −8 means removing these respondents'
    answers would raise NPS by 8 points. NaN when no NPS response is left outside it.
    It is minus the NPS :func:`score_cost`.
    """
    return -score_cost(_nps_cells(counts))


def nps_impact_interval(
    counts: NpsCounts, n_bootstrap: int = 1000, seed: int | list[int] = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of :func:`nps_impact` (see :func:`score_cost_interval`)."""
    low, high = score_cost_interval(_nps_cells(counts), n_bootstrap, seed, level)
    return (-high, -low)


def two_proportion_z(hits_a: int, n_a: int, hits_b: int, n_b: int) -> float:
    """z of "share in A is above share in B" with the pooled standard error; 0 if undefined."""
    if n_a == 0 or n_b == 0:
        return 0.0
    pooled = (hits_a + hits_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return 0.0
    return (hits_a / n_a - hits_b / n_b) / se


#: Width of each metric's scale (NPS −100..100, CSAT 0..100, CES 1..7): an interval a
#: tenth of it wide halves the confidence.
SCALE_WIDTH: dict[str, float] = {"nps": 200.0, "csat": 100.0, "ces": 6.0}
#: Pseudo-respondents a retention difference is shrunk by: difference · n / (n + prior).
RETENTION_PRIOR = 20.0
#: Others' churn is floored here in the retention factor (no division by a tiny churn).
_MIN_CHURN = 0.05


def retention_gap(
    respondents_retained: float | None, others_retained: float | None, respondents: int
) -> float | None:
    """Percentage points fewer of the respondents still active 4 weeks later than of the
    other respondents, shrunk towards 0 by n / (n + :data:`RETENTION_PRIOR`): a gap seen on
    4 respondents is mostly noise. None when either share is unknown."""
    if respondents_retained is None or others_retained is None or respondents <= 0:
        return None
    if math.isnan(respondents_retained) or math.isnan(others_retained):
        return None
    weight = respondents / (respondents + RETENTION_PRIOR)
    return weight * 100.0 * (others_retained - respondents_retained)


def retention_gap_interval(
    respondents_retained: float, others_retained: float, respondents: int, others: int
) -> tuple[float, float] | None:
    """95% normal interval of :func:`retention_gap`, shrunk alike (for the report: the gap
    itself is what the priority uses). None when either group is empty."""
    if respondents <= 0 or others <= 0:
        return None
    p1, p2 = respondents_retained, others_retained
    se = math.sqrt(p1 * (1 - p1) / respondents + p2 * (1 - p2) / others)
    weight = 100.0 * respondents / (respondents + RETENTION_PRIOR)
    return (p2 - p1 - 1.96 * se) * weight, (p2 - p1 + 1.96 * se) * weight


def retention_factor(gap_points: float | None, others_retained: float | None) -> float | None:
    """How many times as often this pain point's respondents are gone 4 weeks later as the
    other respondents (the shrunk gap over the others' churn), at least 1: a pain point is
    not made less urgent because a few of its respondents stayed. None without retention
    data."""
    if gap_points is None or others_retained is None or math.isnan(others_retained):
        return None
    churn_out = max(1.0 - others_retained, _MIN_CHURN)
    return 1.0 + max(gap_points, 0.0) / 100.0 / churn_out


def priority_score(
    reach: int,
    cost: float | None,
    ci_width: float | None,
    metric: str,
    cohesion: float,
    retention: float | None = None,
) -> tuple[float, float, float]:
    """(impact, confidence, priority): reach × score cost × retention factor × confidence,
    a RICE-style score with effort left out (effort is unknown).

    ``cost``: the points (NPS, CSAT) or units (CES) the metric loses to the pain point
    (:func:`score_cost`; a pain point that raises it costs 0). ``retention``: the
    :func:`retention_factor`; None (no events, or respondents not observed 5 weeks) leaves
    it out, so the priority falls back to the score cost alone. impact = cost × factor.
    confidence = cohesion / (1 + CI width / (a tenth of the metric's scale)): a coherent
    cluster with a narrow interval scores near its cohesion; an NPS interval 20 points wide
    halves it; no interval (no answer of the metric outside) counts as half.
    """
    cost_part = 0.0 if cost is None or math.isnan(cost) else max(cost, 0.0)
    impact = cost_part * (1.0 if retention is None else retention)
    tenth = SCALE_WIDTH.get(metric, 200.0) / 10.0
    certainty = 0.5
    if ci_width is not None and not math.isnan(ci_width):
        certainty = 1.0 / (1.0 + ci_width / tenth)
    confidence = max(cohesion, 0.0) * certainty
    return impact, confidence, reach * impact * confidence

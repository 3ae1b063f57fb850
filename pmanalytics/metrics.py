"""Survey metrics as the marts define them (docs/metrics.md), for notebooks and scripts.

``marts.kpi_survey_scores`` computes these in SQL per month and segment; an ad-hoc question
("NPS of customers who hit three export failures") needs the same formula on any group of
scores. Each function takes the scores on the metric's canonical scale (nps 0–10, csat 1–5,
ces 1–7); missing values are left out.

    import pmanalytics as pma
    pma.nps([10, 9, 8, 6, 0])                        # 0.0
    responses.groupby("plan")["score"].agg(pma.nps)  # NPS per plan
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

#: z of a two-sided 95% normal interval, as in the marts
Z95 = 1.96
#: each metric's scale: the interval is clipped to it
SCALES = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "ces": (1.0, 7.0)}


def _values(scores: Iterable[float | None]) -> list[float]:
    return [float(s) for s in scores if s is not None and not math.isnan(float(s))]


def nps(scores: Iterable[float | None]) -> float:
    """100 × (promoters − detractors) ÷ responses; promoters score 9–10, detractors 0–6.
    NaN without responses."""
    values = _values(scores)
    if not values:
        return math.nan
    promoters = sum(v >= 9 for v in values)
    detractors = sum(v <= 6 for v in values)
    return 100.0 * (promoters - detractors) / len(values)


def csat(scores: Iterable[float | None]) -> float:
    """100 × the share of 4–5 on a 1–5 scale. NaN without responses."""
    values = _values(scores)
    if not values:
        return math.nan
    return 100.0 * sum(v >= 4 for v in values) / len(values)


def ces(scores: Iterable[float | None]) -> float:
    """The mean score on a 1–7 scale (higher = easier). NaN without responses."""
    values = _values(scores)
    return sum(values) / len(values) if values else math.nan


@dataclass(frozen=True)
class SurveyScore:
    """A score with its 95% interval (None when the standard error is undefined)."""

    metric: str
    responses: int
    score: float
    ci_low: float | None
    ci_high: float | None


def survey_score(metric: str, scores: Iterable[float | None]) -> SurveyScore:
    """``metric``'s score of ``scores`` with the marts' 95% interval: score ± 1.96 × se,
    clipped to the scale (nps se = 100·√((p + d − (p − d)²) / n); csat se =
    100·√(s(1 − s) / n); ces se = sample sd / √n, none for one response)."""
    if metric not in SCALES:
        raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(SCALES)}")
    values = _values(scores)
    n = len(values)
    if n == 0:
        return SurveyScore(metric, 0, math.nan, None, None)
    if metric == "nps":
        p = sum(v >= 9 for v in values) / n
        d = sum(v <= 6 for v in values) / n
        score, se = 100 * (p - d), 100 * math.sqrt(max(p + d - (p - d) ** 2, 0) / n)
    elif metric == "csat":
        s = sum(v >= 4 for v in values) / n
        score, se = 100 * s, 100 * math.sqrt(s * (1 - s) / n)
    else:
        score = sum(values) / n
        se = math.sqrt(sum((v - score) ** 2 for v in values) / (n - 1) / n) if n > 1 else None
    if se is None:
        return SurveyScore(metric, n, score, None, None)
    low, high = SCALES[metric]
    return SurveyScore(metric, n, score, max(score - Z95 * se, low), min(score + Z95 * se, high))

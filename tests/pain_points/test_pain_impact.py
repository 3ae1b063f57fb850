"""Score costs (NPS, CSAT, CES) with bootstrap intervals, the emerging test, priorities."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmanalytics.pain_points.impact import (
    NpsCounts,
    ScoreCells,
    nps,
    nps_category,
    nps_impact,
    nps_impact_interval,
    priority_score,
    rescale_to_10,
    response_values,
    retention_factor,
    retention_gap,
    score_cost,
    score_cost_interval,
    two_proportion_z,
)


def test_hand_worked_example() -> None:
    # 10 NPS answers: 4 promoters, 2 passives, 4 detractors → NPS 0.
    # The pain point holds 3 detractors and 1 passive. Without them: 4 P, 1 Pa, 1 D → 50.
    # nps_impact = 0 − 50 = −50: the pain point costs 50 points.
    counts = NpsCounts(0, 1, 3, 4, 1, 1)
    assert nps_impact(counts) == pytest.approx(-50.0)


def test_categories_and_scales() -> None:
    assert [nps_category(s) for s in (0, 6, 7, 8, 9, 10)] == [-1, -1, 0, 0, 1, 1]
    assert nps(3, 1, 4) == 50.0 and math.isnan(nps(0, 0, 0))
    assert rescale_to_10("csat", 1) == 0 and rescale_to_10("csat", 5) == 10
    assert rescale_to_10("ces", 4) == 5 and rescale_to_10("nps", 7) == 7


def _oracle(scores_in: list[int], scores_out: list[int]) -> float:
    """Independent: straight from the DESIGN definition on lists of raw scores."""

    def score(xs: list[int]) -> float:
        return 100 * (sum(x >= 9 for x in xs) - sum(x <= 6 for x in xs)) / len(xs)

    return score(scores_in + scores_out) - score(scores_out)


@given(
    st.lists(st.integers(0, 10), max_size=40),
    st.lists(st.integers(0, 10), min_size=1, max_size=40),
)
def test_impact_matches_oracle(scores_in: list[int], scores_out: list[int]) -> None:
    def cells(xs: list[int]) -> list[int]:
        cats = [nps_category(x) for x in xs]
        return [cats.count(1), cats.count(0), cats.count(-1)]

    counts = NpsCounts(*cells(scores_in), *cells(scores_out))
    assert nps_impact(counts) == pytest.approx(_oracle(scores_in, scores_out))


def test_impact_undefined_when_nothing_outside() -> None:
    assert math.isnan(nps_impact(NpsCounts(1, 1, 1, 0, 0, 0)))
    assert all(math.isnan(v) for v in nps_impact_interval(NpsCounts(1, 1, 1, 0, 0, 0)))


def test_bootstrap_interval_brackets_the_estimate_and_is_seeded() -> None:
    counts = NpsCounts(2, 5, 30, 120, 80, 60)
    point = nps_impact(counts)
    low, high = nps_impact_interval(counts, 2000, seed=1)
    assert low < point < high
    assert high - low < 15
    assert (low, high) == nps_impact_interval(counts, 2000, seed=1)


def test_bootstrap_matches_row_resampling() -> None:
    """The multinomial shortcut agrees with resampling rows one by one."""
    counts = NpsCounts(3, 4, 20, 50, 30, 25)
    rows = np.repeat(np.arange(6), counts.as_array().astype(int))
    rng = np.random.default_rng(5)
    impacts = []
    for _ in range(2000):
        sample = rng.choice(rows, rows.size)
        impacts.append(nps_impact(NpsCounts(*np.bincount(sample, minlength=6).tolist())))
    slow_low, slow_high = np.nanquantile(impacts, [0.025, 0.975])
    low, high = nps_impact_interval(counts, 4000, seed=2)
    assert low == pytest.approx(slow_low, abs=1.5)
    assert high == pytest.approx(slow_high, abs=1.5)


def test_two_proportion_z() -> None:
    # 30/100 recently vs 10/100 before: pooled 0.2, se = sqrt(.2*.8*.02) = 0.0566 → z ≈ 3.54
    assert two_proportion_z(30, 100, 10, 100) == pytest.approx(3.5355, abs=1e-3)
    assert two_proportion_z(1, 10, 0, 0) == 0.0


def test_priority_formula() -> None:
    # reach 40, 8 NPS points lost with an interval 20 points wide, cohesion 0.5:
    # confidence = 0.5 / (1 + 20 / 20) = 0.25; no retention data: the score cost alone
    impact, confidence, priority = priority_score(40, 8.0, 20.0, "nps", 0.5)
    assert (impact, confidence) == (8.0, pytest.approx(0.25))
    assert priority == pytest.approx(40 * 8 * 0.25)
    # respondents who leave 1.25 times as often: the impact grows by that factor
    assert priority_score(40, 8.0, 20.0, "nps", 0.5, 1.25)[0] == pytest.approx(10.0)
    # a pain point that raises the score costs nothing, whatever its retention
    assert priority_score(40, -3.0, 4.0, "nps", 0.5, 2.0)[0] == 0.0
    # no interval (no answer of the metric outside it): half confidence
    assert priority_score(10, 2.0, None, "nps", 0.8)[1] == pytest.approx(0.4)
    # the interval is judged against a tenth of the metric's scale: 0.6 CES units halve it
    assert priority_score(10, 0.5, 0.6, "ces", 1.0)[1] == pytest.approx(0.5)
    assert priority_score(10, 5.0, 10.0, "csat", 1.0)[1] == pytest.approx(0.5)


def test_retention_gap_and_factor() -> None:
    # 40 % of others have left after 4 weeks, 60 % of the 20 respondents: a 20-point gap,
    # shrunk by 20 / (20 + 20) to 10 points; they leave 1 + 0.10 / 0.40 = 1.25 times as often
    gap = retention_gap(0.4, 0.6, 20)
    assert gap == pytest.approx(10.0)
    assert retention_factor(gap, 0.6) == pytest.approx(1.25)
    # respondents who stay more often do not lower the priority
    assert retention_factor(retention_gap(0.9, 0.6, 20), 0.6) == 1.0
    # nobody observed: no retention data, the factor is left out
    assert retention_gap(None, 0.6, 0) is None and retention_factor(None, 0.6) is None


def test_csat_cost_hand_worked() -> None:
    # 10 CSAT answers, 6 of them 4–5: CSAT 60. The pain point holds 3 answers, one a 4.
    # Without them: 5 of 7 satisfied, CSAT 71.4. It costs 71.4 − 60 = 11.4 CSAT points.
    everyone = np.array([5, 5, 4, 4, 4, 1, 2, 3, 4, 2], dtype=float)
    inside = np.array([4, 1, 2], dtype=float)
    cells = ScoreCells.from_values(
        response_values("csat", inside), response_values("csat", everyone)
    )
    assert score_cost(cells) == pytest.approx(100 * 5 / 7 - 60)


@given(
    st.lists(st.integers(1, 7), min_size=1, max_size=30),
    st.lists(st.integers(1, 7), min_size=1, max_size=30),
)
def test_ces_cost_matches_means(inside: list[int], outside: list[int]) -> None:
    """Independent: the mean of the answers outside minus the mean of all of them."""
    cells = ScoreCells.from_values(
        response_values("ces", np.array(inside)), response_values("ces", np.array(inside + outside))
    )
    expected = np.mean(outside) - np.mean(inside + outside)
    assert score_cost(cells) == pytest.approx(expected)
    low, high = score_cost_interval(cells, 200, seed=0)
    assert low <= high


def _themes(metric_cost: list[float], mean_score: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pain_point_id": ["pp_0001", "pp_0002", "pp_0003"],
            "label": ["Exports fail", "Pricing is steep", "Would like templates"],
            "status": ["active"] * 3,
            "comments": [10, 30, 5],
            "respondents": [10, 30, 5],
            "mean_score": mean_score,
            "nps_impact": [-c for c in metric_cost],
            "cohesion": [0.5, 0.5, 0.5],
            "score_metric": ["nps"] * 3,
            "score_cost": metric_cost,
            "score_cost_ci_low": [c - 2 for c in metric_cost],
            "score_cost_ci_high": [c + 2 for c in metric_cost],
        }
    )


def test_without_retention_data_priority_is_the_score_cost() -> None:
    from pmanalytics.pain_points.behaviour import empty_behaviour
    from pmanalytics.pain_points.summaries import priorities

    # passives who complain about pricing still cost NPS: ranked by what they cost, not by
    # how satisfied they are on average
    ranked = priorities(_themes([5.0, 2.6, -0.5], [2.0, 7.0, 9.0]), empty_behaviour())
    assert ranked["pain_point_id"].tolist() == ["pp_0002", "pp_0001", "pp_0003"]
    # confidence = 0.5 / (1 + 4 / 20)
    assert ranked.loc[0, "priority"] == pytest.approx(30 * 2.6 * 0.5 / 1.2)
    assert not ranked["uses_retention"].any() and ranked["retention_factor"].isna().all()
    assert ranked["is_pain"].tolist() == [True, True, False]
    assert ranked.loc[2, "priority"] == 0.0


def test_retention_multiplies_the_score_cost() -> None:
    from pmanalytics.pain_points.summaries import priorities

    behaviour = pd.DataFrame(
        {
            "pain_point_id": ["pp_0001", "pp_0002"],
            "measure": ["retained_4w", "retained_4w"],
            "respondents_value": [0.4, 0.6],
            "others_value": [0.6, 0.6],
            "respondents": [20, 30],
        }
    )
    ranked = priorities(_themes([5.0, 2.6, -0.5], [2.0, 7.0, 9.0]), behaviour)
    by_id = ranked.set_index("pain_point_id")
    assert by_id.loc["pp_0001", "retention_factor"] == pytest.approx(1.25)
    assert by_id.loc["pp_0001", "impact"] == pytest.approx(5.0 * 1.25)
    assert by_id.loc["pp_0002", "retention_factor"] == 1.0  # measured, no gap
    assert by_id["uses_retention"].tolist() == [True, True, False]

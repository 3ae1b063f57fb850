"""NPS impact, its bootstrap interval, the emerging test and the priority formula."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmanalytics.pain_points.impact import (
    NpsCounts,
    nps,
    nps_category,
    nps_impact,
    nps_impact_interval,
    priority_score,
    rescale_to_10,
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
    impact, confidence, priority = priority_score(40, -8.0, 5.0, 0.5, 20.0)
    assert impact == 13.0
    assert confidence == pytest.approx(0.25)
    assert priority == pytest.approx(40 * 13 * 0.25)
    # a pain point that lifts NPS and retention costs nothing
    assert priority_score(40, 6.0, -3.0, 0.5, 4.0)[0] == 0.0
    # no NPS answers: half confidence
    assert priority_score(10, None, 2.0, 0.8, None)[1] == pytest.approx(0.4)


def test_themes_of_satisfied_customers_rank_last_at_zero_priority() -> None:
    from pmanalytics.pain_points.summaries import priorities

    themes = pd.DataFrame(
        {
            "pain_point_id": ["pp_0001", "pp_0002"],
            "label": ["export / fails", "love / great"],
            "status": ["active", "active"],
            "comments": [10, 30],
            "respondents": [10, 30],
            "mean_score": [2.0, 9.0],  # overall mean of commenters = 7.25
            "nps_impact": [-5.0, 4.0],
            "nps_impact_ci_low": [-8.0, 1.0],
            "nps_impact_ci_high": [-2.0, 7.0],
            "cohesion": [0.5, 0.5],
        }
    )
    behaviour = pd.DataFrame(
        {
            "pain_point_id": ["pp_0001", "pp_0002"],
            "measure": ["retained_4w", "retained_4w"],
            "respondents_value": [0.4, 0.2],  # praise respondents retain worse here: still praise
            "others_value": [0.6, 0.6],
            "respondents": [10, 30],
        }
    )
    ranked = priorities(themes, behaviour)
    assert ranked["pain_point_id"].tolist() == ["pp_0001", "pp_0002"]
    assert ranked["is_pain"].tolist() == [True, False]
    assert ranked.loc[1, "priority"] == 0.0 and ranked.loc[0, "priority"] > 0

"""The pain-point section explains its ranking: parts, intervals, chance, in words."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest

from pmanalytics.pain_points.behaviour import BEHAVIOUR_COLUMNS
from pmanalytics.reports.behaviour import (
    benjamini_hochberg,
    line_p_value,
    mark_chance_differences,
)
from pmanalytics.reports.data import PainPointData
from pmanalytics.reports.pain_points import (
    _delighters_block,
    _ranking_columns,
    _why_line,
    behaviour_sentence,
    explain_priorities,
)


def test_fisher_for_retention_and_active_days() -> None:
    # Fisher's tea tasting: 3 of 4 vs 1 of 4, two-sided p = 17/35 = 0.4857
    assert line_p_value("retained_4w", 0.75, 0.25, 4, 4) == pytest.approx(17 / 35)
    # active days are customer-days: 2 customers × 2 days, all active vs none active
    # [[4, 0], [0, 4]]: p = 2 / C(8, 4) = 2 / 70
    assert line_p_value("active_days_2d", 2.0, 0.0, 2, 2) == pytest.approx(2 / 70)


def test_poisson_rate_test_for_events_and_no_test_for_means() -> None:
    # 10 events among 5 customers, 0 among 5 others: given 10 events, each lands on the
    # first group with probability 1/2, so p = 2 × 0.5^10
    assert line_p_value("event_rate:Export Failed", 2.0, 0.0, 5, 5) == pytest.approx(2 / 1024)
    assert line_p_value("event_rate:Export Failed", 0.0, 0.0, 5, 5) == 1.0
    # the mart holds no spread for a property mean: nothing tells it from noise
    assert math.isnan(line_p_value("property_mean:Dashboard Loaded.duration_ms", 9, 2, 50, 50))
    assert math.isnan(line_p_value("retained_4w", 0.5, 0.5, None, 10))


def test_benjamini_hochberg_by_hand() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 → × 4 / rank = 0.02, 0.02, 0.04, 0.04 (monotone)
    p = pd.Series([0.01, 0.04, 0.03, 0.005, math.nan])
    q = benjamini_hochberg(p)
    assert q.iloc[:4].tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert math.isnan(q.iloc[4])


PRIORITY_COLUMNS = [
    "rank",
    "pain_point_id",
    "label",
    "reach",
    "impact",
    "confidence",
    "priority",
    "nps_cost",
    "retention_gap",
    "is_pain",
]
#: the pain_points columns explain_priorities reads
PAIN_POINT_COLUMNS = [
    "pain_point_id",
    "comments",
    "share",
    "nps",
    "nps_impact",
    "nps_impact_ci_low",
    "nps_impact_ci_high",
    "respondents",
    "is_emerging",
]


def _behaviour() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("pp1", "event_rate:Export Failed", 5.57, 0.356, 15.6, 21, 390),
            ("pp1", "retained_4w", 0.71, 0.64, 1.11, 7, 167),
            ("pp1", "property_mean:Dashboard Loaded.duration_ms", 8250.0, 2102.0, 3.92, 57, 354),
        ],
        columns=BEHAVIOUR_COLUMNS,
    )


def test_lines_are_marked_real_chance_or_untested() -> None:
    marked = mark_chance_differences(_behaviour())
    assert marked["could_be_chance"].tolist() == [False, True, True]
    assert marked["q_value"].iloc[0] < 0.05 and math.isnan(marked["p_value"].iloc[2])


def test_a_behaviour_line_is_one_sentence_with_units_and_group_sizes() -> None:
    lines = list(_behaviour().itertuples())
    assert behaviour_sentence(lines[0]) == (
        "Export Failed events per customer: 5.57 vs 0.356 (15.6×; 21 vs 390 customers)"
    )
    assert behaviour_sentence(lines[1]) == (
        "Still active 4 weeks later: 71 % vs 64 % (1.11×; 7 vs 167 customers)"
    )
    assert behaviour_sentence(lines[2]) == (
        "Dashboard Loaded, mean duration (seconds): 8.25 vs 2.1 (3.92×; 57 vs 354 customers)"
    )


def test_priority_parts_and_intervals() -> None:
    priorities = pd.DataFrame(
        [(1, "pp1", "Exports fail", 21, 9.0, 0.5, 94.5, 6.0, 3.0, True)],
        columns=PRIORITY_COLUMNS,
    ).assign(score_metric="nps", score_cost=6.0, retention_factor=1.5, uses_retention=True)
    pain_points = pd.DataFrame(
        [("pp1", 30, 0.1, -20.0, -6.0, -9.5, -2.5, 21, True)],
        columns=PAIN_POINT_COLUMNS,
    ).assign(score_cost_ci_low=2.5, score_cost_ci_high=9.5)
    behaviour = pd.DataFrame(
        [("pp1", "retained_4w", 0.5, 0.7, 0.71, 30, 170)],
        columns=_behaviour().columns,
    )
    data = PainPointData(pain_points, priorities, pd.DataFrame(), behaviour)
    ranked = explain_priorities(data)
    (row,) = ranked.itertuples()
    assert (row.nps_lost, row.nps_lost_low, row.nps_lost_high) == (6.0, 2.5, 9.5)
    assert (row.score_cost, row.score_low, row.score_high) == (6.0, 2.5, 9.5)
    # gap 0.2 ± 1.96·√(0.5·0.5/30 + 0.7·0.3/170), in points shrunk by 30 / (30 + 20)
    se = math.sqrt(0.25 / 30 + 0.21 / 170)
    assert row.gap_low == pytest.approx((0.2 - 1.96 * se) * 100 * 0.6)
    assert row.gap_high == pytest.approx((0.2 + 1.96 * se) * 100 * 0.6)
    assert bool(row.is_emerging)
    assert _why_line(row, _ranking_columns(ranked)) == (
        "Priority 94.5 = 21 customers × 6.0 NPS points lost × 1.50 retention factor "
        "(3.0 pts gap) × 0.50 confidence."
    )


def test_without_retention_the_score_cost_alone_is_the_impact() -> None:
    """A survey-only warehouse (CSAT, no events): the priority is reach × CSAT points lost ×
    confidence, and the reader is told why retention is not in it."""
    priorities = pd.DataFrame(
        [(1, "pp1", "Too thin", 300, 12.5, 0.3, 1125.0, None, None, True)],
        columns=PRIORITY_COLUMNS,
    ).assign(score_metric="csat", score_cost=12.5, retention_factor=None, uses_retention=False)
    pain_points = pd.DataFrame(
        [("pp1", 300, 0.1, None, None, None, None, 300, False)],
        columns=PAIN_POINT_COLUMNS,
    ).assign(score_cost_ci_low=8.0, score_cost_ci_high=17.0)
    data = PainPointData(pain_points, priorities, pd.DataFrame(), _behaviour().iloc[0:0])
    ranked = explain_priorities(data)
    shown = _ranking_columns(ranked)
    (row,) = ranked.itertuples()
    assert math.isnan(row.nps_lost) and (row.score_low, row.score_high) == (8.0, 17.0)
    assert (shown.score_metric, shown.retention, shown.factor) == ("csat", False, False)
    assert _why_line(row, shown) == (
        "Priority 1,125 = 300 customers × 12.5 CSAT points lost × 0.30 confidence. "
        "No retention measured for its customers, so the score cost alone counts."
    )


def test_an_older_warehouse_reads_its_nps_cost_as_the_score_cost() -> None:
    priorities = pd.DataFrame(
        [(1, "pp1", "Exports fail", 21, 9.0, 0.5, 94.5, 6.0, 3.0, True)],
        columns=PRIORITY_COLUMNS,
    )
    pain_points = pd.DataFrame(
        [("pp1", 30, 0.1, -20.0, -6.0, -9.5, -2.5, 21, True)],
        columns=PAIN_POINT_COLUMNS,
    )
    data = PainPointData(pain_points, priorities, pd.DataFrame(), _behaviour().iloc[0:0])
    (row,) = explain_priorities(data).itertuples()
    assert (row.score_metric, row.score_cost, row.score_low) == ("nps", 6.0, 2.5)


def _section(path: Path) -> str:
    page = path.read_text(encoding="utf-8")
    return page[page.index('<section id="pain-points">') : page.index('<section id="quality">')]


def test_demo_report_shows_how_each_priority_is_built(sample_report: Path) -> None:
    section = _section(sample_report)
    # the demo's pain points cost NPS or CSAT points: one column, the unit in each cell
    assert "score lost (95%)" in section and "retention gap, pts (95%)" in section
    assert "× retention factor" in section
    assert re.search(
        r"Priority [\d.,]+ = \d+ customers × [\d.]+ (NPS|CSAT) points lost"
        r" × [\d.]+ retention factor",
        section,
    )
    assert "could be chance" in section and "Benjamini–Hochberg" in section
    assert "What customers love" in section
    text = re.sub(r"<[^>]+>", " ", section)
    for raw in ("event_rate:", "property_mean:", "active_days_", "retained_4w", "e+0"):
        assert raw not in text, raw


def test_survey_only_report_ranks_without_behaviour(survey_only_report: Path) -> None:
    section = _section(survey_only_report)
    assert "retention gap, pts" not in section  # no events: no retention column
    assert "needs usage events joined to the respondents" in section
    assert "CSAT of these customers" in section or "CES of these customers" in section


def test_praise_from_customers_who_score_below_the_rest_is_a_note_not_a_strength() -> None:
    delighters = pd.DataFrame(
        {
            "pain_point_id": ["dl_1", "dl_2", "dl_3", "dl_4", "dl_5"],
            "label": ["Good", "Easy to start", "Solid", "Fast support", "Felt safe"],
            "comments": [22, 20, 10, 8, 7],
            "nps": [-59.0, 80.0, -20.0, math.nan, 30.0],
            "example_comments": [
                ["Good but slow"],
                ["easy"],
                ["Solid, but dated"],
                ["quick"],
                ["safe"],
            ],
            # NPS points lost to the theme and the low end of its 95% interval: clearly
            # above 0 when its customers score below the rest
            "score_cost": [3.8, -3.5, 0.5, math.nan, 0.04],
            "score_cost_ci_low": [1.9, -5.4, 0.1, math.nan, -0.1],
            "with_pain_point": pd.array([12, 0, 0, pd.NA, 1], dtype="Int64"),
        }
    )
    block = str(_delighters_block(delighters, pd.DataFrame(), str, {"nps": -7.4}))
    listed = block[: block.index("</table>")]
    assert "Easy to start" in listed and "Fast support" in listed  # unknown cost: listed
    assert "Felt safe" in listed  # below the rest by an estimate whose interval spans 0
    assert "Good" not in listed and "Solid" not in listed
    faint = block[block.index("</table>") :]
    assert (
        "“Good” (22 comments, NPS -59 against -7 for everyone, 12 of them also raise a pain point)"
        in faint
    )
    assert "“Solid” (10 comments, NPS -20 against -7 for everyone)." in faint
    # without NPS, the theme's own CSAT or CES
    scores = pd.DataFrame({"theme_id": ["dl_3"], "metric": ["csat"], "score": [76.6]})
    no_nps = str(_delighters_block(delighters.assign(nps=math.nan), scores, str))
    assert "“Solid” (10 comments, CSAT 77%)." in no_nps  # no overall figure given: none said
    with_overall = str(
        _delighters_block(delighters.assign(nps=math.nan), scores, str, {"csat": 85.0})
    )
    assert "“Solid” (10 comments, CSAT 77% against 85% for everyone)." in with_overall
    # every theme below the rest: no empty table, the note alone
    only_faint = str(_delighters_block(delighters.iloc[[0, 2]], pd.DataFrame(), str))
    assert "<table" not in only_faint and "Not listed" in only_faint

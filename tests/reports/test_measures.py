"""Behaviour measures read as words and units, not as ids and exponents."""

from __future__ import annotations

import math

import pytest

from pmanalytics.reports.pain_points import measure_label, measure_value


@pytest.mark.parametrize(
    ("measure", "value", "label", "shown"),
    [
        ("active_days_28d", 8.26, "days active in the 28 days after answering", "8.26"),
        ("retained_4w", 0.652, "still active 4 weeks later", "65 %"),
        ("event_rate:App Crashed", 6.25, "App Crashed events per customer", "6.25"),
        ("event_rate:Export Failed", 1234.5, "Export Failed events per customer", "1,234"),
        (
            "property_mean:Dashboard Loaded.duration_ms",
            8250.0,  # milliseconds in the mart: 8.25e+03 in the report before
            "Dashboard Loaded, mean duration (seconds)",
            "8.25",
        ),
        ("property_mean:Comment Added.mentions", 0.601, "Comment Added, mean mentions", "0.601"),
        ("a measure of its own", 3.0, "a measure of its own", "3"),  # unknown: as it is
        ("retained_4w", math.nan, "still active 4 weeks later", "–"),
    ],
)
def test_measures_in_words_with_units(measure: str, value: float, label: str, shown: str) -> None:
    assert measure_label(measure) == label
    assert measure_value(measure, value) == shown
    assert "e+" not in measure_value(measure, value * 1e6)  # never an exponent


def test_nps_points_lost_has_one_sign_everywhere() -> None:
    from pmanalytics.reports.pain_points import points_lost as _points_lost

    # nps_impact = NPS of all − NPS without the pain point: −8 means 8 points lost, which is
    # what the mart's nps_cost and the report's "NPS points lost" both say
    assert _points_lost(-8.0) == 8.0
    assert _points_lost(2.5) == -2.5
    assert str(_points_lost(0.0)) == "0.0"  # not "-0.0"
    assert _points_lost(None) is None and _points_lost(math.nan) is None


def test_long_quotes_are_cut_short() -> None:
    from pmanalytics.reports.pain_points import QUOTE_WORDS, short_quote

    short = "Exports fail every time."
    assert short_quote(short) == short
    rambling = " ".join(["word"] * 60)
    cut = short_quote(rambling)
    assert cut.endswith(" …") and len(cut.split()) == QUOTE_WORDS + 1  # the words and "…"
    # a sentence end late in the allowance is where the quote stops
    sentences = " ".join(["alpha"] * 35) + ". " + " ".join(["beta"] * 30)
    assert short_quote(sentences) == " ".join(["alpha"] * 35) + "."

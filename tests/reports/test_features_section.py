"""The Feature adoption section speaks to a PM: what "used" means, and how to add features
when none are configured (hand-made frames, no warehouse)."""

from __future__ import annotations

import pandas as pd

from pmanalytics.reports.sections import features_section


def test_the_intro_says_what_counts_as_using_a_feature() -> None:
    adoption = pd.DataFrame(
        {
            "feature": ["exports"],
            "period_start": [pd.Timestamp("2026-03-02")],
            "feature_users": [40],
            "active_users": [100],
            "adoption_rate": [0.4],
        }
    )
    section = features_section(adoption)
    assert "at least one of its events" in section.intro
    assert "[[" not in section.intro  # config syntax belongs in the how-to, not the reading


def test_without_features_it_says_where_to_configure_them() -> None:
    section = features_section(pd.DataFrame())
    [block] = section.blocks
    assert "pmanalytics.toml" in block and "[[features]]" in block

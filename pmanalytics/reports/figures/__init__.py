"""One pure function per chart: a DataFrame (as the loaders in ``data`` return) in, a figure out.

The report and the notebooks call the same functions, so a chart looks the same everywhere.
No function reads the warehouse or writes files. Plotly renders labels, hover text and tick
labels as a small subset of HTML, so every piece of customer text placed in a figure (segment
values, pain-point labels, funnel steps, feature names) goes through :func:`plotly_text` first.
"""

from pmanalytics.reports.figures.activity import (
    active_users_figure,
    lifecycle_figure,
    retention_heatmap_figure,
    stickiness_figure,
)
from pmanalytics.reports.figures.base import empty_figure, human_duration, plotly_text
from pmanalytics.reports.figures.conversion import (
    activation_figure,
    feature_adoption_figure,
    funnel_figure,
)
from pmanalytics.reports.figures.pain_points import (
    pain_point_priority_figure,
    pain_point_trend_figure,
)
from pmanalytics.reports.figures.surveys import survey_segments_figure, survey_trend_figure

__all__ = [
    "activation_figure",
    "active_users_figure",
    "empty_figure",
    "feature_adoption_figure",
    "funnel_figure",
    "human_duration",
    "lifecycle_figure",
    "pain_point_priority_figure",
    "pain_point_trend_figure",
    "plotly_text",
    "retention_heatmap_figure",
    "stickiness_figure",
    "survey_segments_figure",
    "survey_trend_figure",
]

"""Pain-point figures: priority ranking and weekly trend."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from pmanalytics.reports.figures.base import (
    COLORS,
    empty_figure,
    plotly_text,
    style,
)


def pain_point_priority_figure(priorities: pd.DataFrame) -> go.Figure:
    """Pain points ranked by priority (reach × impact × confidence), highest on top."""
    title = "Pain points by priority"
    if priorities.empty:
        return empty_figure(title, "No pain points found")
    rows = priorities.sort_values("rank")
    labels = [
        f"#{int(r)} {plotly_text(t)}" for r, t in zip(rows["rank"], rows["label"], strict=True)
    ]
    fig = go.Figure()
    fig.add_bar(
        y=labels,
        x=rows["priority"],
        orientation="h",
        marker={"color": COLORS[3]},
        customdata=list(zip(rows["reach"], rows["impact"], rows["confidence"], strict=True)),
        hovertemplate="%{y}<br>priority %{x:.3g}<br>reach %{customdata[0]:.3g} · impact "
        "%{customdata[1]:.3g} · confidence %{customdata[2]:.2f}<extra></extra>",
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    return style(
        fig, title, "Priority (reach × impact × confidence)", "", height=140 + 34 * len(rows)
    )


def pain_point_trend_figure(trend: pd.DataFrame, labels: Mapping[Any, str]) -> go.Figure:
    """Weekly share of comments about each pain point: is it growing or fading?"""
    title = "Pain points over time"
    if trend.empty:
        return empty_figure(title, "No pain-point trend yet")
    fig = go.Figure()
    for i, (pid, rows) in enumerate(trend.groupby("pain_point_id", sort=False)):
        label = plotly_text(labels.get(pid, pid))
        rows = rows.sort_values("period_start")
        fig.add_scatter(
            x=pd.to_datetime(rows["period_start"]),
            y=rows["share"].astype(float) * 100,
            mode="lines+markers",
            name=label,
            line={"color": COLORS[i % len(COLORS)], "width": 2},
            customdata=rows["comments"],
            hovertemplate=label + ": %{y:.1f}% of comments (%{customdata:,})<extra></extra>",
        )
    fig.update_layout(hovermode="x unified")
    return style(fig, title, "Week starting", "Share of the week's comments (%)")

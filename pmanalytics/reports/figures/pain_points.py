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


#: Lines a reader can tell apart: the biggest pain points, the rest summed as "other".
TREND_LINES = 6
#: A week with fewer comments than this is left out: one comment is not "100 %".
MIN_WEEK_COMMENTS = 5


def pain_point_trend_figure(trend: pd.DataFrame, labels: Mapping[Any, str]) -> go.Figure:
    """Weekly share of comments about each pain point: is it growing or fading?

    The :data:`TREND_LINES` pain points with the most comments get a line each and the rest
    one "other pain points" line; weeks with fewer than :data:`MIN_WEEK_COMMENTS` comments in
    all are left out (a gap), so a lone comment never reads as a 100 % spike.
    """
    title = f"Pain points over time (weeks with {MIN_WEEK_COMMENTS}+ comments)"
    if trend.empty:
        return empty_figure("Pain points over time", "No pain-point trend yet")
    rows = trend.assign(
        period_start=pd.to_datetime(trend["period_start"]),
        share=trend["share"].astype(float),
        comments=trend["comments"].astype(float),
    )
    # a week's comment count, from any row of it that has a share: comments / share
    with_share = rows[rows["share"] > 0]
    week_total = (
        (with_share["comments"] / with_share["share"]).groupby(with_share["period_start"]).max()
    )
    thin = set(week_total[week_total < MIN_WEEK_COMMENTS].index)
    order = (
        rows.groupby("pain_point_id", sort=False)["comments"]
        .sum()
        .sort_values(ascending=False, kind="stable")
    )
    top = list(order.index[:TREND_LINES])
    lines = [
        (pid, plotly_text(labels.get(pid, pid)), rows[rows["pain_point_id"] == pid]) for pid in top
    ]
    rest = rows[~rows["pain_point_id"].isin(top)]
    if not rest.empty:
        summed = rest.groupby("period_start", as_index=False)[["share", "comments"]].sum()
        lines.append((None, "other pain points", summed))
    fig = go.Figure()
    for i, (pid, label, line) in enumerate(lines):
        line = line.sort_values("period_start")
        shown = line["share"].where(~line["period_start"].isin(thin)) * 100
        fig.add_scatter(
            x=line["period_start"],
            y=shown,
            mode="lines+markers",
            name=label,
            line={"color": "#9aa5b1" if pid is None else COLORS[i % len(COLORS)], "width": 2},
            customdata=line["comments"],
            hovertemplate=label + ": %{y:.1f}% of comments (%{customdata:,})<extra></extra>",
        )
    fig.update_layout(hovermode="x unified")
    fig = style(fig, title, "Week starting", "Share of the week's comments (%)", height=440)
    # below the plot: a legend of seven names would sit on the title
    fig.update_layout(legend={"orientation": "h", "y": -0.22, "yanchor": "top", "x": 0})
    fig.update_layout(margin={"b": 110})
    return fig

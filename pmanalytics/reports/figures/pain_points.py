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
    """Pain points ranked by priority (reach × score lost × retention factor × confidence),
    highest on top; the hover shows the parts (the columns of
    ``marts.pain_point_priorities``; a warehouse without score costs shows the impact)."""
    title = "Pain points by priority"
    if priorities.empty:
        return empty_figure(title, "No pain points found")
    rows = priorities.sort_values("rank")
    labels = [
        f"#{int(r)} {plotly_text(t)}" for r, t in zip(rows["rank"], rows["label"], strict=True)
    ]
    parts = [_parts_text(r) for r in rows.itertuples()]
    fig = go.Figure()
    fig.add_bar(
        y=labels,
        x=rows["priority"],
        orientation="h",
        marker={"color": COLORS[3]},
        customdata=parts,
        hovertemplate="%{y}<br>priority %{x:,.3g} = %{customdata}<extra></extra>",
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    return style(
        fig,
        title,
        "Priority = customers × score lost × retention factor × confidence",
        "",
        height=140 + 34 * len(rows),
    )


def _parts_text(r: Any) -> str:
    """ "59 customers × 8.0 NPS points lost × 1.19 retention factor × 0.50 confidence"."""
    parts = [f"{int(r.reach):,} customers"]
    cost = getattr(r, "score_cost", None)
    if cost is not None and not pd.isna(cost):
        metric = str(getattr(r, "score_metric", "") or "score")
        parts.append(f"{max(float(cost), 0):.1f} {metric.upper()} lost")
    else:
        parts.append(f"{float(r.impact):.1f} impact")
    factor = getattr(r, "retention_factor", None)
    if factor is not None and not pd.isna(factor):
        parts.append(f"{float(factor):.2f} retention factor")
    return " × ".join(parts) + f" × {float(r.confidence):.2f} confidence"


#: Lines a reader can tell apart: the biggest pain points, the rest summed as "other".
TREND_LINES = 6
#: A week (or month) with fewer comments than this is left out: one comment is not "100 %".
MIN_WEEK_COMMENTS = 5
#: Beyond this many weeks the trend is drawn by month: two years of weekly points are noise.
MAX_WEEKS = 26


def trend_periods(trend: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, str]:
    """The trend by week, or by month when it spans more than :data:`MAX_WEEKS` weeks.

    Returns the rows (``pain_point_id, period_start, comments, share``), every period's
    total comments (a week's is comments ÷ share of any of its rows with a share; a week
    with none counts 0) and the unit, ``"week"`` or ``"month"``.
    """
    rows = trend.assign(
        period_start=pd.to_datetime(trend["period_start"]),
        share=trend["share"].astype(float),
        comments=trend["comments"].astype(float),
    )
    with_share = rows[rows["share"] > 0]
    totals = (
        (with_share["comments"] / with_share["share"])
        .groupby(with_share["period_start"])
        .max()
        .round()
        .reindex(sorted(rows["period_start"].unique()), fill_value=0.0)
    )
    if len(totals) <= MAX_WEEKS:
        return rows, totals, "week"
    month = rows["period_start"].dt.to_period("M").dt.to_timestamp()
    monthly = (
        rows.assign(period_start=month)
        .groupby(["pain_point_id", "period_start"], as_index=False)["comments"]
        .sum()
    )
    totals = totals.groupby(totals.index.to_period("M").to_timestamp()).sum()
    total = monthly["period_start"].map(totals)
    monthly["share"] = (monthly["comments"] / total).where(total > 0, 0.0)
    return monthly, totals, "month"


def pain_point_trend_figure(trend: pd.DataFrame, labels: Mapping[Any, str]) -> go.Figure:
    """Share of comments about each pain point per week (per month over long spans): is it
    growing or fading?

    The :data:`TREND_LINES` pain points with the most comments get a line each and the rest
    one "other pain points" line; periods with fewer than :data:`MIN_WEEK_COMMENTS` comments
    in all are left out (a gap), so a lone comment never reads as a 100 % spike.
    """
    if trend.empty:
        return empty_figure("Pain points over time", "No pain-point trend yet")
    rows, totals, unit = trend_periods(trend)
    title = f"Pain points over time ({unit}s with {MIN_WEEK_COMMENTS}+ comments)"
    thin = set(totals[totals < MIN_WEEK_COMMENTS].index)
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
    fig = style(
        fig,
        title,
        f"{unit.capitalize()} starting",
        f"Share of the {unit}'s comments (%)",
        height=440,
    )
    # below the plot: a legend of seven names would sit on the title
    fig.update_layout(legend={"orientation": "h", "y": -0.22, "yanchor": "top", "x": 0})
    fig.update_layout(margin={"b": 110})
    return fig

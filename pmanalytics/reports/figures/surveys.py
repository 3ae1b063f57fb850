"""Survey score figures: monthly trend with its interval band, and the segment breakdown."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from pmanalytics.reports.figures.base import (
    COLORS,
    METRICS,
    dropdown,
    empty_figure,
    plotly_text,
    style,
)


def survey_trend_figure(scores: pd.DataFrame, metric: str) -> go.Figure:
    """Monthly score of one metric (all respondents) with its 95% interval as a band."""
    name, axis = METRICS[metric]
    rows = scores[(scores["metric"] == metric) & (scores["segment"] == "all")]
    rows = rows.sort_values("period_start")
    title = f"{name} by month, with 95% interval"
    if rows.empty:
        return empty_figure(title, f"No {name} responses yet")
    months = pd.to_datetime(rows["period_start"])
    fig = go.Figure()
    fig.add_scatter(
        x=months,
        y=rows["ci_high"],
        mode="lines",
        line={"width": 0},
        hoverinfo="skip",
        showlegend=False,
    )
    fig.add_scatter(
        x=months,
        y=rows["ci_low"],
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor="rgba(37,99,235,0.15)",
        name="95% interval",
        hoverinfo="skip",
    )
    low = rows["is_low_sample"].fillna(False).astype(bool)
    fig.add_scatter(
        x=months,
        y=rows["score"],
        mode="lines+markers",
        name=name,
        line={"color": COLORS[0], "width": 2.5},
        marker={"size": 8, "symbol": ["circle-open" if v else "circle" for v in low]},
        customdata=list(
            zip(
                rows["ci_low"],
                rows["ci_high"],
                rows["responses"],
                ["low sample: interval unreliable" if v else "" for v in low],
                strict=True,
            )
        ),
        hovertemplate=(
            "%{x|%B %Y}<br>" + name + " %{y:.1f} (95%: %{customdata[0]:.1f} to "
            "%{customdata[1]:.1f})<br>%{customdata[2]} responses<br>%{customdata[3]}"
            "<extra></extra>"
        ),
    )
    fig.update_xaxes(tickformat="%b %Y", dtick="M1")
    return style(fig, title, "Month (submission date)", axis, height=340)


def survey_segments_figure(
    scores: pd.DataFrame, metric: str, period_start: Any | None = None
) -> go.Figure:
    """One month's score per segment value (plan, country, …) with interval error bars.

    A dropdown picks the segment; the dashed line is the score over all respondents, and
    pale bars are low-sample groups whose interval is unreliable.
    """
    name, axis = METRICS[metric]
    rows = scores[scores["metric"] == metric]
    if period_start is None and not rows.empty:
        period_start = rows["period_start"].max()
    if period_start is not None:
        rows = rows[pd.to_datetime(rows["period_start"]) == pd.Timestamp(period_start)]
    month = pd.Timestamp(period_start).strftime("%B %Y") if period_start is not None else ""
    title = f"{name} by segment, {month}"
    # fewest groups first: plan or platform reads better than a dozen countries
    counts = rows[rows["segment"] != "all"].groupby("segment")["segment_value"].nunique()
    segments = sorted(counts.index, key=lambda s: (counts[s], s))
    if rows.empty or not segments:
        return empty_figure(title, f"No {name} segment breakdown yet")
    fig = go.Figure()
    for i, segment in enumerate(segments):
        seg = rows[rows["segment"] == segment].sort_values("score", ascending=False)
        low = seg["is_low_sample"].fillna(False).astype(bool)
        fig.add_bar(
            x=[plotly_text(v) for v in seg["segment_value"]],
            y=seg["score"],
            name=plotly_text(segment),
            visible=i == 0,
            marker={"color": COLORS[0], "opacity": [0.35 if v else 0.9 for v in low]},
            error_y={
                "type": "data",
                "array": (seg["ci_high"] - seg["score"]).fillna(0),
                "arrayminus": (seg["score"] - seg["ci_low"]).fillna(0),
                "color": "#374151",
            },
            customdata=list(
                zip(
                    seg["ci_low"],
                    seg["ci_high"],
                    seg["responses"],
                    ["low sample: interval unreliable" if v else "" for v in low],
                    strict=True,
                )
            ),
            hovertemplate=(
                "%{x}<br>" + name + " %{y:.1f} (95%: %{customdata[0]:.1f} to "
                "%{customdata[1]:.1f})<br>%{customdata[2]} responses<br>%{customdata[3]}"
                "<extra></extra>"
            ),
        )
    overall = rows[rows["segment"] == "all"]
    subtitle = ""
    if not overall.empty:
        everyone = float(overall["score"].iloc[0])
        fig.add_hline(y=everyone, line_dash="dash", line_color="#6b7280")
        subtitle = f"dashed line: all respondents ({everyone:.1f})"
    visibility = [[j == i for j in range(len(segments))] for i in range(len(segments))]
    layouts = [{"xaxis.title.text": plotly_text(s)} for s in segments]
    fig.update_layout(
        updatemenus=[dropdown([plotly_text(s) for s in segments], visibility, layouts)],
        showlegend=False,
    )
    fig = style(fig, title, plotly_text(segments[0]), axis, height=340)
    if subtitle:
        fig.update_layout(title_subtitle_text=subtitle)
    return fig

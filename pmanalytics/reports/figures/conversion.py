"""Conversion figures: funnels with time to convert, activation, feature adoption."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pmanalytics.reports.figures.base import (
    COLORS,
    empty_figure,
    human_duration,
    plotly_text,
    style,
)


def funnel_figure(funnel: pd.DataFrame, name: str) -> go.Figure:
    """One funnel: users and conversion per step, and the median time from the step before."""
    steps = funnel[funnel["funnel"] == name].sort_values("step_number")
    title = f"Funnel: {plotly_text(name)}"
    if steps.empty:
        return empty_figure(title, "No funnel steps")
    labels = [
        f"{int(n)}. {plotly_text(e)}"
        for n, e in zip(steps["step_number"], steps["step_event"], strict=True)
    ]
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.62, 0.38],
        horizontal_spacing=0.04,
        shared_yaxes=True,
        subplot_titles=("Users reaching each step", "Median time from previous step"),
    )
    conv = steps["conversion_from_start"].astype(float).fillna(0) * 100
    prev = steps["conversion_from_previous"].astype(float).fillna(0) * 100
    fig.add_bar(
        y=labels,
        x=steps["users"],
        orientation="h",
        marker={"color": COLORS[0]},
        text=[f"{u:,} · {c:.0f}% of start" for u, c in zip(steps["users"], conv, strict=True)],
        textposition="auto",
        customdata=list(zip(conv, prev, strict=True)),
        hovertemplate="%{y}<br>%{x:,} users<br>%{customdata[0]:.1f}% of step 1<br>"
        "%{customdata[1]:.1f}% of previous step<extra></extra>",
        row=1,
        col=1,
    )
    hours = steps["median_seconds_from_previous"].astype(float) / 3600
    fig.add_bar(
        y=labels,
        x=hours,
        orientation="h",
        marker={"color": COLORS[1]},
        text=[
            human_duration(s) if not pd.isna(s) else ""
            for s in steps["median_seconds_from_previous"]
        ],
        textposition="auto",
        hovertemplate="%{y}<br>median %{text} after the previous step<extra></extra>",
        row=1,
        col=2,
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(showlegend=False)
    style(fig, title, "", "", height=120 + 56 * len(steps))
    fig.update_xaxes(title_text="Users (distinct)", row=1, col=1)
    fig.update_xaxes(title_text="Hours (median)", row=1, col=2)
    return fig


def activation_figure(activation: pd.DataFrame) -> go.Figure:
    """Signups per weekly cohort (bars) and the share that activated (line)."""
    title = "Activation by signup week"
    if activation.empty:
        return empty_figure(title, "No signups yet")
    weeks = pd.to_datetime(activation["cohort_start"])
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(
        x=weeks,
        y=activation["signups"],
        name="signups",
        marker={"color": "#cbd5e1"},
        hovertemplate="%{y:,} signups<extra></extra>",
    )
    fig.add_scatter(
        x=weeks,
        y=activation["activation_rate"].astype(float) * 100,
        name="activation rate",
        mode="lines+markers",
        line={"color": COLORS[2], "width": 2.5},
        customdata=[human_duration(s) for s in activation["median_seconds_to_activation"]],
        hovertemplate="%{y:.1f}% activated<br>median time to activate %{customdata}<extra></extra>",
        secondary_y=True,
    )
    fig.update_layout(hovermode="x unified")
    style(fig, title, "Signup week starting", "Signups (users)")
    fig.update_yaxes(
        title_text="Activated (%)", range=[0, 100], dtick=20, showgrid=False, secondary_y=True
    )
    return fig


def feature_adoption_figure(adoption: pd.DataFrame) -> go.Figure:
    """Weekly share of active users who used each feature."""
    title = "Feature adoption per week"
    if adoption.empty:
        return empty_figure(title, "No features configured")
    fig = go.Figure()
    for i, (feature, rows) in enumerate(adoption.groupby("feature", sort=True)):
        label = plotly_text(feature)
        fig.add_scatter(
            x=pd.to_datetime(rows["period_start"]),
            y=rows["adoption_rate"].astype(float) * 100,
            mode="lines+markers",
            name=label,
            line={"color": COLORS[i % len(COLORS)], "width": 2},
            customdata=list(zip(rows["feature_users"], rows["active_users"], strict=True)),
            hovertemplate=label + ": %{y:.1f}% (%{customdata[0]:,} of %{customdata[1]:,} "
            "active users)<extra></extra>",
        )
    fig.update_layout(hovermode="x unified")
    return style(fig, title, "Week starting", "Active users who used it (%)")

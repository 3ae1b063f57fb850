"""Shared look and safety helpers for every figure: fonts, colours, escaping, dropdowns."""

from __future__ import annotations

import functools
import html
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
COLORS = ["#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#4b5563"]
STATUS_COLORS = {
    "new": "#059669",
    "returning": "#2563eb",
    "resurrecting": "#d97706",
    "dormant": "#dc2626",
}
METRICS = {
    "nps": ("NPS", "NPS (points, −100 to 100)"),
    "csat": ("CSAT", "CSAT (% satisfied, 4–5 of 5)"),
    "ces": ("CES", "CES (mean score, 1–7, higher = easier)"),
}
PERIOD_WORDS = {"day": "Daily", "week": "Weekly", "month": "Monthly"}
RETENTION_WORDS = {"first_time": "first-time", "recurring": "recurring"}


def plotly_text(value: Any) -> str:
    """Customer text made inert for Plotly's HTML-like label rendering (``<`` shows as ``<``).

    Plotly decodes ``&lt;``, ``&gt;`` and ``&amp;`` but not ``&quot;``, and with no ``<`` left
    there is no tag for a quote to break out of: quotes stay as they are.
    """
    return html.escape("" if value is None or value is pd.NA else str(value), quote=False)


def human_duration(seconds: float | None) -> str:
    """Seconds as a PM reads them: ``45 s``, ``12.5 min``, ``19.3 h``, ``2.1 days``."""
    if seconds is None or pd.isna(seconds):
        return "–"
    if abs(seconds) < 90:
        return f"{seconds:.0f} s"
    if abs(seconds) < 90 * 60:
        return f"{seconds / 60:.1f} min"
    if abs(seconds) < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


@functools.cache
def house_template(trace_types: frozenset[str]) -> go.layout.Template:
    """``plotly_white``: its layout, and its trace defaults for ``trace_types`` only.

    A template's defaults for a trace type apply only to traces of that type, so a figure
    looks the same with the defaults of the types it draws as with all 24 of
    ``plotly_white``; Plotly validates and copies the template into every figure, which
    takes ~7 ms instead of 15–23 ms and halves the template each figure writes into the
    report (``docs/decisions.md``, *The report's figures carry a template of what they draw*).
    Built once per set of types; a figure gets its own copy (Plotly copies on assignment).
    """
    white = pio.templates["plotly_white"]
    return go.layout.Template(
        layout=white.layout,
        data={kind: white.data[kind] for kind in sorted(trace_types) if white.data[kind]},
    )


def style(fig: go.Figure, title: str, x_title: str, y_title: str, height: int = 380) -> go.Figure:
    """House look: white template, system fonts (no web font), unified hover, legend on top.

    Call it once the figure's traces are added: its template carries the defaults of the
    trace types the figure has then (:func:`house_template`).
    """
    fig.update_layout(
        template=house_template(frozenset(trace.type for trace in fig.data)),
        # the title hangs from the top edge, so a legend above the plot never reaches it
        title={
            "text": title,
            "x": 0,
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 10},
            "font": {"size": 16},
        },
        font={"family": FONT, "size": 12},
        height=height,
        margin={"l": 64, "r": 24, "t": 72, "b": 56},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "xanchor": "left"},
        hoverlabel={"font": {"family": FONT}},
    )
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)
    return fig


def empty_figure(title: str, message: str) -> go.Figure:
    """A titled placeholder, so a notebook call on an empty frame still shows why."""
    fig = go.Figure()
    fig.add_annotation(
        text=plotly_text(message), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper"
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return style(fig, title, "", "", height=240)


def dropdown(labels: list[str], visibility: list[list[bool]], layouts: list[dict]) -> dict:
    """A Plotly dropdown whose buttons switch trace visibility (and axis titles)."""
    return {
        "type": "dropdown",
        "direction": "down",
        "x": 1,
        "xanchor": "right",
        "y": 1.02,
        "yanchor": "bottom",
        "showactive": True,
        "buttons": [
            {"label": label, "method": "update", "args": [{"visible": vis}, lay]}
            for label, vis, lay in zip(labels, visibility, layouts, strict=True)
        ],
    }

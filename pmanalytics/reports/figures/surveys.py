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
    # a tick per month up to a year, then one a quarter: two years of labels overlap
    fig.update_xaxes(tickformat="%b %Y", dtick="M1" if len(rows) <= 12 else "M3")
    return style(fig, title, "Month (submission date)", axis, height=340)


#: A breakdown shows at most this many groups (the most responses): a free-text column
#: configured as a segment would otherwise draw thousands of bars.
MAX_GROUPS = 15
#: The breakdown's periods, in the order the menu lists them.
WINDOW_WORDS = {"last_90_days": "last 90 days", "all_time": "all time"}


def segment_views(
    scores: pd.DataFrame,
    metric: str,
    period_start: Any | None = None,
    windows: pd.DataFrame | None = None,
) -> list[tuple[str, pd.DataFrame]]:
    """The periods a breakdown can show, each as (words, rows of ``metric``): the month
    ``period_start`` (default: the latest), then the last 90 days and all time from
    ``windows`` (the mart's rolling and all-time rows), when given."""
    views: list[tuple[str, pd.DataFrame]] = []
    if windows is not None and not windows.empty:
        for period, words in WINDOW_WORDS.items():
            rows = windows[(windows["metric"] == metric) & (windows["period"] == period)]
            if not rows.empty:
                views.append((words, rows))
    monthly = scores[scores["metric"] == metric]
    if period_start is None and not monthly.empty:
        period_start = monthly["period_start"].max()
    if period_start is not None:
        month = monthly[pd.to_datetime(monthly["period_start"]) == pd.Timestamp(period_start)]
        if not month.empty:
            view = (pd.Timestamp(period_start).strftime("%B %Y"), month)
            # the month leads unless its own score is low-sample: then it is the last choice
            thin = month.loc[month["segment"] == "all", "is_low_sample"].fillna(False).any()
            views.insert(len(views) if thin else 0, view)
    return views


def _breakdowns(rows: pd.DataFrame) -> list[tuple[str, pd.DataFrame, int]]:
    """(segment, its groups, how many groups it has): at most the :data:`MAX_GROUPS` biggest
    groups are kept. A segment with one group, or whose every response is "unknown" (a trait
    the data does not have), compares nothing and is left out.
    Segments with the fewest groups come first: plan or platform reads better than a dozen
    countries."""
    found = []
    for segment, seg in rows[rows["segment"] != "all"].groupby("segment", sort=True):
        if len(seg) < 2 or set(seg["segment_value"]) == {"unknown"}:
            continue
        found.append((str(segment), seg.nlargest(MAX_GROUPS, "responses", keep="first"), len(seg)))
    return sorted(found, key=lambda item: (item[2], item[0]))


def survey_segments_figure(
    scores: pd.DataFrame,
    metric: str,
    period_start: Any | None = None,
    windows: pd.DataFrame | None = None,
) -> go.Figure:
    """The score per segment value (plan, NHS trust, …) with interval error bars.

    The menu picks a segment and a period: the month ``period_start`` (default: the latest
    month), and with ``windows`` (``data.load_survey_score_windows``) the last 90 days and all
    time. The dashed line is the score over all respondents of that period; pale bars are
    low-sample groups whose interval is unreliable.
    """
    name, axis = METRICS[metric]
    title = f"{name} by segment"
    views = [
        (words, segment, seg, n_groups, _everyone(rows))
        for words, rows in segment_views(scores, metric, period_start, windows)
        for segment, seg, n_groups in _breakdowns(rows)
    ]
    if not views:
        return empty_figure(title, f"No {name} segment breakdown yet")
    fig = go.Figure()
    views = [(w, s, seg.sort_values("score"), n, e) for w, s, seg, n, e in views]  # best on top
    for i, (_, segment, seg, _, _) in enumerate(views):
        low = seg["is_low_sample"].fillna(False).astype(bool)
        fig.add_bar(
            y=[plotly_text(v) for v in seg["segment_value"]],
            x=seg["score"],
            orientation="h",
            name=plotly_text(segment),
            visible=i == 0,
            marker={"color": COLORS[0], "opacity": [0.35 if v else 0.9 for v in low]},
            error_x={
                "type": "data",
                "array": (seg["ci_high"] - seg["score"]).fillna(0),
                "arrayminus": (seg["score"] - seg["ci_low"]).fillna(0),
                "color": "#374151",
            },
            customdata=list(
                zip(
                    [plotly_text(v) for v in seg["segment_value"]],
                    seg["ci_low"],
                    seg["ci_high"],
                    seg["responses"],
                    ["low sample: interval unreliable" if v else "" for v in low],
                    strict=True,
                )
            ),
            hovertemplate=(
                "%{customdata[0]}<br>" + name + " %{x:.1f} (95%: %{customdata[1]:.1f} to "
                "%{customdata[2]:.1f})<br>%{customdata[3]:,} responses<br>%{customdata[4]}"
                "<extra></extra>"
            ),
        )
    labels = [f"{plotly_text(segment)} · {words}" for words, segment, *_ in views]
    layouts = [
        {
            "yaxis.title.text": plotly_text(segment) + _capped(n_groups),
            # long names are cut on the axis only: two cut alike stay two bars
            "yaxis.tickmode": "array",
            "yaxis.tickvals": [plotly_text(v) for v in seg["segment_value"]],
            "yaxis.ticktext": [_short(v) for v in seg["segment_value"]],
            "shapes": _everyone_line(everyone),
            "title.subtitle.text": _subtitle(words, everyone),
        }
        for words, segment, seg, n_groups, everyone in views
    ]
    visibility = [[j == i for j in range(len(views))] for i in range(len(views))]
    fig.update_layout(
        updatemenus=[dropdown(labels, visibility, layouts)],
        showlegend=False,
    )
    fig = style(fig, title, axis, "", height=400)
    fig.update_yaxes(automargin=True)
    fig.update_layout(layouts[0])
    return fig


#: Longer group names are cut in the axis labels (the hover shows them whole).
LABEL_CHARS = 32


def _short(value: Any) -> str:
    text = str(value)
    if len(text) > LABEL_CHARS:
        text = text[: LABEL_CHARS - 1].rstrip() + "…"
    return plotly_text(text)


def _everyone(rows: pd.DataFrame) -> float | None:
    """The all-respondents score of one period's rows (None when the mart has none)."""
    overall = rows[rows["segment"] == "all"]
    return None if overall.empty else float(overall["score"].iloc[0])


def _capped(n_groups: int) -> str:
    return f" (the {MAX_GROUPS} biggest of {n_groups:,} groups)" if n_groups > MAX_GROUPS else ""


def _everyone_line(score: float | None) -> list[dict[str, Any]]:
    if score is None:
        return []
    return [
        {
            "type": "line",
            "yref": "paper",
            "y0": 0,
            "y1": 1,
            "xref": "x",
            "x0": score,
            "x1": score,
            "line": {"dash": "dash", "color": "#6b7280"},
        }
    ]


def _subtitle(words: str, score: float | None) -> str:
    everyone = "" if score is None else f"; dashed line: all respondents ({score:.1f})"
    return f"{words}{everyone}"

"""Each figure function on a small hand-made frame: traces, values, titles, escaping."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from pmanalytics.reports import figures as fg
from pmanalytics.reports.data import SURVEY_SCORE_COLUMNS
from pmanalytics.reports.figures.base import style

EVIL = "<b onmouseover=x>free</b>"


def _scores() -> pd.DataFrame:
    rows = [
        # metric, month, segment, value, responses, score, low, high, low_sample
        ("nps", "2026-01-01", "all", "all", 100, 10.0, 0.0, 20.0, False),
        ("nps", "2026-02-01", "all", "all", 80, 20.0, 5.0, 35.0, False),
        ("nps", "2026-02-01", "plan", EVIL, 50, 30.0, 10.0, 50.0, False),
        ("nps", "2026-02-01", "plan", "team", 5, -10.0, -60.0, 40.0, True),
        ("nps", "2026-02-01", "country", "DE", 40, 0.0, -20.0, 20.0, False),
        ("nps", "2026-02-01", "country", "FR", 20, 5.0, -30.0, 40.0, True),
        ("nps", "2026-02-01", "country", "US", 20, 5.0, -30.0, 40.0, True),
    ]
    frame = pd.DataFrame(rows, columns=SURVEY_SCORE_COLUMNS)
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    return frame


def test_plotly_text_and_human_duration() -> None:
    assert fg.plotly_text(EVIL) == "&lt;b onmouseover=x&gt;free&lt;/b&gt;"
    assert fg.plotly_text(None) == ""
    assert [fg.human_duration(s) for s in (45, 750, 69_617, 200_000, None)] == [
        "45 s",
        "12.5 min",
        "19.3 h",
        "2.3 days",
        "–",
    ]


def test_survey_trend_has_band_and_line() -> None:
    fig = fg.survey_trend_figure(_scores(), "nps")
    high, low, line = fig.data
    assert list(high.y) == [20.0, 35.0] and list(low.y) == [0.0, 5.0] and low.fill == "tonexty"
    assert list(line.y) == [10.0, 20.0]
    assert fig.layout.title.text == "NPS by month, with 95% interval"
    assert fig.layout.yaxis.title.text == "NPS (points, −100 to 100)"
    assert "responses" in line.hovertemplate


def test_survey_segments_escape_values_and_put_small_segments_first() -> None:
    fig = fg.survey_segments_figure(_scores(), "nps", date(2026, 2, 1))
    plan, country = fig.data
    assert plan.visible is True and country.visible is False  # plan has fewer values
    assert plan.orientation == "h"  # long group names read on the side, not rotated
    assert list(plan.y) == ["team", "&lt;b onmouseover=x&gt;free&lt;/b&gt;"]  # best on top
    assert list(plan.error_x.array) == [50.0, 20.0] and list(plan.error_x.arrayminus) == [50, 20]
    assert list(plan.marker.opacity) == [0.35, 0.9]  # team is a low-sample group
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == ["plan · February 2026", "country · February 2026"]
    assert buttons[1].args[0]["visible"] == [False, True]
    assert fig.layout.title.text == "NPS by segment"
    assert fig.layout.title.subtitle.text == ("February 2026; dashed line: all respondents (20.0)")
    assert fig.layout.shapes[0].x0 == 20.0
    assert fg.survey_segments_figure(_scores(), "csat").layout.annotations[0].text == (
        "No CSAT segment breakdown yet"
    )


def _windows() -> pd.DataFrame:
    """The mart's last-90-days and all-time rows for NPS (as the windows loader returns)."""
    rows = [
        # period, metric, segment, value, responses, score, low_sample
        ("last_90_days", "all", "all", 90, 12.0, False),
        ("last_90_days", "plan", "team", 60, 20.0, False),
        ("last_90_days", "plan", "free", 30, -4.0, False),
        ("all_time", "all", "all", 200, 8.0, False),
        ("all_time", "plan", "team", 120, 15.0, False),
        ("all_time", "plan", "free", 80, -2.5, False),
        ("all_time", "plan", "Unknown is merged upstream", 0, 0.0, True),
        ("all_time", "platform", "unknown", 200, 8.0, False),  # a trait nobody has
        ("all_time", "question", "Why?", 200, 8.0, False),  # one group compares nothing
    ]
    frame = pd.DataFrame(
        [
            (p, "nps", date(2026, 1, 1), date(2026, 3, 31), s, v, n, x, x - 5, x + 5, low)
            for p, s, v, n, x, low in rows
        ],
        columns=["period", "metric", "period_start", "period_end", *SURVEY_SCORE_COLUMNS[2:]],
    )
    return frame[frame["responses"] > 0]


def test_survey_segments_offer_the_month_the_last_90_days_and_all_time() -> None:
    fig = fg.survey_segments_figure(_scores(), "nps", date(2026, 2, 1), _windows())
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    # platform (only "unknown") and question (one group) say nothing: left out
    assert labels == [
        "plan · February 2026",
        "country · February 2026",
        "plan · last 90 days",
        "plan · all time",
    ]
    all_time = fig.layout.updatemenus[0].buttons[3].args[1]
    assert all_time["title.subtitle.text"] == "all time; dashed line: all respondents (8.0)"
    assert all_time["shapes"][0]["x0"] == 8.0
    assert list(fig.data[3].y) == ["free", "team"]


def test_survey_segments_lead_with_a_window_when_the_month_is_thin() -> None:
    scores = _scores().assign(is_low_sample=True)  # February's own score is low-sample
    fig = fg.survey_segments_figure(scores, "nps", date(2026, 2, 1), _windows())
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert labels[0] == "plan · last 90 days" and labels[-1] == "country · February 2026"


def test_survey_segments_show_the_biggest_groups_and_cut_long_names() -> None:
    many = pd.DataFrame(
        [
            ("all_time", "nps", date(2026, 1, 1), None, "title", f"{'long name ' * 5}{i}", i + 1)
            for i in range(40)
        ],
        columns=[
            "period",
            "metric",
            "period_start",
            "period_end",
            "segment",
            "segment_value",
            "responses",
        ],
    ).assign(score=1.0, ci_low=0.0, ci_high=2.0, is_low_sample=False)
    fig = fg.survey_segments_figure(_scores().iloc[0:0], "nps", None, many)
    (bars,) = fig.data
    assert sorted(int(v.rsplit(" ", 1)[1]) for v in bars.y) == list(range(25, 40))  # biggest
    layout = fig.layout.updatemenus[0].buttons[0].args[1]
    assert layout["yaxis.title.text"] == "title (the 15 biggest of 40 groups)"
    assert all(len(t) <= fg.surveys.LABEL_CHARS for t in layout["yaxis.ticktext"])
    assert list(layout["yaxis.tickvals"]) == list(bars.y)  # cut on the axis only


def test_active_users_and_stickiness() -> None:
    frame = pd.DataFrame(
        {
            "activity_date": pd.to_datetime(["2026-01-01", "2026-01-02"]),
            "dau": [1, 3],
            "wau": [1, 4],
            "mau": [2, 6],
            "stickiness": [0.5, 0.5],
        }
    )
    fig = fg.active_users_figure(frame)
    assert [t.name for t in fig.data] == ["DAU (that day)", "WAU (7 days)", "MAU (30 days)"]
    assert list(fig.data[0].y) == [1, 3]
    assert fig.layout.yaxis.title.text == "Active users (distinct users)"
    stick = fg.stickiness_figure(frame)
    assert stick.layout.yaxis.title.text.endswith("(%)")


def test_windows_that_are_still_filling_are_left_out_and_shaded() -> None:
    days = pd.date_range("2026-01-01", periods=40, freq="D")
    frame = pd.DataFrame(
        {"activity_date": days, "dau": 10, "wau": 40, "mau": 100, "stickiness": 0.1}
    )
    fig = fg.active_users_figure(frame)
    dau, wau, mau = (list(t.y) for t in fig.data)
    # WAU counts 7 days from day 7 on, MAU 30 days from day 30 on: before that they "grow"
    assert all(math.isnan(v) for v in wau[:6]) and wau[6] == 40
    assert all(math.isnan(v) for v in mau[:29]) and mau[29:] == [100] * 11
    assert dau == [10] * 40
    (band,) = fig.layout.shapes
    assert pd.Timestamp(band.x0) == days[0] and pd.Timestamp(band.x1) == days[29]
    stick = fg.stickiness_figure(frame)
    daily, average = (list(t.y) for t in stick.data)
    assert all(math.isnan(v) for v in daily[:29] + average[:29])
    assert daily[29:] == pytest.approx([10.0] * 11) and average[29] == pytest.approx(10.0)


def test_retention_heatmap_has_one_trace_per_view_and_a_dropdown() -> None:
    rows = []
    for period in ("week", "month"):
        for kind in ("first_time", "recurring"):
            for n, retained in ((0, 10), (1, 4)):
                rows.append(
                    (
                        period,
                        kind,
                        pd.Timestamp("2026-01-05"),
                        n,
                        10,
                        retained,
                        retained / 10,
                        retained / 10,
                    )
                )
            rows.append((period, kind, pd.Timestamp("2026-01-12"), 0, 5, 5, 1.0, 1.0))
    frame = pd.DataFrame(
        rows,
        columns=[
            "period",
            "retention_type",
            "cohort_start",
            "period_number",
            "cohort_size",
            "retained_users",
            "retention_rate",
            "unbounded_retention_rate",
        ],
    )
    fig = fg.retention_heatmap_figure(frame)
    assert [t.name for t in fig.data] == [
        "Weekly · first-time",
        "Weekly · recurring",
        "Monthly · first-time",
        "Monthly · recurring",
    ]
    assert [t.visible for t in fig.data] == [True, False, False, False]
    z = [list(r) for r in fig.data[0].z]
    assert z[0] == [100.0, 40.0] and z[1][0] == 100.0 and pd.isna(z[1][1])  # the triangle
    assert "4 returned = 40.0%" in fig.data[0].customdata[0][1]
    assert fig.data[0].customdata[1][1] is None  # no hover text where there is no cell
    buttons = fig.layout.updatemenus[0].buttons
    assert len(buttons) == 4 and buttons[2].args[0]["visible"] == [False, False, True, False]
    assert buttons[2].args[1]["xaxis.title.text"] == "Months since cohort start"
    assert fig.layout.xaxis.title.text == "Weeks since cohort start"
    assert fig.layout.template.data.heatmap  # styled once its traces were there


def test_lifecycle_stacks_with_dormant_below_zero() -> None:
    frame = pd.DataFrame(
        {
            "period": ["week"] * 4,
            "period_start": pd.to_datetime(["2026-01-05"] * 4),
            "status": ["new", "returning", "resurrecting", "dormant"],
            "users": [3, 5, 1, -2],
        }
    )
    fig = fg.lifecycle_figure(frame)
    assert fig.layout.barmode == "relative"
    assert {t.name: tuple(t.y) for t in fig.data} == {
        "new": (3,),
        "returning": (5,),
        "resurrecting": (1,),
        "dormant": (-2,),
    }


def test_lifecycle_leaves_out_the_first_period_and_pales_a_partial_last_one() -> None:
    weeks = ["2026-01-05", "2026-01-12", "2026-01-19"]
    frame = pd.DataFrame(
        {
            "period": "week",
            "period_start": pd.to_datetime([w for w in weeks for _ in range(4)]),
            "status": ["new", "returning", "resurrecting", "dormant"] * 3,
            "users": [3, 0, 341, 0, 2, 300, 20, -40, 1, 200, 5, -150],
            "has_history": [False] * 4 + [True] * 8,
        }
    )
    # the data ends on Wednesday 21 Jan: the week of the 19th is partial
    fig = fg.lifecycle_figure(frame, data_end=pd.Timestamp("2026-01-21"))
    resurrecting = next(t for t in fig.data if t.name == "resurrecting")
    assert list(resurrecting.y) == [20, 5]  # not the 341 "resurrecting" of week one
    assert list(resurrecting.marker.opacity) == [1.0, 0.35]
    assert "partial" in resurrecting.customdata[1] and resurrecting.customdata[0] == ""
    assert fg.lifecycle_figure(frame.iloc[:4]).layout.annotations[0].text.startswith("Only one")


def test_funnel_shows_conversion_and_time_to_convert() -> None:
    frame = pd.DataFrame(
        {
            "funnel": ["onboarding"] * 3,
            "step_number": [1, 2, 3],
            "step_event": ["Signed Up", "<i>Created</i>", "Invited"],
            "users": [100, 50, 10],
            "conversion_from_start": [1.0, 0.5, 0.1],
            "conversion_from_previous": [1.0, 0.5, 0.2],
            "median_seconds_from_previous": [None, 600.0, 7200.0],
        }
    )
    fig = fg.funnel_figure(frame, "onboarding")
    users, times = fig.data
    assert list(users.y) == ["1. Signed Up", "2. &lt;i&gt;Created&lt;/i&gt;", "3. Invited"]
    assert list(users.text) == ["100 · 100% of start", "50 · 50% of start", "10 · 10% of start"]
    assert list(times.text) == ["", "10.0 min", "2.0 h"]
    assert fig.layout.xaxis.title.text == "Users (distinct)"
    assert fig.layout.xaxis2.title.text == "Hours (median)"


def test_activation_and_feature_adoption() -> None:
    act = pd.DataFrame(
        {
            "cohort_start": pd.to_datetime(["2026-01-05"]),
            "signups": [10],
            "activated": [6],
            "activation_rate": [0.6],
            "median_seconds_to_activation": [600.0],
        }
    )
    fig = fg.activation_figure(act)
    assert list(fig.data[1].y) == [60.0] and list(fig.data[1].customdata) == ["10.0 min"]
    adoption = pd.DataFrame(
        {
            "feature": [EVIL, "alerts"],
            "period_start": pd.to_datetime(["2026-01-05"] * 2),
            "feature_users": [2, 1],
            "active_users": [4, 4],
            "adoption_rate": [0.5, 0.25],
        }
    )
    fig = fg.feature_adoption_figure(adoption)
    assert [t.name for t in fig.data] == ["&lt;b onmouseover=x&gt;free&lt;/b&gt;", "alerts"]
    assert list(fig.data[0].y) == [50.0]


def test_pain_point_figures_escape_labels() -> None:
    priorities = pd.DataFrame(
        {
            "rank": [2, 1],
            "pain_point_id": ["b", "a"],
            "label": ["Slow", EVIL],
            "reach": [0.1, 0.2],
            "impact": [1.0, 5.0],
            "confidence": [0.9, 0.9],
            "priority": [0.09, 0.9],
        }
    )
    fig = fg.pain_point_priority_figure(priorities)
    assert list(fig.data[0].y) == ["#1 &lt;b onmouseover=x&gt;free&lt;/b&gt;", "#2 Slow"]
    trend = pd.DataFrame(
        {
            "pain_point_id": ["a", "a"],
            "period_start": pd.to_datetime(["2026-01-05", "2026-01-12"]),
            "comments": [3, 4],
            "share": [0.1, 0.2],
        }
    )
    fig = fg.pain_point_trend_figure(trend, {"a": EVIL})
    assert fig.data[0].name == "&lt;b onmouseover=x&gt;free&lt;/b&gt;"
    assert list(fig.data[0].y) == pytest.approx([10.0, 20.0])


@pytest.mark.parametrize(
    "draw",
    [
        fg.active_users_figure,
        fg.stickiness_figure,
        fg.retention_heatmap_figure,
        fg.lifecycle_figure,
        fg.activation_figure,
        fg.feature_adoption_figure,
        fg.pain_point_priority_figure,
    ],
)
def test_empty_frames_give_a_titled_placeholder(draw) -> None:
    fig = draw(pd.DataFrame())
    assert fig.layout.title.text and fig.layout.annotations and not fig.data


def test_pain_trend_shows_the_top_six_plus_other_and_skips_thin_weeks() -> None:
    from pmanalytics.reports.figures.pain_points import MIN_WEEK_COMMENTS, TREND_LINES

    weeks = pd.to_datetime(["2026-01-05", "2026-01-12"])
    rows = []
    for n in range(8):  # pain point n has 8 - n comments in week 1 (of 40 in all)
        rows.append((f"p{n}", weeks[0], 8 - n, (8 - n) / 40))
    rows.append(("p0", weeks[1], 1, 1.0))  # week 2: one comment in all
    trend = pd.DataFrame(rows, columns=["pain_point_id", "period_start", "comments", "share"])
    fig = fg.pain_point_trend_figure(trend, {f"p{n}": f"Pain {n}" for n in range(8)})
    names = [t.name for t in fig.data]
    assert names == [f"Pain {n}" for n in range(TREND_LINES)] + ["other pain points"]
    assert list(fig.data[-1].y) == pytest.approx([100 * (2 + 1) / 40])  # pains 6 and 7
    first = list(fig.data[0].y)
    assert first[0] == pytest.approx(20.0)
    assert math.isnan(first[1])  # 1 comment < MIN_WEEK_COMMENTS: a gap, not 100 %
    assert MIN_WEEK_COMMENTS > 1
    assert fig.layout.legend.y < 0  # under the plot, never on the title


def test_a_figure_carries_plotly_white_for_the_trace_types_it_draws() -> None:
    """The same look as ``template="plotly_white"``: its layout and, for every trace type the
    figure has, its defaults (a heatmap's colour scale, a bar's outline); nothing for the
    types it does not draw, which Plotly would validate and copy into each figure."""
    import plotly.graph_objects as go
    import plotly.io as pio

    white = pio.templates["plotly_white"]
    fig = go.Figure([go.Heatmap(z=[[1, 2], [3, 4]]), go.Bar(x=[1], y=[2])])
    template = style(fig, "t", "x", "y").layout.template
    assert template.layout == white.layout
    assert template.data.heatmap == white.data.heatmap
    assert template.data.bar == white.data.bar
    assert template.data.heatmap[0].colorscale  # what the retention heatmap is drawn in
    assert not template.data.scatter and not template.data.pie

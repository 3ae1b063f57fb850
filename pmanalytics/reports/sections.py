"""The report's sections: loaded frames in, :class:`~pmanalytics.reports.page.Section` out.

Each function decides what a PM sees for one topic, including what to say when the tables
behind it are empty or not built yet. Customer text is escaped by the page helpers and, for
quotes, passed through the pain-point stage's PII redaction when that stage is installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from pmanalytics.kpis.headline import Kpi, latest_full_month
from pmanalytics.reports import figures as fg
from pmanalytics.reports.data import PainPointData
from pmanalytics.reports.figures.base import METRICS
from pmanalytics.reports.page import (
    Safe,
    Section,
    esc,
    figure_html,
    grid,
    heading,
    is_missing,
    kpi_tiles,
    note,
    table,
)


def pii_redactor() -> Callable[[str], str]:
    """``pmanalytics.pain_points.redact_pii`` when that stage exists, else identity.

    PII is removed upstream; this is a guard in case a quote reaches the report unredacted.
    """
    try:
        from pmanalytics.pain_points import redact_pii  # type: ignore[attr-defined]
    except ImportError:
        return lambda text: text
    return redact_pii


def _pct(value: Any, digits: int = 1) -> str:
    return "–" if is_missing(value) else f"{float(value) * 100:.{digits}f}%"


def _num(value: Any, fmt: str = "{:,.0f}") -> str:
    return "–" if is_missing(value) else fmt.format(float(value))


#: A quote longer than this many words is cut (at a sentence end when one is near).
QUOTE_WORDS = 40


def short_quote(text: str, words: int = QUOTE_WORDS) -> str:
    """A quote a reader takes in at a glance: at most ``words`` words, ending on a sentence
    end inside the last third when there is one, else cut with an ellipsis."""
    parts = text.split()
    if len(parts) <= words:
        return text
    cut = " ".join(parts[:words])
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if end >= len(cut) * 2 // 3:
        return cut[: end + 1]
    return cut.rstrip(",;:") + " …"


def _points_lost(nps_impact: Any) -> float | None:
    """The one sign convention the report uses: NPS points a pain point costs, positive when
    it lowers NPS (the mart's ``nps_cost``; ``nps_impact`` is all − without, so its negative)."""
    if nps_impact is None or is_missing(nps_impact):
        return None
    return -float(nps_impact) + 0.0  # + 0.0: never "-0.0"


def measure_label(measure: Any) -> str:
    """A ``marts.pain_point_behaviour`` measure in words (the mart keeps the id)."""
    text = str(measure)
    if text == "active_days_28d":
        return "days active in the 28 days after answering"
    if text == "retained_4w":
        return "still active 4 weeks later"
    kind, _, name = text.partition(":")
    if kind == "event_rate" and name:
        return f"{name} events per customer"
    if kind == "property_mean" and name:
        event, _, key = name.rpartition(".")
        unit = " (seconds)" if key.endswith("_ms") else ""
        words = key.removesuffix("_ms").replace("_", " ")
        return f"{event}: mean {words}{unit}" if event else f"mean {words}{unit}"
    return text


def measure_value(measure: Any, value: Any) -> str:
    """A measure's value with its unit: a share as %, milliseconds as seconds, counts
    without exponents (``8.25e+03`` reads as nothing to a PM)."""
    if is_missing(value):
        return "–"
    number = float(value)
    text = str(measure)
    if text == "retained_4w":
        return f"{number * 100:.0f} %"
    if text.startswith("property_mean:") and text.endswith("_ms"):
        number /= 1000
    return f"{number:,.0f}" if abs(number) >= 100 else f"{number:,.3g}"


def _as_list(value: Any) -> list[Any]:
    """A DuckDB list column as a Python list (it arrives as a list, array or None)."""
    if value is None or isinstance(value, str) or is_missing(value):
        return [] if not isinstance(value, str) else [value]
    return list(value)


# --------------------------------------------------------------------------- sections


NOT_BUILT = "{what} are not in this warehouse yet: `pmanalytics build` makes them."


def headline_section(kpis: Sequence[Kpi], built: bool = True) -> Section:
    """The tiles; without any, why: nothing built yet, or nothing to measure."""
    if kpis:
        blocks = [kpi_tiles(kpis)]
    elif not built:
        blocks = [note(NOT_BUILT.format(what="The KPI tables"))]
    else:
        blocks = [
            note(
                "Nothing to measure: this warehouse holds no usage events and no scored "
                'survey responses. Add a source of kind "events" or "surveys" to '
                "[[sources]] in pmanalytics.toml.",
                "warn",
            )
        ]
    return Section(
        "headline",
        "Headline KPIs",
        "The latest complete week (for survey scores, the latest complete month with enough "
        "responses) against the one before; partial periods at the end of the data are left "
        "out so they do not look like drops. Survey responses without a date are scored over "
        "all responses.",
        blocks,
    )


def no_usage_section(built: bool = True) -> Section:
    """One note in place of activity, retention, lifecycle, funnels and adoption."""
    text = (
        "This warehouse has no usage events, so there is no activity, retention, lifecycle, "
        "funnel or feature adoption to show. Add product events (a source of kind "
        '"events" in pmanalytics.toml) to see what customers do next to what they say.'
        if built
        else NOT_BUILT.format(what="The activity tables")
    )
    return Section("usage", "What customers do", "", [note(text)])


def surveys_section(
    scores: pd.DataFrame, data_end: date | None = None, windows: pd.DataFrame | None = None
) -> Section:
    """Per metric: the monthly trend (when responses are dated) and the breakdown by segment
    for the latest full month, the last 90 days and all time."""
    intro = (
        "NPS, CSAT and CES with their 95% confidence interval: month by month, and broken down "
        "by segment (survey columns and user traits) for the latest full month, the last 90 "
        "days or all time. Open markers and pale bars are groups too small for a reliable "
        "interval."
    )
    windows = windows if windows is not None else pd.DataFrame(columns=["period", "metric"])
    if scores.empty and windows.empty:
        return Section(
            "surveys", "Survey scores", intro, [note("No scored survey responses are loaded.")]
        )
    present = set(scores["metric"]) | set(windows["metric"])
    blocks: list[Safe] = []
    for m in (m for m in ("nps", "csat", "ces") if m in present):
        monthly = scores[scores["metric"] == m]
        if monthly.empty:
            trend = note(_undated_summary(windows, m))
        else:
            trend = figure_html(fg.survey_trend_figure(scores, m), f"chart-survey-trend-{m}")
        month = latest_full_month(monthly["period_start"], data_end) if len(monthly) else None
        breakdown = figure_html(
            fg.survey_segments_figure(scores, m, month, windows), f"chart-survey-segments-{m}"
        )
        blocks.append(grid([trend, breakdown], 2))
    return Section("surveys", "Survey scores: NPS, CSAT, CES", intro, blocks)


def _undated_summary(windows: pd.DataFrame, metric: str) -> str:
    """The all-time score in words, where there is no month to draw a trend from."""
    name = METRICS[metric][0]
    rows = windows[
        (windows["metric"] == metric)
        & (windows["period"] == "all_time")
        & (windows["segment"] == "all")
    ]
    if rows.empty:
        return f"No {name} responses."
    row = rows.iloc[0]
    interval = (
        f" (95% interval {_num(row['ci_low'], '{:.1f}')} to {_num(row['ci_high'], '{:.1f}')})"
        if not is_missing(row["ci_low"])
        else ""
    )
    return (
        f"{name} over all {int(row['responses']):,} responses: "
        f"{float(row['score']):.1f}{interval}. "
        "The responses carry no date, so there is no trend over time; the breakdown beside "
        "this is over all responses too."
    )


def activity_section(active_users: pd.DataFrame) -> Section:
    intro = (
        "Distinct active users per day, over the trailing 7 and 30 days, and stickiness "
        "(DAU ÷ MAU: the share of the month's users who come back on a given day)."
    )
    if active_users.empty:
        return Section("activity", "Active users", intro, [note("No activity built yet.")])
    blocks = [
        grid(
            [
                figure_html(fg.active_users_figure(active_users), "chart-active-users"),
                figure_html(fg.stickiness_figure(active_users), "chart-stickiness"),
            ]
        )
    ]
    return Section("activity", "Active users and stickiness", intro, blocks)


def retention_section(retention: pd.DataFrame) -> Section:
    intro = (
        "Share of each cohort that came back N periods later. Use the menu to switch between "
        "daily, weekly and monthly cohorts, and first-time (cohort = first activity) or "
        "recurring (a user joins the cohort of every period they were active) retention."
    )
    if retention.empty:
        return Section("retention", "Retention", intro, [note("No retention built yet.")])
    blocks = [figure_html(fg.retention_heatmap_figure(retention), "chart-retention")]
    return Section("retention", "Retention", intro, blocks)


def lifecycle_section(lifecycle: pd.DataFrame) -> Section:
    intro = (
        "Active users split into new, returning (also active the period before) and "
        "resurrecting (back after a gap); dormant users (active before, not now) are below zero."
    )
    if lifecycle.empty:
        return Section("lifecycle", "Lifecycle", intro, [note("No lifecycle built yet.")])
    return Section(
        "lifecycle",
        "Lifecycle",
        intro,
        [figure_html(fg.lifecycle_figure(lifecycle), "chart-lifecycle")],
    )


def conversion_section(
    funnels: pd.DataFrame, activation: pd.DataFrame, data_start: date | None = None
) -> Section:
    intro = (
        "Each configured funnel: users reaching every step in order within the conversion "
        "window, their conversion from step 1, and the median time from the step before. "
        "Below, activation of each weekly signup cohort since the event data begins (the "
        "latest cohorts are provisional: their activation window is still open)."
    )
    blocks: list[Safe] = []
    if funnels.empty:
        blocks.append(note("No funnels configured or built yet ([[funnels]] in pmanalytics.toml)."))
    for i, name in enumerate(dict.fromkeys(funnels["funnel"]), start=1):
        blocks.append(figure_html(fg.funnel_figure(funnels, name), f"chart-funnel-{i}"))
        steps = funnels[funnels["funnel"] == name].sort_values("step_number")
        rows = [
            (
                int(r.step_number),
                r.step_event,
                _num(r.users),
                _pct(r.conversion_from_start),
                _pct(r.conversion_from_previous),
                fg.human_duration(r.median_seconds_from_previous),
            )
            for r in steps.itertuples()
        ]
        headers = ["step", "event", "users", "from step 1", "from previous", "median time"]
        blocks.append(table(headers, rows, numeric=(0, 2, 3, 4, 5)))
    if data_start is not None and not activation.empty:
        # cohorts that signed up before the event data begins cannot show their activation
        starts = pd.to_datetime(activation["cohort_start"])
        activation = activation[starts >= pd.Timestamp(data_start) - pd.Timedelta(days=6)]
    if activation.empty:
        blocks.append(note("No activation built yet."))
    else:
        blocks.append(figure_html(fg.activation_figure(activation), "chart-activation"))
    return Section("funnels", "Funnels and activation", intro, blocks)


def features_section(adoption: pd.DataFrame) -> Section:
    intro = "Weekly share of active users who used each configured feature ([[features]])."
    if adoption.empty:
        return Section("features", "Feature adoption", intro, [note("No features configured.")])
    blocks = [figure_html(fg.feature_adoption_figure(adoption), "chart-feature-adoption")]
    return Section("features", "Feature adoption", intro, blocks)


def pain_points_section(data: PainPointData | None, max_detail: int = 10) -> Section:
    intro = (
        "Complaints and requests found in survey comments, ranked by priority (how many "
        "customers it reaches × how many NPS points it costs × how sure we are), how they "
        "trend week by week, what customers love, what customers wrote, and how those "
        "customers behave compared with everyone else."
    )
    if data is None:
        return Section(
            "pain-points",
            "Pain points",
            intro,
            [
                note(
                    "No pain points built yet: run `pmanalytics build` with the pain-point stage.",
                    "warn",
                )
            ],
        )
    if data.priorities.empty:
        return Section("pain-points", "Pain points", intro, [note("No pain points found.")])
    redact = pii_redactor()
    details = data.pain_points.set_index("pain_point_id", drop=False)
    labels = {r.pain_point_id: r.label for r in data.priorities.itertuples()}
    blocks: list[Safe] = [
        figure_html(fg.pain_point_priority_figure(data.priorities), "chart-pain-priority")
    ]
    rows = []
    for r in data.priorities.sort_values("rank").itertuples():
        d = details.loc[r.pain_point_id] if r.pain_point_id in details.index else None
        get = lambda col, d=d: d[col] if d is not None else None  # noqa: E731
        rows.append(
            (
                int(r.rank),
                r.label,
                ", ".join(str(k) for k in _as_list(get("keywords"))),
                _num(get("comments")),
                _pct(get("share")),
                _num(get("nps"), "{:+.0f}"),
                _num(_points_lost(get("nps_impact")), "{:.1f}"),
                _num(r.priority, "{:.3g}"),
            )
        )
    headers = [
        "#",
        "pain point",
        "keywords",
        "comments",
        "share",
        "NPS",
        "NPS points lost",
        "priority",
    ]
    blocks.append(
        note(
            "NPS points lost: how much higher the overall NPS would be without the responses "
            "in this pain point (marts.pain_point_priorities.nps_cost; negative: it raises "
            "NPS).",
            "info",
        )
    )
    blocks.append(table(headers, rows, numeric=(0, 3, 4, 5, 6, 7)))
    if not data.trend.empty:
        blocks.append(
            figure_html(fg.pain_point_trend_figure(data.trend, labels), "chart-pain-trend")
        )
    if not data.delighters.empty:
        blocks.append(_delighters_block(data.delighters, redact))
    blocks.append(heading("Pain points in detail"))
    for r in data.priorities.sort_values("rank").head(max_detail).itertuples():
        d = details.loc[r.pain_point_id] if r.pain_point_id in details.index else None
        quotes = _as_list(d["example_comments"]) if d is not None else []
        behaviour = data.behaviour[data.behaviour["pain_point_id"] == r.pain_point_id]
        blocks.append(_pain_point_card(int(r.rank), r.label, quotes[:3], behaviour, redact))
    return Section("pain-points", "Pain points", intro, blocks)


def _delighters_block(delighters: pd.DataFrame, redact: Callable, top: int = 5) -> Safe:
    """What customers love: the biggest praise themes, each with one customer's words."""
    rows = [
        (
            d.label,
            _num(d.comments),
            _num(d.nps, "{:+.0f}"),
            redact(str(_as_list(d.example_comments)[0])) if _as_list(d.example_comments) else "",
        )
        for d in delighters.head(top).itertuples()
    ]
    return Safe(
        heading("What customers love")
        + table(["delighter", "comments", "NPS", "in their words"], rows, numeric=(1, 2))
    )


def _pain_point_card(
    rank: int, label: Any, quotes: Iterable[Any], behaviour: pd.DataFrame, redact: Callable
) -> Safe:
    quoted = "".join(f"<blockquote>{esc(short_quote(redact(str(q))))}</blockquote>" for q in quotes)
    parts = [f"<h4>#{rank} {esc(label)}</h4>"]
    parts.append(f"<h5>What they say</h5>{quoted}" if quoted else "<p>No example comments.</p>")
    if behaviour.empty:
        parts.append("<p>No behaviour comparison for this pain point.</p>")
    else:
        rows = [
            (
                measure_label(b.measure),
                measure_value(b.measure, b.respondents_value),
                measure_value(b.measure, b.others_value),
                _num(b.ratio, "×{:.2f}"),
            )
            for b in behaviour.itertuples()
        ]
        headers = ["measure", "these customers", "everyone else", "ratio"]
        parts.append("<h5>What these customers do</h5>" + table(headers, rows, numeric=(1, 2, 3)))
    return Safe(f'<div class="pain">{"".join(parts)}</div>')


def quality_section(
    validation: pd.DataFrame,
    quarantine_totals: pd.DataFrame,
    quarantine_reasons: pd.DataFrame,
    data_docs_href: str | None,
) -> Section:
    intro = (
        "The Great Expectations checks of the latest validation run, and the input rows that "
        "were set aside in quarantine instead of being loaded (with the most common reasons)."
    )
    blocks: list[Safe] = []
    if validation.empty:
        blocks.append(note("No validation run recorded yet.", "warn"))
    else:
        blocks.extend(_validation_blocks(validation))
    if data_docs_href:
        blocks.append(
            Safe(
                f'<p>Every expectation in detail: <a href="{esc(data_docs_href)}">Data Docs</a> '
                "(the Great Expectations site saved with this report; offline it shows "
                "unstyled but complete).</p>"
            )
        )
    blocks.append(heading("Quarantine"))
    if quarantine_totals.empty:
        blocks.append(note("No quarantine tables yet."))
    else:
        rows = [(t.table_name, _num(t.n_rows)) for t in quarantine_totals.itertuples()]
        blocks.append(table(["table", "rows set aside"], rows, numeric=(1,), compact=True))
    if not quarantine_reasons.empty:
        rows = [
            (
                q.table_name,
                q.reason,
                _num(q.n_rows),
                f"{Path(str(q.example_file)).name}, row {q.example_row}",
            )
            for q in quarantine_reasons.itertuples()
        ]
        blocks.append(table(["table", "top reasons", "rows", "example"], rows, numeric=(2,)))
    return Section("quality", "Data quality", intro, blocks)


def _validation_blocks(validation: pd.DataFrame) -> list[Safe]:
    """A verdict line, a per-table summary, the failures in full, the passes folded away."""
    ok = validation["success"].astype(bool)
    failed = validation[~ok]
    critical = int((failed["severity"] == "critical").sum())
    kind = "bad" if critical else ("warn" if len(failed) else "info")
    when = pd.Timestamp(validation["validated_at"].max()).strftime("%Y-%m-%d %H:%M UTC")
    verdict = note(
        f"Run {validation['run_id'].iloc[0]} ({when}): {int(ok.sum())} of {len(validation)} "
        f"expectations passed; {critical} critical and {len(failed) - critical} warning "
        "failures.",
        kind,
    )
    summary = (
        validation.assign(ok=ok, crit=~ok & (validation["severity"] == "critical"))
        .groupby("table_name", sort=True)
        .agg(total=("ok", "size"), passed=("ok", "sum"), crit=("crit", "sum"))
    )
    rows = [
        (name, f"{int(r.passed)} / {int(r.total)}", int(r.crit), int(r.total - r.passed - r.crit))
        for name, r in summary.iterrows()
    ]
    blocks = [
        verdict,
        table(["table", "passed", "critical failures", "warnings"], rows, (1, 2, 3), compact=True),
    ]

    def detail(frame: pd.DataFrame) -> Safe:
        rows = [
            (
                _badge(bool(v.success), v.severity),
                v.table_name,
                v.expectation,
                v.severity,
                _num(v.unexpected_count),
                _observed(v.observed),
                v.summary,
            )
            for v in frame.itertuples()
        ]
        headers = ["result", "table", "expectation", "severity", "unexpected", "observed", "check"]
        return table(headers, rows, numeric=(4,))

    if len(failed):
        blocks += [heading("Failed expectations"), detail(failed)]
    passed = validation[ok]
    if len(passed):
        blocks.append(
            Safe(
                f"<details><summary>{len(passed)} passed expectations</summary>"
                f"{detail(passed)}</details>"
            )
        )
    return blocks


def _observed(value: Any) -> str | None:
    """An observed value from ``details`` (JSON text), numbers rounded for reading."""
    if is_missing(value):
        return None
    try:
        return f"{float(value):.3g}"
    except (TypeError, ValueError):
        return str(value)


def _badge(success: bool, severity: Any) -> Safe:
    if success:
        return Safe('<span class="badge pass">passed</span>')
    css = "fail" if severity == "critical" else "warn"
    return Safe(f'<span class="badge {css}">failed</span>')

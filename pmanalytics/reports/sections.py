"""The report's sections: loaded frames in, :class:`~pmanalytics.reports.page.Section` out.

Each function decides what a PM sees for one topic, including what to say when the tables
behind it are empty or not built yet. Customer text is escaped by the page helpers. The
pain-point section, the longest, is in :mod:`pmanalytics.reports.pain_points`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from pmanalytics.kpis.headline import Kpi, latest_full_month
from pmanalytics.quality.report import quarantine_share_text
from pmanalytics.reports import figures as fg
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
    number,
    percent,
    table,
)

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
        f" (95% interval {number(row['ci_low'], '{:.1f}')} to {number(row['ci_high'], '{:.1f}')})"
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
        "(DAU ÷ MAU: the share of the month's users who come back on a given day). WAU and "
        "MAU start once their window lies inside the data; the first 30 days are shaded."
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


def lifecycle_section(lifecycle: pd.DataFrame, data_end: date | None = None) -> Section:
    intro = (
        "Active users split into new, returning (also active the period before) and "
        "resurrecting (back after a gap); dormant users (active before, not now) are below "
        "zero. The data's first period is left out (with nothing before it, everyone seen "
        "earlier would count as resurrecting), and a period the data ends inside is pale (its "
        "dormant users include those who have not come back yet)."
    )
    if lifecycle.empty:
        return Section("lifecycle", "Lifecycle", intro, [note("No lifecycle built yet.")])
    return Section(
        "lifecycle",
        "Lifecycle",
        intro,
        [figure_html(fg.lifecycle_figure(lifecycle, data_end), "chart-lifecycle")],
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
                number(r.users),
                percent(r.conversion_from_start),
                percent(r.conversion_from_previous),
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
    intro = (
        "Weekly share of active users who used each feature: did at least one of its events "
        "that week. The features and their events are set in the project's configuration."
    )
    if adoption.empty:
        empty = note(
            "No features configured: add them to pmanalytics.toml as [[features]] entries, "
            "each a name and its events."
        )
        return Section("features", "Feature adoption", intro, [empty])
    blocks = [figure_html(fg.feature_adoption_figure(adoption), "chart-feature-adoption")]
    return Section("features", "Feature adoption", intro, blocks)


def quality_section(
    validation: pd.DataFrame,
    quarantine_totals: pd.DataFrame,
    quarantine_reasons: pd.DataFrame,
    data_docs_href: str | None,
) -> Section:
    intro = (
        "The Great Expectations checks of the latest validation run, and the input rows that "
        "were set aside in quarantine instead of being loaded, grouped by kind of problem."
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
        rows = [(t.table_name, number(t.n_rows)) for t in quarantine_totals.itertuples()]
        blocks.append(table(["table", "rows set aside"], rows, numeric=(1,), compact=True))
    if not quarantine_reasons.empty:
        rows = [
            (
                q.table_name,
                q.kind,
                number(q.n_rows),
                "; ".join(q.examples),
                f"{Path(str(q.example_file)).name}, row {q.example_row}",
            )
            for q in quarantine_reasons.itertuples()
        ]
        headers = ["table", "kind of problem", "rows", "examples", "first row"]
        blocks.append(table(headers, rows, numeric=(2,)))
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
    blocks = [verdict, *_quarantine_share_notes(validation)]
    blocks.append(
        table(["table", "passed", "critical failures", "warnings"], rows, (1, 2, 3), compact=True)
    )

    def detail(frame: pd.DataFrame) -> Safe:
        rows = [
            (
                _badge(bool(v.success), v.severity),
                v.table_name,
                v.expectation,
                v.severity,
                number(v.unexpected_count),
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


def _quarantine_share_notes(validation: pd.DataFrame) -> list[Safe]:
    """Next to "n of m expectations passed": how much input was set aside, per table, judged
    against ``[validation] max_quarantine_share`` (the ``quarantine_share`` expectation)."""
    notes = []
    shares = validation[validation["expectation"] == "quarantine_share"]
    for v in shares.itertuples():
        if is_missing(v.observed):
            continue
        threshold = None if is_missing(v.threshold) else float(v.threshold)
        text = f"{v.table_name}: " + quarantine_share_text(float(v.observed), threshold) + "."
        kind = "info" if v.success else ("bad" if v.severity == "critical" else "warn")
        notes.append(note(text, kind))
    return notes


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

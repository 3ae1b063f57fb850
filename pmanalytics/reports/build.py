"""``build_report``: read the marts, draw every chart, write one self-contained HTML file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from plotly.offline import get_plotlyjs

from pmanalytics.kpis.headline import Kpi, data_end_date
from pmanalytics.reports import data, sections
from pmanalytics.reports.headline import all_time_rows, report_headline, survey_data_end
from pmanalytics.reports.page import Section, render_page
from pmanalytics.reports.pain_points import pain_points_section
from pmanalytics.warehouse import table_exists

DEFAULT_TITLE = "Product analytics report"


@dataclass(frozen=True)
class CoreMarts:
    """The marts the headline, the subtitle and several sections share: read once."""

    settings: dict[str, Any]
    active_users: pd.DataFrame
    activation: pd.DataFrame
    scores: pd.DataFrame
    windows: pd.DataFrame
    lifecycle: pd.DataFrame

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> CoreMarts:
        return cls(
            data.load_settings(con),
            data.load_active_users(con),
            data.load_activation(con),
            data.load_survey_scores(con),
            data.load_survey_score_windows(con),
            data.load_lifecycle(con),
        )

    def headline(self) -> list[Kpi]:
        return report_headline(
            self.active_users,
            self.activation,
            self.scores,
            self.windows,
            self.lifecycle,
            self.settings,
        )


def warehouse_headline(con: duckdb.DuckDBPyConnection) -> list[Kpi]:
    """The headline KPI tiles, straight from the marts (also used by run summaries)."""
    return CoreMarts.load(con).headline()


def collect_sections(
    con: duckdb.DuckDBPyConnection,
    data_docs_href: str | None = None,
    core: CoreMarts | None = None,
) -> list[Section]:
    """Every section in report order, from the marts/meta/quarantine tables only."""
    core = core or CoreMarts.load(con)
    active_users, activation, lifecycle = core.active_users, core.activation, core.lifecycle
    scores, windows = core.scores, core.windows
    kpis = core.headline()
    data_end = data_end_date(active_users) or survey_data_end(windows)
    data_start = active_users["activity_date"].min() if not active_users.empty else None
    built = table_exists(con, "marts", "kpi_active_users")
    usage: list[Section]
    if active_users.empty:
        # one note instead of five empty sections: survey-only data is a normal start
        usage = [sections.no_usage_section(built)]
    else:
        usage = [
            sections.activity_section(active_users),
            sections.retention_section(data.load_retention(con)),
            sections.lifecycle_section(lifecycle, data_end),
            sections.conversion_section(data.load_funnels(con), activation, data_start),
            sections.features_section(data.load_feature_adoption(con)),
        ]
    return [
        sections.headline_section(kpis, built),
        sections.surveys_section(scores, data_end, windows),
        *usage,
        pain_points_section(data.load_pain_points(con, windows)),
        sections.quality_section(
            data.load_validation_summary(con),
            data.load_quarantine_totals(con),
            data.load_quarantine_counts(con),
            data_docs_href,
        ),
    ]


def _subtitle(active_users: pd.DataFrame, windows: pd.DataFrame, as_of: date | None = None) -> str:
    """What the data covers: the days of activity, else the survey's dates, and the as-of
    date the KPIs run to (``[analysis] as_of``; events after it are left out)."""
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if not active_users.empty:
        first, last = active_users["activity_date"].min(), active_users["activity_date"].max()
        end = pd.Timestamp(as_of if as_of is not None else last)
        return (
            f"Activity from {pd.Timestamp(first):%d %b %Y}, KPIs as of {end:%d %b %Y}; "
            f"generated {generated}."
        )
    overall = all_time_rows(windows)
    if overall.empty:
        return f"Generated {generated}."
    responses = f"{int(overall['responses'].sum()):,} scored survey responses"
    end = survey_data_end(windows)
    if end is None:
        return f"{responses}, undated; generated {generated}."
    start = pd.Timestamp(overall["period_start"].min())
    return f"{responses} from {start:%d %b %Y} to {end:%d %b %Y}; generated {generated}."


def relative_href(target: Path, out_path: Path) -> str:
    """``target`` relative to the report's folder, as a URL path (works from a USB stick)."""
    rel = os.path.relpath(Path(target).resolve(), Path(out_path).resolve().parent)
    return Path(rel).as_posix()


def build_report(
    con: duckdb.DuckDBPyConnection,
    out_path: str | Path,
    *,
    data_docs_index: Path | None = None,
    title: str = DEFAULT_TITLE,
) -> Path:
    """Write the report to ``out_path`` and return its path.

    ``con`` may be read-only: nothing is written to the warehouse. plotly.js is inlined once
    in the page head and every figure refers to it, so the file needs no network.
    ``data_docs_index`` (the Great Expectations ``index.html``) is linked by relative path.
    """
    out = Path(out_path)
    href = relative_href(data_docs_index, out) if data_docs_index is not None else None
    core = CoreMarts.load(con)
    page = render_page(
        title,
        _subtitle(core.active_users, core.windows, core.settings.get("as_of_date")),
        collect_sections(con, href, core),
        get_plotlyjs(),
        footer="Built by pmanalytics from the marts tables. Self-contained: no network needed.",
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)  # never leave a half-written report behind
    return out

"""The self-contained HTML report, and the loaders and figures notebooks reuse.

>>> from pmanalytics.reports import build_report
>>> build_report(con, "reports/report.html", data_docs_index=Path("reports/data_docs/index.html"))

``pmanalytics.reports.data`` loads the marts as DataFrames, ``pmanalytics.reports.figures``
turns them into Plotly figures, ``pmanalytics.reports.page`` assembles the HTML.
"""

from pmanalytics.kpis.headline import Kpi, headline_kpis
from pmanalytics.reports.build import DEFAULT_TITLE, build_report, collect_sections

__all__ = ["DEFAULT_TITLE", "Kpi", "build_report", "collect_sections", "headline_kpis"]

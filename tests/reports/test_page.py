"""HTML helpers: escaping, tables, tiles, figure embedding without plotly.js."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from pmanalytics.kpis.headline import Kpi
from pmanalytics.reports.page import (
    Safe,
    Section,
    esc,
    figure_html,
    format_change,
    kpi_tiles,
    render_page,
    table,
)
from tests.reports.helpers import XSS_IMG, XSS_SCRIPT


def test_esc_escapes_text_and_passes_safe_html() -> None:
    assert esc(XSS_SCRIPT) == "&lt;script&gt;window.__xss=1&lt;/script&gt;"
    assert esc(XSS_IMG) == "&lt;img src=x onerror=&quot;window.__xss=2&quot;&gt;"
    assert esc(Safe("<b>ours</b>")) == "<b>ours</b>"
    assert esc(None) == "–" and esc(math.nan) == "–" and esc(0) == "0"


def test_table_escapes_every_cell_and_header() -> None:
    html = table(["<h>", "n"], [[XSS_SCRIPT, 3], [Safe("<i>ok</i>"), None]], numeric=(1,))
    assert "<script" not in html and "&lt;h&gt;" in html
    assert "<td><i>ok</i></td>" in html and "<td class=num>–</td>" in html


def test_kpi_changes_are_coloured_by_direction() -> None:
    up = Kpi("WAU", 110.0, 100.0, "users", "w")
    assert format_change(up) == ("▲ +10 (+10.0%)", "good")
    worse = Kpi("NPS", 10.0, 15.0, "points", "m")
    assert format_change(worse) == ("▼ -5.0 pts", "bad")
    assert format_change(Kpi("CES", 5.0, None, "score", "m")) == ("no earlier period", "flat")
    tiles = kpi_tiles([Kpi("<x>", 1.0, 1.0, "%", "p", note=XSS_IMG)])
    assert "&lt;x&gt;" in tiles and "1.0%" in tiles and "no change" in tiles
    assert "<img" not in tiles


def test_figure_html_embeds_the_figure_without_plotlyjs() -> None:
    fig = go.Figure(go.Bar(x=["a"], y=[1]), layout={"height": 300})
    html = figure_html(fig, "chart-x", caption="<c>")
    assert 'id="chart-x"' in html and "Plotly.newPlot" in html
    assert "plotly.js v" not in html and "<script src" not in html
    assert "height:300px" in html and "<figcaption>&lt;c&gt;</figcaption>" in html


def test_render_page_puts_plotlyjs_once_in_the_head() -> None:
    page = render_page("T <1>", "sub", [Section("s1", "One", "intro", [Safe("<p>x</p>")])], "JS")
    assert page.count('<script type="text/javascript">JS</script>') == 1
    assert page.index("JS</script>") < page.index("</head>")
    assert "<title>T &lt;1&gt;</title>" in page
    assert '<section id="s1"><h2>One</h2>' in page and '<a href="#s1">One</a>' in page

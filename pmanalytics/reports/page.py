"""HTML assembly: escaping, tiles, tables, figure embedding and the page shell.

The page must open from a USB stick with no network, so everything is inline: one copy of
plotly.js, one ``<style>``, system fonts, no images. A Content-Security-Policy meta tag forbids
loading anything from anywhere (``default-src 'none'``) as a second line of defence. Text is
escaped here unless it is wrapped in :class:`Safe` (HTML this module built itself).
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from pmanalytics.kpis.headline import Kpi

PLOT_CONFIG: dict[str, Any] = {
    "responsive": True,
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}
#: The page's policy; ``{scripts}`` becomes the hash of each of the page's own scripts, so
#: an inline event handler (``onerror=…``) or a script that is not the page's never runs.
CSP = (
    "default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
)
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_CSP_SLOT = "\x00pma-csp\x00"


def content_security_policy(page: str) -> str:
    """:data:`CSP` with a ``'sha256-…'`` source for every inline script of ``page``."""
    hashes = sorted(
        {
            "'sha256-"
            + base64.b64encode(hashlib.sha256(m.group(1).encode("utf-8")).digest()).decode()
            + "'"
            for m in _SCRIPT.finditer(page)
        }
    )
    return CSP.format(scripts=" ".join(hashes) or "'none'")


class Safe(str):
    """HTML built by this package from escaped parts: inserted as is."""


def esc(value: Any) -> Safe:
    """Escape anything for HTML text or a quoted attribute; ``Safe`` passes through."""
    if isinstance(value, Safe):
        return value
    if is_missing(value):
        return Safe("–")
    return Safe(html.escape(str(value), quote=True))


def is_missing(value: Any) -> bool:
    """None, NA, NaT or a float NaN: shown as a dash, never as ``nan``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def percent(value: Any, digits: int = 1) -> str:
    """A 0–1 share as a percentage; a dash when missing."""
    return "–" if is_missing(value) else f"{float(value) * 100:.{digits}f}%"


def number(value: Any, fmt: str = "{:,.0f}") -> str:
    """A number in ``fmt`` (thousands separated by default); a dash when missing."""
    return "–" if is_missing(value) else fmt.format(float(value))


def join(parts: Iterable[str]) -> Safe:
    return Safe("\n".join(esc(p) for p in parts))


@dataclass
class Section:
    """One report section: an anchor id, a heading, an explanation and its content blocks."""

    section_id: str
    title: str
    intro: str = ""
    blocks: list[Safe] = field(default_factory=list)


def note(text: str, kind: str = "info") -> Safe:
    """A visible explanation, e.g. why a section has nothing to show yet."""
    return Safe(f'<p class="note note-{esc(kind)}">{esc(text)}</p>')


def heading(text: str, level: int = 3) -> Safe:
    return Safe(f"<h{level}>{esc(text)}</h{level}>")


def figure_html(fig: go.Figure, div_id: str, caption: str = "") -> Safe:
    """A figure as a ``<div>`` and its ``Plotly.newPlot`` call, without plotly.js itself."""
    height = fig.layout.height or 380
    body = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=div_id,
        config=PLOT_CONFIG,
        default_width="100%",
        default_height=f"{height}px",
    )
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return Safe(f'<figure class="chart">{body}{cap}</figure>')


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    numeric: Sequence[int] = (),
    compact: bool = False,
) -> Safe:
    """An HTML table; every cell escaped unless ``Safe``; ``numeric`` columns right-aligned."""
    head = "".join(
        f"<th{' class=num' if i in numeric else ''}>{esc(h)}</th>" for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = "".join(
            f"<td{' class=num' if i in numeric else ''}>{esc(v)}</td>" for i, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    css = ' class="compact"' if compact else ""
    return Safe(
        f'<div class="table-wrap"><table{css}><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def grid(blocks: Iterable[Safe], columns: int = 2) -> Safe:
    """Side-by-side blocks on a wide screen, stacked on a narrow one or on paper."""
    inner = "".join(f"<div>{b}</div>" for b in blocks)
    return Safe(f'<div class="grid grid-{columns}">{inner}</div>')


# --------------------------------------------------------------------------- KPI tiles


def format_value(value: float | None, unit: str) -> str:
    if is_missing(value):
        return "–"
    if unit == "users":
        return f"{value:,.0f}"
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "points":
        return f"{value:+.0f}" if value else "0"
    return f"{value:.2f}"


def format_change(kpi: Kpi) -> tuple[str, str]:
    """The change as text, and a CSS class saying whether it is good, bad or flat."""
    change = kpi.change
    if change is None:
        return "no earlier period", "flat"
    if kpi.unit == "users":
        base = kpi.previous or 0
        pct = f" ({change / base:+.1%})" if base else ""
        text = f"{change:+,.0f}{pct}"
    elif kpi.unit in ("%", "points"):
        text = f"{change:+.1f} pts"
    else:
        text = f"{change:+.2f}"
    if abs(change) < 1e-9:
        return "no change", "flat"
    good = (change > 0) == kpi.higher_is_better
    arrow = "▲" if change > 0 else "▼"
    return f"{arrow} {text}", "good" if good else "bad"


def kpi_tiles(kpis: Sequence[Kpi]) -> Safe:
    tiles = []
    for kpi in kpis:
        change, css = format_change(kpi)
        extra = f'<div class="tile-note">{esc(kpi.note)}</div>' if kpi.note else ""
        tiles.append(
            f'<div class="tile"><div class="tile-name">{esc(kpi.name)}</div>'
            f'<div class="tile-value">{esc(format_value(kpi.value, kpi.unit))}</div>'
            f'<div class="tile-change {css}">{esc(change)}</div>'
            f'<div class="tile-period">{esc(kpi.period_label)}</div>{extra}</div>'
        )
    return Safe(f'<div class="tiles">{"".join(tiles)}</div>')


# --------------------------------------------------------------------------- the page

_PRINT_JS = """
(function () {
  function resizeAll() {
    document.querySelectorAll('.js-plotly-plot').forEach(function (el) {
      if (window.Plotly) { window.Plotly.Plots.resize(el); }
    });
  }
  window.addEventListener('beforeprint', resizeAll);
  window.addEventListener('afterprint', resizeAll);
})();
"""

CSS = """
:root { --ink:#111827; --muted:#6b7280; --line:#e5e7eb; --bg:#f8fafc; --accent:#2563eb;
  --good:#047857; --bad:#b91c1c; }
* { box-sizing: border-box; }
body { margin:0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
  Arial, sans-serif; color:var(--ink); background:var(--bg); line-height:1.45; font-size:15px; }
header.top { background:#fff; border-bottom:1px solid var(--line); padding:20px 24px 8px; }
header.top h1 { margin:0 0 4px; font-size:24px; }
header.top p { margin:0; color:var(--muted); }
nav.toc { position:sticky; top:0; z-index:10; background:#fff; border-bottom:1px solid
  var(--line); padding:8px 24px; display:flex; flex-wrap:wrap; gap:4px 16px; font-size:14px; }
nav.toc a { color:var(--accent); text-decoration:none; }
main { max-width:1280px; margin:0 auto; padding:8px 24px 48px; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; margin:20px 0;
  padding:16px 20px; }
section > h2 { margin:0 0 4px; font-size:20px; }
h3 { font-size:16px; margin:20px 0 8px; }
p.intro { color:var(--muted); margin:0 0 12px; max-width:90ch; }
.note { padding:10px 14px; border-radius:6px; background:#eff6ff; border:1px solid #bfdbfe; }
.note-warn { background:#fffbeb; border-color:#fde68a; }
.note-bad { background:#fef2f2; border-color:#fecaca; }
.tiles { display:grid; grid-template-columns:repeat(auto-fill, minmax(200px, 1fr)); gap:12px; }
.tile { border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.tile-name { color:var(--muted); font-size:13px; }
.tile-value { font-size:28px; font-weight:600; margin:2px 0; }
.tile-change { font-weight:600; font-size:14px; }
.tile-change.good { color:var(--good); } .tile-change.bad { color:var(--bad); }
.tile-change.flat { color:var(--muted); }
.tile-period, .tile-note { color:var(--muted); font-size:12px; }
.grid { display:grid; gap:16px; }
.grid-2 { grid-template-columns:repeat(2, minmax(0, 1fr)); }
.grid-3 { grid-template-columns:repeat(3, minmax(0, 1fr)); }
@media (max-width: 1100px) { .grid-2, .grid-3 { grid-template-columns:1fr; } }
figure.chart { margin:8px 0; break-inside:avoid; page-break-inside:avoid; }
figcaption { color:var(--muted); font-size:13px; margin-top:2px; }
.table-wrap { overflow-x:auto; }
table { border-collapse:collapse; width:100%; font-size:14px; margin:4px 0 12px; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line);
  vertical-align:top; overflow-wrap:break-word; }
th { background:#f9fafb; font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
th.num { white-space:normal; }  /* long headers wrap, so the words column keeps room */
table.compact { width:auto; min-width:40%; }
details > summary { cursor:pointer; color:var(--accent); margin:8px 0; }
.badge { white-space:nowrap; display:inline-block; padding:1px 8px; border-radius:10px;
  font-size:12px; font-weight:600; }
.badge.pass { background:#d1fae5; color:#065f46; } .badge.fail { background:#fee2e2;
  color:#991b1b; } .badge.warn { background:#fef3c7; color:#92400e; }
.badge.emerging { background:#ede9fe; color:#5b21b6; margin-left:6px; vertical-align:middle; }
p.why { font-weight:600; margin:4px 0 8px; }
ul.behaviour { margin:4px 0 8px; padding-left:20px; }
ul.behaviour li { margin:2px 0; }
ul.behaviour li.chance, ul.behaviour li.untested { color:#9ca3af; }
.flag { font-size:12px; }
h5 .sub { font-weight:400; color:var(--muted); }
.pain { border:1px solid var(--line); border-radius:8px; padding:4px 16px 8px; margin:12px 0;
  break-inside:avoid; page-break-inside:avoid; }
blockquote { margin:8px 0; padding:6px 12px; border-left:3px solid #cbd5e1; color:#374151;
  background:#f9fafb; white-space:pre-wrap; overflow-wrap:anywhere; }
.keywords { color:var(--muted); font-size:13px; }
footer { color:var(--muted); font-size:13px; text-align:center; padding:16px; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { background:#fff; font-size:12px; }
  nav.toc { position:static; display:none; }
  main { max-width:none; padding:0; }
  section { border:none; padding:0; margin:0 0 16px; break-before:auto; }
  section > h2 { break-after:avoid; page-break-after:avoid; }
  .grid-2, .grid-3 { grid-template-columns:1fr; }
  .modebar, .updatemenu-container { display:none !important; }
  .table-wrap { overflow:visible; }
  tr, .tile, blockquote { break-inside:avoid; page-break-inside:avoid; }
}
"""


def render_page(
    title: str, subtitle: str, sections: Sequence[Section], plotlyjs: str, footer: str = ""
) -> str:
    """The whole document: plotly.js once in ``<head>``, then every section in order."""
    toc = "".join(f'<a href="#{esc(s.section_id)}">{esc(s.title)}</a>' for s in sections)
    body = []
    for s in sections:
        intro = f'<p class="intro">{esc(s.intro)}</p>' if s.intro else ""
        blocks = "\n".join(esc(b) for b in s.blocks)
        body.append(
            f'<section id="{esc(s.section_id)}"><h2>{esc(s.title)}</h2>{intro}\n{blocks}</section>'
        )
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP_SLOT}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n"
        f'<script type="text/javascript">{plotlyjs}</script>\n</head>\n<body>\n'
        f'<header class="top"><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>\n'
        f'<nav class="toc" aria-label="Sections">{toc}</nav>\n<main>\n'
        + "\n".join(body)
        + f"\n</main>\n<footer>{esc(footer)}</footer>\n"
        f'<script type="text/javascript">{_PRINT_JS}</script>\n</body>\n</html>\n'
    )
    return page.replace(_CSP_SLOT, esc(content_security_policy(page)), 1)

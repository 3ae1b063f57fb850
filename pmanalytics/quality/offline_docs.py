"""Make GX's Data Docs work offline: no request to any other host when a page opens.

GX 1.x pages load Bootstrap, jQuery, Vega and fonts from public CDNs. Every result is already
rendered into the HTML, so we drop those external loads (and the inline scripts that need
them) and add a small inline stylesheet: the pages stay complete and readable from a USB
stick, and opening them never reaches the network.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

_EXTERNAL_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']https?://[^>]*>\s*</script\s*>", re.IGNORECASE
)
_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>.*?</script\s*>", re.I | re.S)
_EXTERNAL_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']https?://[^>]*>", re.IGNORECASE)
_EXTERNAL_IMG = re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"']https?://[^>]*>", re.IGNORECASE)
#: GX's favicon link points one folder too high from result pages, and a page needs no icon
_ICON_LINK = re.compile(r"<link\b[^>]*\brel\s*=\s*[\"'][^\"']*icon[^\"']*[\"'][^>]*>", re.I)
#: GX's own markup calls its (removed) scripts from onclick=… attributes; the page policy
#: blocks every inline handler anyway, so they are dropped rather than left to fail
_TAG = re.compile(r"<[a-zA-Z][^<>]*>")
_HANDLER = re.compile(r"""\s+on[a-z]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)
_FORM = re.compile(r"<form\b.*?</form\s*>", re.IGNORECASE | re.DOTALL)
_EXTERNAL_URL = re.compile(r"url\(\s*[\"']?https?://[^)]*\)", re.IGNORECASE)

#: Every page: no script at all (GX's are removed, and an injected one must not run), no
#: request to anything, inline styles only. A value that slipped through as markup is inert.
CSP = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">"
)
_HEAD_OPEN = re.compile(r"<head\b[^>]*>", re.IGNORECASE)

STYLE = """<style id="pma-offline">
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem; color: #1f2933; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #d9dee3; padding: .25rem .5rem; text-align: left;
         vertical-align: top; }
thead[hidden] { display: none; }
a { color: #0b5cad; }
.card, .alert { border: 1px solid #d9dee3; border-radius: 4px; padding: .5rem 1rem;
                margin: .75rem 0; }
.text-danger, .badge-danger { color: #b42318; }
.text-success, .badge-success { color: #067647; }
.collapse:not(.show) { display: block; }
nav, .navbar, .sticky { position: static !important; }
</style>"""


def make_offline(docs_dir: Path) -> list[Path]:
    """Rewrite every HTML page of the site in place; returns the pages rewritten."""
    pages = sorted(docs_dir.rglob("*.html"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for pattern in (
            _EXTERNAL_SCRIPT,
            _INLINE_SCRIPT,
            _EXTERNAL_LINK,
            _EXTERNAL_IMG,
            _ICON_LINK,
            _FORM,
        ):
            text = pattern.sub("", text)
        text = _EXTERNAL_URL.sub("none", text)
        text = _TAG.sub(lambda tag: _HANDLER.sub("", tag.group(0)), text)
        if 'id="pma-offline"' not in text:
            text = re.sub(r"</head\s*>", STYLE + "</head>", text, count=1, flags=re.IGNORECASE)
        if "Content-Security-Policy" not in text:  # first in <head>: it governs what follows
            text = _HEAD_OPEN.sub(lambda m: m.group(0) + CSP, text, count=1)
        page.write_text(text, encoding="utf-8")
    for sheet in docs_dir.rglob("*.css"):
        text = sheet.read_text(encoding="utf-8")
        sheet.write_text(_EXTERNAL_URL.sub("none", text), encoding="utf-8")
    write_index(docs_dir)
    return pages


def write_index(docs_dir: Path) -> Path:
    """A static index of the site's pages.

    GX fills its index with JavaScript from a CDN; without the network it would be empty.
    """

    def links(folder: str) -> str:
        pages = sorted((docs_dir / folder).rglob("*.html")) if (docs_dir / folder).is_dir() else []
        items = []
        for page in pages:
            relative = page.relative_to(docs_dir).as_posix()
            parts = page.relative_to(docs_dir / folder).parts
            label = (
                page.stem.removeprefix("pmanalytics-")
                if folder == "validations"
                else ".".join([*parts[:-1], page.stem])
            )
            when = (
                f" — run {html.escape(parts[-3])}"
                if folder == "validations" and len(parts) >= 3
                else ""
            )
            items.append(
                f'<li><a href="{html.escape(relative, quote=True)}">{html.escape(label)}</a>'
                f"{when}</li>"
            )
        return "<ul>" + "".join(items) + "</ul>" if items else "<p>None yet.</p>"

    index = docs_dir / "index.html"
    index.write_text(
        '<!doctype html><html lang="en"><head>' + CSP + '<meta charset="utf-8">'
        "<title>Data Docs | pmanalytics</title>" + STYLE + "</head><body>"
        "<h1>Data Docs | pmanalytics</h1>"
        "<p>Great Expectations results of the latest validation run, one page per suite "
        "(rows of the batch, per-load volume, whole-table checks). Every result is also in "
        "<code>meta.validation_results</code>.</p>"
        "<h2>Validation results</h2>"
        + links("validations")
        + "<h2>Expectation suites</h2>"
        + links("expectations")
        + "</body></html>",
        encoding="utf-8",
    )
    return index


def external_loads(html: str) -> list[str]:
    """Resources a page would fetch from another host (for tests and checks)."""
    found = re.findall(
        r"<(?:script|img|iframe)\b[^>]*\bsrc\s*=\s*[\"'](https?://[^\"']+)", html, re.I
    )
    found += re.findall(r"<link\b[^>]*\bhref\s*=\s*[\"'](https?://[^\"']+)", html, re.I)
    found += re.findall(r"url\(\s*[\"']?(https?://[^)\"']+)", html, re.I)
    return found


def is_offline_data_docs(folder: Path) -> bool:
    """Whether ``folder`` holds Data Docs that :func:`make_offline` rewrote (ours, from a
    version that did not mark its folders yet)."""
    index = folder / "index.html"
    if not index.is_file():
        return False
    return 'id="pma-offline"' in index.read_text(encoding="utf-8", errors="replace")

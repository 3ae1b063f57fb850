"""The report in a real browser: headless Chromium with the network cut off.

Needs Debian's ``chromium`` (``apt-get install -y chromium``) and the ``playwright`` Python
package; no browser is ever downloaded (no ``playwright install``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pmanalytics.reports.figures.surveys import LABEL_CHARS
from tests.reports.helpers import XSS_IMG, XSS_SCRIPT

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs /usr/bin/chromium: apt-get install -y chromium (the Makefile/CI does)",
    ),
]


@pytest.fixture
def page_in_browser(hostile_report: Path, tmp_path: Path):
    """The hostile report opened offline; yields the page plus what the browser reported."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="needs the playwright package (dev dependency)"
    )
    report = tmp_path / "report.html"  # beside the screenshot, as if copied to a USB stick
    shutil.copy(hostile_report, report)
    console: list[str] = []
    external: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: console.append(f"page error: {exc}"))

            def block(route) -> None:  # every request that is not the file itself
                if route.request.url.startswith("file://"):
                    route.continue_()
                else:
                    external.append(route.request.url)
                    route.abort()

            page.route("**/*", block)
            page.goto(report.as_uri(), wait_until="load")
            yield page, console, external, tmp_path
        finally:
            browser.close()


def test_report_renders_offline_without_errors_or_xss(page_in_browser) -> None:
    page, console, external, out = page_in_browser
    page.wait_for_function(
        "() => [...document.querySelectorAll('.plotly-graph-div')]"
        ".every(el => el.querySelector('svg.main-svg'))",
        timeout=20_000,
    )
    containers = page.eval_on_selector_all(
        ".plotly-graph-div", "els => els.map(el => [el.id, !!el.querySelector('svg.main-svg')])"
    )
    assert len(containers) >= 13
    assert all(rendered for _, rendered in containers), containers
    screenshot = out / "report.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 50_000
    # switch the retention heatmap to another view: the dropdown works offline too
    page.click("#chart-retention .updatemenu-header-group")
    page.click("#chart-retention .updatemenu-item-text >> text=Monthly · recurring")
    page.wait_for_timeout(300)
    shown = page.evaluate(
        "document.querySelector('#chart-retention').data"
        ".filter(t => t.visible === true).map(t => t.name)"
    )
    assert shown == ["Monthly · recurring"]

    assert console == []
    assert external == []
    assert page.evaluate("window.__xss === undefined")
    text = page.inner_text("body")
    assert XSS_SCRIPT in text and XSS_IMG in text  # shown as text, not run
    # inside figures too: tick labels are literal text in the SVG
    assert XSS_SCRIPT in (page.text_content("#chart-funnel-1") or "")
    # segment names are cut to LABEL_CHARS on the axis (whole in the hover): the cut text
    # is there as literal characters
    cut = XSS_IMG[: LABEL_CHARS - 1]
    assert cut in (page.text_content("#chart-survey-segments-nps") or "")

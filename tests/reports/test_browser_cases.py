"""The report in real Chromium on the warehouses a PM brings: survey-only (dated and
undated), events-only and the demo. Screenshots are kept for CI as artefacts, in
``$PMA_SCREENSHOTS_DIR`` when set, else under pytest's temporary folder."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a browser and a 5 MB page per case: 3–6 s each

RAW_IDS = re.compile(r"event_rate:|property_mean:|retained_4w|active_days_\d+d")


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``$PMA_SCREENSHOTS_DIR`` (CI collects it), else a temp folder."""
    folder = os.environ.get("PMA_SCREENSHOTS_DIR")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _rendered(page) -> list[str]:
    """Wait until every chart has drawn; the ids of those that did not."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.plotly-graph-div')]"
        ".every(el => el.querySelector('svg.main-svg'))",
        timeout=30_000,
    )
    return page.eval_on_selector_all(
        ".plotly-graph-div",
        "els => els.filter(e => !e.querySelector('svg.main-svg')).map(e => e.id)",
    )


def _overlaps(a: dict | None, b: dict | None) -> bool:
    if a is None or b is None:
        return False
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def _legends_clear_of_titles(page) -> list[str]:
    """Charts whose legend box overlaps their title: the ids."""
    boxes = page.eval_on_selector_all(
        ".plotly-graph-div",
        """els => els.map(el => {
            const box = s => { const n = el.querySelector(s); if (!n) return null;
                const r = n.getBoundingClientRect();
                return {x: r.x, y: r.y, width: r.width, height: r.height}; };
            return [el.id, box('.legend'), box('.gtitle')];
        })""",
    )
    return [cid for cid, legend, title in boxes if _overlaps(legend, title)]


def _shoot(page, screenshots: Path, name: str) -> Path:
    path = screenshots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 30_000
    return path


@pytest.mark.parametrize("which", ["survey_only_report", "undated_survey_report"])
def test_survey_only_report_has_tiles_and_never_asks_for_a_run(
    which: str, request: pytest.FixtureRequest, offline_browser, screenshots: Path
) -> None:
    report: Path = request.getfixturevalue(which)
    page, console, external = offline_browser(report)
    assert _rendered(page) == []
    tiles = page.eval_on_selector_all(".tile-name", "els => els.map(e => e.innerText)")
    assert {"NPS", "CSAT", "CES"} <= set(tiles)
    assert page.is_visible("#headline .tile")
    text = page.inner_text("body")
    assert "run the pipeline" not in text.lower() and "makes them" not in text
    assert "no usage events" in text
    assert not RAW_IDS.search(text)
    assert _legends_clear_of_titles(page) == []
    _shoot(page, screenshots, which)
    assert console == [] and external == []


def test_events_only_report(events_only_report: Path, offline_browser, screenshots: Path) -> None:
    page, console, external = offline_browser(events_only_report)
    assert _rendered(page) == []
    tiles = page.eval_on_selector_all(".tile-name", "els => els.map(e => e.innerText)")
    assert "Weekly active users" in tiles and "NPS" not in tiles
    for chart in ("chart-active-users", "chart-stickiness", "chart-retention", "chart-lifecycle"):
        assert page.is_visible(f"#{chart} svg.main-svg"), chart
    text = page.inner_text("body")
    assert "No scored survey responses are loaded." in text
    assert "run the pipeline" not in text.lower()
    assert _legends_clear_of_titles(page) == []
    _shoot(page, screenshots, "events_only_report")
    assert console == [] and external == []


def test_demo_report_shows_priority_parts_in_words(
    sample_report: Path, offline_browser, screenshots: Path
) -> None:
    page, console, external = offline_browser(sample_report)
    assert _rendered(page) == []
    section = page.locator("#pain-points")
    assert section.get_by_text("score lost (95%)").first.is_visible()
    assert section.get_by_text("retention gap, pts (95%)").first.is_visible()
    why = section.locator("p.why").first
    assert why.is_visible() and re.match(r"Priority [\d.,]+ = \d+ customers × ", why.inner_text())
    assert section.locator("ul.behaviour li.chance").count() > 0  # chance is marked, in grey
    colour = section.locator("ul.behaviour li.chance").first.evaluate(
        "el => getComputedStyle(el).color"
    )
    assert colour == "rgb(156, 163, 175)"
    text = page.inner_text("body")
    assert not RAW_IDS.search(text), RAW_IDS.search(text)
    assert "e+0" not in text
    # the trend's legend (7 names) sits below the plot, clear of the title; every chart too
    assert _legends_clear_of_titles(page) == []
    legend = page.locator("#chart-pain-trend .legend").bounding_box()
    plot = page.locator("#chart-pain-trend .nsewdrag").first.bounding_box()
    assert legend["y"] >= plot["y"] + plot["height"]
    # the segment menu clears Plotly's toolbar, which shows on hover
    page.hover("#chart-survey-segments-nps")
    toolbar = page.locator("#chart-survey-segments-nps .modebar").bounding_box()
    menu = page.locator("#chart-survey-segments-nps .updatemenu-header-group").bounding_box()
    assert not _overlaps(toolbar, menu)
    # at a laptop's width every table fits its box: the pain-point table's labels and last
    # columns (confidence, priority) are read without scrolling sideways
    overflowing = page.eval_on_selector_all(
        ".table-wrap",
        "els => els.filter(el => el.scrollWidth > el.clientWidth + 1)"
        ".map(el => el.innerText.slice(0, 60))",
    )
    assert overflowing == []
    _shoot(page, screenshots, "demo_report")
    section.screenshot(path=str(screenshots / "demo_pain_points.png"))
    assert console == [] and external == []

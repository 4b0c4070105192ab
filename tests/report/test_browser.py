"""The HTML report in headless Chromium: no network request, no JavaScript error, every
figure drawn. Needs Debian's chromium (/usr/bin/chromium); CI must have it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from myotrack.report import build_report

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (apt-get install chromium); required in CI",
    ),
]


def test_report_opens_offline_without_errors(seed, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    report = build_report(seed("002"), group_by="definite_response")
    path = report.write(tmp_path / "report.html")
    expected = report.html.count('class="lazy-plot"')
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(path.as_uri(), wait_until="load")
            title = page.title()
            # figures are drawn as they come into view ...
            page.locator("section.patient").last.scroll_into_view_if_needed()
            page.wait_for_function(
                "document.querySelector('section.patient:last-of-type .lazy-plot .main-svg') !== null",
                timeout=30_000,
            )
            # ... and all of them on request (as before printing)
            page.evaluate("window.myotrackDrawAll()")
            page.wait_for_function(
                f"document.querySelectorAll('.lazy-plot .main-svg').length >= {expected}",
                timeout=60_000,
            )
            drawn = page.evaluate("document.querySelectorAll('.lazy-plot.js-plotly-plot').length")
        finally:
            browser.close()
    assert requests and all(u.startswith("file://") for u in requests), requests
    assert errors == []
    assert drawn == expected == 5 + 1  # five timelines and the swimmer plot
    assert title.startswith("myotrack cohort report")

"""The Compare tab and the chat filters in Debian's Chromium (Playwright), against the app
served on a free loopback port over the session's corpus store."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.core import Assistant

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def app_url(corpus_assistant: Assistant) -> Iterator[str]:
    from ui.app import launch

    app = launch(corpus_assistant, port=_free_port(), block=False, quiet=True)
    try:
        assert app.local_url is not None
        yield app.local_url
    finally:
        app.close()


def test_compare_tab_heatmap_cell_and_csv(app_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(app_url)
            expect(page.locator("#rla-question textarea")).to_be_visible(timeout=30_000)
            page.get_by_role("tab", name="Compare").click()
            chooser = page.locator("#rla-compare-themes input")
            expect(page.locator("#rla-compare-themes")).to_contain_text("(", timeout=30_000)
            chooser.click()
            chooser.fill("Neglect")
            page.get_by_role("option", name="Neglect").first.click()
            page.locator("#rla-compare-run").click()
            cell = page.locator('#rla-heatmap g.rla-cell[data-row="Glasgow City"]'
                                '[data-theme="neglect"]')
            expect(cell).to_be_visible(timeout=60_000)
            assert int(cell.get_attribute("data-passages") or 0) >= 1
            cell.click()
            evidence = page.locator("#rla-cell-evidence")
            expect(evidence).to_contain_text("Glasgow City", timeout=30_000)
            expect(evidence).to_contain_text("p. 28")
            expect(evidence.locator("blockquote").first).to_contain_text("neglect")
            link = page.locator("#rla-compare-csv a").first
            expect(link).to_be_visible(timeout=30_000)
            assert "rla-compare-by-area.csv" in (link.get_attribute("href") or "")
        finally:
            browser.close()

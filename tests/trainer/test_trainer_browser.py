"""The handout basket in Debian's Chromium (Playwright): ask for practice examples and for
quotes, tick them into the basket, make the handout and download it; download one answer.
The app is served on a free loopback port over the session's corpus store."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document as open_docx

from assistant.core import Assistant

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

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


def test_basket_to_downloaded_handout(app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    def ask(page: Page, question: str, turn: int) -> None:
        box = page.locator("#rla-question textarea")
        box.fill(question)
        box.press("Enter")
        expect(page.locator(f"#rla-turn-{turn}")).to_be_visible(timeout=60_000)

    def tick(page: Page, text: str) -> None:
        page.locator("#rla-picks label", has_text=text).first.click()

    def download(page: Page, button: str, suffix: str) -> Path:
        page.locator(button).click()
        link = page.locator(f"#rla-download a[download$='{suffix}']").first
        expect(link).to_be_visible(timeout=60_000)
        with page.expect_download() as info:
            link.click()
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
        return target

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1400},
                                    accept_downloads=True)
            page.goto(app_url)
            expect(page.locator("#rla-question textarea")).to_be_visible(timeout=30_000)
            # the basket is a closed drawer, counted, until a trainer opens it
            drawer = page.locator("#rla-basket-box")
            expect(drawer).to_contain_text("Handout basket (0 items)")
            expect(page.locator("#rla-basket")).to_be_hidden()
            drawer.get_by_text("Handout basket (0 items)").click()
            expect(page.locator("#rla-basket")).to_contain_text("The basket is empty")
            expect(page.locator("#rla-download")).to_be_hidden()  # no file yet

            ask(page, "Examples of what changed after neglect reviews for a training session", 1)
            expect(page.locator("#rla-chat")).to_contain_text("1. Glasgow Child Protection")
            tick(page, "Example: Glasgow Child Protection Committee")
            tick(page, "Example: West Lothian Child Protection Committee")
            page.locator("#rla-add-picks").click()
            expect(page.locator("#rla-basket")).to_contain_text("In the basket (2)")
            expect(drawer).to_contain_text("Handout basket (2 items)")

            ask(page, "Find quotes on why training alone doesn't change practice", 2)
            tick(page, "Training tends to improve knowledge")
            page.locator("#rla-add-picks").click()
            expect(page.locator("#rla-basket")).to_contain_text("In the basket (3)")

            theme = page.locator("#rla-handout-theme input")
            expect(theme).to_have_value(re.compile(r"^Neglect"))  # from the questions asked
            handout = download(page, "#rla-make-handout", ".docx")
            answer_md = page.locator("#rla-format label", has_text="Markdown")
            answer_md.click()
            answer = download(page, "#rla-answer-download", ".md")
        finally:
            browser.close()

    document = open_docx(str(handout))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Glasgow Child Protection Committee" in text and "West Lothian" in text
    assert "Training tends to improve knowledge but [there is] no evidence" in text
    assert "Questions for reflection" in text
    refs = [r.get(f"{W}id") for r in document.element.body.iter(f"{W}footnoteReference")]
    assert refs and refs == [str(i) for i in range(1, len(refs) + 1)]
    assert handout.name == "briefing-neglect.docx"
    markdown = answer.read_text(encoding="utf-8")
    assert markdown.startswith("# Find quotes on why training alone")
    assert "[^1]: Triennial review" in markdown

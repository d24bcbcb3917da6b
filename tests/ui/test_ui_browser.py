"""End to end: the app on a free port, Debian's Chromium driven by Playwright, and the ``/ask``
API called with ``gradio_client``. Nothing may leave loopback, from Python or from the page."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from assistant.config import Settings
from assistant.core import Assistant
from ui import structure

CHROMIUM = Path("/usr/bin/chromium")
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
GLASGOW = "How did Glasgow Child Protection Committee respond to an SCR about neglect?"
TRIENNIAL_TITLE = "Triennial review of initial case reviews and significant case reviews"
BROWSER_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SCREENSHOT = Path("/tmp/rla-ui.png")
SCREENSHOT_START = Path("/tmp/rla-ui-start.png")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
    # Gradio's own monitoring summary (queueing.py) trips pandas 3 deprecations.
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


@pytest.fixture(scope="module")
def home_assistant(
    tmp_path_factory: pytest.TempPathFactory, corpus_pdfs: list[Path], embedder: Any
) -> Assistant:
    home = tmp_path_factory.mktemp("rla-browser-home")
    assistant = Assistant(Settings(home=home), embedder=embedder)
    report = assistant.ingest(corpus_pdfs, metadata_csv=CORPUS / "metadata.csv")
    assert len(report.ingested) == 5
    return assistant


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def app_url(home_assistant: Assistant) -> Iterator[str]:
    """The app served in this process's threads, launched under the no-network guard."""
    from ui.app import launch

    app = launch(home_assistant, port=_free_port(), block=False, quiet=True)
    try:
        assert app.local_url is not None
        yield app.local_url
    finally:
        app.close()


def _marked_pixels(png: bytes) -> int:
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.resize((image.width // 4, image.height // 4))
    return sum(1 for r, g, b in image.get_flattened_data() if r > 200 and g > 170 and b < 120)


def test_chat_evidence_follow_up_and_library_in_chromium(
    app_url: str, tmp_path: Path, home_assistant: Assistant
) -> None:
    from playwright.sync_api import expect, sync_playwright

    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=BROWSER_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(app_url)
            question = page.locator("#rla-question textarea")
            expect(question).to_be_visible(timeout=30_000)
            expect(page.locator("#rla-note")).to_contain_text("do not replace, professional")
            # examples from this library when empty; the basket closed, no empty file boxes
            examples = structure.library_examples(home_assistant)
            assert examples[0] == "What do reviews say about neglect?"  # its top harm theme
            expect(page.locator("#rla-chat")).to_contain_text(examples[0])
            drawer = page.locator("#rla-basket-box")
            expect(drawer).to_contain_text("Handout basket (0 items)")
            expect(page.locator("#rla-picks")).to_be_hidden()
            expect(page.locator("#rla-download")).to_be_hidden()
            page.screenshot(path=str(SCREENSHOT_START), full_page=True)

            # A cited answer: [1] in the chat, the right document and page in the panel.
            question.fill(GLASGOW)
            question.press("Enter")
            card = page.locator("#rla-evidence .rla-source").first
            expect(card).to_be_visible(timeout=60_000)
            marker = page.locator("#rla-chat a.rla-cite", has_text="[1]")
            expect(marker).to_be_visible()
            expect(card).to_contain_text(TRIENNIAL_TITLE)
            expect(card.locator(".rla-meta")).to_contain_text("p. 28")
            expect(card.locator(".rla-meta")).to_contain_text("Glasgow Child Protection Committee")
            opener = card.locator("a.rla-open")
            href = opener.get_attribute("href") or ""
            assert href.endswith("#page=28")
            pdf = page.request.get(app_url.rstrip("/") + "/" + href.split("#")[0])
            assert pdf.ok and pdf.headers["content-type"] == "application/pdf"

            # Clicking [1] brings its highlighted quote into view.
            page.locator("#rla-evidence .rla-evidence").evaluate("el => el.scrollTo(0, 1e6)")
            marker.click()
            quote = page.locator("#rla-src-1-1")
            expect(quote).to_be_in_viewport(timeout=5_000)
            expect(card).to_have_class("rla-source rla-active rla-flash")
            # The cited page itself, its quote marked, and it opens full size.
            image = card.locator("img.rla-page-img")
            expect(image).to_be_visible(timeout=30_000)
            page.wait_for_function(
                "img => img.complete && img.naturalWidth > 1000", arg=image.element_handle(),
                timeout=60_000)
            assert "Page 28" in (image.get_attribute("alt") or "")
            png = page.request.get(app_url.rstrip("/") + (image.get_attribute("src") or ""))
            assert png.ok and png.headers["content-type"] == "image/png"
            assert _marked_pixels(png.body()) > 0
            assert card.locator("a.rla-page-link").get_attribute("target") == "_blank"
            page.wait_for_timeout(300)
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            # A new conversation from an example, then a follow-up that stays on topic.
            page.get_by_role("button", name="New conversation").click()
            expect(page.locator("#rla-evidence .rla-evidence-empty")).to_be_visible()
            page.locator("#rla-chat").get_by_text(examples[0]).click()
            expect(page.locator("#rla-turn-1")).to_be_visible(timeout=60_000)
            question.fill("and in adolescents?")
            question.press("Enter")
            latest = page.locator("#rla-turn-2")
            expect(latest).to_be_visible(timeout=60_000)
            expect(latest.locator(".rla-searched")).to_contain_text("neglect in adolescents")
            expect(page.locator("#rla-chat")).to_contain_text("Searched for: neglect in")
            passages = latest.locator("mark.rla-quote").all_inner_texts()
            assert passages and any(
                "neglect" in q.lower() or "adolescen" in q.lower() for q in passages
            )

            # The Documents tab lists the library; an upload shows up in it.
            page.get_by_role("tab", name="Documents").click()
            table = page.locator("#rla-library")
            expect(table).to_contain_text("ci-triennial-review-icrs-scrs-2018-2021.pdf")
            for name in ("ci-joint-inspections-child-protection-2009-2012-summary.pdf",
                         "ci-news-learning-from-scrs-2012-2015.pdf",
                         "ci-news-learning-from-scrs-2015-2018.pdf",
                         "learning-from-serious-case-reviews-briefing.pdf"):
                expect(table).to_contain_text(name)
            expect(table).to_contain_text("overview report")
            upload = tmp_path / "Perth learning review.md"
            upload.write_text(
                "# Perth learning review\n\n## Findings\n\n"
                + "Health visitors in Perth shared concerns about the baby's weight early. " * 30,
                encoding="utf-8",
            )
            page.locator("#rla-upload input[type=file]").set_input_files(str(upload))
            page.locator("#rla-add").click()
            expect(page.locator("#rla-upload-report .rla-ok")).to_contain_text(
                "added", timeout=60_000
            )
            expect(table).to_contain_text("Perth-learning-review.md")
            from gradio.utils import get_upload_folder

            assert not list(Path(get_upload_folder()).rglob(upload.name))  # no temp copy left
        finally:
            browser.close()

    host = urlparse(app_url).netloc
    outside = [u for u in requests if urlparse(u).netloc != host and not u.startswith("data:")]
    assert outside == []


def test_ask_api_returns_the_citations_of_rla_ask_json(
    app_url: str, home_assistant: Assistant
) -> None:
    from click.testing import CliRunner
    from gradio_client import Client

    client = Client(app_url, verbose=False, analytics_enabled=False, download_files=False)
    markdown, citations = client.predict(GLASGOW, api_name="/ask")
    assert "[1]" in markdown and "Sources:" in markdown

    from assistant.cli import main

    env = {"RLA_HOME": str(home_assistant.settings.home)}
    result = CliRunner().invoke(main, ["ask", "--json", GLASGOW], env=env)
    assert result.exit_code == 0, result.output
    expected = json.loads(result.stdout)["citations"]
    assert citations == expected
    assert citations[0]["file"] == "ci-triennial-review-icrs-scrs-2018-2021.pdf"
    assert citations[0]["page_start"] == 28


def test_an_mcp_client_lists_and_calls_ask_on_the_running_app(
    app_url: str, home_assistant: Assistant
) -> None:
    import asyncio

    import httpx
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def work() -> tuple[set[str], Any]:
        url = app_url.rstrip("/") + "/gradio_api/mcp/"
        async with httpx.AsyncClient(trust_env=False, timeout=300) as http, \
                streamable_http_client(url, http_client=http) as (read, write, _), \
                ClientSession(read, write) as session:
            await session.initialize()
            names = {t.name for t in (await session.list_tools()).tools}
            return names, await session.call_tool("ask", {"question": GLASGOW})

    names, result = asyncio.run(asyncio.wait_for(work(), timeout=300))
    assert names == {"ask", "search", "compare", "examples"}
    got = json.loads(result.content[0].text)
    expected = home_assistant.ask(GLASGOW).to_dict()["citations"]
    assert [c["quote"] for c in got["citations"]] == [c["quote"] for c in expected]
    assert got["citations"][0]["page_start"] == 28

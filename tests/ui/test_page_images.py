"""The cited PDF page as an image with its quotes marked: finding a quote in the page's own
characters, drawing its boxes, and serving the image from the running app."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import httpx
import pytest
from conftest import free_port
from PIL import Image

from assistant.core import Assistant
from assistant.types import Citation
from ui import handlers
from ui.page_marks import find_spans, page_count, page_index, render
from ui.render import Turn, evidence_html

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

GLASGOW = "How did Glasgow Child Protection Committee respond to an SCR about neglect?"


def _marked_pixels(png: bytes) -> int:
    """Pixels of the mark's yellow (high red and green, low blue)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.resize((image.width // 4, image.height // 4))
    return sum(1 for r, g, b in image.get_flattened_data() if r > 200 and g > 170 and b < 120)


def test_quotes_are_found_however_the_page_breaks_them() -> None:
    page = ("Practitioners should be alert to disguised com-\npliance, where “parents” appear\n"
            "to co-operate.  The next sentence is elsewhere.")
    quote = ('Practitioners should be alert to disguised compliance, where "parents" appear '
             "to co-operate.")
    (start, end), = find_spans(page, quote)
    assert page[start:end].startswith("Practitioners") and page[start:end].endswith("operate")
    assert find_spans(page, "A sentence that is not on this page at all.") == []
    # a quote that runs on: its first part here, its last part on the next page
    runs_on = quote + " It goes on over the page with more words."
    (a, b), = find_spans(page, runs_on)
    assert page[a:b].endswith("operate")
    (c, d), = find_spans("the page with more words. And then a new paragraph.", runs_on,
                         first=False)
    assert (c, d) == (0, len("the page with more words"))


@pytest.fixture(scope="module")
def cited(corpus_assistant: Assistant) -> tuple[Citation, Path]:
    answer = corpus_assistant.ask(GLASGOW)
    by_chunk = {e.chunk.chunk_id: e.chunk.doc_id for e in answer.evidence}
    for c in answer.citations:
        path = corpus_assistant.stored_file(by_chunk[c.chunk_id])
        if path is not None and path.suffix == ".pdf":
            return c, path
    raise AssertionError("no PDF citation for the Glasgow question")


def test_the_cited_page_is_rendered_with_the_quote_marked(cited: tuple[Citation, Path]) -> None:
    citation, pdf = cited
    index = page_index(pdf, citation.page_start)
    assert index is not None and 0 <= index < page_count(pdf)
    marked = render(pdf, index, [citation.quote])
    plain = render(pdf, index, [])
    assert marked.found == 1 and plain.found == 0
    image = Image.open(io.BytesIO(marked.png))
    assert image.format == "PNG" and image.width >= 1000  # readable when enlarged
    assert _marked_pixels(marked.png) > _marked_pixels(plain.png) + 50
    elsewhere = render(pdf, index, ["This sentence is on no page of the report at all."])
    assert elsewhere.found == 0


@pytest.fixture(scope="module")
def served(corpus_assistant: Assistant) -> Iterator[str]:
    from ui.app import launch

    app = launch(corpus_assistant, port=free_port(), block=False, quiet=True)
    try:
        yield (app.local_url or "").rstrip("/")
    finally:
        app.close()


def test_the_evidence_panel_shows_the_page_image_served_by_the_app(
    served: str, corpus_assistant: Assistant, cited: tuple[Citation, Path]
) -> None:
    answer = corpus_assistant.ask(GLASGOW)
    turns = [Turn(1, GLASGOW, GLASGOW, answer)]
    panel = evidence_html(turns, handlers.file_url(corpus_assistant, turns))
    sources = [unescape(s) for s in re.findall(r'<img class="rla-page-img" src="([^"]+)"', panel)]
    assert sources and all(s.startswith("/rla/page?") for s in sources)
    with httpx.Client(trust_env=False, timeout=120) as http:
        got = http.get(served + sources[0])
        assert got.status_code == 200 and got.headers["content-type"] == "image/png"
        assert got.headers["x-content-type-options"] == "nosniff"
        assert _marked_pixels(got.content) > 0
        again = http.get(served + sources[0])  # from the cache under RLA_HOME/pages
        assert again.content == got.content
        assert list((corpus_assistant.settings.home / "pages").glob("*.png"))
        following = http.get(served + sources[0] + "&next=1")  # where a quote runs on
        assert following.status_code == 200 and following.content != got.content
        last = re.sub(r"p=\d+", "p=9999", sources[0])
        assert http.get(served + last).status_code == 404  # no such page: said, not drawn
        fake = sources[0].replace("f=", "f=" + "0" * 8, 1)
        assert http.get(served + fake).status_code == 404
        assert http.get(served + "/rla/page?f=x.pdf&p=1&q=").status_code == 404
        assert http.post(served + sources[0]).status_code == 405

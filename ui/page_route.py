"""``/rla/page``: the image of a cited PDF page with its quotes marked (``ui.page_marks``),
for the evidence panel's ``<img>``. ASGI middleware, like ``ui.stored_files``, with its
rules: only a page of a PDF the store holds, the app's login when ``RLA_AUTH`` is set, GET and
HEAD only, and the same security headers.

``?f=<sha256>.pdf&p=<printed page>&q=<quotes>[&next=1]``: ``q`` is the quotes joined by a unit
separator, URL-safe base64 (``page_query``); ``next=1`` is the page after ``p``, where a quote
runs on.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode

from ui.page_marks import cached, page_numbers
from ui.stored_files import (
    SECURITY_HEADERS,
    STORED_NAME,
    ASGIApp,
    Receive,
    Scope,
    Send,
    _plain,
    logged_in,
)

if TYPE_CHECKING:
    from starlette.responses import Response

    from assistant.core import Assistant

PAGE_ROUTE = "/rla/page"
MAX_QUOTES_CHARS = 4000  # what one image marks (a URL stays far below servers' limits)
_SEP = "\x1f"


def page_query(stored_name: str, page: int, quotes: Sequence[str], *, next_page: bool = False
               ) -> str:
    """The ``/rla/page`` URL for page ``page`` of the stored PDF ``stored_name``."""
    joined, kept = "", []
    for q in quotes:
        if len(joined) + len(q) > MAX_QUOTES_CHARS:
            break
        kept.append(q)
        joined = _SEP.join(kept)
    encoded = base64.urlsafe_b64encode(joined.encode("utf-8")).decode("ascii")
    params = {"f": stored_name, "p": str(page), "q": encoded}
    if next_page:
        params["next"] = "1"
    return f"{PAGE_ROUTE}?{urlencode(params)}"


class PageImages:
    def __init__(self, app: ASGIApp, assistant: Assistant, *, login: bool) -> None:
        self.app = app
        self.assistant = assistant
        self.login = login

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != PAGE_ROUTE:
            await self.app(scope, receive, send)
            return
        response = await self.respond(scope)
        await response(scope, receive, send)

    async def respond(self, scope: Scope) -> Response:
        from anyio import to_thread
        from starlette.responses import Response as Reply

        if scope.get("method") not in ("GET", "HEAD"):
            return _plain(405, "Only GET and HEAD are allowed here.", {"Allow": "GET, HEAD"})
        if self.login and not logged_in(scope):
            return _plain(401, "Sign in to the Review Learning Assistant first.")
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        name = STORED_NAME.match((query.get("f") or [""])[0])
        page = (query.get("p") or [""])[0]
        try:
            raw = base64.urlsafe_b64decode((query.get("q") or [""])[0].encode("ascii"))
            quotes = [q for q in raw.decode("utf-8").split(_SEP) if q.strip()]
        except (binascii.Error, UnicodeError, ValueError):
            return _plain(400, "The quotes of this page link are damaged.")
        if name is None or name.group(2) != ".pdf" or not page.isdigit():
            return _plain(404, "No such page.")
        doc_id = name.group(1)
        stored = self.assistant.settings.files_dir / name.group(0)
        card = await to_thread.run_sync(self.assistant.store.card, doc_id)
        if card is None or not stored.is_file() or stored.is_symlink():
            return _plain(404, "No such document in the library.")
        try:
            png = await to_thread.run_sync(self._png, stored, doc_id, int(page), quotes,
                                           "next" in query)
        except Exception as err:  # a damaged copy is one failed image, not a crash
            return _plain(500, f"This page cannot be shown ({type(err).__name__}).")
        if png is None:
            return _plain(404, f"The document has no page {page}.")
        return Reply(png, media_type="image/png",
                        headers={**SECURITY_HEADERS, "Cache-Control": "private, max-age=3600"})

    def _png(self, pdf: Path, doc_id: str, page: int, quotes: list[str],
             continued: bool) -> bytes | None:
        numbers = page_numbers(pdf)  # one read of the labels for the index and the count
        if page not in numbers:
            return None
        index = numbers.index(page) + int(continued)
        if index >= len(numbers):
            return None
        return cached(self.assistant.settings.home / "pages", pdf, doc_id, index, quotes,
                      continued)

"""The store's own copies of ingested documents (``RLA_HOME/files/<sha256>.<ext>``), served by
the app itself and never by Gradio's file route.

Gradio serves whatever is under ``launch(allowed_paths=...)`` inline with the type its name
suggests, so a saved web page would run its scripts on the app's origin, with the user's
session. ``RLA_HOME/files`` is therefore not an allowed path; instead this ASGI middleware
answers the links the evidence panel makes (``/gradio_api/file=<RLA_HOME/files/...>``, built by
``ui.handlers.file_url``) before Gradio sees them:

- only a file named after the sha256 of a document in the store is served (404 otherwise);
- with ``RLA_AUTH`` it needs the same login as the app (Gradio's session cookie), else 401;
- a PDF is sent as ``application/pdf`` so the browser's PDF viewer opens it at ``#page=N``;
- any other document (text, Markdown, Word, a saved web page) is sent as the plain text the
  assistant read from it (what its quotes are taken from), never as HTML;
- every response carries ``X-Content-Type-Options: nosniff`` and
  ``Content-Security-Policy: sandbox; default-src 'none'``: whatever a file holds, the browser
  runs no script of it, loads nothing for it, and keeps it off the app's origin.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import RlaError

if TYPE_CHECKING:
    from starlette.responses import Response

    from assistant.core import Assistant

FILE_PREFIX = "/gradio_api/file="  # the links ui.handlers.file_url makes
STORED_NAME = re.compile(r"^([0-9a-f]{64})(\.[a-z0-9]{1,10})$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, no-store",
}
TEXT_NOTE = (
    "{file}: the text the Review Learning Assistant read from this document, which its quotes "
    "are taken from. Layout, pictures, links and scripts are left out."
)
CACHED_TEXTS = 16

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class StoredFiles:
    """ASGI middleware serving the stored copies; every other request goes on to Gradio."""

    def __init__(self, app: ASGIApp, assistant: Assistant, *, login: bool) -> None:
        self.app = app
        self.assistant = assistant
        self.login = login
        self.folder = assistant.settings.files_dir.absolute()
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._texts_lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith(FILE_PREFIX):
            await self.app(scope, receive, send)
            return
        target = path[len(FILE_PREFIX):]
        if not self.claims(target):
            await self.app(scope, receive, send)  # Gradio's own files: uploads, its cache
            return
        response = await self.respond(scope, target)
        await response(scope, receive, send)

    def claims(self, target: str) -> bool:
        """Whether ``target`` points into the stored files' folder, however it is written."""
        if not target.startswith("/"):
            return False
        plain = Path(os.path.normpath(target))
        try:
            real = Path(target).resolve()
            folder_real = self.folder.resolve()
        except (OSError, RuntimeError):
            return True  # unresolvable: refuse it here rather than let anyone else try
        return any(p == f or f in p.parents
                   for p in (plain, real) for f in (self.folder, folder_real))

    async def respond(self, scope: Scope, target: str) -> Response:
        from anyio import to_thread
        from starlette.responses import FileResponse

        if scope.get("method") not in ("GET", "HEAD"):
            return _plain(405, "Only GET and HEAD are allowed here.", {"Allow": "GET, HEAD"})
        if self.login and not logged_in(scope):
            return _plain(401, "Sign in to the Review Learning Assistant first.")
        name = STORED_NAME.match(Path(target).name)
        stored = Path(os.path.normpath(target))
        if name is None or stored.parent not in (self.folder, self.folder.resolve()):
            return _plain(404, "No such document.")
        doc_id, suffix = name.groups()
        cards = await to_thread.run_sync(self.assistant.documents)
        card = next((c for c in cards if c.doc_id == doc_id), None)
        if (card is None or Path(card.file).suffix.lower() != suffix or not stored.is_file()
                or stored.is_symlink()):  # the one copy the store made of that document
            return _plain(404, "No such document in the library.")
        if suffix == ".pdf":
            return FileResponse(stored, media_type="application/pdf", filename=card.file,
                                content_disposition_type="inline", headers=SECURITY_HEADERS)
        try:
            text = await to_thread.run_sync(self.text_of, stored, card.file, card.title)
        except Exception as err:  # an unreadable copy is one failed request, not a crash
            reason = str(err) if isinstance(err, RlaError) else type(err).__name__
            return _plain(500, f"This document cannot be shown: {reason}")
        return _plain(200, text, {
            "Content-Disposition": f'inline; filename="{_ascii(Path(card.file).stem)}.txt"',
        })

    def text_of(self, stored: Path, file: str, title: str) -> str:
        """The document's text as the assistant read it (cached: a copy never changes)."""
        key = stored.name
        with self._texts_lock:
            if key in self._texts:
                self._texts.move_to_end(key)
                return self._texts[key]
        doc_id = key.split(".", 1)[0]  # read as it was ingested, by the store's own reader
        pages = [(p.number, p.text) for p in self.assistant.document_pages(doc_id)]
        text = render_text(title, file, pages)
        with self._texts_lock:
            self._texts[key] = text
            while len(self._texts) > CACHED_TEXTS:
                self._texts.popitem(last=False)
        return text


def render_text(title: str, file: str, pages: list[tuple[int, str]]) -> str:
    parts = [title, TEXT_NOTE.format(file=file), ""]
    for number, text in pages:
        if len(pages) > 1:
            parts += [f"--- page {number} ---", ""]
        parts += [text.strip(), ""]
    return "\n".join(parts)


def logged_in(scope: Scope) -> bool:
    """Whether the request carries a session of Gradio's login (the cookie ``/login`` set).

    Reads the Gradio 6 ``App``'s ``tokens`` and ``cookie_id``; if those are not there, nobody
    is logged in (fails closed)."""
    from starlette.requests import HTTPConnection

    app = scope.get("app")
    tokens, cookie_id = getattr(app, "tokens", None), getattr(app, "cookie_id", None)
    if not isinstance(tokens, dict) or not cookie_id:
        return False
    cookies = HTTPConnection(scope).cookies
    token = cookies.get(f"access-token-{cookie_id}") or cookies.get(
        f"access-token-unsecure-{cookie_id}"
    )
    return token is not None and tokens.get(token) is not None


def _ascii(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:100] or "document"


def _plain(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    from starlette.responses import PlainTextResponse

    return PlainTextResponse(text if text.endswith("\n") else text + "\n", status_code=status,
                             headers={**SECURITY_HEADERS, **(headers or {})},
                             media_type="text/plain; charset=utf-8")

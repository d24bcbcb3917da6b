"""The MCP tools (Gradio's MCP server at ``/gradio_api/mcp/``) behind the app's own login.

Gradio serves its MCP routes without looking at ``launch(auth=...)``, and runs each tool call
through a ``gradio_client.Client`` of the app itself, made once with no credentials. With
``RLA_AUTH`` set:

- a request under ``/gradio_api/mcp`` needs what every other request needs, a session of the
  app's login (the cookie ``POST /login`` sets), or ``Authorization: Basic`` with a user and
  password of ``RLA_AUTH`` (what MCP clients can send as a header), checked by the same
  throttled check as the login page. Anything else is a 401 before the MCP server sees it.
- A Basic login is turned into a session of that user for the request (a Gradio session
  token, kept per user), so the tool call Gradio makes with the caller's headers runs as
  that user, as a logged-in browser would (and the audit log names them).
- Gradio's own client for tool calls gets a session of its own (``attach``), so it can read
  the app's config and follow its queue; the call itself carries the caller's session, so
  it runs, and is audited, as the caller.

Without ``RLA_AUTH`` the app listens on loopback only (``ui.guard``), and so do the tools.
"""

from __future__ import annotations

import base64
import binascii
import math
import secrets
import threading
from collections.abc import Callable
from typing import Any

from assistant.security.auth import TooManyAttempts
from ui.guard import CLIENT, ASGIApp, Receive, Scope, Send
from ui.stored_files import logged_in

MCP_PREFIX = "/gradio_api/mcp"
SERVICE_USER = "rla-mcp-service"  # the session of Gradio's own client for tool calls
REALM = 'Basic realm="Review Learning Assistant", charset="UTF-8"'

Check = Callable[[str, str, str], bool]


class Sessions:
    """Gradio session tokens minted for users who signed in with Basic (one per user)."""

    def __init__(self) -> None:
        self._by_user: dict[str, str] = {}
        self._lock = threading.Lock()

    def token(self, gradio_app: Any, user: str) -> str | None:
        tokens = getattr(gradio_app, "tokens", None)
        if not isinstance(tokens, dict):
            return None  # not the Gradio app this was written for: fail closed
        with self._lock:
            token = self._by_user.get(user)
            if token is None or tokens.get(token) != user:
                token = secrets.token_urlsafe(32)
                tokens[token] = user
                self._by_user[user] = token
            return token


def cookie_name(gradio_app: Any) -> str:
    """The name of the session cookie Gradio's ``/login`` sets (``ui.stored_files`` reads it)."""
    return f"access-token-{gradio_app.cookie_id}"


def cookie_header(gradio_app: Any, token: str) -> str:
    return f"{cookie_name(gradio_app)}={token}"


class McpLogin:
    """ASGI middleware: ``/gradio_api/mcp...`` needs the app's login when ``check`` is set."""

    def __init__(self, app: ASGIApp, check: Check | None) -> None:
        self.app = app
        self.check = check
        self.sessions = Sessions()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (self.check is None or scope["type"] != "http"
                or not str(scope.get("path", "")).startswith(MCP_PREFIX)
                or logged_in(scope)):
            await self.app(scope, receive, send)
            return
        user, password = _basic(scope)
        if user is None:
            await _refuse(scope, receive, send, 401, "Sign in first: the MCP tools need the "
                          "app's login (its session cookie, or Basic with a user of RLA_AUTH).")
            return
        import anyio.to_thread

        try:
            ok = await anyio.to_thread.run_sync(self.check, user, password, CLIENT.get())
        except TooManyAttempts as err:
            await _refuse(scope, receive, send, 429, str(err),
                          {"Retry-After": str(math.ceil(err.wait_s))})
            return
        gradio_app = scope.get("app")
        token = self.sessions.token(gradio_app, user) if ok else None
        if token is None:
            await _refuse(scope, receive, send, 401, "Wrong user name or password.")
            return
        headers = [(k, v) for k, v in scope.get("headers", [])
                   if k.lower() not in (b"cookie", b"authorization")]
        headers.append((b"cookie", cookie_header(gradio_app, token).encode("latin-1")))
        await self.app({**scope, "headers": headers}, receive, send)


def attach(blocks: Any) -> None:
    """Give Gradio's client for MCP tool calls a session of its own (see the module's note);
    called once the app is launched with a login."""
    server, gradio_app = getattr(blocks, "mcp_server_obj", None), getattr(blocks, "server_app",
                                                                           None)
    if server is None or gradio_app is None or not blocks.local_url:
        return
    from gradio_client import Client

    token = Sessions().token(gradio_app, SERVICE_USER)
    if token is None:
        return
    client = Client(
        blocks.local_url, download_files=False, verbose=False, analytics_enabled=False,
        headers={"x-gradio-user": "mcp", "cookie": cookie_header(gradio_app, token)},
    )
    # From here on the session is a cookie of the client's jar, not a header: a header of the
    # client's own would override the Cookie header of the caller that Gradio forwards with
    # each call, and the call would run (and be audited) as the service, not as the caller.
    del client.headers["cookie"]
    client.cookies[cookie_name(gradio_app)] = token
    server._client_instance = client


def _basic(scope: Scope) -> tuple[str | None, str]:
    for key, value in scope.get("headers", []):
        if key.lower() != b"authorization":
            continue
        kind, _, encoded = value.decode("latin-1").partition(" ")
        if kind.lower() != "basic":
            return None, ""
        try:
            user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, ""
        return (user, password) if sep and user else (None, "")
    return None, ""


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, text: str,
                  headers: dict[str, str] | None = None) -> None:
    from starlette.responses import PlainTextResponse

    response = PlainTextResponse(text + "\n", status_code=status,
                                 headers={"WWW-Authenticate": REALM, **(headers or {})})
    await response(scope, receive, send)

"""Who may reach the app and what is recorded: login, the bind-address rule, the audit log,
and how many questions run at once.

- The app binds 127.0.0.1 by default. Binding any other address (``--host 0.0.0.0``, a LAN
  address) without ``RLA_AUTH`` is refused: reviews would be open to the network.
- ``RLA_AUTH`` names a file of ``user:password-hash`` lines (``rla add-user``); with it, every
  page, API call and file needs a login (Gradio's own session cookie). Wrong passwords are
  slowed per (user, client address) by ``assistant.security.auth.LoginThrottle``; an attempt
  inside its wait gets ``429`` with ``Retry-After``.
- Gradio calls the login check with the user name and password only, so ``ClientAddress``
  (ASGI middleware) records each request's client address for it to read.
- The client address is the connecting one. ``X-Forwarded-For`` is believed only from the
  proxies listed in ``RLA_TRUSTED_PROXIES`` (comma-separated addresses or networks; none by
  default, so a local process cannot pick its own address); uvicorn's ``FORWARDED_ALLOW_IPS``
  is set from it (replaced) before the server starts.
- ``RLA_AUDIT_LOG`` (off by default) records each answer with the logged-in user.
"""

from __future__ import annotations

import contextvars
import math
import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from assistant.core import Assistant
from assistant.errors import SettingsError
from assistant.security.audit import audit_log
from assistant.security.auth import TooManyAttempts, checker, is_loopback, load_users
from assistant.types import Answer

# Questions answered at once. The model runs one batch at a time (2 cores here), so more
# workers only queue inside; a few keep store reads and rendering overlapping with it.
CONCURRENCY = 4
AUTH_MESSAGE = "Review Learning Assistant: sign in with the account your administrator set up."
TRUSTED_PROXIES_ENV = "RLA_TRUSTED_PROXIES"
# The address of the request being handled, for the login check (set by ``ClientAddress``).
CLIENT: contextvars.ContextVar[str] = contextvars.ContextVar("rla_client_address", default="")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def login(assistant: Assistant, host: str) -> Callable[[str, str, str], bool] | None:
    """The throttled login check of ``RLA_AUTH`` (None without it), shared by the login page
    and the MCP tools (``ui.mcp_login``).

    Raises ``SettingsError`` for a host other than loopback without ``RLA_AUTH``.
    """
    auth_file = assistant.settings.auth_file
    if not auth_file:
        if not is_loopback(host):
            raise SettingsError(
                f"Refusing to serve on {host} without a login: anyone on the network could "
                "read the reviews. Set RLA_AUTH to a file of user:password-hash lines (add "
                "users with `rla add-user NAME`), or serve on 127.0.0.1."
            )
        return None
    return checker(load_users(Path(auth_file).expanduser()))


def launch_security(check: Callable[[str, str, str], bool] | None) -> dict[str, Any]:
    """Keyword arguments for ``Blocks.launch``: the login check, if any."""
    if check is None:
        return {}
    return {"auth": login_check(check), "auth_message": AUTH_MESSAGE}


def login_check(
    check: Callable[[str, str, str], bool],
) -> Callable[[str, str], Awaitable[bool]]:
    """The ``auth`` callable for Gradio: the check with the request's client address, hashed
    in a thread (Gradio awaits it on its event loop); a throttled attempt is a 429."""

    async def run(user: str, password: str) -> bool:
        import anyio.to_thread
        from fastapi import HTTPException

        try:
            return bool(await anyio.to_thread.run_sync(check, user, password, CLIENT.get()))
        except TooManyAttempts as err:
            raise HTTPException(status_code=429, detail=str(err),
                                headers={"Retry-After": str(math.ceil(err.wait_s))}) from None

    return run


class ClientAddress:
    """ASGI middleware: make each request's client address readable through ``CLIENT``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client") if scope["type"] in ("http", "websocket") else None
        token = CLIENT.set(str(client[0]) if client else "")
        try:
            await self.app(scope, receive, send)
        finally:
            CLIENT.reset(token)


def trust_proxies() -> None:
    """Tell uvicorn whose ``X-Forwarded-For`` to believe: the addresses or networks in
    ``RLA_TRUSTED_PROXIES``, else nobody's. It reads ``FORWARDED_ALLOW_IPS`` when Gradio
    starts it, so that is set here, replacing any value it had."""
    os.environ["FORWARDED_ALLOW_IPS"] = os.environ.get(TRUSTED_PROXIES_ENV, "").strip()


def current_user() -> str:
    """The logged-in user of the request being handled ("" without login or outside one)."""
    try:
        from gradio.context import LocalContext

        request = LocalContext.request.get(None)
    except (ImportError, LookupError):
        return ""
    return str(getattr(request, "username", None) or "") if request is not None else ""


def listen_for_audit(assistant: Assistant, channel: str = "app") -> None:
    """Record every answer the app gives in the audit log, when ``RLA_AUDIT_LOG`` is set."""
    log = audit_log(assistant.settings)
    if log is None:
        return

    def record(answer: Answer) -> None:
        log.answer(current_user(), channel, answer)

    assistant.on_answer("audit", record)

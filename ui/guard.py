"""Who may reach the app and what is recorded: login, the bind-address rule, the audit log,
and how many questions run at once.

- The app binds 127.0.0.1 by default. Binding any other address (``--host 0.0.0.0``, a LAN
  address) without ``RLA_AUTH`` is refused: reviews would be open to the network.
- ``RLA_AUTH`` names a file of ``user:password-hash`` lines (``rla add-user``); with it, every
  page, API call and file needs a login (Gradio's own session cookie).
- ``RLA_AUDIT_LOG`` (off by default) records each answer with the logged-in user.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from assistant.audit import audit_log
from assistant.auth import checker, is_loopback, load_users
from assistant.core import Assistant
from assistant.errors import SettingsError
from assistant.types import Answer

# Questions answered at once. The model runs one batch at a time (2 cores here), so more
# workers only queue inside; a few keep store reads and rendering overlapping with it.
CONCURRENCY = 4
AUTH_MESSAGE = "Review Learning Assistant: sign in with the account your administrator set up."


def launch_security(assistant: Assistant, host: str) -> dict[str, Any]:
    """Keyword arguments for ``Blocks.launch``: the login check, if any.

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
        return {}
    check = checker(load_users(Path(auth_file).expanduser()))
    return {"auth": _threaded(check), "auth_message": AUTH_MESSAGE}


def _threaded(check: Callable[[str, str], bool]) -> Callable[[str, str], Awaitable[bool]]:
    """Gradio calls the check on its event loop: hash in a thread so the app keeps serving."""

    async def run(user: str, password: str) -> bool:
        import anyio.to_thread

        return bool(await anyio.to_thread.run_sync(check, user, password))

    return run


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

"""DNS rebinding protection: requests whose ``Host`` header does not name the app are refused.

A web page on another site can point its own name at 127.0.0.1 and then talk to the app
through the visitor's browser as if it were on the same origin. It cannot make the browser
send the app's own address as the ``Host``, so only these are served:

- bound to loopback: ``127.0.0.1:PORT``, ``localhost:PORT``, ``[::1]:PORT`` (and the bound
  address itself, such as ``127.0.0.2:PORT``);
- bound to one address or name: that address or name with the port;
- bound to all interfaces (``0.0.0.0``, ``::``): any IP address with the port (a name that
  resolves to an address is what a rebinding attack uses; an IP address cannot be rebound),
  ``localhost`` and this machine's host name;
- always: the names in ``RLA_ALLOWED_HOSTS`` (comma-separated; ``name`` matches any port,
  ``name:port`` only that one), e.g. the public name a reverse proxy passes on.

The port may be left out when it is 80. Anything else gets ``421 Misdirected Request`` with a
one-line plain-text reason; a request without a ``Host`` gets ``400``.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from assistant.security.auth import is_loopback

ALLOWED_HOSTS_ENV = "RLA_ALLOWED_HOSTS"
WILDCARDS = ("0.0.0.0", "::", "")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class HostRule:
    """Which ``Host`` values name the app bound at ``port``."""

    port: int
    names: frozenset[str]  # host names (lower case, IPv6 without brackets) with our port
    any_port: frozenset[str]  # names accepted whatever the port (from RLA_ALLOWED_HOSTS)
    exact: frozenset[str]  # "name:port" entries of RLA_ALLOWED_HOSTS
    any_ip: bool  # bound to all interfaces: any IP literal with our port

    def allows(self, host_header: str) -> bool:
        split = split_host(host_header)
        if split is None:
            return False
        name, port = split
        if name in self.any_port or f"{name}:{port}" in self.exact:
            return True
        if port != self.port and not (port is None and self.port == 80):
            return False
        return name in self.names or (self.any_ip and _is_ip(name))


def split_host(value: str) -> tuple[str, int | None] | None:
    """``(name, port)`` from a ``Host`` header (``None`` port if absent); None if malformed."""
    value = value.strip().lower()
    if not value or any(c.isspace() or c in "/\\@?#" for c in value):
        return None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[1:end], value[end + 1 :]
        if not _is_ip(name) or ":" not in name:
            return None
    else:
        name, sep, rest = value.partition(":")
        rest = sep + rest
    if rest and not (rest.startswith(":") and rest[1:].isdigit() and len(rest) <= 6):
        return None
    return name.rstrip("."), int(rest[1:]) if rest else None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_rule(bind: str, port: int, env: Mapping[str, str] | None = None) -> HostRule:
    """The rule for an app bound to ``bind``:``port`` (``RLA_ALLOWED_HOSTS`` from ``env``)."""
    env = os.environ if env is None else env
    bound = bind.strip().strip("[]").lower()
    names = {bound}
    any_ip = bound in WILDCARDS
    if is_loopback(bound) or any_ip:
        names |= {"127.0.0.1", "localhost", "::1"}
    if any_ip:
        names.add(socket.gethostname().lower())
    any_port: set[str] = set()
    exact: set[str] = set()
    for entry in (env.get(ALLOWED_HOSTS_ENV) or "").split(","):
        split = split_host(entry)
        if split is None:
            continue
        name, entry_port = split
        if entry_port is None:
            any_port.add(name)
        else:
            exact.add(f"{name}:{entry_port}")
    return HostRule(port, frozenset(names - {""}), frozenset(any_port), frozenset(exact), any_ip)


class HostCheck:
    """ASGI middleware: answer a request for another ``Host`` with 400/421, never the app."""

    def __init__(self, app: ASGIApp, rule: HostRule) -> None:
        self.app = app
        self.rule = rule

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        hosts = [v for k, v in scope.get("headers", []) if k == b"host"]
        if len(hosts) == 1 and self.rule.allows(hosts[0].decode("latin-1")):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        status, text = (
            (400, "Bad request: no Host header.\n") if not hosts else
            (421, "Misdirected request: this server does not answer for that host name.\n")
        )
        await send({
            "type": "http.response.start", "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(text)).encode()),
                        (b"x-content-type-options", b"nosniff")],
        })
        await send({"type": "http.response.body", "body": text.encode()})

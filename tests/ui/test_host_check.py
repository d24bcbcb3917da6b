"""DNS rebinding protection: a request whose ``Host`` is not the app's own address is refused
(issue 11, case 2). Real HTTP requests to the running app, and Chromium told that a foreign
name resolves to 127.0.0.1, as a rebinding attacker's page would arrange."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import free_port

from assistant.config import Settings
from assistant.core import Assistant
from ui.hosts import host_rule, split_host

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

pytestmark = [
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def test_which_host_names_each_bind_accepts() -> None:
    loop = host_rule("127.0.0.1", 7860, env={})
    for ok in ("127.0.0.1:7860", "localhost:7860", "LOCALHOST:7860", "[::1]:7860",
               "localhost.:7860"):
        assert loop.allows(ok), ok
    for bad in ("evil.example:7860", "127.0.0.1:7861", "127.0.0.1", "localhost",
                "192.168.1.20:7860", "localhost:7860@evil", "::1:7860", "", " ",
                "127.0.0.1:7860/x", "[::1:7860", "localhost:abc"):
        assert not loop.allows(bad), bad
    assert host_rule("localhost", 80, env={}).allows("localhost")  # port 80 may be left out
    lan = host_rule("192.168.1.20", 7860, env={})
    assert lan.allows("192.168.1.20:7860")
    assert not lan.allows("localhost:7860") and not lan.allows("rla.example.org:7860")
    named = host_rule("rla-box.local", 7860, env={})
    assert named.allows("rla-box.local:7860") and not named.allows("other.local:7860")
    wild = host_rule("0.0.0.0", 7860, env={})
    for ok in ("10.1.2.3:7860", "[fe80::1]:7860", "localhost:7860",
               f"{socket.gethostname()}:7860"):
        assert wild.allows(ok), ok
    assert not wild.allows("evil.example:7860") and not wild.allows("10.1.2.3:8000")
    proxied = host_rule("127.0.0.1", 7860, env={
        "RLA_ALLOWED_HOSTS": "rla.example.org, intranet.example:8443, bad/name"
    })
    assert proxied.allows("rla.example.org") and proxied.allows("rla.example.org:443")
    assert proxied.allows("intranet.example:8443")
    assert not proxied.allows("intranet.example:443") and not proxied.allows("bad/name")
    assert split_host("[::1]:7860") == ("::1", 7860) and split_host("a:b:c") is None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[str]:
    from ui.app import launch

    home = tmp_path_factory.mktemp("rla-hosts")
    assistant = Assistant(replace(Settings.from_env({}), home=home), embedder=embedder)
    app = launch(assistant, port=free_port(), block=False, quiet=True)
    try:
        yield (app.local_url or "").rstrip("/")
    finally:
        app.close()


def _raw(url: str, request: bytes) -> bytes:
    """Send ``request`` as it is (httpx always adds a Host) and return the whole reply."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(request)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    return reply


@pytest.mark.slow
def test_a_foreign_host_header_is_refused_over_http(served: str) -> None:
    port = served.rsplit(":", 1)[1]
    with httpx.Client(trust_env=False, timeout=30) as http:
        for path in ("/", "/config", "/gradio_api/info", "/gradio_api/file=/etc/hostname"):
            for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.nip.io:{port}",
                         f"127.0.0.1:{int(port) + 1}"):
                got = http.get(served + path, headers={"Host": host})
                assert got.status_code == 421, (path, host, got.status_code)
                assert got.headers["content-type"].startswith("text/plain")
                assert "Misdirected request" in got.text and len(got.text) < 100
        join = http.post(served + "/gradio_api/queue/join", json={"data": [], "fn_index": 0},
                         headers={"Host": f"evil.example:{port}"})
        assert join.status_code == 421
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
            assert http.get(served + "/config", headers={"Host": host}).status_code == 200, host
    no_host = _raw(served, b"GET /config HTTP/1.0\r\n\r\n")
    assert no_host.startswith(b"HTTP/1.1 400") and b"no Host header" in no_host
    two = _raw(served, f"GET /config HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example"
                       f"\r\nConnection: close\r\n\r\n".encode())
    assert two.startswith((b"HTTP/1.1 400", b"HTTP/1.1 421"))


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin")
def test_a_rebound_name_gets_no_app_in_the_browser(served: str) -> None:
    from playwright.sync_api import sync_playwright

    port = served.rsplit(":", 1)[1]
    rebound = f"http://rebind.attacker.test:{port}/"  # as if its DNS answered 127.0.0.1
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=[*BROWSER_ARGS,
                  "--host-resolver-rules=MAP rebind.attacker.test 127.0.0.1, "
                  "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"],
        )
        try:
            page = chromium.new_page()
            response = page.goto(rebound)
            assert response is not None and response.status == 421
            assert "Misdirected request" in page.inner_text("body")
            config = page.evaluate("() => fetch('/config').then(r => r.status)")
            assert config == 421  # the page's own same-origin calls get nothing either
            ok = page.goto(served + "/")
            assert ok is not None and ok.status == 200
            page.locator("#rla-question textarea").wait_for(timeout=30_000)
        finally:
            chromium.close()

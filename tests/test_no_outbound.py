"""Nothing leaves the machine: ingest, ask and the app (with its API) run under a guard that
records every connection and name lookup, and fails on any that is not loopback (telemetry,
model hubs, fonts or CDNs). The real ``rla`` command and a ``chroma run`` server are traced
at the system-call level too, where ``strace`` is installed."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port

from assistant.config import Settings
from assistant.core import Assistant

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "assistant" / "sample_corpus"
QUESTION = "What do reviews say about neglect?"
_LOCAL_NAMES = {"localhost", "", "0.0.0.0", "::"}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def _local(host: Any) -> bool:
    host = str(host).split("%")[0]
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture
def outbound(no_network: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every non-loopback connection, datagram or name lookup tried while the test runs."""
    attempts: list[str] = []
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
    sendto, getaddrinfo = socket.socket.sendto, socket.getaddrinfo

    def note(kind: str, address: Any) -> None:
        if isinstance(address, tuple) and address and not _local(address[0]):
            attempts.append(f"{kind} {address!r}")

    def rec_connect(self: socket.socket, address: Any) -> Any:
        note("connect", address)
        return connect(self, address)

    def rec_connect_ex(self: socket.socket, address: Any) -> Any:
        note("connect", address)
        return connect_ex(self, address)

    def rec_sendto(self: socket.socket, data: Any, *args: Any) -> Any:
        note("sendto", args[-1])
        return sendto(self, data, *args)

    def rec_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        if not _local(name):
            attempts.append(f"lookup {name}")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", rec_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", rec_connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", rec_sendto)
    monkeypatch.setattr(socket, "getaddrinfo", rec_getaddrinfo)
    yield attempts


def test_ingest_ask_and_the_app_make_no_outbound_attempt(
    outbound: list[str], tmp_path: Path
) -> None:
    from gradio_client import Client

    from ui.app import launch
    from vectorstore.embedder import MiniLMEmbedder

    # A fresh model (its loading is where hubs are usually called) and a fresh store.
    assistant = Assistant(replace(Settings.from_env({}), home=tmp_path / "home"),
                          embedder=MiniLMEmbedder())
    assert len(assistant.ingest([SAMPLE]).ingested) == 4
    assert assistant.ask(QUESTION).grounded
    app = launch(assistant, port=free_port(), block=False, quiet=True)
    try:
        url = (app.local_url or "").rstrip("/")
        import httpx

        with httpx.Client(trust_env=False, timeout=30) as http:
            page = http.get(url + "/").text
            config = http.get(url + "/config").text
        # No stylesheet, font or script the browser would fetch from elsewhere.
        for text in (page, config):
            assert not re.search(r"""(?:href|src)=["']?(?:https?:)?//(?!127\.0\.0\.1|localhost)""",
                                 text), "the page loads something from outside"
            assert "fonts.googleapis" not in text and "cdn.jsdelivr" not in text
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        markdown, citations = client.predict(QUESTION, api_name="/ask")
        assert citations and "[1]" in markdown
    finally:
        app.close()
    assert outbound == [], f"tried to reach the network: {outbound}"


# -- whole processes, traced --------------------------------------------------------------

def _strace() -> str | None:
    """strace, if it is installed and allowed to trace here (containers may forbid ptrace)."""
    found = shutil.which("strace")
    if found is None:
        return None
    probe = subprocess.run([found, "-f", "-qq", "-e", "trace=connect", "true"],
                           capture_output=True, timeout=30)
    return found if probe.returncode == 0 else None


STRACE = _strace()
_CONNECT = re.compile(r"connect\(\d+, \{sa_family=AF_INET6?, (?P<rest>[^}]*)\}")


def _outbound_syscalls(trace: Path) -> list[str]:
    found = []
    for line in trace.read_text(errors="replace").splitlines():
        m = _CONNECT.search(line)
        if not m:
            continue
        rest = m.group("rest")
        addr = re.search(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"', rest)
        host = next((g for g in addr.groups() if g), "") if addr else ""
        if not _local(host) or "htons(53)" in rest:  # any DNS query counts as reaching out
            found.append(line.strip())
    return found


@pytest.mark.skipif(STRACE is None, reason="strace is not installed or may not trace here")
@pytest.mark.stress
def test_the_rla_command_and_a_chroma_server_make_no_outbound_connection(
    tmp_path: Path, chroma_server: str
) -> None:
    assert STRACE is not None
    env = {**os.environ, "RLA_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}
    rla = [sys.executable, "-c", "from assistant.cli import main; main()"]
    for i, args in enumerate((["ingest", str(SAMPLE)], ["ask", "--json", QUESTION])):
        trace = tmp_path / f"rla-{i}.trace"
        run = subprocess.run([STRACE, "-f", "-qq", "-e", "trace=connect", "-o", str(trace),
                              *rla, *args], env=env, capture_output=True, text=True,
                             timeout=600)
        assert run.returncode == 0, run.stderr[-2000:]
        assert _outbound_syscalls(trace) == [], args

    # A Chroma server, traced from its start through an ingest and a question against it.
    port = free_port()
    trace = tmp_path / "chroma.trace"
    server = subprocess.Popen(
        [STRACE, "-f", "-qq", "-e", "trace=connect,bind", "-o", str(trace),
         str(Path(sys.executable).parent / "chroma"), "run", "--path", str(tmp_path / "db"),
         "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        served = {**env, "RLA_CHROMA_URL": f"http://127.0.0.1:{port}",
                  "RLA_HOME": str(tmp_path / "served")}
        for args in (["ingest", str(SAMPLE)], ["ask", QUESTION]):
            for _ in range(3):  # the server may still be starting
                run = subprocess.run([*rla, *args], env=served, capture_output=True, text=True,
                                     timeout=600)
                if run.returncode == 0:
                    break
                time.sleep(3)
            assert run.returncode == 0, run.stderr[-2000:]
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # strace and the server it traces
        server.wait(timeout=30)
    assert f"htons({port})" in trace.read_text(), "strace did not see the server bind its port"
    assert _outbound_syscalls(trace) == []

"""Shared fixtures: no network but loopback, a temp RLA_HOME, the shared corpus, one model."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
CORPUS_PDF = CORPUS / "pdf"
DEV_SET = SHARED / "eval" / "dev.jsonl"
WEB_SET = SHARED / "eval" / "web.jsonl"
CORPUS_WEB = CORPUS / "web"
SAMPLE_CORPUS = REPO / "assistant" / "sample_corpus"

# Belt and braces: libraries that would call home are told not to, before any test imports them.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


class NetworkBlocked(RuntimeError):
    pass


def _is_loopback(address: Any) -> bool:
    if not (isinstance(address, tuple) and address):
        return isinstance(address, str | bytes)  # AF_UNIX paths are local
    host = str(address[0])
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        try:
            return all(
                ipaddress.ip_address(info[4][0]).is_loopback
                for info in _real_getaddrinfo(host, None)
            )
        except OSError:
            return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise NetworkBlocked(f"test tried to reach the network: {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise NetworkBlocked(f"test tried to reach the network: {address!r}")
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection that is not to loopback (every test, automatically)."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


@pytest.fixture
def rla_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point RLA_HOME at a fresh temp dir for this test."""
    home = tmp_path / "rla-home"
    monkeypatch.setenv("RLA_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def corpus_pdfs() -> list[Path]:
    pdfs = sorted(CORPUS_PDF.glob("*.pdf"))
    if not pdfs:
        pytest.fail(f"shared corpus not found at {CORPUS_PDF}")
    return pdfs


@pytest.fixture(scope="session")
def embedder() -> Iterator[Any]:
    """One real bundled MiniLM for the whole session (loading it takes seconds)."""
    from vectorstore.embedder import MiniLMEmbedder

    yield MiniLMEmbedder()


@pytest.fixture(scope="session")
def corpus_assistant(
    tmp_path_factory: pytest.TempPathFactory, corpus_pdfs: list[Path], embedder: Any
) -> Iterator[Any]:
    """An Assistant over the 5 shared PDFs (with metadata.csv), ingested once per session.

    Shared by many tests: use it read-only (ask, search, list), never ingest into it or remove.
    """
    from dataclasses import replace

    from assistant.config import Settings
    from assistant.core import Assistant

    home = tmp_path_factory.mktemp("rla-corpus-home")
    settings = replace(Settings.from_env({}), home=home)
    assistant = Assistant(settings, embedder=embedder)
    report = assistant.ingest(corpus_pdfs, metadata_csv=CORPUS / "metadata.csv")
    if len(report.ingested) != len(corpus_pdfs):
        pytest.fail(f"the shared corpus did not ingest: {report.to_dict()}")
    yield assistant
    assistant.store.close()


@pytest.fixture(scope="session")
def library_assistant(
    tmp_path_factory: pytest.TempPathFactory, corpus_pdfs: list[Path], embedder: Any
) -> Iterator[Any]:
    """An Assistant over the 5 shared PDFs and the 70 web pages in one store (a real library
    of reports of every shape), ingested once per session. Read-only, like corpus_assistant."""
    from dataclasses import replace

    from assistant.config import Settings
    from assistant.core import Assistant

    pages = sorted(CORPUS_WEB.glob("*.md"))
    if not pages:
        pytest.fail(f"the shared web pages were not found at {CORPUS_WEB}")
    home = tmp_path_factory.mktemp("rla-library-home")
    assistant = Assistant(replace(Settings.from_env({}), home=home), embedder=embedder)
    first = assistant.ingest(corpus_pdfs, metadata_csv=CORPUS / "metadata.csv")
    second = assistant.ingest(pages)
    if len(first.ingested) + len(second.ingested) != len(corpus_pdfs) + len(pages):
        pytest.fail(f"the library did not ingest: {first.to_dict()} {second.to_dict()}")
    yield assistant
    assistant.store.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``chroma run`` server on 127.0.0.1 (telemetry off) for the session: its URL."""
    import http.client
    import shutil
    import signal
    import subprocess
    import sys
    import time

    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        found = shutil.which("chroma")
        if found is None:
            pytest.fail("the `chroma` command (from the chromadb package) is not installed")
        chroma = Path(found)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("chroma-server") / "server.log"
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "CHROMA_TELEMETRY": "False"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(chroma), "run", "--path", str(log.parent / "db"), "--host", "127.0.0.1",
             "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:  # http.client: no proxy settings can send this anywhere but loopback
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/v2/heartbeat")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"chroma run did not start: {log.read_text(errors='replace')}")
                time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


class AssistantRunner:
    """Runs `rla` commands in-process against a real ``Assistant``, handed to the CLI in
    click's context object (as ``CliContext``), so nothing needs patching."""

    def __init__(self, assistant: Any) -> None:
        from click.testing import CliRunner

        self.assistant = assistant
        self.runner = CliRunner()

    def invoke(self, command: Any, args: list[str], **kwargs: Any) -> Any:
        from assistant.cli.context import CliContext

        return self.runner.invoke(command, args, obj=CliContext.of(self.assistant), **kwargs)

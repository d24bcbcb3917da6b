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

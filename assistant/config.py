"""Settings: one frozen value read from ``RLA_*`` environment variables when asked for.

Nothing is read at import time; CLI flags override fields with ``dataclasses.replace``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from assistant.errors import SettingsError


@dataclass(frozen=True)
class Settings:
    home: Path
    # ~170 words is ~230 word pieces: with the title and section in front, a whole chunk
    # fits the model's 256-token window, so no chunk text is invisible to dense search.
    chunk_words: int = 170
    chunk_max_words: int = 230
    chunk_min_words: int = 120
    k: int = 8
    candidates: int = 40
    rrf_k: int = 30
    keyword_weight: float = 1.5
    keyword_floor: float = 0.4  # BM25 hits under this share of the best hit get no vote
    min_relevance: float = 0.30
    max_file_mb: float = 200.0
    max_pages: int = 5000
    file_timeout_s: float = 300.0  # per file, read in a worker process; 0 turns that off
    max_chunks: int = 20_000  # passages per file (the largest real reports make 1,000-3,000)
    auth_file: str = ""  # user:password-hash lines; turns on login in the UI
    audit_log: str = ""  # JSON lines of who asked what and what was cited; off if empty
    embed_backend: str = ""  # "torch" (fp32) or "bf16"; empty: the embedder's default
    chroma_url: str = ""
    collection: str = "rla_chunks"
    llm: str = ""
    llm_strict: bool = True  # remove failing LLM sentences (off: fall back to extractive)

    @property
    def store_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def keyword_dir(self) -> Path:
        """This instance's keyword index: beside an embedded store; for a Chroma server, one
        per server and collection under this instance's home (kept up to date from the
        server's revision)."""
        if not self.chroma_url:
            return self.home / "keyword" / self.collection
        parts = urlsplit(self.chroma_url)
        server = re.sub(r"[^A-Za-z0-9.]+", "-", f"{parts.hostname}-{parts.port or ''}")
        return self.home / "keyword" / f"{server}-{self.collection}"

    @property
    def files_dir(self) -> Path:
        """Where copies of ingested PDFs and uploads are kept (served to the browser)."""
        return self.home / "files"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("RLA_HOME") or Path.home() / ".rla").expanduser()
        s = cls(
            home=home,
            chunk_words=_int(env, "RLA_CHUNK_WORDS", cls.chunk_words),
            chunk_max_words=_int(env, "RLA_CHUNK_MAX_WORDS", cls.chunk_max_words),
            chunk_min_words=_int(env, "RLA_CHUNK_MIN_WORDS", cls.chunk_min_words),
            k=_int(env, "RLA_K", cls.k),
            candidates=_int(env, "RLA_CANDIDATES", cls.candidates),
            rrf_k=_int(env, "RLA_RRF_K", cls.rrf_k),
            keyword_weight=_float(env, "RLA_KEYWORD_WEIGHT", cls.keyword_weight),
            keyword_floor=_float(env, "RLA_KEYWORD_FLOOR", cls.keyword_floor),
            min_relevance=_float(env, "RLA_MIN_RELEVANCE", cls.min_relevance),
            max_file_mb=_float(env, "RLA_MAX_FILE_MB", cls.max_file_mb),
            max_pages=_int(env, "RLA_MAX_PAGES", cls.max_pages),
            file_timeout_s=_float(env, "RLA_FILE_TIMEOUT_S", cls.file_timeout_s),
            max_chunks=_int(env, "RLA_MAX_CHUNKS", cls.max_chunks),
            auth_file=env.get("RLA_AUTH", ""),
            audit_log=env.get("RLA_AUDIT_LOG", ""),
            embed_backend=env.get("RLA_EMBED_BACKEND", ""),
            chroma_url=env.get("RLA_CHROMA_URL", ""),
            llm=env.get("RLA_LLM", ""),
            llm_strict=_bool(env, "RLA_LLM_STRICT", cls.llm_strict),
        )
        if not s.chunk_min_words <= s.chunk_words <= s.chunk_max_words:
            raise SettingsError(
                "RLA_CHUNK_MIN_WORDS <= RLA_CHUNK_WORDS <= RLA_CHUNK_MAX_WORDS must hold "
                f"(got {s.chunk_min_words}, {s.chunk_words}, {s.chunk_max_words})"
            )
        if s.max_pages < 1 or s.max_file_mb <= 0 or s.file_timeout_s < 0:
            raise SettingsError(
                "RLA_MAX_PAGES and RLA_MAX_FILE_MB must be positive and RLA_FILE_TIMEOUT_S "
                f"at least 0 (got {s.max_pages}, {s.max_file_mb:g}, {s.file_timeout_s:g})"
            )
        if s.embed_backend not in ("", "torch", "bf16"):
            raise SettingsError(
                f"RLA_EMBED_BACKEND must be torch or bf16 (got {s.embed_backend!r})"
            )
        if s.k < 1:
            raise SettingsError(f"RLA_K must be at least 1 (got {s.k})")
        if s.max_chunks < 1:
            raise SettingsError(f"RLA_MAX_CHUNKS must be at least 1 (got {s.max_chunks})")
        return s


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number (got {raw!r})") from None


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be on or off (got {raw!r})")


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number (got {raw!r})") from None

"""Settings: one frozen value read from ``RLA_*`` environment variables when asked for.

Nothing is read at import time; CLI flags override fields with ``dataclasses.replace``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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
    min_relevance: float = 0.42
    max_file_mb: float = 200.0
    chroma_url: str = ""
    collection: str = "rla_chunks"
    llm: str = ""

    @property
    def store_dir(self) -> Path:
        return self.home / "chroma"

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
            min_relevance=_float(env, "RLA_MIN_RELEVANCE", cls.min_relevance),
            max_file_mb=_float(env, "RLA_MAX_FILE_MB", cls.max_file_mb),
            chroma_url=env.get("RLA_CHROMA_URL", ""),
            llm=env.get("RLA_LLM", ""),
        )
        if not s.chunk_min_words <= s.chunk_words <= s.chunk_max_words:
            raise SettingsError(
                "RLA_CHUNK_MIN_WORDS <= RLA_CHUNK_WORDS <= RLA_CHUNK_MAX_WORDS must hold "
                f"(got {s.chunk_min_words}, {s.chunk_words}, {s.chunk_max_words})"
            )
        if s.k < 1:
            raise SettingsError(f"RLA_K must be at least 1 (got {s.k})")
        return s


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number (got {raw!r})") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number (got {raw!r})") from None

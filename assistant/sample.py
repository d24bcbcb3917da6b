"""The bundled sample corpus that `make run` ingests into an empty store."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def sample_corpus_dir() -> Path:
    return Path(str(files("assistant") / "sample_corpus"))

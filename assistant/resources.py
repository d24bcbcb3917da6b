"""Paths of the files that ship inside the ``assistant`` package: the sample corpus.

Resolved from this file's location rather than ``importlib.resources.files``, which fails on
setuptools' editable installs ("MultiplexedPath only supports directories").
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def sample_corpus_dir() -> Path:
    """The bundled sample corpus that `make run` ingests into an empty store."""
    return PACKAGE_DIR / "sample_corpus"

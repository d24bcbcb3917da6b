"""Paths of the data files that ship inside the ``assistant`` package.

Resolved from this file's location rather than ``importlib.resources.files``, which fails on
setuptools' editable installs ("MultiplexedPath only supports directories").
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    """A file under ``assistant/data/`` (the gazetteer, the theme taxonomy, ...)."""
    return PACKAGE_DIR / "data" / name


def sample_corpus_dir() -> Path:
    """The bundled sample corpus that `make run` ingests into an empty store."""
    return PACKAGE_DIR / "sample_corpus"

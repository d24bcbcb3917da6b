"""Paths of the data files ingest reads (the gazetteer, the theme taxonomy), which ship in
``ingest/data/``.

Resolved from this file's location rather than ``importlib.resources.files``, which fails on
setuptools' editable installs ("MultiplexedPath only supports directories").
"""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def data_path(name: str) -> Path:
    """A file under ``ingest/data/`` (``areas.json``, ``themes.json``)."""
    return DATA_DIR / name

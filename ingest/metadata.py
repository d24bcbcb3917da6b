"""Sidecar ``metadata.csv``: one row per file, keyed by file name (with or without extension).

Columns as in the shared corpus: ``file,title,publisher,year,review_type,geography``. Other
columns are kept too. ``ingest.cardinfer`` maps ``review_type`` and ``geography`` onto the
card's ``CardKey.DOC_TYPE`` and ``CardKey.NATION``. A ``metadata.csv`` beside the files is
read automatically; ``--metadata`` names one explicitly (its rows win).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

from assistant.errors import RlaError
from assistant.types import CardKey, MetaValue

METADATA_FILE = "metadata.csv"


def _key(name: str) -> str:
    name = name.strip().replace("\\", "/").rsplit("/", 1)[-1].lower()
    return name.rsplit(".", 1)[0] if "." in name else name


def read_metadata(path: Path) -> dict[str, dict[str, MetaValue]]:
    """Rows of a metadata CSV keyed by file stem; ``year`` becomes an int where it is one."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "file" not in reader.fieldnames:
                raise RlaError(f"{path}: a metadata CSV needs a 'file' column")
            rows: dict[str, dict[str, MetaValue]] = {}
            for row in reader:
                name = (row.get("file") or "").strip()
                if not name:
                    continue
                fields: dict[str, MetaValue] = {}
                for column, value in row.items():
                    if column is None or column == "file" or value is None:
                        continue
                    value = value.strip()
                    if not value:
                        continue
                    if column == CardKey.YEAR and value.isdigit():
                        fields[column] = int(value)
                    else:
                        fields[column] = value
                rows[_key(name)] = fields
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise RlaError(f"{path}: cannot read the metadata CSV ({exc})") from None


class MetadataIndex:
    """Finds the metadata row for a file: the explicit CSV first, then one beside the file."""

    def __init__(self, explicit: Path | None = None) -> None:
        self._explicit = read_metadata(explicit) if explicit else {}
        self._beside: dict[Path, dict[str, dict[str, MetaValue]]] = {}

    def for_file(self, path: Path) -> dict[str, MetaValue]:
        folder = path.parent
        if folder not in self._beside:
            sidecar = folder / METADATA_FILE
            self._beside[folder] = read_metadata(sidecar) if sidecar.is_file() else {}
        merged: dict[str, MetaValue] = {}
        merged.update(self._beside[folder].get(_key(path.name), {}))
        merged.update(self._explicit.get(_key(path.name), {}))
        return merged


def card_meta(
    meta: Mapping[str, MetaValue], extra: Iterable[tuple[str, MetaValue]]
) -> dict[str, MetaValue]:
    out = dict(meta)
    for key, value in extra:
        out.setdefault(key, value)
    return out

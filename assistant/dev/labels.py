"""Hand labels that point into the shared corpus instead of holding its text.

The labelled passages are third-party text, so the label files in ``tests/data`` keep only
where each passage is and a hash of it; the text is read again from ``../shared/corpus`` (or
``$RLA_SHARED/corpus``) when the labels are loaded:

- ``"passage": n`` (web pages): the n-th passage ``assistant.dev.label_passages`` cuts from
  the file, with its title and section;
- ``"spans": [[start, end], ...]`` (PDFs): character spans of the document's text as the
  loader reads it, with runs of whitespace collapsed, joined by a space.

``sha1`` is the hash of the text so read. A label whose text no longer hashes the same (the
loader or the cutter changed what it reads) is an error naming the label and the file, never
a silently different passage.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from assistant.errors import RlaError
from assistant.text import collapse

REPO = Path(__file__).resolve().parents[2]


class LabelError(RlaError):
    """A label file cannot be read against the shared corpus."""


def corpus_dir() -> Path:
    shared = os.environ.get("RLA_SHARED")
    return (Path(shared) if shared else REPO.parent / "shared") / "corpus"


def digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@cache
def _cut(path: Path) -> tuple[dict[str, str], ...]:
    from assistant.dev.label_passages import passages

    return tuple(passages(path, 40))


@cache
def _document_text(path: Path) -> str:
    from ingest.pipeline import ChunkingParams, load

    return collapse("\n".join(p.text for p in load(path, ChunkingParams(file_timeout_s=0)).pages))


def resolve(row: dict[str, Any], source: Path) -> dict[str, Any]:
    """``row`` with its ``text`` (and, for a cut passage, ``title`` and ``section``)."""
    if "text" in row:
        return row
    path = corpus_dir() / str(row["corpus"]) / str(row["file"])
    if not path.is_file():
        raise LabelError(f"{source.name}: label {row.get('id')} needs {path}, which is missing "
                         "(the shared corpus sits beside the repository, or set RLA_SHARED)")
    out = dict(row)
    if "passage" in row:
        cut = _cut(path)
        n = int(row["passage"])
        if n >= len(cut):
            raise LabelError(f"{source.name}: label {row.get('id')}: {path.name} now gives "
                             f"{len(cut)} passages, not {n + 1}")
        out.update(title=cut[n]["title"], section=cut[n]["section"], text=cut[n]["text"])
    else:
        text = _document_text(path)
        out["text"] = " ".join(text[a:b] for a, b in row["spans"])
    if digest(out["text"]) != row["sha1"]:
        raise LabelError(f"{source.name}: label {row.get('id')} no longer matches {path.name} "
                         "(the loader reads it differently now); label it again")
    return out


def read(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [resolve(json.loads(line), path) for line in lines if line.strip()]

"""From paths to chunks: find the files, load each with its loader, cut it into chunks.

Embedding and storing are the core's job (``assistant.store.indexing``); this module only reads.
Every failure is an ``UnreadableFileError`` that names the file and the reason.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.errors import UnreadableFileError
from assistant.types import Chunk, Document
from ingest.areatag import tag_areas
from ingest.cardinfer import infer_card
from ingest.chunking import chunk_sections
from ingest.docarea import with_document_place
from ingest.metadata import METADATA_FILE, MetadataIndex
from ingest.sections import split_sections
from ingest.sniff import check_kind
from ingest.tables import with_tables
from ingest.timing import collect

SUPPORTED = (".pdf", ".txt", ".md", ".markdown", ".docx", ".html", ".htm")


@dataclass(frozen=True)
class Prepared:
    document: Document
    chunks: tuple[Chunk, ...]
    # seconds spent reading it, by stage: parse (loader), clean, chunk (sections and chunks)
    stage_seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ChunkingParams:
    target_words: int = 170
    max_words: int = 230
    min_words: int = 120
    max_file_mb: float = 200.0
    max_pages: int = 5000
    file_timeout_s: float = 300.0  # per file, in a worker process (0: no worker, no limit)
    max_chunks: int = 20_000  # passages per file; the largest real reports make 1,000-3,000


def _loader(suffix: str) -> Callable[[Path], Document]:
    if suffix == ".pdf":
        from ingest.pdf_loader import load_pdf

        return load_pdf
    if suffix in (".txt", ".md", ".markdown"):
        from ingest.text_loader import load_text

        return load_text
    if suffix == ".docx":
        from ingest.docx_loader import load_docx

        return load_docx
    if suffix in (".html", ".htm"):
        from ingest.html_loader import load_html

        return load_html
    raise UnreadableFileError(
        "",
        f"unsupported file type '{suffix or 'no extension'}' (supported: {', '.join(SUPPORTED)})",
    )


@dataclass(frozen=True)
class Found:
    """What ``collect_files`` found: the files to read, the paths that cannot be read (with the
    reason), and the hidden files and folders of the folders walked, which are not read."""

    files: list[Path]
    problems: list[UnreadableFileError]
    hidden: list[str]  # paths; a folder's ends with the path separator


def collect_files(paths: Iterable[Path]) -> Found:
    """Files to ingest (folders walked, sorted) and the paths that cannot be, with the reason.

    In a folder, files and folders whose names start with "." (``.git``, ``.DS_Store``, an
    editor's ``.~lock`` file) are not read; they are listed in ``hidden`` so the report can say
    so. A hidden file named on its own is read like any other.
    """
    files: list[Path] = []
    problems: list[UnreadableFileError] = []
    hidden: dict[str, None] = {}  # in order, each hidden file or top hidden folder once
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                dot = next((i for i, part in enumerate(rel.parts) if part.startswith(".")), None)
                if dot is not None:
                    top = path.joinpath(*rel.parts[: dot + 1])
                    hidden[str(top) + (os.sep if top.is_dir() else "")] = None
                    continue
                if not child.is_file():
                    continue
                if child.name == METADATA_FILE:
                    continue
                if child.suffix.lower() in SUPPORTED:
                    files.append(child)
                else:
                    problems.append(_unsupported(child))
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED:
                files.append(path)
            else:
                problems.append(_unsupported(path))
        else:
            problems.append(UnreadableFileError(str(path), "no such file or folder"))
    return Found(files, problems, list(hidden))


def _unsupported(path: Path) -> UnreadableFileError:
    suffix = path.suffix.lower() or "no extension"
    return UnreadableFileError(
        str(path), f"unsupported file type '{suffix}' (supported: {', '.join(SUPPORTED)})"
    )


def check_size(path: Path, params: ChunkingParams) -> None:
    size = path.stat().st_size
    if size == 0:
        raise UnreadableFileError(str(path), "the file is empty (0 bytes)")
    if size > params.max_file_mb * 1024 * 1024:
        raise UnreadableFileError(
            str(path),
            f"the file is {size / 1024 / 1024:.0f} MB, over the limit of "
            f"{params.max_file_mb:g} MB (RLA_MAX_FILE_MB)",
        )


def check_chunks(path: Path, count: int, params: ChunkingParams) -> None:
    """Refuse a file that makes more passages than ``params.max_chunks`` (hours to embed)."""
    if count > params.max_chunks:
        raise UnreadableFileError(
            str(path),
            f"{count:,} passages is over the limit of {params.max_chunks:,} (RLA_MAX_CHUNKS); "
            "split the file or raise the limit",
        )


def load(path: Path, params: ChunkingParams) -> Document:
    check_size(path, params)
    check_kind(path)  # content that is not what the name says is refused, not read as garbage
    loader = _loader(path.suffix.lower())
    if path.suffix.lower() == ".pdf":
        from ingest.pdf_loader import load_pdf

        loader = functools.partial(load_pdf, max_pages=params.max_pages)
    try:
        return loader(path)
    except UnreadableFileError:
        raise
    except RecursionError:
        raise UnreadableFileError(str(path), "the file is malformed (nesting too deep)") from None
    except Exception as exc:  # a loader bug must not stop the batch; report it per file
        raise UnreadableFileError(
            str(path), f"could not be read ({type(exc).__name__}: {str(exc)[:120]})"
        ) from None


def prepare(path: Path, metadata: MetadataIndex, params: ChunkingParams) -> Prepared:
    """Load one file and cut it into chunks carrying the document card's fields."""
    started = time.perf_counter()
    with collect() as stages:  # the loader's cleaning functions add their time to "clean"
        doc = load(path, params)
    loaded = time.perf_counter()
    meta = metadata.for_file(path)
    title = str(meta.pop("title", "") or "") or doc.title
    doc = replace(doc, title=title, meta=meta)
    meta = infer_card(doc, meta)  # the document card: metadata.csv first, then inferred
    doc = replace(doc, meta=meta)
    sections = split_sections(doc)
    chunks = chunk_sections(
        doc,
        sections,
        target_words=params.target_words,
        max_words=params.max_words,
        min_words=params.min_words,
        meta=meta,
    )
    if not chunks:
        raise UnreadableFileError(str(path), "no text to index after cleaning")
    check_chunks(path, len(chunks), params)  # before tagging, and long before embedding
    # areas (headings inherited), the document's own place, stage, tables
    chunks = with_tables(with_document_place(tag_areas(chunks)))
    stages["parse"] = loaded - started - stages.get("clean", 0.0)
    stages["chunk"] = time.perf_counter() - loaded
    return Prepared(doc, tuple(chunks), stages)

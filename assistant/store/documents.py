"""The library's documents outside the chunks: the stored copy of each ingested file (so a
cited page can be opened), uploaded copies, the documents a name refers to, and reading a
stored copy back as text.

``RLA_HOME/files/<sha256>.<ext>`` is the copy the app serves; ``RLA_HOME/uploads/<name>`` the
file as uploaded in the chat window.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from assistant.config import Settings
from assistant.errors import NotFoundError
from assistant.store.reading import file_sha256
from assistant.types import DocumentCard, Page
from vectorstore.chroma_store import ChromaStore

UPLOADS = "uploads"  # files added in the chat window, under RLA_HOME


def keep_copy(files_dir: Path, path: Path, doc_id: str) -> None:
    """Keep a copy of an ingested file under its content hash (once)."""
    files_dir.mkdir(parents=True, exist_ok=True)
    target = files_dir / f"{doc_id}{path.suffix.lower()}"
    if not target.exists():  # copied under a temporary name, so a crash leaves no half file
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        shutil.copyfile(path, partial)
        os.replace(partial, target)


def stored_file(files_dir: Path, doc_id: str, file: str) -> Path | None:
    """The copy ``keep_copy`` made of ``doc_id``, ingested from ``file`` (named by its suffix),
    if it is there."""
    copy = files_dir / f"{doc_id}{Path(file).suffix.lower()}"
    return copy if copy.is_file() else None


def forget_copies(settings: Settings, card: DocumentCard) -> None:
    """Delete a removed document's stored copy, and its uploaded copy if it is that file."""
    for copy in settings.files_dir.glob(f"{card.doc_id}.*"):
        copy.unlink(missing_ok=True)
    upload = settings.home / UPLOADS / card.file
    if upload.is_file() and file_sha256(upload) == card.doc_id:
        upload.unlink(missing_ok=True)


def named(store: ChromaStore, name: str) -> list[DocumentCard]:
    """The documents a file name (or a doc id prefix of 8+ characters) names.

    A doc id prefix also names what an interrupted ingest left (chunks with no card, as
    `rla check` reports them): a stand-in card describes them."""
    cards = store.cards_for_file(Path(name).name)
    if cards:
        return cards
    if len(name) >= 8:
        cards = [c for c in store.cards() if c.doc_id.startswith(name)]
        if cards:
            return cards
        counts = store.chunk_counts()
        orphans = sorted(d for d in store.orphan_doc_ids() if d.startswith(name))
        if orphans:
            return [DocumentCard(doc_id=d, file=f"(no card) {d[:12]}",
                                 title="passages left by an interrupted ingest", pages=0,
                                 chunks=counts.get(d, 0)) for d in orphans]
    raise NotFoundError(f"{name}: no such document in the store (see `rla list`)")


def read_pages(settings: Settings, stored: Path, file: str) -> tuple[Page, ...]:
    """A stored copy read back by ingest's own reader, in a worker with the usual time and
    memory limits (``file`` names it in errors)."""
    from ingest.isolation import run_isolated
    from ingest.pipeline import ChunkingParams, load

    params = ChunkingParams(max_file_mb=settings.max_file_mb, max_pages=settings.max_pages,
                            file_timeout_s=settings.file_timeout_s)
    if settings.file_timeout_s > 0:
        document = run_isolated(load, stored, params, path=file,
                                timeout_s=settings.file_timeout_s)
    else:
        document = load(stored, params)
    return tuple(document.pages)

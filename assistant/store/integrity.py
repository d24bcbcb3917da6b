"""The store's invariants: one writer at a time, and a check that every card has all of its
chunks and every chunk its card.

``indexing`` writes a document's chunks first and its card last, and removes an old version's
card before its chunks, so after a crash (even ``kill -9``) the store can hold chunks without a
card, never a card without all of its chunks. An ingest sweeps the documents its store marks
as unfinished before it starts (``ChromaStore.unfinished_doc_ids``, no full read);
``damaged_doc_ids`` reads every chunk's metadata to find both kinds (``rla check --repair``),
and ``store_problems`` is what ``rla check`` reports.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vectorstore.chroma_store import ChromaStore

log = logging.getLogger(__name__)

LOCK_FILE = ".write.lock"


@contextmanager
def store_write_lock(home: Path) -> Iterator[None]:
    """Hold the store's write lock: one ingest or removal at a time across processes.

    Without it, a second ``rla ingest`` would sweep the first one's not-yet-carded chunks as
    leftovers of a crash. (With a shared Chroma server, run ingests from one machine.)
    """
    try:
        import fcntl
    except ImportError:  # no advisory locks here: one writer is the user's job
        yield
        return
    home.mkdir(parents=True, exist_ok=True)
    with (home / LOCK_FILE).open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("waiting for another ingest into %s to finish", home)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def damaged_doc_ids(store: ChromaStore) -> set[str]:
    """Documents with chunks but no card, or a card whose chunks are not all there."""
    counts = store.chunk_counts()
    cards = store.cards()
    carded = {c.doc_id for c in cards}
    incomplete = {c.doc_id for c in cards if counts.get(c.doc_id, 0) != c.chunks}
    return (set(counts) - carded) | incomplete


def store_problems(store: ChromaStore, files_dir: Path | None = None) -> list[str]:
    """Everything inconsistent in the store, one sentence each; [] when it is sound."""
    problems: list[str] = []
    counts = store.chunk_counts()
    cards = store.cards()
    by_id = {c.doc_id: c for c in cards}
    for doc_id in sorted(set(counts) - set(by_id)):
        problems.append(
            f"{counts[doc_id]} chunk(s) of document {doc_id[:12]} have no card (an ingest "
            "stopped half-way, or is still running; they are never searched or cited): remove "
            f"them with `rla remove {doc_id[:12]}` or `rla check --repair`"
        )
    for card in cards:
        have = counts.get(card.doc_id, 0)
        if have != card.chunks:
            problems.append(f"{card.file}: its card lists {card.chunks} chunks, the store {have}")
        if files_dir is not None and not any(files_dir.glob(f"{card.doc_id}.*")):
            problems.append(f"{card.file}: no stored copy in {files_dir}")
    for file, n in sorted(Counter(c.file for c in cards).items()):
        if n > 1:
            problems.append(f"{file}: {n} documents share this file name")
    for card in cards:
        if counts.get(card.doc_id, 0) != card.chunks:
            continue
        indexes = sorted(c.index for c in store.chunks_for(card.doc_id))
        if indexes != list(range(card.chunks)):
            problems.append(f"{card.file}: its chunks are not numbered 0..{card.chunks - 1}")
    return problems


def repair(store: ChromaStore) -> list[str]:
    """Remove what interrupted ingests left; the doc ids removed (ingest their files again)."""
    removed = sorted(damaged_doc_ids(store))
    for doc_id in removed:
        store.delete_document(doc_id)
    return removed

"""The keyword index's folder: a manifest naming its segments, kept in step with the store.

The manifest (``manifest.json``, replaced atomically) names the segments in order, the
documents removed from each since it was written, and the store revision the whole reflects.
Writers (an ingest, a removal, another instance catching up) take the folder's lock, read the
manifest again, write any new segment, then the new manifest; segments never change, so a
reader needs no lock: it reads the manifest and maps the segments it names.

``sync`` brings the index to the store's revision from the difference between the documents
it holds and the store's documents: new documents' passages are read and tokenised (and only
theirs), removed ones are listed as removed. Nothing reads every passage. Small segments are
merged as they accumulate (the two smallest while there are more than ``MAX_SEGMENTS``), and a
segment a quarter removed is rewritten without them, so the index stays a few segments.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from assistant.types import Chunk
from vectorstore.keyword import KeywordIndex, Part, tokenize
from vectorstore.segments import Segment, merge

log = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"
MAX_SEGMENTS = 8
REWRITE_REMOVED = 0.25  # a segment with this share of its rows removed is rewritten


class Source(Protocol):
    """What ``sync`` reads from a store."""

    def revision(self) -> str: ...
    def carded_doc_ids(self) -> frozenset[str]: ...
    def chunks_of(self, doc_ids: Sequence[str]) -> Iterator[Chunk]: ...


DocRows = tuple[str, list[tuple[str, list[str]]]]  # (doc_id, [(chunk_id, tokens), ...])


def doc_rows(chunks: Iterable[Chunk]) -> list[DocRows]:
    """Chunks grouped by document (in the order met) with their tokens."""
    grouped: dict[str, list[tuple[str, list[str]]]] = {}
    for chunk in chunks:
        grouped.setdefault(chunk.doc_id, []).append((chunk.chunk_id, tokenize(chunk.index_text())))
    return list(grouped.items())


class KeywordFolder:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._view: KeywordIndex | None = None
        self._seen: tuple[int, int, int] | None = None

    # -- reading --------------------------------------------------------------------------

    def current(self) -> KeywordIndex:
        """The index as the manifest now describes it (re-read only when the file changed)."""
        for attempt in range(3):
            stat = self._stat()
            with self._lock:
                if self._view is not None and stat == self._seen:
                    return self._view
            try:
                view = self._load(self._manifest())
            except FileNotFoundError:  # a segment merged away between reads: read again
                if attempt == 2:
                    raise
                continue
            with self._lock:
                self._view, self._seen = view, stat
            return view
        raise AssertionError("unreachable")

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path / MANIFEST)
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _manifest(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads((self.path / MANIFEST).read_text("utf-8"))
        except FileNotFoundError:
            return {"format": FORMAT, "revision": "", "next": 1, "segments": []}
        except ValueError:
            log.warning("the keyword index at %s is unreadable; rebuilding it", self.path)
            return {"format": FORMAT, "revision": "", "next": 1, "segments": []}
        if data.get("format") != FORMAT:
            return {"format": FORMAT, "revision": "", "next": 1, "segments": []}
        return data

    def _load(self, manifest: dict[str, Any]) -> KeywordIndex:
        parts = tuple(
            Part(Segment.open(self.path / s["name"]), frozenset(s.get("removed", ())))
            for s in manifest["segments"]
        )
        return KeywordIndex(parts, str(manifest["revision"]))

    # -- writing --------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / ".lock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def sync(self, store: Source) -> KeywordIndex:
        """The index brought to ``store``'s current revision (a no-op when it is there)."""
        revision = store.revision()
        view = self.current()
        if view.revision == revision:
            return view
        with self._locked():
            view = self.current()  # another process may have caught up meanwhile
            if view.revision == revision:
                return view
            carded = store.carded_doc_ids()
            added = sorted(carded - view.docs)
            removed = view.docs - carded
            if added or removed:
                log.info("keyword index: adding %d documents, removing %d", len(added),
                         len(removed))
            rows = doc_rows(store.chunks_of(added)) if added else []
            self._write(revision, rows, removed)
        return self.current()

    def put(self, revision: str, rows: Sequence[DocRows], removed: Iterable[str] = ()) -> None:
        """Add documents' rows and remove documents, recording ``revision`` (benchmarks and
        tests; ``sync`` is the way in for a store)."""
        with self._locked():
            self._write(revision, rows, frozenset(removed))

    def put_segment(self, revision: str, segment: Segment) -> None:
        """Add a segment made elsewhere (benchmarks replicate one), recording ``revision``."""
        with self._locked():
            manifest = self._manifest()
            manifest["segments"].append(self._new_segment(manifest, segment))
            manifest["revision"] = revision
            self._save_manifest(manifest)

    def _write(self, revision: str, rows: Sequence[DocRows], removed: frozenset[str]) -> None:
        manifest = self._manifest()
        entries: list[tuple[dict[str, Any], Part]] = []  # each segment opened once
        for entry in manifest["segments"]:
            seg = Segment.open(self.path / entry["name"])
            gone = removed & frozenset(seg.doc_rows)
            if gone:
                entry["removed"] = sorted(set(entry.get("removed", ())) | gone)
            entries.append((entry, Part(seg, frozenset(entry.get("removed", ())))))
        if rows:
            built = Segment.build(rows)
            entries.append((self._new_segment(manifest, built), Part(built)))
        manifest["segments"] = self._compacted(manifest, entries)
        manifest["revision"] = revision
        self._save_manifest(manifest)
        self._collect(manifest)

    def _new_segment(self, manifest: dict[str, Any], segment: Segment) -> dict[str, Any]:
        name = f"seg-{int(manifest['next']):06d}"
        manifest["next"] = int(manifest["next"]) + 1
        segment.save(self.path / name)
        return {"name": name, "removed": []}

    def _compacted(
        self, manifest: dict[str, Any], entries: list[tuple[dict[str, Any], Part]]
    ) -> list[dict[str, Any]]:
        out = []
        for entry, part in entries:  # rewrite segments mostly removed; drop emptied ones
            if part.live_rows == 0:
                continue
            if part.removed and part.live_rows < (1 - REWRITE_REMOVED) * part.segment.size:
                merged = merge([(part.segment, part.removed)])
                entry, part = self._new_segment(manifest, merged), Part(merged)
            out.append((entry, part))
        while len(out) > MAX_SEGMENTS:  # merge the two smallest, keeping the order of rows
            smallest = sorted(range(len(out)), key=lambda i: out[i][1].live_rows)[:2]
            a, b = sorted(smallest)
            merged = merge([(out[a][1].segment, out[a][1].removed),
                            (out[b][1].segment, out[b][1].removed)])
            out[a] = (self._new_segment(manifest, merged), Part(merged))
            del out[b]
        return [entry for entry, _ in out]

    def _save_manifest(self, manifest: dict[str, Any]) -> None:
        partial = self.path / f".{MANIFEST}.{os.getpid()}.partial"
        partial.write_text(json.dumps(manifest, sort_keys=True), "utf-8")
        os.replace(partial, self.path / MANIFEST)

    def _collect(self, manifest: dict[str, Any]) -> None:
        """Remove segments the manifest no longer names (open maps of them stay valid)."""
        named = {s["name"] for s in manifest["segments"]}
        for child in self.path.iterdir():
            if child.is_dir() and child.name not in named:
                shutil.rmtree(child, ignore_errors=True)

"""Files read ahead of the encoder: a thread that reads one file after another (each in its
worker process, ``ingest.isolation``) while the caller embeds what was read before.

On 2 cores the encoder's two threads scale to about 1.6x one, so a reading child beside them
costs the encoder less than the reading takes; reading every file first and then embedding
left the encoder idle for the whole read (``rla bench``: ingest 1.14x the raw encode then).
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import UnreadableFileError
from assistant.types import SkippedFile
from ingest.isolation import Worker, prepare_isolated
from ingest.metadata import MetadataIndex
from ingest.pipeline import ChunkingParams, Prepared, check_size
from vectorstore.chroma_store import ChromaStore

# Texts (passages and their sentences) to gather before an embed: two batches, so
# the first one starts early and later groups take all that was read meanwhile.
GROUP_TEXTS = 64


@dataclass
class ReadResults:
    """What the reading found besides the documents it handed on."""

    unchanged: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)  # parse, clean, chunk, read


@dataclass(frozen=True)
class ReadFile:
    path: Path
    prepared: Prepared
    texts: int  # passages and distinct sentences it brings (what the group size counts)


_DONE = object()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Reader:
    """Reads ``files`` in order on a thread; ``groups()`` yields the documents read, a group
    at a time. The thread stops after the file it is reading when ``close()`` is called."""

    def __init__(
        self,
        files: Sequence[Path],
        *,
        store: ChromaStore,
        metadata: MetadataIndex,
        params: ChunkingParams,
        count_texts: Callable[[Prepared], int],
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.results = ReadResults()
        self._files, self._store, self._metadata, self._params = files, store, metadata, params
        self._count, self._progress = count_texts, progress
        self._queue: queue.Queue[object] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rla-ingest-read", daemon=True)
        self._thread.start()

    def groups(self, min_texts: int = GROUP_TEXTS) -> Iterator[list[ReadFile]]:
        """Documents in the order read: each group has at least ``min_texts`` texts (or is the
        last) and takes every document already read, so an encoder that falls behind the
        reading gets large, well-sorted groups."""
        group: list[ReadFile] = []
        finished = False
        while not finished:
            item = self._queue.get()
            while True:  # all that is ready now
                if item is _DONE:
                    finished = True
                    break
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, ReadFile)
                group.append(item)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if group and (finished or sum(f.texts for f in group) >= min_texts):
                yield group
                group = []

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            with Worker() as worker:
                self._read_all(worker)
        except BaseException as exc:  # a store failure: the caller raises it
            self._queue.put(exc)
        finally:
            self._queue.put(_DONE)

    def _read_all(self, worker: Worker) -> None:
        for i, path in enumerate(self._files, start=1):
            if self._stop.is_set():
                break
            got = self._read(path, worker)
            if got is not None:
                self._queue.put(got)
            if self._progress:
                self._progress(i, len(self._files))

    def _read(self, path: Path, worker: Worker) -> ReadFile | None:
        results, t = self.results, time.perf_counter()
        got: ReadFile | None = None
        try:
            check_size(path, self._params)  # before hashing: a huge file is refused unread
            if self._store.card(file_sha256(path)) is not None:
                results.unchanged.append(str(path))
            else:
                prep = prepare_isolated(path, self._metadata, self._params, worker)
                got = ReadFile(path, prep, self._count(prep))
                for stage, seconds in prep.stage_seconds.items():  # parse, clean, chunk
                    results.stages[stage] = results.stages.get(stage, 0.0) + seconds
                t += sum(prep.stage_seconds.values())  # the rest: hashing, checks, the worker
        except UnreadableFileError as err:
            results.skipped.append(SkippedFile(err.path or str(path), err.reason))
        except OSError as err:
            results.skipped.append(
                SkippedFile(str(path), f"cannot read the file ({err.strerror})"))
        results.stages["read"] = results.stages.get("read", 0.0) + time.perf_counter() - t
        return got

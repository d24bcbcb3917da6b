"""Files are read ahead of the encoder: the reading thread goes on while a group is embedded."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from assistant.store.indexing import _text_count
from assistant.store.reading import Reader
from ingest.metadata import MetadataIndex
from ingest.pipeline import ChunkingParams
from tests.conftest import CORPUS_WEB
from vectorstore.chroma_store import ChromaStore
from vectorstore.embedder import DIM, MODEL_NAME


def _files(tmp_path: Path, count: int) -> list[Path]:
    pages = sorted(CORPUS_WEB.glob("*.md"))[:count]
    out = []
    for page in pages:
        shutil.copy(page, tmp_path / page.name)
        out.append(tmp_path / page.name)
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 not really")
    return [*out[:2], bad, *out[2:]]


def test_reading_runs_ahead_of_the_consumer_and_keeps_file_order(tmp_path: Path) -> None:
    files = _files(tmp_path, 5)
    store = ChromaStore(tmp_path / "chroma", model_name=MODEL_NAME, dim=DIM)
    all_read = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == total:
            all_read.set()

    reader = Reader(files, store=store, metadata=MetadataIndex(None), params=ChunkingParams(),
                    count_texts=_text_count, progress=progress)
    try:
        groups = reader.groups(min_texts=1)
        first = next(groups)
        # while the first group is "being embedded", every other file is read
        assert all_read.wait(120), "the reader waited for the consumer"
        later = list(groups)
    finally:
        reader.close()
        store.close()
    assert [f.path for f in first] == files[:1]
    assert len(later) == 1, "the files read meanwhile come as one group"
    rest = later[0]
    assert not reader._thread.is_alive()
    got = [f.path for f in first + rest]
    assert got == [f for f in files if f.suffix == ".md"]  # file order, the broken one out
    assert all(f.texts > len(f.prepared.chunks) > 0 for f in first + rest)
    assert [s.path for s in reader.results.skipped] == [str(files[2])]
    assert {"parse", "chunk", "read"} <= set(reader.results.stages)

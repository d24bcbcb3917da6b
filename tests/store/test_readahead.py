"""Read-ahead at start: which files a serving process warms, in what order, within what limit."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from assistant.store import readahead
from vectorstore.embedder import WEIGHTS_FILE, model_dir


def test_plan_covers_libraries_model_indexes_then_the_database(corpus_assistant: Any) -> None:
    s = corpus_assistant.settings
    weights = model_dir() / WEIGHTS_FILE
    files = readahead.serving_files(s.store_dir, s.keyword_dir, weights, memory=1 << 40)
    names = [f.name for f in files]
    assert any(n.startswith("libtorch_cpu") for n in names)
    assert any(n.startswith("chromadb_rust_bindings") for n in names)
    assert files.index(weights) > max(i for i, f in enumerate(files) if "torch" in f.parts)
    assert "data_level0.bin" in names  # the vector index
    keyword = [f for f in files if s.keyword_dir in f.parents]
    assert keyword, "the keyword index's segments are read ahead"
    assert files[-1] == s.store_dir / "chroma.sqlite3"
    assert all(f.is_file() for f in files)


def test_a_database_too_big_for_memory_is_left_to_be_read_on_demand(
    corpus_assistant: Any,
) -> None:
    s = corpus_assistant.settings
    size = (s.store_dir / "chroma.sqlite3").stat().st_size
    files = readahead.serving_files(s.store_dir, s.keyword_dir, None, memory=2 * size)
    assert s.store_dir / "chroma.sqlite3" not in files  # above a quarter of memory
    assert "data_level0.bin" in {f.name for f in files}


def test_a_store_on_a_server_has_no_local_files(tmp_path: Path) -> None:
    files = readahead.serving_files(tmp_path / "none", tmp_path / "kw", None, memory=1 << 40)
    assert files == readahead.library_files()


def test_read_ahead_covers_every_byte_and_skips_what_is_gone(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (readahead.CHUNK * 2 + 123))  # more than one call's worth
    small = tmp_path / "small.bin"
    small.write_bytes(b"y" * 10)
    total = readahead.read_ahead([big, tmp_path / "missing", small])
    assert total == big.stat().st_size + 10


def test_start_runs_on_a_daemon_thread_and_survives_a_bad_plan(tmp_path: Path) -> None:
    def plan() -> list[Path]:
        raise OSError("the disk went away")

    thread = readahead.start(plan)
    thread.join(timeout=10)
    assert isinstance(thread, threading.Thread) and thread.daemon and not thread.is_alive()
    good = readahead.start(lambda: [tmp_path / "nothing"])
    good.join(timeout=10)
    assert not good.is_alive()

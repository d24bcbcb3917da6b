"""Read ahead, at start, the files a serving process is about to read, so a cold disk cache
does not make its start and first questions slow.

A store nobody has read for a while, or a freshly booted machine, has none of its files in the
kernel's page cache. Importing torch and Chroma's bindings and answering the first questions
then fault pages in one small random read at a time: measured on a 2-core VM with a cold cache,
a 100,000-passage store took 5-8 s to be ready (most of it imports) and 100-280 ms per first
question, against 3-4 s and 35-80 ms warm, while the same bytes read in order take a second or
two. So ``start`` asks the kernel (``posix_fadvise(WILLNEED)``, on a background thread; it
reads nothing into this process's memory) to read these files ahead, in the order they are
needed:

1. the shared libraries of the packages serving imports (found by ``importlib.util.find_spec``,
   which imports nothing) and the model's weights;
2. the store's vector index files and the keyword index's segments;
3. the store's SQLite file, where passages' texts and metadata are read per question, when it
   fits in a quarter of the memory available (so a very large store does not evict the rest of
   the machine's cache; its pages are then read as questions need them).

Measured there (``rla bench``'s probe after ``drop_caches``, twice each): answer p95 from 109
and 118 ms to 76 and 57 ms; ready from 5.5 and 4.7 s to 7.0 and 5.6 s, since the SQLite file's
reading shares the disk with the imports' (read after the start instead, the first questions
waited behind it: p95 146-198 ms). Nothing waits for it and nothing depends on it: without
it, or where ``posix_fadvise`` does not exist, the same reads happen on demand.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from assistant.errors import ModelIntegrityError
from vectorstore.embedder import WEIGHTS_FILE, model_dir

log = logging.getLogger(__name__)

# Packages whose compiled libraries every serving process maps (the model, the store, tokens).
# In the order a start loads them.
PACKAGES = ("chromadb_rust_bindings", "numpy", "numpy.libs", "tokenizers", "safetensors",
            "torch")
CHUNK = 4 << 20  # bytes asked for per call
SQLITE_SHARE = 0.25  # of MemAvailable: the largest SQLite file read ahead whole


def library_files(packages: Sequence[str] = PACKAGES) -> list[Path]:
    """The shared libraries (``*.so``, ``*.so.N``) inside each installed package, biggest
    first within a package; packages not installed are skipped."""
    out: list[Path] = []
    for name in packages:
        folder = _package_dir(name)
        if folder is None:
            continue
        found = [*folder.glob("*.so*"), *folder.glob("*/*.so*")]  # not deeper: few reads
        libs = [p for p in found if p.is_file() and _is_library(p.name)]
        out.extend(sorted(libs, key=lambda p: -p.stat().st_size))
    return out


def _package_dir(name: str) -> Path | None:
    if "." in name:  # a data folder beside a package (numpy.libs), not a module
        parent = _package_dir(name.split(".")[0])
        folder = parent.parent / name if parent is not None else None
        return folder if folder is not None and folder.is_dir() else None
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _is_library(name: str) -> bool:
    return name.endswith(".so") or ".so." in name  # not "x.sound", say


def store_files(store_dir: Path, keyword_dir: Path) -> tuple[list[Path], Path | None]:
    """The vector index and keyword segment files under a store, and its SQLite file (None
    when there is none: a store on a Chroma server)."""
    small: list[Path] = []
    if store_dir.is_dir():
        small.extend(p for d in sorted(store_dir.iterdir()) if d.is_dir()
                     for p in sorted(d.iterdir()) if p.is_file())
    if keyword_dir.is_dir():
        small.extend(sorted(p for p in keyword_dir.rglob("*") if p.is_file()))
    sqlite = store_dir / "chroma.sqlite3"
    return small, sqlite if sqlite.is_file() else None


def serving_files(
    store_dir: Path, keyword_dir: Path, model_file: Path | None, memory: int | None = None
) -> list[Path]:
    """What a start and its first questions read, in that order: libraries, the model's
    weights, the vector and keyword indexes, then the SQLite file if it fits in
    ``SQLITE_SHARE`` of ``memory`` (default: the memory available now)."""
    files = library_files()
    if model_file is not None and model_file.is_file():
        files.append(model_file)
    small, sqlite = store_files(store_dir, keyword_dir)
    files.extend(small)
    memory = available_bytes() if memory is None else memory
    if sqlite is not None and sqlite.stat().st_size <= SQLITE_SHARE * memory:
        files.append(sqlite)
    return files


def available_bytes() -> int:
    """MemAvailable from /proc/meminfo (0 when it cannot be read: then nothing optional)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def read_ahead(files: Iterable[Path]) -> int:
    """Ask the kernel to read each file into its cache (``posix_fadvise(WILLNEED)``, which
    starts the reads without waiting for them and copies nothing into this process); return
    the bytes asked for. Files missing or unreadable are skipped: this is only a hint."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return 0
    total = 0
    for path in files:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            size = os.fstat(fd).st_size
            for offset in range(0, size, CHUNK):  # the kernel reads only a few MB per call
                advise(fd, offset, min(CHUNK, size - offset), os.POSIX_FADV_WILLNEED)
            total += size
        except OSError as exc:
            log.debug("read-ahead of %s failed: %s", path, exc)
        finally:
            os.close(fd)
    return total


def start(files: Callable[[], list[Path]]) -> threading.Thread:
    """``read_ahead(files())`` on a daemon thread, started now (finding the files reads
    directories, so that is on the thread too)."""

    def run() -> None:
        try:
            total = read_ahead(files())
            log.debug("read ahead %.0f MB", total / 1e6)
        except OSError as exc:  # a hint only: never let it stop a start
            log.debug("read-ahead stopped: %s", exc)

    thread = threading.Thread(target=run, name="rla-readahead", daemon=True)
    thread.start()
    return thread


def warm(store_dir: Path, keyword_dir: Path) -> threading.Thread:
    """Read ahead what serving a store reads (``serving_files``), on a thread."""
    return start(lambda: serving_files(store_dir, keyword_dir, _weights()))


def _weights() -> Path | None:
    try:
        return model_dir() / WEIGHTS_FILE
    except ModelIntegrityError:  # reported where the model is loaded
        return None

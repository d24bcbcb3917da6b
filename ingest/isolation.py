"""Read one file in a separate worker process, with a time and a memory limit.

A damaged or crafted file can make a parser loop, recurse or allocate without end (a PDF
whose content streams take minutes each, a decompression bomb). Reading it in a child process
bounds all of that: past ``timeout_s`` the child is killed, an allocation past the memory limit
fails inside the child, and a crash of the child is one skipped file, never a stopped batch.

Children are forked from a small "forkserver" process that has imported the loaders once (not
from the app's own process, which holds the model, Chroma and threads), and a batch reads
file after file in one child (``Worker``), replaced only when a file kills, hangs or exhausts
it.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from multiprocessing import popen_forkserver, spawn
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from assistant.errors import UnreadableFileError
from ingest.metadata import MetadataIndex
from ingest.pipeline import ChunkingParams, Prepared, prepare

log = logging.getLogger(__name__)

T = TypeVar("T")
MEMORY_MB = 4096  # address-space limit of a reading child: far above any real report
_LAUNCH = threading.Lock()
_real_preparation_data = spawn.get_preparation_data
_PRELOAD = ["ingest.pipeline", "ingest.pdf_loader", "ingest.text_loader", "ingest.docx_loader",
            "ingest.html_loader", "pypdf"]


def _process(**kwargs: Any) -> Any:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn").Process(**kwargs)
    multiprocessing.get_context("forkserver").set_forkserver_preload(_PRELOAD)
    return _Process(**kwargs)


def _without_main(name: str) -> dict[str, Any]:
    data: dict[str, Any] = _real_preparation_data(name)
    data.pop("init_main_from_name", None)
    data.pop("init_main_from_path", None)
    return data


class _Popen(popen_forkserver.Popen):
    """Starts a child that does not re-run the caller's ``__main__`` first.

    multiprocessing re-imports ``__main__`` in each child so that functions defined there can
    be found; ours live in ``ingest``, and a script that calls ``Assistant.ingest`` without an
    ``if __name__ == "__main__"`` guard would otherwise run again in every child.
    """

    def _launch(self, process_obj: Any) -> None:
        with _LAUNCH:  # the swap is process-wide: one launch at a time
            spawn.get_preparation_data = _without_main
            try:
                super()._launch(process_obj)  # type: ignore[misc]
            finally:
                spawn.get_preparation_data = _real_preparation_data


class _Process(multiprocessing.get_context("forkserver").Process):  # type: ignore[misc]
    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        return _Popen(process_obj)


def _limit_memory(mb: int) -> None:
    try:
        import resource
    except ImportError:  # not on this platform: the time limit still holds
        return
    limit = mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _serve(conn: Connection, memory_mb: int) -> None:
    """The child: take ``(fn, args)`` after ``(fn, args)`` and answer each with ``("ok",
    result)`` or ``("error", path, reason, fatal)``, until ``None`` or the pipe closes."""
    _limit_memory(memory_mb)
    try:
        while True:
            try:
                task = conn.recv()
            except EOFError:
                return
            if task is None:
                return
            fn, args = task
            try:
                conn.send(_answer(fn, args, memory_mb))
            except MemoryError:  # a result too big to send: the child is replaced
                conn.send(("error", "", _memory(memory_mb), True))
    finally:
        conn.close()


def _memory(memory_mb: int) -> str:
    return f"reading it needed more than {memory_mb} MB of memory"


def _answer(fn: Callable[..., Any], args: tuple[Any, ...], memory_mb: int) -> tuple[Any, ...]:
    try:
        result = fn(*args)
    except UnreadableFileError as err:  # its __init__ takes two arguments: send the parts
        return ("error", err.path, err.reason, False)
    except MemoryError:  # the child may be left short of memory: it is replaced
        return ("error", "", _memory(memory_mb), True)
    except Exception as exc:  # a loader bug: one skipped file with the reason
        return ("error", "", f"could not be read ({type(exc).__name__}: {str(exc)[:120]})",
                False)
    return ("ok", result)


class Worker:
    """One reading child, reused for call after call, so what a reader sets up on first use
    (the area gazetteer's patterns: about 0.15 s) is set up once per batch, not per file. A
    child that overruns its time, dies or runs out of memory is replaced for the next call;
    each call keeps the time limit and the child its memory limit."""

    def __init__(self, memory_mb: int = MEMORY_MB) -> None:
        self.memory_mb = memory_mb
        self._child: Any = None
        self._conn: Connection | None = None

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def run(self, fn: Callable[..., T], *args: Any, path: str, timeout_s: float) -> T:
        """``fn(*args)`` in the child; ``UnreadableFileError`` naming ``path`` if it fails,
        takes longer than ``timeout_s`` seconds or dies. ``fn`` and its arguments must
        pickle."""
        conn = self._connection()
        started = time.monotonic()
        conn.send((fn, args))
        if not conn.poll(timeout_s):
            self._discard()
            raise UnreadableFileError(
                path,
                f"reading it took longer than {timeout_s:g} s (RLA_FILE_TIMEOUT_S), so it was "
                "stopped; the file may be damaged or built to hang a reader",
            )
        try:
            message = conn.recv()
        except EOFError:  # the child died without a word: killed, or crashed in C code
            child = self._child
            child.join(5)
            exitcode = child.exitcode
            self._discard()
            raise UnreadableFileError(path, _death(exitcode)) from None
        log.debug("read %s in a worker in %.2f s", path, time.monotonic() - started)
        if message[0] == "ok":
            result: T = message[1]
            return result
        _, err_path, reason, fatal = message
        if fatal:
            self._discard()
        raise UnreadableFileError(err_path or path, reason)

    def close(self) -> None:
        """Stop the child (it finishes nothing: calls are answered before ``run`` returns)."""
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.send(None)
        self._discard(wait=True)

    def _connection(self) -> Connection:
        if self._conn is None:
            ours, theirs = multiprocessing.Pipe(duplex=True)
            child = _process(target=_serve, args=(theirs, self.memory_mb), daemon=True)
            child.start()
            theirs.close()
            self._child, self._conn = child, ours
        return self._conn

    def _discard(self, wait: bool = False) -> None:
        child, conn = self._child, self._conn
        self._child = self._conn = None
        if child is None:
            return
        if wait:
            child.join(5)
        if child.is_alive():
            child.kill()
        child.join(5)
        if conn is not None:
            conn.close()
        child.close()


def run_isolated(
    fn: Callable[..., T],
    *args: Any,
    path: str,
    timeout_s: float,
    memory_mb: int = MEMORY_MB,
) -> T:
    """``fn(*args)`` in a child process of its own (``Worker.run``)."""
    with Worker(memory_mb) as worker:
        return worker.run(fn, *args, path=path, timeout_s=timeout_s)


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        signal = -exitcode
        name = {9: "killed, probably out of memory", 11: "a crash in the PDF reader"}.get(
            signal, f"signal {signal}"
        )
        return f"the reader stopped while reading it ({name})"
    return f"the reader stopped while reading it (exit status {exitcode})"


def prepare_isolated(
    path: Path, metadata: MetadataIndex, params: ChunkingParams, worker: Worker | None = None
) -> Prepared:
    """``ingest.pipeline.prepare`` in a worker (``worker``, or one of its own) bounded by
    ``params.file_timeout_s`` (0: in this process, without limits)."""
    if params.file_timeout_s <= 0:
        return prepare(path, metadata, params)
    if worker is None:
        return run_isolated(prepare, path, metadata, params, path=str(path),
                            timeout_s=params.file_timeout_s)
    return worker.run(prepare, path, metadata, params, path=str(path),
                      timeout_s=params.file_timeout_s)

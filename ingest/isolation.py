"""Read one file in a separate worker process, with a time and a memory limit.

A damaged or crafted file can make a parser loop, recurse or allocate without end (a PDF
whose content streams take minutes each, a decompression bomb). Reading it in a child process
bounds all of that: past ``timeout_s`` the child is killed, an allocation past the memory limit
fails inside the child, and a crash of the child is one skipped file, never a stopped batch.

Children are forked from a small "forkserver" process that has imported the loaders once (not
from the app's own process, which holds the model, Chroma and threads), so each file costs a
fork, not a fresh interpreter.
"""

from __future__ import annotations

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


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...], memory_mb: int) -> None:
    """Run ``fn(*args)`` and send ``("ok", result)`` or ``("error", path, reason)``."""
    _limit_memory(memory_mb)
    try:
        result = fn(*args)
    except UnreadableFileError as err:  # its __init__ takes two arguments: send the parts
        conn.send(("error", err.path, err.reason))
    except MemoryError:
        conn.send(("error", "", f"reading it needed more than {memory_mb} MB of memory"))
    except Exception as exc:  # a loader bug: one skipped file with the reason
        conn.send(("error", "", f"could not be read ({type(exc).__name__}: {str(exc)[:120]})"))
    else:
        try:
            conn.send(("ok", result))
        except MemoryError:
            conn.send(("error", "", f"reading it needed more than {memory_mb} MB of memory"))
    finally:
        conn.close()


def run_isolated(
    fn: Callable[..., T],
    *args: Any,
    path: str,
    timeout_s: float,
    memory_mb: int = MEMORY_MB,
) -> T:
    """``fn(*args)`` in a child process; ``UnreadableFileError`` naming ``path`` if it fails,
    takes longer than ``timeout_s`` seconds or dies. ``fn`` and its arguments must pickle."""
    receive, send = multiprocessing.Pipe(duplex=False)
    child = _process(target=_child, args=(send, fn, args, memory_mb), daemon=True)
    started = time.monotonic()
    child.start()
    send.close()
    try:
        if not receive.poll(timeout_s):
            raise UnreadableFileError(
                path,
                f"reading it took longer than {timeout_s:g} s (RLA_FILE_TIMEOUT_S), so it was "
                "stopped; the file may be damaged or built to hang a reader",
            )
        try:
            message = receive.recv()
        except EOFError:  # the child died without a word: killed, or crashed in C code
            child.join(5)
            raise UnreadableFileError(path, _death(child.exitcode)) from None
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        receive.close()
        child.close()
    log.debug("read %s in a worker in %.2f s", path, time.monotonic() - started)
    if message[0] == "ok":
        result: T = message[1]
        return result
    _, err_path, reason = message
    raise UnreadableFileError(err_path or path, reason)


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        signal = -exitcode
        name = {9: "killed, probably out of memory", 11: "a crash in the PDF reader"}.get(
            signal, f"signal {signal}"
        )
        return f"the reader stopped while reading it ({name})"
    return f"the reader stopped while reading it (exit status {exitcode})"


def prepare_isolated(path: Path, metadata: MetadataIndex, params: ChunkingParams) -> Prepared:
    """``ingest.pipeline.prepare`` in a worker bounded by ``params.file_timeout_s`` (0: in this
    process, without limits)."""
    if params.file_timeout_s <= 0:
        return prepare(path, metadata, params)
    return run_isolated(prepare, path, metadata, params, path=str(path),
                        timeout_s=params.file_timeout_s)

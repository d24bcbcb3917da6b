"""Keeping an embedded store's in-memory view in step with writes by other processes.

An embedded Chroma (``PersistentClient``) loads its vector index into the process that opens
it. Another process's ingest or removal reaches the SQLite file but not that in-memory index:
the running app would return passages that were removed (with no metadata) or miss new ones,
and Chroma raises "Error finding id". So every write stamps a generation file beside the store
with a fresh token (``Generation.bump``); before each operation a process compares the file
with what it last saw (one ``stat``, and a small read only when it changed), and a token it did
not write means "reopen the client" (``Gate``, which waits for operations in flight first).

A Chroma server needs none of this: every client sees the server's one index.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

GENERATION_FILE = "rla-generation"

_StatKey = tuple[int, int, int]  # (inode, size, mtime_ns)


class Generation:
    """The generation file of one store directory and the token this process last saw."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / GENERATION_FILE
        self._lock = threading.Lock()
        self._seen_token = self._read()
        self._seen_stat = self._stat()

    def _stat(self) -> _StatKey | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _read(self) -> str:
        try:
            return self.path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return ""

    def changed_elsewhere(self) -> bool:
        """Whether another process (or store object) wrote since this one last looked."""
        stat = self._stat()
        with self._lock:
            if stat == self._seen_stat:
                return False
            token = self._read()
            self._seen_stat = stat
            return token != self._seen_token

    def mark_seen(self) -> None:
        """The current file is what this process's view now reflects (after a reopen)."""
        with self._lock:
            self._seen_token, self._seen_stat = self._read(), self._stat()

    def bump(self) -> None:
        """Record a write: a new token, written atomically, that this process knows is its own."""
        token = secrets.token_hex(8)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{GENERATION_FILE}.{os.getpid()}.{token}")
        partial.write_text(token + "\n", encoding="ascii")
        with self._lock:
            os.replace(partial, self.path)
            self._seen_token = token
            self._seen_stat = None  # the next look reads the file and finds our own token


class Gate:
    """Operations share the open client; a reopen waits until none is in flight.

    ``use()`` is re-entrant per thread: only a thread's outermost operation looks for changes,
    so an operation that calls another never waits for itself.
    """

    def __init__(self, stale: Callable[[], bool], reopen: Callable[[], None]) -> None:
        self._stale = stale
        self._reopen = reopen
        self._cond = threading.Condition()
        self._busy = 0
        self._local = threading.local()
        self._forced = False

    def force(self) -> None:
        """Reopen before the next operation (after an error that says the view is stale)."""
        with self._cond:
            self._forced = True

    @contextmanager
    def use(self) -> Iterator[None]:
        depth: int = getattr(self._local, "depth", 0)
        if depth == 0:
            with self._cond:
                if self._stale():
                    self._forced = True  # later arrivals wait for the reopen too
                if self._forced:
                    self._cond.wait_for(lambda: self._busy == 0)
                    if self._forced:  # the first waiter to wake reopens; the rest go on
                        self._forced = False
                        self._reopen()
                self._busy += 1
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth
            if depth == 0:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

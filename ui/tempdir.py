"""The app's own temporary folder, under ``RLA_HOME/tmp``, instead of Gradio's shared one.

Gradio keeps uploads (and files it offers for download) in one folder per process, by default
``/tmp/gradio``, which every Gradio app on the machine shares; an upload that is interrupted,
or never added to the library, would stay there. Here each running app has a folder of its own,
``RLA_HOME/tmp/<id>/``, held by a lock (``RLA_HOME/tmp/<id>.lock``) for as long as it runs:

- at start, folders whose lock is no longer held (their app stopped or crashed) are removed;
- after each upload the uploaded files go, and anything in the folder older than ``STALE_S``;
- when the app stops, its folder goes.

Gradio reads its folder from ``GRADIO_TEMP_DIR`` whenever it needs it, so it is set for the
whole process: one app per process (as ``rla serve`` runs it).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

TMP = "tmp"
STALE_S = 3600.0  # an upload not added to the library within an hour is dropped
LOCK_SUFFIX = ".lock"


@dataclass
class TempDir:
    """One app's temporary folder and the lock that marks it as in use."""

    path: Path
    fd: int

    def sweep_stale(self, older_than_s: float = STALE_S) -> None:
        """Remove what was last written more than ``older_than_s`` seconds ago."""
        sweep_stale(self.path, older_than_s)

    def close(self) -> None:
        """Remove the folder and its lock (the app has stopped); once only."""
        if self.fd < 0:
            return
        shutil.rmtree(self.path, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.path.with_name(self.path.name + LOCK_SUFFIX).unlink()
        fd, self.fd = self.fd, -1
        with contextlib.suppress(OSError):
            os.close(fd)


def claim(home: Path) -> TempDir:
    """A fresh folder for this app under ``home/tmp``, and Gradio pointed at it; folders of
    apps that are no longer running are removed first."""
    root = home / TMP
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    remove_abandoned(root)
    name = secrets.token_hex(8)
    # Locked under a temporary name, then renamed: a lock file is never seen unlocked.
    partial = root / f".{name}{LOCK_SUFFIX}.partial"
    fd = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.rename(partial, root / f"{name}{LOCK_SUFFIX}")
    path = root / name
    path.mkdir(mode=0o700)
    os.environ["GRADIO_TEMP_DIR"] = str(path)
    return TempDir(path, fd)


def _held(lock: Path) -> bool:
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a lock taken just now
    return False


def remove_abandoned(root: Path, grace_s: float = 60.0) -> None:
    """Remove the folders under ``root`` whose app no longer holds their lock."""
    now = time.time()
    for entry in root.iterdir():
        with contextlib.suppress(OSError):
            if entry.name.endswith(LOCK_SUFFIX + ".partial"):
                if now - entry.stat().st_mtime > grace_s:  # a start that died half-way
                    entry.unlink()
                continue
            if entry.name.endswith(LOCK_SUFFIX):
                if not entry.with_name(entry.name[: -len(LOCK_SUFFIX)]).exists() and not _held(
                    entry
                ):
                    entry.unlink()
                continue
            if _held(entry.with_name(entry.name + LOCK_SUFFIX)):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink()
            entry.with_name(entry.name + LOCK_SUFFIX).unlink(missing_ok=True)


def sweep_stale(folder: Path, older_than_s: float = STALE_S) -> None:
    """Remove files under ``folder`` not written for ``older_than_s`` seconds, then the
    folders, as old, that leaves empty."""
    cutoff = time.time() - older_than_s
    emptied: set[Path] = set()  # folders this sweep took files out of
    for dirpath, dirnames, filenames in os.walk(folder, topdown=False):
        here = Path(dirpath)
        for name in filenames:
            with contextlib.suppress(OSError):
                if (here / name).lstat().st_mtime < cutoff:
                    (here / name).unlink()
                    emptied.add(here)
        for name in dirnames:
            sub = here / name
            with contextlib.suppress(OSError):
                if sub in emptied or sub.lstat().st_mtime < cutoff:
                    sub.rmdir()  # only if empty
                    emptied.add(here)


def owned_by(folder: Path, home: Path) -> bool:
    """Whether ``folder`` is one of the app folders under ``home/tmp`` (never Gradio's
    shared folder, where other apps' files are)."""
    try:
        return folder.resolve().parent == (home / TMP).resolve()
    except OSError:
        return False

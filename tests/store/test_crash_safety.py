"""Crash safety: an ingest stopped at any point (an exception at every single store write, and
``kill -9`` of ``rla ingest`` at random moments) leaves a store that the next run makes whole:
no chunk without its card or card without all its chunks, no duplicates, the interrupted files
ingested, the files stored earlier untouched."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.core import Assistant
from assistant.store.integrity import store_problems

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "assistant" / "sample_corpus"
SMALL_PDFS = [
    "ci-news-learning-from-scrs-2012-2015.pdf",
    "ci-news-learning-from-scrs-2015-2018.pdf",
    "learning-from-serious-case-reviews-briefing.pdf",
]
CORPUS_PDF = REPO.parent / "shared" / "corpus" / "pdf"


def _inputs(folder: Path, version: int = 1, *, small: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for md in sorted(SAMPLE.glob("*.md"))[: 2 if small else 4]:
        shutil.copyfile(md, folder / md.name)
    for name in SMALL_PDFS[: 1 if small else 3]:
        shutil.copyfile(CORPUS_PDF / name, folder / name)
    for i in range(3 if small else 5):
        words = f"Note {i} version {version if i == 0 else 1} on practice and supervision. "
        (folder / f"note-{i}.txt").write_text(words * (40 + 30 * i), encoding="utf-8")
    return folder


def _state(assistant: Assistant) -> dict[str, tuple[str, tuple[str, ...]]]:
    """file -> (doc id, chunk ids)."""
    return {c.file: (c.doc_id, tuple(x.chunk_id for x in assistant.store.chunks_for(c.doc_id)))
            for c in assistant.documents()}


class Crash(BaseException):
    """Stands for the process dying: nothing catches it."""


@pytest.mark.slow
def test_a_crash_at_any_store_write_is_made_whole_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: Any
) -> None:
    """The process "dies" (an exception nothing catches) at each write in turn: every Chroma
    write and the copy of the file into RLA_HOME/files, injected at the library boundary
    (chromadb's Collection, shutil.copyfile); the project's own code runs unchanged."""
    from chromadb.api.models.Collection import Collection

    v1, v2 = _inputs(tmp_path / "v1", small=True), _inputs(tmp_path / "v2", 2, small=True)

    def assistant(home: Path) -> Assistant:
        settings = replace(Settings.from_env({}), home=home, file_timeout_s=0)
        a = Assistant(settings, embedder=embedder)
        a.store._max_batch = 4  # several upserts per document: crash between them too
        return a

    reference = assistant(tmp_path / "reference")
    reference.ingest([v1])
    expected_v1 = _state(reference)
    reference.ingest([v2])  # note-0.txt replaced by its version 2
    expected_v2 = _state(reference)
    assert expected_v2["note-0.txt"] != expected_v1["note-0.txt"]

    writes = {"n": 0, "crash_at": -1}
    real = {name: getattr(Collection, name) for name in ("upsert", "delete", "add", "update")}
    real_copy = shutil.copyfile

    def counted(fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            writes["n"] += 1
            if writes["n"] == writes["crash_at"]:
                raise Crash
            return fn(*args, **kwargs)
        return call

    for name, fn in real.items():
        monkeypatch.setattr(Collection, name, counted(fn))
    monkeypatch.setattr(shutil, "copyfile", counted(real_copy))

    def run_with_crash(home: Path, folder: Path, at: int) -> bool:
        writes["n"], writes["crash_at"] = 0, at
        try:
            assistant(home).ingest([folder])
        except Crash:
            return True
        finally:
            writes["crash_at"] = -1
        return False

    for stage, folder, before, expected in (("first", v1, None, expected_v1),
                                            ("replace", v2, v1, expected_v2)):
        at = 1
        while True:
            home = tmp_path / f"{stage}-{at}"
            if before is not None:
                assistant(home).ingest([before])
            stored_before = _state(assistant(home))
            if not run_with_crash(home, folder, at):
                break  # past the last write: every point has been tried
            crashed = assistant(home)
            damaged = [p for p in store_problems(crashed.store) if "have no card" not in p]
            assert damaged == [], f"{stage}, crash at write {at}: {damaged}"
            for file, (doc_id, ids) in _state(crashed).items():
                # What has a card is whole, and is either what was there or what will be.
                assert (doc_id, ids) in (stored_before.get(file), expected[file]), (stage, at)
            crashed.ingest([folder])
            assert _state(crashed) == expected, f"{stage}, crash at write {at}"
            assert store_problems(crashed.store, crashed.settings.files_dir) == []
            at += 1
        assert at > 4  # the runs did write many times


# -- kill -9 of the real command ------------------------------------------------------------


def _rla(*args: str, home: Path) -> list[str]:
    rla = Path(sys.executable).parent / "rla"
    cmd = [str(rla)] if rla.exists() else [sys.executable, "-c",
                                           "from assistant.cli import main; main()"]
    return [*cmd, *args]


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "RLA_HOME": str(home), "PYTHONPATH": str(REPO)}


def _check(home: Path) -> dict[str, Any]:
    out = subprocess.run(_rla("check", "--json", home=home), env=_env(home), capture_output=True,
                         text=True, timeout=120)
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def _ingest(home: Path, folder: Path) -> tuple[float, dict[str, Any]]:
    started = time.monotonic()
    out = subprocess.run(_rla("ingest", "--json", str(folder), home=home), env=_env(home),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return time.monotonic() - started, json.loads(out.stdout)


def _wait_for_store_phase(proc: subprocess.Popen[bytes], files: Path, limit: float) -> bool:
    """Wait until the run starts writing (its first stored copy appears); False if it ended."""
    before = set(files.glob("*")) if files.exists() else set()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        if files.exists() and set(files.glob("*")) - before:
            return True
        time.sleep(0.02)
    return proc.poll() is None


@pytest.mark.slow
@pytest.mark.stress
def test_kill_9_during_ingest_then_the_next_run_makes_the_store_whole(tmp_path: Path) -> None:
    seed = int(os.environ.get("RLA_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    folder = _inputs(tmp_path / "in", small=True)
    home, reference = tmp_path / "home", tmp_path / "reference"
    wall, report = _ingest(reference, folder)
    store_s = float(report["stage_seconds"].get("store", 1.0))
    kills = halfway = during_writes = 0
    seen: dict[str, tuple[str, int]] = {}  # file -> (doc id, chunks) once it had a card
    replaced: set[str] = set()
    for attempt in range(5):
        for j in range(2):  # every run has new files to read, embed and store
            text = f"Added note {attempt}-{j} about escalation and challenge. "
            (folder / f"added-{attempt}-{j}.txt").write_text(text * 60, encoding="utf-8")
        if attempt == 3:  # a new version of one file: the next runs replace it
            (folder / "note-0.txt").write_text("A replaced note on supervision. " * 90)
            replaced.add("note-0.txt")
        proc = subprocess.Popen(_rla("ingest", str(folder), home=home), env=_env(home),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        # A third of the kills anywhere in the run, the rest among the writes at its end.
        writing = False
        if attempt % 3 == 0:
            time.sleep(rng.uniform(0.5, wall))
        elif _wait_for_store_phase(proc, home / "files", limit=wall * 3):
            time.sleep(rng.uniform(0.0, store_s * 0.8))
            writing = True
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the worker that reads files goes too
            kills += 1
            during_writes += writing
        proc.wait(timeout=60)
        state = _check(home)
        damaged = [p for p in state["problems"] if "have no card" not in p]
        assert damaged == [], f"seed {seed}, attempt {attempt}: {damaged}"
        halfway += len(state["problems"]) > 0  # killed between a document's first and last write
        for card in state["cards"]:  # what had a card keeps it, unchanged
            before = seen.get(card["file"])
            now = (card["doc_id"], card["chunks"])
            if before is not None and before != now:
                assert card["file"] in replaced, (seed, attempt, card)
                replaced.discard(card["file"])  # replaced once, never back
            seen[card["file"]] = now
    assert kills >= 3, f"seed {seed}: the runs finished before they could be killed"
    print(f"seed {seed}: {kills} kills, {during_writes} while storing, {halfway} left chunks "
          "without a card")
    _ingest(home, folder)
    _ingest(reference, folder)
    final, expected = _check(home), _check(reference)
    assert final["problems"] == [], f"seed {seed}: {final['problems']}"
    got = sorted((c["file"], c["doc_id"], c["chunks"]) for c in final["cards"])
    assert got == sorted((c["file"], c["doc_id"], c["chunks"]) for c in expected["cards"])
    assert final["chunk_counts"] == expected["chunk_counts"]  # no duplicates, nothing extra

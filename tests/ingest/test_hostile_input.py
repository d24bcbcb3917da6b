"""Bad and hostile files, through the Assistant, the CLI and the UI upload: each is skipped with
a message that names it, the batch goes on, and nothing stored before is lost."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import hostile_files as h
import pytest

from assistant.config import Settings
from assistant.core import Assistant
from assistant.errors import SettingsError, UnreadableFileError
from assistant.store.indexing import ingest_paths
from assistant.store.integrity import store_problems
from assistant.types import IngestReport
from ingest.isolation import Worker, run_isolated
from ingest.pipeline import ChunkingParams
from ui import handlers

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "assistant" / "sample_corpus"
CORPUS_PDF = REPO.parent / "shared" / "corpus" / "pdf"
BRIEFING = CORPUS_PDF / "learning-from-serious-case-reviews-briefing.pdf"
ENGLAND_MD = SAMPLE / "rla-briefing-england-serious-case-reviews.md"
PROSE = "The review found that “professional curiosity” was lacking at the café. " * 30
SPANISH = "Señora Núñez said the niño was seen by the health visitor. " * 40
TIMEOUT_S = 5.0

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def _hostile_files(folder: Path) -> dict[str, bytes]:
    good = BRIEFING.read_bytes()
    files = {
        "corrupt.pdf": b"%PDF-1.4\n" + random.Random(1).randbytes(4000) + b"\n%%EOF\n",
        "truncated.pdf": good[: len(good) // 2],
        "encrypted.pdf": h.encrypted_pdf(good, "secret"),
        "encrypted-no-password.pdf": h.encrypted_pdf(good, ""),
        "scanned.pdf": h.image_only_pdf(),
        "empty.pdf": b"",
        "empty.txt": b"",
        "many-pages.pdf": h.text_pdf("Page text", 50_000),
        "many-objects.pdf": h.many_objects_pdf(30_000),
        "slow.pdf": h.slow_pdf(),
        "cyclic.pdf": h.cyclic_pdf(),
        "self-drawing.pdf": h.self_drawing_pdf(),
        "word-named.pdf": b"PK\x03\x04" + bytes(200),
        "pdf-named.txt": good,
        "photo.md": h.png(),
        "tool.exe": b"MZ\x90\x00",
        "README": b"just text",
        "junk.txt": random.Random(2).randbytes(3000),
        "broken.docx": b"PK\x03\x04garbage" * 10,
        "windows-1252.txt": PROSE.encode("cp1252"),
        "latin-1.txt": SPANISH.encode("latin-1"),
        "utf-16.txt": PROSE.encode("utf-16"),
        "utf-16le-without-bom.txt": PROSE.encode("utf-16-le"),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    h.sparse(folder / "huge.pdf", 201 * 1024 * 1024)  # over the default RLA_MAX_FILE_MB
    return files


# file -> words its reason must contain (every reason is also checked to name the file)
SKIPPED = {
    "corrupt.pdf": ["not a readable PDF"],
    "truncated.pdf": ["truncated"],
    "encrypted.pdf": ["encrypted", "password"],
    "scanned.pdf": ["OCR is not supported"],
    "empty.pdf": ["empty (0 bytes)"],
    "empty.txt": ["empty (0 bytes)"],
    "huge.pdf": ["201 MB", "RLA_MAX_FILE_MB"],
    "many-pages.pdf": ["50000 pages", "RLA_MAX_PAGES"],
    "slow.pdf": [f"longer than {TIMEOUT_S:g} s", "RLA_FILE_TIMEOUT_S"],
    "cyclic.pdf": ["not a readable PDF"],
    "word-named.pdf": ["named .pdf", "zip archive", "rename it to .docx"],
    "pdf-named.txt": ["named .txt", "a PDF", "rename it to .pdf"],
    "photo.md": ["PNG image", "cannot be ingested"],
    "tool.exe": ["unsupported file type '.exe'"],
    "README": ["unsupported file type 'no extension'"],
    "junk.txt": ["binary"],
    "broken.docx": ["not a readable Word .docx"],
}
INGESTED = {
    "encrypted-no-password.pdf", "many-objects.pdf", "self-drawing.pdf", "windows-1252.txt",
    "latin-1.txt", "utf-16.txt", "utf-16le-without-bom.txt",
}


@dataclass
class Batch:
    assistant: Assistant
    report: IngestReport
    before: dict[str, list[str]]  # file -> chunk ids, before the hostile batch
    skipped: dict[str, str]  # file name -> reason


def _chunk_ids(assistant: Assistant) -> dict[str, list[str]]:
    return {
        c.file: [x.chunk_id for x in assistant.store.chunks_for(c.doc_id)]
        for c in assistant.documents()
    }


def _assistant(home: Path, embedder: Any, **overrides: Any) -> Assistant:
    settings = replace(Settings.from_env({}), home=home, file_timeout_s=TIMEOUT_S, **overrides)
    return Assistant(settings, embedder=embedder)


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    _hostile_files(folder)
    return folder


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, hostile_dir: Path, embedder: Any) -> Batch:
    assistant = _assistant(tmp_path_factory.mktemp("rla-hostile-home"), embedder)
    assert len(assistant.ingest([SAMPLE]).ingested) == 4
    before = _chunk_ids(assistant)
    started = time.monotonic()
    report = assistant.ingest([hostile_dir])
    # Bounded: the slow PDF costs its time limit, nothing else hangs.
    assert time.monotonic() - started < 60
    skipped = {Path(s.path).name: s.reason for s in report.skipped}
    return Batch(assistant, report, before, skipped)


@pytest.mark.parametrize("name", sorted(SKIPPED))
def test_each_bad_file_is_skipped_with_a_reason_that_names_it(batch: Batch, name: str) -> None:
    assert name in batch.skipped, f"{name} was not skipped: {batch.report.to_dict()}"
    reason = batch.skipped[name]
    for words in SKIPPED[name]:
        assert words in reason, f"{name}: {reason!r}"
    path = next(s.path for s in batch.report.skipped if Path(s.path).name == name)
    assert path.endswith(name)  # the CLI prints "skipped  <path>: <reason>"


def test_the_batch_went_on_and_nothing_stored_before_was_lost(batch: Batch) -> None:
    assert {c.file for c in batch.report.ingested} == INGESTED
    assert set(batch.skipped) == set(SKIPPED)
    after = _chunk_ids(batch.assistant)
    for file, ids in batch.before.items():
        assert after[file] == ids
    assert store_problems(batch.assistant.store, batch.assistant.settings.files_dir) == []


def test_text_in_other_encodings_is_read_correctly(batch: Batch) -> None:
    texts = {c.file: " ".join(x.text for x in batch.assistant.store.chunks_for(c.doc_id))
             for c in batch.assistant.documents()}
    for name in ("windows-1252.txt", "utf-16.txt", "utf-16le-without-bom.txt"):
        assert "“professional curiosity” was lacking at the café" in texts[name], name
    assert "Señora Núñez said the niño" in texts["latin-1.txt"]
    assert "\x00" not in "".join(texts.values()) and "\ufffd" not in "".join(texts.values())


def test_the_page_and_time_limits_are_settings() -> None:
    s = Settings.from_env({"RLA_MAX_PAGES": "12", "RLA_FILE_TIMEOUT_S": "7.5",
                           "RLA_MAX_FILE_MB": "3", "RLA_MAX_CHUNKS": "40"})
    assert (s.max_pages, s.file_timeout_s, s.max_file_mb, s.max_chunks) == (12, 7.5, 3.0, 40)
    assert (Settings.from_env({}).max_file_mb, Settings.from_env({}).max_chunks) == (200, 20_000)
    with pytest.raises(SettingsError, match="RLA_MAX_PAGES"):
        Settings.from_env({"RLA_MAX_PAGES": "0"})
    with pytest.raises(SettingsError, match="RLA_MAX_CHUNKS"):
        Settings.from_env({"RLA_MAX_CHUNKS": "0"})


def test_a_lower_page_limit_applies(tmp_path: Path, embedder: Any) -> None:
    pdf = tmp_path / "three-pages.pdf"
    pdf.write_bytes(h.text_pdf("Three pages of text", 3))
    report = _assistant(tmp_path / "home", embedder, max_pages=2).ingest([pdf])
    assert not report.ingested
    assert "3 pages, over the limit of 2 (RLA_MAX_PAGES)" in report.skipped[0].reason


def test_a_file_over_the_passage_limit_is_skipped_before_it_is_embedded(
    tmp_path: Path, embedder: Any
) -> None:
    assistant = _assistant(tmp_path / "home", embedder)
    assert len(assistant.ingest([SAMPLE]).ingested) == 4
    before = _chunk_ids(assistant)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "big.txt").write_text(PROSE * 12, encoding="utf-8")  # about 4,300 words
    (folder / "small.txt").write_text(PROSE, encoding="utf-8")
    s = assistant.settings
    params = ChunkingParams(s.chunk_words, s.chunk_max_words, s.chunk_min_words,
                            file_timeout_s=TIMEOUT_S, max_chunks=5)
    report = ingest_paths([folder], store=assistant.store, embedder=embedder, params=params)
    assert [c.file for c in report.ingested] == ["small.txt"]
    (skip,) = report.skipped
    assert skip.path == str(folder / "big.txt")
    assert re.fullmatch(r"\d\d passages is over the limit of 5 \(RLA_MAX_CHUNKS\); split the "
                        r"file or raise the limit", skip.reason), skip.reason
    assert report.chunks == report.ingested[0].chunks  # only small.txt's passages embedded
    after = _chunk_ids(assistant)
    assert all(after[f] == ids for f, ids in before.items()) and "big.txt" not in after
    assert store_problems(assistant.store) == []
    # The same file goes in under the default limit.
    default = replace(params, max_chunks=Settings.from_env({}).max_chunks)
    again = ingest_paths([folder], store=assistant.store, embedder=embedder, params=default)
    assert [c.file for c in again.ingested] == ["big.txt"] and again.ingested[0].chunks > 5
    assistant.store.close()


def _hidden_folder(folder: Path) -> dict[str, str]:
    """A folder with hidden files and folders beside visible ones; name -> why it is there."""
    files = {
        "review.md": PROSE,
        ".DS_Store": "\x00\x01 finder data",
        ".notes.md": f"{PROSE} Notes.",
        ".drafts/draft.md": f"{PROSE} A draft.",
        ".drafts/deeper/older.md": f"{PROSE} An older draft.",
        "sub/ok.txt": SPANISH,
        "sub/.~lock.review.docx#": "lock",
    }
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return files


def test_hidden_files_in_a_folder_are_named_in_the_report(tmp_path: Path, embedder: Any) -> None:
    folder = tmp_path / "in"
    _hidden_folder(folder)
    assistant = _assistant(tmp_path / "home", embedder)
    report = assistant.ingest([folder])
    assert sorted(c.file for c in report.ingested) == ["ok.txt", "review.md"]
    assert report.skipped == ()
    hidden = [str(folder / ".DS_Store"), str(folder / ".drafts") + os.sep,
              str(folder / ".notes.md"), str(folder / "sub" / ".~lock.review.docx#")]
    assert list(report.hidden) == hidden  # a hidden folder once, not each file in it
    assert report.to_dict()["hidden"] == hidden
    assert report.hidden_note == ("hidden    4 file(s) or folder(s) not read, as their names "
                                  "start with '.': .DS_Store, .drafts/, .notes.md, "
                                  ".~lock.review.docx#")
    # Named on its own, a hidden file is read like any other.
    alone = assistant.ingest([folder / ".notes.md"])
    assert [c.file for c in alone.ingested] == [".notes.md"] and alone.hidden == ()
    assert alone.hidden_note == ""
    assistant.store.close()


def test_many_hidden_files_are_counted_after_the_first_five(tmp_path: Path) -> None:
    report = IngestReport(hidden=tuple(str(tmp_path / f".f{i}") for i in range(8)))
    assert report.hidden_note.endswith("'.': .f0, .f1, .f2, .f3, .f4 and 3 more")
    assert report.hidden_note.startswith("hidden    8 file(s) or folder(s) not read")


# -- the CLI --------------------------------------------------------------------------------


def test_cli_ingest_names_each_bad_file_and_carries_on(
    hostile_dir: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from assistant.cli import main

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("encrypted.pdf", "scanned.pdf", "slow.pdf", "junk.txt", "empty.txt",
                 "latin-1.txt", "huge.pdf", "pdf-named.txt"):
        src = hostile_dir / name
        if name == "huge.pdf":
            h.sparse(folder / name, src.stat().st_size)
        else:
            shutil.copyfile(src, folder / name)
    env = {"RLA_HOME": str(tmp_path / "home"), "RLA_FILE_TIMEOUT_S": str(TIMEOUT_S)}
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(SAMPLE)], env=env).exit_code == 0
    result = runner.invoke(main, ["ingest", str(folder)], env=env)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    for name in ("encrypted.pdf", "scanned.pdf", "slow.pdf", "junk.txt", "empty.txt",
                 "huge.pdf", "pdf-named.txt"):
        line = next((ln for ln in lines if ln.startswith("skipped") and name in ln), None)
        assert line is not None, f"{name} not reported: {result.stderr}"
        assert re.match(rf"skipped\s+{re.escape(str(folder / name))}: \S", line)
    assert "ingested  latin-1.txt" in result.stdout
    listing = runner.invoke(main, ["list"], env=env).stdout
    assert "latin-1.txt" in listing and listing.count("rla-briefing") == 4


def test_cli_ingest_json_lists_the_hidden_files(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from assistant.cli import main

    folder = tmp_path / "in"
    _hidden_folder(folder)
    env = {"RLA_HOME": str(tmp_path / "home"), "RLA_FILE_TIMEOUT_S": str(TIMEOUT_S)}
    result = CliRunner().invoke(main, ["ingest", "--json", str(folder)], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [Path(p).name for p in report["hidden"]] == [
        ".DS_Store", ".drafts", ".notes.md", ".~lock.review.docx#"]
    assert sorted(c["file"] for c in report["ingested"]) == ["ok.txt", "review.md"]


# -- the UI upload --------------------------------------------------------------------------


@pytest.fixture
def ui_assistant(tmp_path: Path, embedder: Any) -> Iterator[Assistant]:
    assistant = _assistant(tmp_path / "home", embedder)
    assert len(assistant.ingest([SAMPLE]).ingested) == 4
    yield assistant
    assistant.store.close()


def _sent(tmp_path: Path, name: str, data: bytes) -> str:
    """A file as Gradio hands it over: its own folder, the name the browser sent."""
    folder = tmp_path / f"sent-{len(list(tmp_path.glob('sent-*')))}"
    folder.mkdir()
    (folder / name).write_bytes(data)
    return str(folder / name)


def test_ui_upload_reports_each_bad_file_and_keeps_the_library(
    ui_assistant: Assistant, hostile_dir: Path, tmp_path: Path
) -> None:
    before = _chunk_ids(ui_assistant)
    names = ["encrypted.pdf", "scanned.pdf", "truncated.pdf", "empty.pdf", "junk.txt",
             "photo.md", "windows-1252.txt", "slow.pdf", "broken.docx"]
    sent = [_sent(tmp_path, n, (hostile_dir / n).read_bytes()) for n in names]
    outcomes = handlers.upload(ui_assistant, sent)
    assert [o.name for o in outcomes] == names
    by_name = {o.name: o for o in outcomes}
    assert by_name["windows-1252.txt"].ok
    for name in ("encrypted.pdf", "scanned.pdf", "truncated.pdf", "empty.pdf", "junk.txt",
                 "photo.md", "slow.pdf"):
        assert not by_name[name].ok and SKIPPED[name][0] in by_name[name].message, name
    assert "not a PDF, TXT or MD" in by_name["broken.docx"].message
    after = _chunk_ids(ui_assistant)
    assert all(after[f] == ids for f, ids in before.items())
    uploads = handlers.uploads_dir(ui_assistant)
    assert sorted(p.name for p in uploads.iterdir()) == ["windows-1252.txt"]  # no staging left
    assert store_problems(ui_assistant.store, ui_assistant.settings.files_dir) == []


NASTY_NAMES = [
    "..\\..\\windows\\system32\\evil.md",
    "...md",
    "\x1b[31mred\x1b[0m.md",
    "line\nbreak.md",
    "tab\tand\rreturn.txt",
    "Доклад о проверке.md",
    ("a" * 240) + ".md",
    ".hidden.txt",
    "spaces   and (brackets) [1].md",
    "same.md",
]


def test_upload_names_never_leave_the_uploads_folder(
    ui_assistant: Assistant, tmp_path: Path
) -> None:
    sent = [_sent(tmp_path, n, f"{PROSE} File {i}.".encode()) for i, n in enumerate(NASTY_NAMES)]
    sent.append(_sent(tmp_path, "same.md", f"{PROSE} Another file.".encode()))
    red = next(Path(x) for x in sent if "red" in x)
    sent.append(str(tmp_path / "sent-0" / ".." / red.parent.name / red.name))
    sent.append(str(tmp_path / "gone" / "vanished.md"))  # removed before it was copied
    sent.append(str(tmp_path / "sent-0" / ".."))  # a folder: no suffix, refused unread
    outcomes = handlers.upload(ui_assistant, sent)
    assert len(outcomes) == len(sent)
    uploads = handlers.uploads_dir(ui_assistant).resolve()
    stored = list(uploads.iterdir())
    for path in stored:
        assert path.parent == uploads and path.is_file()
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,110}", path.name), path.name
    for o in outcomes:  # the names shown back are printable
        assert not any(ord(c) < 32 for c in o.name)
    ok = [o for o in outcomes if o.ok]
    assert len(ok) == len(sent) - 2  # only the folder named ".." and the vanished file
    assert "cannot read the file" in outcomes[-2].message
    assert {"same.md", "same-2.md"} <= {p.name for p in stored}
    assert not list(tmp_path.parent.glob("*.md"))  # nothing written where a name pointed
    assert store_problems(ui_assistant.store, ui_assistant.settings.files_dir) == []


def test_a_damaged_upload_never_replaces_a_good_copy(
    ui_assistant: Assistant, tmp_path: Path
) -> None:
    first = handlers.upload(ui_assistant, [_sent(tmp_path, "review.txt", PROSE.encode())])
    assert first[0].ok
    copy = handlers.uploads_dir(ui_assistant) / "review.txt"
    damaged = random.Random(3).randbytes(5000)
    second = handlers.upload(ui_assistant, [_sent(tmp_path, "review.txt", damaged)])
    assert not second[0].ok and "binary" in second[0].message
    assert copy.read_bytes() == PROSE.encode()
    assert "review.txt" in {c.file for c in ui_assistant.documents()}


# -- the worker process ---------------------------------------------------------------------


def _call(fn: Callable[..., Any], *args: Any, timeout_s: float = 10) -> Any:
    return run_isolated(fn, *args, path="some.pdf", timeout_s=timeout_s)


def test_a_reader_that_hangs_is_stopped() -> None:
    started = time.monotonic()
    with pytest.raises(UnreadableFileError, match="longer than 1 s") as err:
        _call(time.sleep, 60, timeout_s=1)
    assert err.value.path == "some.pdf" and time.monotonic() - started < 10


def test_a_reader_that_dies_or_runs_out_of_memory_is_one_skipped_file() -> None:
    assert _call(os.getpid) != os.getpid()  # the work ran in another process
    with pytest.raises(UnreadableFileError, match="exit status 3"):
        _call(os._exit, 3)
    with pytest.raises(UnreadableFileError, match="more than 4096 MB"):
        _call(bytearray, 6 * 1024**3)


def test_one_worker_reads_file_after_file_and_is_replaced_after_each_failure() -> None:
    def run(worker: Worker, fn: Callable[..., Any], *args: Any, timeout_s: float = 10) -> Any:
        return worker.run(fn, *args, path="some.pdf", timeout_s=timeout_s)

    with Worker() as worker:
        first = run(worker, os.getpid)
        assert first != os.getpid() and run(worker, os.getpid) == first  # reused
        with pytest.raises(UnreadableFileError, match="longer than 1 s"):
            run(worker, time.sleep, 60, timeout_s=1)
        after_hang = run(worker, os.getpid)
        assert after_hang != first
        with pytest.raises(UnreadableFileError, match="exit status 3"):
            run(worker, os._exit, 3)
        after_death = run(worker, os.getpid)
        assert after_death not in (first, after_hang)
        with pytest.raises(UnreadableFileError, match="more than 4096 MB"):
            run(worker, bytearray, 6 * 1024**3)
        assert run(worker, os.getpid) != after_death  # replaced: it may be short of memory
        with pytest.raises(UnreadableFileError, match=r"could not be read \(ValueError"):
            run(worker, int, "not a number")
        assert run(worker, len, "four") == 4  # an ordinary failure keeps the child
    assert worker._child is None  # closed with the block


def test_a_script_without_a_main_guard_is_not_run_again_in_the_worker(tmp_path: Path) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from pathlib import Path\n"
        "from ingest.isolation import prepare_isolated\n"
        "from ingest.metadata import MetadataIndex\n"
        "from ingest.pipeline import ChunkingParams\n"
        "print('script ran')\n"
        f"p = prepare_isolated(Path({str(ENGLAND_MD)!r}), MetadataIndex(None),"
        " ChunkingParams(file_timeout_s=30))\n"
        "print('chunks', len(p.chunks))\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env=env, timeout=120, check=True).stdout
    assert out.count("script ran") == 1 and "chunks" in out

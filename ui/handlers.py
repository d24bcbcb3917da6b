"""The app's handlers as plain functions of an ``Assistant``: no Gradio here, so tests call them
directly. ``ui.app`` wires them to components and turns ``RlaError`` into notices.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from assistant.core import UPLOADS, Assistant, Filters
from assistant.types import CardKey, Citation, DocumentCard, IngestReport
from ui.render import FileOutcome, FileUrl, Turn, chat_messages, evidence_html

UPLOAD_TYPES = (".pdf", ".txt", ".md", ".markdown")
LIBRARY_HEADERS = ["Title", "Type", "Year", "Pages", "Chunks", "File", "Nation", "Review types"]
FILE_ROUTE = "gradio_api/file="  # Gradio's route for files under launch(allowed_paths=...)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
STAGING_PREFIX = ".incoming-"  # uploads wait here until they are in the store

# (fraction done 0..1, what is happening) as shown by a progress bar.
ProgressBar = Callable[[float, str], None]


@dataclass(frozen=True)
class ChatView:
    """What the chat tab shows after a question."""

    messages: list[dict[str, str]]
    evidence: str
    turns: list[Turn]


# -- asking -------------------------------------------------------------------------------


def ask(assistant: Assistant, question: str, turns: Sequence[Turn]) -> list[Turn]:
    """Answer ``question`` in the light of the earlier turns; the turns with it added."""
    question = question.strip()
    if not question:
        return list(turns)
    query = assistant.follow_up_query(question, [t.question for t in turns])
    # The query carries the topic a follow-up leaves implicit ("neglect in adolescents?" for
    # "and in adolescents?"); the answerer chooses sentences by the words of both.
    answer = assistant.ask(question, query=query)
    return [*turns, Turn(len(turns) + 1, question, query, answer)]


def chat_view(assistant: Assistant, turns: Sequence[Turn]) -> ChatView:
    return ChatView(chat_messages(turns), evidence_html(turns, file_url(assistant, turns)),
                    list(turns))


def respond(assistant: Assistant, question: str, turns: Sequence[Turn]) -> ChatView:
    """The chat handler: ask, then render the conversation and the evidence panel."""
    return chat_view(assistant, ask(assistant, question, turns))


def respond_stream(
    assistant: Assistant, question: str, turns: Sequence[Turn], filters: Filters | None = None
) -> Iterator[ChatView]:
    """The chat handler, streaming: a view per draft (an LLM answer grows sentence by sentence,
    each checked against its sources before it is shown); the last view is the final answer."""
    question = question.strip()
    if not question:
        yield chat_view(assistant, turns)
        return
    query = assistant.follow_up_query(question, [t.question for t in turns])
    chosen: dict[str, Any] = {"filters": filters} if filters else {}
    for answer in assistant.ask_stream(question, query=query, **chosen):
        yield chat_view(assistant, [*turns, Turn(len(turns) + 1, question, query, answer)])


def file_url(assistant: Assistant, turns: Sequence[Turn]) -> FileUrl:
    """Where the browser can open the stored copy of a cited document (or None)."""
    doc_ids = {e.chunk.chunk_id: e.chunk.doc_id for t in turns for e in t.answer.evidence}
    by_file: dict[str, str] | None = None

    def url(citation: Citation) -> str | None:
        nonlocal by_file
        doc_id = doc_ids.get(citation.chunk_id)
        if doc_id is None:
            if by_file is None:
                by_file = {c.file: c.doc_id for c in assistant.documents()}
            doc_id = by_file.get(citation.file)
        path = assistant.stored_file(doc_id) if doc_id else None
        return FILE_ROUTE + quote(str(path.resolve())) if path else None

    return url


# -- the library --------------------------------------------------------------------------


def library_rows(assistant: Assistant) -> list[list[str | int]]:
    """One row per document: title, type, year, pages, chunks, file, nation, review types."""
    return [_row(card) for card in assistant.documents()]


def _row(card: DocumentCard) -> list[str | int]:
    return [card.title, card.doc_type or "", str(card.meta.get(CardKey.YEAR, "")),
            card.pages, card.chunks, card.file, card.nation or "",
            ", ".join(card.review_types)]


def document_choices(assistant: Assistant) -> list[tuple[str, str]]:
    """(label, file name) pairs for the remove menu."""
    return [(f"{c.title} ({c.file})", c.file) for c in assistant.documents()]


def remove(assistant: Assistant, file_name: str) -> str:
    """Remove a document from the store, and its uploaded copy; a message saying what went."""
    cards = assistant.remove(file_name)  # with its uploaded copy
    return "Removed " + ", ".join(f"{c.title} ({c.file}, {c.chunks} chunks)" for c in cards)


# -- uploads ------------------------------------------------------------------------------


def uploads_dir(assistant: Assistant) -> Path:
    return assistant.settings.home / UPLOADS


def safe_name(name: str) -> str:
    """A plain file name from whatever the browser sent: no folders, no dots in front, ASCII
    letters, digits, ``.``, ``_`` and ``-`` only, the suffix lower-cased."""
    base = re.split(r"[\\/]", name)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = suffix, ""
    stem = _UNSAFE.sub("-", stem).strip(".-_ ")[:100] or "document"
    suffix = _UNSAFE.sub("", suffix).lower()[:10]
    return f"{stem}.{suffix}" if suffix else stem


def upload(
    assistant: Assistant, files: Sequence[str | Path], progress: ProgressBar | None = None
) -> list[FileOutcome]:
    """Copy uploaded files into the store's own ``uploads`` folder under safe names, ingest
    them, and say for each file what happened.

    Files are staged in a fresh folder inside ``uploads`` and moved into place only once they
    are in the store, so a damaged upload never replaces an earlier good copy of that name.
    """
    target = uploads_dir(assistant)
    target.mkdir(parents=True, exist_ok=True)
    _sweep_stale_staging(target)
    incoming = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=target))
    outcomes: dict[int, FileOutcome] = {}
    staged: dict[str, tuple[str, Path]] = {}  # safe name -> (name as sent, staged copy)
    position: dict[str, int] = {}  # safe name -> index in ``files``
    try:
        for i, item in enumerate(files):
            sent = printable(_sent_name(item))
            if Path(sent).suffix.lower() not in UPLOAD_TYPES:
                outcomes[i] = FileOutcome(sent, False, "not a PDF, TXT or MD file")
                continue
            name = _unique(safe_name(sent), staged)
            copy = incoming / name
            if copy.resolve().parent != incoming.resolve():  # cannot happen with safe_name
                outcomes[i] = FileOutcome(sent, False, "unsafe file name")
                continue
            try:
                shutil.copyfile(item, copy)
            except OSError as err:
                outcomes[i] = FileOutcome(sent, False, f"cannot read the file ({err.strerror})")
                continue
            staged[name], position[name] = (sent, copy), i
        if staged:
            report = assistant.ingest([p for _, p in staged.values()],
                                      progress=_stages(progress) if progress else None)
            for name, outcome in _outcomes(report, staged).items():
                outcomes[position[name]] = outcome
            for card in report.ingested:  # in the store: now keep it under its own name
                if card.file in staged:
                    os.replace(staged[card.file][1], target / card.file)
    finally:
        shutil.rmtree(incoming, ignore_errors=True)
    return [outcomes[i] for i in sorted(outcomes)]


def printable(name: str) -> str:
    """A name fit to show: control characters (a newline, an escape) become ``?``."""
    return "".join("?" if unicodedata.category(c) == "Cc" else c for c in name)


def _sweep_stale_staging(target: Path, older_than_s: float = 3600.0) -> None:
    """Remove staging folders left by an upload that was interrupted (a crash, a restart)."""
    now = time.time()
    for folder in target.glob(STAGING_PREFIX + "*"):
        with contextlib.suppress(OSError):
            if folder.is_dir() and now - folder.stat().st_mtime > older_than_s:
                shutil.rmtree(folder, ignore_errors=True)


def _sent_name(item: str | Path) -> str:
    return re.split(r"[\\/]", str(item))[-1]


def _unique(name: str, taken: dict[str, Any]) -> str:
    stem, dot, suffix = name.rpartition(".")
    candidate, i = name, 2
    while candidate in taken:
        candidate = f"{stem}-{i}{dot}{suffix}" if dot else f"{name}-{i}"
        i += 1
    return candidate


def _stages(progress: ProgressBar) -> Callable[[str, int, int], None]:
    """One bar for both stages, never moving back. Files are read (on a thread) while earlier
    ones are embedded, and the texts to embed are known only for the files read so far, so
    embedding counts for the share of files read."""
    state = {"read": 0.0, "embed": 0.0, "shown": 0.0}
    lock = threading.Lock()

    def report(stage: str, done: int, total: int) -> None:
        if total <= 0:
            return
        with lock:
            state["read" if stage == "read" else "embed"] = done / total
            value = 0.3 * state["read"] + 0.7 * state["read"] * state["embed"]
            state["shown"] = max(state["shown"], value)
            if stage == "read":
                progress(state["shown"], f"Reading files ({done}/{total})")
            else:
                progress(state["shown"], f"Indexing passages ({done}/{total} of the files read)")

    return report


def _outcomes(
    report: IngestReport, staged: dict[str, tuple[str, Path]]
) -> dict[str, FileOutcome]:
    """What happened to each staged file, by its safe name."""
    out: dict[str, FileOutcome] = {}
    replaced = {Path(p).name for p in report.replaced}
    for card in report.ingested:
        if card.file in staged:
            note = " (replaces the earlier version)" if card.file in replaced else ""
            out[card.file] = FileOutcome(
                staged[card.file][0], True,
                f"added: {card.pages} pages, {card.chunks} passages{note}",
            )
    for path in report.unchanged:
        name = Path(path).name
        if name in staged:
            out[name] = FileOutcome(staged[name][0], True, "already in the library")
    for skip in report.skipped:
        name = Path(skip.path).name
        if name in staged:
            out[name] = FileOutcome(staged[name][0], False, skip.reason)
    for name, (sent, _) in staged.items():
        out.setdefault(name, FileOutcome(sent, False, "nothing was read from it"))
    return out

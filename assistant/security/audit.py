"""An optional audit log (``RLA_AUDIT_LOG``, off by default): one JSON line per question with
the time, the user, where it was asked, the question, and the sources cited.

Questions about unpublished reviews are sensitive too, so the log is created readable by its
owner only (0600), and nothing is recorded unless the setting names a file.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from assistant.config import Settings
from assistant.types import Answer, Citation

_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path.expanduser()
        with _LOCKS_GUARD:
            self._lock = _LOCKS.setdefault(self.path.resolve(), threading.Lock())

    def record(
        self, *, user: str, channel: str, question: str, grounded: bool,
        citations: Sequence[Citation],
    ) -> None:
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "user": user,
            "channel": channel,
            "question": question,
            "grounded": grounded,
            "sources": [
                {"marker": c.marker, "file": c.file, "title": c.title,
                 "page_start": c.page_start, "page_end": c.page_end, "section": c.section}
                for c in citations
            ],
        }
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode()
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)  # one write per line: lines from processes never interleave
            finally:
                os.close(fd)

    def answer(self, user: str, channel: str, answer: Answer) -> None:
        self.record(user=user, channel=channel, question=answer.question,
                    grounded=answer.grounded, citations=answer.citations)


def audit_log(settings: Settings) -> AuditLog | None:
    """The audit log the settings ask for, or None (the default)."""
    return AuditLog(Path(settings.audit_log)) if settings.audit_log else None

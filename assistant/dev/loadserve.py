"""The server side of the load test: the app on 127.0.0.1, driven over stdin/stdout.

Run by ``assistant.dev.loadtest`` as ``python -m assistant.dev.loadserve HOME PORT [BASE...]``. It
ingests BASE into an empty store, serves the app, prints ``READY <url>``, and then obeys
``INGEST <json list of paths>`` (a batch ingest through the same Assistant, in a thread, so
the app keeps answering while it runs; answered with ``INGESTED <json>``) and ``STOP``.
The ingest runs in this process because an embedded Chroma store has one writer process.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from assistant.config import Settings
from assistant.offline import enforce_offline


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def serve(home: Path, port: int, base: list[Path]) -> None:
    enforce_offline()
    from assistant.core import Assistant
    from ui.app import launch

    assistant = Assistant(replace(Settings.from_env(), home=home))
    if base and assistant.is_empty():
        report = assistant.ingest(base)
        _say("BASE " + json.dumps({"documents": len(report.ingested), "chunks": report.chunks}))
    app = launch(assistant, host="127.0.0.1", port=port, block=False, quiet=True)
    _say(f"READY {app.local_url}")

    def ingest(paths: list[Path]) -> None:
        started = time.monotonic()
        summary: dict[str, object]
        try:
            report = assistant.ingest(paths)
            summary = {"documents": len(report.ingested), "chunks": report.chunks,
                       "skipped": len(report.skipped)}
        except Exception as exc:  # reported to the driver, which fails the run
            summary = {"error": f"{type(exc).__name__}: {exc}"}
        summary["seconds"] = round(time.monotonic() - started, 2)
        _say("INGESTED " + json.dumps(summary))

    workers: list[threading.Thread] = []
    for line in sys.stdin:
        command, _, rest = line.strip().partition(" ")
        if command == "INGEST":
            worker = threading.Thread(target=ingest, args=([Path(p) for p in json.loads(rest)],))
            worker.start()
            workers.append(worker)
        elif command == "STOP":
            break
    for worker in workers:
        worker.join()
    app.close()
    assistant.store.close()
    _say("STOPPED")


if __name__ == "__main__":
    serve(Path(sys.argv[1]), int(sys.argv[2]), [Path(p) for p in sys.argv[3:]])

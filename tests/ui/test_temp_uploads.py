"""Uploads go to a temp folder of the app's own under RLA_HOME/tmp, not Gradio's shared
``/tmp/gradio``, and what an interrupted upload leaves there goes (issue 11, case 3): at the next
start after a crash (``kill -9`` of ``rla serve``), after the next upload once it is stale, and
when the app stops. Real uploads over HTTP to the running app, a real ingest."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import free_port

from assistant.config import Settings
from assistant.core import Assistant

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
REPORT = (
    "# Fife learning review\n\n## Findings\n\n"
    + "School nurses in Fife recorded each missed health appointment for the child. " * 40
)


def _interrupted_upload(url: str, size: int = 4_000_000, sent: int = 1_000_000) -> None:
    """Start a multipart upload of ``size`` bytes, send ``sent`` of them, and hang up."""
    port = int(url.rsplit(":", 1)[1])
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="big-report.pdf"\r\nContent-Type: application/pdf\r\n\r\n').encode()
    request = (f"POST /gradio_api/upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
               f"Content-Length: {len(head) + size + len(boundary) + 8}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(request + head + b"%PDF-1.7\n" + b"0" * (sent - 9))
        time.sleep(0.5)  # let the server write what it got to its temp file


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _wait_for(predicate: Any, what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def _upload(http: httpx.Client, url: str, name: str, data: bytes) -> str:
    """A real upload through Gradio's route: the server-side path of the copy it keeps."""
    got = http.post(url + "/gradio_api/upload", files={"files": (name, data)})
    assert got.status_code == 200, got.text
    paths: list[str] = got.json()
    return paths[0]


def _call(http: httpx.Client, url: str, api_name: str, data: list[Any]) -> Any:
    """Call one of the app's events as its page does (queue join, then the event stream)."""
    config = http.get(url + "/config").json()
    fn = next(d["id"] for d in config["dependencies"] if d.get("api_name") == api_name)
    session = uuid.uuid4().hex[:12]
    joined = http.post(url + "/gradio_api/queue/join", json={
        "data": data, "fn_index": fn, "trigger_id": None, "session_hash": session,
        "event_data": None,
    })
    assert joined.status_code == 200, joined.text
    with http.stream("GET", url + f"/gradio_api/queue/data?session_hash={session}") as events:
        for line in events.iter_lines():
            if line.startswith("data:") and '"process_completed"' in line:
                message = json.loads(line[5:])
                assert message["success"], message
                return message["output"]["data"]
    pytest.fail(f"{api_name}: no result")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def served(home: Path, embedder: Any) -> Iterator[tuple[str, Assistant]]:
    from ui.app import launch

    assistant = Assistant(replace(Settings.from_env({}), home=home), embedder=embedder)
    app = launch(assistant, port=free_port(), block=False, quiet=True)
    try:
        yield (app.local_url or "").rstrip("/"), assistant
    finally:
        app.close()


def _own_folder(home: Path) -> Path:
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder())
    assert folder.parent == home / "tmp", folder  # not /tmp/gradio, shared by every app
    return folder


def test_uploads_land_in_the_apps_own_folder_which_goes_when_it_stops(
    home: Path, embedder: Any
) -> None:
    from ui.app import launch

    assistant = Assistant(replace(Settings.from_env({}), home=home), embedder=embedder)
    app = launch(assistant, port=free_port(), block=False, quiet=True)
    url = (app.local_url or "").rstrip("/")
    try:
        folder = _own_folder(home)
        with httpx.Client(trust_env=False, timeout=60) as http:
            kept = Path(_upload(http, url, "notes.md", REPORT.encode()))
        assert kept.is_file() and kept.is_relative_to(folder)
        _interrupted_upload(url)
        _wait_for(lambda: len(_files(folder)) == 2, "the partial upload's temp file")
        assert stat_mode(folder) == 0o700
    finally:
        app.close()
    assert not folder.exists()
    assert sorted(p.name for p in (home / "tmp").iterdir()) == []


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_a_crashed_apps_leftovers_go_at_the_next_start(home: Path, embedder: Any) -> None:
    port = free_port()
    env = {**os.environ, "RLA_HOME": str(home), "RLA_AUTH": "", "GRADIO_TEMP_DIR": ""}
    rla = Path(sys.executable).parent / "rla"
    proc = subprocess.Popen([str(rla), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        def up() -> bool:
            try:
                return httpx.get(url + "/config", trust_env=False, timeout=2).status_code == 200
            except httpx.HTTPError:
                return proc.poll() is not None
        _wait_for(up, "rla serve", timeout_s=120)
        assert proc.poll() is None
        crashed = [p for p in (home / "tmp").iterdir() if p.is_dir()]
        assert len(crashed) == 1
        _interrupted_upload(url)
        _wait_for(lambda: bool(_files(crashed[0])), "the partial upload's temp file")
    finally:
        proc.kill()  # kill -9: nothing of the app runs to clean up
        proc.wait(timeout=30)
    assert _files(crashed[0])  # left behind, as an interrupted upload was before

    from ui.app import launch

    assistant = Assistant(replace(Settings.from_env({}), home=home), embedder=embedder)
    app = launch(assistant, port=free_port(), block=False, quiet=True)
    try:
        assert not crashed[0].exists()  # the dead app's folder went at start
        assert [p for p in (home / "tmp").iterdir() if p.is_dir()] == [_own_folder(home)]
    finally:
        app.close()


def test_an_upload_removes_its_temp_copy_and_stale_leftovers_only(
    served: tuple[str, Assistant],
) -> None:
    url, assistant = served
    folder = _own_folder(assistant.settings.home)
    with httpx.Client(trust_env=False, timeout=120) as http:
        _interrupted_upload(url)
        _wait_for(lambda: bool(_files(folder)), "the partial upload's temp file")
        partial = _files(folder)
        never_added = Path(_upload(http, url, "abandoned.md", b"# Abandoned\n\nNever added."))
        waiting = Path(_upload(http, url, "someone-else.md", b"# Not yet\n\nAbout to be added."))
        two_hours_ago = time.time() - 7200
        for stale in [*partial, never_added, never_added.parent]:
            os.utime(stale, (two_hours_ago, two_hours_ago))

        path = _upload(http, url, "Fife learning review.md", REPORT.encode())
        file_data = {"path": path, "orig_name": "Fife learning review.md",
                     "meta": {"_type": "gradio.FileData"}}
        report_html, *_ = _call(http, url, "upload", [[file_data]])
        assert "✓ added" in report_html and "Fife learning review.md" in report_html

    assert "Fife-learning-review.md" in [c.file for c in assistant.documents()]
    assert not Path(path).exists() and not Path(path).parent.exists()  # its temp copy
    assert not any(p.exists() for p in partial)  # the interrupted upload's leftover
    assert not never_added.exists() and not never_added.parent.exists()
    assert waiting.is_file()  # another user's fresh upload is left alone

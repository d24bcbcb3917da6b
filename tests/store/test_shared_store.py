"""Several processes on one embedded store, as users run them: the app (`rla serve`) answering
while `rla ingest` and `rla remove` run in another shell, a process killed half-way through
writing a document, and questions with bytes that are not UTF-8.

Every process here is the real `rla` command on a temp RLA_HOME; the app is asked through its
HTTP API (`/ask`) with gradio_client, as another program would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE_CORPUS, free_port

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

# A document of our own, about something no other document mentions.
LARKSPUR = """# Larkspur escalation protocol: a local learning brief

## What the review found

The review found that practitioners were unsure when to escalate concerns about a baby's
unexplained bruising to a senior manager. The Larkspur escalation protocol was introduced so
that any practitioner who disagrees with a decision about a non-mobile baby's bruising can ask
for a senior review within one working day.

## What changed

Every agency in the partnership adopted the Larkspur escalation protocol, and its use is
audited each quarter by the partnership's quality assurance group.
"""
LARKSPUR_Q = "What is the Larkspur escalation protocol for bruising in non-mobile babies?"


def rla(*args: str) -> list[str]:
    exe = Path(sys.executable).parent / "rla"
    return [str(exe), *args] if exe.exists() else [sys.executable, "-m", "assistant.cli", *args]


def env_for(home: Path) -> dict[str, str]:
    return {**os.environ, "RLA_HOME": str(home), "PYTHONPATH": str(REPO),
            "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}


def run(home: Path, *args: str, stdin: bytes | None = None, timeout: float = 600) -> Any:
    return subprocess.run(rla(*args), env=env_for(home), input=stdin, capture_output=True,
                          timeout=timeout)


def sample_docs(folder: Path, n: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for md in sorted(SAMPLE_CORPUS.glob("*.md"))[:n]:
        shutil.copyfile(md, folder / md.name)
    return folder


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """`rla serve` on a fresh embedded store holding two sample documents: (home, url)."""
    import httpx

    root = tmp_path_factory.mktemp("shared-store")
    home = root / "home"
    out = run(home, "ingest", str(sample_docs(root / "docs")))
    assert out.returncode == 0, out.stderr.decode()
    port = free_port()
    log = (root / "serve.log").open("wb")
    proc = subprocess.Popen(rla("serve", "--port", str(port)), env=env_for(home), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(url + "/config", timeout=5, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("rla serve did not start: "
                            + (root / "serve.log").read_text(errors="replace"))
            time.sleep(0.5)
        yield home, url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def ask_app(url: str, question: str) -> tuple[str, list[dict[str, Any]]]:
    from gradio_client import Client

    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    try:
        markdown, citations = client.predict(question, api_name="/ask")
    finally:
        client.close()
    return str(markdown), list(citations)


def test_a_cli_ingest_and_remove_reach_the_running_app(
    served: tuple[Path, str], tmp_path: Path
) -> None:
    home, url = served
    _, before = ask_app(url, LARKSPUR_Q)  # the app has loaded its index: now change the store
    assert not any(c["file"] == "larkspur.md" for c in before)

    doc = tmp_path / "larkspur.md"
    doc.write_text(LARKSPUR, encoding="utf-8")
    out = run(home, "ingest", str(doc))
    assert out.returncode == 0, out.stderr.decode()

    markdown, citations = ask_app(url, LARKSPUR_Q)  # the app's next question sees it
    assert citations, markdown
    assert {c["file"] for c in citations} == {"larkspur.md"}
    assert any("Larkspur escalation protocol" in c["quote"] for c in citations)

    # A removal from the CLI: the app goes on answering, and never cites what went.
    for name in ("larkspur.md", sorted(p.name for p in SAMPLE_CORPUS.glob("*.md"))[0]):
        out = run(home, "remove", name)
        assert out.returncode == 0, out.stderr.decode()
        for question in (LARKSPUR_Q, "What do reviews say about neglect?"):
            markdown, citations = ask_app(url, question)
            assert markdown.strip()
            assert name not in {c["file"] for c in citations}, markdown

    listed = run(home, "check")
    assert listed.returncode == 0, listed.stderr.decode()


def ask_raw(url: str, body: bytes) -> tuple[str, str]:
    """POST a hand-made body to the app's REST API for `/ask`: (event, data) of its reply."""
    import httpx

    with httpx.Client(base_url=url, trust_env=False, timeout=120) as http:
        started = http.post("/gradio_api/call/ask", content=body,
                            headers={"Content-Type": "application/json"})
        assert started.status_code == 200, started.text
        reply = http.get(f"/gradio_api/call/ask/{started.json()['event_id']}").text
    event = data = ""
    for line in reply.splitlines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data = line.split(":", 1)[1].strip()
    return event, data


def test_a_question_with_a_bad_byte_is_answered_through_the_api(served: tuple[Path, str]) -> None:
    _, url = served
    # JSON can carry a lone surrogate as an escape ("\udcff" is what a bad byte becomes when
    # Python decodes it with surrogateescape); it must be answered, not fail.
    body = json.dumps({"data": ["What do reviews say about \udcff neglect?"]}).encode()
    assert b"\\udcff" in body
    event, data = ask_raw(url, body)
    assert event == "complete", (event, data)
    markdown, citations = json.loads(data)
    assert markdown.strip() and "went wrong" not in markdown
    assert all("\udcff" not in c["quote"] for c in citations)


def test_bad_bytes_in_a_batch_never_end_it(rla_home: Path) -> None:
    out = run(rla_home, "ingest", str(sample_docs(rla_home.parent / "docs")))
    assert out.returncode == 0, out.stderr.decode()
    batch = b"What do reviews say about \xff neglect?\nWhat about neglect?\n\xc3\x28 drift\n"
    out = run(rla_home, "ask", "--json", "-", stdin=batch)
    assert out.returncode == 0, out.stderr.decode()
    assert b"Traceback" not in out.stderr
    lines = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert len(lines) == 3
    assert lines[0]["question"] == "What do reviews say about \ufffd neglect?"
    assert all("answer" in line for line in lines)

    # The same bad byte in an argument (Python passes it on as a lone surrogate).
    out = subprocess.run([os.fsencode(a) for a in rla("ask", "--json")]
                         + [b"What do reviews say about \xff neglect?"],
                         env=env_for(rla_home), capture_output=True, timeout=600)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    assert json.loads(out.stdout)["question"] == "What do reviews say about \ufffd neglect?"


def test_rla_list_shows_control_characters_escaped(rla_home: Path) -> None:
    folder = rla_home.parent / "docs"
    folder.mkdir(parents=True)
    name = "evil\x1b[2J\x1b]0;pwned\x07name.md"
    (folder / name).write_text(LARKSPUR, encoding="utf-8")
    out = run(rla_home, "ingest", str(folder))
    assert out.returncode == 0, out.stderr.decode()
    assert b"\x1b" not in out.stdout and b"\x07" not in out.stdout
    listed = run(rla_home, "list")
    assert listed.returncode == 0
    assert b"\x1b" not in listed.stdout and b"\x07" not in listed.stdout
    assert "evil\\x1b[2J\\x1b]0;pwned\\x07name.md" in listed.stdout.decode()


# -- a process killed between a document's chunks and its card ------------------------------


def _generation(home: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(home / "chroma" / "rla-generation")
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def _kill_after_first_write(home: Path, doc: Path) -> None:
    """Start `rla ingest doc` and kill -9 it as soon as it has written the document's chunks
    (each store write stamps the generation file), before it can write the card."""
    before = _generation(home)
    proc = subprocess.Popen(rla("ingest", str(doc)), env=env_for(home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if _generation(home) != before:
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.0005)
    proc.wait(timeout=60)


@pytest.mark.stress
def test_chunks_left_without_a_card_are_never_cited_and_can_be_removed(rla_home: Path) -> None:
    out = run(rla_home, "ingest", str(sample_docs(rla_home.parent / "docs", n=1)))
    assert out.returncode == 0, out.stderr.decode()
    orphan = ""
    for attempt in range(6):  # the kill lands between the two writes nearly every time
        doc = rla_home.parent / f"larkspur-{attempt}.md"
        doc.write_text(LARKSPUR + f"\nBrief number {attempt}.\n" * 40, encoding="utf-8")
        _kill_after_first_write(rla_home, doc)
        state = json.loads(run(rla_home, "check", "--json").stdout)
        leftovers = [p for p in state["problems"] if "have no card" in p]
        if leftovers:
            orphan = leftovers[0].split("document ")[1].split()[0]
            break
        run(rla_home, "remove", doc.name)  # finished after all: try again
    assert orphan, "no kill landed between a document's chunks and its card"
    assert f"rla remove {orphan}" in leftovers[0]

    listed = run(rla_home, "list", "--json")
    assert all(not c["doc_id"].startswith(orphan) for c in json.loads(listed.stdout))
    asked = run(rla_home, "ask", "--json", LARKSPUR_Q)
    answer = json.loads(asked.stdout)
    assert all(not e["chunk_id"].startswith(orphan) and "larkspur" not in e["file"]
               for e in answer["evidence"]), answer["evidence"]
    assert all("larkspur" not in c["file"] for c in answer["citations"])

    removed = run(rla_home, "remove", orphan)
    assert removed.returncode == 0, removed.stderr.decode()
    assert b"removed" in removed.stdout
    state = json.loads(run(rla_home, "check", "--json").stdout)
    assert state["problems"] == []
    assert state["documents"] == 1


def test_rla_remove_also_removes_the_uploaded_copy(rla_home: Path, embedder: Any) -> None:
    from dataclasses import replace

    from assistant.config import Settings
    from assistant.core import Assistant
    from ui.handlers import upload, uploads_dir

    app = Assistant(replace(Settings.from_env({}), home=rla_home), embedder=embedder)
    sent = rla_home.parent / "Larkspur brief.md"
    sent.write_text(LARKSPUR, encoding="utf-8")
    [outcome] = upload(app, [sent])
    assert outcome.ok, outcome
    kept = uploads_dir(app) / "Larkspur-brief.md"
    assert kept.is_file()
    out = run(rla_home, "remove", "Larkspur-brief.md")  # from another process
    assert out.returncode == 0, out.stderr.decode()
    assert not kept.exists()
    assert not list(app.settings.files_dir.glob("*"))
    assert app.documents() == []  # and this process sees the removal at once
    app.store.close()

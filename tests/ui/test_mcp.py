"""The MCP tools, called by a real MCP client (the ``mcp`` package, streamable HTTP) against the
running app at ``/gradio_api/mcp/``: what is listed, what each tool gives, and the login."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import SAMPLE_CORPUS, free_port

from assistant.config import Settings
from assistant.core import Assistant
from assistant.security.auth import set_user
from ui import tools

pytestmark = [
    pytest.mark.slow,
    # Gradio's own monitoring summary (queueing.py) trips pandas 3 deprecations.
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

GLASGOW = "How did Glasgow Child Protection Committee respond to an SCR about neglect?"
TOOLS = {"ask", "search", "compare", "examples"}
PASSWORD = "a long enough passphrase"
AUDIT: list[Path] = []  # the secured app's audit log


def _serve(assistant: Assistant) -> Iterator[str]:
    from ui.app import launch

    app = launch(assistant, port=free_port(), block=False, quiet=True)
    try:
        yield (app.local_url or "").rstrip("/") + "/gradio_api/mcp/"
    finally:
        app.close()


@pytest.fixture(scope="module")
def mcp_url(corpus_assistant: Assistant) -> Iterator[str]:
    yield from _serve(corpus_assistant)


async def _session(url: str, headers: dict[str, str] | None, work: Any) -> Any:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with httpx.AsyncClient(headers=headers, trust_env=False, timeout=300) as http, \
            streamable_http_client(url, http_client=http) as (read, write, _), \
            ClientSession(read, write) as session:
        await session.initialize()
        return await work(session)


def _run(url: str, work: Any, headers: dict[str, str] | None = None) -> Any:
    return asyncio.run(asyncio.wait_for(_session(url, headers, work), timeout=300))


def _text(result: Any) -> Any:
    assert not result.isError, result.content
    assert len(result.content) == 1 and result.content[0].type == "text"
    return json.loads(result.content[0].text)


def test_the_four_tools_are_listed_with_descriptions_a_model_can_act_on(mcp_url: str) -> None:
    async def work(session: Any) -> Any:
        return (await session.list_tools()).tools

    listed = {t.name: t for t in _run(mcp_url, work)}
    assert set(listed) == TOOLS  # no chat, upload or library events
    for tool in listed.values():
        assert len(tool.description) > 200, tool.name
        properties = tool.inputSchema["properties"]
        assert properties and all(p.get("description") for p in properties.values()), tool.name
    assert "not-covered" in listed["ask"].description
    assert listed["ask"].inputSchema["required"] == ["question"]
    assert set(listed["search"].inputSchema["properties"]) == {"query", "k", "area", "nation",
                                                               "theme"}


def test_ask_over_mcp_gives_the_same_checked_quotes_as_the_app(
    mcp_url: str, corpus_assistant: Assistant
) -> None:
    async def work(session: Any) -> Any:
        return await session.call_tool("ask", {"question": GLASGOW})

    got = _text(_run(mcp_url, work))
    direct = corpus_assistant.ask(GLASGOW).to_dict()
    assert got["kind"] == "answer" and "[1]" in got["answer"]
    assert [c["quote"] for c in got["citations"]] == [c["quote"] for c in direct["citations"]]
    assert all(c["title"] and c["page_start"] for c in got["citations"])


def test_search_compare_and_examples_over_mcp(mcp_url: str) -> None:
    async def work(session: Any) -> Any:
        return (await session.call_tool("search", {"query": "neglect", "k": 3}),
                await session.call_tool("search", {"query": "neglect", "nation": "Scotland"}),
                await session.call_tool("compare", {"themes": "neglect", "by": "nation"}),
                await session.call_tool("examples", {"theme": "neglect"}),
                await session.call_tool("search", {"query": "neglect", "nation": "Atlantis"}))

    three, scottish, matrix, found, unknown = _run(mcp_url, work)
    passages = _text(three)
    assert len(passages) == 3 and all(p["text"] and p["title"] for p in passages)
    assert all(p["nation"] == "Scotland" for p in _text(scottish))
    cells = _text(matrix)["cells"]
    assert cells and {c["theme"] for c in cells} == {"neglect"}
    assert all(e["what_changed"]["quote"] and e["document"] for e in _text(found))
    assert unknown.isError and "Atlantis" in unknown.content[0].text  # named, not a traceback


@pytest.fixture(scope="module")
def secured_url(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[str]:
    root = tmp_path_factory.mktemp("rla-mcp-login")
    set_user(root / "users", "alice", PASSWORD)
    settings = replace(Settings.from_env({}), home=root / "home", auth_file=str(root / "users"),
                       audit_log=str(root / "audit.jsonl"))
    assistant = Assistant(settings, embedder=embedder)
    assert assistant.ingest([SAMPLE_CORPUS]).ingested
    AUDIT[:] = [root / "audit.jsonl"]
    yield from _serve(assistant)


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_with_rla_auth_the_tools_need_the_apps_login(secured_url: str) -> None:
    with httpx.Client(trust_env=False, timeout=30) as http:
        for headers in ({}, _basic("alice", "wrong"), _basic("mallory", PASSWORD)):
            refused = http.post(secured_url, headers=headers, json={})
            assert refused.status_code == 401 and "Basic" in refused.headers["www-authenticate"]

    async def work(session: Any) -> Any:
        return ((await session.list_tools()).tools,
                await session.call_tool("ask", {"question": "What do reviews say about neglect?"}))

    listed, asked = _run(secured_url, work, _basic("alice", PASSWORD))
    assert {t.name for t in listed} == TOOLS
    assert _text(asked)["citations"]
    records = [json.loads(line) for line in AUDIT[0].read_text().splitlines()]
    assert records and records[-1]["user"] == "alice"  # the tool call ran as the Basic user

    base = secured_url.removesuffix("/gradio_api/mcp/")
    with httpx.Client(trust_env=False, timeout=30) as http:  # the app's own session cookie
        assert http.post(base + "/login", data={"username": "alice",
                                                "password": PASSWORD}).status_code == 200
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    listed, asked = _run(secured_url, work, {"Cookie": cookie})
    assert {t.name for t in listed} == TOOLS and _text(asked)["citations"]


def test_the_tool_functions_refuse_what_they_cannot_answer(corpus_assistant: Assistant) -> None:
    with pytest.raises(ValueError, match="Ask a question"):
        tools.answer(corpus_assistant, "   ")
    with pytest.raises(ValueError, match="by must be one of"):
        tools.compare(corpus_assistant, "neglect", by="colour")
    assert tools.search(corpus_assistant, "neglect", k=500)  # capped, not refused
    assert len(tools.search(corpus_assistant, "neglect", k=500)) <= tools.MAX_PASSAGES
    assert tools.search(corpus_assistant, " ") == []


def test_loopback_only_without_a_login(corpus_assistant: Assistant, tmp_path: Path) -> None:
    from assistant.errors import SettingsError
    from ui.app import launch

    with pytest.raises(SettingsError, match="RLA_AUTH"):
        launch(corpus_assistant, host="0.0.0.0", port=free_port(), block=False, quiet=True)


def test_rla_serve_with_a_login_answers_an_mcp_client(tmp_path: Path) -> None:
    """The command users run (it blocks, unlike the tests' in-process launch): the tools'
    own session must be set up before it does."""
    import os
    import signal
    import subprocess
    import sys
    import time

    home, users = tmp_path / "home", tmp_path / "users"
    set_user(users, "alice", PASSWORD)
    exe = Path(sys.executable).parent / "rla"
    env = {**os.environ, "RLA_HOME": str(home), "RLA_AUTH": str(users)}
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--ingest-sample-if-empty"],
                            env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/gradio_api/mcp/"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.post(url, timeout=5, trust_env=False).status_code == 401:
                    break  # up, and asking for the login
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("rla serve did not start: " + (tmp_path / "serve.log").read_text())
            time.sleep(0.5)

        async def work(session: Any) -> Any:
            question = "What do reviews say about neglect?"
            return await session.call_tool("ask", {"question": question})

        assert _text(_run(url, work, _basic("alice", PASSWORD)))["citations"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()

"""End to end with ``RLA_CHROMA_URL``: ingest and ask through the Assistant against a real
``chroma run`` server on 127.0.0.1, and two app instances sharing that one store."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.core import Assistant
from assistant.store.integrity import store_problems

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
GLASGOW = "How did Glasgow Child Protection Committee respond to an SCR about neglect?"
NEGLECT = "What do reviews say about neglect?"

pytestmark = pytest.mark.slow


def _instance(home: Path, url: str, collection: str, embedder: Any) -> Assistant:
    env = {"RLA_HOME": str(home), "RLA_CHROMA_URL": url}
    settings = Settings.from_env(env)
    assert settings.chroma_url == url
    from dataclasses import replace

    return Assistant(replace(settings, collection=collection), embedder=embedder)


def test_ingest_and_ask_through_a_chroma_server_match_the_embedded_store(
    tmp_path: Path, chroma_server: str, corpus_pdfs: list[Path], corpus_assistant: Assistant,
    embedder: Any,
) -> None:
    collection = f"e2e{uuid.uuid4().hex[:12]}"
    one = _instance(tmp_path / "one", chroma_server, collection, embedder)
    report = one.ingest(corpus_pdfs, metadata_csv=CORPUS / "metadata.csv")
    assert len(report.ingested) == len(corpus_pdfs)
    assert not (tmp_path / "one" / "chroma").exists()  # nothing embedded on disk
    assert one.store.url == chroma_server

    for question in (GLASGOW, NEGLECT):
        served, embedded = one.ask(question), corpus_assistant.ask(question)
        assert served.grounded and served.citations
        assert [c.to_dict() for c in served.citations] == [
            c.to_dict() for c in embedded.citations
        ]
    assert one.ask(GLASGOW).citations[0].page_start == 28

    # A second app instance (its own home, same server) shares the store and sees changes.
    two = _instance(tmp_path / "two", chroma_server, collection, embedder)
    assert [c.file for c in two.documents()] == [c.file for c in one.documents()]
    assert two.ask(GLASGOW).citations == one.ask(GLASGOW).citations
    removed = one.remove("ci-triennial-review-icrs-scrs-2018-2021.pdf")
    assert removed and len(two.documents()) == len(corpus_pdfs) - 1
    assert all(c.file != removed[0].file for c in two.ask(GLASGOW).citations)
    assert store_problems(two.store) == []
    one.store.close()
    two.store.close()


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path, embedder: Any) -> None:
    from conftest import free_port

    from assistant.errors import RlaError

    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    lonely = _instance(tmp_path, url, "nothing", embedder)
    with pytest.raises(RlaError, match="Chroma server"):
        lonely.documents()


SUDI_PAGE = CORPUS / "web" / "rip-sudi-safe-sleeping-strategic-briefing-2020.md"
SUDI = ("when babies died suddenly and unexpectedly in families already known to services, what "
        "sleeping arrangement kept coming up?")


def test_two_serving_instances_on_one_server_keep_their_keyword_indexes_in_step(
    tmp_path: Path, chroma_server: str, corpus_pdfs: list[Path], embedder: Any,
) -> None:
    collection = f"two{uuid.uuid4().hex[:12]}"
    one = _instance(tmp_path / "one", chroma_server, collection, embedder)
    one.ingest(corpus_pdfs[:2], metadata_csv=CORPUS / "metadata.csv")
    two = _instance(tmp_path / "two", chroma_server, collection, embedder)
    two.warm_up(serving=True)  # as `rla serve` runs it: its own keyword index, built now
    assert two.settings.keyword_dir != one.settings.keyword_dir
    assert two.settings.keyword_dir.is_relative_to(tmp_path / "two")
    assert two.retriever.keyword_index().docs == {c.doc_id for c in one.documents()}

    # An ingest through one is answered from by two on its very next question ...
    page = one.ingest([SUDI_PAGE]).ingested[0]
    answer = two.ask(SUDI)
    assert answer.grounded
    assert any(c.file == SUDI_PAGE.name for c in answer.citations)
    # ... its keyword index caught up in the background (a question waits half a second for
    # that at most), reading only that page.
    assert _eventually(lambda: page.doc_id in two.retriever.keyword_index().docs)
    index = two.retriever.keyword_index()
    assert index.revision == two.store.revision()
    assert index.parts[-1].segment.doc_rows.keys() == {page.doc_id}
    hit = two.retriever.keyword_hits("co-sleeping SUDI", 3)
    assert hit and hit[0][0].doc_id == page.doc_id

    # A removal through one: two never quotes the page again and its index drops it.
    one.remove(SUDI_PAGE.name)
    assert all(c.file != SUDI_PAGE.name for c in two.ask(SUDI).citations)
    assert all(c.doc_id != page.doc_id for c, _ in two.retriever.keyword_hits("co-sleeping", 5))
    assert _eventually(lambda: page.doc_id not in two.retriever.keyword_index().docs)
    one.store.close()
    two.store.close()


def _eventually(check: Any, seconds: float = 30.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return bool(check())

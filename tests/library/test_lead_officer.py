"""What a lead officer asks, against the shared corpus ingested once (real model, Chroma in a
temp dir): areas and the Dundee trap, nation scoping, filters, `rla areas/themes/compare`,
trend and "which areas" answers, and a store built before tagging being retagged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import AssistantRunner

from assistant.answering.citations import integrity_problems
from assistant.cli import main
from assistant.config import Settings
from assistant.core import Assistant
from assistant.library.filters import resolve
from assistant.library.retag import TAG_FIELDS
from assistant.text import collapse
from ingest.units import UNITS_VERSION, chunk_units
from ui import handlers, structure
from vectorstore.unitvec import unpack

BRIEFING = "learning-from-serious-case-reviews-briefing.pdf"
APPENDIX_4 = ("Glasgow City", "West Lothian", "Falkirk", "Fife", "Highland", "East Ayrshire",
              "North Ayrshire", "North Lanarkshire", "South Lanarkshire", "Angus", "NHS Grampian")
SCOTLAND = (
    "What percentage of children at the centre of an SCR in Scotland had a child protection plan?",
    "What do reviews in Scotland say about information sharing?",
    "How many children in Scotland were involved with children's social care?",
)

pytestmark = pytest.mark.slow


@pytest.fixture
def cli(corpus_assistant: Assistant) -> AssistantRunner:
    """`rla` commands run against the session's store."""
    return AssistantRunner(corpus_assistant)


def _files(answer: Any) -> set[str]:
    return {c.file for c in answer.citations} | {e.chunk.file for e in answer.evidence}


def test_every_appendix_4_area_and_no_dundee(corpus_assistant: Assistant) -> None:
    areas = {a.name: a for a in corpus_assistant.catalog().areas()}
    assert set(APPENDIX_4) <= set(areas)
    assert not any("Dundee" in name for name in areas)
    answer = corpus_assistant.ask("What did Dundee do about neglect?")
    assert not answer.grounded and not answer.citations
    assert "No indexed document says anything about Dundee City" in answer.text
    assert "Glasgow City" in answer.text  # the areas that are covered are named


def test_briefing_card_is_england(corpus_assistant: Assistant) -> None:
    card = next(c for c in corpus_assistant.documents() if c.file == BRIEFING)
    assert card.meta["nation"] == "England"


def test_a_scotland_question_never_cites_the_england_briefing(
    corpus_assistant: Assistant,
) -> None:
    for question in SCOTLAND:
        answer = corpus_assistant.ask(question)
        assert BRIEFING not in _files(answer), question
        assert answer.filters.get("nations") == ["Scotland"]
        assert any("Scotland" in n and "named in the question" in n for n in answer.notes)
    unscoped = corpus_assistant.ask(SCOTLAND[0].replace(" in Scotland", ""))
    assert BRIEFING in _files(unscoped)  # without the nation, the briefing is the answer


def test_filters_narrow_both_searches(corpus_assistant: Assistant) -> None:
    question = "What was learned about neglect and chronologies?"
    plain = corpus_assistant.ask(question, k=12)
    glasgow = corpus_assistant.ask(question, k=12, filters=resolve(areas=["glasgow"]))
    assert glasgow.evidence and len({e.chunk.chunk_id for e in glasgow.evidence}) < len(
        {e.chunk.chunk_id for e in plain.evidence})
    assert all("Glasgow City" in e.chunk.meta.get("areas", []) for e in glasgow.evidence)
    assert any("Filters: area Glasgow City" in n for n in glasgow.notes)
    for mode in ("keyword", "dense"):
        old = corpus_assistant.ask(question, mode=mode, filters=resolve(year_to=2016))
        assert old.evidence and all(int(e.chunk.meta["year"]) <= 2016 for e in old.evidence)
    themed = corpus_assistant.ask(question, filters=resolve(themes=["supervision"]))
    assert all("supervision" in e.chunk.meta["themes"] for e in themed.evidence)
    england = corpus_assistant.ask("What do reviews say about information sharing?",
                                   filters=resolve(nation="England"))
    assert {e.chunk.file for e in england.evidence} == {BRIEFING}


def test_rla_areas_and_themes_json(cli: AssistantRunner) -> None:
    out = cli.invoke(main, ["areas", "--json"])
    assert out.exit_code == 0, out.output
    areas = json.loads(out.output)["areas"]
    glasgow = next(a for a in areas if a["area"] == "Glasgow City")
    assert set(glasgow) >= {"area", "kind", "passages", "documents", "files", "related"}
    assert glasgow["passages"] >= 3 and glasgow["documents"] == 1
    assert "Glasgow Child Protection Committee" in glasgow["related"]
    out = cli.invoke(main, ["themes", "--json"])
    themes = {t["theme"]: t for t in json.loads(out.output)["themes"]}
    assert themes["neglect"]["passages"] > 0 and themes["neglect"]["by_nation"]["Scotland"] > 0


def test_compare_cells_quote_their_passages(
    cli: AssistantRunner, corpus_assistant: Assistant, tmp_path: Path
) -> None:
    csv_file = tmp_path / "m.csv"
    out = cli.invoke(main, [
        "compare", "--by", "area", "--themes", "chronologies,neglect,supervision", "--json",
        "--csv", str(csv_file)])
    assert out.exit_code == 0, out.output
    matrix = json.loads(out.output)
    assert matrix["by"] == "area" and matrix["themes"] == ["chronologies", "neglect",
                                                          "supervision"]
    texts = {c.chunk_id: c.text for c in corpus_assistant.catalog().chunks}
    rows = {c["row"] for c in matrix["cells"] if c["theme"] == "chronologies"}
    assert {"Glasgow City", "West Lothian"} <= rows
    for cell in matrix["cells"]:
        assert cell["passages"] >= cell["documents"] >= 1 and cell["evidence"]
        for q in cell["evidence"]:
            assert collapse(q["quote"]) in collapse(texts[q["chunk_id"]])
            assert q["file"] and q["page_start"] >= 1
    assert csv_file.read_text().startswith("area,theme,passages,documents,quote,file,page")
    by_period = json.loads(cli.invoke(main, [
        "compare", "--by", "period", "--themes", "domestic_abuse", "--json"]).output)
    (row,) = [t for t in by_period["tables"] if t["row"][0] == "Domestic abuse"]
    assert row["periods"][1:] == ["2007-2012", "2012-2015", "2015-2018", "2018-2021"]


def test_trend_and_which_areas_questions(corpus_assistant: Assistant) -> None:
    trend = corpus_assistant.ask("How has domestic abuse as a theme changed since 2007?")
    assert trend.grounded and integrity_problems(trend) == []
    assert len({c.chunk_id for c in trend.citations}) == 1  # one table, never stitched
    quotes = " ".join(c.quote for c in trend.citations)
    assert "2007-2012 from 56 SCRs" in quotes and "Domestic abuse 30 (54%)" in quotes
    which = corpus_assistant.ask("Which areas have done work on chronologies, and what did "
                                 "they do?")
    assert which.grounded and integrity_problems(which) == []
    assert "Glasgow City:" in which.text and "West Lothian:" in which.text
    angus = corpus_assistant.ask("Is there anything about Angus?")
    assert angus.grounded and all("Angus" in c.section for c in angus.citations)


def test_chat_window_filters_and_compare_tab(corpus_assistant: Assistant) -> None:
    chosen = structure.filters_from_ui(["Highland"], "(any)", [], "(any)", None, None)
    views = list(handlers.respond_stream(corpus_assistant, "What changed in practice?", [],
                                         filters=chosen))
    bot = views[-1].messages[-1]["content"]
    assert "Filters: area Highland" in bot
    assert "Glasgow City" in structure.area_choices(corpus_assistant)
    svg, matrix, csv_path = structure.run_compare(corpus_assistant, ["neglect"], "area")
    assert 'data-row="Glasgow City"' in svg and Path(str(csv_path)).is_file()
    evidence = structure.show_cell(corpus_assistant, matrix, "Glasgow City", "neglect")
    assert "neglect" in evidence and "p. 28" in evidence


@pytest.fixture(scope="module")
def old_store(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Assistant]:
    """Two small documents, their tags then stripped: a store built before tagging."""
    corpus = Path(__file__).resolve().parents[3] / "shared" / "corpus"
    home = tmp_path_factory.mktemp("rla-old-store")
    assistant = Assistant(replace(Settings.from_env({}), home=home), embedder=embedder)
    assistant.ingest([corpus / "pdf" / BRIEFING,
                      corpus / "pdf" / "ci-news-learning-from-scrs-2015-2018.pdf"])
    chunks = assistant.store.all_chunks()
    assistant.store.replace_chunk_metadata([
        replace(c, meta={k: v for k, v in c.meta.items() if k not in TAG_FIELDS and k not in
                         ("nation", "doc_type", "inferred", "period", "period_start",
                          "period_end")}) for c in chunks])
    # ... and before sentences were embedded: no unit vectors (an empty value unpacks to none)
    assistant.store.put_unit_vectors({c.chunk_id: "" for c in chunks})
    for card in assistant.store.cards():  # ... and before cards summarised their passages
        assistant.store.put_card_meta(card, "")
    yield assistant
    assistant.store.close()


def test_a_store_built_before_tagging_works_and_retags(old_store: Assistant) -> None:
    assert not old_store.catalog().tagged
    neglect = resolve(themes=["neglect"])
    answer = old_store.ask("What do reviews say about neglect?", filters=neglect)
    assert answer.grounded and any("rla retag" in n for n in answer.notes)
    chunks = old_store.store.all_chunks()
    assert old_store.store.unit_vectors([c.chunk_id for c in chunks]) == {}
    report = old_store.retag()
    assert report.documents == 2 and report.tagged_themes > 0
    assert report.units_embedded == len(chunks)  # retag gave every passage its sentences
    packed = old_store.store.unit_vectors([c.chunk_id for c in chunks])
    for c in chunks:
        vectors = unpack(packed[c.chunk_id], UNITS_VERSION)
        assert vectors is not None and len(vectors) == len(chunk_units(c))
    assert old_store.retag().units_embedded == 0  # and only once
    catalog = old_store.catalog()
    assert catalog.tagged
    nations = {c.file: c.meta.get("nation") for c in catalog.chunks}
    assert nations[BRIEFING] == "England"
    themed = old_store.ask("What do reviews say about neglect?",
                           filters=resolve(themes=["neglect"]))
    assert themed.evidence and all("neglect" in e.chunk.meta["themes"] for e in themed.evidence)

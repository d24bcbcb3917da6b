"""Reading takes time linear in a long run of characters (issue 11).

A base64 blob, a rule of dashes, minified code or nested markup is one long "word". A pattern
that tries every start in it and scans to its end each time takes time quadratic in its length:
``\\S+@\\S+\\.\\w+`` took 20 s on 100 KB and held a 1.1 MB Markdown upload (and the store's
write lock) for 300 s. Every run here is 300,000 characters. Each is read the whole way into a
real store with the real model; read alone in other layouts (own paragraph, hard-wrapped, one
character a line, a page every five characters) and formats; given to every function that
applies a pattern to document text; and given to every compiled pattern of the modules that
scan document text.

The guard is structural, not a stopwatch: the work runs in the reading worker
(``ingest.isolation``) under a limit of ``GUARD_S`` seconds, which a linear pass meets many
times over and a quadratic one (hours at this size) cannot. Speed itself is for benchmarks.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import hostile_files as h
import numpy as np
import pytest

from assistant.config import Settings
from assistant.core import Assistant
from assistant.types import Chunk, Document, Evidence, Page
from ingest.isolation import prepare_isolated, run_isolated
from ingest.metadata import MetadataIndex
from ingest.pipeline import ChunkingParams

SIZE = 300_000
GUARD_S = 60.0
BEFORE = "The review found that professional curiosity was lacking at the front door. "
AFTER = ". Agencies did not share information about the family, the review said."
QUESTION = "What did the review find about professional curiosity?"

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def passage(run: str) -> str:
    """A run inside a paragraph of prose; a tab-separated run is a table row of its own."""
    if "\t" in run:
        return f"{BEFORE}\n{run}\n{AFTER[2:]}"
    return f"{BEFORE}{run}{AFTER}"


def _chunk(text: str, index: int = 0, section: str = "Findings > What the review found") -> Chunk:
    return Chunk(chunk_id=f"doc-{index:05d}", doc_id="doc", title="A review", file="review.md",
                 section=section, page_start=1, page_end=1, index=index, text=text)


def _document(text: str, page_chars: int = 0) -> Document:
    """One page of ``text``, or a page every ``page_chars`` characters."""
    step = page_chars or len(text) or 1
    pages = tuple(Page(i + 1, text[at : at + step]) for i, at in enumerate(range(0, len(text),
                                                                                 step)))
    return Document(doc_id="doc", path="review.md", title="A review", pages=pages)


def _lines(text: str) -> list[str]:
    """The text's lines, then the text hard-wrapped at five characters (one character a line
    is read by the loaders in ``test_long_runs_in_other_layouts_are_read_in_time``)."""
    return [*text.split("\n"), "", *(text[i : i + 5] for i in range(0, len(text), 5))]


# -- every function that applies a pattern to document text ---------------------------------


def _functions() -> dict[str, Callable[[str], object]]:
    """Imported here, in the worker: what each function is given is one passage."""
    from assistant.answering.citations import is_verbatim
    from assistant.answering.extractive import ExtractiveAnswerer
    from assistant.answering.followup import build_query, content_words
    from assistant.answering.llm.checks import (
        check_sentence,
        figures,
        normalise_markers,
        quoted_spans,
        split_reply,
    )
    from assistant.answering.llm.support import supporting_span
    from assistant.answering.question import parse_question
    from assistant.answering.retrieve import Retrieval
    from assistant.text import collapse
    from assistant.trainer.briefing import candidates
    from assistant.trainer.examples import examples_in, names_change
    from assistant.trainer.passages import DocText
    from assistant.trainer.quotes import coverage, search_text, topic_words
    from assistant.trainer.speech import quotation_spans, speech_in
    from ingest.areas import default_gazetteer
    from ingest.areatag import tag_areas
    from ingest.cardinfer import infer_card, period_of
    from ingest.clean import join_wrapped, rejoin_hyphen, remove_running_lines, vocabulary
    from ingest.sections import split_sections
    from ingest.sentences import sentence_spans, split_long
    from ingest.tables import tables_in, with_tables
    from ingest.themes import Taxonomy, tag_passage
    from vectorstore.keyword import tokenize

    taxonomy = Taxonomy.load()
    # the themes with an open ending before another word ("share* information") or a gap
    # ("sharing .. information"), and one of plain phrases
    themes = [t for t in taxonomy.themes if any(re.search(r"\* \w|\.\.", p) for p in t.phrases)]
    themes.append(taxonomy.themes[0])
    answerer = ExtractiveAnswerer(lambda _: 1.0, lambda _: True)
    question = parse_question(QUESTION, taxonomy=taxonomy, gazetteer=default_gazetteer())

    def answer(text: str) -> object:
        evidence = (Evidence(1, _chunk(text), 1.0, dense_similarity=0.9),)
        return answerer.answer(question, Retrieval(QUESTION, np.zeros(384), evidence))

    def doc_text(text: str) -> DocText:
        return DocText([_chunk(text), _chunk(text[-2000:] + " More.", 1, "Next")])

    return {
        "areatag.tag_areas": lambda t: tag_areas([_chunk(t)]),
        "areas.Gazetteer.find": lambda t: default_gazetteer().find(t),
        "cardinfer.infer_card": lambda t: infer_card(_document(t), {}),
        "cardinfer.period_of": period_of,
        "clean.join_wrapped": lambda t: join_wrapped(_lines(t), vocabulary(_lines(t))),
        "clean.rejoin_hyphen": lambda t: rejoin_hyphen(t + "-", "ment" + t),
        "clean.remove_running_lines": lambda t: remove_running_lines([[t, "x"]] * 3),
        "sentences.sentence_spans": sentence_spans,
        "sentences.split_long": lambda t: split_long(t, 0, len(t), 230),
        "sections.split_sections": lambda t: (split_sections(_document(t)),
                                              split_sections(_document(t, page_chars=5))),
        "tables.with_tables": lambda t: (with_tables([_chunk(t)]), tables_in(t)),
        "themes.tag_passage": lambda t: tag_passage(taxonomy, t),
        "answer.ExtractiveAnswerer": answer,
        "briefing.candidates": lambda t: [candidates([_chunk(t)], th) for th in themes],
        "checks.check_sentence": lambda t: check_sentence(f"{t} [1]", {1: t}),
        "checks.split_reply": split_reply,
        "checks.figures_and_quotes": lambda t: (figures(t), quoted_spans(t)),
        "checks.normalise_markers": lambda t: normalise_markers(f"[1{' ' * len(t)}, 2] {t}"),
        "citations.is_verbatim": lambda t: is_verbatim(collapse(t[:5000]), t),
        "examples.examples_in": lambda t: (examples_in(doc_text(t), taxonomy), names_change(t)),
        "followup.build_query": lambda t: (build_query(t, [QUESTION]), content_words(t)),
        "quotes.coverage": lambda t: (coverage(topic_words(t), t), search_text(t)),
        "speech.speech_in": lambda t: (speech_in(doc_text(t)), quotation_spans(t)),
        "support.supporting_span": lambda t: supporting_span(t, [t[:300], AFTER]),
        "keyword.tokenize": tokenize,
    }


def exercise(name: str, size: int) -> int:
    """Run one function on a passage holding each run (in the worker); how many it took."""
    function = _functions()[name]
    runs = h.long_runs(size)
    for run in runs.values():
        function(passage(run))
    return len(runs)


FUNCTIONS = [
    "areatag.tag_areas", "areas.Gazetteer.find", "cardinfer.infer_card", "cardinfer.period_of",
    "clean.join_wrapped", "clean.rejoin_hyphen", "clean.remove_running_lines",
    "sentences.sentence_spans", "sentences.split_long", "sections.split_sections",
    "tables.with_tables", "themes.tag_passage", "answer.ExtractiveAnswerer",
    "briefing.candidates", "checks.check_sentence", "checks.split_reply",
    "checks.figures_and_quotes", "checks.normalise_markers", "citations.is_verbatim",
    "examples.examples_in", "followup.build_query", "quotes.coverage", "speech.speech_in",
    "support.supporting_span", "keyword.tokenize",
]


def test_the_list_of_functions_is_complete() -> None:
    assert sorted(FUNCTIONS) == sorted(_functions())


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_function_that_scans_document_text_finishes_on_every_run(name: str) -> None:
    done = run_isolated(exercise, name, SIZE, path=name, timeout_s=GUARD_S)
    assert done == len(h.long_runs(10))


# -- every compiled pattern of the modules that scan document text -------------------------

SCANNING = [
    "ingest.areas", "ingest.areatag", "ingest.cardinfer", "ingest.chunking", "ingest.clean",
    "ingest.docx_loader", "ingest.html_loader", "ingest.pdf_loader", "ingest.sections",
    "ingest.sentences", "ingest.tables", "ingest.text_loader", "ingest.themes",
    "ingest.reviewtypes",
    "assistant.answering.extractive",
    "assistant.answering.question",
    "assistant.trainer.briefing",
    "assistant.answering.llm.checks",
    "assistant.answering.citations",
    "assistant.trainer.examples",
    "assistant.trainer.headed",
    "assistant.trainer.example",
    "assistant.answering.followup",
    "assistant.trainer.passages",
    "assistant.trainer.quotes",
    "assistant.trainer.speech",
    "assistant.library.structured",
    "assistant.answering.llm.support",
    "assistant.trainer.requests",
    "vectorstore.keyword",
]
# Patterns only ever tried at one position, with how the code uses them (searched from every
# position they would be quadratic in a run of spaces, as the code never does).
ANCHORED: dict[str, Callable[[re.Pattern[Any], Any], object]] = {
    "ingest.tables._NUMBER": lambda p, t: p.fullmatch(t),  # a whole table cell
    "assistant.trainer.speech._AFTER": lambda p, t: p.match(t, 0),  # just after a closing mark
}


def patterns_of(module_name: str) -> dict[str, re.Pattern[Any]]:
    """The module's compiled patterns, by name, including those held in tuples and dicts."""
    module = importlib.import_module(module_name)
    found: dict[str, re.Pattern[Any]] = {}

    def walk(value: object, name: str, depth: int) -> None:
        if isinstance(value, re.Pattern):
            found[name] = value
        elif depth < 3 and isinstance(value, tuple | list):
            for i, item in enumerate(value):
                walk(item, f"{name}[{i}]", depth + 1)
        elif depth < 3 and isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{name}[{key!r}]", depth + 1)

    for attr, value in vars(module).items():
        walk(value, f"{module_name}.{attr}", 0)
    return found


def try_patterns(module_name: str, size: int) -> int:
    """Every pattern of the module on a passage holding each run: searched, and every match
    found (or as the code uses it, for ``ANCHORED``); how many patterns were tried."""
    runs = [passage(run) for run in h.long_runs(size).values()]
    patterns = patterns_of(module_name)
    for name, pattern in patterns.items():
        for text in runs:
            subject = text.encode() if isinstance(pattern.pattern, bytes) else text
            if name in ANCHORED:
                ANCHORED[name](pattern, subject)
                continue
            pattern.search(subject)
            for _ in pattern.finditer(subject):
                pass
    return len(patterns)


def test_the_anchored_patterns_exist() -> None:
    for name in ANCHORED:
        module, _, _ = name.rpartition(".")
        assert name in patterns_of(module), name


@pytest.mark.parametrize("module_name", SCANNING)
def test_every_pattern_finishes_on_every_run(module_name: str) -> None:
    tried = run_isolated(try_patterns, module_name, SIZE, path=module_name, timeout_s=GUARD_S)
    assert tried == len(patterns_of(module_name))


def test_the_old_contact_pattern_would_not_have_finished() -> None:
    """The guard catches what it is for: the pattern of the issue, on one run, is stopped."""
    from assistant.errors import UnreadableFileError

    old = re.compile(r"\S+@\S+\.\w+")
    with pytest.raises(UnreadableFileError, match="longer than"):
        run_isolated(old.search, h.long_runs(SIZE)["base64"], path="old pattern", timeout_s=5)


# -- the whole reading path: into a real store with the real model --------------------------


def _file_text(run: str) -> str:
    return f"# Review of practice\n\n{passage(run)}\n\nThe learning was shared with partners.\n"


@pytest.mark.slow
def test_long_runs_are_read_into_the_store(
    tmp_path: Path, rla_home: Path, embedder: Any
) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    runs = h.long_runs(SIZE)
    for name, run in runs.items():
        for suffix in (".md", ".txt"):
            (folder / f"{name}{suffix}").write_text(_file_text(run), encoding="utf-8")
    # Each file is read in the worker under GUARD_S: a quadratic pattern makes it "skipped".
    settings = replace(Settings.from_env(), file_timeout_s=GUARD_S)
    assert settings.home == rla_home
    assistant = Assistant(settings, embedder=embedder)
    try:
        report = assistant.ingest([folder])
        assert report.skipped == (), report.skipped
        assert sorted(c.file for c in report.ingested) == sorted(p.name for p in folder.iterdir())
        for card in assistant.documents():
            stored = " ".join(c.text for c in assistant.store.chunks_for(card.doc_id))
            assert runs[Path(card.file).stem] in stored, card.file  # read whole, not cut
        answer = assistant.ask(QUESTION)
        assert answer.grounded and "professional curiosity" in answer.text
    finally:
        assistant.store.close()


# -- other layouts and formats, read by the real worker ------------------------------------

LAYOUT_RUNS = ["letters", "base64", "at-and-dots", "nested-div", "minified-js", "punctuation",
               "hyphenated", "link-brackets"]


def _layout(run: str, layout: str) -> str:
    if layout == "own paragraph":
        return f"# Review\n\n{BEFORE}\n\n{run}\n\n{AFTER[2:]}\n"
    if layout == "hard-wrapped":
        lines = "\n".join(run[i : i + 5] for i in range(0, len(run), 5))
        return f"# Review\n\n{BEFORE}\n{lines}\n{AFTER[2:]}\n"
    if layout == "one character a line":
        return f"# Review\n\n{BEFORE}\n" + "\n".join(run) + f"\n{AFTER[2:]}\n"
    assert layout == "a page every five characters"
    pages = "\f".join(run[i : i + 5] for i in range(0, len(run), 5))
    return f"# Review\n\n{BEFORE}\n{pages}\n{AFTER[2:]}\n"


LAYOUTS = ["own paragraph", "hard-wrapped", "one character a line",
           "a page every five characters"]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("suffix", [".md", ".txt"])
def test_long_runs_in_other_layouts_are_read_in_time(
    tmp_path: Path, layout: str, suffix: str
) -> None:
    runs = h.long_runs(SIZE)
    params = ChunkingParams(file_timeout_s=GUARD_S)
    for name in LAYOUT_RUNS:
        path = tmp_path / f"{name}{suffix}"
        path.write_text(_layout(runs[name], layout), encoding="utf-8")
        prepared = prepare_isolated(path, MetadataIndex(None), params)
        assert prepared.chunks, name
        if layout == "own paragraph":
            assert any(runs[name] in c.text for c in prepared.chunks), name


@pytest.mark.parametrize("name", LAYOUT_RUNS)
def test_long_runs_in_html_and_pdf_are_read_in_time(tmp_path: Path, name: str) -> None:
    run = h.long_runs(SIZE)[name]
    html = tmp_path / f"{name}.html"
    escaped = run.replace("&", "&amp;").replace("<", "&lt;")
    html.write_text(f"<html><body><main><h1>Review</h1><p>{BEFORE}{escaped}{AFTER}</p>"
                    f"<div>{run}</div></main></body></html>", encoding="utf-8")
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(h.text_pdf(BEFORE + re.sub(r"[()\\]", "-", run) + AFTER))
    for path in (html, pdf):
        prepared = prepare_isolated(path, MetadataIndex(None), ChunkingParams(
            file_timeout_s=GUARD_S))
        assert prepared.chunks, path.name

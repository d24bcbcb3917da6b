"""``rla eval``: the metric functions on hand-made cases, and a run on a tiny real store."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS_PDF, DEV_SET

from assistant.dev.eval_table import render
from assistant.dev.evaluate import (
    BASELINE,
    EvalItem,
    contains,
    first_rank,
    load_items,
    percentile,
    run_eval,
    score_answer,
    score_passages,
)
from assistant.types import Answer, Chunk, Citation, Evidence

SMALL_PDFS = [
    "ci-news-learning-from-scrs-2012-2015.pdf",
    "learning-from-serious-case-reviews-briefing.pdf",
]
SMALL_IDS = {"eval-20", "eval-22", "eval-26"}  # answered by those two files, and one null item


def _chunk(cid: str, text: str) -> Chunk:
    return Chunk(cid, "doc", "Title", "f.pdf", "", 1, 1, 0, text)


def _answer(
    text: str, citations: tuple[Citation, ...], passages: list[str], grounded: bool
) -> Answer:
    evidence = tuple(Evidence(i + 1, _chunk(f"c{i}", p), 1.0) for i, p in enumerate(passages))
    return Answer("q", text, citations, evidence, "extractive", grounded)


def _citation(marker: int, quote: str, passage: str) -> Citation:
    return Citation(marker, "c0", "Title", "f.pdf", "", 1, 1, quote, passage)


def test_folding_ignores_whitespace_and_case() -> None:
    assert contains("Two  neglect\nsummits were HELD", "two neglect summits")
    assert not contains("two neglected summits", "two neglect summits were")
    assert first_rank(["nothing", "also nothing", "The most\ncommon cause"], "most common") == 3
    assert first_rank(["a", "b"], "c") is None


def test_percentile_interpolates() -> None:
    assert percentile([], 50) == 0.0
    assert percentile([5.0], 95) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([float(i) for i in range(1, 101)], 95) == pytest.approx(95.05)


def test_score_answer_rank_mrr_cited_and_integrity() -> None:
    passage = "Reviews found that 11 of these children died. Other text."
    item = EvalItem("x", "q", "11 of these  children")
    good = _answer("Reviews found that 11 of these children died. [1]",
                   (_citation(1, "Reviews found that 11 of these children died.", passage),),
                   ["unrelated", passage], grounded=True)
    r = score_answer(item, good, 8, 12.0)
    assert (r.rank, r.retrieved, r.reciprocal_rank, r.cited) == (2, True, 0.5, True)
    assert r.integrity_ok and r.problems == ()
    # k cuts the evidence: the passage at rank 2 is not within the top 1
    assert score_answer(item, good, 1, 12.0).retrieved is False


def test_a_quote_that_is_not_verbatim_is_caught() -> None:
    passage = "Reviews found that 11 of these children died."
    bad = _answer("Reviews found that eleven children died. [1] [2]",
                  (_citation(1, "Reviews found that eleven children died.", passage),),
                  [passage], grounded=True)
    r = score_answer(EvalItem("x", "q", "11 of these"), bad, 8, 1.0)
    assert not r.integrity_ok
    assert any("not verbatim" in p for p in r.problems)
    assert any("[2]" in p for p in r.problems)


def test_refusals_are_scored_on_null_items() -> None:
    refusal = _answer("The indexed documents do not cover this question.", (), ["x"], False)
    r = score_answer(EvalItem("n", "q", None), refusal, 8, 1.0)
    assert r.refused_correctly is True and r.retrieved is None and r.integrity_ok
    wrong = _answer("x [1]", (_citation(1, "x", "x"),), ["x"], True)
    assert score_answer(EvalItem("n", "q", None), wrong, 8, 1.0).refused_correctly is False


def test_baseline_rows_have_no_answerer() -> None:
    r = score_passages(EvalItem("x", "q", "needle"), ["hay", "a needle"], 3.0)
    assert (r.rank, r.cited, r.grounded, r.integrity_ok) == (2, True, None, None)


def test_load_items_reads_the_dev_set_and_refuses_junk(tmp_path: Path) -> None:
    items = load_items(DEV_SET)
    assert items and any(i.must_contain is None for i in items)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"no_question": 1}\n')
    from assistant.errors import SettingsError

    with pytest.raises(SettingsError):
        load_items(bad)


@pytest.fixture(scope="module")
def tiny_assistant(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Any:
    from assistant.config import Settings
    from assistant.core import Assistant

    home = tmp_path_factory.mktemp("eval-home")
    assistant = Assistant(replace(Settings.from_env({}), home=home), embedder=embedder)
    report = assistant.ingest([CORPUS_PDF / name for name in SMALL_PDFS])
    assert report.ok
    return assistant


@pytest.mark.slow
def test_eval_ablation_on_a_tiny_store(tiny_assistant: Any, embedder: Any) -> None:
    items = [i for i in load_items(DEV_SET) if i.id in SMALL_IDS]
    assert len(items) == 3
    report = run_eval(
        tiny_assistant,
        items,
        k=8,
        modes=("hybrid", "dense", "keyword"),
        baseline_files=[CORPUS_PDF / name for name in SMALL_PDFS],
        baseline_embedder=embedder,
        questions_file="dev",
    )
    assert [r.name for r in report.rows] == ["hybrid", "dense", "keyword", BASELINE]
    for row in report.rows:
        totals = row.totals()
        assert totals["questions"] == 3 and totals["answerable"] == 2
        for key in ("retrieved_at_k", "mrr", "cited"):
            assert 0.0 <= totals[key] <= 1.0
        assert totals["latency_ms_p95"] >= totals["latency_ms_p50"] >= 0.0
    hybrid = report.row("hybrid").totals()
    assert hybrid["integrity"] == 1.0 and 0.0 <= hybrid["refusal_accuracy"] <= 1.0
    base = report.row(BASELINE).totals()
    assert base["refusal_accuracy"] is None and base["integrity"] is None
    assert report.baseline_ingest and report.baseline_ingest["chunks"] > 0

    data = json.loads(json.dumps(report.to_dict()))
    assert data["k"] == 8 and len(data["rows"]) == 4
    first = data["rows"][0]
    assert set(first) == {"name", "note", "totals", "ratio_to_baseline", "per_question"}
    assert set(first["ratio_to_baseline"]) == {"retrieved_at_k", "mrr", "cited", "latency_ms_p50"}
    assert len(first["per_question"]) == 3

    text = render(report, per_question="hybrid")
    assert "baseline" in text and "ours / baseline" in text and "eval-26" in text


@pytest.mark.slow
def test_eval_cli_json(
    tiny_assistant: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from assistant.cli import main

    monkeypatch.setenv("RLA_HOME", str(tiny_assistant.settings.home))
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "\n".join(line for line in DEV_SET.read_text().splitlines()
                  if json.loads(line)["id"] in SMALL_IDS)
    )
    tiny_assistant.store.close()  # the CLI opens the store itself
    result = CliRunner().invoke(main, ["eval", str(questions), "--mode", "keyword", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [r["name"] for r in data["rows"]] == ["keyword"]
    assert data["rows"][0]["totals"]["questions"] == 3


@pytest.mark.slow
def test_eval_reports_the_llm_sentence_pass_share(tiny_assistant: Any, embedder: Any) -> None:
    """With an LLM backend (only the model is stood in for), eval says how many of its
    sentences passed the checks."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from assistant.answering.llm.answerer import LLMAnswerer, NamedChatModel
    from assistant.core import Assistant

    # One sentence without a marker (fails), then the same with an invented marker (fails).
    model = FakeListChatModel(responses=["Reviews were held in Scotland. Neglect recurs [99]."])
    llm_assistant = Assistant(tiny_assistant.settings, embedder=embedder,
                              chat_model=NamedChatModel("fake", model))
    assert isinstance(llm_assistant.answerer, LLMAnswerer) and llm_assistant.answerer.strict
    items = [i for i in load_items(DEV_SET) if i.id in SMALL_IDS]
    report = run_eval(llm_assistant, items, k=8, modes=("hybrid",))
    note = next(n for n in report.notes if "passed the checks" in n)
    assert note.startswith("llm:fake: 0 of ")

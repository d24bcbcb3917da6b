"""``rla eval``: retrieval and answer quality on a question set, with an ablation table.

Input: JSON lines with ``question`` and ``must_contain`` (a phrase a right passage holds, or
null for a question the documents do not answer). Figures, per question and in total:

- retrieved@k: one of the k evidence passages contains ``must_contain`` (whitespace collapsed,
  case folded); MRR: 1 / the rank of the first such passage (0 when none);
- cited: a passage the answer cites contains it; answered: the answer is grounded;
- false refusals: the share of answerable items refused (``grounded: false``);
- refusal accuracy ("traps refused"): the share of null items refused;
- integrity: every quote verbatim in its passage and every ``[n]`` resolving;
- latency of the whole ``ask``.

The ablation runs hybrid, dense and keyword retrieval and the baseline (the textbook LangChain
pipeline of ``assistant.dev.baseline``, built over the same PDF files) and gives each row's ratio
to the baseline. The baseline has no answerer, so its "cited" is its retrieved@k and refusal
and integrity do not apply.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.answering.citations import integrity_problems
from assistant.answering.retrieve import MODES, Mode
from assistant.errors import SettingsError
from assistant.text import fold
from assistant.types import Answer

BASELINE = "baseline"
BASELINE_NOTE = (
    "baseline = LangChain PyPDFLoader + RecursiveCharacterTextSplitter(1000, 200) + the same "
    "MiniLM (fp32) + Chroma, dense top-k; it has no answerer, so its 'cited' is its "
    "retrieved@k and refusal/integrity do not apply"
)


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    must_contain: str | None


def load_items(path: Path) -> list[EvalItem]:
    """Questions from a JSON-lines file (``id`` optional, ``must_contain`` may be null)."""
    items: list[EvalItem] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise SettingsError(f"{path}: cannot read the questions ({err.strerror})") from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question = str(row["question"]).strip()
        except (ValueError, KeyError, TypeError):
            raise SettingsError(f"{path}:{n}: not a JSON object with a 'question'") from None
        must = row.get("must_contain")
        items.append(EvalItem(str(row.get("id") or f"q{n}"), question, str(must) if must else None))
    if not items:
        raise SettingsError(f"{path}: no questions")
    return items


def contains(passage: str, needle: str) -> bool:
    return fold(needle) in fold(passage)


def first_rank(passages: Sequence[str], needle: str) -> int | None:
    """1-based rank of the first passage that contains ``needle``, or None."""
    want = fold(needle)
    return next((i for i, p in enumerate(passages, start=1) if want in fold(p)), None)


@dataclass(frozen=True)
class QuestionResult:
    id: str
    question: str
    must_contain: str | None
    latency_ms: float
    rank: int | None = None  # of the first passage holding must_contain, within k
    retrieved: bool | None = None  # None: a null item (nothing to retrieve)
    reciprocal_rank: float | None = None
    cited: bool | None = None
    grounded: bool | None = None  # None: no answerer (the baseline)
    refused_correctly: bool | None = None  # only for null items with an answerer
    problems: tuple[str, ...] = ()
    integrity_ok: bool | None = None


def score_answer(item: EvalItem, answer: Answer, k: int, latency_ms: float) -> QuestionResult:
    problems = tuple(integrity_problems(answer))
    common: dict[str, Any] = {
        "id": item.id,
        "question": item.question,
        "must_contain": item.must_contain,
        "latency_ms": latency_ms,
        "grounded": answer.grounded,
        "problems": problems,
        "integrity_ok": not problems,
    }
    if item.must_contain is None:
        return QuestionResult(**common, refused_correctly=not answer.grounded)
    rank = first_rank([e.chunk.text for e in answer.evidence[:k]], item.must_contain)
    cited = any(contains(c.passage, item.must_contain) for c in answer.citations)
    return QuestionResult(
        **common,
        rank=rank,
        retrieved=rank is not None,
        reciprocal_rank=1.0 / rank if rank else 0.0,
        cited=cited,
    )


def score_passages(item: EvalItem, passages: Sequence[str], latency_ms: float) -> QuestionResult:
    """A row without an answerer: "cited" is whether the top k hold the phrase."""
    if item.must_contain is None:
        return QuestionResult(item.id, item.question, None, latency_ms)
    rank = first_rank(passages, item.must_contain)
    return QuestionResult(
        item.id,
        item.question,
        item.must_contain,
        latency_ms,
        rank=rank,
        retrieved=rank is not None,
        reciprocal_rank=1.0 / rank if rank else 0.0,
        cited=rank is not None,
    )


def percentile(values: Sequence[float], q: float, *, nearest: bool = False) -> float:
    """The ``q``-th percentile (0-100) of ``values``, 0.0 for none: linearly interpolated between
    the two nearest ranks, or with ``nearest`` the value at the nearest rank."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    if nearest:
        return ordered[min(len(ordered) - 1, round(pos))]
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _share(flags: Sequence[bool | None]) -> float | None:
    known = [f for f in flags if f is not None]
    return sum(known) / len(known) if known else None


@dataclass(frozen=True)
class Row:
    """One line of the table: a retrieval mode (or the baseline) over all questions."""

    name: str
    results: tuple[QuestionResult, ...]
    note: str = ""
    ratio_to_baseline: dict[str, float | None] = field(default_factory=dict)

    def totals(self) -> dict[str, Any]:
        answerable = [r for r in self.results if r.must_contain is not None]
        null = [r for r in self.results if r.must_contain is None]
        latencies = [r.latency_ms for r in self.results]
        rr = [r.reciprocal_rank for r in answerable if r.reciprocal_rank is not None]
        return {
            "questions": len(self.results),
            "answerable": len(answerable),
            "unanswerable": len(null),
            "retrieved_at_k": _share([r.retrieved for r in answerable]),
            "mrr": sum(rr) / len(rr) if rr else None,
            "cited": _share([r.cited for r in answerable]),
            "answered": _share([r.grounded for r in answerable]),
            # answerable questions refused (the complement of "answered")
            "false_refusals": _share(
                [not r.grounded for r in answerable if r.grounded is not None]
            ),
            "refusal_accuracy": _share([r.refused_correctly for r in null]),
            "integrity": _share([r.integrity_ok for r in self.results]),
            "latency_ms_p50": percentile(latencies, 50),
            "latency_ms_p95": percentile(latencies, 95),
            "latency_ms_mean": statistics.fmean(latencies) if latencies else 0.0,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "note": self.note,
            "totals": _rounded(self.totals()),
            "ratio_to_baseline": _rounded(self.ratio_to_baseline),
            "per_question": [_rounded(asdict(r)) for r in self.results],
        }


RATIO_KEYS = ("retrieved_at_k", "mrr", "cited", "latency_ms_p50")


def with_ratios(rows: Sequence[Row]) -> list[Row]:
    """Each row with ``ours / baseline`` for the headline figures (None where undefined)."""
    base = next((r for r in rows if r.name == BASELINE), None)
    if base is None:
        return list(rows)
    b = base.totals()
    out = []
    for row in rows:
        t = row.totals()
        ratios: dict[str, float | None] = {}
        for key in RATIO_KEYS:
            ours, theirs = t.get(key), b.get(key)
            ratios[key] = ours / theirs if ours is not None and theirs else None
        out.append(Row(row.name, row.results, row.note, ratios))
    return out


@dataclass(frozen=True)
class EvalReport:
    questions_file: str
    k: int
    rows: tuple[Row, ...]
    store_chunks: int
    baseline_ingest: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()

    def row(self, name: str) -> Row:
        return next(r for r in self.rows if r.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions_file": self.questions_file,
            "k": self.k,
            "store_chunks": self.store_chunks,
            "rows": [r.to_dict() for r in self.rows],
            "baseline_ingest": self.baseline_ingest,
            "notes": list(self.notes),
        }


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


# -- running -------------------------------------------------------------------------------------


def forget_recent_queries(assistant: Any) -> None:
    """Empty the retriever's cache of recent query vectors (so a timing includes encoding) and
    of passages split into units (so a repeated question splits its passages again)."""
    from ingest.units import forget_splits

    cache = getattr(assistant.retriever, "_vectors", None)
    if cache is not None:
        cache.clear()
    forget_splits()


def eval_mode(assistant: Any, items: Sequence[EvalItem], k: int, mode: Mode) -> Row:
    """Ask every question of ``items`` with retrieval ``mode`` and score the answers."""
    forget_recent_queries(assistant)  # each mode pays for its own query vectors
    results = []
    for item in items:
        started = time.perf_counter()
        answer: Answer = assistant.ask(item.question, k=k, mode=mode)
        latency = (time.perf_counter() - started) * 1000
        results.append(score_answer(item, answer, k, latency))
    return Row(mode, tuple(results))


def eval_baseline(
    search: Callable[[str, int], list[str]], items: Sequence[EvalItem], k: int
) -> Row:
    results = []
    for item in items:
        started = time.perf_counter()
        passages = search(item.question, k)
        latency = (time.perf_counter() - started) * 1000
        results.append(score_passages(item, passages, latency))
    return Row(BASELINE, tuple(results), note=BASELINE_NOTE)


def require_documents(assistant: Any) -> None:
    if assistant.is_empty():
        raise SettingsError(
            "the store is empty: ingest the documents the questions are about first "
            "(`rla ingest PATH`)"
        )


def run_eval(
    assistant: Any,
    items: Sequence[EvalItem],
    *,
    k: int = 8,
    modes: Sequence[Mode] = ("hybrid",),
    baseline_files: Sequence[Path] | None = None,
    baseline_embedder: Any = None,
    questions_file: str = "",
) -> EvalReport:
    """Score ``modes`` on the assistant's store, and the baseline over ``baseline_files``."""
    require_documents(assistant)
    assistant.warm_up()  # the model and keyword index load here, not in the first latency
    rows = [eval_mode(assistant, items, k, mode) for mode in modes]
    notes: list[str] = []
    stats = getattr(assistant.answerer, "stats", None)  # the LLM answerer counts its checks
    if stats is not None and stats.sentences:
        notes.append(
            f"{assistant.answerer.backend}: {stats.passed} of {stats.sentences} sentences "
            f"({stats.share:.0%}) passed the checks; {stats.fallbacks} of {stats.answers} "
            "answers fell back to quoting the sources"
        )
    baseline_ingest = None
    if baseline_files is not None:
        from assistant.dev.baseline import BaselinePipeline, pdf_files

        pdfs = pdf_files(baseline_files)
        if not pdfs:
            notes.append("baseline skipped: no PDF files given for it")
        else:
            if baseline_embedder is None:
                from vectorstore.embedder import MiniLMEmbedder

                baseline_embedder = MiniLMEmbedder(backend="torch")  # the tutorial's fp32
            with BaselinePipeline(baseline_embedder) as pipeline:
                baseline_ingest = pipeline.ingest(pdfs).to_dict()
                rows.append(eval_baseline(pipeline.search, items, k))
            notes.append(BASELINE_NOTE)
    return EvalReport(
        questions_file=questions_file,
        k=k,
        rows=tuple(with_ratios(rows)),
        store_chunks=int(assistant.store.count()),
        baseline_ingest=baseline_ingest,
        notes=tuple(notes),
    )


def modes_for(mode: str, ablation: bool) -> tuple[Mode, ...]:
    return MODES if ablation else (next(m for m in MODES if m == mode),)

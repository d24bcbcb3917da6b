"""The shared dev set on the 5 PDFs alone: retrieval and citation figures, printed.

Every unanswerable question is refused (not grounded, no citations), and at least 70% of the
answerable ones cite a passage containing their ``must_contain`` text (whitespace and case
folded). The bar was 90% when the answer step was tuned on these 13 questions; it carried
over to no other question. The answer step is now fitted on this set and ``web.jsonl`` as a
whole, and judged on held-out folds over both corpora in one store
(``tests/answering/test_library_answers.py``); this test guards the PDFs-only store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.core import Assistant
from assistant.text import collapse

pytestmark = pytest.mark.slow

DEV_SET = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev.jsonl"
K = 8


def fold(text: str) -> str:
    return collapse(text).lower()


def test_dev_set_figures(corpus_assistant: Assistant, capsys: pytest.CaptureFixture[str]) -> None:
    items: list[dict[str, Any]] = [
        json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line
    ]
    answerable = [i for i in items if i.get("must_contain")]
    unanswerable = [i for i in items if not i.get("must_contain")]
    assert answerable and unanswerable

    retrieved, cited, refused = [], [], []
    rows = []
    for item in items:
        answer = corpus_assistant.ask(item["question"], k=K)
        if item in answerable:
            want = fold(item["must_contain"])
            hit_retrieved = any(want in fold(e.chunk.text) for e in answer.evidence)
            hit_cited = any(want in fold(c.passage) for c in answer.citations)
            retrieved.append(hit_retrieved)
            cited.append(hit_cited)
            rows.append(
                f"  {item['id']:<8} retrieved={'yes' if hit_retrieved else 'NO '} "
                f"cited={'yes' if hit_cited else 'NO '} grounded={answer.grounded}"
            )
        else:
            ok = not answer.grounded and not answer.citations
            refused.append(ok)
            rows.append(f"  {item['id']:<8} refused={'yes' if ok else 'NO '}")

    retrieved_at_k = sum(retrieved) / len(retrieved)
    cited_share = sum(cited) / len(cited)
    refusal_accuracy = sum(refused) / len(refused)
    with capsys.disabled():
        print(f"\n\ndev set ({len(items)} questions: {len(answerable)} answerable):")
        print("\n".join(rows))
        for label, value, hits in (
            (f"retrieved@{K}", retrieved_at_k, retrieved),
            ("cited share of answerable", cited_share, cited),
            ("refusal accuracy", refusal_accuracy, refused),
        ):
            print(f"  {label + ':':<27} {value:.0%} ({sum(hits)}/{len(hits)})")

    assert cited_share >= 0.7, f"cited share {cited_share:.0%} is under 70%"
    assert all(refused), "an unanswerable question was answered"

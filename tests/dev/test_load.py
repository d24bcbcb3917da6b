"""Many users at once, briefly: clients asking through the HTTP API while a batch ingest runs
(``make load`` runs the full 20 clients for 60 seconds)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from assistant.dev.evaluate import percentile
from assistant.dev.loadtest import (
    MAX_CLIENTS,
    MAX_SECONDS,
    QUESTIONS,
    REPO,
    run_load,
)

SAMPLE = REPO / "assistant" / "sample_corpus"

pytestmark = pytest.mark.slow


@pytest.mark.stress
def test_five_clients_for_ten_seconds_during_an_ingest_all_get_right_answers() -> None:
    result = run_load(5, 10, batch_files=4, base=[SAMPLE])
    assert result["failed"] == 0, result["failures"]
    assert result["wrong_answers"] == 0, result["wrong"]
    assert result["requests"] >= 5  # every client got answers
    assert result["ingest"].get("documents") == 4, result["ingest"]
    assert result["new_documents_answered"]  # the index was refreshed after the ingest
    assert result["p50_s"] <= result["p95_s"] <= result["max_s"]
    # The batch is off-topic: most questions' answers are the same after it.
    assert len(result["answers_changed_by_batch"]) < len(QUESTIONS) // 2


def test_the_load_is_bounded() -> None:
    assert MAX_CLIENTS == 50 and MAX_SECONDS == 600
    assert percentile([], 50, nearest=True) == 0.0  # the latencies' nearest-rank percentiles
    assert percentile([3.0, 1.0, 2.0], 50, nearest=True) == 2.0
    assert percentile([float(i) for i in range(1, 101)], 95, nearest=True) == 95.0


def test_a_question_does_not_wait_for_a_whole_ingest_to_be_embedded(
    embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedder, "batch_size", 8)
    texts = [f"Passage {i} about supervision, escalation and professional challenge. " * 8
             for i in range(96)]
    embedder.embed(texts[:8])  # loaded
    done: dict[str, float] = {}
    started = threading.Event()

    def bulk() -> None:
        embedder.embed(texts, progress=lambda n: started.set())
        done["bulk"] = time.monotonic()

    worker = threading.Thread(target=bulk)
    worker.start()
    assert started.wait(60)
    vector = embedder.embed_query("what about supervision?")
    done["question"] = time.monotonic()
    worker.join(300)
    assert vector.shape == (384,)
    # The question got the model between two batches of the ingest, not after all of them.
    assert done["question"] < done["bulk"], done

"""``rla bench`` end to end at a tiny scale: it runs and its JSON has every figure.

No timing is asserted: this machine is shared and the figures are only printed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS_PDF, DEV_SET

from assistant.dev.evaluate import load_items

SMALL_PDFS = [
    "ci-news-learning-from-scrs-2012-2015.pdf",
    "learning-from-serious-case-reviews-briefing.pdf",
]


@pytest.mark.slow
def test_bench_runs_at_a_tiny_scale(tmp_path: Path) -> None:
    from assistant.dev.bench import run_bench
    from assistant.dev.bench_report import render

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in SMALL_PDFS:
        shutil.copy(CORPUS_PDF / name, corpus / name)
    items = [i for i in load_items(DEV_SET) if i.id in {"eval-20", "eval-22", "eval-26"}]
    messages: list[str] = []
    results = run_bench(
        corpus=[corpus], metadata=None, items=items, scale=2000, rounds=1, passes=1,
        cache=tmp_path / "cache", say=messages.append,
    )
    data = json.loads(json.dumps(results))
    assert set(data) == {"machine", "ingest", "encoders", "ask", "targets"}
    assert data["machine"]["cpu_model"] and data["machine"]["torch_threads"] >= 1
    ingest = data["ingest"]
    assert ingest["files"] == 2 and ingest["chunks"] > 0 and ingest["baseline_chunks"] > 0
    for key in ("ours_s_median", "baseline_s_median", "raw_encode_s_median",
                "ingest_ratio_to_raw_encode", "ingest_ratio_to_baseline", "pages_per_s"):
        assert ingest[key] > 0
    assert {"parse", "clean", "chunk", "embed", "store"} <= set(ingest["stage_seconds"])
    assert set(ingest["baseline_stage_seconds"]) == {"load", "split", "embed", "store"}
    for size, chunks in (("corpus", ingest["chunks"]), ("scale", 2000)):
        ask = data["ask"][size]
        assert ask["chunks"] == chunks and ask["asks"] == 3
        for key in ("retrieve_ms_p50", "retrieve_ms_p95", "answer_ms_p50", "answer_ms_p95",
                    "peak_rss_mb"):
            assert ask[key] > 0
        assert ask["baseline"]["retrieve_ms_p95"] > 0
    assert data["ask"]["scale"]["baseline"]["chunks"] == 2000
    assert data["ask"]["sizes"]["2000"] == data["ask"]["scale"]
    more = data["ask"]["scale"]
    assert more["one_more_s"] > 0 and more["one_more_empty_s"] > 0 and more["one_more_ratio"] > 0
    measured = [r for r in data["encoders"] if "seconds" in r]
    assert measured[0]["name"] == "torch fp32" and measured[0]["cosine_mean"] == pytest.approx(1)
    for row in measured:
        assert 0.0 <= row["hybrid_retrieved_at_8"] <= 1.0
    for target in data["targets"].values():
        assert target["status"].split()[0] in {"PASS", "MISS", "n/a"}
    text = render(results)
    assert "ours / raw encode" in text and "peak RSS" in text and "encoders" in text
    assert "one more document" in text and "ready after" in text

    # The scaled stores are cached: a second build finds them.
    from assistant.dev.bench_scale import cache_root

    assert any(p.name.startswith("ours-2000-") for p in cache_root(tmp_path / "cache").iterdir())


def test_the_encoder_rule_keeps_fp32_unless_an_option_is_faster_and_as_good() -> None:
    from assistant.dev.bench_report import _encoding_target

    def row(name: str, encoder: str, speed: float, cos: float, hit: float) -> dict[str, object]:
        return {"name": name, "encoder": encoder, "threads": "default", "speedup_vs_fp32": speed,
                "cosine_mean": cos, "hybrid_retrieved_at_8": hit}

    fp32 = row("torch fp32", "torch-fp32", 1.0, 1.0, 0.91)
    int8 = row("torch int8", "torch-int8-dynamic", 1.5, 0.93, 0.91)  # fast but not as good
    bf16 = row("torch bf16", "torch-bf16", 2.5, 0.99998, 0.91)
    assert _encoding_target([fp32, int8], "torch-fp32")["status"] == "PASS"  # no bf16 here
    assert _encoding_target([fp32, int8, bf16], "torch-bf16")["status"] == "PASS"
    assert _encoding_target([fp32, int8, bf16], "torch-fp32")["status"] == "MISS"
    assert _encoding_target([fp32, int8], "torch-int8-dynamic")["status"] == "MISS"

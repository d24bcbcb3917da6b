"""``rla bench``: ingest, encoding and ask speed on this machine, beside the LangChain baseline.

Ingest: ours (the whole ``Assistant.ingest`` into a fresh store), the baseline
(``assistant.dev.baseline``) and the raw ``SentenceTransformer.encode`` (fp32, the model-bound
floor) of every text our ingest embeds (the chunks, then their quotable units), and of the
chunks alone, alternate over rounds, with models loaded beforehand; ratios are the median of
the per-round ratios. Ask: p50/p95 of retrieval and of the whole answer, measured
by a fresh serving process (``assistant.dev.bench_scale``) on the corpus store and on a synthetic
store of ``scale`` chunks, plus the baseline's retrieval at both sizes and the serving
process's peak RSS. Targets are printed beside each figure; nothing here asserts them.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.dev import bench_encoders, bench_scale
from assistant.dev.bench_report import targets
from assistant.dev.evaluate import EvalItem
from assistant.resources import sample_corpus_dir

Say = Callable[[str], None]

SIZES = (100_000, 1_000_000)  # the sizes with targets; --scale N measures 100,000 and N
RELEVANT_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16",
                  "amx_bf16", "amx_int8", "amx_tile")


def machine() -> dict[str, Any]:
    """CPU model and flags, cores, torch threads: what the figures were measured on."""
    import torch

    model, flags = platform.processor() or "unknown", list[str]()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and model in ("unknown", platform.processor()):
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = line.split(":", 1)[1].split()
    except OSError:
        pass
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu_model": model,
        "cpu_flags_relevant": [f for f in RELEVANT_FLAGS if f in flags],
        "cpu_flags": flags,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def bench_ingest(
    corpus: Sequence[Path], metadata: Path | None, rounds: int, work: Path, say: Say
) -> tuple[dict[str, Any], Path, Any]:
    """Alternate ours, the baseline and raw encode; return the figures, the last store's home
    and the last baseline (kept open for the ask measurements)."""
    from assistant.config import Settings
    from assistant.core import Assistant
    from assistant.dev.baseline import BaselinePipeline, pdf_files
    from vectorstore.embedder import MiniLMEmbedder, reference_model

    ours_embedder = MiniLMEmbedder(backend=Settings.from_env().embed_backend or _default())
    fp32 = MiniLMEmbedder(backend="torch")
    raw_model = reference_model()  # SentenceTransformer itself: the floor
    fp32.load()
    ours_embedder.load()
    pdfs = pdf_files(corpus)
    per_round: list[dict[str, Any]] = []
    home = work / "ours-0"
    baseline: Any = None
    texts: list[str] = []  # what ingest embeds: the chunks' texts, then their units'
    chunk_count = 0  # how many of ``texts`` are chunks (known after the first "ours")
    for r in range(rounds):
        figures: dict[str, Any] = {}
        home = work / f"ours-{r}"

        # alternate which goes first, so drift in the machine's load hits both alike
        order = ("ours", "raw", "baseline") if r % 2 == 0 else ("baseline", "raw", "ours")
        for step in order:
            say(f"ingest round {r + 1}/{rounds}: {step}")
            if step == "ours":
                assistant = Assistant(
                    replace(Settings.from_env(), home=home), embedder=ours_embedder
                )
                report = assistant.ingest(list(corpus), metadata_csv=metadata)
                figures["ours_s"] = report.seconds
                figures["ours_stages"] = dict(report.stage_seconds)
                figures["chunks"] = chunk_count = report.chunks
                figures["pages"] = sum(c.pages for c in report.ingested)
                if not texts:  # the same every round: what the raw encode is timed on
                    texts.extend(_embedded_texts(assistant.store.all_chunks()))
                assistant.store.close()
            elif step == "raw":  # plain fp32 SentenceTransformer.encode, its defaults
                started = time.perf_counter()
                raw_model.encode(texts, normalize_embeddings=True)
                figures["raw_encode_s"] = time.perf_counter() - started
                started = time.perf_counter()
                raw_model.encode(texts[:chunk_count], normalize_embeddings=True)
                figures["raw_encode_chunks_s"] = time.perf_counter() - started
            else:
                if baseline is not None:
                    baseline.close()
                baseline = BaselinePipeline(fp32)
                got = baseline.ingest(pdfs)
                figures["baseline_s"] = got.seconds
                figures["baseline_stages"] = got.stage_seconds
                figures["baseline_chunks"] = got.chunks
        per_round.append(figures)
        if r < rounds - 1:
            shutil.rmtree(home, ignore_errors=True)
    last = per_round[-1]
    ours_s = _median([f["ours_s"] for f in per_round])
    stages = {k: round(_median([f["ours_stages"].get(k, 0.0) for f in per_round]), 3)
              for k in per_round[0]["ours_stages"]}
    base_stages = {k: round(_median([f["baseline_stages"].get(k, 0.0) for f in per_round]), 3)
                   for k in per_round[0]["baseline_stages"]}
    result = {
        "files": len(pdfs),
        "pages": last["pages"],
        "chunks": last["chunks"],
        "baseline_chunks": last["baseline_chunks"],
        "rounds": rounds,
        "ours_s_median": round(ours_s, 3),
        "baseline_s_median": round(_median([f["baseline_s"] for f in per_round]), 3),
        "raw_encode_s_median": round(_median([f["raw_encode_s"] for f in per_round]), 3),
        "pages_per_s": round(last["pages"] / ours_s, 2) if ours_s else None,
        "chunks_per_s": round(last["chunks"] / ours_s, 2) if ours_s else None,
        "embedded_texts": len(texts),
        "ingest_ratio_to_raw_encode": round(
            _median([f["ours_s"] / f["raw_encode_s"] for f in per_round]), 3),
        "raw_encode_chunks_s_median": round(
            _median([f["raw_encode_chunks_s"] for f in per_round]), 3),
        "ingest_ratio_to_raw_encode_chunks": round(
            _median([f["ours_s"] / f["raw_encode_chunks_s"] for f in per_round]), 3),
        "ingest_ratio_to_baseline": round(
            _median([f["ours_s"] / f["baseline_s"] for f in per_round]), 3),
        "stage_seconds": stages,
        "baseline_stage_seconds": base_stages,
        "per_round": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in f.items()}
                      for f in per_round],
        "encoder": ours_embedder.encoder,
    }
    return result, home, (baseline, fp32)


def _embedded_texts(chunks: Sequence[Any]) -> list[str]:
    """Every text ingest embeds for ``chunks``: each chunk's, then each distinct unit's."""
    from ingest.units import unit_texts

    return [c.index_text() for c in chunks] + unit_texts(chunks)[0]


def _default() -> str:
    from vectorstore.embedder import DEFAULT_BACKEND

    return DEFAULT_BACKEND


def run_bench(
    *,
    corpus: Sequence[Path],
    metadata: Path | None,
    items: Sequence[EvalItem],
    scale: int = 100_000,
    rounds: int = 3,
    passes: int = 3,
    k: int = 8,
    cache: Path | None = None,
    encoders: bool = True,
    sizes: Sequence[int] = (),
    one_more: Path | None = None,
    say: Say = lambda _msg: None,
) -> dict[str, Any]:
    """Every figure of the benchmark, as one JSON-able dict (see ``bench_report.render``).

    ``sizes``: the scaled stores to measure (default ``scales(scale)``); ``one_more``: the
    document whose ingest is timed into each scaled store and into an empty one (default: one
    of the project's sample pages, which no scaled store holds)."""
    from vectorstore.chroma_store import ChromaStore
    from vectorstore.embedder import DIM, MODEL_NAME

    results: dict[str, Any] = {"machine": machine()}
    one_more = one_more or min(sample_corpus_dir().glob("*.md"))
    questions = [i.question for i in items]
    cache_dir = bench_scale.cache_root(cache)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rla-bench-") as tmp:
        work = Path(tmp)
        ingest, home, (baseline, fp32) = bench_ingest(corpus, metadata, max(1, rounds), work, say)
        results["ingest"] = ingest
        try:
            source = ChromaStore(home / "chroma", model_name=MODEL_NAME, dim=DIM)
            chunks, cards = source.all_chunks(), source.cards()
            if encoders:
                results["encoders"] = bench_encoders.compare(
                    fp32, chunks, cards, items, rounds=max(1, rounds), k=k, say=say)
            ask: dict[str, Any] = {"corpus": bench_scale.probe(home, questions, passes, say)}
            ask["corpus"]["baseline"] = bench_scale.baseline_latency(
                baseline, questions, k, passes)
            ask["sizes"] = {}
            for n in sizes or scales(scale):
                big_home, info = bench_scale.scaled_store(source, n, cache_dir, say)
                got = bench_scale.probe(big_home, questions, passes, say, one_more=one_more)
                got["store"] = info
                big_base = bench_scale.scaled_baseline(baseline, n, cache_dir, fp32, say)
                got["baseline"] = bench_scale.baseline_latency(big_base, questions, k, passes)
                big_base.close()
                ask["sizes"][str(n)] = got
            source.close()
            ask["scale"] = ask["sizes"].get(str(scale), {})
            results["ask"] = ask
        finally:
            baseline.close()
    results["machine"]["load_average_at_end"] = (
        list(os.getloadavg()) if hasattr(os, "getloadavg") else None)
    results["targets"] = targets(results)
    return results


def scales(scale: int) -> tuple[int, ...]:
    """The sizes ``--scale`` measures: 100,000 (a target's size) and ``scale`` if larger."""
    return (SIZES[0], scale) if scale > SIZES[0] else (scale,)

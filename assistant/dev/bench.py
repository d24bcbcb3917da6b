"""``rla bench``: ingest, encoding and ask speed on this machine, beside the LangChain baseline.

Ingest: ours (the whole ``Assistant.ingest`` into a fresh store), the baseline
(``assistant.dev.baseline``) and the raw ``SentenceTransformer.encode`` of our chunk texts (fp32,
the model-bound floor) alternate over rounds, with models loaded beforehand; ratios are the
median of the per-round ratios. Ask: p50/p95 of retrieval and of the whole answer, measured
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
from assistant.dev.evaluate import EvalItem

Say = Callable[[str], None]

# (figure, JSON path, target, how to compare) beside each figure in the table.
TARGETS = {
    "ingest_ratio_to_raw_encode": (1.25, "<="),
    "ask_p95_ms_corpus": (300.0, "<"),
    "ask_p95_ms_scale": (1000.0, "<"),
    "peak_rss_mb_scale": (2048.0, "<"),
}
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
    from vectorstore.embedder import MiniLMEmbedder

    ours_embedder = MiniLMEmbedder(backend=Settings.from_env().embed_backend or _default())
    fp32 = MiniLMEmbedder(backend="torch")
    raw_model = fp32.load()
    ours_embedder.load()
    pdfs = pdf_files(corpus)
    per_round: list[dict[str, Any]] = []
    home = work / "ours-0"
    baseline: Any = None
    texts: list[str] = []
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
                figures["chunks"] = report.chunks
                figures["pages"] = sum(c.pages for c in report.ingested)
                if not texts:  # the same every round: what the raw encode is timed on
                    texts.extend(c.index_text() for c in assistant.store.all_chunks())
                assistant.store.close()
            elif step == "raw":  # plain fp32 SentenceTransformer.encode, its defaults
                started = time.perf_counter()
                raw_model.encode(texts, normalize_embeddings=True)
                figures["raw_encode_s"] = time.perf_counter() - started
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
        "ingest_ratio_to_raw_encode": round(
            _median([f["ours_s"] / f["raw_encode_s"] for f in per_round]), 3),
        "ingest_ratio_to_baseline": round(
            _median([f["ours_s"] / f["baseline_s"] for f in per_round]), 3),
        "stage_seconds": stages,
        "baseline_stage_seconds": base_stages,
        "per_round": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in f.items()}
                      for f in per_round],
        "encoder": ours_embedder.encoder,
    }
    return result, home, (baseline, fp32)


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
    say: Say = lambda _msg: None,
) -> dict[str, Any]:
    """Every figure of the benchmark, as one JSON-able dict (see ``render``)."""
    from vectorstore.chroma_store import ChromaStore
    from vectorstore.embedder import DIM, MODEL_NAME

    results: dict[str, Any] = {"machine": machine()}
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
            big_home, info = bench_scale.scaled_store(source, scale, cache_dir, say)
            source.close()
            ask["scale"] = bench_scale.probe(big_home, questions, passes, say)
            ask["scale"]["store"] = info
            big_base = bench_scale.scaled_baseline(baseline, scale, cache_dir, fp32, say)
            ask["scale"]["baseline"] = bench_scale.baseline_latency(big_base, questions, k, passes)
            big_base.close()
            results["ask"] = ask
        finally:
            baseline.close()
    results["machine"]["load_average_at_end"] = (
        list(os.getloadavg()) if hasattr(os, "getloadavg") else None)
    results["targets"] = targets(results, scale)
    return results


def _status(value: float | None, target: float, op: str) -> str:
    if value is None:
        return "n/a"
    ok = value <= target if op == "<=" else value < target
    return "PASS" if ok else "MISS"


def targets(results: dict[str, Any], scale: int) -> dict[str, dict[str, Any]]:
    ask = results.get("ask", {})
    values = {
        "ingest_ratio_to_raw_encode": results["ingest"]["ingest_ratio_to_raw_encode"],
        "ask_p95_ms_corpus": ask.get("corpus", {}).get("answer_ms_p95"),
        "ask_p95_ms_scale": ask.get("scale", {}).get("answer_ms_p95"),
        "peak_rss_mb_scale": ask.get("scale", {}).get("peak_rss_mb"),
    }
    out = {}
    for name, (target, op) in TARGETS.items():
        status = _status(values[name], target, op)
        if name.endswith("_scale") and scale < 100_000 and status != "n/a":
            status += f" (at {scale} chunks, not 100,000)"
        out[name] = {"value": values[name], "target": f"{op} {target:g}", "status": status}
    enc = [r for r in results.get("encoders", []) if "seconds" in r]
    if enc:
        out["encoding_faster_than_fp32"] = _encoding_target(enc, results["ingest"]["encoder"])
    return out


def _encoding_target(rows: list[dict[str, Any]], adopted: str) -> dict[str, Any]:
    """The adopted encoder (default threads) against fp32: faster, same quality."""
    fp32 = rows[0]
    mine = next((r for r in rows if r["encoder"] == adopted and r["threads"] == "default"), fp32)
    keys = [k for k in fp32 if k.startswith("hybrid_retrieved_at_")]
    same = all(
        mine[k] is None or fp32[k] is None or mine[k] >= fp32[k] - 0.01 for k in keys)
    faster = (mine["speedup_vs_fp32"] or 0) > 1.0
    ok = faster and same and mine["cosine_mean"] >= 0.99
    return {"value": f"{mine['name']}: x{mine['speedup_vs_fp32']} speed, cosine "
            f"{mine['cosine_mean']}, retrieval {'kept' if same else 'lost'}",
            "target": "faster than fp32, cosine >= 0.99, retrieved@k within 1 point",
            "status": "PASS" if ok else "MISS"}


# -- rendering -----------------------------------------------------------------------------------


def _v(value: Any, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.2f}{unit}" if value < 100 else f"{value:,.0f}{unit}"
    return f"{value}{unit}"


def render(results: dict[str, Any]) -> str:
    m, ing, tg = results["machine"], results["ingest"], results["targets"]
    ask = results.get("ask", {})
    lines = [
        f"rla bench, {m['date']}",
        f"CPU: {m['cpu_model']}, {m['cores']} cores; flags: {' '.join(m['cpu_flags_relevant'])}",
        f"torch {m['torch']}, {m['torch_threads']} threads; load average at start "
        f"{_loads(m.get('load_average_at_start'))}, at end {_loads(m.get('load_average_at_end'))}",
        "",
        f"{'figure':<44} {'value':>12}  {'target':<10} status",
    ]
    rows: list[tuple[str, Any, str, str]] = [
        (f"ingest: {ing['files']} files, {ing['pages']} pages, {ing['chunks']} chunks", "", "", ""),
        (f"  ours, whole ingest (median of {ing['rounds']})", _v(ing["ours_s_median"], " s"), "",
         ""),
        ("  baseline, whole ingest", _v(ing["baseline_s_median"], " s"), "", ""),
        ("  raw SentenceTransformer.encode (fp32)", _v(ing["raw_encode_s_median"], " s"), "", ""),
        ("  ours pages/s", _v(ing["pages_per_s"]), "", ""),
        ("  ours chunks/s", _v(ing["chunks_per_s"]), "", ""),
        ("  ours / raw encode (median of rounds)", _v(ing["ingest_ratio_to_raw_encode"]),
         *_t(tg, "ingest_ratio_to_raw_encode")),
        ("  ours / baseline (median of rounds)", _v(ing["ingest_ratio_to_baseline"]), "", ""),
    ]
    for size in ("corpus", "scale"):
        a = ask.get(size)
        if not a:
            continue
        b = a.get("baseline", {})
        rows += [
            (f"ask at {a['chunks']:,} chunks ({a['asks']} asks)", "", "", ""),
            ("  ours retrieval p50 / p95",
             f"{_v(a['retrieve_ms_p50'])} / {_v(a['retrieve_ms_p95'])} ms", "", ""),
            ("  ours whole answer p50", _v(a["answer_ms_p50"], " ms"), "", ""),
            ("  ours whole answer p95", _v(a["answer_ms_p95"], " ms"),
             *_t(tg, f"ask_p95_ms_{size}")),
            ("  baseline retrieval p50 / p95",
             f"{_v(b.get('retrieve_ms_p50'))} / {_v(b.get('retrieve_ms_p95'))} ms", "", ""),
            ("  serving process peak RSS", _v(a["peak_rss_mb"], " MB"),
             *(_t(tg, "peak_rss_mb_scale") if size == "scale" else ("", ""))),
            ("  serving process ready after (warm-up)", _v(a["ready_s"], " s"), "", ""),
        ]
    if "encoding_faster_than_fp32" in tg:
        t = tg["encoding_faster_than_fp32"]
        rows.append(("encoding faster than fp32, same quality", "see below", "", t["status"]))
    for name, value, target, status in rows:
        lines.append(f"{name:<44} {value:>12}  {target:<10} {status}".rstrip())
    lines += ["", "stages of our ingest (s, median): " + _stages(ing["stage_seconds"]),
              "stages of the baseline (s, median): " + _stages(ing["baseline_stage_seconds"])]
    enc = results.get("encoders")
    if enc:
        k = next((key.rsplit("_", 1)[1] for r in enc for key in r
                  if key.startswith("hybrid_retrieved_at_")), "k")
        lines += ["", f"encoders on the {ing['chunks']} corpus chunks (median of rounds):",
                  f"{'option':<24} {'s':>7} {'chunks/s':>8} {'speed-up':>8} {'cos mean':>8} "
                  f"{'cos min':>8} {'hybrid@' + k:>9} {'dense@' + k:>8}"]
        for r in enc:
            if "skipped" in r:
                lines.append(f"{r['name']:<24} skipped: {r['skipped']}")
                continue
            lines.append(
                f"{r['name']:<24} {r['seconds']:>7.2f} {_v(r['chunks_per_s']):>8} "
                f"{'x' + _v(r['speedup_vs_fp32']):>8} {r['cosine_mean']:>8.5f} "
                f"{r['cosine_min']:>8.5f} {_v(r.get('hybrid_retrieved_at_' + k)):>9} "
                f"{_v(r.get('dense_retrieved_at_' + k)):>8}")
        if "encoding_faster_than_fp32" in tg:
            t = tg["encoding_faster_than_fp32"]
            lines.append(f"adopted: {t['value']} -> {t['status']} ({t['target']})")
    return "\n".join(lines)


def _t(targets_: dict[str, Any], name: str) -> tuple[str, str]:
    t = targets_.get(name)
    return (t["target"], t["status"]) if t else ("", "")


def _stages(stages: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in stages.items())


def _loads(values: Sequence[float] | None) -> str:
    return "n/a" if not values else " ".join(f"{v:.1f}" for v in values)

"""Encoder options for ``rla bench``: speed, agreement with fp32, and dev-set retrieval.

Each option encodes the same chunk texts; options alternate over rounds and the median time
counts. Quality is the cosine of each vector to the fp32 one, and retrieved@k on the question
set with a store holding that option's vectors (queries encoded by the same option).
"""

from __future__ import annotations

import copy
import importlib.util
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.types import Chunk, DocumentCard
from vectorstore.chroma_store import ChromaStore
from vectorstore.embedder import (
    DIM,
    MODEL_NAME,
    MiniLMEmbedder,
    bf16_supported,
    reference_model,
)

Say = Callable[[str], None]


class Int8Embedder:
    """The fp32 model with its Linear layers dynamically quantized to int8 (torch.ao)."""

    name = MODEL_NAME
    dim = DIM
    encoder = "torch-int8-dynamic"

    def __init__(self, model: Any) -> None:
        import torch

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.ao's eager quantization is deprecated
            quantize: Any = torch.ao.quantization.quantize_dynamic  # untyped
            self._model = quantize(
                copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8
            )

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vecs = self._model.encode(list(texts), batch_size=64, normalize_embeddings=True)
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), DIM)

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        return self.embed([text]).reshape(DIM)


@dataclass
class Option:
    name: str
    embedder: Any
    threads: int | None  # None: torch's default for this machine
    times: list[float]
    vectors: npt.NDArray[np.float32] | None = None


def _options(fp32: MiniLMEmbedder) -> tuple[list[Option], list[dict[str, Any]]]:
    model = reference_model()  # quantized as sentence-transformers holds it
    bf16 = MiniLMEmbedder(backend="bf16")
    options = [
        Option("torch fp32", fp32, None, []),
        Option("torch fp32, 1 thread", fp32, 1, []),
    ]
    skipped: list[dict[str, Any]] = []
    if bf16_supported():
        options.append(Option("torch bf16", bf16, None, []))
        options.append(Option("torch bf16, 1 thread", bf16, 1, []))
    else:
        skipped.append({"name": "torch bf16", "skipped": "this CPU has no native bf16"})
    options.append(Option("torch int8 dynamic", Int8Embedder(model), None, []))
    if importlib.util.find_spec("onnx") is None:
        skipped.append({
            "name": "onnxruntime fp32 / int8",
            "skipped": "exporting the weights needs the `onnx` package, which is not installed "
            "(measured once by hand: fp32 no faster than torch fp32, int8 cosine 0.948)",
        })
    return options, skipped


def _time(option: Option, texts: Sequence[str]) -> None:
    import torch

    before = torch.get_num_threads()
    if option.threads is not None:
        torch.set_num_threads(option.threads)
    try:
        started = time.perf_counter()
        vectors = option.embedder.embed(texts)
        option.times.append(time.perf_counter() - started)
    finally:
        torch.set_num_threads(before)
    if option.vectors is None:
        option.vectors = np.asarray(vectors, dtype=np.float32)


def compare(
    fp32: MiniLMEmbedder,
    chunks: Sequence[Chunk],
    cards: Sequence[DocumentCard],
    items: Sequence[Any],
    *,
    rounds: int,
    k: int,
    say: Say,
) -> list[dict[str, Any]]:
    """One row per option: seconds, chunks/s, speed-up, cosine to fp32, retrieved@k."""
    texts = [c.index_text() for c in chunks]
    options, skipped = _options(fp32)
    for opt in options:  # first use: lazy loading and allocator warm-up stay out of timings
        opt.embedder.embed(texts[:4])
    for r in range(rounds):
        turn = options[r % len(options) :] + options[: r % len(options)]
        for opt in turn:
            say(f"encoders: round {r + 1}/{rounds}, {opt.name}")
            _time(opt, texts)
    ref = options[0].vectors
    assert ref is not None
    base_s = statistics.median(options[0].times)
    retrieval: dict[str, dict[str, float | None]] = {}
    rows: list[dict[str, Any]] = []
    for opt in options:
        assert opt.vectors is not None
        cos = (opt.vectors * ref).sum(axis=1) if len(ref) else np.ones(1)
        encoder = getattr(opt.embedder, "encoder", opt.name)
        if encoder not in retrieval:
            say(f"encoders: dev-set retrieval with {encoder} vectors")
            retrieval[encoder] = _retrieval(opt.embedder, chunks, cards, opt.vectors, items, k)
        seconds = statistics.median(opt.times)
        rows.append({
            "name": opt.name,
            "encoder": encoder,
            "threads": opt.threads or "default",
            "seconds": round(seconds, 3),
            "chunks_per_s": round(len(texts) / seconds, 1) if seconds else None,
            "speedup_vs_fp32": round(base_s / seconds, 2) if seconds else None,
            "cosine_mean": round(float(cos.mean()), 5),
            "cosine_min": round(float(cos.min()), 5),
            **retrieval[encoder],
        })
    return rows + skipped


def _retrieval(
    embedder: Any,
    chunks: Sequence[Chunk],
    cards: Sequence[DocumentCard],
    vectors: npt.NDArray[np.float32],
    items: Sequence[Any],
    k: int,
) -> dict[str, float | None]:
    from assistant.config import Settings
    from assistant.core import Assistant
    from assistant.dev.evaluate import eval_mode

    with tempfile.TemporaryDirectory(prefix="rla-bench-enc-") as tmp:
        home = Path(tmp)
        store = ChromaStore(home / "chroma", model_name=MODEL_NAME, dim=DIM,
                            encoder=getattr(embedder, "encoder", ""))
        store.add_chunks(list(chunks), vectors)
        for card in cards:
            mine = [i for i, c in enumerate(chunks) if c.doc_id == card.doc_id]
            if mine:
                mean = vectors[mine].mean(axis=0)
                store.put_card(card, (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32))
        store.close()
        assistant = Assistant(replace(Settings.from_env(), home=home), embedder=embedder)
        out: dict[str, float | None] = {}
        for mode in ("hybrid", "dense"):
            out[f"{mode}_retrieved_at_{k}"] = eval_mode(assistant, items, k, mode).totals()[
                "retrieved_at_k"
            ]
        assistant.store.close()
        return out

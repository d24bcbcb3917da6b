"""Synthetic stores for ``rla bench``, and the serving probe that measures them.

A scaled store replicates a real store's chunks (and the baseline's passages) up to N rows
with distinct ids and documents. Vectors are the stored ones with a tiny deterministic
perturbation (so no two rows are equal), never re-encoded. Built stores are cached under
``RLA_BENCH_CACHE`` (default ``~/.cache/rla-bench``), keyed by their source and size.

The probe (``python -m assistant.dev.bench_scale HOME QUESTIONS.json``) is a fresh process that
opens a store as ``rla serve`` would, warms up, asks the questions and prints its latencies
and its peak RSS as one JSON line.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.config import Settings
from assistant.library.summary import DocSummary
from assistant.types import Chunk, DocumentCard
from ingest.units import UNITS_VERSION
from vectorstore.chroma_store import ChromaStore
from vectorstore.embedder import DIM, MODEL_NAME
from vectorstore.keyword_folder import KeywordFolder, doc_rows
from vectorstore.segments import Segment, replicate

NOISE = 1e-3  # size of the perturbation added to each replicated unit vector
BATCH = 5000
_DONE = "complete.json"
Say = Callable[[str], None]


def cache_root(explicit: Path | None = None) -> Path:
    if explicit is not None:
        return explicit
    env = os.environ.get("RLA_BENCH_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "rla-bench"


def _key(*parts: object) -> str:
    return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()[:12]


def _perturbed(vectors: npt.NDArray[np.float32], copy: int) -> npt.NDArray[np.float32]:
    """Copy 0 is the original; copy j gets noise from a generator seeded with j."""
    if copy == 0:
        return vectors
    rng = np.random.default_rng(copy)
    out = vectors + NOISE * rng.standard_normal(vectors.shape).astype(np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def _ready(folder: Path) -> dict[str, Any] | None:
    try:
        info: dict[str, Any] = json.loads((folder / _DONE).read_text())
        return info
    except (OSError, ValueError):
        return None


def stored_vectors(store: ChromaStore, ids: Sequence[str]) -> npt.NDArray[np.float32]:
    """The stored vectors of ``ids``, in that order."""
    col, _ = store._collections()
    rows: dict[str, Any] = {}
    for start in range(0, len(ids), BATCH):
        got = col.get(ids=list(ids[start : start + BATCH]), include=["embeddings"])
        stored: Any = got["embeddings"]
        rows.update(zip(got["ids"], stored, strict=True))
    return np.asarray([rows[i] for i in ids], dtype=np.float32)


def scaled_store(source: ChromaStore, n: int, cache: Path, say: Say) -> tuple[Path, dict[str, Any]]:
    """An RLA_HOME holding ``n`` chunks replicated from ``source`` (built once, then cached)."""
    chunks = source.all_chunks()
    if not chunks:
        raise ValueError("the source store is empty")
    encoder = source.recorded_encoder()
    key = _key(MODEL_NAME, encoder, n, f"units-{UNITS_VERSION}", "summary-1", "keyword-1",
               *(c.chunk_id for c in chunks))
    home = cache / f"ours-{n}-{key}"
    info = _ready(home)
    if info is not None:
        say(f"using the cached {n}-chunk store at {home}")
        return home, info
    shutil.rmtree(home, ignore_errors=True)
    started = time.perf_counter()
    vectors = stored_vectors(source, [c.chunk_id for c in chunks])
    units = source.unit_vectors([c.chunk_id for c in chunks])  # copies share their sentences
    packed = [units.get(c.chunk_id, "") for c in chunks]
    cards = {c.doc_id: c for c in source.cards()}
    summaries = source.card_summaries()
    store = ChromaStore(home / "chroma", model_name=MODEL_NAME, dim=DIM, encoder=encoder)
    copies = math.ceil(n / len(chunks))
    written = 0
    pending: list[Chunk] = []
    pending_vectors: list[npt.NDArray[np.float32]] = []
    pending_units: list[str] = []
    for copy in range(copies):
        take = min(len(chunks), n - written)
        pending.extend(_replica(c, copy) for c in chunks[:take])
        pending_units.extend(packed[:take])
        pending_vectors.append(_perturbed(vectors[:take], copy))
        written += take
        if len(pending) >= BATCH or written == n:  # chunks in big upserts, cards after them
            store.add_chunks(pending, np.concatenate(pending_vectors), pending_units)
            first = copy - len(pending_vectors) + 1
            for c in range(first, copy + 1):
                _put_cards(store, chunks[: min(len(chunks), n - c * len(chunks))], vectors,
                           cards, summaries, c)
            pending, pending_vectors, pending_units = [], [], []
            say(f"scaled store: {written}/{n} chunks")
    _keyword_index(home, store, chunks, copies, n)
    store.close()
    info = {"chunks": n, "copies": copies, "encoder": encoder,
            "built_s": round(time.perf_counter() - started, 1)}
    (home / _DONE).write_text(json.dumps(info))
    return home, info


def _put_cards(
    store: ChromaStore,
    chunks: Sequence[Chunk],
    vectors: npt.NDArray[np.float32],
    cards: dict[str, DocumentCard],
    summaries: dict[str, str],
    copy: int,
) -> None:
    """The cards of one copy's documents (with their tag summaries), after their chunks."""
    for doc_id in dict.fromkeys(c.doc_id for c in chunks):
        card = cards.get(doc_id)
        if card is None:
            continue
        mine = [i for i, c in enumerate(chunks) if c.doc_id == doc_id]
        mean = vectors[mine].mean(axis=0)
        store.put_card(
            replace(card, doc_id=_doc_id(doc_id, copy), file=_file(card.file, copy),
                    chunks=len(mine)),
            (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32),
            _renamed_summary(summaries.get(doc_id, ""), copy),
        )


def _renamed_summary(raw: str, copy: int) -> str:
    """A copy's summary: the same counts, its own chunk ids for the table passages."""
    summary = DocSummary.from_json(raw)
    if summary is None or copy == 0:
        return raw
    return replace(summary, tables=tuple(f"{c}~{copy}" for c in summary.tables)).to_json()


def _keyword_index(home: Path, store: ChromaStore, chunks: Sequence[Chunk], copies: int,
                   n: int) -> None:
    """The scaled store's keyword index, as ``rla`` keeps it: the source's segment repeated
    for each copy (no text is tokenised twice), at the store's revision."""
    rows = doc_rows(chunks)
    seg = Segment.build(rows)
    whole = n // len(chunks)
    ids = np.array([_replica_id(bytes(i).decode(), j).encode()
                    for j in range(whole) for i in seg.ids])
    names = np.array([_doc_id(bytes(d).decode(), j).encode()
                      for j in range(whole) for d in seg.doc_names])
    folder = KeywordFolder(Settings(home=home).keyword_dir)
    folder.put_segment(store.revision(), replicate(seg, ids, names))
    if whole < copies:  # the last, partial copy: its passages as any new document's are
        last = [_replica(c, whole) for c in chunks[: n - whole * len(chunks)]]
        folder.put(store.revision(), doc_rows(last))


def _doc_id(doc_id: str, copy: int) -> str:
    return doc_id if copy == 0 else hashlib.sha256(f"{doc_id}:{copy}".encode()).hexdigest()


def _file(file: str, copy: int) -> str:
    return file if copy == 0 else f"copy{copy:05d}-{file}"


def _replica_id(chunk_id: str, copy: int) -> str:
    return chunk_id if copy == 0 else f"{chunk_id}~{copy}"


def _replica(chunk: Chunk, copy: int) -> Chunk:
    if copy == 0:
        return chunk
    return replace(chunk, chunk_id=_replica_id(chunk.chunk_id, copy),
                   doc_id=_doc_id(chunk.doc_id, copy), file=_file(chunk.file, copy))


def scaled_baseline(pipeline: Any, n: int, cache: Path, embedder: Any, say: Say) -> Any:
    """A ``BaselinePipeline`` over ``n`` passages replicated from ``pipeline`` (cached)."""
    from assistant.dev.baseline import BaselinePipeline

    ids, texts, metas, vectors = pipeline.export()
    # LangChain gives passages random ids: order and key the cache by content instead.
    order = sorted(range(len(ids)), key=lambda i: (json.dumps(metas[i], sort_keys=True), texts[i]))
    ids = [f"p{rank:06d}" for rank in range(len(order))]
    texts, metas, vectors = [texts[i] for i in order], [metas[i] for i in order], vectors[order]
    folder = cache / f"baseline-{n}-{_key(MODEL_NAME, n, *texts)}"
    if _ready(folder) is not None:
        say(f"using the cached {n}-passage baseline store at {folder}")
        return BaselinePipeline(embedder, folder)
    shutil.rmtree(folder, ignore_errors=True)
    big = BaselinePipeline(embedder, folder)
    written, copy = 0, 0
    rows: tuple[list[str], list[str], list[dict[str, Any]], list[npt.NDArray[np.float32]]]
    rows = ([], [], [], [])
    while written < n:
        take = min(len(ids), n - written)
        rows[0].extend(f"{i}~{copy}" for i in ids[:take])
        rows[1].extend(texts[:take])
        rows[2].extend(metas[:take])
        rows[3].append(_perturbed(vectors[:take], copy))
        written += take
        copy += 1
        if len(rows[0]) >= BATCH or written == n:
            big.add_vectors(rows[0], rows[1], rows[2], np.concatenate(rows[3]))
            rows = ([], [], [], [])
            say(f"scaled baseline store: {written}/{n} passages")
    (folder / _DONE).write_text(json.dumps({"chunks": n, "copies": copy}))
    return big


# -- the serving probe ---------------------------------------------------------------------------


def probe(
    home: Path, questions: Sequence[str], passes: int, say: Say, one_more: Path | None = None
) -> dict[str, Any]:
    """Run the probe on ``home`` in a fresh process and return what it measured; with
    ``one_more``, also the time to ingest that document into ``home`` (removed again after)
    and into an empty store, by the same process."""
    env = dict(os.environ, RLA_HOME=str(home))
    with_questions = home.parent / f".probe-questions-{os.getpid()}.json"
    with_questions.write_text(json.dumps(list(questions)))
    try:
        say(f"serving probe on {home.name} ({passes} passes over {len(questions)} questions)")
        done = subprocess.run(
            [sys.executable, "-m", "assistant.dev.bench_scale", str(home), str(with_questions),
             str(passes), *([str(one_more)] if one_more else [])],
            env=env, capture_output=True, text=True, check=False,
        )
    finally:
        with_questions.unlink(missing_ok=True)
    if done.returncode != 0:
        raise RuntimeError(f"the serving probe failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _serve_and_measure(
    home: Path, questions: Sequence[str], passes: int, one_more: Path | None = None
) -> dict[str, Any]:
    from assistant.config import Settings
    from assistant.core import Assistant
    from assistant.dev.evaluate import forget_recent_queries, percentile
    from assistant.offline import enforce_offline

    enforce_offline()
    started = time.perf_counter()
    assistant = Assistant(replace(Settings.from_env(), home=home))
    assistant.warm_up()
    ready_s = time.perf_counter() - started
    retrieve, whole = [], []
    for _ in range(passes):
        for q in questions:
            forget_recent_queries(assistant)  # every ask pays for its query vector
            t = time.perf_counter()
            answer = assistant.ask(q)
            whole.append((time.perf_counter() - t) * 1000)
            retrieve.append(float(answer.timings_ms.get("retrieve", 0.0)))
    rss_kb = peak_rss_kb()  # before any ingest: the serving process's own peak
    added = _one_more(assistant, one_more) if one_more else {}
    return {
        "chunks": assistant.store.count(),
        "encoder": getattr(assistant.embedder, "encoder", ""),
        "ready_s": round(ready_s, 2),
        "asks": len(whole),
        "retrieve_ms_p50": round(percentile(retrieve, 50), 1),
        "retrieve_ms_p95": round(percentile(retrieve, 95), 1),
        "answer_ms_p50": round(percentile(whole, 50), 1),
        "answer_ms_p95": round(percentile(whole, 95), 1),
        "peak_rss_mb": round(rss_kb / 1024, 1),
        **added,
    }


def _one_more(assistant: Any, path: Path, rounds: int = 2) -> dict[str, Any]:
    """Wall time of ``Assistant.ingest`` of one document into this store and into an empty
    one, alternating, median of ``rounds``; the document is removed from this store after."""
    import tempfile

    from assistant.core import Assistant

    big: list[float] = []
    empty: list[float] = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="rla-one-more-") as tmp:
            fresh = Assistant(replace(assistant.settings, home=Path(tmp)),
                              embedder=assistant.embedder)
            empty.append(_timed_ingest(fresh, path))
            fresh.store.close()
        big.append(_timed_ingest(assistant, path))
        assistant.remove(path.name)
    big_s, empty_s = sorted(big)[len(big) // 2], sorted(empty)[len(empty) // 2]
    return {"one_more_file": path.name, "one_more_s": round(big_s, 3),
            "one_more_empty_s": round(empty_s, 3),
            "one_more_ratio": round(big_s / empty_s, 3) if empty_s else None}


def _timed_ingest(assistant: Any, path: Path) -> float:
    started = time.perf_counter()
    report = assistant.ingest([path])
    if len(report.ingested) != 1:
        raise RuntimeError(f"{path.name} did not ingest: {report.to_dict()}")
    return time.perf_counter() - started


def peak_rss_kb() -> int:
    """This process's peak resident set (VmHWM). Not ``ru_maxrss``: that survives ``exec`` and
    so reports the parent's size at the fork when it was larger (the bench's own 1.5 GB)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


def baseline_latency(
    pipeline: Any, questions: Sequence[str], k: int, passes: int
) -> dict[str, Any]:
    from assistant.dev.evaluate import percentile

    pipeline.search("warm up", k)
    times = []
    for _ in range(passes):
        for q in questions:
            t = time.perf_counter()
            pipeline.search(q, k)
            times.append((time.perf_counter() - t) * 1000)
    return {
        "chunks": pipeline.count(),
        "retrieve_ms_p50": round(percentile(times, 50), 1),
        "retrieve_ms_p95": round(percentile(times, 95), 1),
    }


if __name__ == "__main__":
    _home, _questions, _passes = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    _more = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    print(json.dumps(_serve_and_measure(_home, json.loads(_questions.read_text()), _passes,
                                        _more)))

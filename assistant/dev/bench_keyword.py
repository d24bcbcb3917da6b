"""Keyword index candidates side by side: SQLite FTS5's BM25, bm25s saved and memory-mapped,
and the project's segments (``vectorstore.keyword_folder``).

``python -m assistant.dev.bench_keyword [--size 100000] [--corpus DIR ...]`` cuts the corpus
texts into passages, replicates them to ``size`` rows, and for each candidate prints: build
time, open time (a new reader), query p50/p95 over the questions of the dev sets, the time to
add one more document, and the reader's resident memory after the queries. Each candidate runs
in its own process so that memory is its own. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vectorstore.keyword import tokenize

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CANDIDATES = ("fts5", "bm25s-mmap", "segments")


def passages(folders: Sequence[Path], words: int = 170) -> list[list[str]]:
    """The corpus texts cut into passages of about ``words`` words, tokenised."""
    out = []
    for folder in folders:
        for path in sorted(folder.glob("*")):
            if path.suffix not in (".txt", ".md"):
                continue
            text = path.read_text("utf-8", errors="replace").split()
            for i in range(0, len(text), words):
                out.append(tokenize(" ".join(text[i : i + words])))
    return out


def questions() -> list[str]:
    out = []
    for name in ("dev.jsonl", "web.jsonl"):
        path = SHARED / "eval" / name
        if path.exists():
            out += [json.loads(line)["question"] for line in path.read_text().splitlines() if line]
    return out


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _percentile(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else 0.0


def run(candidate: str, base: list[list[str]], size: int, work: Path) -> dict[str, Any]:
    """Build, reopen, query and add one document with one candidate (in this process)."""
    rows = [base[i % len(base)] for i in range(size)]
    extra = base[: 20]  # "one more document": 20 passages
    qs = [q for q in questions() if tokenize(q)]
    started = time.perf_counter()
    if candidate == "fts5":
        db = work / "fts.db"
        con = sqlite3.connect(db)
        con.execute("CREATE VIRTUAL TABLE f USING fts5(t, tokenize=\"unicode61 tokenchars "
                    "'-/.%'\", detail=column)")
        con.executemany("INSERT INTO f(rowid, t) VALUES (?, ?)",
                        ((i, " ".join(r)) for i, r in enumerate(rows)))
        con.commit()
        con.close()
        built = time.perf_counter() - started
        t = time.perf_counter()
        con = sqlite3.connect(db)
        opened = time.perf_counter() - t

        def search(q: str) -> None:
            terms = " OR ".join(f'"{w}"' for w in dict.fromkeys(tokenize(q)))
            con.execute("SELECT rowid FROM f WHERE f MATCH ? ORDER BY bm25(f) LIMIT 40",
                        (terms,)).fetchall()

        def add() -> None:
            con.executemany("INSERT INTO f(rowid, t) VALUES (?, ?)",
                            ((size + i, " ".join(r)) for i, r in enumerate(extra)))
            con.commit()
    elif candidate == "bm25s-mmap":
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        index = bm25s.BM25()
        index.index(rows, show_progress=False)
        index.save(work / "bm25s", show_progress=False)
        del index
        built = time.perf_counter() - started
        t = time.perf_counter()
        loaded = bm25s.BM25.load(work / "bm25s", mmap=True, show_progress=False)
        opened = time.perf_counter() - t
        vocab = loaded.vocab_dict

        def search(q: str) -> None:
            ids = [vocab[w] for w in dict.fromkeys(tokenize(q)) if w in vocab]
            if ids:
                scores = np.asarray(loaded.get_scores_from_ids(ids))
                np.argpartition(-scores, 39)[:40]

        def add() -> None:  # bm25s has no update: the whole index is built and saved again
            again = bm25s.BM25()
            again.index(rows + extra, show_progress=False)
            again.save(work / "bm25s-2", show_progress=False)
    else:
        from vectorstore.keyword_folder import KeywordFolder

        folder = KeywordFolder(work / "segments")
        docs = [(f"d{d}", [(f"c{i}", rows[i]) for i in range(d * 50, min(size, d * 50 + 50))])
                for d in range((size + 49) // 50)]
        folder.put("r1", docs)
        built = time.perf_counter() - started
        t = time.perf_counter()
        reader = KeywordFolder(work / "segments").current()
        opened = time.perf_counter() - t

        def search(q: str) -> None:
            reader.search(q, 40)

        def add() -> None:
            folder.put("r2", [("extra", [(f"x{i}", r) for i, r in enumerate(extra)])])
    times = []
    for q in qs:
        t = time.perf_counter()
        search(q)
        times.append((time.perf_counter() - t) * 1000)
    rss = _rss_mb()
    t = time.perf_counter()
    add()
    added = time.perf_counter() - t
    return {"candidate": candidate, "rows": size, "build_s": round(built, 2),
            "open_s": round(opened, 4), "query_ms_p50": round(_percentile(times, 50), 2),
            "query_ms_p95": round(_percentile(times, 95), 2), "add_one_doc_s": round(added, 3),
            "rss_after_queries_mb": round(rss, 1), "queries": len(times)}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--corpus", type=Path, nargs="*",
                        default=[SHARED / "corpus" / "text", SHARED / "corpus" / "web"])
    parser.add_argument("--only", choices=CANDIDATES)
    args = parser.parse_args(argv)
    base = passages(args.corpus)
    if args.only:  # one candidate, in this process: print its JSON line
        with tempfile.TemporaryDirectory(prefix="rla-kw-") as tmp:
            print(json.dumps(run(args.only, base, args.size, Path(tmp))))
        return
    print(f"{len(base)} passages from {', '.join(str(c) for c in args.corpus)}, "
          f"replicated to {args.size:,}")
    header = ("candidate", "build s", "open s", "query p50 ms", "query p95 ms", "add doc s",
              "RSS MB")
    print(" | ".join(header))
    for candidate in CANDIDATES:
        done = subprocess.run(
            [sys.executable, "-m", "assistant.dev.bench_keyword", "--size", str(args.size),
             "--only", candidate, "--corpus", *map(str, args.corpus)],
            capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(" | ".join(str(v) for v in (r["candidate"], r["build_s"], r["open_s"],
                                         r["query_ms_p50"], r["query_ms_p95"],
                                         r["add_one_doc_s"], r["rss_after_queries_mb"])))


if __name__ == "__main__":
    main()

"""Fit the learned theme probe on the development halves of the hand labels.

    python -m assistant.dev.theme_fit [--c 3.0] [--write]

One L2-regularised logistic regression per theme over [the passage's embedding, a strong
phrase of the theme stands in it, a context phrase does, similarity to the theme's
description]. At tagging time the probe is asked only where no rule gives the theme, so the
threshold is chosen for the union of the rules and the probe, by 4-fold cross-validation
across documents (a document's passages are never split between folds). Only the dev halves
of ``tests/data/theme_labels.jsonl`` and ``tests/data/web_labels.jsonl`` are used; the
held-out halves are for ``python -m assistant.dev.theme_eval``. ``--write`` saves the probe to
``ingest/data/theme_probe.json``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.dev.theme_eval import LABELS, WEB_LABELS, embedded_text, load_labels
from assistant.library.tagging import PROBE_FILE, ThemeProbe, ThemeTagger
from ingest.data_files import data_path
from ingest.sections import not_content
from ingest.themes import Taxonomy, phrase_hits

Array = npt.NDArray[np.float64]
THRESHOLDS = tuple(round(0.2 + 0.05 * i, 2) for i in range(13))  # 0.2 ... 0.8


def logistic(a: Array, y: Array, c: float, steps: int = 30) -> Array:
    """Weights (bias last) of an L2 logistic regression by Newton's method; the penalty is
    ``|w|^2 / (2c)`` beside the summed log-loss, the bias unpenalised (as scikit-learn's C)."""
    x = np.hstack([a, np.ones((len(a), 1))])
    w = np.zeros(x.shape[1])
    reg = np.full(x.shape[1], 1.0 / c)
    reg[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) + reg * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


def features(
    rows: Sequence[dict[str, Any]], taxonomy: Taxonomy, embedder: Any
) -> tuple[Array, Array, Array, Array, Array]:
    """Embeddings (n, d), phrase hits (n, themes, 2), similarities (n, themes), labels, and
    what the rules alone give (n, themes), each as tagging reads them."""
    vectors = np.asarray(embedder.embed([embedded_text(r) for r in rows]), dtype=np.float32)
    rules = ThemeTagger(embedder, taxonomy, learned=False)
    sims = (vectors @ rules.theme_vectors().T).astype(np.float64)
    hits = np.array([[phrase_hits(t, r["text"]) for t in taxonomy.themes] for r in rows],
                    dtype=np.float64)
    ids = [t.id for t in taxonomy.themes]
    labels = np.array([[t in r["themes"] for t in ids] for r in rows], dtype=np.float64)
    given = rules.tag_texts([r["text"] for r in rows], vectors)
    ruled = np.array([[t in {g.theme for g in tags} for t in ids] for tags in given],
                     dtype=np.float64)
    return vectors.astype(np.float64), hits, sims, labels, ruled


def fit(x: Array, hits: Array, sims: Array, labels: Array, c: float) -> tuple[Array, Array]:
    """Per theme: embedding weights and (phrase, context, similarity, bias)."""
    themes = labels.shape[1]
    weights = np.zeros((themes, x.shape[1]))
    extra = np.zeros((themes, 4))
    extra[:, 3] = -20.0  # a theme with no positive label is never learned
    for t in range(themes):
        if labels[:, t].sum() < 2:
            continue
        a = np.hstack([x, hits[:, t, :], sims[:, t : t + 1]])
        w = logistic(a, labels[:, t], c)
        weights[t], extra[t] = w[: x.shape[1]], w[x.shape[1] :]
    return weights, extra


def probe_of(weights: Array, extra: Array, threshold: float, fitted_on: str,
             taxonomy: Taxonomy) -> ThemeProbe:
    """The probe as tagging applies it (the phrase weight is dropped: the probe is asked only
    where no phrase of the theme stands)."""
    return ThemeProbe(tuple(t.id for t in taxonomy.themes), weights.astype(np.float32),
                      extra[:, 1:].astype(np.float32), threshold, fitted_on)


def micro_f1(gold: Array, got: Array) -> float:
    tp = float((gold * got).sum())
    fp, fn = float(((1 - gold) * got).sum()), float((gold * (1 - got)).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--c", type=float, default=3.0, help="inverse L2 strength")
    parser.add_argument("--write", action="store_true", help=f"write ingest/data/{PROBE_FILE}")
    args = parser.parse_args(argv)
    from assistant.offline import enforce_offline
    from vectorstore.embedder import MiniLMEmbedder

    enforce_offline()
    embedder = MiniLMEmbedder()
    taxonomy = Taxonomy.load()
    rows = [r for path in (LABELS, WEB_LABELS) for r in load_labels(path)
            if r["half"] == "dev" and not not_content(r["section"])]
    x, hits, sims, labels, ruled = features(rows, taxonomy, embedder)
    documents = sorted({r.get("file") or f"pdf-{i % 4}" for i, r in enumerate(rows)})
    fold_of = {d: i % 4 for i, d in enumerate(documents)}
    folds = np.array([fold_of[r.get("file") or f"pdf-{i % 4}"] for i, r in enumerate(rows)])
    held = np.zeros_like(labels)
    for k in range(4):
        train, test = folds != k, folds == k
        probe = probe_of(*fit(x[train], hits[train], sims[train], labels[train], args.c), 0.5,
                         f"fold {k}", taxonomy)
        held[test] = probe.probability(probe.base(x[test]), hits[test, :, 1], sims[test])
    scores = {th: micro_f1(labels, np.maximum(ruled, held >= th)) for th in THRESHOLDS}
    print(f"rules alone (dev halves, {len(rows)} passages): micro-F1 {micro_f1(labels, ruled):.3f}")
    for th, f in scores.items():
        print(f"  threshold {th:.2f}: rules + probe, cross-validated micro-F1 {f:.3f}")
    best = max(scores.values())
    chosen = [th for th, f in scores.items() if f >= best - 0.005]
    threshold = chosen[len(chosen) // 2]  # the middle of the best run, not its edge
    probe = probe_of(
        *fit(x, hits, sims, labels, args.c), threshold,
        f"dev halves of {LABELS.name} and {WEB_LABELS.name} ({len(rows)} passages), C={args.c}",
        taxonomy,
    )
    print(f"threshold {threshold:.2f} (cross-validated micro-F1 {scores[threshold]:.3f})")
    if args.write:
        path = data_path(PROBE_FILE)
        path.write_text(probe.to_json(), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()

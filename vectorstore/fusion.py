"""Reciprocal rank fusion: merge several best-first rankings of ids into one.

Each ranking contributes ``weight / (k + rank)`` (rank 1-based) to every id it lists; ids are
ordered by their summed score. RRF needs no score calibration between dense similarities and
BM25 scores, which is why hybrid search uses it. Ties keep the order in which ids were first
seen (ranking by ranking, best first), so results are deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]],
    k: int = 60,
    weights: Sequence[float] | None = None,
) -> list[tuple[str, float]]:
    """Fuse best-first rankings into ``[(id, score), ...]``, best first.

    ``k`` damps the advantage of the very top ranks (60 is the value from Cormack et al.).
    ``weights``, one per ranking, scale each ranking's contribution (default: all 1.0).
    An id listed twice in one ranking counts only at its best rank there.
    """
    if k < 0:
        raise ValueError("k must not be negative")
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("give one weight per ranking")

    scores: dict[str, float] = {}
    first_seen: dict[str, int] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        seen_here: set[str] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen_here:
                continue
            seen_here.add(item)
            first_seen.setdefault(item, len(first_seen))
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)

    ordered = sorted(scores, key=lambda item: (-scores[item], first_seen[item]))
    return [(item, scores[item]) for item in ordered]


def ranks(ranking: Sequence[str]) -> dict[str, int]:
    """``{id: 1-based rank}`` for one best-first ranking (first occurrence wins)."""
    out: dict[str, int] = {}
    for rank, item in enumerate(ranking, start=1):
        out.setdefault(item, rank)
    return out

"""BM25 keyword search over chunks (bm25s: scores precomputed into a sparse matrix).

Dense search misses exact figures, acronyms and names ("12%", "SCR", "MASH"); this index
catches them. Index and queries share one tokeniser: lowercase; words split on anything that is
not a letter or digit, but joined forms such as ``12%``, ``2018-2021`` and ``covid-19`` are kept
whole as well as split into their parts; English stopwords dropped; a small deterministic suffix
stemmer so that "reviews" matches "review" and "identified" matches "identifies".
"""

from __future__ import annotations

import functools
import logging
import math
import re
from array import array
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from assistant.text import STOPWORDS
from assistant.types import Chunk

# A run of letters/digits, optionally joined to more runs by - / . and optionally ending in %.
_TOKEN = re.compile(r"[a-z0-9]+(?:[-/.][a-z0-9]+)*%?")
_PART = re.compile(r"[a-z0-9]+")
_POSSESSIVE = re.compile(r"['’]s\b")
_VOWEL = re.compile(r"[aeiouy]")


@functools.lru_cache(maxsize=1 << 16)  # words repeat: at 100,000 chunks this halves build time
def stem(word: str) -> str:
    """A light suffix stemmer: plural s/es/ies, -ed/-ied, -ing, then a final -e.

    Words of three letters or fewer and anything containing a digit are left alone. The rules
    only need to be consistent (index and query use the same function), not linguistic.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    w = word
    # Plurals.
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "shes", "ches", "xes", "zzes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    # Past tense and participles.
    if w.endswith("ied") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("ed") and len(w) > 4 and _VOWEL.search(w[:-2]):
        w = _undouble(w[:-2])
    elif w.endswith("ing") and len(w) > 5 and _VOWEL.search(w[:-3]):
        w = _undouble(w[:-3])
    # A final e, so that "share", "shared" and "sharing" meet at "shar".
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def _undouble(stem_: str) -> str:
    """Undo a doubled final consonant ("plann" -> "plan"), but keep "call", "miss", "buzz"."""
    if len(stem_) >= 3 and stem_[-1] == stem_[-2] and stem_[-1] not in "lsz":
        return stem_[:-1]
    return stem_


def tokenize(text: str) -> list[str]:
    """Tokens for BM25, in text order; the same function serves documents and queries."""
    out: list[str] = []
    lowered = _POSSESSIVE.sub("", text.lower())
    for match in _TOKEN.finditer(lowered):
        whole = match.group()
        parts = _PART.findall(whole)
        if len(parts) > 1 or whole.endswith("%"):
            out.append(whole)
        for part in parts:
            if part in STOPWORDS or (len(part) == 1 and not part.isdigit()):
                continue
            out.append(stem(part))
    return out


class KeywordIndex:
    """A BM25 index over the ``index_text()`` of a fixed list of chunks.

    Build a new one when the store changes (compare ``revision`` with the store's).
    """

    def __init__(
        self,
        chunks: Sequence[Chunk],
        retriever: Any,
        revision: str = "",
        doc_freq: Mapping[str, int] | None = None,
    ) -> None:
        self._chunks: tuple[Chunk, ...] = tuple(chunks)
        self._doc_freq: Mapping[str, int] = doc_freq or {}
        self._retriever = retriever  # bm25s.BM25, or None when nothing has tokens
        self._vocab: dict[str, int] = dict(retriever.vocab_dict) if retriever is not None else {}
        self.revision = revision

    @classmethod
    def build(cls, chunks: Sequence[Chunk], revision: str = "") -> KeywordIndex:
        # Each document as a compact array of token ids, not a list of strings: at 100,000
        # chunks the lists of strings took ~700 MB more at their peak (`rla bench`).
        vocab: dict[str, int] = {}
        corpus: list[array[int]] = []
        counts: Counter[int] = Counter()
        for chunk in chunks:
            ids = [vocab.setdefault(t, len(vocab)) for t in tokenize(chunk.index_text())]
            counts.update(set(ids))
            corpus.append(array("i", ids))
        names = list(vocab)  # token id -> token
        doc_freq = {names[i]: n for i, n in counts.items()}
        if not vocab:
            return cls(chunks, None, revision, doc_freq)
        import bm25s

        # bm25s sets its own logger to DEBUG, which prints through any root handler.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        retriever = bm25s.BM25()
        retriever.index((corpus, vocab), show_progress=False)
        return cls(chunks, retriever, revision, doc_freq)

    def __len__(self) -> int:
        return len(self._chunks)

    def search(self, query: str, n: int) -> list[tuple[Chunk, float]]:
        """Up to ``n`` chunks with a positive BM25 score for ``query``, best first."""
        if self._retriever is None or n <= 0:
            return []
        token_ids = list(dict.fromkeys(self._vocab[t] for t in tokenize(query) if t in self._vocab))
        if not token_ids:
            return []
        scores = np.asarray(self._retriever.get_scores_from_ids(token_ids), dtype=np.float64)
        k = min(n, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        # Best first; ties broken by position in the store, so results are deterministic.
        top = top[np.lexsort((top, -scores[top]))]
        return [(self._chunks[i], float(scores[i])) for i in top.tolist() if scores[i] > 0]

    def idf(self, token: str) -> float:
        """Inverse document frequency of a (tokenised) term; 0 for a term no chunk has."""
        df = self._doc_freq.get(token, 0)
        if df == 0:
            return 0.0
        n = len(self._chunks)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def contains_phrase(self, text: str) -> bool:
        """Whether every token of ``text`` occurs somewhere in the indexed chunks."""
        tokens = tokenize(text)
        return bool(tokens) and all(t in self._doc_freq for t in tokens)

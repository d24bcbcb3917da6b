"""BM25 keyword search over chunks, read from the segments of a persistent index.

Dense search misses exact figures, acronyms and names ("12%", "SCR", "MASH"); this index
catches them. A ``KeywordIndex`` is one consistent view: its segments (``vectorstore.segments``)
and the documents removed since they were written. Scores are Lucene's BM25 (as bm25s's
default): idf = ln(1 + (N - df + 0.5) / (df + 0.5)) over the passages still indexed, times
tf / (tf + k1 (1 - b + b len / avglen)).

Index and queries share one tokeniser: lowercase; words split on anything that is not a letter
or digit, but joined forms such as ``12%``, ``2018-2021`` and ``covid-19`` are kept
whole as well as split into their parts; English stopwords dropped; a small deterministic suffix
stemmer so that "reviews" matches "review" and "identified" matches "identifies".
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from assistant.text import STOPWORDS
from vectorstore.segments import Segment

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


K1 = 1.5
B = 0.75


@dataclass(frozen=True)
class Part:
    """A segment and the documents removed from it since it was written."""

    segment: Segment
    removed: frozenset[str] = frozenset()

    @functools.cached_property
    def dead(self) -> npt.NDArray[np.bool_] | None:
        """Rows of removed documents (None when there are none)."""
        return self.rows_in(self.removed, removed_too=True) if self.removed else None

    @functools.cached_property
    def live_rows(self) -> int:
        dead = self.dead
        return self.segment.size - (int(dead.sum()) if dead is not None else 0)

    @functools.cached_property
    def live_length(self) -> int:
        lengths = np.asarray(self.segment.lengths, dtype=np.int64)
        dead = self.dead
        return int(lengths.sum() - (lengths[dead].sum() if dead is not None else 0))

    @functools.cached_property
    def docs(self) -> frozenset[str]:
        return frozenset(self.segment.doc_rows) - self.removed

    def spans(self, docs: Collection[str], *, removed_too: bool = False) -> list[tuple[int, int]]:
        """The row ranges of those of ``docs`` this part holds (and has not removed)."""
        rows = self.segment.doc_rows
        return [rows[d] for d in docs if d in rows and (removed_too or d not in self.removed)]

    def rows_in(self, docs: Collection[str], *, removed_too: bool = False
                ) -> npt.NDArray[np.bool_]:
        """A mask of the rows of ``docs`` (see ``spans``)."""
        mask = np.zeros(self.segment.size, dtype=bool)
        for start, end in self.spans(docs, removed_too=removed_too):
            mask[start:end] = True
        return mask


@dataclass(frozen=True)
class KeywordIndex:
    """A read-only view of the index at one store revision; a change makes a new view."""

    parts: tuple[Part, ...] = ()
    revision: str = ""
    _df: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def __len__(self) -> int:
        return self.passages

    @functools.cached_property
    def passages(self) -> int:
        return sum(p.live_rows for p in self.parts)

    @functools.cached_property
    def docs(self) -> frozenset[str]:
        """The documents whose passages this view holds."""
        return frozenset().union(*(p.docs for p in self.parts))

    @functools.cached_property
    def _avg_length(self) -> float:
        total = sum(p.live_length for p in self.parts)
        return total / self.passages if self.passages else 1.0

    @functools.cached_property
    def _norms(self) -> tuple[npt.NDArray[np.float32], ...]:
        """k1 (1 - b + b len / avglen) of every row of every part."""
        avg = np.float32(self._avg_length)
        return tuple(
            K1 * (1 - B + B * np.asarray(p.segment.lengths, dtype=np.float32) / avg)
            for p in self.parts
        )

    def prepare(self) -> None:
        """Work out now what the first filtered question would (each segment's id lookup, for
        a segment written before it was saved with it; the documents' row ranges)."""
        for part in self.parts:
            _ = part.segment.lookup, part.segment.doc_rows, part.segment.names

    def size_of(self, docs: Collection[str]) -> int:
        """How many passages of ``docs`` this view holds."""
        return sum(end - start for p in self.parts for start, end in p.spans(docs))

    def chunk_ids(self, docs: Collection[str]) -> list[str]:
        """The chunk ids of ``docs`` this view holds, in index order."""
        out: list[str] = []
        for part in self.parts:
            for start, end in sorted(part.spans(docs)):
                out += np.asarray(part.segment.ids[start:end]).astype(str).tolist()
        return out

    def docs_of(self, chunk_ids: Sequence[str]) -> list[str | None]:
        """The document of each chunk id, None for one this view does not hold."""
        out: list[str | None] = [None] * len(chunk_ids)
        for part in self.parts:
            seg = part.segment
            rows = seg.rows_of(chunk_ids)
            held = np.nonzero(rows >= 0)[0]
            for i, d in zip(held.tolist(), seg.doc_index(rows[held]).tolist(), strict=True):
                if seg.names[d] not in part.removed:
                    out[i] = seg.names[d]
        return out

    def search(
        self, query: str, n: int, docs: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """Up to ``n`` chunk ids with a positive BM25 score for ``query``, best first; ties
        in index order, so results are deterministic. ``docs``: only their passages (the
        statistics stay those of the whole index)."""
        terms = list(dict.fromkeys(tokenize(query)))
        if n <= 0 or not terms or not self.passages:
            return []
        idf = {t: self._idf(self.df(t)) for t in terms}
        best: list[tuple[float, int, int]] = []  # (score, part, row)
        for p, part in enumerate(self.parts):
            seg = part.segment
            scores = np.zeros(seg.size, dtype=np.float32)
            norm = self._norms[p]
            for term in terms:
                rows, tfs = seg.postings(term)
                if len(rows):
                    tf = tfs.astype(np.float32)
                    scores[rows] += np.float32(idf[term]) * tf / (tf + norm[rows])
            if part.dead is not None:
                scores[part.dead] = 0.0
            if docs is not None:
                scores[~part.rows_in(docs)] = 0.0
            k = min(n, seg.size)
            top = np.argpartition(-scores, k - 1)[:k]
            best.extend((float(scores[r]), p, int(r)) for r in top if scores[r] > 0)
        best.sort(key=lambda item: (-item[0], item[1], item[2]))
        return [(self.parts[p].segment.chunk_id(r), s) for s, p, r in best[:n]]

    def df(self, token: str) -> int:
        """How many indexed passages hold the (tokenised) term."""
        with self._lock:
            cached = self._df.get(token)
        if cached is not None:
            return cached
        count = 0
        for part in self.parts:
            rows, _ = part.segment.postings(token)
            dead = part.dead
            count += len(rows) if dead is None else int(np.count_nonzero(~dead[rows]))
        with self._lock:
            self._df[token] = count
        return count

    def _idf(self, df: int) -> float:
        n = self.passages
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def idf(self, token: str) -> float:
        """Inverse document frequency of a (tokenised) term; 0 for a term no chunk has."""
        df = self.df(token)
        return self._idf(df) if df else 0.0

    def contains_phrase(self, text: str) -> bool:
        """Whether every token of ``text`` occurs somewhere in the indexed chunks."""
        tokens = tokenize(text)
        return bool(tokens) and all(self.df(t) for t in tokens)


"""Immutable segments of the keyword index: postings on disk, read through memory maps.

A segment holds the passages of some documents: for each term (by a 64-bit hash of it, sorted,
so a term is found by binary search; a token of any length costs eight bytes, and two terms
sharing a hash, about one chance in 10^19 per pair, would only share postings) the rows that
contain it and how often, plus each row's length in tokens, its
chunk id and the documents' row ranges. Rows of one document are contiguous. A segment is
written once and never changed: new documents make a new segment, removed documents are
listed in the index's manifest, and merging writes a new segment without them (Lucene's
design, small enough to read in one sitting).

Files of a segment directory, all ``.npy`` (opened with ``mmap_mode="r"``, so opening reads
nothing and a query touches only its terms' postings):
``terms`` (T,) sorted uint64 term hashes, ``ptr`` (T+1,) int64, ``rows`` (P,) int32,
``tfs`` (P,) uint16, ``lengths`` (R,) int32, ``ids`` (R,) bytes, ``doc_names`` (D,) bytes,
``doc_ptr`` (D+1,) int64; and to find a chunk id's row by binary search, ``sorted_ids`` (R,)
bytes with ``sorted_rows`` (R,) int32 (a segment written before them works out the pair when
first asked: one sort of its ids).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FILES = ("terms", "ptr", "rows", "tfs", "lengths", "ids", "doc_names", "doc_ptr")
LOOKUP = ("sorted_ids", "sorted_rows")  # derived from ``ids``: written, and read if present
_TF_MAX = np.iinfo(np.uint16).max


@dataclass(frozen=True)
class Segment:
    terms: npt.NDArray[np.uint64]
    ptr: npt.NDArray[np.int64]
    rows: npt.NDArray[np.int32]
    tfs: npt.NDArray[np.uint16]
    lengths: npt.NDArray[np.int32]
    ids: npt.NDArray[np.bytes_]
    doc_names: npt.NDArray[np.bytes_]
    doc_ptr: npt.NDArray[np.int64]

    @property
    def size(self) -> int:
        return len(self.lengths)

    @cached_property
    def doc_rows(self) -> dict[str, tuple[int, int]]:
        """Each document's row range [start, end)."""
        ptr = self.doc_ptr.tolist()
        return {name: (ptr[i], ptr[i + 1]) for i, name in enumerate(self.names)}

    @cached_property
    def names(self) -> list[str]:
        """``doc_names`` decoded."""
        return [bytes(name).decode() for name in self.doc_names]

    def postings(self, term: str) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint16]]:
        """The rows holding ``term`` and its count in each (empty arrays when none does)."""
        key = term_key(term)
        i = int(np.searchsorted(self.terms, key))
        if i >= len(self.terms) or self.terms[i] != key:
            return _NO_ROWS, _NO_TFS
        start, end = int(self.ptr[i]), int(self.ptr[i + 1])
        return self.rows[start:end], self.tfs[start:end]

    def chunk_id(self, row: int) -> str:
        return bytes(self.ids[row]).decode()

    @cached_property
    def lookup(self) -> tuple[npt.NDArray[np.bytes_], npt.NDArray[np.int32]]:
        """The chunk ids sorted, and the row of each (see ``rows_of``)."""
        ids = np.asarray(self.ids)
        order = np.argsort(ids, kind="stable").astype(np.int32)
        return ids[order], order

    def rows_of(self, chunk_ids: Sequence[str]) -> npt.NDArray[np.int64]:
        """The row of each chunk id, -1 for an id this segment does not hold."""
        sorted_ids, sorted_rows = self.lookup
        if not len(chunk_ids) or not len(sorted_ids):
            return np.full(len(chunk_ids), -1, dtype=np.int64)
        wanted = np.array([c.encode() for c in chunk_ids], dtype=bytes)
        at = np.minimum(np.searchsorted(sorted_ids, wanted), len(sorted_ids) - 1)
        found = sorted_ids[at] == wanted
        return np.where(found, np.asarray(sorted_rows)[at], -1).astype(np.int64)

    def doc_index(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The document (its place in ``doc_names``) of each row (rows are >= 0)."""
        return np.searchsorted(np.asarray(self.doc_ptr), rows, side="right").astype(np.int64) - 1

    # -- building, saving, opening --------------------------------------------------------

    @classmethod
    def build(cls, docs: Sequence[tuple[str, Sequence[tuple[str, Sequence[str]]]]]) -> Segment:
        """A segment from ``(doc_id, [(chunk_id, tokens), ...])`` in row order."""
        vocab: dict[str, int] = {}
        term_ids: list[int] = []
        row_ids: list[int] = []
        counts: list[int] = []
        lengths: list[int] = []
        ids: list[str] = []
        names: list[str] = []
        doc_ptr = [0]
        for doc_id, chunks in docs:
            names.append(doc_id)
            for chunk_id, tokens in chunks:
                row = len(ids)
                ids.append(chunk_id)
                lengths.append(len(tokens))
                for term, n in Counter(tokens).items():
                    term_ids.append(vocab.setdefault(term, len(vocab)))
                    row_ids.append(row)
                    counts.append(n)
            doc_ptr.append(len(ids))
        words = np.array([term_key(w) for w in vocab], dtype=np.uint64)
        order = np.argsort(words, kind="stable")  # new id of each old id: its sorted place
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return cls._assemble(
            words[order], rank[np.asarray(term_ids, dtype=np.int64)],
            np.asarray(row_ids, dtype=np.int32), np.asarray(counts, dtype=np.int64),
            np.asarray(lengths, dtype=np.int32), _bytes(ids), _bytes(names),
            np.asarray(doc_ptr, dtype=np.int64),
        )

    @classmethod
    def _assemble(
        cls,
        terms: npt.NDArray[np.uint64],
        term_of: npt.NDArray[np.int64],
        rows: npt.NDArray[np.int32],
        tfs: npt.NDArray[np.int64],
        lengths: npt.NDArray[np.int32],
        ids: npt.NDArray[np.bytes_],
        doc_names: npt.NDArray[np.bytes_],
        doc_ptr: npt.NDArray[np.int64],
    ) -> Segment:
        """Postings grouped by term from triples whose rows ascend in input order: a stable
        sort by term keeps rows ascending within each term (timsort: the input is a few runs)."""
        order = np.argsort(term_of, kind="stable")
        ptr = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(np.bincount(term_of, minlength=len(terms)), out=ptr[1:])
        return cls(
            terms=terms, ptr=ptr, rows=rows[order].astype(np.int32),
            tfs=np.minimum(tfs[order], _TF_MAX).astype(np.uint16), lengths=lengths, ids=ids,
            doc_names=doc_names, doc_ptr=doc_ptr,
        )

    def save(self, folder: Path) -> None:
        """Write the segment to ``folder`` (through a temporary name, then renamed)."""
        partial = folder.with_name(f".{folder.name}.{os.getpid()}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for name in FILES:
            np.save(partial / f"{name}.npy", getattr(self, name), allow_pickle=False)
        for name, array in zip(LOOKUP, self.lookup, strict=True):
            np.save(partial / f"{name}.npy", array, allow_pickle=False)
        os.replace(partial, folder)

    @classmethod
    def open(cls, folder: Path) -> Segment:
        arrays = {
            name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            for name in FILES
        }
        seg = cls(**arrays)
        if all((folder / f"{name}.npy").is_file() for name in LOOKUP):
            seg.__dict__["lookup"] = tuple(  # the cached property, read instead of worked out
                np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
                for name in LOOKUP)
        return seg

    def renamed(self, ids: npt.NDArray[np.bytes_], doc_names: npt.NDArray[np.bytes_]) -> Segment:
        """The same postings under other chunk and document ids (benchmarks replicate)."""
        if len(ids) != self.size or len(doc_names) != len(self.doc_names):
            raise ValueError("expected one new id per row and one per document")
        return Segment(self.terms, self.ptr, self.rows, self.tfs, self.lengths, ids, doc_names,
                       self.doc_ptr)


def merge(parts: Sequence[tuple[Segment, frozenset[str]]]) -> Segment:
    """One segment with the rows of ``parts`` in order, leaving out each part's removed docs."""
    kept: list[npt.NDArray[np.bool_]] = []
    for seg, removed in parts:
        keep = np.ones(seg.size, dtype=bool)
        for doc in removed:
            if doc in seg.doc_rows:
                start, end = seg.doc_rows[doc]
                keep[start:end] = False
        kept.append(keep)
    terms = np.unique(np.concatenate([np.asarray(s.terms) for s, _ in parts])) if parts else (
        np.zeros(0, dtype=np.uint64))
    term_of, rows, tfs = [], [], []
    lengths, ids, names, doc_ptr = [], [], [], [np.zeros(1, dtype=np.int64)]
    offset = 0
    for (seg, _), keep in zip(parts, kept, strict=True):
        new_row = np.cumsum(keep, dtype=np.int64) - 1 + offset  # old row -> merged row
        mapped = np.searchsorted(terms, np.asarray(seg.terms))
        ptr = np.asarray(seg.ptr, dtype=np.int64)
        per_term = ptr[1:] - ptr[:-1]
        old_rows = np.asarray(seg.rows)
        live = keep[old_rows]
        term_of.append(np.repeat(mapped, per_term)[live])
        rows.append(new_row[old_rows[live]].astype(np.int32))
        tfs.append(np.asarray(seg.tfs)[live].astype(np.int64))
        lengths.append(np.asarray(seg.lengths)[keep])
        ids.append(np.asarray(seg.ids)[keep])
        doc_keep = [keep[a:b].any() for a, b in zip(seg.doc_ptr[:-1], seg.doc_ptr[1:], strict=True)]
        docs_kept = np.asarray(seg.doc_names)[np.asarray(doc_keep, dtype=bool)]
        names.append(docs_kept)
        sizes = np.diff(np.asarray(seg.doc_ptr))[np.asarray(doc_keep, dtype=bool)]
        doc_ptr.append(doc_ptr[-1][-1] + np.cumsum(sizes))
        offset += int(keep.sum())
    return Segment._assemble(
        terms, _cat(term_of, np.int64), _cat(rows, np.int32), _cat(tfs, np.int64),
        _cat(lengths, np.int32), _cat_bytes(ids), _cat_bytes(names), np.concatenate(doc_ptr),
    )


def replicate(seg: Segment, ids: npt.NDArray[np.bytes_], doc_names: npt.NDArray[np.bytes_]
              ) -> Segment:
    """``seg``'s rows repeated ``len(ids) // seg.size`` times under new ids (for benchmarks:
    a million passages without tokenising a million texts). Copy j's rows follow copy j-1's."""
    copies, rest = divmod(len(ids), seg.size) if seg.size else (0, 1)
    if rest or len(doc_names) != copies * len(seg.doc_names):
        raise ValueError("expected whole copies: one id per row and one name per document")
    ptr, rows, tfs = np.asarray(seg.ptr), np.asarray(seg.rows), np.asarray(seg.tfs)
    per_term = np.diff(ptr)
    term_of = np.repeat(np.arange(len(per_term)), per_term)
    base = ptr[term_of] * copies + (np.arange(len(rows)) - ptr[term_of])
    stride = per_term[term_of]
    out_rows = np.empty(len(rows) * copies, dtype=np.int32)
    out_tfs = np.empty(len(rows) * copies, dtype=np.uint16)
    for j in range(copies):
        out_rows[base + j * stride] = rows + j * seg.size
        out_tfs[base + j * stride] = tfs
    doc_sizes = np.tile(np.diff(np.asarray(seg.doc_ptr)), copies)
    doc_ptr = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(doc_sizes)])
    return Segment(np.asarray(seg.terms), ptr * copies, out_rows, out_tfs,
                   np.tile(np.asarray(seg.lengths), copies), ids, doc_names, doc_ptr)


def term_key(term: str) -> np.uint64:
    """The 64-bit key a term is indexed by (blake2b of its UTF-8)."""
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


_NO_ROWS = np.zeros(0, dtype=np.int32)
_NO_TFS = np.zeros(0, dtype=np.uint16)


def _bytes(values: Sequence[str]) -> npt.NDArray[np.bytes_]:
    encoded = [v.encode() for v in values]
    return np.array(encoded, dtype=bytes) if encoded else np.zeros(0, dtype="S1")


def _cat(arrays: Sequence[npt.NDArray[Any]], dtype: type[np.generic]) -> npt.NDArray[Any]:
    return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype=dtype)


def _cat_bytes(arrays: Sequence[npt.NDArray[np.bytes_]]) -> npt.NDArray[np.bytes_]:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype="S1")

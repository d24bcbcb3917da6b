"""Sentence (unit) vectors kept in a passage's metadata, compactly.

Each passage stores the vectors of its quotable units (``ingest.units``) under one metadata key,
so answering never embeds a sentence while a user waits and the vectors come and go with their
passage (a removal or a shared Chroma server needs nothing more). A vector is stored as int8
with one float16 scale per row, base64-encoded: 386 bytes a sentence instead of 1,536, and a
cosine within about 0.001 of the float32 one (``tests/vectorstore/test_unitvec.py``).
"""

from __future__ import annotations

import base64

import numpy as np
import numpy.typing as npt

UNIT_VECTORS = "unit_vectors"  # the metadata key
_VERSION = b"u1"


def pack(vectors: npt.NDArray[np.float32], units_version: int) -> str:
    """``vectors`` (rows, dim) as one ASCII string; ``units_version`` says which unit split."""
    rows = np.asarray(vectors, dtype=np.float32)
    if rows.ndim != 2:
        raise ValueError("expected a 2-d array of unit vectors")
    scale = np.abs(rows).max(axis=1, initial=0.0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(rows / scale[:, None]), -127, 127).astype(np.int8)
    head = _VERSION + bytes([units_version % 256]) + np.array(
        [rows.shape[0], rows.shape[1]], dtype="<u4"
    ).tobytes()
    body = scale.astype("<f2").tobytes() + q.tobytes()
    return base64.b64encode(head + body).decode("ascii")


def unpack(packed: str, units_version: int) -> npt.NDArray[np.float32] | None:
    """The unit vectors (L2-normalised float32), or None when absent, damaged or made by
    another version of the unit split (the caller embeds the units again)."""
    try:
        raw = base64.b64decode(packed.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        return None
    if len(raw) < 11 or raw[:2] != _VERSION or raw[2] != units_version % 256:
        return None
    n, dim = (int(x) for x in np.frombuffer(raw[3:11], dtype="<u4"))
    if len(raw) != 11 + 2 * n + n * dim:
        return None
    scale = np.frombuffer(raw[11 : 11 + 2 * n], dtype="<f2").astype(np.float32)
    q = np.frombuffer(raw[11 + 2 * n :], dtype=np.int8).reshape(n, dim).astype(np.float32)
    rows = q * scale[:, None]
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.where(norms == 0, 1.0, norms)).astype(np.float32)

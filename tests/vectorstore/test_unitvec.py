"""Unit vectors packed into a passage's metadata: the round trip, what is refused, and a real
embedded Chroma store keeping them through ``add_chunks`` and a retag (no model needed)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from assistant.types import Chunk, DocumentCard, MetaValue
from ingest.units import UNITS_VERSION
from vectorstore.chroma_store import ChromaStore
from vectorstore.unitvec import UNIT_VECTORS, pack, unpack

DIM = 384  # the bundled MiniLM's


def random_units(n: int, dim: int = DIM, seed: int = 0) -> npt.NDArray[np.float32]:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    out: npt.NDArray[np.float32] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def cosines(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    out: npt.NDArray[np.float32] = np.sum(a * b, axis=1) / (
        np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    )
    return out


# -- pack / unpack -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_round_trip_keeps_each_vector_within_0_001_cosine(seed: int) -> None:
    original = random_units(200, seed=seed)
    got = unpack(pack(original, UNITS_VERSION), UNITS_VERSION)
    assert got is not None
    assert got.shape == original.shape and got.dtype == np.float32
    assert float(cosines(original, got).min()) >= 0.999
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)  # normalised


def test_round_trip_of_vectors_not_of_unit_length_keeps_their_direction() -> None:
    original = random_units(20, seed=7) * np.linspace(0.01, 50, 20, dtype=np.float32)[:, None]
    got = unpack(pack(original, UNITS_VERSION), UNITS_VERSION)
    assert got is not None
    assert float(cosines(original, got).min()) >= 0.999


def test_a_zero_row_stays_zero_and_does_not_spoil_the_others() -> None:
    original = random_units(3, seed=1)
    original[1] = 0.0
    got = unpack(pack(original, UNITS_VERSION), UNITS_VERSION)
    assert got is not None
    assert not np.any(got[1])
    assert float(cosines(original[[0, 2]], got[[0, 2]]).min()) >= 0.999


def test_packed_string_is_compact_ascii() -> None:
    packed = pack(random_units(10), UNITS_VERSION)
    assert packed.isascii()
    assert len(base64.b64decode(packed)) == 11 + 10 * (2 + DIM)  # header, scales, int8 rows


def test_empty_rows_round_trip() -> None:
    for dim in (DIM, 0):
        empty = np.zeros((0, dim), dtype=np.float32)
        got = unpack(pack(empty, UNITS_VERSION), UNITS_VERSION)
        assert got is not None
        assert got.shape == (0, dim)


def test_another_units_version_gives_none() -> None:
    packed = pack(random_units(4), UNITS_VERSION)
    assert unpack(packed, UNITS_VERSION + 1) is None
    assert unpack(pack(random_units(4), UNITS_VERSION + 1), UNITS_VERSION) is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: "",  # nothing stored
        lambda s: s[:-8],  # cut short
        lambda s: s + "AAAA",  # bytes too many
        lambda s: "!" + s[1:],  # not base64
        lambda s: s[:10] + "é" + s[11:],  # not ASCII
        lambda s: base64.b64encode(b"x1" + base64.b64decode(s)[2:]).decode(),  # wrong magic
        lambda s: base64.b64encode(base64.b64decode(s)[:11]).decode(),  # rows declared, absent
        lambda s: "not a packed vector at all",
    ],
    ids=["empty", "truncated", "extra", "not-base64", "not-ascii", "magic", "no-body", "text"],
)
def test_a_damaged_string_gives_none(damage: Callable[[str], str]) -> None:
    packed = pack(random_units(4), UNITS_VERSION)
    assert unpack(damage(packed), UNITS_VERSION) is None


def test_pack_refuses_a_one_dimensional_array() -> None:
    with pytest.raises(ValueError, match="2-d"):
        pack(random_units(1)[0], UNITS_VERSION)


# -- a real Chroma store -----------------------------------------------------------------------


def make_chunk(i: int, doc: str = "doc-a", meta: dict[str, MetaValue] | None = None) -> Chunk:
    return Chunk(
        chunk_id=f"{doc}-{i}", doc_id=doc, title=f"Review {doc}", file=f"{doc}.pdf",
        section="Findings", page_start=i + 1, page_end=i + 1, index=i,
        text=f"Passage {i} of {doc}. The health visitor saw the baby at home.",
        meta=dict(meta) if meta is not None else {"area": "Kent", "year": 2020},
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChromaStore]:
    s = ChromaStore(tmp_path / "db", model_name="test-model", dim=8)
    yield s
    s.close()


def test_store_keeps_unit_vectors_through_add_and_retag_and_drops_them_with_the_document(
    store: ChromaStore,
) -> None:
    a = [make_chunk(i) for i in range(3)]
    b = [make_chunk(i, "doc-b") for i in range(2)]
    units = {c.chunk_id: random_units(i + 2, seed=i) for i, c in enumerate(a + b)}
    packed = [pack(units[c.chunk_id], UNITS_VERSION) for c in a + b]
    packed[1] = ""  # a passage with no units stores no key
    store.add_chunks(a + b, random_units(5, dim=8), packed)
    for doc, n in (("doc-a", 3), ("doc-b", 2)):
        store.put_card(DocumentCard(doc, f"{doc}.pdf", f"Review {doc}", 10, n, {}),
                       random_units(1, dim=8)[0])

    ids = [c.chunk_id for c in a + b]
    stored = store.unit_vectors([*ids, "doc-a-0", "no-such-chunk"])  # repeats, unknowns
    assert set(stored) == set(ids) - {"doc-a-1"}
    assert stored == {cid: p for cid, p in zip(ids, packed, strict=True) if p}
    for cid, p in stored.items():
        got = unpack(p, UNITS_VERSION)
        assert got is not None and float(cosines(units[cid], got).min()) >= 0.999
    assert store.unit_vectors([]) == {}
    # The vectors are metadata for the store only: a chunk read back does not carry them.
    assert all(UNIT_VECTORS not in c.meta for c in store.all_chunks())

    # rla retag: new fields, one old field gone; the unit vectors stay.
    retagged = [
        make_chunk(c.index, c.doc_id, {"areas": ["Kent", "Medway"], "year": 2020})
        for c in a
    ]
    store.replace_chunk_metadata(retagged)
    assert store.unit_vectors(ids) == stored
    assert {c.chunk_id: c.meta for c in store.chunks_for("doc-a")} == {
        c.chunk_id: {"areas": ["Kent", "Medway"], "year": 2020} for c in retagged
    }

    # retag over passages that have no quotable unit puts nothing, and keeps what is stored
    store.put_unit_vectors({})
    assert store.unit_vectors(ids) == stored

    assert store.delete_document("doc-a") == 3
    assert store.unit_vectors(ids) == {c.chunk_id: stored[c.chunk_id] for c in b}
    assert store.delete_document("doc-b") == 2
    assert store.unit_vectors(ids) == {}


def test_add_chunks_refuses_a_unit_vector_list_of_another_length(store: ChromaStore) -> None:
    chunks = [make_chunk(i) for i in range(2)]
    with pytest.raises(ValueError, match="one packed unit-vector string per chunk"):
        store.add_chunks(chunks, random_units(2, dim=8), [pack(random_units(1), 1)])
    assert store.count() == 0


def test_chunks_added_without_unit_vectors_have_none(store: ChromaStore) -> None:
    store.add_chunks([make_chunk(0)], random_units(1, dim=8))
    assert store.unit_vectors(["doc-a-0"]) == {}

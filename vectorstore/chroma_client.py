"""Opening Chroma: the client (embedded ``PersistentClient`` or a server's ``HttpClient``, both
with telemetry off) and collections that record the embedding model and dimension they were
built with and refuse to open under another.

Chroma's own embedding function is never used: collections are opened with
``embedding_function=None`` and every write and query passes its vectors explicitly, so Chroma
never instantiates its default ONNX model (which would try to download it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from assistant.errors import SettingsError, StoreMismatchError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

MODEL_KEY = "rla_embedding_model"
DIM_KEY = "rla_dim"
ENCODER_KEY = "rla_encoder"  # how the vectors were computed ("torch-fp32", "torch-bf16")


def make_client(path: Path, url: str) -> ClientAPI:
    """An embedded client on ``path``, or a client of the server at ``url``."""
    import chromadb
    from chromadb.config import Settings

    if not url:
        path.mkdir(parents=True, exist_ok=True)
        settings = Settings(anonymized_telemetry=False, allow_reset=False)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"The Chroma URL {url!r} is not usable; give one like http://127.0.0.1:8000."
        )
    ssl = parts.scheme == "https"
    port = parts.port or (443 if ssl else 8000)
    settings = Settings(anonymized_telemetry=False)
    try:
        return chromadb.HttpClient(host=parts.hostname, port=port, ssl=ssl, settings=settings)
    except Exception as exc:  # chromadb raises assorted errors for an unreachable server
        raise SettingsError(f"Cannot reach the Chroma server at {url}: {exc}") from exc


def open_collection(
    client: ClientAPI, name: str, *, model_name: str, dim: int, encoder: str, where: str
) -> Collection:
    """The collection ``name``, created for this model if new; a ``StoreMismatchError`` if it
    was built with another model or dimension (``where`` names the store in the message)."""
    metadata = {"hnsw:space": "cosine", MODEL_KEY: model_name, DIM_KEY: dim}
    if encoder:
        metadata[ENCODER_KEY] = encoder
    col = client.get_or_create_collection(
        name,
        configuration={"hnsw": {"space": "cosine"}},
        metadata=metadata,
        embedding_function=None,  # never Chroma's default (ONNX, downloaded on first use)
    )
    found = col.metadata or {}
    model, built_dim = found.get(MODEL_KEY, "unknown"), found.get(DIM_KEY, "unknown")
    if model != model_name or built_dim != dim:
        raise StoreMismatchError(
            f"The store at {where} was built with model {model} (dim {built_dim}); this version "
            f"uses {model_name} (dim {dim}). Rebuild it: remove {where} "
            "(or run `rla reset`) and ingest your documents again."
        )
    return col

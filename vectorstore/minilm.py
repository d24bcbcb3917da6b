"""all-MiniLM-L6-v2 as a small torch module: BERT, mean pooling, L2 normalisation.

The same computation as ``SentenceTransformer(model_dir()).encode(..., normalize_embeddings=
True)`` (a test holds the two to cosine >= 0.99999 on real passages), from the same files:
``tokenizer.json`` through the ``tokenizers`` library, ``model.safetensors`` through
``safetensors``. What it leaves out is the import of sentence-transformers, transformers and
scikit-learn, about three seconds of a serving process's start on 2 cores (and their memory);
``rla bench`` keeps SentenceTransformer as the raw-encode floor it measures against.

Only what this model's files describe is implemented; ``load`` refuses any other shape
(another architecture, activation, position scheme or pooling) with ``ModelIntegrityError``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import nn

from assistant.errors import ModelIntegrityError


class _Layer(nn.Module):
    def __init__(self, hidden: int, heads: int, inner: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attention_out = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=eps)
        self.inner = nn.Linear(hidden, inner)
        self.out = nn.Linear(inner, hidden)
        self.out_norm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:  # (B, L, H) -> (B, heads, L, H / heads)
            return t.view(batch, length, self.heads, hidden // self.heads).transpose(1, 2)

        attended = F.scaled_dot_product_attention(
            split(self.query(x)), split(self.key(x)), split(self.value(x)), attn_mask=mask)
        attended = attended.transpose(1, 2).reshape(batch, length, hidden)
        x = self.attention_norm(x + self.attention_out(attended))
        out: torch.Tensor = self.out_norm(x + self.out(F.gelu(self.inner(x))))
        return out


class MiniLM(nn.Module):
    """The encoder; ``encode`` takes texts and gives unit-length float32 vectors."""

    def __init__(self, config: dict[str, Any], tokenizer: Any) -> None:
        super().__init__()
        hidden, eps = int(config["hidden_size"]), float(config["layer_norm_eps"])
        self.tokenizer = tokenizer  # truncates to the model's max_seq_length, pads to the longest
        self.words = nn.Embedding(int(config["vocab_size"]), hidden)
        self.positions = nn.Embedding(int(config["max_position_embeddings"]), hidden)
        self.types = nn.Embedding(int(config["type_vocab_size"]), hidden)
        self.norm = nn.LayerNorm(hidden, eps=eps)
        self.layers = nn.ModuleList(
            _Layer(hidden, int(config["num_attention_heads"]), int(config["intermediate_size"]),
                   eps)
            for _ in range(int(config["num_hidden_layers"]))
        )

    def forward(self, ids: torch.Tensor, types: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean-pooled, L2-normalised sentence vectors of a padded batch."""
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.norm(self.words(ids) + self.positions(positions) + self.types(types))
        keep = mask.bool()[:, None, None, :]  # attend to real tokens only
        for layer in self.layers:
            x = layer(x, keep)
        weights = mask.unsqueeze(-1).to(x.dtype)
        pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return F.normalize(pooled.float(), p=2, dim=1)

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One batch: the texts padded to the longest (at most ``max_seq_length`` tokens)."""
        if not texts:
            return np.zeros((0, self.words.embedding_dim), dtype=np.float32)
        encoded = self.tokenizer.encode_batch([str(t).strip() for t in texts])
        ids = torch.tensor([e.ids for e in encoded], dtype=torch.long)
        types = torch.tensor([e.type_ids for e in encoded], dtype=torch.long)
        mask = torch.tensor([e.attention_mask for e in encoded], dtype=torch.long)
        with torch.inference_mode():
            vectors = self(ids, types, mask)
        out: npt.NDArray[np.float32] = vectors.numpy().astype(np.float32, copy=False)
        return out


def load(path: Path, weights: Path) -> MiniLM:
    """The model in ``path`` (a sentence-transformers folder) with the ``weights`` the caller
    verified."""
    from safetensors.torch import load_file
    from tokenizers import Tokenizer

    config = _json(path / "config.json")
    pooling = _json(path / "1_Pooling" / "config.json")
    modules = [m.get("type", "") for m in _json(path / "modules.json")]
    expected = {"model_type": "bert", "hidden_act": "gelu",
                "position_embedding_type": "absolute"}
    wrong = {k: config.get(k) for k, v in expected.items() if config.get(k, v) != v}
    if not pooling.get("pooling_mode_mean_tokens") or any(
            pooling.get(k) for k in pooling if k.startswith("pooling_mode_") and "mean_tokens"
            not in k):
        wrong["pooling"] = pooling
    if not any(m.endswith("Normalize") for m in modules):
        wrong["modules"] = modules
    if int(config.get("hidden_size", 0)) % max(1, int(config.get("num_attention_heads", 1))):
        wrong["heads"] = config.get("num_attention_heads")
    if wrong:
        raise ModelIntegrityError(f"The embedding model at {path} is not the BERT mean-pooling "
                                  f"model this encoder implements: {wrong}")
    max_length = int(_json(path / "sentence_bert_config.json").get("max_seq_length", 256))
    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)), pad_token="[PAD]")
    model = MiniLM(config, tokenizer)
    model.load_state_dict(_renamed(load_file(str(weights))), strict=True)
    model.eval()
    return model


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelIntegrityError(f"The embedding model file {path} cannot be read: {exc}") from exc


_NAMES = {
    "embeddings.word_embeddings": "words",
    "embeddings.position_embeddings": "positions",
    "embeddings.token_type_embeddings": "types",
    "embeddings.LayerNorm": "norm",
    "attention.self.query": "query",
    "attention.self.key": "key",
    "attention.self.value": "value",
    "attention.output.dense": "attention_out",
    "attention.output.LayerNorm": "attention_norm",
    "intermediate.dense": "inner",
    "output.dense": "out",
    "output.LayerNorm": "out_norm",
}


def _renamed(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The checkpoint's BertModel names as this module's (the unused pooler and the position
    ids buffer dropped)."""
    out: dict[str, torch.Tensor] = {}
    for name, tensor in weights.items():
        name = name.removeprefix("bert.")
        if name.startswith("pooler.") or name.endswith("position_ids"):
            continue
        if name.startswith("encoder.layer."):
            number, rest = name.removeprefix("encoder.layer.").split(".", 1)
            module, param = rest.rsplit(".", 1)
            out[f"layers.{number}.{_NAMES[module]}.{param}"] = tensor
        else:
            module, param = name.rsplit(".", 1)
            out[f"{_NAMES[module]}.{param}"] = tensor
    return out

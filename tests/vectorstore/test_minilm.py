"""The lean MiniLM gives sentence-transformers' vectors, and refuses a model it does not
implement; a serving process's model load imports neither sentence-transformers nor
transformers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import ModelIntegrityError
from tests.conftest import CORPUS, REPO
from vectorstore import minilm
from vectorstore.embedder import (
    WEIGHTS_FILE,
    MiniLMEmbedder,
    bf16_supported,
    model_dir,
    reference_model,
)


def _real_texts() -> list[str]:
    """Passages of real pages and reports in many lengths, plus the edge cases: empty, blank,
    one word, a text far longer than the 256-token window, accents and figures."""
    texts: list[str] = []
    for path in sorted((CORPUS / "web").glob("*.md"))[:6] + sorted(
            (CORPUS / "text").glob("*.txt"))[:2]:
        body = path.read_text(encoding="utf-8")
        texts += [body[i : i + size] for i, size in zip(range(0, 12_000, 700),
                                                        [40, 300, 900, 2000] * 5, strict=False)]
    return [*texts, "", "   ", "Neglect.", "word " * 1500,
            "Gweithdrefnau Diogelu Cymru: 27% of 1,234 referrals (2019-20) — café"]


@pytest.fixture(scope="module")
def reference() -> object:
    return reference_model()


def test_vectors_agree_with_sentence_transformers(embedder: MiniLMEmbedder,
                                                  reference: object) -> None:
    texts = _real_texts()
    fp32 = MiniLMEmbedder(backend="torch")
    ours = fp32.embed(texts)
    theirs = np.asarray(reference.encode(texts, batch_size=16,  # type: ignore[attr-defined]
                                         normalize_embeddings=True), dtype=np.float32)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() >= 0.99999, (cosine.min(), texts[int(cosine.argmin())][:80])
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    if bf16_supported():  # the shipped default here: close, though rounded
        assert (MiniLMEmbedder(backend="bf16").embed(texts) * theirs).sum(axis=1).min() >= 0.999


def test_a_model_of_another_shape_is_refused(tmp_path: Path) -> None:
    for change, field in [({"hidden_act": "relu"}, "hidden_act"),
                          ({"position_embedding_type": "relative_key"}, "position_embedding")]:
        copy = tmp_path / field
        shutil.copytree(model_dir(), copy)
        config = json.loads((copy / "config.json").read_text())
        (copy / "config.json").write_text(json.dumps({**config, **change}))
        with pytest.raises(ModelIntegrityError, match=field):
            minilm.load(copy, copy / WEIGHTS_FILE)
    cls = tmp_path / "cls"
    shutil.copytree(model_dir(), cls)
    (cls / "1_Pooling" / "config.json").write_text(json.dumps(
        {"word_embedding_dimension": 384, "pooling_mode_cls_token": True,
         "pooling_mode_mean_tokens": False}))
    with pytest.raises(ModelIntegrityError, match="pooling"):
        minilm.load(cls, cls / WEIGHTS_FILE)


def test_loading_the_model_imports_no_sentence_transformers_or_transformers() -> None:
    probe = ("import sys; from vectorstore.embedder import MiniLMEmbedder; "
             "e = MiniLMEmbedder(); e.embed_query('a question'); "
             "print(sorted(m for m in ('sentence_transformers', 'transformers', 'sklearn') "
             "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"

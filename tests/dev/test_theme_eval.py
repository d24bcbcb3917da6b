"""The theme tagger against the hand labels of tests/data (real model): precision and recall
per theme and micro-F1, printed; the target is a micro-F1 of at least 0.8."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.dev.theme_eval import LABELS, evaluate, load_labels
from ingest.themes import default_taxonomy

pytestmark = pytest.mark.slow


def test_theme_tagging_meets_its_target(embedder: Any, capsys: pytest.CaptureFixture[str]) -> None:
    rows = load_labels(LABELS)
    assert len(rows) >= 60
    taxonomy = default_taxonomy()
    assert {t for r in rows for t in r["themes"]} <= {t.id for t in taxonomy.themes}
    reports = evaluate(rows, taxonomy, embedder=embedder)
    with capsys.disabled():
        print("\n" + reports["all"].table())
        for name in ("dev", "held-out"):
            m = reports[name].micro
            print(f"{name}: P {m.precision:.3f} R {m.recall:.3f} micro-F1 {m.f1:.3f}")
    assert reports["all"].micro.f1 >= 0.8
    assert reports["held-out"].micro.f1 >= 0.8

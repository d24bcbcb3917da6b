"""How well the theme tagger agrees with hand labels: precision and recall per theme, micro-F1.

The labels (``tests/data/theme_labels.jsonl``) hold each passage's text, so the evaluation does
not depend on a store or on how files are chunked today. Each passage is embedded the way
ingest embeds a chunk (title and section in front of the text).

    python -m assistant.dev.theme_eval [--labels FILE] [--themes FILE] [--phrases-only]

Passages on even lines of the file are the *dev* half (used while writing the phrases), the
odd lines the *held-out* half; the report gives all three figures.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.sections import not_content
from ingest.themes import Taxonomy, tag_passage

LABELS = Path(__file__).resolve().parents[2] / "tests" / "data" / "theme_labels.jsonl"


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    passages: int
    per_theme: dict[str, Counts] = field(default_factory=dict)

    @property
    def micro(self) -> Counts:
        total = Counts()
        for c in self.per_theme.values():
            total.tp, total.fp, total.fn = total.tp + c.tp, total.fp + c.fp, total.fn + c.fn
        return total

    def table(self) -> str:
        lines = [f"{'theme':34} {'P':>5} {'R':>5} {'F1':>5} {'TP':>4} {'FP':>4} {'FN':>4}"]
        for theme, c in sorted(self.per_theme.items()):
            lines.append(
                f"{theme:34} {c.precision:5.2f} {c.recall:5.2f} {c.f1:5.2f} "
                f"{c.tp:4d} {c.fp:4d} {c.fn:4d}"
            )
        m = self.micro
        lines.append(
            f"{'micro (' + str(self.passages) + ' passages)':34} {m.precision:5.2f} "
            f"{m.recall:5.2f} {m.f1:5.2f} {m.tp:4d} {m.fp:4d} {m.fn:4d}"
        )
        return "\n".join(lines)


def load_labels(path: Path = LABELS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def score(
    gold: Iterable[Sequence[str]], predicted: Iterable[Sequence[str]], themes: Sequence[str]
) -> Report:
    report = Report(0, {t: Counts() for t in themes})
    for want, got in zip(gold, predicted, strict=True):
        report.passages += 1
        for theme in set(want) | set(got):
            c = report.per_theme.setdefault(theme, Counts())
            if theme in want and theme in got:
                c.tp += 1
            elif theme in got:
                c.fp += 1
            else:
                c.fn += 1
    return report


def predict(
    rows: Sequence[dict[str, Any]], taxonomy: Taxonomy, *, embedder: Any | None = None
) -> list[list[str]]:
    """The tagger's themes for each labelled passage (phrases only when no embedder)."""
    sims: list[dict[str, float]] = [{} for _ in rows]
    if embedder is not None:
        from assistant.library.tagging import ThemeTagger

        texts = [f"{r['title']}. {r['section']}.\n{r['text']}" if r["section"] else
                 f"{r['title']}.\n{r['text']}" for r in rows]
        sims = ThemeTagger(embedder, taxonomy).similarities(embedder.embed(texts))
    return [
        [] if not_content(r["section"]) else [t.theme for t in tag_passage(taxonomy, r["text"], s)]
        for r, s in zip(rows, sims, strict=True)
    ]


def evaluate(
    rows: Sequence[dict[str, Any]], taxonomy: Taxonomy, *, embedder: Any | None = None
) -> dict[str, Report]:
    """Reports for all passages, the dev half (even lines) and the held-out half (odd)."""
    got = predict(rows, taxonomy, embedder=embedder)
    themes = [t.id for t in taxonomy.themes]
    gold = [r["themes"] for r in rows]
    return {
        "all": score(gold, got, themes),
        "dev": score(gold[0::2], got[0::2], themes),
        "held-out": score(gold[1::2], got[1::2], themes),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--themes", type=Path, default=None, help="a themes.json to try")
    parser.add_argument("--phrases-only", action="store_true", help="no embedding similarity")
    args = parser.parse_args(argv)
    from assistant.offline import enforce_offline

    enforce_offline()
    embedder = None
    if not args.phrases_only:
        from vectorstore.embedder import MiniLMEmbedder

        embedder = MiniLMEmbedder()
    reports = evaluate(load_labels(args.labels), Taxonomy.load(args.themes), embedder=embedder)
    print(reports["all"].table())
    for name in ("dev", "held-out"):
        m = reports[name].micro
        print(f"{name}: P {m.precision:.3f}  R {m.recall:.3f}  micro-F1 {m.f1:.3f}")


if __name__ == "__main__":
    main()

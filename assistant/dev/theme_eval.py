"""How well the theme and area taggers agree with hand labels: precision and recall per theme,
per theme group, per area kind, and micro-F1, for a development and a held-out half.

Two label files ship in ``tests/data`` (see the ``.md`` beside each for how they were made):

- ``theme_labels.jsonl``: the passages of the five shared-corpus PDFs, themes only; even lines
  are the dev half, odd lines the held-out half.
- ``web_labels.jsonl``: short passages of the real web pages, themes and areas; each line says
  its ``half``, and the halves are split by page, so no page has passages in both.

The files hold where each passage is in the shared corpus and a hash of it, not its text
(third-party text stays out of the project): ``assistant.dev.labels`` reads it again from
``../shared/corpus``. Passages are embedded the way ingest embeds a chunk (title and section
in front).

    python -m assistant.dev.theme_eval [--labels FILE ...] [--themes FILE] [--phrases-only]
                                       [--no-probe]
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from assistant.dev.labels import read as read_labels
from assistant.types import Chunk
from ingest.areas import Gazetteer, default_gazetteer
from ingest.areatag import area_meta, area_tags
from ingest.docarea import document_place
from ingest.sections import no_findings, not_content
from ingest.themes import Taxonomy, tag_passage

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
LABELS = DATA / "theme_labels.jsonl"
WEB_LABELS = DATA / "web_labels.jsonl"
HALVES = ("dev", "held-out")


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

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn


@dataclass
class Report:
    passages: int
    per_label: dict[str, Counts] = field(default_factory=dict)

    @property
    def micro(self) -> Counts:
        total = Counts()
        for c in self.per_label.values():
            total.add(c)
        return total

    def grouped(self, group_of: Mapping[str, str]) -> dict[str, Counts]:
        """Counts summed per group (a theme's group, an area's kind)."""
        out: dict[str, Counts] = {}
        for label, c in self.per_label.items():
            out.setdefault(group_of.get(label, "other"), Counts()).add(c)
        return out

    def table(self, name: str = "theme", group_of: Mapping[str, str] | None = None) -> str:
        lines = [f"{name:40} {'P':>5} {'R':>5} {'F1':>5} {'TP':>4} {'FP':>4} {'FN':>4}"]
        rows = sorted(self.per_label.items())
        if group_of is not None:
            rows += [(f"[{g}]", c) for g, c in sorted(self.grouped(group_of).items())]
        rows.append((f"micro ({self.passages} passages)", self.micro))
        for label, c in rows:
            lines.append(f"{label[:40]:40} {c.precision:5.2f} {c.recall:5.2f} {c.f1:5.2f} "
                         f"{c.tp:4d} {c.fp:4d} {c.fn:4d}")
        return "\n".join(lines)


def load_labels(path: Path = LABELS) -> list[dict[str, Any]]:
    """The labels of ``path``, each with its passage's text read from the shared corpus
    (``assistant.dev.labels``) and its ``half``."""
    rows = read_labels(path)
    for i, row in enumerate(rows):
        row.setdefault("half", HALVES[i % 2])
    return rows


def score(
    gold: Iterable[Sequence[str]], predicted: Iterable[Sequence[str]], labels: Sequence[str] = ()
) -> Report:
    report = Report(0, {t: Counts() for t in labels})
    for want, got in zip(gold, predicted, strict=True):
        report.passages += 1
        for label in set(want) | set(got):
            c = report.per_label.setdefault(label, Counts())
            if label in want and label in got:
                c.tp += 1
            elif label in got:
                c.fp += 1
            else:
                c.fn += 1
    return report


def as_chunk(row: Mapping[str, Any], index: int = 0) -> Chunk:
    """A labelled passage as the chunk ingest would index (its page's passages in order)."""
    return Chunk(f"label-{index}", row.get("file", "") or f"row-{index}", row["title"],
                 row.get("file", ""), row["section"], 1, 1, index, row["text"])


def embedded_text(row: Mapping[str, Any]) -> str:
    """What is embedded for a labelled passage: what ingest embeds for a chunk."""
    return as_chunk(row).index_text()


def predict(
    rows: Sequence[dict[str, Any]], taxonomy: Taxonomy, *, embedder: Any | None = None,
    learned: bool = True,
) -> list[list[str]]:
    """The tagger's themes for each labelled passage: phrases only when no embedder; with
    one, similarity too, and the learned probe unless ``learned`` is False."""
    if embedder is None:
        found = [tag_passage(taxonomy, r["text"]) for r in rows]
    else:
        from assistant.library.tagging import ThemeTagger

        vectors = embedder.embed([embedded_text(r) for r in rows])
        tagger = ThemeTagger(embedder, taxonomy, learned=learned)
        found = tagger.tag_texts([r["text"] for r in rows], vectors)
    return [[] if not_content(r["section"]) else [t.theme for t in tags]
            for r, tags in zip(rows, found, strict=True)]


def predict_areas(
    rows: Sequence[dict[str, Any]], gazetteer: Gazetteer | None = None
) -> list[list[str]]:
    """The gazetteer entries each labelled passage is tagged with, as ingest tags a chunk:
    what it names, and the place of its document (its page's passages, in order)."""
    chunks = []
    for i, r in enumerate(rows):
        chunk = as_chunk(r, i)
        tags = area_tags(chunk, gazetteer)
        chunks.append((replace(chunk, meta=area_meta(tags)), {t.area for t in tags}))
    by_doc: dict[str, list[Chunk]] = {}
    for chunk, _ in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    own = {doc: document_place(doc_chunks, gazetteer=gazetteer)
           for doc, doc_chunks in by_doc.items()}
    out = []
    for (chunk, found), r in zip(chunks, rows, strict=True):
        place = own[chunk.doc_id]
        if place and not no_findings(r["section"]):
            found = found | {place}
        out.append(sorted(found))
    return out


def _halves(
    rows: Sequence[dict[str, Any]], gold: Sequence[Sequence[str]], got: Sequence[Sequence[str]],
    labels: Sequence[str] = (),
) -> dict[str, Report]:
    out = {"all": score(gold, got, labels)}
    for half in HALVES:
        keep = [i for i, r in enumerate(rows) if r["half"] == half]
        out[half] = score([gold[i] for i in keep], [got[i] for i in keep], labels)
    return out


def evaluate(
    rows: Sequence[dict[str, Any]], taxonomy: Taxonomy, *, embedder: Any | None = None,
    learned: bool = True,
) -> dict[str, Report]:
    """Theme reports for all passages, the dev half and the held-out half."""
    got = predict(rows, taxonomy, embedder=embedder, learned=learned)
    return _halves(rows, [r["themes"] for r in rows], got, [t.id for t in taxonomy.themes])


def evaluate_areas(
    rows: Sequence[dict[str, Any]], gazetteer: Gazetteer | None = None
) -> dict[str, Report]:
    """Area reports (passages labelled with areas only) for all, dev and held-out."""
    rows = [r for r in rows if "areas" in r]
    return _halves(rows, [r["areas"] for r in rows], predict_areas(rows, gazetteer))


def area_kinds(gazetteer: Gazetteer | None = None) -> dict[str, str]:
    return {a.name: a.kind for a in (gazetteer or default_gazetteer()).areas}


def print_reports(
    path: Path, taxonomy: Taxonomy, embedder: Any | None, learned: bool = True
) -> None:
    rows = load_labels(path)
    groups = {t.id: t.group for t in taxonomy.themes}
    print(f"== {path.name}: {len(rows)} passages")
    themes = evaluate(rows, taxonomy, embedder=embedder, learned=learned)
    areas = evaluate_areas(rows) if any("areas" in r for r in rows) else None
    for half in HALVES:
        print(f"\n-- themes, {half} half")
        print(themes[half].table("theme", groups))
        if areas is not None:
            print(f"\n-- areas, {half} half")
            print(areas[half].table("area", area_kinds()))
    print()
    for half in HALVES:
        m = themes[half].micro
        line = f"{half}: themes P {m.precision:.3f} R {m.recall:.3f} micro-F1 {m.f1:.3f}"
        if areas is not None:
            a = areas[half].micro
            line += f"   areas P {a.precision:.3f} R {a.recall:.3f} micro-F1 {a.f1:.3f}"
        print(line)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, nargs="+", default=[LABELS, WEB_LABELS])
    parser.add_argument("--themes", type=Path, default=None, help="a themes.json to try")
    parser.add_argument("--phrases-only", action="store_true", help="no embedding similarity")
    parser.add_argument("--no-probe", action="store_true", help="rules only, no learned probe")
    args = parser.parse_args(argv)
    from assistant.offline import enforce_offline

    enforce_offline()
    embedder = None
    if not args.phrases_only:
        from vectorstore.embedder import MiniLMEmbedder

        embedder = MiniLMEmbedder()
    taxonomy = Taxonomy.load(args.themes)
    for path in args.labels:
        if path.is_file():
            print_reports(path, taxonomy, embedder, learned=not args.no_probe)
        else:
            print(f"== {path}: no such label file")


if __name__ == "__main__":
    main()

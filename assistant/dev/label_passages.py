"""Cut documents into short passages for hand labelling (themes and areas).

    python -m assistant.dev.label_passages DIR... > passages.jsonl

Each passage is a run of blocks (paragraphs, list items, table rows) of one section, as the
ingest pipeline reads them, grouped until it has at least ``--min-words`` words: shorter than
an indexed chunk, so that a page of 2,000 characters gives several passages to label. Each
line holds ``file``, ``title``, ``section`` and ``text`` (labels are added by hand after
reading the passage), so an evaluation does not depend on a store or on today's chunking.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from ingest.metadata import MetadataIndex
from ingest.pipeline import ChunkingParams, load
from ingest.sections import split_sections


def passages(path: Path, min_words: int) -> Iterator[dict[str, str]]:
    doc = load(path, ChunkingParams(file_timeout_s=0))
    meta = MetadataIndex().for_file(path)
    doc = replace(doc, title=str(meta.get("title", "") or "") or doc.title)
    for section in split_sections(doc):
        run: list[str] = []
        for block in section.blocks:
            run.append(block.text)
            if sum(len(t.split()) for t in run) >= min_words:
                yield {"file": path.name, "title": doc.title, "section": section.heading,
                       "text": "\n".join(run)}
                run = []
        if run and sum(len(t.split()) for t in run) >= min_words // 2:
            yield {"file": path.name, "title": doc.title, "section": section.heading,
                   "text": "\n".join(run)}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--min-words", type=int, default=40)
    args = parser.parse_args(argv)
    for folder in args.dirs:
        for path in sorted(folder.glob("*.md")) + sorted(folder.glob("*.txt")):
            for row in passages(path, args.min_words):
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

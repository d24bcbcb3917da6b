"""The library's documents: `rla ingest`, `list`, `remove`, `check` and `retag`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from assistant.cli.context import CliContext, pass_cli
from assistant.core import Assistant
from assistant.errors import NothingIngestedError
from assistant.text import shown
from assistant.types import CardKey, IngestReport


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--metadata",
    "metadata_csv",
    type=click.Path(path_type=Path, exists=True),
    help="A metadata CSV (file,title,publisher,year,review_type,geography).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_cli
def ingest(cli: CliContext, paths: tuple[Path, ...], metadata_csv: Path | None,
           as_json: bool) -> None:
    """Add documents (files or folders) to the store. Unchanged files are skipped."""
    report = run_ingest(cli.assistant, list(paths), metadata_csv, show_bar=not as_json)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        print_report(report)
    if not report.ok:
        raise NothingIngestedError(
            "nothing could be ingested: "
            + ("; ".join(f"{s.path}: {s.reason}" for s in report.skipped) or "no files found")
        )


def run_ingest(
    assistant: Assistant, paths: list[Path], metadata_csv: Path | None, *, show_bar: bool
) -> IngestReport:
    """Ingest with one progress bar on stderr: texts embedded, and files read in its title.
    Files are read while earlier ones are embedded (two threads call ``progress``), and the
    texts to embed are known only for the files read so far, so the total grows."""
    import threading

    from tqdm import tqdm

    bar: list[tqdm[None]] = []
    lock = threading.Lock()

    def progress(stage: str, done: int, total: int) -> None:
        if not show_bar or total == 0:
            return
        with lock:
            if not bar:
                bar.append(tqdm(total=None, desc="Reading files", unit="text", file=sys.stderr,
                                leave=False))
            if stage == "read":
                bar[0].set_description(f"Reading files ({done}/{total}), embedding passages "
                                       "and sentences", refresh=True)
            else:
                if bar[0].total != total:
                    bar[0].total = total
                bar[0].update(done - bar[0].n)

    try:
        return assistant.ingest(paths, metadata_csv=metadata_csv, progress=progress)
    finally:
        for made in bar:
            made.close()


def print_report(report: IngestReport) -> None:
    for card in report.ingested:
        click.echo(f"ingested  {shown(card.file)}  ({card.pages} pages, {card.chunks} chunks)")
    for path in report.unchanged:
        click.echo(f"unchanged {shown(str(path))}")
    for skip in report.skipped:
        click.echo(f"skipped   {shown(str(skip.path))}: {shown(skip.reason)}", err=True)
    if report.hidden_note:
        click.echo(shown(report.hidden_note), err=True)
    click.echo(
        f"{len(report.ingested)} file(s) ingested, {len(report.unchanged)} unchanged, "
        f"{len(report.skipped)} skipped, {report.chunks} chunks, {report.seconds:.1f} s"
    )


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the documents as JSON.")
@pass_cli
def list_documents(cli: CliContext, as_json: bool) -> None:
    """Show the documents in the store with their chunk counts, year, review types and title."""
    cards = cli.assistant.documents()
    if as_json:
        click.echo(json.dumps([c.to_dict() for c in cards], indent=2))
        return
    if not cards:
        click.echo("The store is empty. Add documents with `rla ingest PATH`.")
    for c in cards:
        year = c.meta.get(CardKey.YEAR, "")
        kinds = "; ".join(c.review_types)
        fields = (c.file, f"{c.pages} pages", f"{c.chunks} chunks", str(year), kinds, c.title)
        click.echo("\t".join(map(shown, fields)))


@click.command()
@click.argument("name")
@pass_cli
def remove(cli: CliContext, name: str) -> None:
    """Remove a document (by file name, or the document id `rla check` shows) and its chunks
    from the store."""
    for card in cli.assistant.remove(name):
        click.echo(f"removed {shown(card.file)} ({card.chunks} chunks)")


@click.command("check")
@click.option("--repair", is_flag=True,
              help="Remove what interrupted ingests left (then ingest those files again).")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@pass_cli
def check(cli: CliContext, repair: bool, as_json: bool) -> None:
    """Check the store: every document has all its chunks and every chunk its document.

    Exits with status 1 when something is wrong. Chunks without a document are what an
    interrupted ingest leaves (they are never searched or cited); the next `rla ingest`,
    `rla remove ID` or --repair removes them.
    """
    from assistant.store.integrity import store_problems

    assistant = cli.assistant
    store, files = assistant.store, assistant.settings.files_dir
    removed = assistant.repair() if repair else []
    problems = store_problems(store, files)
    cards = store.cards()
    if as_json:
        click.echo(json.dumps({
            "documents": len(cards), "chunks": store.count(), "problems": problems,
            "removed": removed,
            "cards": [{"doc_id": c.doc_id, "file": c.file, "chunks": c.chunks} for c in cards],
            "chunk_counts": store.chunk_counts(),
        }, indent=2))
    else:
        for doc_id in removed:
            click.echo(f"removed the leftovers of document {doc_id[:12]}; ingest it again")
        for problem in problems:
            click.echo(f"problem: {shown(problem)}", err=True)
        click.echo(f"{len(cards)} document(s), {store.count()} chunks, "
                   f"{len(problems)} problem(s)")
    if problems:
        raise SystemExit(1)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_cli
def retag(cli: CliContext, as_json: bool) -> None:
    """Tag stored passages again (areas, themes, tables, document card) without
    re-embedding them: after editing themes.json or areas.json, or for a store built before
    tagging. Passages stored without sentence vectors (an older store) get them."""
    report = cli.assistant.retag()
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(f"retagged {report.passages} passages of {report.documents} "
                   f"document(s): {report.tagged_areas} about an area, "
                   f"{report.tagged_themes} with a theme"
                   + (f"; sentences embedded for {report.units_embedded}"
                      if report.units_embedded else ""))


COMMANDS = (ingest, list_documents, remove, check, retag)

"""The ``rla`` command line. Printing happens here and nowhere else.

Every ``RlaError`` becomes one ``Error: ...`` line on stderr and exit status 1.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from assistant import cli_admin
from assistant.cli_trainer import register as register_trainer
from assistant.cli_views import filter_options, filters_from, print_notes, register
from assistant.config import Settings
from assistant.errors import NothingIngestedError, RlaError, user_message
from assistant.inputs import clean_question, decode_line, shown
from assistant.types import Answer, IngestReport


def _settings(**overrides: Any) -> Settings:
    settings = Settings.from_env()
    clean = {k: v for k, v in overrides.items() if v is not None}
    return replace(settings, **clean) if clean else settings


def _assistant(**overrides: Any) -> Any:
    from assistant.core import Assistant

    return Assistant(_settings(**overrides))


@contextmanager
def _user_errors() -> Iterator[None]:
    """Every failure ends as one ``Error: ...`` line and exit status 1, never a traceback
    (with ``-v`` an unexpected one is logged in full)."""
    try:
        yield
    except RlaError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(1)
    except Exception as err:
        logging.getLogger("rla").debug("unexpected failure", exc_info=True)
        click.echo(f"Error: {user_message(err)}", err=True)
        sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (to stderr).")
def main(verbose: bool) -> None:
    """Review Learning Assistant: cited answers from child protection case reviews.

    Every answer quotes the documents verbatim, with document, page and section, or says the
    documents do not cover the question. Data lives under RLA_HOME (default ~/.rla).

    \b
    Start with:
      rla ingest ~/reviews/            # PDFs, .txt, .md, .docx, .html; folders are walked
      rla ask "what do reviews say about neglect?"
    """
    from assistant.offline import enforce_offline

    enforce_offline()
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--metadata",
    "metadata_csv",
    type=click.Path(path_type=Path, exists=True),
    help="A metadata CSV (file,title,publisher,year,review_type,geography).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def ingest(paths: tuple[Path, ...], metadata_csv: Path | None, as_json: bool) -> None:
    """Add documents (files or folders) to the store. Unchanged files are skipped."""
    with _user_errors():
        report = _run_ingest(_assistant(), list(paths), metadata_csv, show_bar=not as_json)
        if as_json:
            click.echo(json.dumps(report.to_dict(), indent=2))
        else:
            _print_report(report)
        if not report.ok:
            raise NothingIngestedError(
                "nothing could be ingested: "
                + ("; ".join(f"{s.path}: {s.reason}" for s in report.skipped) or "no files found")
            )


def _run_ingest(
    assistant: Any, paths: list[Path], metadata_csv: Path | None, *, show_bar: bool
) -> IngestReport:
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if not show_bar or total == 0:
            return
        if stage not in bars:
            label = "Reading files" if stage == "read" else "Embedding chunks"
            unit = "file" if stage == "read" else "chunk"
            bars[stage] = tqdm(total=total, desc=label, unit=unit, file=sys.stderr, leave=False)
        bar = bars[stage]
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    report: IngestReport = assistant.ingest(paths, metadata_csv=metadata_csv, progress=progress)
    return report


def _print_report(report: IngestReport) -> None:
    for card in report.ingested:
        click.echo(f"ingested  {shown(card.file)}  ({card.pages} pages, {card.chunks} chunks)")
    for path in report.unchanged:
        click.echo(f"unchanged {shown(str(path))}")
    for skip in report.skipped:
        click.echo(f"skipped   {shown(str(skip.path))}: {shown(skip.reason)}", err=True)
    click.echo(
        f"{len(report.ingested)} file(s) ingested, {len(report.unchanged)} unchanged, "
        f"{len(report.skipped)} skipped, {report.chunks} chunks, {report.seconds:.1f} s"
    )


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the documents as JSON.")
def list_documents(as_json: bool) -> None:
    """Show the documents in the store with their chunk counts."""
    with _user_errors():
        cards = _assistant().documents()
        if as_json:
            click.echo(json.dumps([c.to_dict() for c in cards], indent=2))
            return
        if not cards:
            click.echo("The store is empty. Add documents with `rla ingest PATH`.")
        for c in cards:
            year = c.meta.get("year", "")
            fields = (c.file, f"{c.pages} pages", f"{c.chunks} chunks", str(year), c.title)
            click.echo("\t".join(map(shown, fields)))


@main.command()
@click.argument("name")
def remove(name: str) -> None:
    """Remove a document (by file name) and its chunks from the store."""
    with _user_errors():
        for card in _assistant().remove(name):
            click.echo(f"removed {shown(card.file)} ({card.chunks} chunks)")


@main.command()
@click.argument("question")
@click.option("--k", type=int, default=None, help="How many passages to retrieve (RLA_K).")
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "dense", "keyword"]),
    default="hybrid",
    show_default=True,
    help="Retrieval mode.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the JSON contract; with QUESTION '-', one question per stdin line.",
)
@filter_options
def ask(question: str, k: int | None, mode: str, as_json: bool, **options: Any) -> None:
    """Answer QUESTION with verbatim quotes and their sources.

    A question that names an area or nation ("in Glasgow", "in Scotland") is narrowed to it,
    and the answer says so."""
    with _user_errors():
        assistant = _assistant()
        cli_admin.audit_cli_answers(assistant)  # RLA_AUDIT_LOG, when set
        filters = filters_from(options)
        batch = question == "-"
        questions = (decode_line(raw) for raw in sys.stdin.buffer) if batch else [question]
        failed = 0
        for q in map(clean_question, questions):
            if not q:
                continue
            try:
                answer: Answer = assistant.ask(q, k=k, mode=mode, filters=filters)
            except Exception as err:  # one bad line never ends a batch
                if not batch:
                    raise
                failed += 1
                _print_failure(q, err, as_json)
                continue
            if as_json:
                click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
            else:
                _print_answer(answer)
        if failed:
            sys.exit(1)


def _print_failure(question: str, err: Exception, as_json: bool) -> None:
    """A question of a batch that could not be answered: a JSON error object or a line."""
    if not isinstance(err, RlaError):
        logging.getLogger("rla").debug("unexpected failure", exc_info=True)
    message = user_message(err)
    if as_json:
        click.echo(json.dumps({"question": question, "error": message}, ensure_ascii=False))
    else:
        click.echo(f"Error: {question}: {message}", err=True)


def _print_answer(answer: Answer) -> None:
    from assistant.citations import render_sources

    print_notes(answer)
    click.echo(answer.text)
    if answer.citations:
        click.echo("\nSources:")
        click.echo(render_sources(answer.citations))
    if answer.backend.startswith("llm:"):
        click.echo(f"\n(written by the language model {answer.backend[4:]}; checked against "
                   "the sources)")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=7860, show_default=True, type=int)
@click.option(
    "--ingest-sample-if-empty",
    is_flag=True,
    help="Ingest the bundled sample corpus first when the store is empty.",
)
def serve(host: str, port: int, ingest_sample_if_empty: bool) -> None:
    """Serve the chat window in the browser."""
    with _user_errors():
        assistant = _assistant()
        if ingest_sample_if_empty and assistant.is_empty():
            _ingest_sample(assistant)
        from ui.app import launch

        launch(assistant, host=host, port=port)


def _ingest_sample(assistant: Any) -> None:
    from assistant.resources import sample_corpus_dir

    folder = sample_corpus_dir()
    click.echo(f"The store is empty: ingesting the sample corpus from {folder}")
    _print_report(_run_ingest(assistant, [folder], None, show_bar=True))


@main.command("eval")
@click.argument("questions", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--k", type=int, default=8, show_default=True, help="Passages per question.")
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "dense", "keyword"]),
    default="hybrid",
    show_default=True,
    help="Retrieval mode to score (and to list per question).",
)
@click.option(
    "--ablation/--no-ablation",
    default=False,
    help="Score hybrid, dense and keyword and the LangChain baseline in one table.",
)
@click.option(
    "--corpus",
    "corpus",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="PDFs (files or folders) the baseline is built from; default: the store's copies.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
def eval_command(
    questions: Path, k: int, mode: str, ablation: bool, corpus: tuple[Path, ...], as_json: bool
) -> None:
    """Score retrieval, citations and refusals on QUESTIONS (JSON lines) against the store.

    Each line has "question" and "must_contain" (a phrase the right passage holds, or null
    for a question the documents do not answer). See the README's "Quality and speed".
    """
    from assistant import evaluate

    with _user_errors():
        assistant = _assistant()
        items = evaluate.load_items(questions)
        files = list(corpus) or [assistant.settings.files_dir]
        report = evaluate.run_eval(
            assistant,
            items,
            k=k,
            modes=evaluate.modes_for(mode, ablation),
            baseline_files=files if ablation else None,
            questions_file=str(questions),
        )
        if as_json:
            click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        else:
            from assistant.eval_table import render

            click.echo(render(report, per_question=mode))


@main.command()
@click.option("--scale", type=int, default=100_000, show_default=True,
              help="Chunks in the synthetic store (replicated from the corpus; cached).")
@click.option("--rounds", type=int, default=3, show_default=True,
              help="Rounds of alternating ours / baseline / raw encode (median of ratios).")
@click.option("--passes", type=int, default=3, show_default=True,
              help="Passes over the question list when timing asks.")
@click.option("--corpus", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="Files or folders to ingest (default: ../shared/corpus/pdf of the repo).")
@click.option("--metadata", "metadata_csv", type=click.Path(path_type=Path, exists=True),
              help="Metadata CSV for the corpus (default: the corpus's metadata.csv).")
@click.option("--questions", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Questions (JSON lines) to time (default: ../shared/eval/dev.jsonl).")
@click.option("--cache-dir", type=click.Path(path_type=Path),
              help="Where scaled stores are cached (RLA_BENCH_CACHE, ~/.cache/rla-bench).")
@click.option("--no-encoders", is_flag=True, help="Skip the comparison of encoder options.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def bench(scale: int, rounds: int, passes: int, corpus: tuple[Path, ...],
          metadata_csv: Path | None, questions: Path | None, cache_dir: Path | None,
          no_encoders: bool, as_json: bool) -> None:
    """Measure ingest, encoding and ask speed here, beside the LangChain baseline.

    Prints each figure beside its target (PASS/MISS); progress goes to stderr.
    """
    from assistant import bench as bench_mod
    from assistant import evaluate

    with _user_errors():
        shared = Path(__file__).resolve().parent.parent.parent / "shared"
        paths = list(corpus) or [shared / "corpus" / "pdf"]
        if metadata_csv is None and not corpus and (shared / "corpus" / "metadata.csv").exists():
            metadata_csv = shared / "corpus" / "metadata.csv"
        items = evaluate.load_items(questions or shared / "eval" / "dev.jsonl")
        results = bench_mod.run_bench(
            corpus=paths, metadata=metadata_csv, items=items, scale=scale, rounds=rounds,
            passes=passes, cache=cache_dir, encoders=not no_encoders,
            say=lambda msg: click.echo(msg, err=True),
        )
        if as_json:
            click.echo(json.dumps(results, indent=2))
        else:
            click.echo(bench_mod.render(results))


register(main)  # rla areas, themes, compare, retag
register_trainer(main)  # rla examples, quotes, handout
main.add_command(cli_admin.check)  # rla check
main.add_command(cli_admin.add_user)  # rla add-user

"""Asking: `rla ask` (one question, or one per stdin line) and `rla serve` (the chat window)."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click

from assistant.cli.admin import audit_cli_answers
from assistant.cli.context import CliContext, pass_cli
from assistant.cli.documents import print_report, run_ingest
from assistant.cli.options import filter_options, filters_from, print_notes
from assistant.errors import RlaError, user_message
from assistant.text import clean_question, decode_line
from assistant.types import Answer

log = logging.getLogger("rla")


@click.command()
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
@pass_cli
def ask(cli: CliContext, question: str, k: int | None, mode: str, as_json: bool,
        **options: Any) -> None:
    """Answer QUESTION with verbatim quotes and their sources.

    A question that names an area or nation ("in Glasgow", "in Scotland") is narrowed to it,
    and the answer says so. With QUESTION '-', each line of stdin is a question; a line that
    cannot be answered gets an error (a JSON object with "error" under --json) and the batch
    goes on."""
    assistant = cli.assistant
    audit_cli_answers(assistant)  # RLA_AUDIT_LOG, when set
    filters = filters_from(options)
    batch = question == "-"
    questions = (decode_line(raw) for raw in sys.stdin.buffer) if batch else [question]
    failed = 0
    for q in map(clean_question, questions):
        if not q:
            continue
        try:
            answer = assistant.ask(q, k=k, mode=mode, filters=filters)  # type: ignore[arg-type]
        except Exception as err:  # one bad line never ends a batch
            if not batch:
                raise
            failed += 1
            print_failure(q, err, as_json)
            continue
        if as_json:
            click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
        else:
            print_answer(answer)
    if failed:
        sys.exit(1)


def print_failure(question: str, err: Exception, as_json: bool) -> None:
    """A question of a batch that could not be answered: a JSON error object or a line."""
    if not isinstance(err, RlaError):
        log.info("the failure in full:", exc_info=True)
    message = user_message(err)
    if as_json:
        click.echo(json.dumps({"question": question, "error": message}, ensure_ascii=False))
    else:
        click.echo(f"Error: {question}: {message}", err=True)


def print_answer(answer: Answer) -> None:
    from assistant.answering.citations import render_sources

    print_notes(answer)
    click.echo(answer.text)
    if answer.citations:
        click.echo("\nSources:")
        click.echo(render_sources(answer.citations))
    if answer.backend.startswith("llm:"):
        click.echo(f"\n(written by the language model {answer.backend[4:]}; checked against "
                   "the sources)")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=7860, show_default=True, type=int)
@click.option(
    "--ingest-sample-if-empty",
    is_flag=True,
    help="Ingest the bundled sample corpus first when the store is empty.",
)
@pass_cli
def serve(cli: CliContext, host: str, port: int, ingest_sample_if_empty: bool) -> None:
    """Serve the chat window in the browser."""
    assistant = cli.assistant
    if ingest_sample_if_empty and assistant.is_empty():
        from assistant.resources import sample_corpus_dir

        folder = sample_corpus_dir()
        click.echo(f"The store is empty: ingesting the sample corpus from {folder}")
        print_report(run_ingest(assistant, [folder], None, show_bar=True))
    from ui.app import launch

    launch(assistant, host=host, port=port)


COMMANDS = (ask, serve)

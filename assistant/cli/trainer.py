"""Trainers' commands: `rla examples`, `rla quotes` and `rla handout`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from assistant.cli.context import CliContext, pass_cli
from assistant.cli.options import filter_options, filters_from


@click.command()
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the examples as JSON.")
@pass_cli
def examples(cli: CliContext, as_json: bool, **options: Any) -> None:
    """Practice examples: changes made in response to review learning (a new pathway,
    tool, procedure, training, supervision model, audit ...), each with what changed and,
    where the document gives them, why and how, quoted with document and page.

    \b
    Example:
      rla examples --theme neglect
      rla examples --area Glasgow --json
    """
    from assistant.trainer.examples import render_text

    found = cli.assistant.examples(filters_from(options))
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in found], indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(found))


@click.command()
@click.argument("topic")
@click.option("--limit", type=int, default=10, show_default=True,
              help="At most this many quotations.")
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the quotations as JSON.")
@pass_cli
def quotes(cli: CliContext, topic: str, limit: int, as_json: bool, **options: Any) -> None:
    """Quoted speech about TOPIC, word for word from its opening to its closing mark,
    with its attribution as the document gives it ("(survey response)", an inspector, a
    chief executive), document, section and page.

    \b
    Example:
      rla quotes "why training alone doesn't change practice"
    """
    from assistant.trainer.quotes import render_text

    found = cli.assistant.quotes(topic, limit=limit, filters=filters_from(options))
    if as_json:
        click.echo(json.dumps([q.to_dict() for q in found], indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(found))


@click.command()
@click.option("--theme", required=True, metavar="THEME",
              help="The theme (id, label or phrase; see `rla themes`).")
@click.option("--area", metavar="NAME",
              help="Narrow findings, examples and good practice to this area.")
@click.option("--format", "fmt", type=click.Choice(["md", "docx"]), default=None,
              help="Markdown or Word (default: from the --out suffix, else md).")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False),
              required=True, help="Where to write the handout.")
@pass_cli
def handout(cli: CliContext, theme: str, area: str | None, fmt: str | None, out: Path) -> None:
    """Write a seven-minute briefing on THEME: what it is, why it matters, what reviews
    found, practice examples, what good practice looks like, questions for reflection and
    sources. Every statement is a verbatim quote with a numbered footnote (document,
    page, section); a section with no evidence says so.

    \b
    Example:
      rla handout --theme neglect --format docx --out neglect-briefing.docx
    """
    made = cli.assistant.theme_handout(theme, area)
    if fmt is None:
        fmt = "docx" if out.suffix.lower() == ".docx" else "md"
    cli.assistant.write_handout(made, out, fmt)
    quoted = len(made.statements())
    click.echo(f"wrote {out} ({fmt}, {quoted} quotes with footnotes, "
               f"{len(made.sources())} source document(s))")


COMMANDS = (examples, quotes, handout)

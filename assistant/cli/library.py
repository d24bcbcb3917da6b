"""Lead officers' views over the structure extracted at ingest: `rla areas`, `themes` and
`compare`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from assistant.cli.context import CliContext, pass_cli
from assistant.cli.options import filter_options, filters_from
from assistant.library.catalog import Catalog
from assistant.library.compare import BY
from assistant.library.filters import resolve


def _themes_list(raw: str | None) -> list[str]:
    return [t.strip() for t in (raw or "").split(",") if t.strip()]


def _untagged_warning(catalog: Catalog) -> None:
    if not catalog.tagged:
        from assistant.answering.scope import UNTAGGED

        click.echo(f"Note: {UNTAGGED}", err=True)


@click.command()
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the areas as JSON.")
@pass_cli
def areas(cli: CliContext, as_json: bool, **options: Any) -> None:
    """The areas the documents say something about, with passage and document counts."""
    catalog = cli.assistant.catalog()
    found = catalog.areas(filters_from(options))
    if as_json:
        click.echo(json.dumps({"areas": [a.to_dict() for a in found]}, indent=2))
        return
    _untagged_warning(catalog)
    if not found:
        click.echo("No passage is about a particular area.")
    name = max((len(a.name) for a in found), default=0)
    kind = max((len(a.kind) for a in found), default=0)
    for a in found:
        click.echo(f"{a.name:{name}}  {a.kind:{kind}} {a.passages:4d} passages "
                   f"{a.documents:3d} document(s)  {', '.join(a.files)}")


@click.command()
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_cli
def themes(cli: CliContext, as_json: bool, **options: Any) -> None:
    """Theme counts over the documents, per document type and nation."""
    catalog = cli.assistant.catalog()
    found = catalog.themes(filters_from(options))
    if as_json:
        click.echo(json.dumps({"themes": [t.to_dict() for t in found]}, indent=2))
        return
    _untagged_warning(catalog)
    for t in found:
        types = ", ".join(f"{k} {v}" for k, v in sorted(t.by_doc_type.items()))
        nations = ", ".join(f"{k} {v}" for k, v in sorted(t.by_nation.items()))
        click.echo(f"{t.id:34} {t.passages:4d} passages {t.documents:2d} doc(s)"
                   + (f"  [{types}] [{nations}]" if t.passages else ""))


@click.command("compare")
@click.option("--by", type=click.Choice(list(BY)), default="area",
              show_default=True, help="What the rows are.")
@click.option("--themes", "theme_names", metavar="A,B,...",
              help="Themes to compare (default: every theme with a passage).")
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the matrix as JSON.")
@click.option("--csv", "csv_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the matrix (one row per cell, best quote) to FILE.")
@pass_cli
def compare_command(cli: CliContext, by: str, theme_names: str | None, as_json: bool,
                    csv_file: Path | None, **options: Any) -> None:
    """Themes across areas, nations, periods or documents: passages, documents and the best quote
    (with document and page) in every cell."""
    from assistant.library.compare import compare

    catalog = cli.assistant.catalog()
    wanted = list(resolve(themes=_themes_list(theme_names)).themes)
    matrix = compare(catalog, by, wanted, filters_from(options))  # type: ignore[arg-type]
    if csv_file is not None:
        csv_file.write_text(matrix.to_csv(), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(matrix.to_dict(), indent=2, ensure_ascii=False))
        return
    _untagged_warning(catalog)
    for theme in matrix.themes:
        cells = [c for c in matrix.cells if c.theme == theme]
        click.echo(f"\n{matrix.labels.get(theme, theme)} ({theme})")
        if not cells:
            click.echo("  no passages")
        for c in cells:
            q = c.evidence[0]
            click.echo(f"  {c.row:26} {c.passages:3d} passage(s) {c.documents:2d} doc(s)"
                       f"  \"{q.text[:110]}\" ({q.chunk.file}, p. {q.page_start})")
    for t in matrix.tables:
        click.echo(f"\nTable row ({t.file}, p. {t.page_start}):")
        for heading, value in zip(t.table.column_labels(), t.row.cells, strict=False):
            click.echo(f"  {heading[:60]:60} {value}")
    if csv_file is not None:
        click.echo(f"\nwrote {csv_file}")


COMMANDS = (areas, themes, compare_command)

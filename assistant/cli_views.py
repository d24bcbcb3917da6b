"""The ``rla`` commands over the structure extracted at ingest: `areas`, `themes`, `compare`,
`retag`, and the filter options of `rla ask`. Registered on the main group by ``assistant.cli``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from assistant.filters import Filters, resolve
from assistant.types import Answer

F = TypeVar("F", bound=Callable[..., Any])

_FILTER_OPTIONS = (
    click.option("--area", "areas", multiple=True, metavar="NAME",
                 help="Only passages about this area (council, committee, health board); "
                      "repeat for several. See `rla areas`."),
    click.option("--nation", metavar="NAME",
                 help="Only documents about this nation (Scotland, England, Wales, "
                      "Northern Ireland)."),
    click.option("--theme", "themes", multiple=True, metavar="THEME",
                 help="Only passages tagged with this theme (id, label or phrase); repeat for "
                      "several. See `rla themes`."),
    click.option("--type", "doc_type", metavar="TYPE",
                 help="Only this document type (e.g. 'overview report', 'news release')."),
    click.option("--year-from", type=int, metavar="YEAR", help="Only documents published in "
                 "or after YEAR."),
    click.option("--year-to", type=int, metavar="YEAR", help="Only documents published in or "
                 "before YEAR."),
)


def filter_options(fn: F) -> F:
    """Add --area, --nation, --theme, --type, --year-from and --year-to to a command."""
    for option in reversed(_FILTER_OPTIONS):
        fn = option(fn)
    return fn


def filters_from(options: dict[str, Any]) -> Filters | None:
    """The filters a command was given (None when none were)."""
    chosen = resolve(
        areas=options.get("areas") or (), nation=options.get("nation"),
        themes=options.get("themes") or (), doc_type=options.get("doc_type"),
        year_from=options.get("year_from"), year_to=options.get("year_to"),
    )
    return chosen or None


def print_notes(answer: Answer) -> None:
    for note in answer.notes:
        click.echo(f"Note: {note}")
    if answer.notes:
        click.echo()


def _themes_list(raw: str | None) -> list[str]:
    return [t.strip() for t in (raw or "").split(",") if t.strip()]


def _untagged_warning(catalog: Any) -> None:
    if not catalog.tagged:
        from assistant.scope import UNTAGGED

        click.echo(f"Note: {UNTAGGED}", err=True)


def _assistant() -> Any:
    from assistant import cli  # looked up on each call, so tests can point it at a store

    return cli._assistant()


def register(main: click.Group) -> None:
    from assistant.cli import _user_errors

    @main.command()
    @filter_options
    @click.option("--json", "as_json", is_flag=True, help="Print the areas as JSON.")
    def areas(as_json: bool, **options: Any) -> None:
        """The areas the documents say something about, with passage and document counts."""
        with _user_errors():
            catalog = _assistant().catalog()
            found = catalog.areas(filters_from(options))
            if as_json:
                click.echo(json.dumps({"areas": [a.to_dict() for a in found]}, indent=2))
                return
            _untagged_warning(catalog)
            if not found:
                click.echo("No passage is about a particular area.")
            for a in found:
                click.echo(f"{a.name:28} {a.kind:13} {a.passages:4d} passages "
                           f"{a.documents:3d} document(s)  {', '.join(a.files)}")

    @main.command()
    @filter_options
    @click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
    def themes(as_json: bool, **options: Any) -> None:
        """Theme counts over the documents, per document type and nation."""
        with _user_errors():
            catalog = _assistant().catalog()
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

    @main.command("compare")
    @click.option("--by", type=click.Choice(["area", "period", "document"]), default="area",
                  show_default=True, help="What the rows are.")
    @click.option("--themes", "theme_names", metavar="A,B,...",
                  help="Themes to compare (default: every theme with a passage).")
    @filter_options
    @click.option("--json", "as_json", is_flag=True, help="Print the matrix as JSON.")
    @click.option("--csv", "csv_file", type=click.Path(path_type=Path, dir_okay=False),
                  help="Also write the matrix (one row per cell, best quote) to FILE.")
    def compare_command(by: str, theme_names: str | None, as_json: bool,
                        csv_file: Path | None, **options: Any) -> None:
        """Themes across areas, periods or documents: passages, documents and the best quote
        (with document and page) in every cell."""
        from assistant.compare import compare

        with _user_errors():
            catalog = _assistant().catalog()
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
                               f"  \"{q.quote[:110]}\" ({q.file}, p. {q.page_start})")
            for t in matrix.tables:
                click.echo(f"\nTable row ({t.file}, p. {t.page_start}):")
                for heading, value in zip(t.table.column_labels(), t.row.cells, strict=False):
                    click.echo(f"  {heading[:60]:60} {value}")
            if csv_file is not None:
                click.echo(f"\nwrote {csv_file}")

    @main.command()
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    def retag(as_json: bool) -> None:
        """Tag stored passages again (areas, themes, tables, document card) without
        re-embedding: after editing themes.json or areas.json, or for a store built before
        tagging."""
        with _user_errors():
            report = _assistant().retag()
            if as_json:
                click.echo(json.dumps(report.to_dict(), indent=2))
            else:
                click.echo(f"retagged {report.passages} passages of {report.documents} "
                           f"document(s): {report.tagged_areas} about an area, "
                           f"{report.tagged_themes} with a theme")

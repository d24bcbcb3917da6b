"""Options and output shared by several commands: the filters, notes under an answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from assistant.library.filters import Filters, resolve
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
    click.option("--review-type", "review_types", multiple=True, metavar="TYPE",
                 help="Only documents that are or are about this review type (e.g. 'child "
                      "practice review', 'CMR', 'LCSPR', 'significant case review'); repeat "
                      "for several. 'SCR' is the --nation's, or both without one."),
    click.option("--year-from", type=int, metavar="YEAR", help="Only documents published in "
                 "or after YEAR."),
    click.option("--year-to", type=int, metavar="YEAR", help="Only documents published in or "
                 "before YEAR."),
)


def filter_options(fn: F) -> F:
    """Add --area, --nation, --theme, --type, --review-type, --year-from and --year-to to a
    command."""
    for option in reversed(_FILTER_OPTIONS):
        fn = option(fn)
    return fn


def filters_from(options: dict[str, Any]) -> Filters | None:
    """The filters a command was given (None when none were)."""
    chosen = resolve(
        areas=options.get("areas") or (), nation=options.get("nation"),
        themes=options.get("themes") or (), doc_type=options.get("doc_type"),
        review_types=options.get("review_types") or (),
        year_from=options.get("year_from"), year_to=options.get("year_to"),
    )
    return chosen or None


def print_notes(answer: Answer) -> None:
    for note in answer.notes:
        click.echo(f"Note: {note}")
    if answer.notes:
        click.echo()

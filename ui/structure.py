"""The chat window's filters and its Compare tab. Built inside ``ui.app.build_app``'s Blocks;
the plain functions here (choices, filters, the compare handler) need no Gradio and are tested
directly. Gradio is imported inside the builders only. No ``from __future__ import
annotations``: Gradio reads the cell-click handler's ``gr.EventData`` annotation as a type.
"""

import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from assistant.core import BY, NATIONS, Assistant, Filters
from ui.compare_view import (
    EMPTY_CELL,
    EMPTY_HEATMAP,
    HEATMAP_CSS,
    HEATMAP_JS,
    cell_html,
    heatmap_svg,
)
from ui.handlers import FILE_ROUTE

if TYPE_CHECKING:
    import gradio as gr

ANY = "(any)"
DEFAULT_THEMES = 6  # the Compare tab starts with the most frequent themes
EXAMPLE_COUNT = 4  # example questions under the chat


def area_choices(assistant: Assistant) -> list[str]:
    return [a.name for a in assistant.catalog().areas()]


def theme_choices(assistant: Assistant) -> list[tuple[str, str]]:
    """(label with passage count, id), most passages first."""
    found = sorted(assistant.catalog().themes(), key=lambda t: (-t.passages, t.label))
    return [(f"{t.label} ({t.passages})", t.id) for t in found]


def type_choices(assistant: Assistant) -> list[str]:
    return [ANY, *sorted(assistant.catalog().doc_types)]


def review_type_choices(assistant: Assistant) -> list[tuple[str, str]]:
    """(label with document count, label), most documents first."""
    return [(f"{label} ({n})", label) for label, n in assistant.catalog().review_types.items()]


def _phrase(label: str) -> str:
    """A theme's label as a few words inside a sentence: its head, before any comma, slash
    or bracket ("Neglect (including ...)" -> "neglect", "Quality of assessment, analysis of
    risk ..." -> "quality of assessment"); a head with capitals inside keeps them ("CSE")."""
    head = re.split(r",| / | \(", label, maxsplit=1)[0].strip() or label
    first = head.split(" ", 1)[0]
    return head if sum(ch.isupper() for ch in first) > 1 else head[:1].lower() + head[1:]


def library_examples(assistant: Assistant, count: int = EXAMPLE_COUNT) -> list[str]:
    """Example questions about the user's own library, from its most frequent themes (by
    documents, then passages) and the area with the most documents: what reviews say about
    the most frequent harm or family circumstance (the taxonomy's groups), practice examples
    for the most frequent practice theme, what that area's reviews found about its own most
    frequent theme, and which areas' reviews mention the next theme. Empty for an empty
    library."""
    catalog = assistant.catalog()
    themes = sorted((t for t in catalog.themes() if t.passages),
                    key=lambda t: (-t.documents, -t.passages, t.label))
    if not themes:
        return []
    case = [t for t in themes if t.group in ("harm", "family")] or themes
    practice = [t for t in themes if t.group == "practice"] or themes
    out = [f"What do reviews say about {_phrase(case[0].label)}?",
           f"Examples of practice that changed after reviews about {_phrase(practice[0].label)}"]
    areas = sorted((a for a in catalog.areas() if a.documents),
                   key=lambda a: (-a.documents, -a.passages, a.name))
    for area in areas[:1]:
        local = sorted((t for t in catalog.themes(Assistant.resolve_filters(areas=[area.name]))
                        if t.passages),
                       key=lambda t: (-t.passages, t.label))
        if local:
            out.append(f"What did reviews in {area.name} find about {_phrase(local[0].label)}?")
    rest = [t for t in themes if t.id not in (case[0].id, practice[0].id)]
    if rest:
        out.append(f"Which areas' reviews mention {_phrase(rest[0].label)}?")
    return list(dict.fromkeys(out))[:count]


def filters_from_ui(
    areas: Sequence[str] | None = None,
    nation: str | None = None,
    themes: Sequence[str] | None = None,
    doc_type: str | None = None,
    year_from: float | None = None,
    year_to: float | None = None,
    review_types: Sequence[str] | None = None,
) -> Filters | None:
    """The chat window's filter controls as ``Filters`` (None when nothing is chosen)."""
    chosen = Assistant.resolve_filters(
        areas=list(areas or ()),
        nation=None if nation in (None, "", ANY) else nation,
        themes=list(themes or ()),
        doc_type=None if doc_type in (None, "", ANY) else doc_type,
        year_from=int(year_from) if year_from else None,
        year_to=int(year_to) if year_to else None,
        review_types=list(review_types or ()),
    )
    return chosen or None


def page_url(assistant: Assistant) -> Any:
    def url(doc_id: str, page: int) -> str | None:
        path = assistant.stored_file(doc_id) if doc_id else None
        if path is None:
            return None
        suffix = f"#page={page}" if path.suffix.lower() == ".pdf" else ""
        return FILE_ROUTE + quote(str(path.resolve())) + suffix

    return url


def run_compare(
    assistant: Assistant, themes: Sequence[str] | None, by: str, nation: str | None = None
) -> tuple[str, dict[str, Any], str | None]:
    """The Compare button: heatmap HTML, the matrix (for cell clicks) and a CSV file path."""
    if by not in BY:
        by = "area"
    filters = filters_from_ui(nation=nation)
    matrix = assistant.compare(by, list(themes or ()), filters)
    folder = Path(tempfile.mkdtemp(prefix="rla-compare-"))
    csv_path = folder / f"rla-compare-by-{by}.csv"
    csv_path.write_text(matrix.to_csv(), encoding="utf-8")
    return heatmap_svg(matrix), matrix.to_dict(), str(csv_path)


def show_cell(assistant: Assistant, matrix: dict[str, Any], row: str, theme: str) -> str:
    if not matrix or not row:
        return EMPTY_CELL
    return cell_html(matrix, row, theme, page_url(assistant))


def filter_controls(assistant: Assistant, app: "gr.Blocks") -> list[Any]:
    """An accordion of filters under the chat; its seven components, in ``filters_from_ui``
    order, are extra inputs of the chat's events."""
    import gradio as gr

    with gr.Accordion("Filters", open=False, elem_id="rla-filters"):
        with gr.Row():
            areas = gr.Dropdown(label="Area", multiselect=True, choices=[],
                                elem_id="rla-filter-area")
            nation = gr.Dropdown(label="Nation", choices=[ANY, *NATIONS], value=ANY,
                                 elem_id="rla-filter-nation")
            themes = gr.Dropdown(label="Theme", multiselect=True, choices=[],
                                 elem_id="rla-filter-theme")
        with gr.Row():
            doc_type = gr.Dropdown(label="Document type", choices=[ANY], value=ANY,
                                   elem_id="rla-filter-type")
            review_types = gr.Dropdown(label="Review type", multiselect=True, choices=[],
                                       elem_id="rla-filter-review-type")
            year_from = gr.Number(label="Published from", precision=0, value=None)
            year_to = gr.Number(label="Published to", precision=0, value=None)

    def refresh() -> tuple[Any, ...]:
        return (gr.Dropdown(choices=area_choices(assistant)),
                gr.Dropdown(choices=theme_choices(assistant)),
                gr.Dropdown(choices=type_choices(assistant)),
                gr.Dropdown(choices=review_type_choices(assistant)))

    app.load(refresh, None, [areas, themes, doc_type, review_types], api_name="filters_refresh",
             api_visibility="private")
    return [areas, nation, themes, doc_type, year_from, year_to, review_types]


def compare_tab(assistant: Assistant, app: "gr.Blocks") -> None:
    """The Compare tab: themes by area, period or document as a heatmap; a click on a cell
    shows its evidence; the matrix downloads as CSV."""
    import gradio as gr

    with gr.Tab("Compare", id="compare"):
        gr.Markdown("Pick themes and what to compare them across. Each cell counts the "
                    "passages tagged with the theme; click a cell to read its evidence.")
        with gr.Row():
            themes = gr.Dropdown(label="Themes", multiselect=True, choices=[],
                                 elem_id="rla-compare-themes", scale=4)
            by = gr.Radio(list(BY), value="area", label="Compare across",
                          elem_id="rla-compare-by", scale=2)
            nation = gr.Dropdown(label="Nation", choices=[ANY, *NATIONS], value=ANY, scale=1)
            run = gr.Button("Compare", variant="primary", elem_id="rla-compare-run", scale=1)
        matrix = gr.State({})
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                heat = gr.HTML(EMPTY_HEATMAP, elem_id="rla-heatmap", js_on_load=HEATMAP_JS,
                               css_template=HEATMAP_CSS)
                csv = gr.File(label="Download the matrix (CSV)", interactive=False,
                              elem_id="rla-compare-csv", visible=False)  # once there is one
            with gr.Column(scale=2):
                gr.Markdown("### Evidence")
                evidence = gr.HTML(EMPTY_CELL, elem_id="rla-cell-evidence", js_on_load=None)

    def choices() -> Any:
        found = theme_choices(assistant)
        return gr.Dropdown(choices=found, value=[v for _, v in found[:DEFAULT_THEMES]])

    def go(chosen: list[str] | None, dimension: str, nation_: str) -> tuple[Any, ...]:
        svg, data, path = run_compare(assistant, chosen, dimension, nation_)
        return svg, data, gr.File(value=path, visible=True), EMPTY_CELL

    def clicked(data: dict[str, Any], evt: gr.EventData) -> str:
        info = getattr(evt, "_data", {}) or {}
        return show_cell(assistant, data, str(info.get("row", "")), str(info.get("theme", "")))

    app.load(choices, None, [themes], api_name="compare_choices", api_visibility="private")
    run.click(go, [themes, by, nation], [heat, matrix, csv, evidence], api_name="compare_run",
              api_visibility="private")
    heat.click(clicked, [matrix], [evidence], api_name="compare_cell",
               api_visibility="private")

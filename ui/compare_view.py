"""Rendering for the Compare tab: the heatmap (an SVG drawn here, one clickable cell per row
and theme) and a cell's evidence, as HTML strings with every piece of document text escaped.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from assistant.core import Matrix

# (doc_id, page) -> a URL that opens the stored document at that page, or None
PageUrl = Callable[[str, int], str | None]

_CELL_W, _CELL_H, _LEFT, _TOP = 64, 30, 210, 150
EMPTY_HEATMAP = (
    '<div class="rla-heat-empty">Choose themes and what to compare them across, then press '
    "<strong>Compare</strong>.</div>"
)
EMPTY_CELL = '<div class="rla-heat-empty">Click a cell of the heatmap to read its evidence.</div>'


def _shade(value: int, top: int) -> str:
    """White to deep teal: the share of the busiest cell."""
    if value <= 0:
        return "#f6f7f9"
    t = 0.25 + 0.75 * value / max(top, 1)
    r, g, b = (int(255 - (255 - c) * t) for c in (15, 118, 110))
    return f"#{r:02x}{g:02x}{b:02x}"


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def heatmap_svg(matrix: Matrix) -> str:
    """Rows down, themes across; each cell's colour is its number of passages."""
    if not matrix.rows or not matrix.themes:
        return '<div class="rla-heat-empty">No tagged passages match these choices.</div>'
    e = html.escape
    top = max((c.passages for c in matrix.cells), default=0)
    width = _LEFT + _CELL_W * len(matrix.themes) + 140  # room for the slanted last label
    height = _TOP + _CELL_H * len(matrix.rows) + 10
    parts = [
        f'<svg class="rla-heatmap" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>Passages per {e(matrix.by)} and theme</title>"
    ]
    for j, theme in enumerate(matrix.themes):
        x = _LEFT + j * _CELL_W + _CELL_W / 2
        label = e(_clip(matrix.labels.get(theme, theme), 34))
        parts.append(
            f'<text x="{x}" y="{_TOP - 8}" transform="rotate(-40 {x} {_TOP - 8})" '
            f'font-size="11" fill="currentColor">{label}</text>'
        )
    for i, row in enumerate(matrix.rows):
        y = _TOP + i * _CELL_H
        parts.append(
            f'<text x="{_LEFT - 8}" y="{y + _CELL_H / 2 + 4}" text-anchor="end" font-size="12" '
            f'fill="currentColor">{e(_clip(row, 30))}</text>'
        )
        for j, theme in enumerate(matrix.themes):
            cell = matrix.cell(row, theme)
            n = cell.passages if cell else 0
            docs = cell.documents if cell else 0
            x = _LEFT + j * _CELL_W
            fill = _shade(n, top)
            ink = "#ffffff" if n and n > top / 2 else "#1f2328"
            tip = f"{row} · {matrix.labels.get(theme, theme)}: {n} passage(s), {docs} document(s)"
            parts.append(
                f'<g class="rla-cell{" rla-cell-empty" if not n else ""}" data-row="{e(row)}" '
                f'data-theme="{e(theme)}" data-passages="{n}" style="cursor:pointer">'
                f"<title>{e(tip)}</title>"
                f'<rect x="{x + 1}" y="{y + 1}" width="{_CELL_W - 2}" height="{_CELL_H - 2}" '
                f'rx="3" fill="{fill}" stroke="#d0d7de"/>'
                f'<text x="{x + _CELL_W / 2}" y="{y + _CELL_H / 2 + 4}" text-anchor="middle" '
                f'font-size="12" fill="{ink}">{n if n else ""}</text></g>'
            )
    parts.append("</svg>")
    return f'<div class="rla-heat-wrap">{"".join(parts)}</div>'


def cell_html(matrix: dict[str, Any], row: str, theme: str, page_url: PageUrl) -> str:
    """A cell's counts and quotes, each with its document, page and a link to open it."""
    e = html.escape
    label = matrix.get("labels", {}).get(theme, theme)
    cell = next(
        (c for c in matrix.get("cells", []) if c["row"] == row and c["theme"] == theme), None
    )
    head = f'<div class="rla-cell-head"><strong>{e(row)}</strong> · {e(label)}</div>'
    if cell is None:
        return head + '<p class="rla-cell-none">No passage is tagged with this theme here.</p>'
    out = [head, f'<p class="rla-cell-counts">{cell["passages"]} passage(s) in '
           f'{cell["documents"]} document(s). Best evidence:</p>']
    for q in cell["evidence"]:
        url = page_url(q.get("doc_id", ""), int(q["page_start"]))
        link = (f' <a class="rla-open" href="{e(url)}" target="_blank" rel="noopener">'
                f"Open at page {q['page_start']} ↗</a>" if url else "")
        out.append(
            f'<blockquote class="rla-cell-quote">{e(q["quote"])}</blockquote>'
            f'<div class="rla-meta">{e(q["title"])}, p. {q["page_start"]}'
            f'{", " + e(q["section"]) if q.get("section") else ""} · '
            f'<span class="rla-file">{e(q["file"])}</span>{link}</div>'
        )
    return '<div class="rla-cell-evidence">' + "".join(out) + "</div>"


HEATMAP_JS = """
element.addEventListener('click', (ev) => {
  const cell = ev.target.closest && ev.target.closest('[data-row]');
  if (!cell) return;
  element.querySelectorAll('.rla-cell-active')
    .forEach((c) => c.classList.remove('rla-cell-active'));
  cell.classList.add('rla-cell-active');
  trigger('click', {row: cell.dataset.row, theme: cell.dataset.theme});
});
"""

HEATMAP_CSS = """
.rla-heat-wrap { overflow-x: auto; }
.rla-cell-active rect { stroke: #c2410c; stroke-width: 3; }
.rla-heat-empty { color: var(--body-text-color-subdued); padding: .6em 0; }
.rla-cell-quote { margin: .5em 0 .2em; padding: .3em .7em; white-space: pre-wrap;
  border-left: 3px solid var(--color-accent); }
"""

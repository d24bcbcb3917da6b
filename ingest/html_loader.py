"""Load a web page saved as HTML into a one-page ``Document``: the main text only.

Site furniture (scripts, navigation, banners, footers, cookie notices, share links, sidebars)
is left out; the main content (``<main>``, else ``role=main``, else the longest ``<article>``,
else ``<body>``) is rendered with ``#`` headings, ``• `` list items and one line per table row.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from pathlib import Path

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from assistant.errors import UnreadableFileError
from assistant.text import collapse, visible
from assistant.text import words as _names
from assistant.types import Document, Page

_ALWAYS_SKIP = _names(
    "head title meta link script style noscript template svg iframe object embed canvas select "
    "input textarea"
)
_SKIP_TAGS = _names("nav footer aside form dialog button")
_NOISE_ROLES = _names(
    "navigation banner contentinfo complementary search menu menubar dialog alertdialog"
)
_NOISE_WORDS = _names(
    "nav navbar navigation menu menubar breadcrumb breadcrumbs cookie cookies consent gdpr footer "
    "skip skiplink skiplinks share sharing social sidebar topbar"
)
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
# ``[^<>]``: a tag holds no "<", so "<meta<meta<meta..." does not scan to the end each time.
_META_CHARSET = re.compile(
    rb"<meta[^<>]+charset\s*+=\s*+[\"']?\s*+([A-Za-z0-9_:.\-]+)", re.I
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_LANDMARKS = ["main", "article"]
_HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"]
_LIST_TAGS = frozenset({"ul", "ol", "dl", "menu"})
_BLOCK_TAGS = _names(
    "p div section article main header figure figcaption address blockquote dt dd details summary "
    "hr center caption fieldset legend hgroup search tr td th thead tbody tfoot li table pre body "
    "html"
).union(_HEADINGS, _LIST_TAGS)
_BULLET = "• "


def load_html(path: Path) -> Document:
    """Read the main text of a saved web page; raise ``UnreadableFileError`` when there is none."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(str(path), f"cannot read the file ({exc.strerror})") from exc
    soup = BeautifulSoup(decode_html(data), "lxml")
    root = _main_root(soup)
    text = _render(root)
    if not text.strip() and root is not soup.body and soup.body is not None:
        text = _render(soup.body)
    if not text.strip():
        raise UnreadableFileError(str(path), "no readable text in this HTML file")
    return Document(
        doc_id=hashlib.sha256(data).hexdigest(),
        path=str(path),
        title=_title(soup, text) or path.stem,
        pages=(Page(number=1, text=text),),
        meta={},
    )


def decode_html(data: bytes) -> str:
    """Decode by BOM, then the declared charset, then utf-8, then cp1252 (never fails)."""
    by_bom = next((encoding for bom, encoding in _BOMS if data.startswith(bom)), None)
    for encoding in (by_bom, _declared_encoding(data), "utf-8"):
        if encoding:
            try:
                return data.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                continue
    return data.decode("cp1252", errors="replace")


def _declared_encoding(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:32768])
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name if match else ""
    except LookupError:
        return None
    if name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"  # what browsers do with these labels
    if name.startswith(("utf-16", "utf-32")):
        return "utf-8"  # a page without a BOM that says utf-16 is ASCII-compatible
    return name or None


def _main_root(soup: BeautifulSoup) -> Tag:
    main = soup.find("main")
    if isinstance(main, Tag) and not _in_noise(main):
        return main
    role_main = soup.find(role="main")
    if isinstance(role_main, Tag) and not _in_noise(role_main):
        return role_main
    articles = [a for a in soup.find_all("article") if isinstance(a, Tag) and not _in_noise(a)]
    if articles:
        return max(articles, key=lambda a: len(_text_of(a)))
    return soup.body if soup.body is not None else soup


def _in_noise(tag: Tag) -> bool:
    return any(_is_noise(parent) for parent in tag.parents if isinstance(parent, Tag))


def _is_noise(tag: Tag) -> bool:
    """Whether ``tag`` is site furniture rather than content (never one holding the content)."""
    name = tag.name
    if name in _ALWAYS_SKIP:
        return True
    hidden = tag.has_attr("hidden") or str(tag.get("aria-hidden", "")).lower() == "true"
    if hidden or _HIDDEN_STYLE.search(str(tag.get("style", ""))):
        return True
    if name == "header":
        inside = tag.find_parent(_LANDMARKS) is not None
        return not inside and tag.find("h1") is None and not _holds_content(tag)
    if name == "button" and tag.find_parent(_HEADINGS) is not None:
        return False  # an accordion's heading text
    flagged = name in _SKIP_TAGS or _flagged_by_attributes(tag)
    return flagged and not _holds_content(tag)


def _flagged_by_attributes(tag: Tag) -> bool:
    role = str(tag.get("role", "")).strip().lower()
    label = str(tag.get("aria-label", "")).lower()
    if role in _NOISE_ROLES or "cookie" in label or "breadcrumb" in label:
        return True
    names = " ".join(tag.get_attribute_list("class") + tag.get_attribute_list("id"))
    words = {word.lower() for word in _WORD.findall(str(names))}
    return not words.isdisjoint(_NOISE_WORDS)


def _holds_content(tag: Tag) -> bool:
    """A wrapper (an ASP.NET page-wide ``<form>``, a ``has-sidebar`` layout) around the page."""
    if tag.find(_LANDMARKS) is not None or tag.find(role="main") is not None:
        return True
    return tag.name == "form" and tag.find(_HEADINGS) is not None and tag.find("p") is not None


def _title(soup: BeautifulSoup, text: str) -> str:
    if soup.title is not None and (title := _text_of(soup.title)):
        return title
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def _render(root: Tag) -> str:
    try:
        return _Renderer().render(root)
    except RecursionError:  # absurdly deep markup: keep its text, lose its structure
        lines = (collapse(visible(line)) for line in root.get_text("\n").splitlines())
        return "\n".join(_escape(line) for line in lines if line)


class _Renderer:
    """Walk the content tree and collect blocks of lines (blocks are joined by a blank line)."""

    def __init__(self) -> None:
        self._blocks: list[list[str]] = []
        self._lines: list[str] = []
        self._inline: list[str] = []
        self._prefix = ""
        self._depth = 0  # inside a list, where blocks only break lines

    def render(self, root: Tag) -> str:
        self._walk(root)
        self._end_block()
        return "\n\n".join("\n".join(block) for block in self._blocks)

    def _walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):
                    self._inline.append(str(child))
            elif isinstance(child, Tag) and not _is_noise(child):
                self._element(child)

    def _element(self, tag: Tag) -> None:
        name = tag.name
        if name == "br":
            self._end_line()
        elif name in _HEADINGS:
            self._end_block()
            if heading := _text_of(tag):
                self._blocks.append([f"{'#' * int(name[1])} {heading}"])
        elif name == "table" and not _is_layout_table(tag):
            self._break()
            self._lines.extend(_table_lines(tag))
            self._break()
        elif name in _LIST_TAGS:
            self._break()
            self._depth += 1
            self._walk(tag)
            self._depth -= 1
            self._break()
        elif name == "li":
            self._end_line()
            self._prefix = _BULLET
            self._walk(tag)
            self._end_line()
            self._prefix = ""
        elif name == "pre":
            self._break()
            lines = (line.rstrip() for line in tag.get_text().splitlines())
            self._lines.extend(_escape(line) for line in lines if line.strip())
            self._break()
        elif name in _BLOCK_TAGS:
            self._break()
            self._walk(tag)
            self._break()
        else:
            self._walk(tag)

    def _end_line(self) -> None:
        text = collapse(visible("".join(self._inline)))
        self._inline.clear()
        if text:
            self._lines.append(self._prefix + text if self._prefix else _escape(text))
            self._prefix = ""

    def _end_block(self) -> None:
        self._end_line()
        if self._lines:
            self._blocks.append(self._lines)
            self._lines = []

    def _break(self) -> None:
        if self._depth:
            self._end_line()
        else:
            self._end_block()


def _is_layout_table(table: Tag) -> bool:
    """A table used for page layout (holding headings or long text) is read as content."""
    if str(table.get("role", "")).lower() in ("presentation", "none"):
        return True
    if table.find(_HEADINGS) is not None or table.find("table") is not None:
        return True
    return any(len(_text_of(cell)) > 500 for cell in table.find_all(["td", "th"]))


def _table_lines(table: Tag) -> list[str]:
    lines: list[str] = []
    caption = table.find("caption")
    if isinstance(caption, Tag) and (caption_text := _text_of(caption)):
        lines.append(_escape(caption_text))
    for row in table.find_all("tr"):
        if not isinstance(row, Tag) or row.find_parent("table") is not table:
            continue
        cells = [
            text
            for cell in row.find_all(["td", "th"], recursive=False)
            if isinstance(cell, Tag) and not _is_noise(cell) and (text := _text_of(cell))
        ]
        if cells:
            lines.append(_escape("\t".join(cells)))
    return lines


def _text_of(tag: Tag) -> str:
    """The tag's text on one line: block edges and ``<br>`` become spaces, noise is skipped."""
    parts: list[str] = []

    def visit(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):
                    parts.append(str(child))
            elif isinstance(child, Tag) and not _is_noise(child):
                gap = " " if child.name == "br" or child.name in _BLOCK_TAGS else ""
                parts.append(gap)
                visit(child)
                parts.append(gap)

    visit(tag)
    return collapse(visible("".join(parts)))



def _escape(line: str) -> str:
    """Keep a body line that starts with ``#`` from reading as a heading."""
    return "\\" + line if line.startswith("#") else line

"""What other programs may call: the app's public API endpoints, which Gradio's MCP server
(``/gradio_api/mcp/``) also offers as tools. Plain functions of an ``Assistant`` (tested
directly); ``ui.app`` registers them with ``gr.api``, and Gradio reads each one's name,
type hints and docstring (first paragraph: the tool's description; ``Args:``: its
parameters), so the docstrings are written for a model that has to choose and call a tool.

Each tool returns one JSON text (Gradio's MCP server would send any other value as its Python
``str``): ``ask`` the ``rla ask --json`` object, the others a list or an object. The older
``/ask`` endpoint (markdown and citations, two outputs) stays callable for ``gradio_client``
programs but is left out of the API page and the tools.
No ``from __future__ import annotations``: ``gr.api`` reads the type hints as real types.
"""

import json
from typing import Any

from assistant.core import BY, Assistant, Filters
from assistant.types import CardKey

MAX_PASSAGES = 50


def _filters(area: str = "", nation: str = "", theme: str = "") -> Filters | None:
    def names(raw: str) -> list[str]:
        return [n.strip() for n in raw.split(",") if n.strip()]

    chosen = Assistant.resolve_filters(areas=names(area), nation=nation.strip() or None,
                                       themes=names(theme))
    return chosen or None


def answer(assistant: Assistant, question: str) -> dict[str, Any]:
    """The answer as ``rla ask --json`` gives it."""
    if not question.strip():
        raise ValueError("Ask a question about the indexed documents.")
    return assistant.ask(question.strip()).to_dict()


def ask(assistant: Assistant, question: str) -> tuple[str, list[dict[str, Any]]]:
    """The answer as markdown with [n] markers, and its citations as ``rla ask --json``
    gives them."""
    from ui.render import api_markdown

    if not question.strip():
        return "Ask a question about the indexed documents.", []
    answer = assistant.ask(question.strip())
    return api_markdown(answer), [c.to_dict() for c in answer.citations]


def search(assistant: Assistant, query: str, k: int = 8, area: str = "", nation: str = "",
           theme: str = "") -> list[dict[str, Any]]:
    """The ``k`` passages nearest ``query`` by meaning and words, best first."""
    if not query.strip():
        return []
    k = max(1, min(int(k), MAX_PASSAGES))
    chosen = _filters(area, nation, theme)
    found = assistant.retriever.search(query.strip(), k, where=chosen.where() if chosen else None)
    return [{**ev.to_dict(), "nation": ev.chunk.meta.get(CardKey.NATION)}
            for ev in found.evidence]


def compare(assistant: Assistant, themes: str = "", by: str = "area",
            nation: str = "") -> dict[str, Any]:
    """Themes across areas, nations, periods or documents, with the evidence of each cell."""
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}, not {by!r}")
    wanted = list(_filters(theme=themes).themes) if themes.strip() else []  # type: ignore[union-attr]
    return assistant.compare(by, wanted, _filters(nation=nation)).to_dict()


def examples(assistant: Assistant, theme: str = "", area: str = "",
             nation: str = "") -> list[dict[str, Any]]:
    """Practice examples (what changed in response to review learning, why and how)."""
    return [e.to_dict() for e in assistant.examples(_filters(area, nation, theme))]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def endpoints(assistant: Assistant) -> list[tuple[Any, str, str]]:
    """``(function, api name, visibility)`` of each endpoint for ``assistant``, in the order
    they are registered. The public ones are the MCP tools, named after their functions."""

    def ask_(question: str) -> str:
        """Answer a question about child protection case reviews (Scotland's learning
        reviews, England's serious case and practice reviews, Wales's child practice reviews,
        Northern Ireland's case management reviews, national overviews and briefings) from
        the indexed documents only. Returns JSON: "answer" (markdown in which every sentence
        is a word-for-word quote marked [n]), "citations" (for each [n] the quote, document
        title, file, page and section), "kind" ("answer", or "not-covered" when the documents
        do not cover the question, "declined" for questions that try to identify anyone in a
        review), "filters" and "notes". When the answer is "not-covered" it says what the
        documents do cover: pass that on as it is, never fill the gap from elsewhere.

        Args:
            question: The question in plain words, as a practitioner would ask it, e.g. "What do reviews say about disguised compliance?". Naming an area, nation or period ("in Glasgow", "in Wales", "since 2019") narrows the search to it.
        """
        return _json(answer(assistant, question))

    def search_(query: str, k: int = 8, area: str = "", nation: str = "",
                theme: str = "") -> str:
        """Find the passages of the indexed case reviews nearest a query, by meaning and by
        words, best first. Returns a JSON list: each passage's text, title, file, page_start,
        page_end, section and score. Use it to read the evidence around a topic; it does not
        judge whether the passages answer a question (use ask for an answer with checked
        quotes).

        Args:
            query: What to look for, in plain words.
            k: How many passages to return (1 to 50).
            area: Only passages about these areas: council or partnership names, comma-separated (e.g. "Glasgow City, Fife"). Empty for all.
            nation: Only passages about this nation: Scotland, England, Wales or Northern Ireland. Empty for all.
            theme: Only passages tagged with these themes, comma-separated (e.g. "neglect, information sharing"). Empty for all.
        """
        return _json(search(assistant, query, k, area, nation, theme))

    def compare_(themes: str = "", by: str = "area", nation: str = "") -> str:
        """Compare how often themes appear across areas, nations, periods or documents of
        the library, with the evidence behind every cell. Returns a JSON object whose cells
        give the passages and documents counted and the best quote with its document and
        page. Counts are of tagged passages in the indexed documents, not of cases: never add
        up cells of different nations or periods.

        Args:
            themes: Themes to compare, comma-separated (e.g. "neglect, domestic abuse"). Empty: every theme with a passage.
            by: What to compare across: "area", "nation", "period" or "document".
            nation: Only documents about this nation: Scotland, England, Wales or Northern Ireland. Empty for all.
        """
        return _json(compare(assistant, themes, by, nation))

    def examples_(theme: str = "", area: str = "", nation: str = "") -> str:
        """Practice examples from the indexed reviews, for trainers: changes made in
        response to review learning (a new pathway, tool, procedure, training, supervision
        model, audit). Returns a JSON list: each example's what changed and, where the
        document gives them, why and how, quoted with the document and page.

        Args:
            theme: Only examples on these themes, comma-separated (e.g. "neglect"). Empty for all.
            area: Only examples from these areas, comma-separated (e.g. "Glasgow City"). Empty for all.
            nation: Only examples from this nation: Scotland, England, Wales or Northern Ireland. Empty for all.
        """
        return _json(examples(assistant, theme, area, nation))

    def ask_markdown(question: str) -> tuple[str, list[dict[str, Any]]]:
        """Answer a question from the indexed documents: the answer as markdown with [n]
        markers, and its citations (as in `rla ask --json`)."""
        return ask(assistant, question)

    for fn, name in ((ask_, "ask"), (search_, "search"), (compare_, "compare"),
                     (examples_, "examples")):
        fn.__name__ = fn.__qualname__ = name  # the MCP tool's name
    return [(ask_, "answer", "public"), (search_, "search", "public"),
            (compare_, "compare", "public"), (examples_, "examples", "public"),
            (ask_markdown, "ask", "undocumented")]

"""The handout basket of the chat window: tick quotes and practice examples from the latest
answer into a basket, then download a seven-minute briefing built from it; or download one
answer with its citations. Markdown or Word (DOCX, with real footnotes).

The plain functions need no Gradio (tests call them); ``basket_panel`` builds the components
inside ``ui.app.build_app``'s Blocks. No ``from __future__ import annotations``, as in
``ui.structure``: Gradio reads handler annotations.
"""

import re
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.core import Assistant, BasketItem, Example, Handout
from assistant.types import Answer
from ui.render import Turn
from ui.structure import theme_choices

if TYPE_CHECKING:
    import gradio as gr

EMPTY = "The basket is empty: tick quotes or examples of an answer, then *Add to basket*."
NO_THEME = ""
_UNSAFE = re.compile(r"[^a-z0-9]+")


def examples_in_answer(assistant: Assistant, answer: Answer) -> list[Example]:
    """The practice examples whose "what changed" an answer cites."""
    cited = {(c.chunk_id, c.quote) for c in answer.citations}
    return [e for e in assistant.all_examples()
            if (e.what_changed.chunk_ids[0], e.what_changed.quote) in cited]


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def pick_choices(assistant: Assistant, turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """(label, value) for every example and every other quote of the latest answer."""
    if not turns or not turns[-1].answer.citations:
        return []
    turn = turns[-1]
    examples = examples_in_answer(assistant, turn.answer)
    in_examples = {c.quote for e in examples for _, c in e.parts()}
    out = [(f"Example: {e.area or e.document} ({e.what_changed.pages_label})", f"ex:{e.key}")
           for e in examples]
    for c in turn.answer.citations:
        if c.quote not in in_examples:
            out.append((f"[{c.marker}] “{_short(c.quote, 90)}” ({c.pages_label})",
                        f"q:{turn.number}:{c.marker}"))
    return out


def add_picks(
    assistant: Assistant, turns: Sequence[Turn], picked: Sequence[str],
    basket: Sequence[BasketItem],
) -> list[BasketItem]:
    """The basket with the ticked items of the latest answer added (each once)."""
    labels = dict((v, k) for k, v in pick_choices(assistant, turns))
    have = {item.choice for item in basket}
    out = list(basket)
    for value in picked:
        if value in have or value not in labels:
            continue
        answer = turns[-1].answer
        asked = _asked_themes(assistant, answer)
        if value.startswith("q:"):
            marker = int(value.rsplit(":", 1)[1])
            c = next(c for c in answer.citations if c.marker == marker)
            out.append(BasketItem.of_citation(value, labels[value], c, asked))
        else:
            out.append(BasketItem.of_example(value, labels[value], value[3:], asked))
        have.add(value)
    return out


def _asked_themes(assistant: Assistant, answer: Answer) -> list[str]:
    """The themes the question named or the answer was filtered by."""
    chosen = answer.filters.get("themes") or []
    return [str(t) for t in chosen] or list(assistant.question(answer.question).themes)


def basket_markdown(basket: Sequence[BasketItem]) -> str:
    if not basket:
        return EMPTY
    from ui.render import escape_markdown

    lines = [f"{i}. {escape_markdown(item.label)}" for i, item in enumerate(basket, 1)]
    return f"**In the basket ({len(basket)}):**\n\n" + "\n".join(lines)


def basket_theme(assistant: Assistant, basket: Sequence[BasketItem]) -> str | None:
    """The theme most of the basket's passages carry, the themes its questions named counting
    three times (the handout's default theme)."""
    chunks = {c.chunk_id: c for c in assistant.catalog().chunks}
    counts: Counter[str] = Counter()
    for item in basket:
        counts.update({t: 3 for t in item.asked})
    for example in _examples(assistant, basket):
        counts.update(example.themes)
    for item in basket:
        if item.quote is not None:
            chunk = chunks.get(item.quote.chunk_ids[0])
            value = chunk.meta.get("themes") if chunk else None
            counts.update(value if isinstance(value, list) else [])
    return counts.most_common(1)[0][0] if counts else None


def _examples(assistant: Assistant, basket: Sequence[BasketItem]) -> list[Example]:
    keys = [item.example for item in basket if item.example]
    by_key = {e.key: e for e in assistant.all_examples()}
    return [by_key[k] for k in keys if k in by_key]


def basket_handout(
    assistant: Assistant, basket: Sequence[BasketItem], theme: str | None
) -> Handout:
    quotes = [s for s in (item.statement() for item in basket) if s is not None]
    examples = _examples(assistant, basket)
    if theme:
        return assistant.theme_handout(theme, quotes=quotes, examples=examples)
    return assistant.picks_handout("Briefing from the chat", quotes, examples)


def _file(stem: str, fmt: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="rla-handout-"))
    name = _UNSAFE.sub("-", stem.lower()).strip("-")[:60] or "handout"
    return folder / f"{name}.{'docx' if fmt == 'docx' else 'md'}"


def handout_file(
    assistant: Assistant, basket: Sequence[BasketItem], theme: str | None, fmt: str
) -> Path:
    """The basket's handout written to a fresh temporary file."""
    handout = basket_handout(assistant, basket, theme or None)
    return assistant.write_handout(handout, _file(f"briefing-{theme or 'basket'}", fmt), fmt)


def answer_file(turns: Sequence[Turn], fmt: str) -> Path | None:
    """The latest answer with its citations written to a fresh temporary file."""
    if not turns:
        return None
    turn = turns[-1]
    handout = Assistant.answer_handout(turn.answer)
    return Assistant.write_handout(handout, _file(f"answer-{turn.number}", fmt), fmt)


def drawer_label(items: Sequence[BasketItem]) -> str:
    """The closed drawer's title, with how many items the basket holds."""
    n = len(items)
    return f"Handout basket ({n} item{'' if n == 1 else 's'}) and downloads"


def basket_panel(assistant: Assistant, app: "gr.Blocks", turns: Any) -> Callable[[Any], Any]:
    """The basket's components, in a drawer under the chat that stays closed until opened
    (its title counts the items in the basket; the download box appears once there is a
    file); returns what to chain after a chat event so that the ticks offered follow the
    latest answer."""
    import gradio as gr

    private: dict[str, Any] = {"api_visibility": "private"}
    with gr.Accordion(drawer_label([]), open=False, elem_id="rla-basket-box") as drawer:
        picks = gr.CheckboxGroup(label="Tick quotes and examples of the latest answer",
                                 choices=[], value=[], elem_id="rla-picks")
        add = gr.Button("Add to basket", size="sm", elem_id="rla-add-picks")
        shown = gr.Markdown(EMPTY, elem_id="rla-basket")
        with gr.Row():
            theme = gr.Dropdown(label="Briefing theme", choices=[("(only the basket)", "")],
                                value="", elem_id="rla-handout-theme")
            fmt = gr.Radio([("Word (DOCX)", "docx"), ("Markdown", "md")], value="docx",
                           label="Format", elem_id="rla-format")
        with gr.Row():
            make = gr.Button("Make handout", variant="primary", elem_id="rla-make-handout")
            one = gr.Button("Download latest answer", elem_id="rla-answer-download")
            empty = gr.Button("Empty basket", variant="secondary", elem_id="rla-empty-basket")
        download = gr.File(label="Download", interactive=False, elem_id="rla-download",
                           visible=False)  # shown once there is a file
    basket = gr.State([])  # the BasketItem values, in the order picked

    def refresh(turns_: list[Turn]) -> Any:
        return gr.CheckboxGroup(choices=pick_choices(assistant, turns_), value=[])

    def added(turns_: list[Turn], picked: list[str], items: list[BasketItem],
              chosen: str) -> tuple[Any, ...]:
        items = add_picks(assistant, turns_, picked or [], items)
        default = chosen or basket_theme(assistant, items) or NO_THEME
        return (items, basket_markdown(items), gr.CheckboxGroup(value=[]), default,
                gr.Accordion(label=drawer_label(items)))

    def themes() -> Any:
        return gr.Dropdown(choices=[("(only the basket)", ""), *theme_choices(assistant)])

    def made(items: list[BasketItem], chosen: str, kind: str) -> Any:
        if not items and not chosen:
            raise gr.Error("Add quotes or examples to the basket, or choose a theme, first.")
        return gr.File(value=str(handout_file(assistant, items, chosen or None, kind)),
                       visible=True)

    def answered(turns_: list[Turn], kind: str) -> Any:
        path = answer_file(turns_, kind)
        if path is None:
            raise gr.Error("Ask a question first.")
        return gr.File(value=str(path), visible=True)

    def emptied() -> tuple[Any, ...]:
        return [], EMPTY, gr.Accordion(label=drawer_label([])), gr.File(value=None,
                                                                        visible=False)

    app.load(themes, None, [theme], api_name="basket_themes", **private)
    add.click(added, [turns, picks, basket, theme], [basket, shown, picks, theme, drawer],
              api_name="basket_add", **private)
    empty.click(emptied, None, [basket, shown, drawer, download], api_name="basket_empty",
                **private)
    make.click(made, [basket, theme, fmt], [download], api_name="basket_handout", **private)
    one.click(answered, [turns, fmt], [download], api_name="answer_download", **private)
    count = [0]

    def after(event: Any) -> Any:
        count[0] += 1
        return event.then(refresh, [turns], [picks], api_name=f"basket_picks_{count[0]}",
                          **private)

    return after

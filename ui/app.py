"""The Gradio app: layout and wiring only (handlers in ``ui.handlers``, HTML in ``ui.render``).

Gradio is imported inside the functions, after the offline environment is set, so importing
this module does nothing. No ``from __future__ import annotations`` here: ``gr.api`` reads the
``/ask`` function's return annotation as a real type to declare its two outputs.
"""

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from assistant.core import Assistant
from assistant.errors import user_message
from assistant.offline import enforce_offline
from ui import basket, guard, handlers, hosts, mcp_login, structure, tempdir, tools
from ui.assets import CSS, JS
from ui.page_route import PageImages
from ui.render import EMPTY_PANEL, Turn, escape_markdown, upload_report_html
from ui.stored_files import StoredFiles

_log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import gradio as gr

TITLE = "Review Learning Assistant"
NOTE = (
    "Answers come only from the indexed documents: every sentence is quoted word for word, "
    "with its document, page and section, or the assistant says the documents do not cover "
    "the question. Answers support, and do not replace, professional judgement."
)
P = ParamSpec("P")
R = TypeVar("R")


def _notices(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn any failure into a Gradio error notice: an ``RlaError``'s message, or a short
    description of an unexpected one (logged in full), never an empty error or a traceback."""
    import gradio as gr

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as err:  # never an empty error: say what went wrong
            _log.info("the failure in full:", exc_info=True)
            raise gr.Error(user_message(err)) from err

    return wrapper


def _notices_stream(
    fn: Callable[P, Iterator[tuple[Any, ...]]],
) -> Callable[P, Iterator[tuple[Any, ...]]]:
    """``_notices`` for a streaming handler: the wrapper is a generator too, as Gradio needs."""
    import gradio as gr

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Iterator[tuple[Any, ...]]:
        try:
            yield from fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as err:
            _log.info("the failure in full:", exc_info=True)
            raise gr.Error(user_message(err)) from err

    return wrapper


def _forget_uploads(files: list[str], home: Path) -> None:
    """Delete Gradio's temporary copies of uploaded files (and nothing outside its folder);
    when that folder is the app's own (``ui.tempdir``), also whatever in it is stale, such as
    an upload that was interrupted or never added."""
    from gradio.utils import get_upload_folder

    cache = Path(get_upload_folder()).resolve()
    for name in files:
        path = Path(name).resolve()
        if path.is_relative_to(cache) and path.is_file():
            path.unlink()
            with contextlib.suppress(OSError):  # Gradio's <sha>/ folder, if now empty
                if path.parent != cache:
                    path.parent.rmdir()
    if tempdir.owned_by(cache, home):
        tempdir.sweep_stale(cache)


def _private(name: str) -> dict[str, Any]:
    return {"api_name": name, "api_visibility": "private"}


def build_app(assistant: Assistant) -> "gr.Blocks":
    """The app for ``assistant``'s store; it is not launched."""
    enforce_offline()
    import gradio as gr
    from gradio.events import api as endpoint

    def chat_turn(question: str, turns: list[Turn], *filters: Any) -> Iterator[tuple[Any, ...]]:
        chosen = structure.filters_from_ui(*filters)  # the Filters accordion under the chat
        for view in handlers.respond_stream(assistant, question, turns, filters=chosen):
            yield view.messages, view.evidence, view.turns, ""

    def ask_example(
        turns: list[Turn], areas: Any, nation: Any, themes: Any, doc_type: Any, year_from: Any,
        year_to: Any, review_types: Any, evt: gr.SelectData,
    ) -> Iterator[tuple[Any, ...]]:
        yield from chat_turn(str(evt.value.get("text", "")), turns, areas, nation, themes,
                             doc_type, year_from, year_to, review_types)

    def clear() -> tuple[Any, ...]:
        return [], EMPTY_PANEL, [], ""

    def library() -> tuple[Any, ...]:
        choices = handlers.document_choices(assistant)
        return handlers.library_rows(assistant), gr.Dropdown(choices=choices, value=None)

    bar = gr.Progress()

    def upload(files: list[str] | None, progress: gr.Progress = bar) -> tuple[Any, ...]:
        if not files:
            raise gr.Error("Choose one or more PDF, TXT or MD files first.")
        try:
            outcomes = handlers.upload(
                assistant, files, progress=lambda done, what: progress(done, desc=what)
            )
        finally:  # the store keeps its own copy; leave no reports in the temp folder
            _forget_uploads(files, assistant.settings.home)
        return (upload_report_html(outcomes), None, *library())

    def remove(file_name: str | None) -> tuple[Any, ...]:
        if not file_name:
            raise gr.Error("Choose a document to remove.")
        return (escape_markdown(handlers.remove(assistant, file_name)), *library())

    def examples_now() -> list[Any]:  # gradio ExampleMessage dicts
        return [{"text": q} for q in structure.library_examples(assistant)]

    def refresh_examples() -> Any:
        return gr.Chatbot(examples=examples_now() or None)

    app = gr.Blocks(
        title=TITLE, analytics_enabled=False, fill_width=True, delete_cache=(600, 600)
    )
    with app:
        gr.Markdown(f"## {TITLE}")
        gr.Markdown(NOTE, elem_id="rla-note")
        turns = gr.State([])
        with gr.Tab("Ask", id="ask"), gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                chat = gr.Chatbot(
                    value=[], elem_id="rla-chat", show_label=False, height=600,
                    examples=examples_now() or None, latex_delimiters=[], feedback_options=None,
                    buttons=["copy"], placeholder=(
                        "**Ask about the indexed case reviews.** Try one of these, or add "
                        "your own reports in the *Documents* tab."
                    ),
                )
                with gr.Row():
                    question = gr.Textbox(
                        show_label=False, placeholder="Ask a question about the reviews…",
                        elem_id="rla-question", scale=6, autofocus=True,
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="rla-ask")
                new = gr.Button("New conversation", size="sm", variant="secondary")
                filter_inputs = structure.filter_controls(assistant, app)
                picks_after = basket.basket_panel(assistant, app, turns)  # handout basket
            with gr.Column(scale=2, min_width=320):
                gr.Markdown("### Evidence")
                panel = gr.HTML(EMPTY_PANEL, elem_id="rla-evidence", js_on_load=None)
        with gr.Tab("Documents", id="documents"):
            table = gr.Dataframe(
                headers=handlers.LIBRARY_HEADERS, value=[], interactive=False, wrap=True,
                elem_id="rla-library", label="The library", latex_delimiters=[],
                datatype=["str", "str", "str", "number", "number", "str"],
                column_widths=["44%", "13%", "7%", "7%", "7%", "22%"], show_search="search",
            )
            with gr.Row(equal_height=False):
                with gr.Column():
                    files = gr.File(
                        label="Add PDF, TXT or MD files", file_count="multiple",
                        file_types=list(handlers.UPLOAD_TYPES), type="filepath",
                        elem_id="rla-upload",
                    )
                    add = gr.Button("Add to the library", variant="primary", elem_id="rla-add")
                    report = gr.HTML("", elem_id="rla-upload-report", js_on_load=None)
                with gr.Column():
                    doc = gr.Dropdown(label="Remove a document", choices=[], value=None,
                                      elem_id="rla-remove-choice")
                    drop = gr.Button("Remove from the library", variant="stop")
                    removed = gr.Markdown(elem_id="rla-removed")

        structure.compare_tab(assistant, app)

        # The API endpoints (``ui.tools``: /answer, /search, /compare, /examples, which are
        # also the MCP tools, and the older /ask) are registered first and every UI event
        # gets its own private name: Gradio derives names from function names and renames
        # clashes ("ask_1"), private or not.
        for fn, name, visibility in tools.endpoints(assistant):
            endpoint(_notices(fn), api_name=name, api_visibility=visibility)
        outs = [chat, panel, turns, question]
        chat_q = _notices_stream(chat_turn)
        chat_in = [question, turns, *filter_inputs]
        picks_after(question.submit(chat_q, chat_in, outs, **_private("chat_submit")))
        picks_after(send.click(chat_q, chat_in, outs, **_private("chat_click")))
        picks_after(chat.example_select(
            _notices_stream(ask_example), [turns, *filter_inputs], outs,
            **_private("chat_example"),
        ))
        picks_after(new.click(clear, None, outs, **_private("chat_new")))
        picks_after(chat.clear(clear, None, outs, **_private("chat_clear")))
        add.click(_notices(upload), [files], [report, files, table, doc], **_private("upload"))
        drop.click(_notices(remove), [doc], [removed, table, doc], **_private("remove"))
        app.load(library, None, [table, doc], **_private("library"))
        app.load(refresh_examples, None, [chat], **_private("chat_examples"))
    return app


def launch(
    assistant: Assistant,
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    block: bool = True,
    quiet: bool = False,
) -> "gr.Blocks":
    """Serve the app (no share link, no analytics); ``block=False`` returns once it listens.

    Any host but loopback needs ``RLA_AUTH`` (see ``ui.guard``). Requests for another host
    name are refused (``ui.hosts``), stored documents are served by ``ui.stored_files`` (not
    by Gradio), and Gradio's temporary files go to a folder of the app's own
    (``ui.tempdir``)."""
    enforce_offline()
    check = guard.login(assistant, host)  # before anything binds or loads
    security = guard.launch_security(check)
    guard.listen_for_audit(assistant)
    assistant.warm_up(serving=True)
    assistant.settings.files_dir.mkdir(parents=True, exist_ok=True)
    temp = tempdir.claim(assistant.settings.home)  # before Gradio makes any component
    try:
        app = build_app(assistant)
        app.queue(default_concurrency_limit=guard.CONCURRENCY)
        guard.trust_proxies()
        app.launch(
            server_name=host,
            server_port=port,
            share=False,
            inbrowser=False,
            prevent_thread_lock=True,  # the MCP client's session comes first (below)
            quiet=quiet,
            app_kwargs=_app_kwargs(assistant, host, port, temp, check),
            max_file_size=f"{int(assistant.settings.max_file_mb)}mb",
            footer_links=["api"],
            run_history=False,
            enable_monitoring=False,
            mcp_server=True,  # the public endpoints as MCP tools (ui.tools, ui.mcp_login)
            ssr_mode=False,
            pwa=False,
            css=CSS,
            js=JS,
            **security,
        )
        if check is not None:
            mcp_login.attach(app)
    except BaseException:
        temp.close()
        raise
    if block:
        app.block_thread()
    return app


def _app_kwargs(
    assistant: Assistant, host: str, port: int, temp: tempdir.TempDir,
    check: Callable[[str, str, str], bool] | None,
) -> dict[str, Any]:
    """What Gradio passes on to its FastAPI app: our middleware (inside Gradio's own CORS
    and compression), and removing the temp folder when the server stops."""
    from starlette.middleware import Middleware

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        try:
            yield
        finally:
            temp.close()

    return {
        "middleware": [
            Middleware(hosts.HostCheck, rule=hosts.host_rule(host, port)),
            Middleware(guard.ClientAddress),
            Middleware(StoredFiles, assistant=assistant, login=check is not None),
            Middleware(PageImages, assistant=assistant, login=check is not None),
            Middleware(mcp_login.McpLogin, check=check),
        ],
        "lifespan": lifespan,
    }

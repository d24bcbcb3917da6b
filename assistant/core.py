"""The ``Assistant`` facade: the one object the CLI, the UI and tests talk to.

Construction is cheap; the model and the store open on first use. Each method wires a feature
to what it uses; the values it returns (``Filters``, ``Matrix``, ``Example``, ...) are exported
here, so ui/ needs nothing else of assistant/ but typed values, errors, config and security.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answering.extractive import Answerer, ExtractiveAnswerer
from assistant.answering.relevance import Params, shipped_params
from assistant.answering.retrieve import HybridRetriever, Mode
from assistant.config import Settings
from assistant.errors import NotFoundError
from assistant.library.compare import BY, Matrix
from assistant.library.filters import Filters
from assistant.store import readahead
from assistant.store.documents import (
    UPLOADS,
    forget_copies,
    keep_copy,
    named,
    read_pages,
    stored_file,
)
from assistant.store.indexing import Progress, chunking_params, ingest_paths
from assistant.store.integrity import store_write_lock
from assistant.text import clean_question
from assistant.trainer.examples import Example
from assistant.trainer.handout import BasketItem, Handout, Statement
from assistant.trainer.passages import Cited
from assistant.types import Answer, DocumentCard, IngestReport, Page
from ingest.areas import NATIONS
from vectorstore.chroma_store import ChromaStore
from vectorstore.embedder import (
    DEFAULT_BACKEND,
    DIM,
    MODEL_NAME,
    Embedder,
    MiniLMEmbedder,
    encoder_name,
)
from vectorstore.keyword_folder import KeywordFolder

if TYPE_CHECKING:
    from assistant.answering.llm.answerer import NamedChatModel
    from assistant.answering.question import Question
    from assistant.lc_retriever import AssistantRetriever
    from assistant.library.catalog import Catalog
    from assistant.library.retag import RetagReport
    from assistant.trainer.quotes import FoundQuote

__all__ = ["BY", "NATIONS", "UPLOADS", "Assistant", "BasketItem", "Cited", "Example", "Filters",
           "Handout", "Matrix", "Statement"]


class Assistant:
    """The one object the CLI, the app and tests talk to. ``embedder`` and ``chat_model``
    (a named langchain chat model, used instead of the one ``RLA_LLM`` names) are optional:
    by default the bundled MiniLM, and the model ``RLA_LLM`` names, if any."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        chat_model: NamedChatModel | None = None,
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._chat_model = chat_model
        self._write_lock = threading.Lock()
        self._catalog: tuple[str, Catalog] | None = None
        self._listeners: dict[str, Callable[[Answer], None]] = {}

    @cached_property
    def embedder(self) -> Embedder:
        """The configured embedder, or for a store built by another encoder, that encoder
        (query vectors always come from the encoder that made the stored ones)."""
        if self._embedder is not None:
            return self._embedder
        return MiniLMEmbedder(backend=_backend(self.store.recorded_encoder()))

    @cached_property
    def store(self) -> ChromaStore:
        s = self.settings
        encoder = getattr(self._embedder, "encoder", "") if self._embedder else ""
        return ChromaStore(
            s.store_dir, model_name=MODEL_NAME, dim=DIM, url=s.chroma_url, collection=s.collection,
            encoder=encoder or encoder_name(s.embed_backend or DEFAULT_BACKEND),
        )

    @cached_property
    def retriever(self) -> HybridRetriever:
        s = self.settings
        return HybridRetriever(
            self.store,
            self.embedder,
            KeywordFolder(s.keyword_dir),
            candidates=s.candidates,
            rrf_k=s.rrf_k,
            keyword_weight=s.keyword_weight,
            keyword_floor=s.keyword_floor,
            rerank_weight=shipped_params().rerank,
        )

    @cached_property
    def answerer(self) -> Answerer:
        retriever = self.retriever
        extractive = ExtractiveAnswerer(
            idf=lambda term: retriever.keyword_index().idf(term),
            known=lambda name: retriever.keyword_index().contains_phrase(name),
            min_relevance=self.settings.min_relevance,
        )
        if not self.settings.llm and self._chat_model is None:
            return extractive
        from assistant.answering.llm.answerer import llm_answerer  # RLA_LLM: checked

        return llm_answerer(self.settings, extractive, self._chat_model)

    # -- documents -------------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[Path],
        *,
        metadata_csv: Path | None = None,
        progress: Progress | None = None,
    ) -> IngestReport:
        with self._writing():
            return ingest_paths(
                paths,
                store=self.store,
                embedder=self.embedder,
                params=chunking_params(self.settings),
                metadata_csv=metadata_csv,
                progress=progress,
                keep_copy=self._keep_copy,
            )

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer at a time, across threads and processes; then the keyword index takes in
        what changed (the changed documents' passages only)."""
        with self._write_lock, store_write_lock(self.settings.home):
            yield
            self.retriever.keyword_index(wait=True)

    def _keep_copy(self, path: Path, doc_id: str) -> None:
        keep_copy(self.settings.files_dir, path, doc_id)

    def stored_file(self, doc_id: str) -> Path | None:
        """The copy ingest made of a stored document (what "Open the document" serves): the
        one of its file's type, never a stray copy of the same id."""
        card = self.store.card(doc_id)
        return stored_file(self.settings.files_dir, doc_id, card.file) if card else None

    def document_pages(self, doc_id: str) -> tuple[Page, ...]:
        """A stored document read back as the assistant read it, page by page."""
        card = self.store.card(doc_id)
        path = stored_file(self.settings.files_dir, doc_id, card.file) if card else None
        if card is None or path is None:
            raise NotFoundError(f"{doc_id[:12]}: no such document in the store")
        return read_pages(self.settings, path, card.file)

    def documents(self) -> list[DocumentCard]:
        return sorted(self.store.cards(), key=lambda c: c.file.lower())

    def remove(self, name: str) -> list[DocumentCard]:
        """Remove the documents whose file name (or doc id prefix) is ``name``, with their
        stored and uploaded copies.

        A doc id prefix also names what an interrupted ingest left (chunks with no card, as
        `rla check` reports them)."""
        with self._writing():
            cards = named(self.store, name)
            for card in cards:
                self.store.delete_document(card.doc_id)
                forget_copies(self.settings, card)
        return cards

    def repair(self) -> list[str]:
        """Remove what interrupted ingests left (under the write lock, so a running ingest's
        unfinished document is never mistaken for leftovers); the doc ids removed."""
        from assistant.store.integrity import repair

        with self._writing():
            return repair(self.store)

    def is_empty(self) -> bool:
        return self.store.count() == 0

    # -- questions -------------------------------------------------------------------------

    def question(
        self, text: str, *, query: str | None = None, filters: Filters | None = None
    ) -> Question:
        """``text`` parsed once (``assistant.answering.question``): what every later step reads.
        ``query`` is what is searched instead (a follow-up rewritten with its topic)."""
        return self._parse(self.catalog(), text, query, filters)

    @staticmethod
    def _parse(
        catalog: Catalog, text: str, query: str | None, filters: Filters | None
    ) -> Question:
        from assistant.answering.question import parse_question
        from ingest.areas import default_gazetteer

        return parse_question(
            clean_question(text), taxonomy=catalog.taxonomy, gazetteer=default_gazetteer(),
            query=clean_question(query) if query else None, filters=filters,
        )

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        mode: Mode = "hybrid",
        where: dict[str, Any] | None = None,
        query: str | None = None,
        filters: Filters | None = None,
    ) -> Answer:
        """Answer ``question``; ``query`` (if given) is what is searched instead of it.

        ``filters`` (area, nation, theme, ...) and the areas or nations the question names
        narrow the search; the answer's ``filters`` and ``notes`` say how."""
        *_, final = self.ask_stream(question, k=k, mode=mode, where=where, query=query,
                                    filters=filters)
        return final

    def ask_stream(
        self,
        question: str,
        *,
        k: int | None = None,
        mode: Mode = "hybrid",
        where: dict[str, Any] | None = None,
        query: str | None = None,
        filters: Filters | None = None,
    ) -> Iterator[Answer]:
        """Like ``ask``, but an answerer that writes (``RLA_LLM``) yields drafts as its
        sentences pass their checks; the last answer yielded is the final one. Both follow
        the one route of ``assistant.answering.route``."""
        from assistant.answering.route import Sources, route

        catalog = self.catalog()  # one revision check for the whole question
        parsed = self._parse(catalog, question, query, filters)
        sources = Sources(catalog, self.retriever, self.answerer, self.embedder)
        final: Answer | None = None
        for final in route(parsed, sources, k=k or self.settings.k, mode=mode, where=where):
            yield final
        if final is not None:
            self._heard(final)

    def on_answer(self, name: str, listener: Callable[[Answer], None]) -> None:
        """Call ``listener`` with every final answer (the audit log listens); one per name."""
        self._listeners[name] = listener

    def _heard(self, answer: Answer) -> Answer:
        for listener in list(self._listeners.values()):
            listener(answer)
        return answer

    def quotes(
        self, topic: str, *, limit: int = 10, filters: Filters | None = None
    ) -> list[FoundQuote]:
        """Quoted speech about ``topic`` with its attribution (``assistant.trainer.quotes``)."""
        from assistant.trainer.quotes import find_quotes

        return find_quotes(self.catalog(), self.embedder, topic, limit=limit, filters=filters)

    def follow_up_query(self, question: str, earlier: Sequence[str]) -> str:
        """What to search for ``question`` after the ``earlier`` questions of a conversation:
        the question itself, or a follow-up ("and in adolescents?") with its topic."""
        from assistant.answering.followup import build_query

        return build_query(question, list(earlier))

    # -- lead officers and trainers --------------------------------------------------------

    @staticmethod
    def resolve_filters(**typed: Any) -> Filters:
        """Filters from what a person typed (areas, nation, themes, doc_type, years); an
        unknown name is a ``FilterError`` saying so (``assistant.library.filters.resolve``)."""
        from assistant.library.filters import resolve

        return resolve(**typed)

    def compare(self, by: str, themes: Sequence[str], filters: Filters | None = None) -> Matrix:
        """Themes across areas, periods or documents, with the evidence of every cell."""
        from assistant.library.compare import compare

        return compare(self.catalog(), by, list(themes), filters)  # type: ignore[arg-type]

    def examples(self, filters: Filters | None = None) -> list[Example]:
        """Practice examples (what changed, why, how), each quoted with its page."""
        from assistant.trainer.examples import find_examples

        return find_examples(self.catalog(), filters)

    def all_examples(self) -> list[Example]:
        from assistant.trainer.examples import all_examples

        return all_examples(self.catalog())

    def theme_handout(
        self, theme: str, area: str | None = None, *, quotes: Sequence[Statement] = (),
        examples: Sequence[Example] = (),
    ) -> Handout:
        """A seven-minute briefing on ``theme`` (``assistant.trainer.handout``)."""
        from assistant.trainer.handout import theme_handout

        return theme_handout(self.catalog(), theme, area, quotes=quotes, examples=examples)

    @staticmethod
    def picks_handout(
        title: str, quotes: Sequence[Statement], examples: Sequence[Example]
    ) -> Handout:
        from assistant.trainer.handout import picks_handout

        return picks_handout(title, quotes, examples)

    @staticmethod
    def answer_handout(answer: Answer) -> Handout:
        from assistant.trainer.handout import answer_handout

        return answer_handout(answer)

    @staticmethod
    def write_handout(handout: Handout, path: Path, fmt: str | None = None) -> Path:
        """Write ``handout`` as Markdown or Word (by ``fmt`` or the suffix)."""
        from assistant.trainer.handout_md import write

        return write(handout, path, fmt)

    def catalog(self) -> Catalog:
        """Areas, themes and periods of the library, from its cards (anew after each write)."""
        from assistant.library.catalog import Catalog

        revision, cached = self.store.revision(), self._catalog
        if cached is None or cached[0] != revision:
            self._catalog = cached = (revision, Catalog.of_store(self.store))
        return cached[1]

    def retag(self, progress: Callable[[int, int], None] | None = None) -> RetagReport:
        """Recompute the card, areas, tables and themes of every stored passage in place."""
        from assistant.library.retag import retag

        with self._writing():  # a new revision: the catalogue is built again when next asked
            return retag(self.store, self.embedder, progress)

    def as_langchain_retriever(self, k: int | None = None) -> AssistantRetriever:
        """This assistant's retrieval as a LangChain ``BaseRetriever`` (see ``lc_retriever``)."""
        from assistant.lc_retriever import AssistantRetriever

        return AssistantRetriever(assistant=self, k=k)

    @property
    def params(self) -> Params:  # the answer step's fitted numbers in use (relevance.Params)
        return getattr(self._quoting, "params", shipped_params())

    def use_params(self, params: Params) -> None:
        """Answer with ``params`` from now on (``rla eval --folds`` fits and tries them)."""
        if isinstance(quoting := self._quoting, ExtractiveAnswerer):
            quoting.params = params
        self.retriever.rerank_weight = params.rerank

    @property
    def _quoting(self) -> Answerer:  # the extractive answerer (an LLM answerer's fallback)
        return getattr(self.answerer, "extractive", self.answerer)

    def warm_up(self, *, serving: bool = False) -> None:
        """Load the model and every index, catalogue and pattern now, not at the first ask.
        ``serving``: from now on, changes other processes or instances make to the store are
        brought into the keyword index in the background, never holding a question for long."""
        readahead.warm(self.settings.store_dir, self.settings.keyword_dir)  # what it reads
        self.retriever.keyword_index(wait=True).prepare()
        self.retriever.background = serving
        if self.is_empty():
            self.embedder.embed_query("warm up")
            return
        from assistant.answering.route import Sources, rehearse

        catalog = self.catalog()
        rehearse(self._parse(catalog, "warm up", None, None),
                 Sources(catalog, self.retriever, self._quoting, self.embedder))


def _backend(encoder: str) -> str:
    return "bf16" if encoder == "torch-bf16" else "torch"



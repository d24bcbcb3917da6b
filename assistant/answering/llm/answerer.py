"""The optional LLM answerer: a langchain chat model writes from the numbered excerpts, and
every sentence is checked (``assistant.answering.llm.checks``) before anyone sees it.

The only module that imports langchain's chat models. The extractive answer is computed first:
when it refuses (the evidence is too weak) no model is called at all, and it is the fallback
whenever the model's reply cannot be checked. With ``RLA_LLM_STRICT`` on (the default) failing
sentences are removed and the removal is noted; off, any failing sentence replaces the whole
reply with the extractive answer. Either way most sentences failing, or none passing, falls
back too, and says so.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from assistant.answering.citations import Quote, build_citations
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.llm.checks import (
    MARKERS,
    CheckStats,
    SentenceCheck,
    SentenceStream,
    check_sentence,
)
from assistant.answering.llm.support import supporting_span
from assistant.answering.question import Question
from assistant.answering.retrieve import Retrieval
from assistant.config import Settings
from assistant.errors import RlaError, SettingsError
from assistant.types import Answer, Evidence, pages_label

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)

# provider -> (module it needs, the pyproject extra that installs it)
PROVIDERS = {
    "openai": ("langchain_openai", "llm-openai"),
    "ollama": ("langchain_ollama", "llm-ollama"),
}
MAX_TOKENS = 400
GIVE_UP = 6  # failed sentences after which a reply that is mostly failing is read no further
TIMEOUT_S = 120.0
# notes go in ``Answer.notes`` (shown above the answer in the UI, "Note: ..." in the CLI)
FALLBACK_NOTE = "{why}, so this answer quotes the sources directly."
REMOVED_NOTE = (
    "{n} {sentences} removed because {they} could not be checked against the sources."
)


class LLMUnavailableError(RlaError):
    """``RLA_LLM`` names a provider whose langchain package is not installed."""


class _ModelCallError(Exception):
    """The model could not be reached or stopped half way."""


@dataclass(frozen=True)
class ModelSpec:
    provider: str
    model: str
    base_url: str = ""

    @classmethod
    def parse(cls, spec: str) -> ModelSpec:
        """``openai:MODEL@http://127.0.0.1:8080/v1`` or ``ollama:MODEL[@URL]``."""
        provider, sep, rest = spec.strip().partition(":")
        model, _, url = rest.partition("@")
        if not sep or provider not in PROVIDERS or not model.strip():
            raise SettingsError(
                "RLA_LLM must be openai:MODEL@http://HOST:PORT/v1 (an OpenAI-compatible "
                f"server) or ollama:MODEL (got {spec!r})"
            )
        if provider == "openai" and not url:
            raise SettingsError(
                f"RLA_LLM={spec} needs the server's address after '@', for example "
                f"openai:{model}@http://127.0.0.1:8080/v1"
            )
        return cls(provider, model.strip(), url.strip())


def chat_model(spec: ModelSpec) -> BaseChatModel:
    """The langchain chat model for ``spec``; a clear error when its package is missing."""
    module, extra = PROVIDERS[spec.provider]
    if importlib.util.find_spec(module) is None:
        package = module.replace("_", "-")
        raise LLMUnavailableError(
            f"RLA_LLM={spec.provider}:{spec.model} needs the {package} package: install the "
            f"'{extra}' extra (pip install 'review-learning-assistant[{extra}]', or "
            f"pip install -e '.[{extra}]' in a checkout), or unset RLA_LLM"
        )
    from langchain.chat_models import init_chat_model

    kwargs: dict[str, Any] = {"temperature": 0.0}
    if spec.provider == "openai":
        key = os.environ.get("OPENAI_API_KEY") or "not-needed"  # local servers ignore it
        # langchain-openai sends the limit as "max_completion_tokens", which llama.cpp's
        # server ignores (it then writes until its context is full): send "max_tokens" too.
        kwargs |= {"base_url": spec.base_url, "api_key": key, "max_tokens": MAX_TOKENS,
                   "extra_body": {"max_tokens": MAX_TOKENS},
                   "timeout": TIMEOUT_S, "max_retries": 0}
    else:
        kwargs["num_predict"] = MAX_TOKENS
        if spec.base_url:
            kwargs["base_url"] = spec.base_url
    model = init_chat_model(spec.model, model_provider=spec.provider, **kwargs)
    return cast("BaseChatModel", model)


def load_prompt(name: str) -> str:
    """A prompt file; found through the package's folders, which also works on editable
    installs where ``importlib.resources.files`` fails on a namespace-like package."""
    import prompts

    for folder in list(prompts.__path__):
        path = Path(folder) / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return resources.files("prompts").joinpath(name).read_text(encoding="utf-8")


def prompt_messages(question: str, evidence: Sequence[Evidence]) -> list[tuple[str, str]]:
    """System and user messages: the rules, then the excerpts numbered as the evidence is."""
    excerpts = "\n\n".join(
        f'<excerpt number="{e.rank}" source="{_source(e)}">\n'
        + e.chunk.text.replace("<", "‹").replace(">", "›")  # text cannot close its tag
        + "\n</excerpt>"
        for e in evidence
    )
    user = load_prompt("answer_user.txt")
    user = user.replace("{excerpts}", excerpts).replace("{question}", question.strip())
    return [("system", load_prompt("answer_system.txt").strip()), ("human", user.strip())]


def _source(e: Evidence) -> str:
    c = e.chunk
    pages = pages_label(c.page_start, c.page_end)
    return ", ".join(x for x in (c.title, pages) if x).replace('"', "'")


class LLMAnswerer:
    """Answers written by a chat model from the same evidence, checked sentence by sentence."""

    def __init__(
        self,
        model: BaseChatModel,
        extractive: ExtractiveAnswerer,
        *,
        name: str,
        strict: bool = True,
    ) -> None:
        self._model = model
        self._extractive = extractive
        self.strict = strict
        self.backend = f"llm:{name}"
        self.stats = CheckStats()

    @property
    def extractive(self) -> ExtractiveAnswerer:
        """The answerer whose decision comes first and whose quotes are the fallback."""
        return self._extractive

    def answer(self, question: Question, retrieval: Retrieval) -> Answer:
        *_, final = self.stream(question, retrieval)
        return final

    def stream(self, question: Question, retrieval: Retrieval) -> Iterator[Answer]:
        """Drafts as sentences pass their checks; the last answer yielded is the final one."""
        # The extractive answerer's decision comes first: scope, the checks of what the
        # question pins down and the evidence threshold. The model is asked only when it
        # answers, and is shown only the passages that passed those checks.
        decision = self._extractive.decision(question, retrieval)
        fallback = self._extractive.answer(question, retrieval, decision)
        if not fallback.grounded:
            yield fallback  # too weak, or not about what was asked: the model is not asked
            return
        allowed = {s.evidence.chunk.chunk_id for s in decision.candidates}
        retrieval = replace(retrieval, evidence=tuple(
            e for e in retrieval.evidence if e.chunk.chunk_id in allowed) or retrieval.evidence)
        passages = {e.rank: e.chunk.text for e in retrieval.evidence}
        checks: list[SentenceCheck] = []
        said: set[str] = set()  # a small model may say the same thing over and over
        try:
            messages = prompt_messages(question.text, retrieval.evidence)
            for sentence, lead in self._sentences(messages):
                check = check_sentence(sentence, passages, lead)
                if check.ok and check.text.lower() in said:
                    continue
                said.add(check.text.lower())
                checks.append(check)
                if not check.ok:
                    log.info("LLM sentence failed %s: %r", check.problems, check.text)
                    failed = sum(not c.ok for c in checks)
                    if not self.strict or (failed >= GIVE_UP and 2 * failed > len(checks)):
                        break  # the reply will be replaced: stop the model here
                elif not check.no_answer:
                    yield self._compose(question.text, retrieval, checks, draft=True)
        except _ModelCallError as err:
            log.warning("language model call failed: %s", err)
            self.stats.add(checks, fell_back=True)
            yield _noted(fallback, "The language model could not be reached")
            return
        yield self._final(question.text, retrieval, checks, fallback)

    def _sentences(self, messages: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
        splitter = SentenceStream()
        chunks = iter(self._model.stream(messages))
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                break
            except Exception as err:  # any provider's connection or server error
                raise _ModelCallError(f"{type(err).__name__}: {err}") from err
            yield from splitter.feed(chunk.text)
        yield from splitter.close()

    def _final(
        self, question: str, retrieval: Retrieval, checks: list[SentenceCheck], fallback: Answer
    ) -> Answer:
        failed = [c for c in checks if not c.ok]
        claims = [c for c in checks if c.ok and not c.no_answer]
        why = ""
        if not checks:
            why = "The language model gave no answer"
        elif not claims and not failed:
            why = "The language model found no answer in the passages"
        elif not claims or len(failed) * 2 > len(checks) or (failed and not self.strict):
            why = (
                "The language model's answer could not be checked against the sources "
                f"({len(failed)} of {len(checks)} "
                f"{'sentence' if len(checks) == 1 else 'sentences'} failed the checks)"
            )
        self.stats.add(checks, fell_back=bool(why))
        if why:
            return _noted(fallback, why)
        return self._compose(question, retrieval, checks, draft=False)

    def _compose(
        self, question: str, retrieval: Retrieval, checks: Sequence[SentenceCheck], *, draft: bool
    ) -> Answer:
        kept = [c for c in checks if c.ok]
        order = list(dict.fromkeys(n for c in kept for n in c.markers))
        renumber = {old: new for new, old in enumerate(order, start=1)}
        parts: list[str] = []
        for c in kept:
            text = MARKERS.sub(lambda m: f"[{renumber[int(m.group(1))]}]", c.text)
            parts.append((c.lead if parts else "") + text)
        by_rank = {e.rank: e for e in retrieval.evidence}
        quotes = []
        for n in order:
            chunk = by_rank[n].chunk
            start, end = supporting_span(chunk.text, [c.text for c in kept if n in c.markers])
            quotes.append(Quote(chunk, start, end))
        removed = len(checks) - len(kept)
        notes: tuple[str, ...] = ()
        if removed and not draft:
            notes = (
                REMOVED_NOTE.format(
                    n=removed,
                    sentences="sentence" if removed == 1 else "sentences",
                    they="it" if removed == 1 else "they",
                ),
            )
        return Answer(
            question=question,
            text="".join(parts) + (" …" if draft else ""),
            notes=notes,
            citations=tuple(build_citations(quotes)),
            evidence=retrieval.evidence,
            backend=self.backend,
            grounded=True,
            searched_query=retrieval.query,
        )


def _noted(fallback: Answer, why: str) -> Answer:
    return replace(fallback, notes=(*fallback.notes, FALLBACK_NOTE.format(why=why)))


@dataclass(frozen=True)
class NamedChatModel:
    """A langchain chat model and the name answers give it (``backend`` is ``llm:NAME``)."""

    name: str
    model: BaseChatModel


def llm_answerer(
    settings: Settings, extractive: ExtractiveAnswerer, given: NamedChatModel | None = None
) -> LLMAnswerer:
    """The answerer for ``given``, or else the model ``settings.llm`` (``RLA_LLM``) names,
    falling back to ``extractive``."""
    if given is None:
        spec = ModelSpec.parse(settings.llm)
        given = NamedChatModel(spec.model, chat_model(spec))
    return LLMAnswerer(given.model, extractive, name=given.name, strict=settings.llm_strict)

"""The layout the README describes, checked on the import graph (read with ``ast``, nothing is
imported): no cycles, imports pointing one way, ui/ behind the facade, small modules."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("assistant", "ingest", "vectorstore", "ui", "prompts")
MAX_LINES = 400

# What ui/ may import of assistant/: the facade, the typed values, errors, config, security.
UI_MAY_IMPORT = ("assistant.core", "assistant.types", "assistant.errors", "assistant.config",
                 "assistant.security", "assistant.offline", "assistant.text")
# ingest/ and vectorstore/ sit below assistant/: only its plain values and errors.
LOW_MAY_IMPORT = ("assistant.types", "assistant.errors", "assistant.text")
# Who may import the facade: the command line, the app, the dev tooling, the LangChain adapter.
FACADE_USERS = ("assistant.cli", "assistant.dev", "ui", "assistant.lc_retriever")


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """The project modules ``name`` imports (at any depth of the file, lazily or not)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            # a submodule by name ("from assistant.cli import admin"), else the module itself
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


GRAPH = {name: sorted(set(_imports(name, path))) for name, path in MODULES.items()}


def _inside(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read() -> None:
    assert "assistant.core" in GRAPH and "ui.app" in GRAPH
    assert "assistant.core" in GRAPH["ui.app"]


def test_no_import_cycles() -> None:
    assert _cycles() == []


@pytest.mark.parametrize("name", sorted(n for n in GRAPH if n.startswith("ui")))
def test_ui_talks_only_to_the_facade(name: str) -> None:
    beyond = [t for t in GRAPH[name] if t.startswith("assistant")
              and not _inside(t, UI_MAY_IMPORT)]
    assert beyond == [], f"{name} imports {beyond}; add what it needs to assistant.core"


@pytest.mark.parametrize("name", sorted(n for n in GRAPH if n.split(".")[0] in
                                        ("ingest", "vectorstore")))
def test_ingest_and_vectorstore_depend_only_on_plain_values(name: str) -> None:
    upward = [t for t in GRAPH[name] if t.startswith(("assistant", "ui"))
              and not _inside(t, LOW_MAY_IMPORT)]
    assert upward == [], f"{name} imports {upward}"


def test_only_the_edges_import_the_facade() -> None:
    users = [n for n, targets in GRAPH.items() if "assistant.core" in targets
             and not _inside(n, FACADE_USERS)]
    assert users == [], f"these take the whole Assistant instead of what they use: {users}"


def test_chromadb_and_langchain_stay_in_their_corners() -> None:
    for name, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        if "import chromadb" in source or "from chromadb" in source:
            assert name.startswith("vectorstore"), f"{name} imports chromadb"
        if "from langchain" in source or "import langchain" in source:
            assert _inside(name, ("assistant.answering.llm", "assistant.lc_retriever",
                                  "assistant.dev")), f"{name} imports langchain"


def test_modules_are_small() -> None:
    big = {name: n for name, path in MODULES.items()
           if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert big == {}


def test_few_plain_modules_directly_in_assistant() -> None:
    plain = sorted(n for n, p in MODULES.items() if n.count(".") == 1
                   and n.startswith("assistant.") and p.name != "__init__.py")
    assert len(plain) <= 8, plain

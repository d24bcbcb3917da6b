"""The real ``rla`` command line, run in-process with click's CliRunner and RLA_HOME set.

The question tests point RLA_HOME at the session's corpus store (read-only); each command
builds its own Assistant as a user's would, so the model is loaded again (cheap once torch
is in memory).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from assistant.cli import main
from assistant.core import Assistant
from assistant.resources import sample_corpus_dir
from vectorstore.chroma_store import ChromaStore
from vectorstore.embedder import DIM

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
NEWS_2012 = "ci-news-learning-from-scrs-2012-2015.pdf"
NEWS_2015 = "ci-news-learning-from-scrs-2015-2018.pdf"
QUESTION = "How did Glasgow Child Protection Committee respond to an SCR about neglect?"
STDIN_QUESTIONS = [
    "What effect did the Covid-19 pandemic have on ICR notifications?",
    "How many serious case reviews were published in Wales in 2019?",
    "What did West Lothian do about the lack of multi-agency chronologies in neglect cases?",
]

CONTRACT = {"question", "answer", "grounded", "backend", "citations", "evidence", "timings_ms"}
CITATION = {
    "marker",
    "chunk_id",
    "title",
    "file",
    "page_start",
    "page_end",
    "section",
    "quote",
    "passage",
}
EVIDENCE = {"rank", "chunk_id", "file", "page_start", "page_end", "section", "score", "text"}


def rla(home: Path, *args: str, stdin: str | None = None) -> Result:
    runner = CliRunner()
    return runner.invoke(main, list(args), input=stdin, env={"RLA_HOME": str(home)})


@pytest.fixture(autouse=True)
def _defaults_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands see no RLA_* setting of the developer's shell, only the ones given."""
    for name in list(os.environ):
        if name.startswith("RLA_"):
            monkeypatch.delenv(name)


@pytest.fixture
def corpus_home(corpus_assistant: Assistant) -> Path:
    return corpus_assistant.settings.home


def check_contract(obj: dict[str, Any]) -> None:
    """The DESIGN.md contract: every key there (extra keys may be added, none taken away)."""
    assert set(obj) >= CONTRACT, set(obj) ^ CONTRACT
    assert isinstance(obj["question"], str) and isinstance(obj["answer"], str)
    assert isinstance(obj["grounded"], bool) and obj["backend"] == "extractive"
    assert set(obj["timings_ms"]) >= {"retrieve", "answer"}
    assert all(isinstance(v, int | float) for v in obj["timings_ms"].values())
    for c in obj["citations"]:
        assert set(c) >= CITATION, CITATION - set(c)
        assert isinstance(c["marker"], int) and isinstance(c["page_start"], int)
        assert c["page_start"] <= c["page_end"]
        assert " ".join(c["quote"].split()) in " ".join(c["passage"].split())
    assert obj["evidence"]
    for e in obj["evidence"]:
        assert set(e) >= EVIDENCE, EVIDENCE - set(e)
        assert isinstance(e["score"], float) and isinstance(e["rank"], int)
    assert [e["rank"] for e in obj["evidence"]] == list(range(1, len(obj["evidence"]) + 1))
    if not obj["grounded"]:
        assert obj["citations"] == []


# -- ingest, list, remove ----------------------------------------------------------------


def test_ingest_list_and_remove(tmp_path: Path) -> None:
    home = tmp_path / "home"
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in (NEWS_2012, NEWS_2015):
        shutil.copyfile(CORPUS / "pdf" / name, docs / name)
    (docs / "notes.xlsx").write_bytes(b"PK\x03\x04")
    (docs / "metadata.csv").write_text(
        "file,title,publisher,year,review_type,geography\n"
        f"{NEWS_2012},SCRs in Scotland 2012-15,Care Inspectorate,2016,news release,Scotland\n",
        encoding="utf-8",
    )

    result = rla(home, "ingest", str(docs))
    assert result.exit_code == 0, result.output
    assert f"ingested  {NEWS_2012}  (1 pages," in result.stdout
    summary = r"2 file\(s\) ingested, 0 unchanged, 1 skipped, \d+ chunks, [\d.]+ s"
    assert re.search(summary, result.stdout), result.stdout
    assert "notes.xlsx: unsupported file type '.xlsx'" in result.stderr

    again = rla(home, "ingest", str(docs), "--json")
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    assert report["ingested"] == [] and len(report["unchanged"]) == 2 and report["chunks"] == 0

    listed = rla(home, "list", "--json")
    assert listed.exit_code == 0, listed.output
    cards = {c["file"]: c for c in json.loads(listed.stdout)}
    assert set(cards) == {NEWS_2012, NEWS_2015}
    assert cards[NEWS_2012]["title"] == "SCRs in Scotland 2012-15"
    assert cards[NEWS_2012]["meta"]["year"] == 2016
    assert all(c["chunks"] > 0 and c["pages"] == 1 for c in cards.values())

    human = rla(home, "list")
    assert NEWS_2012 in human.stdout and "chunks" in human.stdout

    removed = rla(home, "remove", NEWS_2012)
    assert removed.exit_code == 0, removed.output
    assert f"removed {NEWS_2012} ({cards[NEWS_2012]['chunks']} chunks)" in removed.stdout
    after = json.loads(rla(home, "list", "--json").stdout)
    assert [c["file"] for c in after] == [NEWS_2015]

    missing = rla(home, "remove", NEWS_2012)
    assert missing.exit_code == 1
    assert missing.stderr.startswith(f"Error: {NEWS_2012}: no such document")


def test_ingest_of_nothing_readable_fails_with_a_message(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "empty.txt").write_bytes(b"")
    (docs / "table.xlsx").write_bytes(b"PK\x03\x04")
    result = rla(tmp_path / "home", "ingest", str(docs))
    assert result.exit_code == 1
    assert "Error: nothing could be ingested" in result.stderr
    assert "empty.txt: the file is empty" in result.stderr
    assert "table.xlsx: unsupported file type" in result.stderr
    assert "Traceback" not in result.output

    nowhere = rla(tmp_path / "home", "ingest", str(tmp_path / "no-such-folder"))
    assert nowhere.exit_code == 1 and "no such file or folder" in nowhere.stderr


def test_empty_store_list_says_how_to_start(tmp_path: Path) -> None:
    result = rla(tmp_path / "home", "list")
    assert result.exit_code == 0
    assert "rla ingest" in result.stdout
    assert json.loads(rla(tmp_path / "home", "list", "--json").stdout) == []


# -- ask ---------------------------------------------------------------------------------


def test_ask_json_prints_the_contract(corpus_home: Path) -> None:
    result = rla(corpus_home, "ask", QUESTION, "--json")
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    check_contract(obj)
    assert obj["question"] == QUESTION
    assert obj["grounded"] is True and obj["citations"]
    assert any("neglect summits" in c["quote"] for c in obj["citations"])
    assert {c["file"] for c in obj["citations"]} == {"ci-triennial-review-icrs-scrs-2018-2021.pdf"}
    # At most RLA_K's default of 8: the question names Glasgow, so only Glasgow passages count.
    assert 0 < len(obj["evidence"]) <= 8
    assert [a.split()[0] for a in obj["filters"]["areas"]] == ["Glasgow"]

    fewer = json.loads(rla(corpus_home, "ask", QUESTION, "--json", "--k", "3").stdout)
    assert len(fewer["evidence"]) == 3


def test_ask_json_from_stdin_prints_one_object_per_line(corpus_home: Path) -> None:
    stdin = "\n".join([STDIN_QUESTIONS[0], "", *STDIN_QUESTIONS[1:]]) + "\n"
    result = rla(corpus_home, "ask", "--json", "-", stdin=stdin)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip("\n").split("\n")
    assert len(lines) == 3  # the blank line is skipped
    objs = [json.loads(line) for line in lines]
    assert [o["question"] for o in objs] == STDIN_QUESTIONS
    for o in objs:
        check_contract(o)
    assert [o["grounded"] for o in objs] == [True, False, True]


def test_ask_human_output_lists_numbered_sources(corpus_home: Path) -> None:
    result = rla(corpus_home, "ask", QUESTION)
    assert result.exit_code == 0, result.output
    answer, _, sources = result.stdout.partition("\nSources:\n")
    assert sources, result.stdout
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer)}
    lines = [line for line in sources.splitlines() if re.match(r"\[\d+\] ", line)]
    assert {int(line[1 : line.index("]")]) for line in lines} == markers
    title = "Triennial review of initial case reviews and significant case reviews"
    pattern = re.compile(rf"^\[\d+\] {re.escape(title)}.*, pp?\. \d+(-\d+)?, \S.*\(\S+\.pdf\)$")
    assert all(pattern.match(line) for line in lines), lines
    assert "Glasgow" in sources


def test_ask_unanswerable_says_so_and_cites_nothing(corpus_home: Path) -> None:
    q = "How many serious case reviews were published in Wales in 2019?"
    result = rla(corpus_home, "ask", q)
    assert result.exit_code == 0, result.output
    assert "Sources:" not in result.stdout
    assert "do not cover" in result.stdout or "No indexed document" in result.stdout


def test_store_built_with_another_model_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    other = ChromaStore(home / "chroma", model_name="some/other-model", dim=DIM)
    other.count()  # creates the collections, recording the other model
    other.close()
    for args in (["list"], ["ask", "what about neglect?", "--json"]):
        result = rla(home, *args)
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("Error: The store at ")
        assert "some/other-model" in result.stderr and "Rebuild it" in result.stderr
        assert "Traceback" not in result.output
        assert result.stdout == ""


def test_bad_setting_is_a_user_error(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main, ["list"], env={"RLA_HOME": str(tmp_path / "home"), "RLA_K": "many"}
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: RLA_K must be a whole number (got 'many')"


def test_ingest_says_which_hidden_files_it_did_not_read(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / ".git").mkdir(parents=True)
    shutil.copyfile(sample_corpus_dir() / "rla-briefing-england-serious-case-reviews.md",
                    docs / "brief.md")
    (docs / ".draft-notes.md").write_text("Not for the library.", encoding="utf-8")
    result = rla(tmp_path / "home", "ingest", str(docs))
    assert result.exit_code == 0, result.output
    assert "ingested  brief.md" in result.output
    assert ("hidden    2 file(s) or folder(s) not read, as their names start with '.': "
            ".draft-notes.md, .git/") in result.output


def test_a_file_over_the_passage_limit_is_skipped_and_the_rest_goes_in(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "huge.md").write_text(("Words about neglect and drift in practice. " * 40 + "\n\n")
                                  * 60, encoding="utf-8")
    shutil.copyfile(sample_corpus_dir() / "rla-briefing-england-serious-case-reviews.md",
                    docs / "brief.md")
    result = CliRunner().invoke(main, ["ingest", str(docs)],
                                env={"RLA_HOME": str(tmp_path / "home"), "RLA_MAX_CHUNKS": "30"})
    assert result.exit_code == 0, result.output
    assert "ingested  brief.md" in result.output
    assert re.search(r"skipped   \S*huge\.md: \d+ passages is over the limit of 30 "
                     r"\(RLA_MAX_CHUNKS\)", result.output), result.output

"""Administration commands of ``rla``: ``check`` (is the store sound?) and ``add-user`` (who
may log in to the app). Registered on the main group by ``assistant.cli``."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

import click

from assistant.errors import SettingsError


def audit_cli_answers(assistant: Any) -> None:
    """Record ``rla ask`` answers in ``RLA_AUDIT_LOG`` (if set) under the OS user's name."""
    from assistant.audit import audit_log

    log = audit_log(assistant.settings)
    if log is None:
        return
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container): record the uid
        import os

        user = f"uid {os.getuid()}"
    assistant.on_answer("audit", lambda answer: log.answer(user, "cli", answer))


@click.command("check")
@click.option("--repair", is_flag=True,
              help="Remove what interrupted ingests left (then ingest those files again).")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def check(repair: bool, as_json: bool) -> None:
    """Check the store: every document has all its chunks and every chunk its document.

    Exits with status 1 when something is wrong. Chunks without a document are what an
    interrupted ingest leaves; the next `rla ingest` (or --repair) removes them.
    """
    from assistant.cli import _assistant, _user_errors
    from assistant.inputs import shown
    from assistant.integrity import store_problems

    with _user_errors():
        assistant = _assistant()
        store, files = assistant.store, assistant.settings.files_dir
        removed = assistant.repair() if repair else []
        problems = store_problems(store, files)
        cards = store.cards()
        if as_json:
            click.echo(json.dumps({
                "documents": len(cards), "chunks": store.count(), "problems": problems,
                "removed": removed,
                "cards": [{"doc_id": c.doc_id, "file": c.file, "chunks": c.chunks}
                          for c in cards],
                "chunk_counts": store.chunk_counts(),
            }, indent=2))
        else:
            for doc_id in removed:
                click.echo(f"removed the leftovers of document {doc_id[:12]}; ingest it again")
            for problem in problems:
                click.echo(f"problem: {shown(problem)}", err=True)
            click.echo(f"{len(cards)} document(s), {store.count()} chunks, "
                       f"{len(problems)} problem(s)")
        if problems:
            raise SystemExit(1)


@click.command("add-user")
@click.argument("name")
@click.option("--auth-file", type=click.Path(path_type=Path),
              help="The file to write (default: RLA_AUTH).")
@click.password_option(help="The password (asked for when not given).")
def add_user(name: str, auth_file: Path | None, password: str) -> None:
    """Let NAME log in to the app (or change their password).

    Writes a salted PBKDF2 hash, never the password, to the RLA_AUTH file (readable by its
    owner only). Serve with RLA_AUTH set to turn login on.
    """
    from assistant.auth import set_user
    from assistant.cli import _settings, _user_errors

    with _user_errors():
        target = auth_file or (Path(_settings().auth_file).expanduser()
                               if _settings().auth_file else None)
        if target is None:
            raise SettingsError("name the file with --auth-file or set RLA_AUTH")
        if len(password) < 8:
            raise SettingsError("use a password of at least 8 characters")
        set_user(target, name, password)
        click.echo(f"{name} can log in (users in {target})")

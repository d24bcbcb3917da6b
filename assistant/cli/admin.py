"""Administration: `rla add-user` (who may log in to the app) and the CLI's audit log."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import click

from assistant.cli.context import CliContext, pass_cli
from assistant.core import Assistant
from assistant.errors import SettingsError


def audit_cli_answers(assistant: Assistant) -> None:
    """Record ``rla ask`` answers in ``RLA_AUDIT_LOG`` (if set) under the OS user's name."""
    from assistant.security.audit import audit_log

    log = audit_log(assistant.settings)
    if log is None:
        return
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container): record the uid
        user = f"uid {os.getuid()}"
    assistant.on_answer("audit", lambda answer: log.answer(user, "cli", answer))


@click.command("add-user")
@click.argument("name")
@click.option("--auth-file", type=click.Path(path_type=Path),
              help="The file to write (default: RLA_AUTH).")
@click.password_option(help="The password (asked for when not given).")
@pass_cli
def add_user(cli: CliContext, name: str, auth_file: Path | None, password: str) -> None:
    """Let NAME log in to the app (or change their password).

    Writes a salted PBKDF2 hash, never the password, to the RLA_AUTH file (readable by its
    owner only). Serve with RLA_AUTH set to turn login on.
    """
    from assistant.security.auth import set_user

    configured = cli.settings.auth_file
    target = auth_file or (Path(configured).expanduser() if configured else None)
    if target is None:
        raise SettingsError("name the file with --auth-file or set RLA_AUTH")
    if len(password) < 8:
        raise SettingsError("use a password of at least 8 characters")
    set_user(target, name, password)
    click.echo(f"{name} can log in (users in {target})")


COMMANDS = (add_user,)

"""The ``rla`` group: logging, the context object, and the one place where a failure becomes
a message. Printing happens in ``assistant.cli`` and nowhere else.

Every ``RlaError`` becomes one ``Error: ...`` line on stderr and exit status 1; so does any
unexpected failure (logged in full with ``-v``), never a traceback.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from assistant.cli import admin, asking, dev, documents, library, trainer
from assistant.cli.context import CliContext
from assistant.config import Settings
from assistant.errors import user_message

log = logging.getLogger("rla")


class RlaGroup(click.Group):
    """Turns what a command raises into one line for the user (click's own errors, exits and
    ``--help`` pass through)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # `rla areas | head`: the reader stopped; nothing to say
            sys.stderr.close()
            sys.exit(0)
        except Exception as err:
            log.info("the failure in full:", exc_info=True)
            click.echo(f"Error: {user_message(err)}", err=True)
            sys.exit(1)


@click.group(cls=RlaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (to stderr).")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Review Learning Assistant: cited answers from child protection case reviews.

    Every answer quotes the documents verbatim, with document, page and section, or says the
    documents do not cover the question. Data lives under RLA_HOME (default ~/.rla).

    \b
    Start with:
      rla ingest ~/reviews/            # PDFs, .txt, .md, .docx, .html; folders are walked
      rla ask "what do reviews say about neglect?"
    """
    from assistant.offline import enforce_offline

    enforce_offline()
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    if not isinstance(ctx.obj, CliContext):
        ctx.obj = CliContext(Settings.from_env())


for group in (documents, asking, library, trainer, admin, dev):
    for command in group.COMMANDS:
        main.add_command(command)

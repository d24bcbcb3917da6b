"""The ``rla`` command line: one module per group of commands, the group and its error
handling in ``main``, what every command is handed in ``context``."""

from assistant.cli.main import main

__all__ = ["main"]

"""What every ``rla`` command is handed: the settings and, made on first use, the Assistant.

The object travels in click's context (``ctx.obj``), so a test passes a real ``Assistant`` on
a temp ``RLA_HOME`` with ``CliRunner().invoke(main, args, obj=CliContext.of(assistant))`` and
nothing needs patching.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from assistant.config import Settings

if TYPE_CHECKING:
    from assistant.core import Assistant

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliContext:
    settings: Settings
    made: Assistant | None = None

    @classmethod
    def of(cls, assistant: Assistant) -> CliContext:
        return cls(assistant.settings, assistant)

    @property
    def assistant(self) -> Assistant:
        if self.made is None:
            from assistant.core import Assistant

            self.made = Assistant(self.settings)
        return self.made


pass_cli: Callable[[F], F] = click.make_pass_decorator(CliContext)  # type: ignore[assignment]

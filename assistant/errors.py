"""Errors whose message is fit to show a user.

The CLI turns any ``RlaError`` into one ``Error: ...`` line and a non-zero exit; the UI turns it
into a notice. Nothing else should reach a user as a traceback.
"""

from __future__ import annotations


class RlaError(Exception):
    """Base class: ``str(err)`` is the whole message a user sees."""


class SettingsError(RlaError):
    """An ``RLA_*`` setting or a CLI flag has a value that cannot be used."""


class ModelIntegrityError(RlaError):
    """The bundled embedding model is missing or its weights do not match the pinned hash."""


class StoreMismatchError(RlaError):
    """The store was built with another embedding model or dimension."""


class UnreadableFileError(RlaError):
    """One input file cannot be ingested; the message names the file and the reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class NothingIngestedError(RlaError):
    """No file of a batch could be read and nothing was already stored."""


class NotFoundError(RlaError):
    """A document named by the user is not in the store."""


def user_message(err: BaseException) -> str:
    """What a user is told about ``err``: an ``RlaError``'s own message, otherwise a short
    description of an unexpected failure (the details go to the log, never a traceback)."""
    if isinstance(err, RlaError):
        return str(err)
    detail = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
    what = f"{type(err).__name__}: {detail}" if detail else type(err).__name__
    return f"something went wrong that should not have ({what}); run with -v for details"

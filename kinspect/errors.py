"""Typed errors of the core. The CLI and the UI turn them into one-line messages.

Every error that reaches a user names the file and says what is wrong in one line; anything
else escaping a reader is a bug (the fuzz tests hold the readers to that).
"""

from __future__ import annotations

import os


class KinspectError(Exception):
    """Base of every error kinspect reports to a user."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = os.fspath(path) if path is not None else None

    def one_line(self) -> str:
        """`FILE: what is wrong`, on one line, as the CLI contract asks."""
        text = " ".join(self.message.split())
        return f"{self.path}: {text}" if self.path else text


class FormatError(KinspectError):
    """The file cannot be read as a model (wrong, broken, truncated or unsupported content)."""


class UnsupportedFormat(FormatError):
    """No reader recognises the file's content."""


class UnsafeContent(KinspectError):
    """The request would run code from the file and the user has not trusted it."""


class InvalidRequest(KinspectError):
    """The request itself is wrong: a missing option, an existing output, an unknown target."""


class ConvertError(KinspectError):
    """A conversion failed; nothing was left at the destination."""


class Cancelled(KinspectError):
    """The user cancelled a long operation."""

    def __init__(self, message: str = "cancelled", path: str | None = None) -> None:
        super().__init__(message, path)

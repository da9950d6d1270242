"""Typed errors of the core. The CLI and the UI turn them into one-line messages.

Every error that reaches a user names the file and says what is wrong in one line; anything
else escaping a reader is a bug (the fuzz tests hold the readers to that).
"""

from __future__ import annotations

import functools
import os
import struct
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


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


# What damaged content raises while a reader decodes it (h5py, zipfile, numpy, struct…);
# readers of other encodings add theirs (tf_tensor.DAMAGE adds protobuf's DecodeError).
DATA_ERRORS: tuple[type[BaseException], ...] = (
    struct.error, ValueError, KeyError, IndexError, TypeError, OSError, UnicodeError,
    RecursionError, MemoryError)


def as_format_errors(fn: Callable[..., T],
                     damage: tuple[type[BaseException], ...] = DATA_ERRORS) -> Callable[..., T]:
    """Turn what damaged content raises into FormatError, so a broken file or tensor is one
    clear message (CLI exit 2, a dialog or an error row in the UI), never a traceback. A file
    gone or unreadable since it was opened (values are read on demand) says so."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except KinspectError:
            raise
        except damage as exc:
            if isinstance(exc, OSError) and exc.errno is not None:
                raise FormatError(f"cannot read the file: {exc.strerror}",
                                  exc.filename) from exc
            raise FormatError(f"damaged content: {type(exc).__name__}: {exc}") from exc
    return wrapper

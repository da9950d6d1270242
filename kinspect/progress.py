"""Qt-free progress reporting and cancellation for long work (opening, reading, converting).

The core calls `progress.step(...)` and `progress.check()`; the UI passes an object whose
`cancelled` flag a Cancel button sets, the CLI passes `NO_PROGRESS`.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import Cancelled

Listener = Callable[[float, str], None]


class Progress:
    """Reports a fraction in [0, 1] with a message, and raises `Cancelled` when asked to stop."""

    def __init__(self, listener: Listener | None = None) -> None:
        self._listener = listener
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled()

    def step(self, fraction: float, message: str = "") -> None:
        self.check()
        if self._listener is not None:
            self._listener(max(0.0, min(1.0, fraction)), message)


NO_PROGRESS = Progress()

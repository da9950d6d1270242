"""Helpers of the front-door drivers, which run inside the live kinspect process."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtWidgets import QApplication


def wait(condition: Callable[[], object], seconds: float = 30) -> object:
    """Serve events until CONDITION is true (returns its value) or SECONDS pass (None)."""
    app = QApplication.instance()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        app.processEvents()
        time.sleep(0.02)
    return condition() or None

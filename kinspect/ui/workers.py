"""Run core work (open, read values, convert) on a pool thread; results come back as signals.

The core is Qt-free: it reports through `kinspect.progress.Progress`, which this module bridges
to a Qt signal, and a Cancel button sets the same object's `cancelled` flag.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ..errors import Cancelled, KinspectError
from ..progress import Progress


class TaskSignals(QObject):
    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str, str)  # one-line message, details
    cancelled = Signal()


class Task(QRunnable):
    """Calls `work(progress)` on a pool thread."""

    def __init__(self, work: Callable[[Progress], Any]) -> None:
        super().__init__()
        self.signals = TaskSignals()
        self.progress = Progress(lambda f, m: self.signals.progress.emit(f, m))
        self._work = work
        self.setAutoDelete(False)

    def cancel(self) -> None:
        self.progress.cancel()

    def run(self) -> None:
        try:
            self._run()
        except RuntimeError as exc:
            # The signals object is gone (the application is quitting): nobody to tell.
            if "deleted" not in str(exc):
                raise

    def _run(self) -> None:
        try:
            result = self._work(self.progress)
        except Cancelled:
            self.signals.cancelled.emit()
        except KinspectError as exc:
            self.signals.failed.emit(exc.one_line(), traceback.format_exc())
        except Exception as exc:  # noqa: BLE001 - a bug must not take the window down
            self.signals.failed.emit(f"unexpected error: {type(exc).__name__}: {exc}",
                                     traceback.format_exc())
        else:
            self.signals.finished.emit(result)


_running: set[Task] = set()


def start(task: Task) -> Task:
    """Start a task, keeping it alive until it reports."""
    _running.add(task)
    for signal in (task.signals.finished, task.signals.failed, task.signals.cancelled):
        signal.connect(lambda *_: _running.discard(task))
    QThreadPool.globalInstance().start(task)
    return task

"""Run core work (open, read values, convert) on a worker thread; results come back as signals.

The core is Qt-free: it reports through `kinspect.progress.Progress`, which this module bridges
to a Qt signal, and a Cancel button sets the same object's `cancelled` flag.

Workers are plain Python threads, not QThreadPool threads: any task may import TensorFlow
(a conversion, a checkpoint's values), and TensorFlow's pybind11 code keeps a Python thread
state per OS thread. PySide gives a reused pool thread a fresh thread state for each task, and
the second TensorFlow task on it crashed in take_gil (a Keras export after a freeze, seen here
under gdb). A thread per task costs nothing next to opening or converting a model.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..errors import Cancelled, KinspectError
from ..progress import Progress


class TaskSignals(QObject):
    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str, str)  # one-line message, details
    cancelled = Signal()


class Task:
    """Calls `work(progress)` on a worker thread (see `start`). PATH: the file the work is
    about, named by the message of an unexpected error (a KinspectError names its own)."""

    def __init__(self, work: Callable[[Progress], Any], path: str = "") -> None:
        self.signals = TaskSignals()  # created on the GUI thread: its slots run there
        self.progress = Progress(lambda f, m: self.signals.progress.emit(f, m))
        self._work = work
        self.path = path

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
            where = f"{self.path}: " if self.path else ""
            self.signals.failed.emit(f"{where}unexpected error: {type(exc).__name__}: {exc}",
                                     traceback.format_exc())
        else:
            self.signals.finished.emit(result)


_running: set[Task] = set()


def start(task: Task, name: str = "kinspect-worker") -> Task:
    """Start a task on its own Python thread; `_running` keeps it alive until it reports.

    Connect the task's slots before calling this. Once it has reported, its signals object is
    deleted: the connections (C++ side, invisible to gc) would otherwise keep every slot's
    closure, and the Document it holds, alive for good.
    """
    _running.add(task)

    def done(*_: object) -> None:
        _running.discard(task)
        task.signals.deleteLater()  # after the slots already queued for this report

    for signal in (task.signals.finished, task.signals.failed, task.signals.cancelled):
        signal.connect(done)
    threading.Thread(target=task.run, name=name, daemon=True).start()
    return task

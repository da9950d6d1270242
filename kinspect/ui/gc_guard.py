"""Collect Python garbage only on the GUI thread.

CPython's cyclic collector runs in whichever thread happens to allocate when a threshold is hit.
If that is a worker (opening a file, reading a tensor) and the garbage holds Qt wrappers (a
closed tab, a web page), Qt objects get destroyed off the GUI thread and the process segfaults
(seen here: a crash inside json.loads on a worker, "Garbage-collecting"). As pyqtgraph does, we
switch automatic collection off and collect from a GUI-thread timer instead.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

INTERVAL_MS = 1000

_timer: QTimer | None = None


def install(parent: QObject | None = None) -> None:
    """Idempotent: the first call (from the GUI thread, QApplication existing) wins."""
    global _timer
    if _timer is not None:
        return
    app = QCoreApplication.instance()
    if app is None:
        return
    gc.disable()
    _timer = QTimer(app)
    _timer.setInterval(INTERVAL_MS)
    _timer.timeout.connect(_collect)
    _timer.start()


def _collect() -> None:
    # Generation thresholds as CPython would apply them, but always on this thread.
    counts = gc.get_count()
    thresholds = gc.get_threshold()
    if counts[0] > thresholds[0]:
        generation = 0
        if counts[1] > thresholds[1]:
            generation = 2 if counts[2] > thresholds[2] else 1
        gc.collect(generation)
